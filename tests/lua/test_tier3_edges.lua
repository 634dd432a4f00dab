-- Tier 3 edge cases found by an adversarial test: autograd of in-place random fills, of
-- float shifts by a tensor and of a resized leaf; the alias method's result checks;
-- integer pow and bit ops with numbers the type cannot hold; torch.class's names; the
-- generator state's cached normal; the random Lua numbers' parameters; messages.
local tester = torch.Tester()
local T = torch.TestSuite()

local function D(t) return torch.DoubleTensor(t) end
local function leaf(n) return torch.randn(n):double():setRequiresGrad(true) end
local function values(t)
  local r = {}
  local f = t:contiguous():view(-1)
  for i = 1, f:nElement() do r[i] = f[i] end
  return r
end

-- 1. a random fill replaces the values: no gradient flows to what the tensor held
function T.random_fills_cut_the_history()
  local fills = {
    uniform = function(y) y:uniform() end, normal = function(y) y:normal() end,
    cauchy = function(y) y:cauchy() end, logNormal = function(y) y:logNormal() end,
    exponential = function(y) y:exponential() end, geometric = function(y) y:geometric(0.5) end,
    bernoulli = function(y) y:bernoulli(0.5) end, random = function(y) y:random(1, 5) end,
    bernoulliT = function(y) y:bernoulli(D{0.2, 0.5, 0.7}) end,
    torch_uniform = function(y) torch.uniform(y, 0, 1) end,
  }
  for name, fill in pairs(fills) do
    local a0 = leaf(3)
    local y = a0 * 2
    fill(y)
    tester:assert(not y.requiresGrad and y.gradFn == nil, name .. ': the history is gone (as fill)')
    -- the filled values as a constant: d/da0 sum(y .* a0) = y
    torch.cmul(y, a0):sum():backward()
    tester:eq(a0.grad, y, 0, name .. ': the gradient sees the new values only')
  end
  -- as fill: a leaf that requires grad is updated in place, a view of a non-leaf refused
  local a = leaf(3)
  a:normal()
  tester:assert(a.requiresGrad, 'a leaf keeps requiring grad')
  local y = leaf(4) * 2
  tester:assertErrorPattern(function() y:narrow(1, 1, 2):uniform() end, 'uniform: cannot record a write into a view')
  tester:assertErrorPattern(function() y:narrow(1, 1, 2):fill(1) end, 'fill: cannot record a write into a view',
                            'the same rule as fill')
end

-- 2. float shifts by a tensor of counts are x 2^n (x 2^-n) and record their gradient
function T.float_shift_by_tensor_autograd()
  local a0 = leaf(2)
  local y = a0 * 1
  y:clshift(D{1, 2})
  y:sum():backward()
  tester:eq(a0.grad, D{2, 4}, 0, 'd/dx x 2^n = 2^n')
  a0 = leaf(2)
  y = a0 * 1
  y:crshift(torch.LongTensor{1, 2})
  y:sum():backward()
  tester:eq(a0.grad, D{0.5, 0.25}, 0, 'crshift: 2^-n, integer counts')
  local a = leaf(2)
  tester:assert(torch.clshift(a, D{1, 2}).requiresGrad, 'the function form records')
  -- the counts' gradient: ln2 x 2^n
  local x, n = D{3, 5}, D{1, 2}:setRequiresGrad(true)
  local r = torch.clshift(x, n)
  tester:eq(r, D{6, 20}, 0, 'values')
  r:sum():backward()
  tester:eq(n.grad, D{6, 20} * math.log(2), 1e-12, 'd/dn x 2^n = ln2 x 2^n')
  -- a shift with a number as the shifted value: s 2^a
  local e = D{1, 2}:setRequiresGrad(true)
  torch.clshift(3, e):sum():backward()
  tester:eq(e.grad, D{6, 12} * math.log(2), 1e-12, 'torch.clshift(3, e)')
  -- in place into a leaf that requires grad, with an operand that requires grad: refused as cpow
  local l, c = leaf(2), D{1, 2}:setRequiresGrad(true)
  tester:assertErrorPattern(function() l:cpow(c) end, 'leaf tensor that requires grad', 'cpow refuses')
  tester:assertErrorPattern(function() l:clshift(c) end, 'leaf tensor that requires grad', 'clshift too')
  -- integer shifts are unchanged
  tester:eq(values(torch.LongTensor{3, 5}:clshift(torch.LongTensor{1, 2})), {6, 20}, 'integer shifts')
