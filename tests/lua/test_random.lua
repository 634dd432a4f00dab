-- Random numbers (bindings/random.c): seeds and state, tensor fills, Lua numbers,
-- rand/randn/randperm/multinomial.
local tester = torch.Tester()
local T = torch.TestSuite()

local function same(a, b, msg) tester:eq(a, b, 0, msg) end

-- mean, standard deviation, min, max of all elements (plain Lua: no reductions needed)
local function stats(t)
  local v = t:contiguous():view(-1):totable()
  local n, s = #v, 0
  local lo, hi = math.huge, -math.huge
  for i = 1, n do
    local x = v[i]
    if type(x) == 'boolean' then x = x and 1 or 0 end
    s = s + x
    if x < lo then lo = x end
    if x > hi then hi = x end
  end
  local m, ss = s / n, 0
  for i = 1, n do
    local x = v[i]
    if type(x) == 'boolean' then x = x and 1 or 0 end
    ss = ss + (x - m) ^ 2
  end
  return m, math.sqrt(ss / (n - 1)), lo, hi
end

local function counts(t, k)
  local c = {}
  for i = 1, k do c[i] = 0 end
  for _, x in ipairs(t:contiguous():view(-1):totable()) do c[x] = (c[x] or 0) + 1 end
  return c
end

function T.seed_reproducible()
  torch.manualSeed(123)
  local a = torch.rand(1000)
  local u = torch.uniform()
  torch.manualSeed(123)
  same(torch.rand(1000), a, 'same seed, same tensor')
  tester:eq(torch.uniform(), u, 'same seed, same number')
  tester:eq(torch.initialSeed(), 123)
  torch.manualSeed(124)
  tester:ne(torch.rand(1000), a, 0.1, 'another seed, other numbers')
  local s = torch.seed()
  tester:eq(math.type(s), 'integer')
  tester:eq(torch.initialSeed(), s)
  torch.manualSeed(s)
  local x = torch.randn(10)
  torch.manualSeed(torch.initialSeed())
  same(torch.randn(10), x)
end

function T.rng_state()
  torch.manualSeed(7)
  torch.normal()                 -- leaves a cached Box-Muller value
  local st = torch.getRNGState()
  tester:eq(torch.type(st), 'torch.ByteTensor')
  local a, b, t = torch.normal(), torch.uniform(), torch.randn(5)
  tester:assert(torch.setRNGState(st) == st, 'returns its argument')
  tester:eq(torch.normal(), a)
  tester:eq(torch.uniform(), b)
  same(torch.randn(5), t)
  tester:assertErrorPattern(function() torch.setRNGState(torch.ByteTensor(3)) end, 'getRNGState')
end

function T.layouts_and_types()
  torch.manualSeed(5)
  local c = torch.DoubleTensor(30, 40):normal()
  torch.manualSeed(5)
  local t = torch.DoubleTensor(40, 30):t():normal()
  same(t, c, 'element i in row-major order whatever the strides')
  torch.manualSeed(9)
  local h = torch.HalfTensor(16):uniform()
  torch.manualSeed(9)
  local f = torch.FloatTensor(16):uniform()
  tester:eq(h:float(), f, 1e-3, 'half through float32')
  tester:assertErrorPattern(function() torch.LongTensor(3):uniform() end, 'floating point')
  tester:assertErrorPattern(function() torch.IntTensor(3):normal() end, 'normal')
end

function T.rand_randn()
  torch.manualSeed(1)
  local r = torch.rand(2, 3)
  tester:eq(r:dim(), 2); tester:eq(r:size(2), 3)
  tester:eq(torch.type(r), 'torch.' .. torch.getdefaulttensortype():match('torch%.(.*)'))
  tester:eq(torch.rand(torch.LongStorage{4, 5}):size(2), 5)
  local res = torch.DoubleTensor()
  tester:assert(torch.randn(res, 3, 4) == res)
  tester:eq(res:size(1), 3)
  local m, s, lo, hi = stats(torch.rand(100000))
  tester:assertlt(math.abs(m - 0.5), 0.01, 'uniform mean')
  tester:assertlt(math.abs(s - math.sqrt(1 / 12)), 0.01, 'uniform std')
  tester:assert(lo >= 0 and hi < 1, 'in [0, 1)')
  m, s = stats(torch.randn(100001))
  tester:assertlt(math.abs(m), 0.02, 'normal mean')
  tester:assertlt(math.abs(s - 1), 0.02, 'normal std')
  tester:assertErrorPattern(function() torch.rand(-1) end, 'non%-negative')
