-- Autograd of the linear algebra ops (tensor/grad_linalg.c): gradcheck of every product
-- form (addmm, mm, addmv, mv, addr, ger, baddbmm, bmm, addbmm, matmul), dot and trace as
-- 0-dim tensors, diag, tril/triu, cross; hand-checked gradients; second derivatives; the
-- out= and in-place forms; grad mode off.
local tester = torch.Tester()
local T = torch.TestSuite()

torch.manualSeed(7)

-- a float64 leaf that requires grad; t = true makes it a transposed (non-contiguous) leaf
local function leaf(t, ...)
  local x
  if t then
    local sz = {...}
    local n = #sz
    sz[n - 1], sz[n] = sz[n], sz[n - 1]
    x = torch.randn(table.unpack(sz)):double():transpose(n - 1, n)
  else
    x = torch.randn(...):double()
  end
  return x:setRequiresGrad()
end
local function vec(n) return torch.randn(n):double():setRequiresGrad() end

-- the name of t's gradient function ('MmBackward'), or nil
local function fname(t) return t.gradFn and t.gradFn.name end

local function check(f, inputs, what)
  local ok, msg = torch.gradcheck(f, inputs)
  tester:assert(ok, (what or '') .. ': ' .. tostring(msg))
end

-- gradcheck on a 0-dim output through a one-element result (x + zeros(1))
local function lift(f)
  return function(...) return f(...) + torch.zeros(1):double() end
end

-- second derivatives need the view ops (transpose, reshape, expand) recorded (grad_shape.c)
local function need_views()
  local x = torch.randn(2, 3):double():setRequiresGrad()
  if not x:t().requiresGrad then tester:skip('transpose is not recorded yet (grad_shape.c)') end
end