end

-- 3. the alias method's result tensors
function T.alias_results_checked()
  tester:assertErrorPattern(function()
    torch.multinomialAliasSetup(torch.Tensor{1, 2, 3}, {torch.LongTensor(), torch.Tensor(1):expand(3)})
  end, 'multinomialAliasSetup: the result tensor state%[2%] %(q%) has elements that share memory')
  tester:assertErrorPattern(function()
    torch.multinomialAliasSetup(torch.Tensor{1, 2, 3}, {torch.LongTensor(1):expand(3), torch.Tensor(3)})
  end, 'state%[1%] %(J%) has elements that share memory')
  local st = torch.multinomialAliasSetup(torch.ones(300))
  tester:assertErrorPattern(function() torch.multinomialAlias(torch.ByteTensor(10), st) end,
                            'multinomialAlias: a ByteTensor output cannot hold the samples of 300 categories')
  tester:assertErrorPattern(function() torch.multinomialAlias(torch.CharTensor(10), torch.multinomialAliasSetup(torch.ones(128))) end,
                            'CharTensor output cannot hold the samples of 128 categories')
  tester:assertErrorPattern(function() torch.multinomialAlias(torch.LongTensor(1):expand(4), st) end,
                            'multinomialAlias: the result tensor output has elements that share memory')
  -- the largest counts that fit still work
  local o = torch.multinomialAlias(torch.ByteTensor(2000), torch.multinomialAliasSetup(torch.ones(255)))
  tester:assert(o:min() >= 1 and o:max() <= 255 and o:max() > 200, 'ByteTensor, 255 categories')
  o = torch.multinomialAlias(torch.CharTensor(2000), torch.multinomialAliasSetup(torch.ones(127)))
  tester:assert(o:min() >= 1 and o:max() <= 127, 'CharTensor, 127 categories')
end

-- 4. integer pow with exponents and bases the type cannot hold
function T.integer_pow_numbers()
  tester:eq(values(torch.ByteTensor{0, 1, 2}:pow(-1)), {0, 1, 0}, 'ByteTensor, -1: 1/x truncated')
  tester:eq(values(torch.ByteTensor{0, 1, 2}:pow(-2)), {0, 1, 0}, 'ByteTensor, -2')
  tester:eq(values(torch.CharTensor{0, 1, -1, 2}:pow(-129)), {0, 1, -1, 0}, 'odd negative exponent keeps -1')
  tester:eq(values(torch.CharTensor{0, 1, -1, 2}:pow(-128)), {0, 1, 1, 0}, 'even negative exponent')
  tester:eq(values(torch.LongTensor{0, 1, -1, 2}:pow(-3)), {0, 1, -1, 0}, 'LongTensor')
  tester:eq(values(torch.ByteTensor{3, 2}:pow(300)), {113, 0}, '3^300 mod 256, 2^300 mod 256')
  tester:eq(values(torch.IntTensor{3, 2}:pow(3000000000)), {-454453247, 0}, '3^3e9 mod 2^32 (as int32)')
  tester:eq(values(torch.pow(-1, torch.ByteTensor{1, 2, 3})), {255, 1, 255}, 'base -1 in 8 bits')
  tester:eq(values(torch.pow(2, torch.IntTensor{1, 2, 3})), {2, 4, 8}, 'number base')
  local r = torch.ByteTensor(2)
  torch.pow(r, torch.ByteTensor{1, 2}, -1)
  tester:eq(values(r), {1, 0}, 'result form, negative exponent')
  -- the man page's torch.pow(res, n, t)
  local ri = torch.IntTensor(3)
  tester:assert(torch.pow(ri, 2, torch.IntTensor{1, 2, 3}) == ri, 'returns res')
  tester:eq(values(ri), {2, 4, 8}, 'torch.pow(res, n, t)')
  local rd = torch.DoubleTensor(3)
  torch.pow(rd, 2, D{1, 2, 0.5})
  tester:eq(rd, D{2, 4, math.sqrt(2)}, 1e-15, 'float torch.pow(res, n, t)')
  -- float pow unchanged
  tester:eq(D{2, 4}:pow(-1), D{0.5, 0.25}, 0, 'float pow')
