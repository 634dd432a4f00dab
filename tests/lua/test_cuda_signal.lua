-- The CUDA paths of Torch7's signal functions and alias sampling (tensor/gpu_signal.c):
-- conv2/xcorr2 of float types (one conv2d on the device, gradients by conv2d's
-- autograd), conv3/xcorr3 and integer types (a round trip through the CPU's kernel),
-- renorm (engine ops on the device), bhistc (a round trip), multinomialAliasSetup (on a
-- CPU copy) and multinomialAlias (engine ops: the CPU's draws for the same seed). Every
-- result compared with the CPU's, gradients too. Skipped (with the reason) where no GPU
-- is present.
local tester = torch.Tester()
local ok, why = torch.cudaAvailable()
if not ok then
  tester.skipReason = 'no GPU: ' .. tostring(why)
  return tester
end
local T = torch.TestSuite()

local function tol_of(t)
  local tp = t:type()
  if tp:find('Double') then return 1e-10 end
  if tp:find('Half') or tp:find('BFloat') then return 3e-2 end
  if tp:find('Float') or tp == 'torch.CudaTensor' then return 2e-4 end
  return 0   -- integer types: exact
end
-- max |gpu - cpu| relative to the size of cpu's values; the GPU result on the GPU, of
-- the CPU result's element type
local function close(gpu, cpu, what, tol)
  tester:assert(gpu:type():find('Cuda') ~= nil, what .. ': result on the GPU (' .. gpu:type() .. ')')
  tester:eq(gpu:cpu():type(), cpu:type(), what .. ': type')
  local g, c = gpu:detach():cpu():double(), cpu:detach():double()
  tester:eq(g:size(), c:size(), 0, what .. ': size')
  if c:nElement() == 0 then return end
  local scale = math.max(1, torch.abs(c):max())
  local err = torch.abs(g - c):max() / scale
  tester:assert(err <= (tol or tol_of(cpu)), what .. string.format(' (err %g)', err))
end

-- f(inputs...) on CPU copies and GPU copies of the same values, forward and backward with
-- one output gradient; outputs and the gradients of the inputs requiring grad compared
local function both(f, inputs, what, tol)
  local ci, gi = {}, {}
  for i, t in ipairs(inputs) do
    if torch.isTensor(t) then
      local c, g = t:clone(), t:cuda()
      if t.requiresGrad then c = c:detach():setRequiresGrad(); g = g:detach():setRequiresGrad() end
      ci[i], gi[i] = c, g
    else
      ci[i], gi[i] = t, t
    end
  end
  local yc = f(table.unpack(ci, 1, #inputs))
  local yg = f(table.unpack(gi, 1, #inputs))
  close(yg, yc, what .. ' forward', tol)
  if yc.requiresGrad then
    tester:assert(yg.requiresGrad, what .. ': the GPU result records')
    local go = torch.randn(yc:size()):type(yc:type())
    yc:backward(go)
    yg:backward(go:cuda())
    for i = 1, #inputs do
      if torch.isTensor(ci[i]) and ci[i].grad then
        tester:assert(gi[i].grad ~= nil, what .. ': gradient of input ' .. i)
        if gi[i].grad then close(gi[i].grad, ci[i].grad, what .. ' grad of input ' .. i, tol) end
      end
    end
  end
  return yc, yg
end

-- t converted to the CPU type named by tp ('double', 'float', 'long' ...)
local function typed(t, tp) return t[tp](t) end

local fns = {
  [2] = {conv = torch.conv2, xcorr = torch.xcorr2},
  [3] = {conv = torch.conv3, xcorr = torch.xcorr3},
}
-- {input size, kernel size} in Torch7's three forms; the last of each: a kernel larger
-- than the input ('F' only)
local shapes = {
  [2] = {{{9, 8}, {3, 2}}, {{3, 7, 6}, {3, 2, 3}}, {{2, 6, 7}, {4, 2, 3, 2}}, {{3, 4, 4}, {5, 3, 1, 1}},
         {{3, 2}, {4, 5}}},
  [3] = {{{5, 4, 6}, {2, 3, 2}}, {{2, 4, 5, 3}, {2, 2, 2, 2}}, {{2, 4, 3, 5}, {3, 2, 2, 2, 3}},
         {{2, 2, 3}, {3, 2, 4}}},
}
-- whether the input is at least the kernel's size in its nd spatial dims ('V' possible)
local function fits(sh, nd)
  local x, k = sh[1], sh[2]
  for d = 0, nd - 1 do
    if x[#x - d] < k[#k - d] then return false end
  end
  return true
end

function T.conv_forms_modes_and_gradients()
  torch.manualSeed(1)
  for nd = 2, 3 do
    for si, sh in ipairs(shapes[nd]) do
      for _, mode in ipairs{'V', 'F'} do
        if mode == 'F' or fits(sh, nd) then
          for kind, f in pairs(fns[nd]) do
            for _, tp in ipairs{'double', 'float'} do
              local x = typed(torch.randn(table.unpack(sh[1])), tp):setRequiresGrad()
              local k = typed(torch.randn(table.unpack(sh[2])), tp):setRequiresGrad()
              local what = string.format('%s%d %s shape %d %s', kind, nd, mode, si, tp)
              local _, yg = both(function(a, b) return f(a, b, mode) end, {x, k}, what)
              -- 2-D: conv2d's own nodes; 3-D: the round trip's node, as on the CPU
              if nd == 3 then
                local want = (kind == 'conv' and 'Conv' or 'Xcorr') .. nd .. 'Backward'
                tester:eq(yg.gradFn and yg.gradFn.name, want, what .. ': node')
              end
              -- the input alone
              both(function(a) return f(a, k:detach():cuda():type(a:type()), mode) end, {x}, what .. ' (x only)')
            end
          end
        end
      end
    end
  end
end

function T.conv_second_derivative()
  torch.manualSeed(2)
  local x = torch.randn(2, 5, 6):double():setRequiresGrad()
  local k = torch.randn(3, 2, 2, 3):double():setRequiresGrad()
  -- the gradient of sum(y^2) with respect to x, recorded (createGraph), then
  -- differentiated again with respect to x and k on both devices
  for _, f in ipairs{torch.conv2, torch.xcorr2} do
    both(function(a, b)
      local y = f(a, b, 'F')
      return torch.grad(torch.cmul(y, y), a, y:detach():clone():fill(1), {createGraph = true})
    end, {x, k}, 'gradient of the gradient')
  end
end

function T.conv_layouts_types_and_result_form()
  torch.manualSeed(3)
  local x, k = torch.randn(7, 9):double(), torch.randn(3, 4):double()
  -- transposed and narrowed views
  close(torch.conv2(x:cuda():t(), k:cuda():t(), 'F'), torch.conv2(x:t(), k:t(), 'F'), 'conv2 transposed views')
  close(torch.xcorr2(x:cuda():narrow(1, 2, 5), k:cuda()), torch.xcorr2(x:narrow(1, 2, 5), k), 'xcorr2 narrowed view')
  -- the wider type of the two
  local r = torch.conv2(x:float():cuda(), k:cuda())
  close(r, torch.conv2(x:float(), k), 'conv2 float x double k')
  -- half: through float32, as on the CPU
  close(torch.conv2(x:half():cuda(), k:half():cuda(), 'F'), torch.conv2(x:half(), k:half(), 'F'), 'conv2 half', 3e-2)
  -- integer types: exact, wrapping as on the CPU (bytes modulo 256)
  local xi, ki = torch.IntTensor(3, 8, 7):random(-1000, 1000), torch.IntTensor(2, 3, 3, 2):random(-1000, 1000)
  for _, f in ipairs{'conv2', 'xcorr2'} do
    for _, mode in ipairs{'V', 'F'} do
      close(torch[f](xi:cuda(), ki:cuda(), mode), torch[f](xi, ki, mode), 'IntTensor ' .. f .. ' ' .. mode, 0)
    end
  end
  local xb, kb = torch.ByteTensor(6, 6):random(0, 255), torch.ByteTensor(3, 3):random(0, 255)
  close(torch.conv2(xb:cuda(), kb:cuda(), 'F'), torch.conv2(xb, kb, 'F'), 'ByteTensor conv2 (wraps)', 0)
  local xl, kl = torch.LongTensor(2, 4, 4, 4):random(-9, 9), torch.LongTensor(2, 2, 2, 2):random(-9, 9)
  close(torch.xcorr3(xl:cuda(), kl:cuda(), 'F'), torch.xcorr3(xl, kl, 'F'), 'LongTensor xcorr3', 0)
  -- the result form: res on the GPU, resized and returned
  local res = torch.DoubleTensor(1):cuda()
  tester:assert(torch.conv2(res, x:cuda(), k:cuda(), 'F') == res, 'conv2(res, ...) returns res')
  close(res, torch.conv2(x, k, 'F'), 'conv2 result form')
  local res3 = torch.FloatTensor():cuda()
  local a, b = torch.randn(4, 5, 6):float(), torch.randn(2, 2, 3):float()
  tester:assert(torch.conv3(res3, a:cuda(), b:cuda()) == res3, 'conv3(res, ...) returns res')
  close(res3, torch.conv3(a, b), 'conv3 result form')
  -- empty planes
  close(torch.conv2(torch.DoubleTensor(0, 4, 4):cuda(), torch.DoubleTensor(0, 2, 2):cuda()),
        torch.conv2(torch.DoubleTensor(0, 4, 4), torch.DoubleTensor(0, 2, 2)), 'conv2 no planes')
  close(torch.xcorr2(torch.DoubleTensor(2, 4, 4):cuda(), torch.DoubleTensor(0, 2, 2, 2):cuda(), 'F'),
        torch.xcorr2(torch.DoubleTensor(2, 4, 4), torch.DoubleTensor(0, 2, 2, 2), 'F'), 'xcorr2 no output planes')
end

function T.conv_errors()
  local x, k = torch.randn(5, 5), torch.randn(2, 2)
  tester:assertErrorPattern(function() torch.conv2(x:cuda(), k) end,
    'conv2: x and k must be on the same device %(x is on cuda:0, k on cpu%)')
  tester:assertErrorPattern(function() torch.xcorr3(torch.randn(3, 3, 3), torch.randn(2, 2, 2):cuda()) end,
    'xcorr3: x and k must be on the same device')
  tester:assertErrorPattern(function() torch.conv2(torch.Tensor(), x:cuda(), k:cuda()) end,
    'conv2: x and res must be on the same device')
  -- the shape checks are the CPU's
  tester:assertErrorPattern(function() torch.conv2(x:cuda(), torch.randn(6, 6):cuda()) end,
    "smaller than the kernel %(6x6%) in 'V'")
end

-- ---- renorm ----
function T.renorm_matches_cpu()
  torch.manualSeed(4)
  for _, tp in ipairs{'double', 'float'} do
    for _, shape in ipairs{{5, 4}, {3, 4, 5}, {7, 1}} do
      local x = typed(torch.randn(table.unpack(shape)), tp):mul(3)
      for dim = 1, #shape do
        for _, p in ipairs{1, 2, 3, 0.5, math.huge} do
          close(torch.renorm(x:cuda(), p, dim, 1.5), torch.renorm(x, p, dim, 1.5),
                string.format('renorm %s %s p=%g dim=%d', tp, table.concat(shape, 'x'), p, dim))
        end
      end
    end
  end
  -- the forms: in place (method), result form, on a transposed view
  local x = torch.randn(4, 3):double():mul(5)
  local want = torch.renorm(x, 2, 2, 1)
  local y = x:cuda()
  tester:assert(y:renorm(2, 2, 1) == y, 'method returns self')
  close(y, want, 'renorm in place')
  local res = torch.DoubleTensor():cuda()
  tester:assert(torch.renorm(res, x:cuda(), 2, 2, 1) == res, 'result form')
  close(res, want, 'renorm result form')
  local base = x:cuda()
  base:t():renorm(2, 1, 1)
  close(base, want, 'renorm in place on a transposed view')
  -- large values, NaN rows, zero rows, empty sub-tensors
  close(torch.renorm(torch.DoubleTensor{{3e200, 4e200}, {0, 0}}:cuda(), 2, 1, 1),
        torch.DoubleTensor{{0.6, 0.8}, {0, 0}}, 'renorm large values and a zero row', 1e-12)
  local n = torch.DoubleTensor{{0 / 0, 100}, {30, 40}}:cuda()
  local rn = torch.renorm(n, 2, 1, 5):cpu()
  tester:assert(rn[1][1] ~= rn[1][1] and rn[1][2] == 100, 'NaN row unchanged')
  tester:eq(rn[2], torch.DoubleTensor{3, 4}, 1e-7)
  tester:eq(torch.renorm(torch.DoubleTensor(3, 0):cuda(), 2, 1, 1):size():totable(), {3, 0})
  -- half through the same ops
  close(torch.renorm(x:half():cuda(), 2, 1, 2), torch.renorm(x:half(), 2, 1, 2), 'renorm half', 3e-2)
  tester:assertErrorPattern(function() torch.renorm(torch.DoubleTensor(), x:cuda(), 2, 1, 1) end,
    'renorm: x and res must be on the same device')
end

function T.renorm_gradients()
  torch.manualSeed(5)
  local x = torch.randn(4, 3):double():mul(2)
  x[2]:mul(0.05)   -- a row under maxnorm
  for _, p in ipairs{2, 1, 3, math.huge} do
    for dim = 1, 2 do
      both(function(a) return torch.renorm(a, p, dim, 1) end, {x:clone():setRequiresGrad()},
           string.format('renorm grad p=%g dim=%d', p, dim))
    end
  end
  both(function(a) return torch.renorm(a, 2, 3, 1) end, {torch.randn(2, 3, 4):float():mul(2):setRequiresGrad()},
       'renorm grad float 3-D')
  -- the weight constraint on a GPU parameter: an update, not recorded
  local w = torch.randn(3, 4):double():mul(4)
  local wg = w:cuda():setRequiresGrad()
  wg:renorm(2, 1, 1)
  close(wg, torch.renorm(w, 2, 1, 1), 'renorm in place on a leaf')
  tester:assert(wg:isLeaf() and wg.gradFn == nil, 'leaf stays a leaf')
end

-- ---- bhistc ----
function T.bhistc_matches_cpu()
  torch.manualSeed(6)
  local x = torch.randn(5, 40):double()
  for _, tp in ipairs{'double', 'float', 'long', 'int'} do
    local xt = typed((tp == 'long' or tp == 'int') and x * 4 or x, tp)
    close(torch.bhistc(xt:cuda(), 7), torch.bhistc(xt, 7), 'bhistc ' .. tp, 0)
    close(torch.bhistc(xt:cuda(), 9, -1, 1), torch.bhistc(xt, 9, -1, 1), 'bhistc min max ' .. tp, 0)
    close(xt:cuda():bhistc(), xt:bhistc(), 'bhistc method ' .. tp, 0)
  end
  close(torch.bhistc(x:cuda():t(), 4), torch.bhistc(x:t(), 4), 'bhistc transposed', 0)
  local res = torch.DoubleTensor():cuda()
  tester:assert(torch.bhistc(res, x:cuda(), 5) == res, 'bhistc result form')
  close(res, torch.bhistc(x, 5), 'bhistc result form', 0)
  tester:assertErrorPattern(function() torch.bhistc(torch.DoubleTensor(), x:cuda(), 5) end,
    'bhistc: x and res must be on the same device')
  tester:assertErrorPattern(function() torch.bhistc(x:cuda():view(-1), 5) end, 'bhistc: expected a 2%-D tensor')
end

-- ---- alias sampling ----
function T.alias_setup_on_the_gpu()
  for _, tp in ipairs{'double', 'float'} do
    local p = typed(torch.DoubleTensor{1, 2, 3, 4, 0, 5}, tp)
    local sc = torch.multinomialAliasSetup(p)
    local sg = torch.multinomialAliasSetup(p:cuda())
    close(sg[1], sc[1], 'alias J ' .. tp, 0)
    close(sg[2], sc[2], 'alias q ' .. tp, 0)
    -- a GPU state refilled in place
    local J, q = sg[1], sg[2]
    local p2 = typed(torch.DoubleTensor{1, 1, 2}, tp)
    local s2 = torch.multinomialAliasSetup(p2:cuda(), sg)
    tester:assert(s2 == sg and s2[1] == J and s2[2] == q, 'GPU state reused')
    local s2c = torch.multinomialAliasSetup(p2)
    close(s2[1], s2c[1], 'alias J refilled', 0)
    close(s2[2], s2c[2], 'alias q refilled', 0)
    -- a CPU state given a GPU setup: replaced by GPU tensors (no mixed state)
    local s3 = torch.multinomialAliasSetup(p2:cuda(), torch.multinomialAliasSetup(p2))
    tester:assert(s3[1]:type():find('Cuda') and s3[2]:type():find('Cuda'), 'a CPU state refilled from the GPU')
  end
  tester:assertErrorPattern(function() torch.multinomialAliasSetup(torch.DoubleTensor{1, -1}:cuda()) end,
    'non%-negative')
end

function T.alias_draws_equal_the_cpu()
  local p = torch.DoubleTensor{0.05, 0.45, 0, 0.2, 0.3}
  local sc, sg = torch.multinomialAliasSetup(p), torch.multinomialAliasSetup(p:cuda())
  -- the same seed, the same draws (the CPU's rule rebuilt from the device's fills)
  for _, n in ipairs{1, 7, 1000, 100003} do
    torch.manualSeed(5)
    local oc = torch.multinomialAlias(torch.LongTensor(n), sc)
    torch.manualSeed(5)
    local og = torch.multinomialAlias(torch.LongTensor(n):cuda(), sg)
    tester:assert(og:type():find('Cuda') ~= nil, 'draws on the GPU')
    tester:eq(og:cpu(), oc, 0, 'the same draws, n = ' .. n)
    -- and the generator left at the same position
    local next_gpu = torch.rand(3)
    torch.manualSeed(5)
    torch.multinomialAlias(torch.LongTensor(n), sc)
    tester:eq(next_gpu, torch.rand(3), 0, 'the generator moved as on the CPU, n = ' .. n)
  end
  -- a generator object, an IntTensor output of two dims, J and q as two arguments
  local g = torch.Generator()
  torch.manualSeed(g, 9)
  local a = torch.multinomialAlias(g, torch.IntTensor(30, 40), sc[1], sc[2])
  torch.manualSeed(g, 9)
  local b = torch.multinomialAlias(g, torch.IntTensor(30, 40):cuda(), sg[1], sg[2])
  tester:eq(b:cpu(), a, 0, 'generator object, IntTensor output')
  -- a float state, a larger K (2^63 mod K not zero)
  local w = torch.rand(1001):float()
  local wc, wg = torch.multinomialAliasSetup(w), torch.multinomialAliasSetup(w:cuda())
  torch.manualSeed(3)
  local c1 = torch.multinomialAlias(torch.LongTensor(5000), wc)
  torch.manualSeed(3)
  local c2 = torch.multinomialAlias(torch.LongTensor(5000):cuda(), wg)
  tester:eq(c2:cpu(), c1, 0, 'float state, K = 1001')
end

function T.alias_frequencies()
  local p = torch.DoubleTensor{0.05, 0.45, 0, 0.2, 0.3}
  local sg = torch.multinomialAliasSetup(p:cuda())
  torch.manualSeed(2024)
  local n = 200000
  local out = torch.multinomialAlias(torch.LongTensor(n):cuda(), sg)
  for k = 1, 5 do
    local count = out:eq(k):sum()
    local sd = math.sqrt(n * p[k] * (1 - p[k]))
    tester:assert(math.abs(count - n * p[k]) <= 6 * sd + 1e-9,
      string.format('category %d: %d draws, expected %.0f', k, count, n * p[k]))
  end
  tester:eq(out:eq(3):sum(), 0, 'a zero-probability category never drawn')
end

function T.alias_errors()
  local p = torch.DoubleTensor{1, 2, 3}
  local sc, sg = torch.multinomialAliasSetup(p), torch.multinomialAliasSetup(p:cuda())
  tester:assertErrorPattern(function() torch.multinomialAlias(torch.LongTensor(3), sg) end,
    'multinomialAlias: output, J and q must be on the same device %(output on cpu, J on cuda:0, q on cuda:0%)')
  tester:assertErrorPattern(function() torch.multinomialAlias(torch.LongTensor(3):cuda(), sc[1]:cuda(), sc[2]) end,
    'must be on the same device')
  -- a bad alias among the cells drawn: an error, the generator not moved
  local badJ = torch.LongTensor{9, 9, 9}:cuda()
  torch.manualSeed(4)
  tester:assertErrorPattern(function() torch.multinomialAlias(torch.LongTensor(50):cuda(), badJ, sg[2]) end,
    'not a setup of 3 categories')
  local after = torch.rand(2)
  torch.manualSeed(4)
  tester:eq(after, torch.rand(2), 0, 'a failed draw leaves the generator')
end

tester:add(T)
return tester