-- (gradcheck evaluates its function under noGrad: f's graph is made under enableGrad)
local function gradgrad(f, inputs, what)
  local ok, msg = torch.gradgradcheck(function(...) return torch.enableGrad(f, ...) end, inputs)
  tester:assert(ok, (what or '') .. ': ' .. tostring(msg))
end

---------------------------------------------------------------------------------------
-- matrix products
---------------------------------------------------------------------------------------

function T.mm_gradcheck()
  for _, s in ipairs{{3, 4, 5}, {1, 4, 1}, {4, 1, 3}, {2, 0, 3}} do
    local m, k, n = s[1], s[2], s[3]
    for _, ta in ipairs{false, true} do
      for _, tb in ipairs{false, true} do
        check(function(a, b) return torch.mm(a, b) end, {leaf(ta, m, k), leaf(tb, k, n)},
              string.format('mm %dx%dx%d %s %s', m, k, n, tostring(ta), tostring(tb)))
      end
    end
  end
  -- one operand without grad; the method and operator forms
  local A, B = leaf(false, 3, 4), torch.randn(4, 2):double()
  check(function(a) return a:mm(B) end, {A}, 'a:mm(b)')
  check(function(a, b) return a * b end, {A, leaf(true, 4, 2)}, 'operator *')
end

function T.mm_hand_computed()
  -- d/dA sum(A B) = ones B^T, d/dB sum(A B) = A^T ones
  local A = torch.Tensor{{1, 2, 3}, {4, 5, 6}}:double():setRequiresGrad()
  local B = torch.Tensor{{1, 0, 2, 1}, {0, 1, 1, 3}, {2, 1, 0, 1}}:double():setRequiresGrad()
  local C = A * B
  tester:asserteq(fname(C), 'MmBackward', 'the * operator records mm')
  C:backward(torch.ones(2, 4):double())
  local ones = torch.ones(2, 4):double()
  tester:eq(A.grad, ones * B:detach():t(), 1e-12, 'A.grad = ones B^T')
  tester:eq(A.grad, torch.Tensor{{4, 5, 4}, {4, 5, 4}}:double(), 1e-12, 'A.grad by hand')
  tester:eq(B.grad, torch.Tensor{{5, 5, 5, 5}, {7, 7, 7, 7}, {9, 9, 9, 9}}:double(), 1e-12, 'B.grad by hand')
  -- a weighted gradient: dA = G B^T
  local A2 = torch.Tensor{{1, 2}, {3, 4}}:double():setRequiresGrad()
  local B2 = torch.Tensor{{5, 6}, {7, 8}}:double()
  torch.mm(A2, B2):backward(torch.Tensor{{1, 0}, {0, 2}}:double())
  tester:eq(A2.grad, torch.Tensor{{5, 7}, {12, 16}}:double(), 1e-12, 'G B^T')
  -- mv and ger by hand
  local M = torch.Tensor{{1, 2}, {3, 4}, {5, 6}}:double():setRequiresGrad()
  local x = torch.Tensor{1, -1}:double():setRequiresGrad()
  local y = torch.mv(M, x)
  tester:asserteq(fname(y), 'MvBackward')
  y:backward(torch.Tensor{1, 2, 3}:double())
  tester:eq(M.grad, torch.Tensor{{1, -1}, {2, -2}, {3, -3}}:double(), 1e-12, 'mv: dM = g x^T')
  tester:eq(x.grad, torch.Tensor{22, 28}:double(), 1e-12, 'mv: dx = M^T g')
  tester:asserteq(fname((M * x)), 'MvBackward', 'matrix * vector records mv')
end

function T.addmm_gradcheck()
  for _, ba in ipairs{{1, 1}, {0.5, 2}, {0, 1.5}, {-1, 0}, {2, -0.5}} do
    local beta, alpha = ba[1], ba[2]
    for _, ms in ipairs{{3, 5}, {5}, {1, 5}, {3, 1}, {}} do
      local M = #ms == 0 and torch.randn(1):double():view(torch.LongStorage()):setRequiresGrad()
                or torch.randn(table.unpack(ms)):double():setRequiresGrad()
      check(function(m, a, b) return torch.addmm(beta, m, alpha, a, b) end,
            {M, leaf(true, 3, 4), leaf(false, 4, 5)},
            string.format('addmm beta=%g alpha=%g M %s', beta, alpha, table.concat(ms, 'x')))
    end
  end
  check(function(m, a, b) return torch.addmm(m, a, b) end, {leaf(true, 3, 5), leaf(false, 3, 2), leaf(true, 2, 5)}, 'addmm defaults')
  -- beta = 0: M is ignored; its gradient is zero
  local M, A, B = leaf(false, 2, 2), leaf(false, 2, 3), leaf(false, 3, 2)
  local gm = torch.grad({torch.addmm(0, M, 1, A, B)}, {M}, {torch.ones(2, 2):double()})[1]
  tester:eq(gm, torch.zeros(2, 2):double(), 0, 'beta = 0: zero gradient for M')
  -- a vector bias: its gradient is beta * the column sums of g
  local bias = torch.Tensor{1, 2}:double():setRequiresGrad()
  torch.addmm(3, bias, 1, A, B):backward(torch.Tensor{{1, 2}, {3, 4}}:double())
  tester:eq(bias.grad, torch.Tensor{12, 18}:double(), 1e-12, 'bias gradient')
end

function T.addmv_mv_gradcheck()
  for _, ta in ipairs{false, true} do
    check(function(a, x) return torch.mv(a, x) end, {leaf(ta, 3, 4), vec(4)}, 'mv')
    check(function(a, x) return torch.mv(a, x) end, {leaf(ta, 1, 1), vec(1)}, 'mv 1x1')
    for _, ba in ipairs{{1, 1}, {0.5, -2}, {0, 3}} do
      for _, vs in ipairs{{3}, {1}} do
        check(function(v, a, x) return torch.addmv(ba[1], v, ba[2], a, x) end,
              {vec(vs[1]), leaf(ta, 3, 4), vec(4)}, 'addmv beta=' .. ba[1] .. ' v ' .. vs[1])
      end
    end
  end
  -- x a strided (non-contiguous) vector
  local xs = torch.randn(8):double():narrow(1, 1, 8):unfold(1, 1, 2):select(2, 1):setRequiresGrad()
  check(function(a, x) return torch.mv(a, x) end, {leaf(false, 3, 4), xs}, 'mv strided x')
end

function T.addr_ger_gradcheck()
  check(function(x, y) return torch.ger(x, y) end, {vec(3), vec(4)}, 'ger')
  check(function(x, y) return torch.ger(x, y) end, {vec(1), vec(1)}, 'ger 1x1')
  for _, ba in ipairs{{1, 1}, {2, 0.5}, {0, -1}} do
    for _, ms in ipairs{{3, 4}, {4}, {3, 1}} do
      check(function(m, x, y) return torch.addr(ba[1], m, ba[2], x, y) end,
            {torch.randn(table.unpack(ms)):double():setRequiresGrad(), vec(3), vec(4)},
            'addr beta=' .. ba[1] .. ' M ' .. table.concat(ms, 'x'))
    end
  end
  check(function(m, x, y) return torch.addr(m, x, y) end, {leaf(true, 3, 4), vec(3), vec(4)}, 'addr transposed M')
end

function T.bmm_baddbmm_addbmm_gradcheck()
  for _, ta in ipairs{false, true} do
    for _, tb in ipairs{false, true} do
      check(function(a, b) return torch.bmm(a, b) end, {leaf(ta, 2, 3, 4), leaf(tb, 2, 4, 5)}, 'bmm')
    end
  end
  check(function(a, b) return torch.bmm(a, b) end, {leaf(false, 1, 1, 3), leaf(false, 1, 3, 1)}, 'bmm 1x1')
  for _, ba in ipairs{{1, 1}, {0.5, 2}, {0, -1}} do
    for _, ms in ipairs{{2, 3, 5}, {3, 5}, {5}, {1, 3, 1}} do
      check(function(m, a, b) return torch.baddbmm(ba[1], m, ba[2], a, b) end,
            {torch.randn(table.unpack(ms)):double():setRequiresGrad(), leaf(true, 2, 3, 4), leaf(false, 2, 4, 5)},
            'baddbmm beta=' .. ba[1] .. ' M ' .. table.concat(ms, 'x'))
    end
    for _, ms in ipairs{{3, 5}, {5}, {3, 1}} do
      check(function(m, a, b) return torch.addbmm(ba[1], m, ba[2], a, b) end,
            {torch.randn(table.unpack(ms)):double():setRequiresGrad(), leaf(false, 4, 3, 2), leaf(true, 4, 2, 5)},
            'addbmm beta=' .. ba[1] .. ' M ' .. table.concat(ms, 'x'))
    end
  end
end

function T.matmul_gradcheck()
  local cases = {
    {{3, 4}, {4, 5}}, {{3, 4}, {4}}, {{4}, {4, 5}}, {{2, 3, 4}, {2, 4, 5}},
    {{2, 3, 4}, {4, 5}}, {{3, 4}, {2, 4, 5}}, {{4}, {2, 4, 5}}, {{2, 3, 4}, {4}},
    {{2, 1, 3, 4}, {5, 4, 2}}, {{1, 3, 4}, {2, 4, 2}}, {{2, 1, 2, 3}, {1, 3, 3, 2}},
  }
  for _, c in ipairs(cases) do
    for _, t in ipairs{false, true} do
      local a = #c[1] >= 2 and leaf(t, table.unpack(c[1])) or vec(c[1][1])
      local b = #c[2] >= 2 and leaf(not t, table.unpack(c[2])) or vec(c[2][1])
      check(function(x, y) return torch.matmul(x, y) end, {a, b},
            'matmul ' .. table.concat(c[1], 'x') .. ' @ ' .. table.concat(c[2], 'x'))
    end
  end
  -- 1-D . 1-D: a 0-dim result
  local a, b = vec(4), vec(4)
  local r = torch.matmul(a, b)
  tester:asserteq(r:dim(), 0, '1-D . 1-D is 0-dim')
  tester:asserteq(fname(r), 'MatmulBackward')
  r:backward()
  tester:eq(a.grad, b:detach(), 1e-12, 'd/da a.b = b')
  check(lift(function(x, y) return torch.matmul(x, y) end), {a, b}, 'matmul 1-D . 1-D')
  -- the method form and one operand without grad
  local B = torch.randn(4, 3):double()
  check(function(x) return x:matmul(B) end, {leaf(false, 2, 4)}, 'a:matmul(B)')
  local C = torch.randn(2, 2, 3):double()
  check(function(x) return C:matmul(x) end, {leaf(false, 3, 2)}, 'const:matmul(x)')
end

---------------------------------------------------------------------------------------
-- dot, trace: 0-dim tensors when recorded, numbers otherwise
---------------------------------------------------------------------------------------

function T.dot_zero_dim()
  local a, b = vec(5), vec(5)
  local d = torch.dot(a, b)
  tester:assert(torch.isTensor(d) and d:dim() == 0, 'torch.dot: a 0-dim tensor when recorded')
  tester:asserteq(fname(d), 'DotBackward')
  local want = torch.cmul(a:detach(), b:detach()):sum()
  tester:assertalmosteq(d:item(), want, 1e-12, 'value')
  d:backward()    -- no gradOutput: a 0-dim output
  tester:eq(a.grad, b:detach(), 1e-12, 'a.grad = b')
  tester:eq(b.grad, a:detach(), 1e-12, 'b.grad = a')
  tester:asserteq(fname(a:dot(b)), 'DotBackward', 'method form')
  check(lift(function(x, y) return torch.dot(x, y) end), {vec(5), vec(5)}, 'dot')
  check(lift(function(x, y) return x:dot(y) end), {leaf(true, 2, 3), leaf(false, 3, 2)}, 'dot of matrices (flattened)')
  check(lift(function(x) return torch.dot(x, torch.ones(3):double()) end), {vec(3)}, 'dot one operand')
  -- numbers otherwise, as before
  local p, q = torch.randn(3):double(), torch.randn(3):double()
  tester:asserteq(type(torch.dot(p, q)), 'number', 'no grad: a number')
  tester:asserteq(type(p:dot(q)), 'number', 'method, no grad: a number')
  tester:asserteq(type(torch.noGrad(function() return torch.dot(a, b) end)), 'number', 'noGrad: a number')
  tester:asserteq(type(torch.dot(torch.LongTensor{1, 2}, torch.LongTensor{3, 4})), 'number')
  tester:assertError(function() torch.dot(vec(3), vec(4)) end, 'size mismatch is an error')
end

function T.trace_zero_dim()
  for _, s in ipairs{{3, 3}, {2, 4}, {4, 2}, {1, 1}} do
    local A = leaf(false, s[1], s[2])
    local t = A:trace()
    tester:assert(torch.isTensor(t) and t:dim() == 0, 'a:trace(): 0-dim when recorded')
    tester:asserteq(fname(t), 'TraceBackward')
    t:backward()
    tester:eq(A.grad, torch.eye(s[1], s[2]):double(), 0, 'trace gradient: the identity')
    check(lift(function(x) return x:trace() end), {leaf(true, s[1], s[2])}, 'trace')
  end
  tester:asserteq(type(torch.randn(3, 3):double():trace()), 'number', 'no grad: a number')
  local A = leaf(false, 3, 3)
  tester:asserteq(type(torch.noGrad(function() return A:trace() end)), 'number', 'noGrad: a number')
  tester:assertError(function() vec(3):trace() end, 'trace of a vector is an error')
end

---------------------------------------------------------------------------------------
-- diag, tril/triu, cross
---------------------------------------------------------------------------------------

function T.diag_gradcheck()
  for _, k in ipairs{0, 1, -1, 2, -2} do
    check(function(x) return torch.diag(x, k) end, {vec(3)}, 'diag vector -> matrix k=' .. k)
    for _, s in ipairs{{3, 3}, {3, 5}, {5, 3}} do
      for _, t in ipairs{false, true} do
        check(function(x) return torch.diag(x, k) end, {leaf(t, s[1], s[2])},
              'diag matrix -> vector k=' .. k .. ' ' .. s[1] .. 'x' .. s[2])
      end
    end
  end
  check(function(x) return x:diag() end, {leaf(false, 4, 4)}, 'method form')
  -- by hand: the gradient of the diagonal puts g back on it
  local A = leaf(false, 2, 3)
  torch.diag(A, 1):backward(torch.Tensor{5, 7}:double())
  tester:eq(A.grad, torch.Tensor{{0, 5, 0}, {0, 0, 7}}:double(), 0, 'diag k=1 gradient')
  local v = vec(2)
  torch.diag(v, -1):backward(torch.range(1, 9):double():view(3, 3))
  tester:eq(v.grad, torch.Tensor{4, 8}:double(), 0, 'diag vector gradient')
  -- an offset outside the matrix: an empty diagonal, a zero gradient
  local B = leaf(false, 2, 2)
  local e = torch.diag(B, 5)
  tester:asserteq(e:nElement(), 0)
  tester:eq(torch.grad({e}, {B}, {torch.DoubleTensor(0)})[1], torch.zeros(2, 2):double(), 0, 'empty diagonal')
end

function T.tril_triu_gradcheck()
  for _, k in ipairs{0, 1, -1, 3, -4} do
    for _, s in ipairs{{4, 4}, {3, 5}, {2, 3, 4}} do
      for _, t in ipairs{false, true} do
        check(function(x) return torch.tril(x, k) end, {leaf(t, table.unpack(s))}, 'tril k=' .. k)
        check(function(x) return torch.triu(x, k) end, {leaf(t, table.unpack(s))}, 'triu k=' .. k)
      end
    end
  end
  local A = leaf(false, 3, 3)
  A:tril():backward(torch.ones(3, 3):double())
  tester:eq(A.grad, torch.Tensor{{1, 0, 0}, {1, 1, 0}, {1, 1, 1}}:double(), 0, 'tril gradient')
end

function T.cross_gradcheck()
  check(function(a, b) return torch.cross(a, b) end, {vec(3), vec(3)}, 'cross 3')
  check(function(a, b) return torch.cross(a, b) end, {leaf(false, 4, 3), leaf(true, 4, 3)}, 'cross first dim of size 3')
  check(function(a, b) return torch.cross(a, b, 1) end, {leaf(true, 3, 4), leaf(false, 3, 4)}, 'cross dim 1')
  check(function(a, b) return torch.cross(a, b, 2) end, {leaf(false, 2, 3, 3), leaf(false, 2, 3, 3)}, 'cross dim 2 of 3x3')
  check(function(a, b) return torch.cross(a, b) end, {leaf(false, 4, 3), vec(3)}, 'cross broadcast')
  check(function(a, b) return a:cross(b) end, {leaf(false, 2, 1, 3), leaf(false, 5, 3)}, 'cross broadcast both')
  check(function(a) return torch.cross(a, torch.Tensor{1, 2, 3}:double()) end, {vec(3)}, 'one operand')
end

---------------------------------------------------------------------------------------
-- second derivatives
---------------------------------------------------------------------------------------

function T.dot_gradgradcheck()
  gradgrad(function(a, b) return torch.dot(a, b) end, {vec(4), vec(4)}, 'dot')
end

function T.products_gradgradcheck()
  need_views()
  gradgrad(function(a, b) return torch.mm(a, b) end, {leaf(false, 3, 4), leaf(true, 4, 2)}, 'mm')
  -- (M's gradient is beta g, constant: M itself is not checked)
  local M = torch.randn(2):double()
  gradgrad(function(a, b) return torch.addmm(0.5, M, 2, a, b) end, {leaf(true, 3, 4), leaf(false, 4, 2)}, 'addmm')
  gradgrad(function(a, b) return torch.baddbmm(2, M, -1, a, b) end, {leaf(false, 2, 3, 4), leaf(true, 2, 4, 2)}, 'baddbmm')
  gradgrad(function(a, b) return torch.addbmm(1, M, 3, a, b) end, {leaf(false, 2, 3, 4), leaf(true, 2, 4, 2)}, 'addbmm')
  gradgrad(function(x, y) return torch.addr(2, M:view(2, 1), 0.5, x, y) end, {vec(2), vec(3)}, 'addr')
  gradgrad(function(a, b) return torch.bmm(a, b) end, {leaf(false, 2, 3, 4), leaf(true, 2, 4, 2)}, 'bmm')
  gradgrad(function(a, x) return torch.mv(a, x) end, {leaf(true, 3, 4), vec(4)}, 'mv')
  gradgrad(function(a, x) return torch.addmv(2, vec(3):detach(), -1, a, x) end, {leaf(false, 3, 4), vec(4)}, 'addmv')
  gradgrad(function(x, y) return torch.ger(x, y) end, {vec(3), vec(2)}, 'ger')
  gradgrad(function(a, b) return torch.matmul(a, b) end, {leaf(false, 2, 1, 3, 4), leaf(false, 2, 4, 2)}, 'matmul batched')
  gradgrad(function(a, b) return torch.matmul(a, b) end, {vec(4), leaf(false, 2, 4, 3)}, 'matmul 1-D @ 3-D')
  gradgrad(function(a, b) return torch.cross(a, b) end, {leaf(false, 2, 3), vec(3)}, 'cross')
  gradgrad(function(a) return torch.cmul(torch.diag(a, 1), torch.diag(a, 1)) end, {leaf(false, 3, 4)}, 'diag')
  gradgrad(function(a) local b = torch.triu(a); return torch.mm(b, b) end, {leaf(false, 3, 3)}, 'triu')
end

---------------------------------------------------------------------------------------
-- out= and in-place forms, grad mode off
---------------------------------------------------------------------------------------

function T.out_forms_record()
  local A, B = leaf(false, 3, 4), leaf(true, 4, 2)
  local res = torch.DoubleTensor()
  local r = torch.mm(res, A, B)
  tester:assert(r == res, 'torch.mm(res, A, B) returns res')
  tester:asserteq(fname(res), 'MmBackward', 'the out tensor has the history')
  res:backward(torch.ones(3, 2):double())
  tester:eq(A.grad, torch.ones(3, 2):double() * B:detach():t(), 1e-12, 'gradient through res')
  local res2 = torch.DoubleTensor(7)
  res2:mm(A, B)
  tester:asserteq(fname(res2), 'MmBackward', 'res:mm(A, B)')
  for name, f in pairs{
    mv = function(o) return torch.mv(o, A, vec(4)) end,
    bmm = function(o) return torch.bmm(o, leaf(false, 2, 2, 3), leaf(false, 2, 3, 2)) end,
    ger = function(o) return torch.ger(o, vec(2), vec(3)) end,
    matmul = function(o) return torch.matmul(o, leaf(false, 2, 3, 4), B) end,
    addmm = function(o) return torch.addmm(o, vec(2), A, B) end,
    diag = function(o) return torch.diag(o, leaf(false, 3, 3)) end,
    tril = function(o) return torch.tril(o, leaf(false, 3, 3)) end,
    cross = function(o) return torch.cross(o, vec(3), vec(3)) end,
  } do
    local o = torch.DoubleTensor()
    f(o)
    tester:assert(o.requiresGrad and o.gradFn ~= nil, name .. ': out= records')
  end
  check(function(a, b) return torch.mm(torch.DoubleTensor(), a, b) end, {leaf(false, 2, 3), leaf(false, 3, 2)}, 'mm out=')
  check(function(m, a, b) return torch.addmm(torch.DoubleTensor(), 2, m, 3, a, b) end,
        {leaf(false, 2, 2), leaf(false, 2, 3), leaf(false, 3, 2)}, 'addmm out=')
end

function T.in_place_forms()
  local M0, A, B = leaf(false, 2, 2), leaf(false, 2, 3), leaf(false, 3, 2)
  -- M:addmm(A, B) on a non-leaf: recorded, M's old history feeds the new one (the engine
  -- reads an input that is also the out tensor from a clone, which must be recorded)
  if (M0 * 1):clone().requiresGrad then
    check(function(m0, a, b)
      local m = m0 * 1
      m:addmm(0.5, 2, a, b)
      return m
    end, {M0, A, B}, 'M:addmm(beta, alpha, A, B) in place')
    check(function(m0, a) local m = m0 * 1; m:tril(m); return m end, {M0}, 'm:tril(m) in place')
  end
  -- into a leaf that requires grad with an operand that requires grad: an error
  local W = leaf(false, 2, 2)
  tester:assertErrorPattern(function() W:addmm(A, B) end, 'addmm.*leaf', 'write into a leaf')
  tester:assertErrorPattern(function() torch.mm(W, A, B) end, 'mm.*leaf', 'mm into a leaf')
  -- a leaf update with operands that need no grad (an optimizer step): not recorded
  local A0, B0 = A:detach(), B:detach()
  local before = W:detach():clone()
  W:addmm(1, -0.1, A0, B0)
  tester:assert(W.gradFn == nil and W.requiresGrad, 'the leaf stays a leaf')
  tester:eq(W:detach(), before - torch.mm(A0, B0) * 0.1, 1e-12, 'updated')
  -- into a view: an error (the viewed tensor's history would not see the write)
  local base = torch.DoubleTensor(4, 2)
  local view = base:narrow(1, 1, 2)
  tester:assertErrorPattern(function() torch.mm(view, A, B) end, 'mm.*view', 'out is a view')
end

function T.no_grad_records_nothing()
  local A, B, x = leaf(false, 3, 4), leaf(false, 4, 2), vec(4)
  torch.noGrad(function()
    for name, r in pairs{
      mm = torch.mm(A, B), addmm = torch.addmm(vec(2), A, B), mv = torch.mv(A, x), ger = torch.ger(x, x),
      bmm = torch.bmm(leaf(false, 2, 3, 4), leaf(false, 2, 4, 2)), matmul = torch.matmul(A, B),
      diag = torch.diag(A), tril = torch.tril(A), cross = torch.cross(vec(3), vec(3)), star = A * B,
    } do
      tester:assert(not r.requiresGrad and r.gradFn == nil, name .. ': nothing recorded')
    end
  end)
  local r = torch.mm(A:detach(), B:detach())
  tester:assert(not r.requiresGrad, 'no input requires grad')
  -- integer products still work beside autograd
  tester:eq(torch.mm(torch.LongTensor{{1, 2}}, torch.LongTensor{{3}, {4}}), torch.LongTensor{{11}}, 0)
end

function T.saved_tensor_modified_is_an_error()
  local A, B = leaf(false, 2, 3), torch.randn(3, 2):double()
  local C = torch.mm(A, B)
  B:add(1)
  tester:assertErrorPattern(function() C:backward(torch.ones(2, 2):double()) end, 'modified', 'B was modified in place')
end

-- the same formulas on the GPU (cuBLAS): checked only where a GPU is present (test_cuda.lua
-- reports the skip otherwise)
function T.cuda_products_match_cpu()
  if not torch.cudaAvailable() then return end
  local function both(f, shapes)
    local cpu, gpu = {}, {}
    for i, s in ipairs(shapes) do
      local x = torch.randn(table.unpack(s)):double()
      cpu[i] = x:clone():setRequiresGrad()
      gpu[i] = x:cuda():setRequiresGrad()
    end
    local rc, rg = f(table.unpack(cpu)), f(table.unpack(gpu))
    local g = torch.randn(rc:size()):double()
    rc:backward(g)
    rg:backward(g:cuda())
    for i = 1, #shapes do
      tester:eq(gpu[i].grad:cpu():double(), cpu[i].grad, 1e-10, 'cuda gradient ' .. i)
    end
  end
  both(function(a, b) return torch.mm(a, b) end, {{3, 4}, {4, 5}})
  -- (full-size M: a broadcast M's gradient is a sum, not yet on the GPU)
  both(function(m, a, b) return torch.addmm(0.5, m, 2, a, b) end, {{3, 5}, {3, 4}, {4, 5}})
  both(function(a, b) return torch.bmm(a, b) end, {{2, 3, 4}, {2, 4, 5}})
  both(function(m, a, b) return torch.baddbmm(0.5, m, 3, a, b) end, {{2, 3, 5}, {2, 3, 4}, {2, 4, 5}})
  both(function(m, a, b) return torch.addbmm(2, m, 1, a, b) end, {{3, 5}, {2, 3, 4}, {2, 4, 5}})
end

tester:add(T)
return tester