end

-- 5. torch.class refuses names of other values and invalid names
function T.class_names()
  local keep = {torch = torch, math = math, io = io, require = require, G = _G,
                FloatTensor = torch.FloatTensor, Tensor = torch.Tensor, LongStorage = torch.LongStorage}
  for _, n in ipairs{'torch', 'torch.LongStorage', 'torch.FloatTensor', 'torch.Tensor', '_G', 'math', 'io',
                     'require', 'torch.Generator'} do
    tester:assertErrorPattern(function() torch.class(n) end, 'class ' .. n:gsub('%.', '%%.') .. ' already exists', n)
  end
  tester:assert(torch == keep.torch and math == keep.math and io == keep.io and require == keep.require and
                _G == keep.G, 'globals untouched')
  tester:assert(torch.FloatTensor == keep.FloatTensor and torch.Tensor == keep.Tensor and
                torch.LongStorage == keep.LongStorage, 'torch types untouched')
  for _, n in ipairs{'', '.', '..', '.a', 'a.', 'a..b'} do
    tester:assertErrorPattern(function() torch.class(n) end, "invalid class name '" .. n:gsub('%.', '%%.') .. "'", n)
  end
  -- a class of the user's may be defined again (a script run twice)
  local A = torch.class('Tier3EdgesA')
  function A:__init(x) self.x = x end
  local A2 = torch.class('Tier3EdgesA')
  tester:assert(A2 == A, 'the same class')
  tester:eq(Tier3EdgesA(3).x, 3, 'still constructs')
  Tier3EdgesA = nil
  -- a plain global of the user's becomes the class, as in Torch7
  rawset(_G, 'Tier3EdgesConfig', {a = 1})
  local C = torch.class('Tier3EdgesConfig')
  local ctor = rawget(_G, 'Tier3EdgesConfig')
  tester:assert(type(ctor) == 'table' and rawget(ctor, 'a') == nil, 'a plain global is replaced')
  tester:assert(getmetatable(ctor()) == C, 'and constructs the class')
  rawset(_G, 'Tier3EdgesConfig', nil)
  -- a module table's own name
  local M = {}
  torch.class('tier3.B', M)
  tester:assertErrorPattern(function() torch.class('tier3.print', {print = 1}) end, 'already exists', 'module field')
end

-- 6. setRNGState checks the cached normal
function T.rng_state_cached_normal()
  local saved = torch.getRNGState()
  local function with_cached(v)
    local s = torch.getRNGState()
    local bytes = string.pack('d', v)
    for i = 1, 8 do s[17 + i] = bytes:byte(i) end
    s[26] = 1
    return s
  end
  tester:assertErrorPattern(function() torch.setRNGState(with_cached(0 / 0)) end, 'cached normal value')
  tester:assertErrorPattern(function() torch.setRNGState(with_cached(8e307)) end, 'cannot come from the generator')
  tester:assertErrorPattern(function() torch.setRNGState(with_cached(1 / 0)) end, 'cached normal value')
  tester:assertErrorPattern(function() torch.setRNGState(with_cached(9)) end, 'cached normal value')
  torch.setRNGState(with_cached(1.5))
  tester:eq(torch.normal(), 1.5, 'a possible cached normal is used')
  -- a real state round-trips with a cached normal pending
  torch.normal()
  local st = torch.getRNGState()
  local x = torch.normal()
  torch.setRNGState(st)
  tester:eq(torch.normal(), x, 'round trip')
  torch.setRNGState(saved)
end

