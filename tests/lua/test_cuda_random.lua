-- The CUDA random fills (tensor/cuda/random.cu), multinomial, element get/set, where and
-- histc: every result is compared with the CPU's. A seed gives the same numbers on both
-- (the same Philox stream and element rule, philox.h), and a fill on either device
-- advances the generator the same way. Skipped (with the reason) where no GPU is present.
local tester = torch.Tester()
local ok, why = torch.cudaAvailable()
if not ok then
  tester.skipReason = 'no GPU: ' .. tostring(why)
  return tester
end
require 'nn'
local T = torch.TestSuite()

-- the CUDA tensor type of a CPU type name ('torch.DoubleTensor' -> 'torch.CudaDoubleTensor',
-- 'torch.FloatTensor' -> 'torch.CudaTensor')
local function cudaType(tp)
  local n = tp:match('^torch%.(%a+)$')
  return n == 'FloatTensor' and 'torch.CudaTensor' or 'torch.Cuda' .. n
end
local function gpu(t) return t:type(cudaType(t:type())) end

-- max |g - c| / (1 + |c|) over the elements, in double on the CPU
local function relerr(g, c)
  local gd, cd = g:detach():double(), c:detach():double()
  if gd:nElement() == 0 then return 0 end
  return ((gd - cd):abs():cdiv(cd:clone():abs():add(1))):max()
end
local function mismatches(g, c) return (g:double():ne(c:double())):sum() end
local function mismatches_long(g, c) return (g:long():ne(c:long())):sum() end

local FLOATS = {'torch.FloatTensor', 'torch.DoubleTensor', 'torch.HalfTensor'}
-- the transforms in double, or in float (narrow normals): the device's libm may differ in
-- the last bits (tol); the uniform/bernoulli/integer rules are exact arithmetic (0)
local DISTS = {
  {'uniform', {-2, 3}, {0, 0, 0}},
  {'uniform', {}, {0, 0, 0}},
  {'normal', {1, 2}, {1e-5, 1e-12, 2e-3}},
  {'logNormal', {0.5, 0.7}, {1e-5, 1e-12, 2e-3}},
  {'exponential', {2}, {1e-6, 1e-13, 2e-3}},
  {'cauchy', {1, 0.5}, {1e-6, 1e-12, 2e-3}},
  {'geometric', {0.3}, {0, 0, 0}},
  {'bernoulli', {0.3}, {0, 0, 0}},
}

-- fill a tensor of type tp and size sz (made by mk) on each device after the same seed
local function both(tp, mk, method, args, seed)
  torch.manualSeed(seed or 11)
  local c = mk(tp)
  c[method](c, table.unpack(args))
  torch.manualSeed(seed or 11)
  local g = mk(cudaType(tp))
  g[method](g, table.unpack(args))
  return g, c
end

function T.fills_match_cpu_every_distribution_and_dtype()
  -- sizes: one element, not a multiple of 4 or of the block, and several blocks
  for _, n in ipairs{1, 7, 1003, 100003} do
    for _, d in ipairs(DISTS) do
      local method, args, tols = d[1], d[2], d[3]
      for k, tp in ipairs(FLOATS) do
        local g, c = both(tp, function(t) return torch[t:match('^torch%.(%a+)$')](n) end, method, args)
        tester:assert(g:type():find('Cuda'), 'result stays on the GPU')
        local msg = string.format('%s %s n=%d', method, tp, n)
        if method == 'geometric' then
          -- floor() of a quotient computed by two libms: allow a rare flip at an integer
          tester:assertle(mismatches(g, c), 2, msg)
        else
          tester:assertle(relerr(g, c), tols[k], msg)
        end
      end
    end
  end
end

