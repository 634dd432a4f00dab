-- Autograd of the pointwise ops (tensor/grad_pointwise.c): unary ops, tensor-scalar ops,
-- clamp, addcmul/addcdiv/lerp/where, copies and type conversions, fill; the operator,
-- method, out= and in-place forms; leaf updates; grad mode off; second derivatives.
local tester = torch.Tester()
local T = torch.TestSuite()

torch.manualSeed(1234)

local function check(f, inputs, msg, eps, tol)
  local ok, err = torch.gradcheck(f, inputs, eps, tol)
  tester:assert(ok, (msg or '') .. ': ' .. tostring(err))
end

-- second order: gradcheck of the gradients computed with createGraph
local function ggcheck(f, inputs, msg, eps, tol)
  local ok, err = torch.gradgradcheck(f, inputs, eps, tol)
  tester:assert(ok, 'second order ' .. (msg or '') .. ': ' .. tostring(err))
end

local function leaf(t) return t:double():setRequiresGrad() end
local function randn(...) return leaf(torch.randn(...)) end
-- values in (lo, hi)
local function uniform(lo, hi, ...) return leaf(torch.rand(...):mul(hi - lo):add(lo)) end
-- a transposed (non-contiguous) leaf of size m x n
local function transposed(lo, hi, m, n) return torch.rand(n, m):mul(hi - lo):add(lo):double():t():setRequiresGrad() end
-- a 0-dim leaf in (lo, hi)
local function scalar(lo, hi) return leaf(torch.rand(1):mul(hi - lo):add(lo):view(torch.LongStorage())) end
-- f's 0-dim result seen through a 1-element one (gradcheck's direction is not 0-dim)
local function one(f) return function(a) return f(a) + torch.zeros(1):double() end end
-- the gradient of sum(y) for y = f(x)
local function grad_of(f, x)
  local y = f(x)
  return torch.grad({y}, {x}, {torch.ones(y:size()):typeAs(y)})[1]
end

