-- Activations, softmax, losses and the fused recurrent cells on the GPU (tensor/cuda/act.cu):
-- every op's forward and backward compared with the CPU's on contiguous, transposed and
-- narrowed inputs (float32 and float64; half forward with a loose tolerance), sizes 0, 1,
-- 257 and 100003 elements and 70000 rows, softmax over every dim of a 3-D tensor and over
-- a 1000 x 5000 input, every loss with every reduction (class weights, ignoreIndex,
-- CUDA integer and float targets), the cells, unbindSteps, the nn modules after :cuda(),
-- errors (mixed devices, out-of-range targets, bce input outside [0, 1]). Skipped (with the
-- reason) where no GPU is present.
local tester = torch.Tester()
local ok, why = torch.cudaAvailable()
if not ok then
  tester.skipReason = 'no GPU: ' .. tostring(why)
  return tester
end
require 'nn'
local T = torch.TestSuite()
torch.manualSeed(123)

local TOL = {['torch.FloatTensor'] = 2e-5, ['torch.DoubleTensor'] = 1e-10, ['torch.HalfTensor'] = 4e-3}
local FLOATS = {'torch.FloatTensor', 'torch.DoubleTensor'}

-- a GPU result against the CPU's: on the GPU, same type and shape, NaNs and infinities at
-- the same places, values within tol relative to the largest magnitude (at least 1)
local function tclose(g, c, tol, msg)
  tester:assert(torch.isTensor(g) and g:type():find('Cuda') ~= nil, msg .. ': a GPU tensor')
  if not torch.isTensor(g) then return end
  local h = g:detach():cpu()
  tester:assert(torch.type(h) == torch.type(c), msg .. ': type ' .. torch.type(h) .. ' vs ' .. torch.type(c))
  tester:assert(h:isSameSizeAs(c), msg .. ': size')
  if c:nElement() == 0 or not h:isSameSizeAs(c) then return end
  local hd, cd = h:double():clone(), c:double():clone()
  local hn, cn = hd:ne(hd), cd:ne(cd)
  tester:assert(hn:equal(cn), msg .. ': NaNs at the same places')
  hd:maskedFill(hn, 0); cd:maskedFill(cn, 0)
  for _, inf in ipairs{math.huge, -math.huge} do
    local hi, ci = hd:eq(inf), cd:eq(inf)
    tester:assert(hi:equal(ci), msg .. ': infinities at the same places')
    hd:maskedFill(hi, 0); cd:maskedFill(ci, 0)
  end
  local scale = math.max(1, cd:clone():abs():max())
  local d = (hd - cd):abs():max()
  tester:assert(d <= tol * scale, msg .. ': differs by ' .. d)
end

-- a random output gradient like t (a CPU tensor)
local function gout_like(t)
  if t:dim() == 0 then return t:detach():clone():fill(0.7) end
  return torch.randn(t:size()):type(t:type())
end

-- a view of base (a non-contiguous layout) that compare makes on each device: the GPU's
-- input is view(base:cuda()), so it has the CPU input's strides (:cuda() of a view copies
-- it into a contiguous tensor). Gradients are compared on the bases.
local function V(base, view) return {base = base, view = view} end