function T.fills_integer_dtypes()
  for _, tp in ipairs{'torch.LongTensor', 'torch.IntTensor', 'torch.ShortTensor', 'torch.CharTensor',
                      'torch.ByteTensor', 'torch.FloatTensor', 'torch.DoubleTensor', 'torch.HalfTensor'} do
    local mk = function(t) return torch[t:match('^torch%.(%a+)$')](1001) end
    local g, c = both(tp, mk, 'random', {})
    tester:eq(mismatches(g, c), 0, tp .. ' random()')
    g, c = both(tp, mk, 'random', {10})
    tester:eq(mismatches(g, c), 0, tp .. ' random(10)')
    if tp ~= 'torch.ByteTensor' then
      g, c = both(tp, mk, 'random', {-5, 100})
      tester:eq(mismatches(g, c), 0, tp .. ' random(-5, 100)')
    end
    g, c = both(tp, mk, 'bernoulli', {0.6})
    tester:eq(mismatches(g, c), 0, tp .. ' bernoulli')
    g, c = both(tp, mk, 'geometric', {0.2})
    tester:assertle(mismatches(g, c), 1, tp .. ' geometric')
  end
  -- wide integer draws (a range of more than 2^16 values) and the whole int64 range
  local mk = function(t) return torch[t:match('^torch%.(%a+)$')](999) end
  local g, c = both('torch.LongTensor', mk, 'random', {-3, 1e12})
  tester:eq(mismatches_long(g, c), 0, 'random over a wide range')
  g, c = both('torch.LongTensor', mk, 'random', {})
  tester:eq(mismatches_long(g, c), 0, 'random() of LongTensor (63 bits)')
  g, c = both('torch.IntTensor', mk, 'random', {1, 100000})
  tester:eq(mismatches(g, c), 0, 'IntTensor random(1, 100000)')
  g, c = both('torch.BoolTensor', mk, 'bernoulli', {0.5})
  tester:eq(mismatches(g, c), 0, 'BoolTensor bernoulli')
end

function T.non_contiguous_targets_same_logical_order()
  for k, tp in ipairs(FLOATS) do
    local name = tp:match('^torch%.(%a+)$')
    -- a transpose, a narrowed column block, a strided slice
    local views = {
      function(t) return torch[t:match('^torch%.(%a+)$')](40, 30):t() end,
      function(t) return torch[t:match('^torch%.(%a+)$')](20, 50):narrow(2, 5, 17) end,
      function(t) return torch[t:match('^torch%.(%a+)$')](10, 9, 8):select(3, 2) end,
    }
    for v, mk in ipairs(views) do
      for _, d in ipairs{{'uniform', {0, 1}, 0}, {'normal', {0, 1}, ({1e-5, 1e-12, 2e-3})[k]},
                         {'bernoulli', {0.4}, 0}} do
        local g, c = both(tp, mk, d[1], d[2])
        tester:assert(not g:isContiguous() or v == 3, 'a non-contiguous target')
        tester:assertle(relerr(g, c), d[3], string.format('%s %s view %d', d[1], name, v))
      end
    end
    -- the rest of the storage is untouched
    local base = torch[name](6, 8):fill(7)
    local gbase = gpu(base)
    torch.manualSeed(3); base:narrow(2, 2, 3):uniform()
    torch.manualSeed(3); gbase:narrow(2, 2, 3):uniform()
    tester:eq(relerr(gbase, base), 0, name .. ' fill of a narrowed view, the storage around it')
  end
end