-- every differentiable unary op, with a domain where it is smooth
local unary = {
  neg = {-2, 2}, abs = {0.1, 2}, exp = {-2, 2}, log = {0.1, 3}, log1p = {-0.5, 2},
  expm1 = {-2, 2}, sqrt = {0.1, 3}, rsqrt = {0.1, 3}, sin = {-3, 3}, cos = {-3, 3},
  tan = {-1.2, 1.2}, asin = {-0.9, 0.9}, acos = {-0.9, 0.9}, atan = {-3, 3}, sinh = {-2, 2},
  cosh = {-2, 2}, tanh = {-2, 2}, sigmoid = {-3, 3}, floor = {0.1, 0.4}, ceil = {0.1, 0.4},
  round = {0.1, 0.4}, trunc = {0.1, 0.4}, frac = {0.1, 0.9}, cinv = {0.2, 3}, log2 = {0.1, 3},
  log10 = {0.1, 3}, exp2 = {-2, 2}, square = {-2, 2}, sign = {0.1, 2},
}
local unary_names = {}
for k in pairs(unary) do unary_names[#unary_names + 1] = k end
table.sort(unary_names)

function T.unary_gradcheck_shapes()
  for _, op in ipairs(unary_names) do
    local lo, hi = unary[op][1], unary[op][2]
    local f = function(a) return torch[op](a) end
    check(f, {uniform(lo, hi, 3, 4)}, op .. ' 3x4')
    check(f, {transposed(lo, hi, 3, 4)}, op .. ' transposed')
    check(f, {uniform(lo, hi, 1, 5, 1)}, op .. ' size-1 dims')
    local s = scalar(lo, hi)
    tester:eq(f(s):dim(), 0, op .. ' 0-dim result')
    check(one(f), {s}, op .. ' 0-dim')
    local y = torch[op](uniform(lo, hi, 2, 2))
    tester:assert(y.requiresGrad and y.gradFn ~= nil, op .. ' records')
  end
end

function T.unary_hand_values()
  local x = leaf(torch.Tensor{-2, 0, 3})
  tester:eq(grad_of(torch.abs, x), torch.DoubleTensor{-1, 0, 1}, 0, 'abs: 0 at 0')
  tester:eq(grad_of(torch.sign, x), torch.DoubleTensor{0, 0, 0}, 0, 'sign')
  tester:eq(grad_of(torch.exp, x), torch.exp(x:detach()), 1e-12, 'exp')
  tester:eq(grad_of(torch.square, x), torch.DoubleTensor{-4, 0, 6}, 1e-12, 'square')
  local s = torch.sigmoid(x:detach())
  tester:eq(grad_of(torch.sigmoid, x), torch.cmul(s, -s + 1), 1e-12, 'sigmoid')
  local t = torch.tanh(x:detach())
  tester:eq(grad_of(torch.tanh, x), -torch.cmul(t, t) + 1, 1e-12, 'tanh')
  local p = leaf(torch.Tensor{0.25, 4})
  tester:eq(grad_of(torch.sqrt, p), torch.DoubleTensor{1, 0.25}, 1e-12, 'sqrt')
  tester:eq(grad_of(torch.cinv, p), torch.DoubleTensor{-16, -1 / 16}, 1e-12, 'cinv')
  tester:eq(grad_of(torch.floor, p), torch.DoubleTensor{0, 0}, 0, 'floor')
  tester:eq(grad_of(torch.frac, p), torch.DoubleTensor{1, 1}, 0, 'frac')
  tester:eq(tostring(torch.exp(x).gradFn), '<ExpBackward>', 'node name')
  tester:eq(torch.cinv(p).gradFn.name, 'ReciprocalBackward', 'node name')
end

function T.scalar_ops_gradcheck()
  local cases = {
    {'a + s', function(a) return a + 1.5 end},
    {'s + a', function(a) return 1.5 + a end},
    {'a - s', function(a) return a - 1.5 end},
    {'s - a', function(a) return 1.5 - a end},
    {'a * s', function(a) return a * -2.5 end},
    {'s * a', function(a) return 3 * a end},
    {'a / s', function(a) return a / 0.7 end},
    {'s / a', function(a) return 2 / a end, 0.5, 2},
    {'a ^ 2', function(a) return a ^ 2 end},
    {'a ^ 3', function(a) return a ^ 3 end},
    {'a ^ 2.5', function(a) return a ^ 2.5 end, 0.2, 2},
    {'a ^ -1.5', function(a) return a ^ -1.5 end, 0.2, 2},
    {'a ^ 1', function(a) return torch.pow(a, 1) end},
    {'a ^ 0', function(a) return torch.pow(a, 0) end},
    {'s ^ a', function(a) return torch.pow(2.5, a) end},
    {'0.5 ^ a', function(a) return 0.5 ^ a end},
    {'a % s', function(a) return a % 0.7 end, 0.05, 0.65},
    {'s % a', function(a) return 2.3 % a end, 0.3, 0.35},
    {'fmod', function(a) return torch.fmod(a, 0.7) end, 0.05, 0.65},
    {'fmod reversed', function(a) return torch.fmod(2.3, a) end, 0.3, 0.35},
    {'cmax s', function(a) return torch.cmax(a, 0.1) end},
    {'cmin s', function(a) return torch.cmin(a, 0.1) end},
    {'atan2(a, s)', function(a) return torch.atan2(a, 0.7) end},
    {'atan2(s, a)', function(a) return torch.atan2(0.7, a) end},
    {'a:add(s)', function(a) return a:clone():add(3) end},
    {'a:mul(s)', function(a) return a:clone():mul(3) end},
    {'a:div(s)', function(a) return a:clone():div(3) end},
    {'a:csub(s)', function(a) return a:clone():csub(3) end},
  }
  for _, c in ipairs(cases) do
    local lo, hi = c[3] or -2, c[4] or 2
    check(c[2], {uniform(lo, hi, 3, 4)}, c[1])
    check(c[2], {transposed(lo, hi, 2, 3)}, c[1] .. ' transposed')
    check(one(c[2]), {scalar(lo, hi)}, c[1] .. ' 0-dim')
  end
end

function T.scalar_ops_hand_values()
  local x = leaf(torch.Tensor{-1, 0, 2})
  tester:eq(grad_of(function(a) return torch.pow(a, 0) end, x), torch.DoubleTensor{0, 0, 0}, 0, 'a ^ 0')
  tester:eq(grad_of(function(a) return a ^ 2 end, x), torch.DoubleTensor{-2, 0, 4}, 1e-12, 'a ^ 2')
  tester:eq(grad_of(function(a) return torch.pow(2, a) end, x),
            torch.DoubleTensor{0.5, 1, 4} * math.log(2), 1e-12, '2 ^ a')
  -- 0 ^ a: the limit 0 where a >= 0
  local g = grad_of(function(a) return torch.pow(0, a) end, leaf(torch.Tensor{0, 1, 2}))
  tester:eq(g, torch.DoubleTensor{0, 0, 0}, 0, '0 ^ a')
  g = grad_of(function(a) return torch.pow(0, a) end, leaf(torch.Tensor{-1, 2}))
  tester:eq(g, torch.DoubleTensor{-math.huge, 0}, 0, '0 ^ a, a < 0')
  -- tensor ^ tensor at a == 0: d/db is 0 where b >= 0
  local a0, b0 = leaf(torch.Tensor{0, 0, 2}), leaf(torch.Tensor{2, 0, 3})
  local _, gb0 = table.unpack(torch.grad({torch.pow(a0, b0)}, {a0, b0}, {torch.ones(3):double()}))
  tester:eq(gb0, torch.DoubleTensor{0, 0, 8 * math.log(2)}, 1e-12, 'a ^ b at a == 0')
  -- max/min with a number: all of it where a wins, half at a tie, none where s wins
  tester:eq(grad_of(function(a) return torch.cmax(a, 0) end, x), torch.DoubleTensor{0, 0.5, 1}, 0, 'cmax tie')
  tester:eq(grad_of(function(a) return torch.cmin(a, 0) end, x), torch.DoubleTensor{1, 0.5, 0}, 0, 'cmin tie')
  tester:eq(grad_of(function(a) return 1 - a end, x), torch.DoubleTensor{-1, -1, -1}, 0, '1 - a')
  tester:eq(grad_of(function(a) return 4 / a end, leaf(torch.Tensor{1, 2})), torch.DoubleTensor{-4, -1}, 1e-12, '4 / a')
  tester:eq((x * 2).gradFn.name, 'MulBackward', 'node name')
  tester:eq((2 - x).gradFn.name, 'SubBackward', 'node name')
end

function T.operators_record()
  local a, b = uniform(0.5, 2, 2, 3), uniform(0.5, 2, 2, 3)
  local forms = {
    ['a * 2'] = function() return a * 2 end, ['2 - a'] = function() return 2 - a end,
    ['-a'] = function() return -a end, ['a / b'] = function() return a / b end,
    ['a ^ 2'] = function() return a ^ 2 end, ['a % b'] = function() return a % b end,
    ['a + b'] = function() return a + b end, ['a - b'] = function() return a - b end,
    ['a ^ b'] = function() return a ^ b end, ['2 ^ a'] = function() return 2 ^ a end,
    ['a % 0.3'] = function() return a % 0.3 end, ['a / 2'] = function() return a / 2 end,
    ['2 / a'] = function() return 2 / a end,
  }
  for name, f in pairs(forms) do
    local y = f()
    tester:assert(y.requiresGrad and y.gradFn ~= nil, name .. ' records')
    check(function(p, q) a, b = p, q; return f() end, {a, b}, name)
  end
end

function T.method_and_function_forms()
  local a, b = randn(3, 4), randn(3, 4)
  check(function(p, q) return p:clone():add(q) end, {a, b}, 'a:add(b) on a clone')
  check(function(p, q) return torch.add(torch.DoubleTensor(), p, q) end, {a, b}, 'torch.add(res, a, b)')
  check(function(p, q) return p * 1 + 0 end, {a, b}, 'chain')
  check(function(p, q) local y = p * 1; y:add(2, q); return y end, {a, b}, 'y:add(2, b)')
  check(function(p) local y = p * 1; y:mul(3); return y end, {a}, 'y:mul(3) on a non-leaf')
  check(function(p, q) return torch.cmul(p, q) end, {a, b}, 'torch.cmul')
  check(function(p) return torch.pow(p, 2) end, {a}, 'torch.pow(a, 2)')
  check(function(p) return torch.pow(2, p) end, {a}, 'torch.pow(2, a)')
  check(function(p) return p:clone():clamp(0, 1) end, {a}, 'a:clamp(0, 1)')
  check(function(p) return torch.sigmoid(p) end, {a}, 'torch.sigmoid')
  check(function(p) return p:clone():abs() end, {a}, 'a:abs()')
  check(function(p) return torch.exp(torch.DoubleTensor(3, 4), p) end, {a}, 'torch.exp(res, a)')
  check(function(p) return torch.mul(torch.DoubleTensor(), p, 3) end, {a}, 'torch.mul(res, a, 3)')
  check(function(p) return torch.DoubleTensor():tanh(p) end, {a}, 'res:tanh(a)')
  -- the result tensor of the out= form gets the history and is returned
  local res = torch.DoubleTensor()
  local r = torch.add(res, a, b)
  tester:assert(r == res and res.gradFn ~= nil, 'torch.add(res, ...) returns res with a history')
  local r2 = torch.exp(res, a)
  tester:assert(r2 == res and res.gradFn.name == 'ExpBackward', 'a new write replaces the history')
end

function T.inplace_on_non_leaf()
  local x = uniform(0.2, 0.8, 3, 4)
  local ops = {'exp', 'log', 'sigmoid', 'tanh', 'sqrt', 'abs', 'neg', 'square', 'sin', 'cinv'}
  for _, op in ipairs(ops) do
    local g = grad_of(function(a) local y = a * 1; y[op](y); return y end, x)
    local want = grad_of(function(a) return torch[op](a) end, x)
    tester:eq(g, want, 1e-12, 'y:' .. op .. '() on a non-leaf')
    check(function(a) local y = a * 1; y[op](y); return y end, {x}, 'y:' .. op .. '()')
  end
  local y = x * 1
  tester:assert(y:exp() == y and y.gradFn.name == 'ExpBackward', 'y:exp() returns y with ExpBackward')
  -- chains of in-place ops
  check(function(a)
    local y = a * 2
    y:add(1):mul(3):pow(2):clamp(0, 20):sigmoid()
    return y
  end, {x}, 'in-place chain')
  -- expected: d/dx exp(2x) = 2 exp(2x)
  local g = grad_of(function(a) local y = a * 2; y:exp(); return y end, x)
  tester:eq(g, torch.exp(x:detach() * 2) * 2, 1e-12, 'exp(2x)')
end

function T.clamp()
  local x = randn(4, 5)
  check(function(a) return torch.clamp(a, -0.5, 0.5) end, {x}, 'clamp')
  check(function(a) return a:clone():clamp(-0.3) end, {x}, 'clamp min only')
  check(function(a) return torch.clamp(a, nil, 0.3) end, {x}, 'clamp max only')
  check(function(a) return torch.clamp(a, -0.5, 0.5) end, {transposed(-1, 1, 3, 4)}, 'clamp transposed')
  -- PyTorch's convention: the gradient passes where x equals a bound
  local v = leaf(torch.Tensor{-2, -1, 0, 1, 2})
  tester:eq(grad_of(function(a) return torch.clamp(a, -1, 1) end, v), torch.DoubleTensor{0, 1, 1, 1, 0}, 0, 'bounds')
  tester:eq(grad_of(function(a) return torch.clamp(a, 0) end, v), torch.DoubleTensor{0, 0, 1, 1, 1}, 0, 'min bound')
  tester:eq(grad_of(function(a) return torch.clamp(a, nil, 0) end, v), torch.DoubleTensor{1, 1, 1, 0, 0}, 0, 'max bound')
  tester:eq(torch.clamp(v, -1, 1).gradFn.name, 'ClampBackward', 'node name')
  tester:assertError(function() torch.clamp(v, 1, -1) end, 'min > max still an error')
end

function T.addcmul_addcdiv_lerp_broadcast()
  local shapes = {
    {{3, 4}, {3, 4}, {3, 4}},
    {{3, 4}, {4}, {3, 1}},
    {{1, 4}, {3, 4}, {4}},
    {{4}, {3, 1}, {1, 4}},
  }
  for _, s in ipairs(shapes) do
    local a, b = randn(table.unpack(s[1])), randn(table.unpack(s[2]))
    local c = uniform(0.5, 2, table.unpack(s[3]))
    local tag = ' ' .. table.concat(s[1], 'x') .. ', ' .. table.concat(s[2], 'x') .. ', ' .. table.concat(s[3], 'x')
    check(function(p, q, r) return torch.addcmul(p, 0.7, q, r) end, {a, b, c}, 'addcmul' .. tag)
    check(function(p, q, r) return torch.addcdiv(p, -0.7, q, r) end, {a, b, c}, 'addcdiv' .. tag)
    check(function(p, q, r) return torch.addcmul(p, q, r) end, {a, b, c}, 'addcmul v=1' .. tag)
    check(function(p, q) return torch.lerp(p, q, 0.3) end, {a, b}, 'lerp' .. tag)
  end
  -- non-contiguous, some inputs without grad, in-place on a non-leaf
  local a, b, c = transposed(-1, 1, 3, 4), randn(3, 4), transposed(0.5, 2, 3, 4)
  check(function(p, q, r) return torch.addcdiv(p, 2, q, r) end, {a, b, c}, 'addcdiv transposed')
  check(function(p, r) return torch.addcmul(p, 2, b:detach(), r) end, {a, c}, 'addcmul, b constant')
  check(function(q) return torch.addcdiv(a:detach(), 2, q, c:detach()) end, {b}, 'addcdiv, only b')
  check(function(r) return torch.addcdiv(a:detach(), 2, b:detach(), r) end, {c}, 'addcdiv, only c')
  check(function(p, q, r) local y = p * 1; y:addcmul(0.5, q, r); return y end, {a, b, c}, 'y:addcmul')
  check(function(p, q, r) local y = p * 1; y:addcdiv(0.5, q, r); return y end, {a, b, c}, 'y:addcdiv')
  check(function(p, q) local y = p * 1; y:lerp(q, 0.25); return y end, {a, b}, 'y:lerp')
  check(function(p, q) return torch.lerp(torch.DoubleTensor(), p, q, 0.6) end, {a, b}, 'torch.lerp(res, ...)')
  -- hand values
  local x, y, z = leaf(torch.Tensor{1, 2}), leaf(torch.Tensor{3, 4}), leaf(torch.Tensor{2, 8})
  local out = torch.addcdiv(x, 2, y, z)
  local gx, gy, gz = table.unpack(torch.grad({out}, {x, y, z}, {torch.ones(2):double()}))
  tester:eq(gx, torch.DoubleTensor{1, 1}, 0, 'addcdiv d/da')
  tester:eq(gy, torch.DoubleTensor{1, 0.25}, 1e-12, 'addcdiv d/db')
  tester:eq(gz, torch.DoubleTensor{-1.5, -0.125}, 1e-12, 'addcdiv d/dc')
  tester:eq(out.gradFn.name, 'AddcdivBackward', 'node name')
  tester:eq(torch.lerp(x, y, 0.5).gradFn.name, 'LerpBackward', 'node name')
end

function T.where()
  local a, b = randn(3, 4), randn(3, 4)
  local cond = torch.rand(3, 4):gt(0.5)
  check(function(p, q) return torch.where(cond, p, q) end, {a, b}, 'where')
  check(function(p, q) return torch.where(cond, p, q) end, {randn(4), randn(3, 1)}, 'where broadcast')
  check(function(p) return torch.where(cond, p, b:detach()) end, {transposed(-1, 1, 3, 4)}, 'where transposed')
  local c4 = torch.ByteTensor{1, 0, 0, 1}
  check(function(q) return torch.where(c4, a:detach(), q) end, {randn(3, 1)}, 'where only b')
  local x, y = leaf(torch.Tensor{1, 2, 3}), leaf(torch.Tensor{4, 5, 6})
  local c = torch.ByteTensor{1, 0, 1}
  local r = torch.where(c, x, y)
  local gx, gy = table.unpack(torch.grad({r}, {x, y}, {torch.DoubleTensor{10, 20, 30}}))
  tester:eq(gx, torch.DoubleTensor{10, 0, 30}, 0, 'to a where cond')
  tester:eq(gy, torch.DoubleTensor{0, 20, 0}, 0, 'to b elsewhere')
  tester:eq(r.gradFn.name, 'WhereBackward', 'node name')
end

function T.conversions()
  -- float leaf -> double -> op -> backward: a float gradient
  local x = torch.randn(2, 3):float():setRequiresGrad()
  local d = x:double()
  tester:eq(torch.type(d), 'torch.DoubleTensor')
  tester:assert(d.requiresGrad and d.gradFn.name == 'CopyBackward', 'double() records')
  local y = torch.exp(d) * 2
  y:backward(torch.ones(2, 3):double())
  tester:eq(torch.type(x.grad), 'torch.FloatTensor', 'the gradient has the leaf\'s type')
  tester:eq(x.grad, torch.exp(x:detach()) * 2, 1e-5, 'the gradient of exp(double(x)) * 2')
  -- the other ways to convert
  local xd = randn(3, 4)
  check(function(a) return a:float():double() * 3 end, {xd}, 'float():double()', 1e-3, 1e-3)
  check(function(a) return a:type('torch.FloatTensor'):type('torch.DoubleTensor') end, {xd}, 'type()', 1e-3, 1e-3)
  check(function(a) return a:float():typeAs(a) end, {xd}, 'typeAs', 1e-3, 1e-3)
  check(function(a) return torch.exp(a:float()):double() end, {xd}, 'exp in float', 1e-3, 1e-3)
  local same = xd:double()
  tester:assert(same == xd, 'a conversion to the same type is the tensor itself')
  -- integer conversions are not differentiable, and still work
  local l = xd:long()
  tester:assert(not l.requiresGrad, 'long() has no gradient')
  tester:eq(torch.type(l), 'torch.LongTensor')
end

function T.clone_contiguous_copy()
  local x = transposed(-1, 1, 3, 4)
  check(function(a) return a:clone() end, {x}, 'clone')
  check(function(a) return a:contiguous() end, {x}, 'contiguous of a transposed leaf')
  tester:eq(x:clone().gradFn.name, 'CopyBackward', 'clone records')
  local c = randn(3, 4)
  tester:assert(c:contiguous() == c, 'contiguous of a contiguous tensor is itself')
  -- copy into a new tensor of another shape, type
  check(function(a) local d = torch.DoubleTensor(4, 3); d:copy(a); return d end, {x}, 'copy, other shape')
  check(function(a) local d = torch.DoubleTensor(12); d:copy(a); return d * 2 end, {x}, 'copy to 1-D')
  check(function(a) local d = torch.FloatTensor(2, 6); d:copy(a); return d end, {x}, 'copy to float', 1e-3, 1e-3)
  local src = randn(2, 6)
  local dst = torch.zeros(3, 4):double()
  dst:copy(src)
  tester:eq(dst.gradFn.name, 'CopyBackward', 'copy records into dst')
  dst:backward(torch.range(1, 12):double():view(3, 4))
  tester:eq(src.grad, torch.range(1, 12):double():view(2, 6), 0, 'copy backward reshapes')
  -- a non-leaf overwritten by a tensor that needs no gradient loses its history
  local h = src * 2
  h:copy(torch.zeros(2, 6):double())
  tester:assert(not h.requiresGrad and h.gradFn == nil, 'copy of a constant drops the history')
  -- a non-leaf overwritten by another recorded tensor: gradient to the new source only
  local a, b = randn(2, 3), randn(2, 3)
  local y = a * 3
  y:copy(b)
  local ga, gb = table.unpack(torch.grad({y * 2}, {a, b}, {torch.ones(2, 3):double()}))
  tester:eq(ga, torch.zeros(2, 3):double(), 0, 'the old history gets nothing')
  tester:eq(gb, torch.ones(2, 3):double() * 2, 0, 'the new source gets the gradient')
  -- src sharing dst's memory: src is read from a clone first, so the result is right
  local z0 = randn(3, 3)
  local z = z0 * 1
  z:copy(z:t())
  tester:eq(z:detach(), z0:detach():t(), 0, 'copy from a view of dst')
  local gz = torch.grad(z, z0, torch.range(1, 9):double():view(3, 3))
  tester:eq(gz, torch.range(1, 9):double():view(3, 3):t(), 0, 'its gradient goes through the transpose')
  local zz = z:clone()
  zz:copy(z)
  tester:assert(zz.gradFn.name == 'CopyBackward', 'copy between two non-leaves')
  -- a copy into a leaf that requires grad: an update of its value when src needs no gradient
  local w = randn(2, 3)
  w:copy(torch.ones(2, 3))
  tester:assert(w:isLeaf() and w.gradFn == nil, 'copy into a leaf: a value update')
  tester:eq(w:detach(), torch.ones(2, 3):double(), 0)
  tester:assertErrorMsg(function() w:copy(a * 2) end,
    'copy: the result would be written into a leaf tensor that requires grad (or a view of one); ' ..
    'write into a new tensor, or run the update under torch.noGrad', 'copy of a recorded tensor into a leaf')
  -- a view of a tensor without history
  local base = torch.zeros(4, 3):double()
  tester:assertError(function() base:narrow(1, 1, 2):copy(b) end, 'a recorded write into a view errors')
  torch.noGrad(function() base:narrow(1, 1, 2):copy(b) end)
  tester:eq(base:narrow(1, 1, 2), b:detach(), 0, 'the same copy under noGrad')
end

function T.fill_and_zero()
  local x = randn(2, 3)
  local y = x * 2
  y:fill(3)
  tester:assert(not y.requiresGrad and y.gradFn == nil, 'fill of a non-leaf drops its history')
  tester:eq(y, torch.DoubleTensor(2, 3):fill(3), 0)
  local z = x * 2
  z:zero()
  tester:assert(not z.requiresGrad, 'zero of a non-leaf drops its history')
  -- fill of a leaf: a value update, the leaf keeps requiring grad
  x:fill(1)
  tester:assert(x.requiresGrad and x:isLeaf(), 'fill of a leaf')
  x:zero()
  tester:eq(x:detach(), torch.zeros(2, 3):double(), 0)
  -- under noGrad nothing changes in the history
  local u = x * 2
  torch.noGrad(function() u:fill(1) end)
  tester:assert(u.gradFn ~= nil, 'fill with grad mode off keeps the history')
end

function T.leaf_updates()
  local w = randn(3)
  local g = torch.randn(3):double()
  local w0 = w:detach():clone()
  w:add(-0.1, g)
  tester:assert(w:isLeaf() and w.gradFn == nil and w.requiresGrad, 'w:add(-0.1, g) is a value update')
  tester:eq(w:detach(), w0 - g * 0.1, 1e-12)
  w:mul(0.5)
  tester:assert(w:isLeaf() and w.gradFn == nil, 'w:mul(0.5) is a value update')
  w:exp():clamp(0, 1):addcmul(0.1, g, g)
  tester:assert(w:isLeaf() and w.gradFn == nil, 'unary, clamp, addcmul on a leaf: value updates')
  local other = randn(3)
  tester:assertErrorMsg(function() w:add(-0.1, other) end,
    'add: the result would be written into a leaf tensor that requires grad (or a view of one); ' ..
    'write into a new tensor, or run the update under torch.noGrad', 'operand requiring grad')
  tester:assertError(function() w:addcmul(0.1, other, g) end, 'addcmul: operand requiring grad')
  tester:assertError(function() torch.exp(w, other) end, 'exp into a leaf')
  tester:assertError(function() torch.mul(w, other, 2) end, 'mul into a leaf')
  tester:assertError(function() torch.clamp(w, other, 0, 1) end, 'clamp into a leaf')
  tester:assertError(function() w:lerp(other, 0.5) end, 'lerp into a leaf')
  torch.noGrad(function() w:add(-0.1, other) end)
  tester:assert(w:isLeaf(), 'the same update under noGrad')
end

function T.no_grad_records_nothing()
  local a, b = randn(3), uniform(0.5, 1, 3)
  torch.noGrad(function()
    local rs = {
      a * 2, 2 - a, -a, a / b, a ^ 2, 2 ^ a, torch.exp(a), torch.sigmoid(a), torch.clamp(a, 0, 1),
      torch.addcmul(a, a, b), torch.addcdiv(a, a, b), torch.lerp(a, b, 0.5),
      torch.where(a:gt(0), a, b), a:float(), a:clone(), a:t():contiguous(),
    }
    for i, r in ipairs(rs) do tester:assert(not r.requiresGrad, 'nothing recorded, result ' .. i) end
  end)
  tester:assert((a * 2).requiresGrad, 'recording again after noGrad')
end

function T.not_differentiable_still_work()
  local a, b = randn(2, 3), randn(2, 3)
  local c = a:gt(0)
  tester:eq(torch.type(c), 'torch.ByteTensor')
  tester:assert(not c.requiresGrad, 'comparison not recorded')
  tester:assert(not torch.eq(a, b).requiresGrad, 'eq')
  tester:assert(not a:le(0.5).requiresGrad, 'le with a number')
  local res = torch.DoubleTensor()
  torch.gt(res, a, 0)
  tester:assert(not res.requiresGrad, 'comparison into a double result')
  tester:assert(not torch.logicalNot(a).requiresGrad, 'logicalNot')
  -- a gradient through a mask
  local g = grad_of(function(x) return torch.cmul(x, x:gt(0):double()) end, a)
  tester:eq(g, a:detach():gt(0):double(), 0, 'mask has no gradient')
end

function T.saved_tensor_modified()
  local x = uniform(0.5, 1, 3)
  local y = torch.sin(x)
  x:add(1)   -- a leaf update after x was saved
  local ok, err = pcall(function() y:backward(torch.ones(3):double()) end)
  tester:assert(not ok and tostring(err):find('SinBackward') and tostring(err):find('in%-place'), tostring(err))
  -- a recorded write into a tensor saved for backward: the backward that needs it errors
  local h = x * 1
  local e = torch.exp(h)   -- saves its output e
  e:mul(2)
  tester:assertErrorPattern(function() e:backward(torch.ones(3):double()) end, 'ExpBackward.*in%-place',
                            'write into a saved output')
  local h2 = x * 1
  local s = torch.sin(h2)   -- saves h2
  h2:add(1)
  tester:assertErrorPattern(function() s:backward(torch.ones(3):double()) end, 'SinBackward.*in%-place',
                            'write into a saved input')
  -- a write into a view in the graph is refused (its base would not see it)
  local base = x * 1
  tester:assertErrorPattern(function() base:narrow(1, 1, 2):mul(2) end, 'view', 'in-place on a view')
end

function T.empty_tensors()
  local x = leaf(torch.zeros(0, 3))
  local y = torch.exp(x) * 2 + 1
  tester:eq(y:size(1), 0)
  local g = torch.grad({y}, {x}, {torch.zeros(0, 3):double()})[1]
  tester:eq(g:nElement(), 0, 'empty gradient')
  local e = torch.DoubleTensor():setRequiresGrad()
  tester:assertNoError(function() return torch.exp(e), e * 2, e:clone() end, 'storage-less tensor')
end

function T.second_order()
  local function pos(...) return uniform(0.5, 2, ...) end
  ggcheck(function(a, b) return torch.pow(a, b) end, {pos(3, 4), randn(3, 4)}, 'pow tensor-tensor')
  ggcheck(function(a) return torch.pow(a, 3) end, {pos(3, 4)}, 'pow a ^ 3')
  ggcheck(function(a) return a ^ 2.5 end, {pos(3, 4)}, 'pow a ^ 2.5')
  ggcheck(function(a) return a ^ 2 end, {pos(3, 4)}, 'pow a ^ 2')
  ggcheck(function(a) return torch.pow(2, a) end, {randn(3, 4)}, 'pow 2 ^ a')
  ggcheck(function(a, b) return torch.cmul(a, b) end, {randn(3, 4), randn(3, 4)}, 'mul')
  ggcheck(function(a, b) return torch.cdiv(a, b) end, {randn(3, 4), pos(3, 4)}, 'div')
  ggcheck(function(a) return 3 / a end, {pos(3, 4)}, 's / a')
  for _, op in ipairs{'tanh', 'sigmoid', 'exp', 'log', 'sqrt', 'rsqrt', 'cinv', 'exp2', 'expm1',
                      'tan', 'sin', 'cos', 'asin', 'acos', 'atan', 'sinh', 'cosh', 'log1p', 'log2',
                      'log10', 'square'} do
    local lo, hi = unary[op][1], unary[op][2]
    if op == 'log1p' then lo = 0.1 end
    if op == 'asin' or op == 'acos' then lo, hi = -0.7, 0.7 end
    ggcheck(function(a) return torch[op](a) end, {uniform(lo, hi, 2, 3)}, op)
  end
  ggcheck(function(a) return torch.cmul(torch.abs(a), a) end, {randn(2, 3)}, 'abs')
  ggcheck(function(a) return torch.cmul(torch.clamp(a, -0.5, 0.5), a) end, {randn(2, 3)}, 'clamp')
  ggcheck(function(a, b, c) return torch.cmul(torch.addcdiv(a, 0.5, b, c), a) end,
          {randn(2, 3), randn(2, 3), pos(2, 3)}, 'addcdiv')
  ggcheck(function(a, b, c) return torch.cmul(torch.addcmul(a, 0.5, b, c), b) end,
          {randn(2, 3), randn(2, 3), randn(2, 3)}, 'addcmul')
  ggcheck(function(a, b) return torch.cmul(torch.lerp(a, b, 0.3), b) end, {randn(2, 3), randn(2, 3)}, 'lerp')
  local cond = torch.rand(2, 3):gt(0.5)
  ggcheck(function(a, b) return torch.where(cond, torch.cmul(a, a), torch.exp(b)) end, {randn(2, 3), randn(2, 3)}, 'where')
  ggcheck(function(a) local d = a:clone(); return torch.cmul(d, d) end, {randn(2, 3)}, 'clone')
  ggcheck(function(a) return torch.cmul(torch.atan2(a, 0.7), a) end, {randn(2, 3)}, 'atan2 scalar')
  -- through a dtype conversion (float32 precision: looser tolerances)
  ggcheck(function(a) local f = a:float(); return torch.cmul(f, f):double() end, {randn(2, 3)}, 'float round trip', 1e-3, 1e-2)
end

function T.cuda_conversions()
  local ok = torch.cudaAvailable()
  if not ok then tester:skip('no GPU') end
  local x = randn(3, 4)
  local g = x:cuda()
  tester:assert(g.requiresGrad and g.gradFn.name == 'CopyBackward', 'cuda() records')
  local y = torch.clamp(torch.sigmoid(g * 2), 0.2, 0.8)
  local back = y:double()
  tester:eq(torch.type(back), 'torch.DoubleTensor')
  local gx = torch.grad({back}, {x}, {torch.ones(3, 4):double()})[1]
  tester:eq(torch.type(gx), 'torch.DoubleTensor', 'the gradient is on the CPU, a double')
  local want = grad_of(function(a) return torch.clamp(torch.sigmoid(a * 2), 0.2, 0.8) end, x)
  tester:eq(gx, want, 1e-5, 'same gradient as on the CPU')
  local xc = torch.randn(3, 4):cuda():setRequiresGrad()
  local c = xc:double():cpu()
  local gc = torch.grad({torch.exp(c)}, {xc}, {torch.ones(3, 4):double()})[1]
  tester:assert(gc:type():find('Cuda'), 'gradient back on the GPU')
  tester:eq(gc:double():cpu(), torch.exp(xc:detach():double():cpu()), 1e-5, 'exp on the way back')
  -- the formulas on the GPU give the CPU's gradients
  local forms = {
    function(a) return a * 3 - 1 end, function(a) return 2 / a end, function(a) return a ^ 2.5 end,
    function(a) return torch.pow(2, a) end, function(a) return torch.cmax(a, 0.8) end,
    function(a) return torch.clamp(a, 0.7, 1.2) end, function(a) return a % 0.3 end,
    function(a) return torch.addcdiv(a, 0.5, a, a + 1) end, function(a) return torch.lerp(a, torch.cmul(a, a), 0.3) end,
    function(a) return torch.pow(a, a) end, function(a) return torch.pow(0, a) end,
    function(a) return a:clone():float() end,
  }
  for _, op in ipairs(unary_names) do forms[#forms + 1] = torch[op] end
  for i, f in ipairs(forms) do
    local xcpu = uniform(0.55, 0.95, 4, 5)
    local xgpu = xcpu:detach():cuda():setRequiresGrad()
    local gcpu = grad_of(f, xcpu)
    local ggpu = grad_of(f, xgpu)
    tester:assert(ggpu:type():find('Cuda'), 'form ' .. i .. ': gradient on the GPU')
    tester:eq(ggpu:double():cpu(), gcpu, 1e-4, 'form ' .. i .. ' (' .. (unary_names[i - 12] or '') .. ')')
  end
end

tester:add(T)
return tester