-- 7. random Lua numbers check their parameters as the fills do
function T.random_numbers_parameters()
  tester:assertErrorPattern(function() torch.normal(0 / 0, 1) end, 'normal: expects a finite mean')
  tester:assertErrorPattern(function() torch.cauchy(0 / 0, 1) end, 'cauchy: expects a finite median')
  tester:assertErrorPattern(function() torch.logNormal(0 / 0, 1) end, 'logNormal: expects a finite mean')
  tester:assertErrorPattern(function() torch.normal(1 / 0, 1) end, 'normal: expects a finite mean')
  tester:assertErrorPattern(function() torch.uniform(0, 1 / 0) end, 'uniform: expects finite bounds')
  tester:assertErrorPattern(function() torch.exponential(1 / 0) end, 'exponential: expects lambda > 0')
  tester:assertErrorPattern(function() torch.Tensor(2):normal(0 / 0, 1) end, 'normal: expects a finite mean',
                            'the same message as the fill')
  tester:assert(torch.normal(1, 0) == 1, 'std 0 is allowed')
end

-- 8. a whole float beyond int64 given to an integer tensor: its low 64 bits
function T.bits_of_big_floats()
  tester:eq(values(torch.LongTensor{5}:bitor(2 ^ 63)), {math.mininteger + 5}, '2^63: bit 63')
  tester:eq(values(torch.LongTensor{5}:bitor(1e300)), {5}, '1e300: no low bits')
  tester:eq(values(torch.LongTensor{5}:bitxor(-2 ^ 63)), {math.mininteger + 5}, '-2^63 fits')
  tester:eq(values(torch.LongTensor{5}:add(2 ^ 64)), {5}, 'add 2^64 wraps to 5')
  tester:eq(values(torch.ByteTensor{5}:bitor(2 ^ 70)), {5}, 'ByteTensor')
end

-- 9. a leaf resized or set after it was used: backward says so (the data a graph saved
-- is not changed by a resize, so other tensors may be resized freely)
function T.resized_leaf_backward()
  local a = torch.randn(3, 3):double():setRequiresGrad(true)
  local b = torch.randn(3):double()
  local x = torch.gesv(b, a)
  a:resize(2, 2)
  tester:assertErrorPattern(function() x:sum():backward() end, 'the leaf now has size 2x2 %(it was resized or set', 'gesv')
  local l = leaf(3)
  local y = (l * 2):sum()
  l:resize(2)
  tester:assertErrorPattern(function() y:backward() end, 'the leaf now has size 2 %(it was resized or set')
  l = leaf(3)
  y = torch.cmul(l, l):sum()
  l:set(torch.DoubleTensor(2))
  tester:assertErrorPattern(function() y:backward() end, 'the leaf now has size 2 %(it was resized or set', 'set')
  -- resize to the same shape changes nothing
  l = leaf(3)
  y = torch.cmul(l, l):sum()
  l:resize(3)
  y:backward()
  tester:eq(l.grad, l:detach() * 2, 1e-15, 'same shape: backward as before')
end

-- 10. messages
function T.messages()
  tester:assertErrorPattern(function() torch.HalfTensor{3}:bitand(1) end, 'bitand: not defined for HalfTensor')
  tester:assertErrorPattern(function() torch.HalfTensor{3}:cbitor(torch.HalfTensor{1}) end,
                            'bitor: not defined for HalfTensor')
  tester:assertErrorPattern(function() torch.setRNGState(torch.Generator()) end, 'setRNGState: .*got no state')
  local mi = tostring(math.mininteger)
  tester:assertErrorPattern(function() return torch.FloatStorage(3)[math.mininteger] end, 'index ' .. mi .. ' out of range')
  tester:assertErrorPattern(function() local s = torch.FloatStorage(3); s[math.mininteger] = 1 end, 'index ' .. mi)
  tester:assertErrorPattern(function() return torch.FloatTensor(3)[math.mininteger] end, 'index ' .. mi .. ' out of range')
  tester:assertErrorPattern(function() return torch.FloatTensor(3, 3)[{1, math.maxinteger}] end,
                            'index ' .. tostring(math.maxinteger) .. ' out of range')
end

tester:add(T)
return tester