function T.generator_advances_identically()
  -- two draws in a row, every mix of devices: the CPU's sequence each time
  local function seq(devs)
    torch.manualSeed(5)
    local out = {}
    for i, d in ipairs(devs) do
      local t = d == 'gpu' and torch.CudaTensor(1001) or torch.FloatTensor(1001)
      if i % 2 == 1 then t:uniform() else t:normal() end
      out[i] = t:float()
    end
    out[#out + 1] = torch.FloatTensor(3):uniform()   -- what follows is in step too
    return out
  end
  local ref = seq{'cpu', 'cpu', 'cpu'}
  for _, devs in ipairs{{'gpu', 'gpu', 'gpu'}, {'gpu', 'cpu', 'gpu'}, {'cpu', 'gpu', 'cpu'}} do
    local s = seq(devs)
    for i = 1, #ref do
      tester:assertle(relerr(s[i], ref[i]), 1e-5, table.concat(devs, ',') .. ' draw ' .. i)
    end
  end
  -- double (wide) fills advance by n/2 blocks, narrow ones by n/4: the same on both
  torch.manualSeed(9)
  local a1, a2 = torch.DoubleTensor(101):uniform(), torch.FloatTensor(13):uniform()
  torch.manualSeed(9)
  local b1, b2 = torch.CudaDoubleTensor(101):uniform(), torch.CudaTensor(13):uniform()
  tester:eq(relerr(b1, a1), 0, 'wide fill')
  tester:eq(relerr(b2, a2), 0, 'narrow fill after a wide one')
  -- the state round trip
  local st = torch.getRNGState()
  local x = torch.CudaTensor(50):uniform():float()
  torch.setRNGState(st)
  tester:eq(relerr(torch.FloatTensor(50):uniform(), x), 0, 'getRNGState/setRNGState')
  -- the brief's example
  torch.manualSeed(1)
  local a = torch.rand(1000)
  torch.manualSeed(1)
  local b = torch.CudaTensor(1000):uniform()
  tester:eq(relerr(b, a), 0, 'torch.rand and CudaTensor:uniform')
end

function T.statistics_of_a_million_samples()
  local n = 1000000
  local function ms(t)
    local d = t:double()
    local m = d:mean()
    return m, (d - m):pow(2):mean()
  end
  torch.manualSeed(21)
  local m, v = ms(torch.CudaTensor(n):uniform())
  tester:assertlt(math.abs(m - 0.5), 2e-3, 'uniform mean')
  tester:assertlt(math.abs(v - 1 / 12), 2e-3, 'uniform var')
  m, v = ms(torch.CudaTensor(n):normal(1, 2))
  tester:assertlt(math.abs(m - 1), 1e-2, 'normal mean')
  tester:assertlt(math.abs(v - 4), 4e-2, 'normal var')
  m, v = ms(torch.CudaDoubleTensor(n):normal())
  tester:assertlt(math.abs(m), 5e-3, 'double normal mean')
  tester:assertlt(math.abs(v - 1), 1e-2, 'double normal var')
  m, v = ms(torch.CudaTensor(n):exponential(2))
  tester:assertlt(math.abs(m - 0.5), 5e-3, 'exponential mean')
  tester:assertlt(math.abs(v - 0.25), 5e-3, 'exponential var')
  m = ms(torch.CudaTensor(n):bernoulli(0.3))
  tester:assertlt(math.abs(m - 0.3), 3e-3, 'bernoulli mean')
  m = ms(torch.CudaTensor(n):geometric(0.5))   -- Torch7: p(i) = (1-p) p^(i-1), mean 1/(1-p)
  tester:assertlt(math.abs(m - 2), 2e-2, 'geometric mean')
  local r = torch.CudaLongTensor(n):random(1, 6):double()
  tester:assertlt(math.abs(r:mean() - 3.5), 1e-2, 'random(1, 6) mean')
  tester:eq(r:min(), 1, 'random min')
  tester:eq(r:max(), 6, 'random max')
  local u = torch.CudaHalfTensor(n):uniform(0, 1):double()
  tester:assertlt(u:max(), 1, 'half uniform stays below 1')
end

function T.bernoulli_with_tensor_probabilities()
  torch.manualSeed(4)
  local p = torch.rand(50, 40)
  for _, tp in ipairs{'torch.FloatTensor', 'torch.DoubleTensor', 'torch.HalfTensor', 'torch.ByteTensor'} do
    torch.manualSeed(8)
    local c = torch.Tensor():type(tp):resize(50, 40):bernoulli(p)
    torch.manualSeed(8)
    local g = torch.Tensor():type(cudaType(tp)):resize(50, 40):bernoulli(gpu(p))
    tester:eq(mismatches(g, c), 0, tp .. ' bernoulli(p tensor)')
  end
  -- broadcast probabilities, a double p for a float target, a transposed target
  local row = torch.rand(40):double()
  torch.manualSeed(8)
  local c = torch.FloatTensor(50, 40):bernoulli(row)
  torch.manualSeed(8)
  local g = torch.CudaTensor(50, 40):bernoulli(gpu(row))
  tester:eq(mismatches(g, c), 0, 'broadcast p')
  torch.manualSeed(8)
  c = torch.FloatTensor(40, 50):t():bernoulli(p)
  torch.manualSeed(8)
  g = torch.CudaTensor(40, 50):t():bernoulli(gpu(p))
  tester:eq(mismatches(g, c), 0, 'transposed target')
  -- errors: a probability out of [0, 1] (the first, as on the CPU), mixed devices
  local bad = p:clone()
  bad[3][7] = 1.5
  bad[9][1] = -1
  tester:assertErrorPattern(function() torch.CudaTensor(50, 40):bernoulli(gpu(bad)) end, 'got 1.5', 'p out of range')
  tester:assertErrorPattern(function() torch.CudaTensor(50, 40):bernoulli(p) end, 'different devices', 'mixed devices')
end

function T.dropout_mask_matches_cpu()
  local x = torch.randn(64, 33)
  local m = nn.Dropout(0.4)
  torch.manualSeed(2)
  local yc = m:forward(x):clone()
  torch.manualSeed(2)
  local yg = m:forward(x:cuda())
  tester:assertle(relerr(yg, yc), 1e-6, 'dropout on the GPU draws the CPU mask')
  -- the mask alone: bernoulli on a CUDA tensor
  torch.manualSeed(2)
  local a = torch.FloatTensor(1000):bernoulli(0.6)
  torch.manualSeed(2)
  local b = torch.CudaTensor(1000):bernoulli(0.6)
  tester:eq(mismatches(b, a), 0, 'bernoulli mask')
end

function T.randperm_into_a_cuda_tensor()
  torch.manualSeed(6)
  local c = torch.randperm(500)
  local after_c = torch.rand(4)
  torch.manualSeed(6)
  local g = torch.randperm(torch.CudaLongTensor(), 500)
  local after_g = torch.rand(4)
  tester:assert(g:type() == 'torch.CudaLongTensor', 'result on the GPU')
  tester:eq(mismatches(g, c), 0, 'same permutation')
  tester:eq(relerr(after_g, after_c), 0, 'the generator advanced the same')
  local gf = torch.randperm(torch.CudaTensor(), 100)
  tester:eq(gf:double():sort():squeeze(), torch.range(1, 100):double(), 0, 'a permutation of 1..n')
end

function T.multinomial_matches_cpu()
  torch.manualSeed(13)
  local w = torch.rand(7, 30)
  w[2]:zero()
  w[2][5] = 1                  -- a row with one nonzero weight
  w[3]:narrow(1, 1, 10):zero() -- and zeros at the start
  w[4][30] = 0                 -- at the end
  for _, tp in ipairs{'torch.DoubleTensor', 'torch.FloatTensor'} do
    local wt = w:type(tp)
    for _, repl in ipairs{true, false} do
      local n = repl and 50 or 1
      torch.manualSeed(3)
      local c = torch.multinomial(wt, n, repl)
      local after_c = torch.rand(3)
      torch.manualSeed(3)
      local g = torch.multinomial(gpu(wt), n, repl)
      local after_g = torch.rand(3)
      tester:assert(g:type() == 'torch.CudaLongTensor', 'indices on the GPU')
      tester:eq(mismatches(g, c), 0, tp .. (repl and ' with' or ' without') .. ' replacement')
      tester:eq(relerr(after_g, after_c), 0, 'the generator advanced the same')
    end
  end
  -- without replacement, as many draws as nonzero weights, 1-D weights, many categories
  local w1 = torch.rand(20)
  w1[4] = 0
  torch.manualSeed(2)
  local c = torch.multinomial(w1, 19, false)
  torch.manualSeed(2)
  local g = torch.multinomial(gpu(w1), 19, false)
  tester:eq(mismatches(g, c), 0, '1-D, all nonzero categories')
  local big = torch.rand(3, 100000):double()
  for _, repl in ipairs{true, false} do
    torch.manualSeed(2)
    c = torch.multinomial(big, 1000, repl)
    torch.manualSeed(2)
    g = torch.multinomial(gpu(big), 1000, repl)
    tester:eq(mismatches(g, c), 0, '100000 categories ' .. tostring(repl))
  end
  -- statistics of many draws with replacement
  local p = torch.Tensor{1, 2, 3, 4}:double()
  local s = torch.multinomial(gpu(p), 100000, true):double()
  for k = 1, 4 do
    local frac = s:eq(k):double():mean()
    tester:assertlt(math.abs(frac - k / 10), 1e-2, 'frequency of category ' .. k)
  end
  -- errors, with the CPU's messages
  local neg = torch.Tensor{{1, 2}, {1, -1}}:double()
  tester:assertErrorPattern(function() torch.multinomial(gpu(neg), 1, true) end, 'non%-negative, got %-1 %(row 2%)', 'negative weight')
  local zero = torch.Tensor{{1, 2}, {0, 0}}:double()
  tester:assertErrorPattern(function() torch.multinomial(gpu(zero), 1, true) end, 'row 2 sum to zero', 'zero row')
  local few = torch.Tensor{1, 0, 1}:double()
  tester:assertErrorPattern(function() torch.multinomial(gpu(few), 3, false) end, 'from 2 categories', 'too few categories')
  tester:eq(torch.multinomial(gpu(few), 0, true):nElement(), 0, 'no samples')
end

function T.element_get_set()
  for _, tp in ipairs{'torch.FloatTensor', 'torch.DoubleTensor', 'torch.HalfTensor', 'torch.LongTensor',
                      'torch.IntTensor', 'torch.ByteTensor', 'torch.BoolTensor'} do
    local c = torch.Tensor{{1, 2, 3}, {4, 5, 6}}:type(tp)
    local g = gpu(c)
    tester:eq(g[2][3], c[2][3], 'read ' .. tp)
    local v = tp == 'torch.BoolTensor' and false or 9
    g[1][2] = v
    c[1][2] = v
    tester:eq(mismatches(g, c), 0, 'write ' .. tp)
    -- through a transposed view
    g:t()[3][1] = 1
    c:t()[3][1] = 1
    tester:eq(mismatches(g, c), 0, 'write through a view ' .. tp)
  end
  local g = torch.CudaLongTensor(3):zero()
  g[2] = 2 ^ 40 + 3
  tester:assert(g[2] == 2 ^ 40 + 3, 'int64 element')
  local h = torch.CudaHalfTensor(2):fill(0)
  h[1] = 0.1
  tester:eq(h[1], torch.HalfTensor{0.1}[1], 'half element rounds as on the CPU')
  tester:assertError(function() return g[4] end, 'index out of range')
end

function T.where_matches_cpu()
  torch.manualSeed(17)
  local a, b = torch.randn(7, 5), torch.randn(5)
  local cond = torch.rand(7, 1):gt(0.5)
  local c = torch.where(cond, a, b)
  local g = torch.where(gpu(cond), gpu(a), gpu(b))
  tester:eq(relerr(g, c), 0, 'broadcast cond and b')
  -- same shapes, the float32 fast path
  local a2, b2, c2 = torch.randn(300, 301), torch.randn(300, 301), torch.rand(300, 301):gt(0.3)
  tester:eq(relerr(torch.where(gpu(c2), gpu(a2), gpu(b2)), torch.where(c2, a2, b2)), 0, 'contiguous float32')
  tester:eq(relerr(torch.where(gpu(c2):t(), gpu(a2):t(), gpu(b2):t()), torch.where(c2:t(), a2:t(), b2:t())), 0, 'transposed')
  -- mixed dtypes (promotion), integer tensors, scalars, a bool condition
  local ia = (torch.rand(6, 4) * 100):long()
  local d = torch.rand(6, 4):double()
  local cb = torch.rand(6, 4):gt(0.5):type('torch.BoolTensor')
  tester:eq(relerr(torch.where(gpu(cb), gpu(ia), gpu(d)), torch.where(cb, ia, d)), 0, 'long/double')
  tester:eq(mismatches(torch.where(gpu(cb), gpu(ia), 0), torch.where(cb, ia, 0)), 0, 'scalar operand')
  local big = torch.rand(200000):gt(0.5)
  local x, y = torch.randn(200000):double(), torch.randn(200000):double()
  tester:eq(relerr(torch.where(gpu(big), gpu(x), gpu(y)), torch.where(big, x, y)), 0, 'large')
  tester:assertErrorPattern(function() torch.where(gpu(cond), gpu(a), b) end, 'different devices', 'mixed devices')
  tester:assertErrorPattern(function() torch.where(cond, gpu(a), gpu(b)) end, 'different devices', 'a CPU condition')
  -- gradients on CUDA equal to the CPU's
  local ga, gb = a:clone():setRequiresGrad(), b:clone():setRequiresGrad()
  torch.where(cond, ga, gb):sum():backward()
  local ca, cb2 = gpu(a):setRequiresGrad(), gpu(b):setRequiresGrad()
  torch.where(gpu(cond), ca, cb2):sum():backward()
  tester:eq(relerr(ca.grad, ga.grad), 0, 'grad a')
  tester:eq(relerr(cb2.grad, gb.grad), 0, 'grad b')
end

function T.histc_matches_cpu()
  torch.manualSeed(19)
  local x = torch.randn(100003)
  for _, tp in ipairs{'torch.FloatTensor', 'torch.DoubleTensor', 'torch.HalfTensor', 'torch.LongTensor'} do
    local xt = (tp == 'torch.LongTensor') and (x * 10):long() or x:type(tp)
    for _, args in ipairs{{100}, {10, -1, 1}, {20000, -2, 2}, {1}} do
      local c = torch.histc(xt, table.unpack(args))
      local g = torch.histc(gpu(xt), table.unpack(args))
      tester:eq(g:type(), cudaType(c:type()), 'result type')
      tester:eq(mismatches(g, c), 0, tp .. ' bins ' .. args[1])
    end
  end
  -- the value == max edge: in the last bin; values outside and NaN are not counted
  local e = torch.Tensor{0, 1, 2, 2, 3, 5, 0 / 0, -1}:double()
  tester:eq(torch.histc(gpu(e), 3, 0, 2):double(), torch.histc(e, 3, 0, 2):double(), 0, 'max edge')
  tester:eq(torch.histc(gpu(e), 4):double(), torch.histc(e, 4):double(), 0, 'data range')
  -- any min == max takes the data's range (Torch7's rule): [-1, 5], bins 1.5 wide
  tester:eq(torch.histc(gpu(e), 4, 3, 3):double(), torch.DoubleTensor{2, 1, 3, 1}, 0, 'min == max == 3')
  local same = torch.Tensor(10):fill(3)
  tester:eq(torch.histc(gpu(same), 5):double(), torch.histc(same, 5):double(), 0, 'all equal')
  local v = x:narrow(1, 1, 1000):view(40, 25)
  tester:eq(torch.histc(gpu(v):t(), 7):double(), torch.histc(v:t(), 7):double(), 0, 'view')
  tester:eq(torch.histc(torch.CudaTensor(0), 4):double():sum(), 0, 'empty')
  tester:assertErrorPattern(function() torch.histc(gpu(x), 10, 2, 1) end, 'larger than max', 'min > max')
end

function T.empty_and_one_element()
  for _, m in ipairs{'uniform', 'normal', 'bernoulli'} do
    local t = torch.CudaTensor(0)
    t[m](t)
    tester:eq(t:nElement(), 0, m .. ' of an empty tensor')
  end
  torch.manualSeed(1)
  local a = torch.FloatTensor(1):normal()
  torch.manualSeed(1)
  local b = torch.CudaTensor(1):normal()
  tester:assertle(relerr(b, a), 1e-5, 'one element')
end

tester:add(T)
return tester