-- f on the CPU inputs and on their GPU copies: the outputs (f returns a tensor or a table of
-- them) and, for the inputs whose index is in diff, the gradients for one random output
-- gradient. ins[1..n] may hold nils, numbers, strings, tensors and V(...) views.
local function compare(f, ins, n, diff, tol, msg)
  local cins, gins, cl, gl = {}, {}, {}, {}
  for i = 1, n do
    local v = ins[i]
    if torch.isTensor(v) or (type(v) == 'table' and v.base) then
      local base = torch.isTensor(v) and v or v.base
      local c, g = base:clone(), base:cuda()
      if diff and diff[i] then
        c:setRequiresGrad(); g:setRequiresGrad()
        cl[#cl + 1], gl[#gl + 1] = c, g
      end
      if torch.isTensor(v) then cins[i], gins[i] = c, g
      else
        cins[i], gins[i] = v.view(c), v.view(g)
        tester:assert(not gins[i]:isContiguous() or cins[i]:isContiguous(), msg .. ': the GPU view is not contiguous')
      end
    else
      cins[i], gins[i] = v, v
    end
  end
  local co = f(table.unpack(cins, 1, n))
  local go = f(table.unpack(gins, 1, n))
  if torch.isTensor(co) then co, go = {co}, {go} end
  for k = 1, #co do tclose(go[k], co[k]:detach(), tol, msg .. ': output ' .. k) end
  if #cl == 0 then return end
  local cg, gg, outs_c, outs_g = {}, {}, {}, {}
  for k = 1, #co do
    if co[k].requiresGrad then
      outs_c[#outs_c + 1], outs_g[#outs_g + 1] = co[k], go[k]
      local gc = gout_like(co[k]:detach())
      cg[#cg + 1], gg[#gg + 1] = gc, gc:cuda()
    end
  end
  tester:assert(#outs_c == #outs_g and #outs_c > 0, msg .. ': recorded')
  local rc = torch.grad(outs_c, cl, cg)
  local rg = torch.grad(outs_g, gl, gg)
  for k = 1, #cl do tclose(rg[k], rc[k], tol, msg .. ': gradient of input ' .. k) end
end

-- inputs of n elements in several layouts (contiguous, transposed, narrowed), values around 0
local function layouts(tp, n)
  local a = math.max(1, math.floor(math.sqrt(n)))
  while n % a ~= 0 do a = a - 1 end
  local b = n // a
  return {
    contiguous = torch.randn(n):type(tp) * 2,
    transposed = V(torch.randn(b, a):type(tp) * 2, function(t) return t:t() end),
    narrowed = V(torch.randn(a, b + 3):type(tp) * 2, function(t) return t:narrow(2, 2, b) end),
  }
end

local ACTS = {
  {'relu'}, {'threshold', 0.3, -2}, {'leakyRelu', 0.07}, {'elu', 1.3}, {'gelu'}, {'silu'},
  {'softplus', 2, 5}, {'softplus'}, {'hardtanh', -0.6, 0.8}, {'hardtanh'},
}
local function act_fn(a)
  return function(x) return torch[a[1]](x, table.unpack(a, 2)) end
end

function T.activations_forward_backward()
  for _, tp in ipairs(FLOATS) do
    for _, n in ipairs{1, 257, 100003} do
      for lname, x in pairs(layouts(tp, n)) do
        if n < 100000 or lname == 'contiguous' then
        for _, a in ipairs(ACTS) do
          compare(act_fn(a), {x}, 1, {true}, TOL[tp], string.format('%s %s n=%d %s', a[1], tp, n, lname))
        end
        end
      end
    end
    -- empty and 0-dim
    for _, a in ipairs(ACTS) do
      compare(act_fn(a), {torch.Tensor():type(tp)}, 1, nil, TOL[tp], a[1] .. ' empty')
      compare(act_fn(a), {torch.randn(1):type(tp):view({})}, 1, {true}, TOL[tp], a[1] .. ' 0-dim')
    end
  end
end

function T.activations_half_and_special_values()
  local x = torch.Tensor{-math.huge, -3, -1e-3, 0, 1e-3, 0.3, 3, math.huge, 0 / 0}
  for _, a in ipairs(ACTS) do
    for _, tp in ipairs{'torch.HalfTensor', 'torch.BFloat16Tensor'} do
      local xh = (torch.randn(33, 17) * 2):type(tp)
      tclose(act_fn(a)(xh:cuda()), act_fn(a)(xh), tp == 'torch.HalfTensor' and TOL[tp] or 2e-2, a[1] .. ' ' .. tp)
    end
    -- half forward and backward (the device kernel reads and writes half directly)
    compare(act_fn(a), {(torch.randn(19, 23) * 2):half()}, 1, {true}, TOL['torch.HalfTensor'], a[1] .. ' half gradient')
    compare(act_fn(a), {x:double()}, 1, nil, 1e-12, a[1] .. ' special values')
    compare(act_fn(a), {x:float()}, 1, nil, 1e-6, a[1] .. ' special values float')
  end
end

function T.activations_out_and_inplace()
  local x = torch.randn(20, 30)
  local g = x:cuda()
  local res = torch.Tensor():cuda()
  torch.relu(res, g)
  tclose(res, torch.relu(x), 0, 'relu into a result tensor')
  local gi = g:clone()
  torch.elu(gi, 0.5, true)
  tclose(gi, torch.elu(x, 0.5), 1e-6, 'elu in place')
  local t = g:t():clone():t()   -- an in-place op on a transposed layout
  torch.hardtanh(t, -0.5, 0.5, true)
  tclose(t, torch.hardtanh(x, -0.5, 0.5), 0, 'hardtanh in place, transposed')
  tester:assertErrorPattern(function() torch.relu(torch.Tensor(), g) end, 'device', 'result on the CPU')
  tester:assertErrorPattern(function() torch.relu(torch.LongTensor{1, -2}:cuda()) end, 'floating', 'integer input')
end

function T.activation_second_derivative()
  for _, name in ipairs{'gelu', 'silu', 'softplus', 'elu'} do
    local x = torch.randn(7, 9):double()
    local function gg(xx)
      xx:setRequiresGrad()
      local y = torch[name](xx)
      local d = torch.grad(y, xx, torch.ones(7, 9):type(xx:type()), { createGraph = true })
      return torch.grad(d, xx, torch.ones(7, 9):type(xx:type()))
    end
    tclose(gg(x:cuda()), gg(x:clone()), 1e-10, name .. ' second derivative')
  end
end

function T.prelu()
  for _, tp in ipairs(FLOATS) do
    local x, w = torch.randn(4, 5, 6, 7):type(tp), torch.rand(5):type(tp)
    compare(torch.prelu, {x, w}, 2, {true, true}, TOL[tp], 'prelu per channel ' .. tp)
    compare(torch.prelu, {V(x, function(t) return t:transpose(3, 4) end), torch.rand(1):type(tp)}, 2, {true, true}, TOL[tp], 'prelu one weight ' .. tp)
    compare(torch.prelu, {torch.randn(5):type(tp), w}, 2, {true, true}, TOL[tp], 'prelu 1-D ' .. tp)
  end
  tester:assertErrorPattern(function() torch.prelu(torch.randn(3, 5):cuda(), torch.rand(5)) end, 'device', 'mixed devices')
end

function T.softmax_every_dim()
  for _, tp in ipairs(FLOATS) do
    local x = torch.randn(6, 37, 300):type(tp) * 3
    for _, lg in ipairs{false, true} do
      local name = lg and 'logSoftmax' or 'softmax'
      for d = 1, 3 do
        compare(function(u) return torch[name](u, d) end, {x}, 1, {true}, TOL[tp], string.format('%s %s dim %d', name, tp, d))
        compare(function(u) return torch[name](u, d) end, {V(x, function(t) return t:transpose(1, 3) end)}, 1, {true}, TOL[tp],
                string.format('%s %s dim %d transposed', name, tp, d))
      end
      -- rows longer than a block, one element, many rows (> 65535), 1-D and 0-dim
      compare(function(u) return torch[name](u, 2) end, {torch.randn(3, 3000):type(tp)}, 1, {true}, TOL[tp], name .. ' long rows')
      compare(function(u) return torch[name](u, 2) end, {torch.randn(70000, 3):type(tp)}, 1, {true}, TOL[tp], name .. ' 70000 rows')
      compare(function(u) return torch[name](u, 1) end, {torch.randn(70000, 3):type(tp)}, 1, {true}, TOL[tp], name .. ' 70000 columns')
      compare(function(u) return torch[name](u, 2) end, {torch.randn(5, 1):type(tp)}, 1, {true}, TOL[tp], name .. ' length 1')
      compare(function(u) return torch[name](u) end, {torch.randn(11):type(tp)}, 1, {true}, TOL[tp], name .. ' 1-D')
      compare(function(u) return torch[name](u) end, {torch.randn(1):type(tp):view({})}, 1, {true}, TOL[tp], name .. ' 0-dim')
      -- -inf and NaN rows stay like the CPU's
      local s = torch.randn(4, 5):type(tp)
      s[1]:fill(-math.huge); s[2][3] = -math.huge; s[3][2] = 0 / 0; s[4][4] = 1e4
      compare(function(u) return torch[name](u, 2) end, {s}, 1, nil, TOL[tp], name .. ' special values')
      -- half forward
      local h = torch.randn(13, 70):half()
      tclose(torch[name](h:cuda(), 2), torch[name](h, 2), TOL['torch.HalfTensor'], name .. ' half')
    end
  end
end

function T.softmax_large()
  local x = torch.randn(1000, 5000):float() * 4
  for _, name in ipairs{'softmax', 'logSoftmax'} do
    compare(function(u) return torch[name](u, 2) end, {x}, 1, {true}, 2e-5, name .. ' 1000 x 5000')
    compare(function(u) return torch[name](u, 1) end, {x}, 1, nil, 2e-5, name .. ' 1000 x 5000 over dim 1')
  end
  local g = x:cuda()
  local res = torch.Tensor():cuda()
  torch.softmax(res, g, 2)
  tclose(res, torch.softmax(x, 2), 2e-5, 'softmax into a result tensor')
  tclose(g:logSoftmax(), x:logSoftmax(), 2e-5, 'method form')
end

-- class targets (1-based), some equal to ign
local function targets(N, C, ign)
  local t = (torch.rand(N) * C):floor():long() + 1
  if ign then t[1] = ign; if N > 3 then t[N - 1] = ign end end
  return t
end

function T.nll_and_cross_entropy()
  for _, tp in ipairs(FLOATS) do
    for _, shape in ipairs{{67, 13}, {1, 5}, {200, 700}, {13}} do
      local big = shape[1] == 200
      local N, C = #shape == 2 and shape[1] or 1, shape[#shape]
      local x = torch.randn(table.unpack(shape)):type(tp)
      local lp = torch.logSoftmax(x, #shape)
      local w = torch.rand(C):type(tp) + 0.5
      for _, red in ipairs{'none', 'mean', 'sum'} do
        local opts = {{}, {weight = w}, {ignoreIndex = math.min(3, C)}, {weight = w, ignoreIndex = 1}}
        if big then opts = {{weight = w, ignoreIndex = 1}} end
        for _, opt in ipairs(opts) do
          local t = #shape == 2 and targets(N, C, opt.ignoreIndex) or targets(1, C)
          local o = {reduction = red, weight = opt.weight and opt.weight:cuda() or nil, ignoreIndex = opt.ignoreIndex}
          local oc = {reduction = red, weight = opt.weight, ignoreIndex = opt.ignoreIndex}
          local msg = string.format('%s %s %s weight=%s ignore=%s', tp, table.concat(shape, 'x'), red,
                                    tostring(opt.weight ~= nil), tostring(opt.ignoreIndex))
          for _, name in ipairs{'nllLoss', 'crossEntropy'} do
            local input = name == 'nllLoss' and lp or x
            local function f(u, tt) return torch[name](u, tt, u:type():find('Cuda') and o or oc) end
            compare(f, {input, t}, 2, {true}, TOL[tp] * 10, name .. ' ' .. msg)
            -- float targets holding class indices, and a transposed input
            if not big then compare(f, {input, t:type(tp)}, 2, {true}, TOL[tp] * 10, name .. ' float targets ' .. msg) end
            if #shape == 2 and not big then
              local xt = V(input:t():clone(), function(u) return u:t() end)
              compare(f, {xt, t}, 2, {true}, TOL[tp] * 10, name .. ' transposed ' .. msg)
            end
          end
        end
      end
    end
  end
  -- every target ignored: mean is 0 (as on the CPU), sum 0
  local x = torch.randn(4, 3)
  for _, name in ipairs{'nllLoss', 'crossEntropy'} do
    for _, red in ipairs{'mean', 'sum'} do
      local tc = torch.LongTensor{2, 2, 2, 2}
      tclose(torch[name](x:cuda(), tc:cuda(), {ignoreIndex = 2, reduction = red}),
             torch[name](x, tc, {ignoreIndex = 2, reduction = red}), 0, name .. ' all ignored ' .. red)
    end
  end
  -- a number target for a 1-D input
  tclose(torch.nllLoss(x[1]:cuda(), 2), torch.nllLoss(x[1], 2), 1e-6, 'number target')
  -- half forward
  local h = torch.randn(20, 7):half()
  local t = targets(20, 7)
  tclose(torch.crossEntropy(h:cuda(), t:cuda()), torch.crossEntropy(h, t), 1e-2, 'crossEntropy half')
  tclose(torch.nllLoss(h:cuda(), t:cuda(), {reduction = 'none'}), torch.nllLoss(h, t, {reduction = 'none'}), 1e-3, 'nll half')
end

function T.class_loss_errors()
  local x = torch.randn(5, 4):cuda()
  tester:assertErrorPattern(function() torch.nllLoss(x, torch.LongTensor{1, 2, 5, 1, 1}:cuda()) end, 'out of range',
                            'target above C')
  tester:assertErrorPattern(function() torch.crossEntropy(x, torch.LongTensor{1, 0, 2, 1, 1}:cuda()) end, 'out of range',
                            'target 0')
  tester:assertErrorPattern(function() torch.nllLoss(x, torch.Tensor{1, 2.5, 1, 1, 1}:cuda()) end, 'whole',
                            'fractional float target')
  tester:assertErrorPattern(function() torch.nllLoss(x, torch.LongTensor{1, 2, 3, 1, 1}) end, 'device',
                            'target on the CPU')
  tester:assertErrorPattern(function() torch.nllLoss(x, torch.LongTensor{1, 2, 3, 1, 1}:cuda(), {weight = torch.rand(4)}) end,
                            'device', 'weights on the CPU')
end

-- the elementwise losses: name, how to call it, the inputs (a, b[, w[, pw]]), diff
local function eloss_cases(tp, shape)
  local a, b = torch.randn(table.unpack(shape)):type(tp), torch.randn(table.unpack(shape)):type(tp)
  local p = (torch.rand(table.unpack(shape)) * 0.98 + 0.01):type(tp)
  local t01 = torch.rand(table.unpack(shape)):type(tp)
  local w = torch.rand(table.unpack(shape)):type(tp) + 0.5
  local last = shape[#shape]
  local pw = torch.rand(last):type(tp) + 0.5
  local pos = torch.rand(table.unpack(shape)):type(tp) + 0.01
  local lpk = torch.logSoftmax(torch.randn(table.unpack(shape)):type(tp), #shape)
  pos[1] = 0   -- kl: zero targets
  return {
    {'mseLoss', function(u, v, red) return torch.mseLoss(u, v, red) end, {a, b}},
    {'l1Loss', function(u, v, red) return torch.l1Loss(u, v, red) end, {a, b}},
    {'smoothL1Loss', function(u, v, red) return torch.smoothL1Loss(u, v, red) end, {a, b}},
    {'smoothL1Loss beta 0.3', function(u, v, red) return torch.smoothL1Loss(u, v, red, 0.3) end, {a, b}},
    {'klDiv', function(u, v, red) return torch.klDiv(u, v, red) end, {lpk, pos}},
    {'bceLoss', function(u, v, red) return torch.bceLoss(u, v, red) end, {p, t01}},
    {'bceLoss weight', function(u, v, ww, red) return torch.bceLoss(u, v, ww, red) end, {p, t01, w}},
    {'bceWithLogits', function(u, v, red) return torch.bceWithLogits(u, v, red) end, {a, t01}},
    {'bceWithLogits weight posWeight', function(u, v, ww, pp, red) return torch.bceWithLogits(u, v, ww, pp, red) end,
     {a, t01, w, pw}},
  }
end

function T.elementwise_losses()
  for _, tp in ipairs(FLOATS) do
    for _, shape in ipairs{{37, 53}, {1}, {100003}} do
      for _, case in ipairs(shape[1] > 100000 and tp == 'torch.DoubleTensor' and {} or eloss_cases(tp, shape)) do
        local skip = shape[1] > 100000 and not ({mseLoss = 1, bceLoss = 1, ['bceWithLogits weight posWeight'] = 1})[case[1]]
        for _, red in ipairs(skip and {} or {'none', 'mean', 'sum'}) do
          local ins = {}
          for i, v in ipairs(case[3]) do ins[i] = v end
          local n = #ins
          ins[n + 1] = red
          local msg = string.format('%s %s %s %s', case[1], tp, table.concat(shape, 'x'), red)
          -- gradients of both the input and the target
          compare(case[2], ins, n + 1, {true, true}, TOL[tp] * 10, msg)
          if #shape == 2 then   -- transposed inputs
            local tins = {}
            for i = 1, n do tins[i] = V(ins[i]:t():clone(), function(u) return u:t() end) end
            tins[n + 1] = red
            compare(case[2], tins, n + 1, {true, true}, TOL[tp] * 10, msg .. ' transposed')
          end
        end
      end
    end
  end
  -- empty input: mean is NaN, sum 0 (as on the CPU)
  for _, red in ipairs{'mean', 'sum', 'none'} do
    compare(function(u, v) return torch.mseLoss(u, v, red) end, {torch.Tensor(0), torch.Tensor(0)}, 2, nil, 0, 'mse empty ' .. red)
  end
  -- half forward
  local a, b = torch.randn(40, 9):half(), torch.randn(40, 9):half()
  tclose(torch.mseLoss(a:cuda(), b:cuda()), torch.mseLoss(a, b), 1e-2, 'mse half')
  tclose(torch.bceWithLogits(a:cuda(), b:cuda(), 'none'), torch.bceWithLogits(a, b, 'none'), 1e-2, 'bceWithLogits half')
end

function T.elementwise_loss_errors()
  local p = torch.rand(10):cuda()
  p[4] = 1.5
  tester:assertErrorPattern(function() torch.bceLoss(p, torch.rand(10):cuda()) end, 'element 4 is 1.5', 'bce input above 1')
  tester:assertErrorPattern(function() torch.mseLoss(torch.rand(10):cuda(), torch.rand(10)) end, 'device', 'mixed devices')
  tester:assertErrorPattern(function() torch.bceWithLogits(torch.rand(10):cuda(), torch.rand(10):cuda(), torch.rand(10)) end,
                            'device', 'weight on the CPU')
end

-- the cells: h1, c1 (LSTM) or h1 (GRU), gradients of every operand
function T.lstm_and_gru_cells()
  for _, tp in ipairs(FLOATS) do
    for _, v in ipairs{{3, 5, 7}, {1, 4, 1}, {64, 33, 300}} do
      local B, I, H = v[1], v[2], v[3]
      local function r(...) return (torch.randn(...) * 0.5):type(tp) end
      local msg = string.format('%s B=%d I=%d H=%d', tp, B, I, H)
      local lstm = function(...) return {torch.lstmCell(...)} end
      compare(lstm, {r(B, I), r(B, H), r(B, H), r(4 * H, I), r(4 * H, H), r(4 * H), r(4 * H)}, 7,
              {true, true, true, true, true, true, true}, TOL[tp] * 5, 'lstm ' .. msg)
      compare(lstm, {r(B, 4 * H), r(B, H), r(B, H), nil, r(4 * H, H), nil, r(4 * H)}, 7,
              {true, true, true, nil, true, nil, true}, TOL[tp] * 5, 'lstm without wIh ' .. msg)
      -- h and c as narrowed views (rows not contiguous)
      compare(lstm, {r(B, I), V(r(B, H + 2), function(t) return t:narrow(2, 2, H) end),
                     V(r(B, H + 3), function(t) return t:narrow(2, 1, H) end), r(4 * H, I), r(4 * H, H)}, 5,
              {true, true, true, true, true}, TOL[tp] * 5, 'lstm narrowed ' .. msg)
      compare(torch.gruCell, {r(B, I), r(B, H), r(3 * H, I), r(3 * H, H), r(3 * H), r(3 * H)}, 6,
              {true, true, true, true, true, true}, TOL[tp] * 5, 'gru ' .. msg)
      compare(torch.gruCell, {r(B, 3 * H), V(r(B, H + 1), function(t) return t:narrow(2, 2, H) end), nil, r(3 * H, H), r(3 * H), r(3 * H)}, 6,
              {true, true, nil, true, true, true}, TOL[tp] * 5, 'gru without wIh ' .. msg)
    end
    -- one sample (1-D operands)
    local H, I = 6, 4
    local function r(...) return (torch.randn(...) * 0.5):type(tp) end
    compare(function(...) return {torch.lstmCell(...)} end, {r(I), r(H), r(H), r(4 * H, I), r(4 * H, H), r(4 * H), r(4 * H)}, 7,
            {true, true, true, true, true, true, true}, TOL[tp] * 5, 'lstm 1-D ' .. tp)
    compare(torch.gruCell, {r(I), r(H), r(3 * H, I), r(3 * H, H)}, 4, {true, true, true, true}, TOL[tp] * 5, 'gru 1-D ' .. tp)
  end
  tester:assertErrorPattern(function()
    torch.gruCell(torch.randn(2, 3):cuda(), torch.randn(2, 4):cuda(), torch.randn(12, 3), torch.randn(12, 4):cuda())
  end, 'device', 'gru with a CPU weight')
end

-- a sequence through unbindSteps and a few LSTM steps (the nn.LSTM pattern)
function T.unbind_steps_and_a_sequence()
  for _, tp in ipairs(FLOATS) do
    local S, B, I, H = 6, 3, 5, 4
    local x = torch.randn(S, B, I):type(tp)
    local wi, wh, b = torch.randn(4 * H, I):type(tp) * 0.3, torch.randn(4 * H, H):type(tp) * 0.3, torch.randn(4 * H):type(tp)
    local function run(xx, wwi, wwh, bb)
      local steps = torch.unbindSteps(xx)
      local h = torch.zeros(B, H):type(xx:type())
      local c = torch.zeros(B, H):type(xx:type())
      local outs = {}
      for s = 1, S do
        h, c = torch.lstmCell(steps[s], h, c, wwi, wwh, bb)
        outs[#outs + 1] = h
      end
      local sum = outs[1]
      for s = 2, S do sum = sum + outs[s] * s end
      return {sum, c}
    end
    compare(run, {x, wi, wh, b}, 4, {true, true, true, true}, TOL[tp] * 10, 'lstm sequence ' .. tp)
    compare(function(xx)
      local st = torch.unbindSteps(xx)
      return st[2] * 3 + st[5]
    end, {x}, 1, {true}, TOL[tp], 'unbindSteps ' .. tp)
  end
end

-- nn modules after :cuda(): the CPU's outputs and gradInputs (float32)
function T.nn_modules_after_cuda()
  local function mod(m, x, msg)
    local mc = m:clone():cuda()
    local xc = x:cuda()   -- (backward takes the tensor forward was given)
    local y = m:forward(x)
    local yc = mc:forward(xc)
    tclose(yc, y, 1e-5, msg .. ' output')
    local g = torch.randn(y:size()):float()
    local gi = m:backward(x, g)
    local gic = mc:backward(xc, g:cuda())
    tclose(gic, gi, 1e-5, msg .. ' gradInput')
  end
  local x = torch.randn(8, 10):float()
  mod(nn.ReLU(), x, 'nn.ReLU')
  mod(nn.LogSoftMax(), x, 'nn.LogSoftMax')
  local function crit(c, input, target, cinput, ctarget, msg)
    local cc = c:clone():cuda()
    local l = c:forward(input, target)
    local lc = cc:forward(cinput, ctarget)
    tester:assert(math.abs(l - lc) <= 1e-5 * math.max(1, math.abs(l)), msg .. ' loss ' .. lc .. ' vs ' .. l)
    local gi = c:backward(input, target)
    local gic = cc:backward(cinput, ctarget)
    tclose(gic, gi, 1e-5, msg .. ' gradInput')
  end
  local t = targets(8, 10)
  local lp = torch.logSoftmax(x, 2)
  crit(nn.ClassNLLCriterion(), lp, t, lp:cuda(), t:cuda(), 'nn.ClassNLLCriterion')
  local w = torch.rand(10):float() + 0.5
  crit(nn.ClassNLLCriterion(w), lp, t, lp:cuda(), t:cuda(), 'nn.ClassNLLCriterion weights')
  crit(nn.CrossEntropyCriterion(), x, t, x:cuda(), t:cuda(), 'nn.CrossEntropyCriterion')
  crit(nn.CrossEntropyCriterion(w), x, t, x:cuda(), t:cuda(), 'nn.CrossEntropyCriterion weights')
  local y = torch.randn(8, 10):float()
  crit(nn.MSECriterion(), x, y, x:cuda(), y:cuda(), 'nn.MSECriterion')
  local p, q = torch.rand(8, 10):float() * 0.9 + 0.05, torch.rand(8, 10):float()
  crit(nn.BCECriterion(), p, q, p:cuda(), q:cuda(), 'nn.BCECriterion')
end

return tester:add(T)