end

function T.fill_methods_moments()
  torch.manualSeed(42)
  local d = torch.DoubleTensor(100000)
  tester:assert(d:uniform(-2, 4) == d, 'methods return self')
  local m, s, lo, hi = stats(d)
  tester:assertlt(math.abs(m - 1), 0.03)
  tester:assert(lo >= -2 and hi < 4)
  m, s = stats(d:normal(3, 0.5))
  tester:assertlt(math.abs(m - 3), 0.01); tester:assertlt(math.abs(s - 0.5), 0.01)
  m = stats(d:exponential(2))
  tester:assertlt(math.abs(m - 0.5), 0.01, 'exponential mean 1/lambda')
  m, s = stats(d:logNormal(0.5, 0.25):log())
  tester:assertlt(math.abs(m - 0.5), 0.01, 'logNormal: parameters of the underlying normal')
  tester:assertlt(math.abs(s - 0.25), 0.01)
  d:cauchy(1, 2)
  local below = 0
  for _, x in ipairs(d:totable()) do if x < 1 then below = below + 1 end end
  tester:assertlt(math.abs(below / 100000 - 0.5), 0.01, 'cauchy median')
  local g = torch.LongTensor(100000):geometric(0.25)
  m, s, lo = stats(g)
  tester:assertlt(math.abs(m - 1 / 0.75), 0.02, "Torch7's geometric: p(i) = (1-p) p^(i-1)")
  tester:eq(lo, 1)
  local b = torch.ByteTensor(100000):bernoulli(0.3)
  m = stats(b)
  tester:assertlt(math.abs(m - 0.3), 0.01, 'bernoulli mean')
  m = stats(torch.FloatTensor(1000):bernoulli())
  tester:assertlt(math.abs(m - 0.5), 0.06, 'bernoulli default p = 0.5')
  tester:assertErrorPattern(function() d:exponential(0) end, 'lambda')
  tester:assertErrorPattern(function() d:geometric(1) end, 'geometric')
  tester:assertErrorPattern(function() d:bernoulli(2) end, 'bernoulli')
  tester:assertErrorPattern(function() d:normal(0, -1) end, 'standard deviation')
  tester:assertErrorPattern(function() d:uniform(1, 0) end, 'uniform')
end

function T.bernoulli_tensor_probabilities()
  torch.manualSeed(3)
  local p = torch.Tensor{0, 1, 0.5}
  local t = torch.DoubleTensor(4000, 3):bernoulli(p)
  local col = {0, 0, 0}
  for _, row in ipairs(t:totable()) do for j = 1, 3 do col[j] = col[j] + row[j] end end
  tester:eq(col[1], 0); tester:eq(col[2], 4000)
  tester:assertlt(math.abs(col[3] / 4000 - 0.5), 0.03)
  tester:assertErrorPattern(function() t:bernoulli(torch.Tensor{0.5, 2, 0}) end, '%[0, 1%]')
  tester:assertErrorPattern(function() t:bernoulli(torch.Tensor{0.5, 0.5}) end, 'do not fit')
end

function T.random_integers()
  torch.manualSeed(11)
  local t = torch.IntTensor(60000):random(6)
  local c = counts(t, 6)
  local ok = true
  for k, n in pairs(c) do if k < 1 or k > 6 then ok = false end end
  tester:assert(ok, 'random(b) in [1, b]')
  for k = 1, 6 do tester:assertlt(math.abs(c[k] / 60000 - 1 / 6), 0.01) end
  local _, _, lo, hi = stats(torch.LongTensor(1000):random(-3, 3))
  tester:eq(lo, -3); tester:eq(hi, 3)
  _, _, lo, hi = stats(torch.ByteTensor(5000):random())
  tester:assert(lo >= 0 and hi <= 255 and hi > 200, 'random() over the type: [0, 255]')
  _, _, lo, hi = stats(torch.FloatTensor(1000):random())
  tester:assert(lo >= 0 and hi <= 2 ^ 24 and hi > 2 ^ 20, 'floats: [0, 2^24]')
  local l = torch.LongTensor(100):random(1e15, 1e15 + 10)
  _, _, lo, hi = stats(l)
  tester:assert(lo >= 1e15 and hi <= 1e15 + 10, 'wide ranges are exact')
  tester:assertErrorPattern(function() torch.ByteTensor(3):random(300) end, 'does not fit')
  tester:assertErrorPattern(function() torch.IntTensor(3):random(5, 1) end, 'upper bound')
  tester:assertErrorPattern(function() torch.IntTensor(3):random(0) end, 'upper bound')
end

function T.lua_numbers()
  torch.manualSeed(21)
  local s, n = 0, 20000
  for _ = 1, n do
    local u = torch.uniform(2, 3)
    tester:assert(u >= 2 and u < 3)
    s = s + u
  end
  tester:assertlt(math.abs(s / n - 2.5), 0.01)
  s = 0
  for _ = 1, n do s = s + torch.normal(1, 2) end
  tester:assertlt(math.abs(s / n - 1), 0.05)
  local r = torch.random()
  tester:assert(math.type(r) == 'integer' and r >= 0 and r < 2 ^ 32, 'torch.random(): 32 bits')
  local okb, okab = true, true
  for _ = 1, 1000 do
    local x = torch.random(3)
    if x < 1 or x > 3 then okb = false end
    local y = torch.random(-2, 2)
    if y < -2 or y > 2 then okab = false end
  end
  tester:assert(okb and okab)
  local b = torch.bernoulli(1)
  tester:eq(b, 1)
  tester:eq(torch.bernoulli(0), 0)
  tester:assertge(torch.geometric(0.5), 1)
  tester:assertgt(torch.exponential(1), 0)
  tester:assertgt(torch.logNormal(0, 1), 0)
  tester:eq(type(torch.cauchy()), 'number')
  tester:assertErrorPattern(function() torch.uniform(1, 0) end, 'uniform')
  tester:assertErrorPattern(function() torch.geometric(1.5) end, 'geometric')
  local t = torch.Tensor(3)
  tester:assert(torch.uniform(t, 5, 6) == t, 'torch.uniform(t) fills t')
  local _, _, lo, hi = stats(t)
  tester:assert(lo >= 5 and hi < 6)
end

function T.randperm()
  torch.manualSeed(8)
  local p = torch.randperm(1000)
  tester:eq(torch.type(p), 'torch.' .. torch.getdefaulttensortype():match('torch%.(.*)'))
  local seen, ok = {}, true
  for _, x in ipairs(p:totable()) do
    if x < 1 or x > 1000 or seen[x] then ok = false end
    seen[x] = true
  end
  tester:assert(ok, 'a permutation of 1..n')
  local l = torch.LongTensor()
  torch.randperm(l, 5)
  local c = counts(l, 5)
  for k = 1, 5 do tester:eq(c[k], 1) end
  tester:eq(torch.randperm(1)[1], 1)
  tester:eq(torch.randperm(0):nElement(), 0)
  tester:assertErrorPattern(function() torch.randperm(-1) end, 'non%-negative')
end

function T.multinomial()
  torch.manualSeed(31)
  local p = torch.Tensor{1, 1, 0.5, 0}
  local a = torch.multinomial(p, 10000, true)
  tester:eq(torch.type(a), 'torch.LongTensor')
  tester:eq(a:size(1), 10000)
  local c = counts(a, 4)
  tester:assertlt(math.abs(c[1] / 10000 - 0.4), 0.02)
  tester:assertlt(math.abs(c[2] / 10000 - 0.4), 0.02)
  tester:assertlt(math.abs(c[3] / 10000 - 0.2), 0.02)
  tester:eq(c[4], 0, 'zero weight never drawn')
  local w = p:multinomial(3)            -- without replacement (the default)
  local seen = {}
  for _, x in ipairs(w:totable()) do
    tester:assert(not seen[x] and x ~= 4, 'distinct, nonzero weights')
    seen[x] = true
  end
  local m = torch.multinomial(torch.Tensor{{0, 0, 1}, {2, 0, 0}}, 4, true)
  same(m, torch.LongTensor{{3, 3, 3, 3}, {1, 1, 1, 1}})
  local res = torch.LongTensor()
  torch.multinomial(res, p, 2)
  tester:eq(res:size(1), 2)
  tester:assertErrorPattern(function() torch.multinomial(p, 4) end, 'without replacement')
  tester:assertErrorPattern(function() torch.multinomial(torch.Tensor{1, -1}, 1) end, 'non%-negative')
  tester:assertErrorPattern(function() torch.multinomial(torch.zeros(3), 1, true) end, 'sum to zero')
end

tester:add(T)
return tester
