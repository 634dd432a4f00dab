-- Activations, softmax and losses (tensor/nn_act.c, bindings/nn_act.c) and their nn
-- modules and criterions: values against float64 references computed here, gradcheck
-- of every input (and PReLU's weight), gradgradcheck of the smooth ones, in-place
-- behaviour, class weights and ignoreIndex by hand, Torch7 constructors and printing,
-- bad input.
require 'nn'
local tester = torch.Tester()
local T = torch.TestSuite()

torch.manualSeed(11)

local D = torch.DoubleTensor
local function leaf(...) return torch.randn(...):double():setRequiresGrad() end
-- a transposed (non-contiguous) leaf of size a x b
local function tleaf(a, b) return torch.randn(b, a):double():t():setRequiresGrad() end

local function check(f, inputs, what)
  local ok, msg = torch.gradcheck(f, inputs)
  tester:assert(ok, (what or '') .. ': ' .. tostring(msg))
end
local function gradgrad(f, inputs, what)
  local ok, msg = torch.gradgradcheck(function(...) return torch.enableGrad(f, ...) end, inputs)
  tester:assert(ok, (what or '') .. ' (second order): ' .. tostring(msg))
end

-- elementwise float64 reference: f applied to every element of x
local function map(x, f)
  local y = x:detach():double():contiguous():clone()
  local v = y:view(-1)
  for i = 1, v:nElement() do v[i] = f(v[i]) end
  return y
end

-- erf, independently: its series below 3, a continued fraction of erfc above
local function erf(x)
  local ax = math.abs(x)
  if ax < 3 then
    local s, term, n = 0, ax, 0
    repeat
      local add = term / (2 * n + 1)
      s = s + add
      n = n + 1
      term = -term * ax * ax / n
    until math.abs(add) < 1e-17
    local r = 2 / math.sqrt(math.pi) * s
    return x < 0 and -r or r
  end
  local cf = ax
  for k = 80, 1, -1 do cf = ax + (k / 2) / cf end
  local r = 1 - math.exp(-ax * ax) / (math.sqrt(math.pi) * cf)
  return x < 0 and -r or r
end
local function sigm(x) return 1 / (1 + math.exp(-x)) end

local refs = {
  relu = function(x) return x > 0 and x or 0 end,
  leakyRelu = function(x, s) s = s or 0.01; return x > 0 and x or s * x end,
  elu = function(x, a) a = a or 1; return x > 0 and x or a * (math.exp(x) - 1) end,
  gelu = function(x) return x * 0.5 * (1 + erf(x / math.sqrt(2))) end,
  silu = function(x) return x * sigm(x) end,
  softplus = function(x, b, th)
    b, th = b or 1, th or 20
    if b * x > th then return x end
    return math.log(1 + math.exp(b * x)) / b
  end,
  hardtanh = function(x, lo, hi) lo, hi = lo or -1, hi or 1; return math.min(math.max(x, lo), hi) end,
  threshold = function(x, th, v) return x > th and x or v end,
}

---------------------------------------------------------------------------------------
-- activations
---------------------------------------------------------------------------------------

local cases = {
  { 'relu', {} }, { 'leakyRelu', {} }, { 'leakyRelu', { 0.2 } }, { 'elu', {} }, { 'elu', { 0.5 } },
  { 'gelu', {} }, { 'silu', {} }, { 'softplus', {} }, { 'softplus', { 2, 3 } }, { 'hardtanh', {} },
  { 'hardtanh', { -0.5, 2 } }, { 'threshold', { 0.3, -2 } },
}

function T.activation_values()
  for _, c in ipairs(cases) do
    local name, p = c[1], c[2]
    local ref = function(v) return refs[name](v, table.unpack(p)) end
    for _, x in ipairs { torch.randn(7):double() * 3, torch.randn(3, 4):double():t() * 3,
                         torch.randn(2, 3, 4):double(), torch.Tensor{ -30, -1, 0, 1, 30 }:double() } do
      local y = torch[name](x, table.unpack(p))
      tester:eq(y, map(x, ref), 1e-12, name .. ' float64')
      local yf = torch[name](x:float(), table.unpack(p))
      tester:asserteq(yf:type(), 'torch.FloatTensor', name .. ' keeps the type')
      tester:eq(yf:double(), map(x:float(), ref), 1e-5, name .. ' float32')
    end
  end
  -- gelu far out: exact limits, no NaN
  tester:eq(torch.gelu(D{ -40, 40 }), D{ 0, 40 }, 1e-12, 'gelu limits')
  tester:eq(torch.softplus(D{ 1000, -1000 }, 1, 1e6), D{ 1000, 0 }, 1e-12, 'softplus stable')
end

function T.activation_result_and_empty()
  local x = torch.randn(3, 2):double()
  local res = torch.DoubleTensor()
  local r = torch.relu(res, x)
  tester:assert(r == res, 'relu(res, x) returns res')
  tester:eq(res, map(x, refs.relu), 1e-12, 'relu into res')
  tester:asserteq(torch.relu(torch.DoubleTensor()):nElement(), 0, 'empty in, empty out')
end

function T.activation_gradcheck()
  for _, c in ipairs(cases) do
    local name, p = c[1], c[2]
    local f = function(x) return torch[name](x, table.unpack(p)) end
    for _, x in ipairs { leaf(3, 4), tleaf(3, 4), leaf(5) } do
      -- keep away from the kinks (finite differences across them are meaningless)
      local v = x:detach()
      v:copy(torch.cmul(torch.sign(v), torch.abs(v) + 0.05))
      if name == 'threshold' then v:add(0.3) end
      if name == 'hardtanh' then v:copy(torch.rand(v:size()):double() * 2.8 - 1.4) end
      check(f, { x }, name .. ' ' .. x:dim() .. '-D' .. (x:isContiguous() and '' or ' transposed'))
    end
  end
end

function T.activation_gradgradcheck()
  for _, c in ipairs { { 'gelu', {} }, { 'silu', {} }, { 'elu', {} }, { 'elu', { 0.7 } },
                       { 'softplus', { 1.5, 20 } }, { 'leakyRelu', { 0.2 } }, { 'relu', {} } } do
    local name, p = c[1], c[2]
    gradgrad(function(x) return torch[name](x, table.unpack(p)) end, { leaf(2, 3) }, name)
  end
  -- the third derivative of gelu at a point: phi(x) (x^3 - 4x)
  local x = D{ 0.7 }:setRequiresGrad()
  local g1 = torch.grad({ torch.gelu(x) }, { x }, nil, { createGraph = true })[1]
  local g2 = torch.grad({ g1 }, { x }, nil, { createGraph = true, retainGraph = true })[1]
  local g3 = torch.grad({ g2 }, { x }, nil, { retainGraph = true })[1]
  local phi = math.exp(-0.49 / 2) / math.sqrt(2 * math.pi)
  tester:eq(g3[1], phi * (0.343 - 2.8), 1e-12, 'gelu third derivative')
  -- a fourth is refused clearly
  local g3c = torch.grad({ g2 }, { x }, nil, { createGraph = true, retainGraph = true })[1]
  tester:assertErrorPattern(function() torch.grad({ g3c }, { x }) end, 'above 3', 'gelu fourth derivative')
end

function T.activation_inplace()
  -- not recorded: written into x, x returned
  local x = D{ -1, 2, -3 }
  local y = torch.relu(x, true)
  tester:assert(y == x, 'relu in place returns x')
  tester:eq(x, D{ 0, 2, 0 }, 0, 'relu in place')
  local z = D{ -2, 0.5, 3 }
  torch.hardtanh(z, -1, 1, true)
  tester:eq(z, D{ -1, 0.5, 1 }, 0, 'hardtanh in place')
  local e = D{ -1, 1 }
  torch.elu(e, 2, true)
  tester:eq(e, D{ 2 * (math.exp(-1) - 1), 1 }, 1e-12, 'elu in place with alpha')
  torch.leakyRelu(e, true)
  torch.threshold(e, 0.5, 7, true)
  tester:eq(e, D{ 7, 1 }, 1e-12, 'threshold in place')
  -- a non-leaf no recorded op used yet: written in place and recorded (its history is
  -- the relu's), gradient right
  local a = D{ -1, 2, -3 }:setRequiresGrad()
  local b = a * 2
  local r = torch.relu(b, true)
  tester:assert(r == b, 'recorded: b itself')
  tester:eq(b:detach(), D{ 0, 4, 0 }, 0, 'recorded: b written')
  r:sum():backward()
  tester:eq(a.grad, D{ 0, 2, 0 }, 0, 'gradient through the in-place flag')
  -- one an op already used (here saved), or a leaf that requires grad: a new tensor
  local b2 = a * 2
  local used = torch.cmul(b2, b2)
  local r2 = torch.relu(b2, true)
  tester:assert(r2 ~= b2, 'used by a recorded op: a new tensor')
  tester:eq(b2:detach(), D{ -2, 4, -6 }, 0, 'used: untouched')
  tester:eq(used:detach(), D{ 4, 16, 36 }, 0, 'used: its consumer intact')
  local r3 = torch.relu(a, true)
  tester:assert(r3 ~= a, 'leaf: a new tensor')
  tester:eq(a:detach(), D{ -1, 2, -3 }, 0, 'leaf untouched')
  -- a write into a tensor a graph saved is refused when used
  local w = D{ 1, 2, 3 }:setRequiresGrad()
  local v = D{ -1, 1, -1 }
  local p = torch.cmul(w, v)
  torch.relu(v, true)
  tester:assertErrorPattern(function() p:sum():backward() end, 'modified by an in%-place', 'stale saved tensor')
end

function T.activation_errors()
  tester:assertErrorPattern(function() torch.relu(torch.LongTensor{ 1, 2 }) end, 'floating', 'integer input')
  tester:assertErrorPattern(function() torch.relu('x') end, 'tensor expected', 'not a tensor')
  tester:assertErrorPattern(function() torch.threshold(D{ 1 }) end, 'number expected', 'threshold needs th, val')
  tester:assertErrorPattern(function() torch.hardtanh(D{ 1 }, 2, 1) end, 'greater than max', 'hardtanh bounds')
  tester:assertErrorPattern(function() torch.softplus(D{ 1 }, 0) end, 'beta', 'softplus beta 0')
  tester:assertErrorPattern(function() torch.elu(D{ 1 }, 'a') end, 'number', 'elu alpha type')
end

---------------------------------------------------------------------------------------
-- PReLU
---------------------------------------------------------------------------------------

local function prelu_ref(x, w)
  local y = x:double():clone()
  local nw = w:nElement()
  if x:dim() == 1 then
    for i = 1, x:size(1) do
      local a = nw == 1 and w[1] or w[i]
      if y[i] <= 0 then y[i] = a * y[i] end
    end
    return y
  end
  local v = y:view(y:size(1), y:size(2), -1)
  for b = 1, v:size(1) do
    for c = 1, v:size(2) do
      local a = nw == 1 and w[1] or w[c]
      for k = 1, v:size(3) do
        if v[b][c][k] <= 0 then v[b][c][k] = a * v[b][c][k] end
      end
    end
  end
  return y
end

function T.prelu()
  for _, s in ipairs { { { 5 }, 5 }, { { 5 }, 1 }, { { 2, 3 }, 3 }, { { 2, 3, 2, 2 }, 3 }, { { 2, 3, 4 }, 1 } } do
    local x = leaf(table.unpack(s[1]))
    local w = (torch.rand(s[2]):double() * 0.5):setRequiresGrad()
    tester:eq(torch.prelu(x, w), prelu_ref(x:detach(), w:detach()), 1e-12, 'prelu values')
    check(function(a, b) return torch.prelu(a, b) end, { x, w }, 'prelu ' .. #s[1] .. '-D, ' .. s[2] .. ' weights')
    tester:eq(torch.prelu(x:float(), w:float()):double(), prelu_ref(x:detach(), w:detach()), 1e-6, 'prelu float')
  end
  gradgrad(function(a, b) return torch.prelu(a, b) end, { leaf(2, 3), leaf(3) }, 'prelu')
  tester:assertErrorPattern(function() torch.prelu(torch.randn(2, 4), torch.rand(3)) end, 'input planes', 'prelu planes')
end

---------------------------------------------------------------------------------------
-- softmax and log-softmax
---------------------------------------------------------------------------------------

-- float64 reference over dim d of a 1- to 3-D tensor
local function softmax_ref(x, d, lg)
  local y = x:double():clone()
  local xs = x:double()
  local n = x:size(d)
  local function lines(fn)
    if x:dim() == 1 then fn(function(i) return { i } end) return end
    local idx = {}
    local other = {}
    for k = 1, x:dim() do if k ~= d then other[#other + 1] = k end end
    local function rec(j)
      if j > #other then
        fn(function(i)
          local t = {}
          for k = 1, x:dim() do t[k] = idx[k] end
          t[d] = i
          return t
        end)
        return
      end
      for v = 1, x:size(other[j]) do idx[other[j]] = v; rec(j + 1) end
    end
    rec(1)
  end
  local function get(t, ix) local v = t; for _, k in ipairs(ix) do v = v[k] end return v end
  local function set(t, ix, val)
    local v = t
    for k = 1, #ix - 1 do v = v[ix[k]] end
    v[ix[#ix]] = val
  end
  lines(function(at)
    local m = -math.huge
    for i = 1, n do m = math.max(m, get(xs, at(i))) end
    local s = 0
    for i = 1, n do s = s + math.exp(get(xs, at(i)) - m) end
    for i = 1, n do
      local v = get(xs, at(i)) - m
      set(y, at(i), lg and v - math.log(s) or math.exp(v) / s)
    end
  end)
  return y
end

function T.softmax_values()
  for _, lg in ipairs { false, true } do
    local f = lg and torch.logSoftmax or torch.softmax
    for _, x in ipairs { torch.randn(6):double(), torch.randn(3, 5):double(), torch.randn(4, 3):double():t(),
                         torch.randn(2, 3, 4):double() } do
      for d = 1, x:dim() do
        tester:eq(f(x, d), softmax_ref(x, d, lg), 1e-12, 'dim ' .. d)
        tester:eq(f(x:float(), d):double(), softmax_ref(x, d, lg), 1e-5, 'float32 dim ' .. d)
      end
      tester:eq(f(x), softmax_ref(x, x:dim(), lg), 1e-12, 'default: the last dim')
      tester:eq(f(x, -1), softmax_ref(x, x:dim(), lg), 1e-12, 'dim -1')
    end
  end
  -- large inputs: finite softmax, exact log-softmax
  local big = D{ { 1000, -1000, 0 }, { -1000, -1000, -1000 } }
  local s = torch.softmax(big)
  tester:assert(s:eq(s):all(), 'softmax of +-1000 is finite')
  tester:eq(s[1], D{ 1, 0, 0 }, 1e-15, 'softmax of +-1000')
  tester:eq(s[2], D{ 1 / 3, 1 / 3, 1 / 3 }, 1e-15, 'softmax of equal large negatives')
  tester:eq(torch.logSoftmax(big)[1], D{ 0, -2000, -1000 }, 0, 'log-softmax of +-1000 exact')
  tester:eq(torch.logSoftmax(big:float())[1]:double(), D{ 0, -2000, -1000 }, 0, 'float32 too')
  -- method forms return new tensors
  local x = torch.randn(2, 3):double()
  local c = x:clone()
  tester:eq(x:softmax(1), softmax_ref(c, 1, false), 1e-12, 'x:softmax(dim)')
  tester:eq(x:logSoftmax(), softmax_ref(c, 2, true), 1e-12, 'x:logSoftmax()')
  tester:eq(x, c, 0, 'methods leave x alone')
  -- result form, and a larger tensor (threads)
  local res = torch.DoubleTensor()
  torch.softmax(res, x, 2)
  tester:eq(res, softmax_ref(c, 2, false), 1e-12, 'softmax(res, x, dim)')
  local L = torch.randn(300, 200)
  tester:eq(torch.softmax(L, 2):sum(2), torch.ones(300, 1), 1e-5, 'rows of a large softmax sum to 1')
  tester:eq(torch.softmax(L, 1):sum(1), torch.ones(1, 200), 1e-5, 'columns too')
end

function T.softmax_grad()
  for _, lg in ipairs { false, true } do
    local f = lg and torch.logSoftmax or torch.softmax
    local what = lg and 'logSoftmax' or 'softmax'
    for _, x in ipairs { leaf(5), leaf(3, 4), tleaf(3, 4), leaf(2, 3, 2) } do
      for d = 1, x:dim() do check(function(a) return f(a, d) end, { x }, what .. ' dim ' .. d) end
    end
    gradgrad(function(a) return f(a, 2) end, { leaf(3, 4) }, what)
    gradgrad(function(a) return f(a, 1) end, { tleaf(3, 4) }, what .. ' transposed')
  end
end

-- float32 log-softmax backward along a contiguous dim (vector exp, eight partial sums):
-- against the float64 formula g - exp(y) sum(g), for a line length that is not a multiple
-- of 8 and spans several 1024-element chunks; and with sum()'s expanded gradient
function T.logsoftmax_float_backward_lines()
  local x = torch.randn(7, 2053):float():setRequiresGrad(true)
  local g = torch.randn(7, 2053):float()
  local y = torch.logSoftmax(x, 2)
  y:backward(g)
  local y64, g64 = y:detach():double(), g:double()
  local want = g64 - torch.cmul(torch.exp(y64), g64:sum(2):expand(7, 2053))
  tester:eq(x.grad:double(), want, 2e-5, 'float32 gradient')
  local x2 = torch.randn(5, 9):float():setRequiresGrad(true)
  local y2 = torch.logSoftmax(x2, 2)
  y2:sum():backward()
  local want2 = torch.ones(5, 9):double() - torch.exp(y2:detach():double()) * 9
  tester:eq(x2.grad:double(), want2, 2e-5, 'the expanded gradient of sum()')
end

function T.softmax_errors()
  tester:assertErrorPattern(function() torch.softmax(torch.randn(2, 3), 3) end, 'out of range', 'bad dim')
  tester:assertErrorPattern(function() torch.logSoftmax(torch.LongTensor{ 1, 2 }) end, 'floating', 'integer input')
end

---------------------------------------------------------------------------------------
-- nll and cross-entropy
---------------------------------------------------------------------------------------

function T.nll_hand_computed()
  local lp = D{ { -1, -2, -3 }, { -0.5, -1.5, -2.5 }, { -4, -5, -6 }, { -0.1, -0.2, -0.3 } }
  local t = torch.LongTensor{ 1, 3, 2, 3 }
  tester:eq(torch.nllLoss(lp, t):item(), (1 + 2.5 + 5 + 0.3) / 4, 1e-12, 'mean')
  tester:eq(torch.nllLoss(lp, t, { reduction = 'sum' }):item(), 8.8, 1e-12, 'sum')
  tester:eq(torch.nllLoss(lp, t, { reduction = 'none' }), D{ 1, 2.5, 5, 0.3 }, 1e-12, 'none')
  -- class weights: the mean divides by the sum of the targets' weights
  local w = D{ 0.5, 2, 1 }
  tester:eq(torch.nllLoss(lp, t, { weight = w }):item(),
            (0.5 * 1 + 1 * 2.5 + 2 * 5 + 1 * 0.3) / (0.5 + 1 + 2 + 1), 1e-12, 'weighted mean')
  tester:eq(torch.nllLoss(lp, t, { weight = w, reduction = 'none' }), D{ 0.5, 2.5, 10, 0.3 }, 1e-12, 'weighted none')
  -- ignoreIndex: the sample counts for nothing, in the loss and in the divisor
  local ti = torch.LongTensor{ 1, 3, -1, 3 }
  tester:eq(torch.nllLoss(lp, ti, { weight = w, ignoreIndex = -1 }):item(),
            (0.5 * 1 + 2.5 + 0.3) / (0.5 + 1 + 1), 1e-12, 'ignored target')
  tester:eq(torch.nllLoss(lp, torch.LongTensor{ 2, 2, 2, 2 }, { ignoreIndex = 2 }):item(), 0, 0, 'all ignored: 0')
  -- 1-D input with a number or a one-element target; float targets holding integers
  tester:eq(torch.nllLoss(D{ -1, -2, -3 }, 2):item(), 2, 1e-12, '1-D, number target')
  tester:eq(torch.nllLoss(D{ -1, -2, -3 }, torch.LongTensor{ 3 }):item(), 3, 1e-12, '1-D, tensor target')
  tester:eq(torch.nllLoss(lp, D{ 1, 3, 2, 3 }):item(), 8.8 / 4, 1e-12, 'DoubleTensor targets')
  -- the gradient by hand: -w_t / total at the target
  local x = lp:clone():setRequiresGrad()
  torch.nllLoss(x, t, { weight = w }):backward()
  local e = torch.zeros(4, 3):double()
  e[1][1], e[2][3], e[3][2], e[4][3] = -0.5 / 4.5, -1 / 4.5, -2 / 4.5, -1 / 4.5
  tester:eq(x.grad, e, 1e-12, 'weighted gradient')
end

function T.nll_grad()
  local t = torch.LongTensor{ 2, 1, 3, 3, 1 }
  for _, red in ipairs { 'mean', 'sum', 'none' } do
    local opts = { reduction = red, weight = D{ 0.3, 1, 2 }, ignoreIndex = 1 }
    check(function(lp) return torch.nllLoss(lp, t, opts) end, { leaf(5, 3) }, 'nll ' .. red)
    check(function(lp) return torch.nllLoss(lp, t, opts) end, { tleaf(5, 3) }, 'nll transposed ' .. red)
    -- second order through log-softmax
    gradgrad(function(x) return torch.nllLoss(torch.logSoftmax(x), t, opts) end, { leaf(5, 3) }, 'nll ' .. red)
  end
  check(function(lp) return torch.nllLoss(lp, 3) end, { leaf(4) }, 'nll 1-D')
end

function T.cross_entropy()
  local x = torch.randn(6, 4):double()
  local t = torch.LongTensor{ 1, 4, 2, 2, 3, 4 }
  for _, opts in ipairs { {}, { reduction = 'sum' }, { reduction = 'none' }, { weight = D{ 1, 2, 0.5, 3 } },
                          { weight = D{ 1, 2, 0.5, 3 }, ignoreIndex = 2 }, { ignoreIndex = 4, reduction = 'sum' } } do
    local want = torch.nllLoss(softmax_ref(x, 2, true), t, opts)
    tester:eq(torch.crossEntropy(x, t, opts), want, 1e-12, 'crossEntropy = nll(logSoftmax)')
    tester:eq(torch.crossEntropy(x:float(), t, opts):double(), want, 1e-5, 'float32')
    check(function(a) return torch.crossEntropy(a, t, opts) end, { leaf(6, 4) }, 'crossEntropy')
    gradgrad(function(a) return torch.crossEntropy(a, t, opts) end, { leaf(6, 4) }, 'crossEntropy')
  end
  check(function(a) return torch.crossEntropy(a, t) end, { tleaf(6, 4) }, 'crossEntropy transposed')
  check(function(a) return torch.crossEntropy(a, 2) end, { leaf(5) }, 'crossEntropy 1-D')
  -- large scores stay finite, the usual backward = softmax - onehot
  local big = D{ { 1000, -1000 } }:setRequiresGrad()
  local l = torch.crossEntropy(big, torch.LongTensor{ 2 })
  tester:eq(l:item(), 2000, 1e-9, 'crossEntropy of large scores')
  l:backward()
  tester:eq(big.grad, D{ { 1, -1 } }, 1e-12, 'its gradient')
end

function T.class_loss_errors()
  local x = torch.randn(3, 4)
  tester:assertErrorPattern(function() torch.nllLoss(x, torch.LongTensor{ 1, 5, 2 }) end, 'target 5 out of range', 'too large')
  tester:assertErrorPattern(function() torch.crossEntropy(x, torch.LongTensor{ 0, 1, 2 }) end, 'out of range', 'zero')
  tester:assertErrorPattern(function() torch.nllLoss(x, torch.LongTensor{ 1, 2 }) end, 'one class index per sample', 'count')
  tester:assertErrorPattern(function() torch.nllLoss(x, torch.Tensor{ 1.5, 2, 3 }) end, 'whole numbers', 'fractions')
  tester:assertErrorPattern(function() torch.nllLoss(torch.randn(2, 3, 4), torch.LongTensor{ 1, 2 }) end, '1%-D', '3-D input')
  tester:assertErrorPattern(function() torch.nllLoss(x, torch.LongTensor{ 1, 2, 3 }, { weight = torch.ones(3) }) end,
                            'one per class', 'weights size')
  tester:assertErrorPattern(function() torch.nllLoss(x, torch.LongTensor{ 1, 2, 3 }, { reduction = 'avg' }) end,
                            "'mean', 'sum' or 'none'", 'reduction name')
  tester:assertErrorPattern(function() torch.crossEntropy(x, 'a') end, 'target', 'target type')
end

---------------------------------------------------------------------------------------
-- elementwise losses
---------------------------------------------------------------------------------------

local function reduce(l, red, n)
  if red == 'none' then return l end
  local s = l:sum()
  return red == 'sum' and s or s / (n or l:nElement())
end

local function pairwise(a, b, f)
  local r = a:double():clone()
  local av, bv, rv = a:double():contiguous():view(-1), b:double():contiguous():view(-1), r:view(-1)
  for i = 1, av:nElement() do rv[i] = f(av[i], bv[i], i) end
  return r
end

local function value(x) return torch.isTensor(x) and (x:dim() == 0 and x:item() or x) or x end

function T.mse_l1_smoothl1()
  local a, b = torch.randn(3, 4):double(), torch.randn(3, 4):double()
  for _, red in ipairs { 'mean', 'sum', 'none' } do
    tester:eq(value(torch.mseLoss(a, b, red)), value(reduce(pairwise(a, b, function(u, v) return (u - v) ^ 2 end), red)),
              1e-12, 'mse ' .. red)
    tester:eq(value(torch.l1Loss(a, b, red)), value(reduce(pairwise(a, b, function(u, v) return math.abs(u - v) end), red)),
              1e-12, 'l1 ' .. red)
    for _, beta in ipairs { 1, 0.5 } do
      local ref = pairwise(a, b, function(u, v)
        local d = math.abs(u - v)
        return d < beta and 0.5 * d * d / beta or d - 0.5 * beta
      end)
      tester:eq(value(torch.smoothL1Loss(a, b, red, beta)), value(reduce(ref, red)), 1e-12, 'smoothL1 ' .. red)
    end
    check(function(u, v) return torch.mseLoss(u, v, red) end, { leaf(3, 4), tleaf(3, 4) }, 'mse ' .. red)
    gradgrad(function(u, v) return torch.mseLoss(u, v, red) end, { leaf(3, 4), leaf(3, 4) }, 'mse ' .. red)
    check(function(u, v) return torch.l1Loss(u, v, red) end, { leaf(3, 4), leaf(3, 4) }, 'l1 ' .. red)
    check(function(u, v) return torch.smoothL1Loss(u, v, red, 0.7) end, { leaf(3, 4), leaf(3, 4) }, 'smoothL1 ' .. red)
  end
  -- float32, and the Torch7 rule: same number of elements in any shape
  tester:eq(torch.mseLoss(a:float(), b:float()):item(), torch.mseLoss(a, b):item(), 1e-5, 'mse float32')
  tester:eq(torch.mseLoss(a, b:reshape(12)):item(), torch.mseLoss(a, b):item(), 1e-12, 'mse reshaped target')
  tester:assertErrorPattern(function() torch.mseLoss(a, torch.randn(5):double()) end, 'number of elements', 'size mismatch')
  tester:assertErrorPattern(function() torch.l1Loss(a, torch.randn(5):double()) end, 'number of elements', 'l1 size mismatch')
  tester:assertErrorPattern(function() torch.mseLoss(a, b, 'all') end, 'reduction', 'bad reduction')
end

function T.bce()
  local p = torch.rand(3, 4):double() * 0.9 + 0.05
  local t = torch.rand(3, 4):double()
  local w = torch.rand(4):double() + 0.5
  for _, red in ipairs { 'mean', 'sum', 'none' } do
    local ref = pairwise(p, t, function(u, v, i)
      local wi = w[(i - 1) % 4 + 1]
      return -wi * (v * math.log(u) + (1 - v) * math.log(1 - u))
    end)
    tester:eq(value(torch.bceLoss(p, t, w, red)), value(reduce(ref, red)), 1e-12, 'bce weighted ' .. red)
    check(function(u, v) return torch.bceLoss(u, v, w, red) end,
          { p:clone():setRequiresGrad(), t:clone():setRequiresGrad() }, 'bce ' .. red)
  end
  tester:eq(torch.bceLoss(p, t):item(), value(reduce(pairwise(p, t, function(u, v)
    return -(v * math.log(u) + (1 - v) * math.log(1 - u)) end), 'mean')), 1e-12, 'bce unweighted')
  -- log clamped at -100: p of 0 and 1 give finite losses
  tester:eq(torch.bceLoss(D{ 0, 1 }, D{ 1, 0 }, nil, 'none'), D{ 100, 100 }, 0, 'clamped logs')
  tester:eq(torch.bceLoss(D{ 0, 1 }, D{ 0, 1 }):item(), 0, 0, 'exact predictions')
  tester:assertErrorPattern(function() torch.bceLoss(D{ 1.5 }, D{ 1 }) end, 'between 0 and 1', 'bce range')
end

function T.bce_with_logits()
  local x = torch.randn(3, 4):double() * 3
  local t = torch.rand(3, 4):double()
  local w = torch.rand(3, 4):double() + 0.5
  local pw = torch.rand(4):double() * 2 + 0.5
  for _, red in ipairs { 'mean', 'sum', 'none' } do
    local ref = pairwise(x, t, function(u, v, i)
      local s = sigm(u)
      local wi, pi = w:view(-1)[i], pw[(i - 1) % 4 + 1]
      return -wi * (pi * v * math.log(s) + (1 - v) * math.log(1 - s))
    end)
    tester:eq(value(torch.bceWithLogits(x, t, w, pw, red)), value(reduce(ref, red)), 1e-12, 'bceWithLogits ' .. red)
    check(function(u, v) return torch.bceWithLogits(u, v, w, pw, red) end,
          { leaf(3, 4), t:clone():setRequiresGrad() }, 'bceWithLogits ' .. red)
    gradgrad(function(u) return torch.bceWithLogits(u, t, nil, nil, red) end, { leaf(3, 4) }, 'bceWithLogits ' .. red)
  end
  -- the same as bce of the sigmoid; stable for large scores
  tester:eq(torch.bceWithLogits(x, t):item(), torch.bceLoss(torch.sigmoid(x), t):item(), 1e-12, '= bce(sigmoid)')
  tester:eq(torch.bceWithLogits(D{ 100, -100 }, D{ 0, 1 }, nil, nil, 'none'), D{ 100, 100 }, 1e-12, 'large scores')
  tester:eq(torch.bceWithLogits(D{ 800, -800 }, D{ 1, 0 }):item(), 0, 0, 'no overflow')
end

function T.kl_div()
  local lp = torch.logSoftmax(torch.randn(3, 4):double())
  local t = torch.softmax(torch.randn(3, 4):double())
  t[1][2] = 0
  for _, red in ipairs { 'mean', 'sum', 'none' } do
    local ref = pairwise(lp, t, function(u, v) return v > 0 and v * (math.log(v) - u) or 0 end)
    tester:eq(value(torch.klDiv(lp, t, red)), value(reduce(ref, red)), 1e-12, 'klDiv ' .. red)
    check(function(u, v) return torch.klDiv(u, v, red) end,
          { lp:clone():setRequiresGrad(), (t:clone() + 0.01):setRequiresGrad() }, 'klDiv ' .. red)
  end
  local u = lp:clone():setRequiresGrad()
  torch.klDiv(u, t, 'sum'):backward()
  tester:eq(u.grad, -t, 1e-12, 'klDiv gradient: -t (0 where t is 0)')
end

function T.types()
  -- half types compute through float32
  local h = torch.Tensor{ -1, 2, 3 }:half()
  tester:asserteq(torch.relu(h):type(), 'torch.HalfTensor', 'relu of a HalfTensor')
  tester:eq(torch.relu(h):float(), torch.Tensor{ 0, 2, 3 }, 0, 'relu half values')
  tester:eq(torch.softmax(h):float(), torch.softmax(torch.Tensor{ -1, 2, 3 }), 1e-3, 'softmax half')
  local hx = torch.randn(2, 3):half():setRequiresGrad()
  local l = torch.crossEntropy(hx, torch.LongTensor{ 1, 3 })
  l:backward()
  tester:asserteq(hx.grad:type(), 'torch.HalfTensor', 'crossEntropy of half: gradient type')
  tester:eq(hx.grad:float(), torch.softmax(hx:detach():float(), 2):add(-1, torch.Tensor{ { 1, 0, 0 }, { 0, 0, 1 } }) / 2,
            1e-2, 'crossEntropy half gradient')
  -- mixed float/double operands: each gradient in its input's type
  local a, b = torch.randn(3, 4):setRequiresGrad(), leaf(3, 4)
  torch.mseLoss(a, b):backward()
  tester:asserteq(a.grad:type(), 'torch.FloatTensor', 'mse float input')
  tester:asserteq(b.grad:type(), 'torch.DoubleTensor', 'mse double target')
  local x, w = leaf(2, 3), torch.rand(3):setRequiresGrad()
  torch.prelu(x, w):sum():backward()
  tester:asserteq(w.grad:type(), 'torch.FloatTensor', 'prelu float weight of a double input')
  tester:assertErrorPattern(function() torch.gelu(torch.IntTensor{ 1 }) end, 'floating', 'int input')
end

function T.graphs_are_freed()
  collectgarbage()
  local before = torch._autogradLiveNodes()
  for _ = 1, 20 do
    local x = leaf(4, 3)
    local t = torch.LongTensor{ 1, 2, 3, 1 }
    local l = torch.crossEntropy(torch.gelu(x), t, { weight = D{ 1, 2, 3 } }) + torch.nllLoss(torch.logSoftmax(x), t)
      + torch.mseLoss(torch.softmax(x), torch.prelu(x, leaf(3))) + torch.bceWithLogits(x, torch.rand(4, 3):double())
    local g = torch.grad({ l }, { x }, nil, { createGraph = true })[1]
    g:sum():backward()
  end
  collectgarbage()
  collectgarbage()
  tester:asserteq(torch._autogradLiveNodes(), before, 'no graph node outlives its tensors')
end

---------------------------------------------------------------------------------------
-- modules
---------------------------------------------------------------------------------------

-- a module's gradInput (and its parameters' gradients) against finite differences
local function check_module(m, x, what)
  m:double()
  local params = m:parameters() or {}
  local ins = { x }
  for _, p in ipairs(params) do ins[#ins + 1] = p end
  check(function(a) return m:updateOutput(a) end, ins, what)
  -- backward: gradInput = torch.grad of the same computation; parameters accumulate
  m:zeroGradParameters()
  local out = m:forward(x:detach())
  local go = torch.randn(out:size()):double()
  local gi = m:backward(x:detach(), go)
  local xs = x:detach():clone():setRequiresGrad()
  local o2 = m:updateOutput(xs)
  local want = torch.grad({ o2 }, { xs }, { go })[1]
  tester:eq(gi, want, 1e-10, what .. ': backward gradInput')
  if #params > 0 then
    local gp = torch.grad({ m:updateOutput(xs) }, params, { go })
    local _, grads = m:parameters()
    for i, g in ipairs(grads) do tester:eq(g, gp[i], 1e-10, what .. ': gradWeight') end
    m:forward(x:detach())
    m:backward(x:detach(), go)
    for i, g in ipairs(grads) do tester:eq(g, gp[i] * 2, 1e-10, what .. ': gradWeight accumulates') end
  end
end

function T.module_activations()
  local mods = {
    { nn.ReLU(), refs.relu }, { nn.Threshold(0.5, -1), function(v) return refs.threshold(v, 0.5, -1) end },
    { nn.LeakyReLU(0.1), function(v) return refs.leakyRelu(v, 0.1) end }, { nn.ELU(0.5), function(v) return refs.elu(v, 0.5) end },
    { nn.Tanh(), math.tanh }, { nn.Sigmoid(), sigm }, { nn.SoftPlus(2), function(v) return refs.softplus(v, 2) end },
    { nn.HardTanh(-0.5, 0.5), function(v) return refs.hardtanh(v, -0.5, 0.5) end }, { nn.GELU(), refs.gelu },
    { nn.SiLU(), refs.silu },
  }
  for _, c in ipairs(mods) do
    local m, ref = c[1], c[2]
    local name = torch.typename(m)
    for _, x in ipairs { torch.randn(5):double(), torch.randn(3, 4):double() } do
      tester:eq(m:double():forward(x), map(x, ref), 1e-12, name .. ' forward')
      local xg = x:clone()
      xg:copy(torch.cmul(torch.sign(xg), torch.abs(xg) + 0.05))
      check_module(m, xg:setRequiresGrad(), name)
    end
    tester:eq(m:float():forward(torch.Tensor{ 0.3 }):double(), map(D{ 0.3 }, ref), 1e-6, name .. ' float')
  end
end

function T.module_inplace()
  local m = nn.ReLU(true)
  tester:assert(m.inplace, 'nn.ReLU(true) is in place')
  local x = torch.Tensor{ -1, 2 }
  local y = torch.noGrad(function() return m:forward(x) end)
  tester:assert(y == x, 'in place under noGrad: the output is the input')
  tester:eq(x, torch.Tensor{ 0, 2 }, 0, 'written')
  local x2 = torch.Tensor{ -1, 2 }
  local y2 = m:forward(x2)
  tester:eq(x2, torch.Tensor{ 0, 2 }, 0, 'recorded: written too (Torch7)')
  tester:eq(m:backward(x2, torch.Tensor{ 5, 7 }), torch.Tensor{ 0, 7 }, 0, 'and backward works')
  tester:eq(y2, torch.Tensor{ 0, 2 }, 0, 'output')
  tester:assertErrorPattern(function() nn.Threshold(0, 1, true) end, 'in%-place', 'Threshold in place with val > th')
  tester:assertErrorPattern(function() nn.LeakyReLU(0.1, 1) end, 'boolean', 'in-place flag type')
  for _, m2 in ipairs { nn.HardTanh(-1, 1, true), nn.Threshold(0, 0, true) } do
    local z = torch.Tensor{ -3, 0.5 }
    torch.noGrad(function() m2:forward(z) end)
    tester:assert(m2.output == z, torch.typename(m2) .. ' in place')
  end
  -- LeakyReLU and ELU accept the flag and return a new tensor (not idempotent: see nn(3))
  for _, m2 in ipairs { nn.LeakyReLU(0.1, true), nn.ELU(1, true) } do
    local z = torch.Tensor{ -3, 0.5 }
    torch.noGrad(function() m2:forward(z) end)
    tester:assert(m2.output ~= z and z[1] == -3, torch.typename(m2) .. ': input kept')
  end
end

function T.module_softmax()
  for _, lg in ipairs { false, true } do
    local m = (lg and nn.LogSoftMax() or nn.SoftMax()):double()
    for _, s in ipairs { { { 5 }, 1 }, { { 3, 4 }, 2 }, { { 3, 2, 2 }, 1 }, { { 2, 3, 2, 2 }, 2 } } do
      local x = torch.randn(table.unpack(s[1])):double()
      local ref = lg and torch.logSoftmax(x, s[2]) or torch.softmax(x, s[2])
      tester:eq(m:forward(x), ref, 1e-12, torch.typename(m) .. ' ' .. #s[1] .. '-D over dim ' .. s[2])
      if #s[1] <= 3 then tester:eq(ref, softmax_ref(x, s[2], lg), 1e-12, 'reference') end
      check_module(m, x:setRequiresGrad(), torch.typename(m))
    end
    tester:assertErrorPattern(function() m:forward(torch.randn(1, 1, 1, 1, 2):double()) end, '4D', '5-D input')
  end
end

function T.module_prelu()
  for _, c in ipairs { { 0, { 4 } }, { 0, { 2, 3 } }, { 3, { 3 } }, { 3, { 2, 3 } }, { 3, { 2, 3, 2, 2 } } } do
    local m = nn.PReLU(c[1] > 0 and c[1] or nil):double()
    tester:eq(m.weight, torch.Tensor(math.max(c[1], 1)):fill(0.25):double(), 0, 'PReLU starts at 0.25')
    tester:asserteq(m.gradWeight:nElement(), m.weight:nElement(), 'gradWeight size')
    m.gradWeight:fill(3)
    tester:eq(m.weight.grad, m.gradWeight, 0, 'weight.grad is gradWeight')
    m.gradWeight:zero()
    torch.noGrad(function() m.weight:uniform(0.1, 0.4) end)
    local x = torch.randn(table.unpack(c[2])):double()
    tester:eq(m:forward(x), prelu_ref(x, m.weight), 1e-12, 'PReLU forward')
    check_module(m, x:setRequiresGrad(), 'PReLU(' .. c[1] .. ') ' .. #c[2] .. '-D')
  end
  tester:assertErrorPattern(function() nn.PReLU(3):forward(torch.randn(2, 4)) end, 'input planes', 'PReLU planes')
  tester:assertErrorPattern(function() nn.PReLU('a') end, 'nn.PReLU', 'PReLU argument')
end

function T.module_tostring()
  local want = {
    { nn.ReLU(), 'nn.ReLU' }, { nn.ReLU(true), 'nn.ReLU' }, { nn.Threshold(1, 0), 'nn.Threshold' },
    { nn.LeakyReLU(), 'nn.LeakyReLU' }, { nn.ELU(), 'nn.ELU (alpha:1.000000)' }, { nn.ELU(0.5), 'nn.ELU (alpha:0.500000)' },
    { nn.Tanh(), 'nn.Tanh' }, { nn.Sigmoid(), 'nn.Sigmoid' }, { nn.SoftMax(), 'nn.SoftMax' },
    { nn.LogSoftMax(), 'nn.LogSoftMax' }, { nn.SoftPlus(), 'nn.SoftPlus' }, { nn.HardTanh(), 'nn.HardTanh' },
    { nn.GELU(), 'nn.GELU' }, { nn.SiLU(), 'nn.SiLU' }, { nn.PReLU(3), 'nn.PReLU' },
    { nn.MSECriterion(), 'nn.MSECriterion' }, { nn.ClassNLLCriterion(), 'nn.ClassNLLCriterion' },
  }
  for _, c in ipairs(want) do tester:asserteq(tostring(c[1]), c[2], c[2]) end
  -- Torch7's fields and defaults
  local th = nn.Threshold()
  tester:eq(th.threshold, 1e-6, 0, 'Threshold default threshold')
  tester:asserteq(th.val, 0, 'Threshold default value')
  tester:asserteq(nn.LeakyReLU().negval, 0.01, 'LeakyReLU negval')
  tester:asserteq(nn.ELU().alpha, 1, 'ELU alpha')
  tester:asserteq(nn.SoftPlus().beta, 1, 'SoftPlus beta')
  tester:asserteq(nn.SoftPlus().threshold, 20, 'SoftPlus threshold')
  tester:asserteq(nn.HardTanh().min_val, -1, 'HardTanh min_val')
  tester:asserteq(nn.HardTanh().max_val, 1, 'HardTanh max_val')
  tester:asserteq(nn.PReLU().nOutputPlane, 0, 'PReLU shared')
  tester:assertErrorPattern(function() nn.HardTanh(1, 0) end, 'larger', 'HardTanh bounds')
end

---------------------------------------------------------------------------------------
-- criterions
---------------------------------------------------------------------------------------

-- d loss / d input by backward against finite differences of forward (float64)
local function check_criterion(c, x, y, what)
  c:forward(x, y)
  local gi = c:backward(x, y)
  local xs = torch.isTensor(x) and { x } or x
  local gis = torch.isTensor(x) and { gi } or gi
  for k, xi in ipairs(xs) do
    local v = xi:view(-1)
    local num = torch.DoubleTensor(v:nElement())
    for i = 1, v:nElement() do
      local orig = v[i]
      v[i] = orig + 1e-6
      local fp = c:forward(x, y)
      v[i] = orig - 1e-6
      local fm = c:forward(x, y)
      v[i] = orig
      num[i] = (fp - fm) / 2e-6
    end
    tester:eq(gis[k]:contiguous():view(-1), num, 1e-5, what .. ': backward vs finite differences')
  end
end

function T.criterion_class_nll()
  local lp = D{ { -1, -2, -3 }, { -0.5, -1.5, -2.5 }, { -4, -5, -6 } }
  local t = torch.LongTensor{ 1, 3, 2 }
  local c = nn.ClassNLLCriterion()
  tester:eq(c:forward(lp, t), (1 + 2.5 + 5) / 3, 1e-12, 'ClassNLL mean')
  c.sizeAverage = false
  tester:eq(c:forward(lp, t), 8.5, 1e-12, 'sizeAverage changed after construction')
  tester:eq(nn.ClassNLLCriterion(nil, false):forward(lp, t), 8.5, 1e-12, 'ClassNLL(nil, false)')
  local w = D{ 1, 2, 4 }
  tester:eq(nn.ClassNLLCriterion(w):forward(lp, t), (1 + 4 * 2.5 + 2 * 5) / 7, 1e-12, 'ClassNLL weights')
  tester:eq(nn.ClassNLLCriterion(w, true, 3):forward(lp, t), (1 + 2 * 5) / 3, 1e-12, 'ClassNLL ignoreIndex')
  tester:eq(nn.ClassNLLCriterion():forward(D{ -1, -2, -3 }, 3), 3, 1e-12, 'ClassNLL one sample, number target')
  tester:eq(nn.ClassNLLCriterion():forward(lp, torch.LongTensor{ { 1 }, { 3 }, { 2 } }), 8.5 / 3, 1e-12, 'N x 1 targets')
  local cw = nn.ClassNLLCriterion(w)
  cw:forward(lp, t)
  local gi = cw:backward(lp, t)
  tester:eq(gi, D{ { -1 / 7, 0, 0 }, { 0, 0, -4 / 7 }, { 0, -2 / 7, 0 } }, 1e-12, 'ClassNLL gradInput by hand')
  check_criterion(nn.ClassNLLCriterion(w), torch.randn(4, 3):double(), torch.LongTensor{ 3, 1, 2, 2 }, 'ClassNLL')
  tester:assertErrorPattern(function() c:forward(lp, torch.LongTensor{ 1, 4, 2 }) end, 'out of range', 'ClassNLL range')
  tester:assertErrorPattern(function() nn.ClassNLLCriterion(torch.ones(2, 2)) end, '1%-D', 'ClassNLL weights shape')
  -- the autograd style: crit(x, t) is a loss tensor on the graph
  local x = lp:clone():setRequiresGrad()
  local l = nn.ClassNLLCriterion()(x, t)
  tester:assert(torch.isTensor(l) and l.requiresGrad, 'call form gives a loss tensor')
  l:backward()
  tester:eq(x.grad, D{ { -1 / 3, 0, 0 }, { 0, 0, -1 / 3 }, { 0, -1 / 3, 0 } }, 1e-12, 'loss:backward()')
end

function T.criterion_cross_entropy()
  local x = torch.randn(5, 4):double()
  local t = torch.LongTensor{ 4, 1, 2, 2, 3 }
  local c = nn.CrossEntropyCriterion()
  local lp = softmax_ref(x, 2, true)
  local ref = 0
  for i = 1, 5 do ref = ref - lp[i][t[i]] end
  tester:eq(c:forward(x, t), ref / 5, 1e-12, 'CrossEntropy mean')
  c.sizeAverage = false
  tester:eq(c:forward(x, t), ref, 1e-12, 'CrossEntropy sum after construction')
  local w = D{ 1, 2, 3, 4 }
  local rw, tw = 0, 0
  for i = 1, 5 do rw = rw - w[t[i]] * lp[i][t[i]]; tw = tw + w[t[i]] end
  tester:eq(nn.CrossEntropyCriterion(w):forward(x, t), rw / tw, 1e-12, 'CrossEntropy weights')
  tester:eq(nn.CrossEntropyCriterion():forward(x[1], 4), -lp[1][4], 1e-12, 'CrossEntropy one sample')
  tester:eq(nn.CrossEntropyCriterion():forward(x:narrow(1, 1, 1), 4), -lp[1][4], 1e-12, '1 x C input, number target')
  check_criterion(nn.CrossEntropyCriterion(w), x:clone(), t, 'CrossEntropy')
  check_criterion(nn.CrossEntropyCriterion(), torch.randn(4):double(), 2, 'CrossEntropy 1-D')
  -- a net with LogSoftMax + ClassNLL gives the same as CrossEntropy
  local net = nn.Sequential():add(nn.Linear(4, 3)):add(nn.LogSoftMax()):double()
  local net2 = net:clone()
  local crit1, crit2 = nn.ClassNLLCriterion(), nn.CrossEntropyCriterion()
  local t3 = torch.LongTensor{ 1, 3, 2, 2, 1 }
  local l1 = crit1:forward(net:forward(x), t3)
  net:backward(x, crit1:backward(net.output, t3))
  local inner = net2.modules[1]
  local l2 = crit2:forward(inner:forward(x), t3)
  inner:backward(x, crit2:backward(inner.output, t3))
  tester:eq(l1, l2, 1e-12, 'LogSoftMax + ClassNLL = CrossEntropy')
  tester:eq(net.modules[1].gradWeight, inner.gradWeight, 1e-12, 'and the same weight gradients')
end

function T.criterion_regression()
  local x, y = torch.randn(3, 4):double(), torch.randn(3, 4):double()
  local d = (x - y)
  local c = nn.MSECriterion()
  tester:eq(c:forward(x, y), torch.cmul(d, d):sum() / 12, 1e-12, 'MSE')
  c.sizeAverage = false
  tester:eq(c:forward(x, y), torch.cmul(d, d):sum(), 1e-12, 'MSE sum')
  tester:eq(c:backward(x, y), d * 2, 1e-12, 'MSE gradInput')
  tester:eq(nn.MSECriterion(false):forward(x, y), torch.cmul(d, d):sum(), 1e-12, 'MSECriterion(false)')
  tester:eq(nn.AbsCriterion():forward(x, y), torch.abs(d):sum() / 12, 1e-12, 'Abs')
  local sl = pairwise(x, y, function(u, v) local a = math.abs(u - v); return a < 1 and 0.5 * a * a or a - 0.5 end)
  tester:eq(nn.SmoothL1Criterion():forward(x, y), sl:sum() / 12, 1e-12, 'SmoothL1')
  tester:eq(nn.SmoothL1Criterion(false):forward(x, y), sl:sum(), 1e-12, 'SmoothL1 sum')
  for _, cr in ipairs { nn.MSECriterion(), nn.AbsCriterion(), nn.SmoothL1Criterion() } do
    check_criterion(cr, x:clone(), y, torch.typename(cr))
  end
  tester:assertErrorPattern(function() nn.MSECriterion():forward(x, torch.randn(5):double()) end, 'number of elements',
                            'MSE sizes')
  -- float32 modules
  tester:eq(nn.MSECriterion():forward(x:float(), y:float()), torch.cmul(d, d):sum() / 12, 1e-5, 'MSE float')
end

function T.criterion_bce_kl()
  local p = torch.rand(2, 3):double() * 0.8 + 0.1
  local t = torch.Tensor{ { 1, 0, 1 }, { 0, 0, 1 } }:double()
  local ref = pairwise(p, t, function(u, v) return -(v * math.log(u) + (1 - v) * math.log(1 - u)) end)
  tester:eq(nn.BCECriterion():forward(p, t), ref:sum() / 6, 1e-12, 'BCE')
  local w = D{ 1, 2, 3 }
  local c = nn.BCECriterion(w)
  local rw = torch.cmul(ref, w:view(1, 3):expand(2, 3))
  tester:eq(c:forward(p, t), rw:sum() / 6, 1e-12, 'BCE weights per feature')
  c.sizeAverage = false
  tester:eq(c:forward(p, t), rw:sum(), 1e-12, 'BCE sum')
  check_criterion(nn.BCECriterion(w), p:clone(), t, 'BCE')
  local x = torch.randn(2, 3):double()
  local bl = nn.BCEWithLogitsCriterion()
  tester:eq(bl:forward(x, t), nn.BCECriterion():forward(torch.sigmoid(x), t), 1e-12, 'BCEWithLogits = BCE(sigmoid)')
  local pw = D{ 2, 1, 0.5 }
  local rpw = pairwise(x, t, function(u, v, i)
    local s = sigm(u)
    return -(pw[(i - 1) % 3 + 1] * v * math.log(s) + (1 - v) * math.log(1 - s))
  end)
  tester:eq(nn.BCEWithLogitsCriterion(nil, false, pw):forward(x, t), rpw:sum(), 1e-12, 'BCEWithLogits posWeight')
  check_criterion(nn.BCEWithLogitsCriterion(w, true, pw), x:clone(), t, 'BCEWithLogits')
  local lp = torch.logSoftmax(torch.randn(2, 3):double())
  local q = torch.softmax(torch.randn(2, 3):double())
  local kl = pairwise(lp, q, function(u, v) return v * (math.log(v) - u) end)
  tester:eq(nn.KLDivCriterion():forward(lp, q), kl:sum() / 6, 1e-12, 'KLDiv')
  tester:eq(nn.KLDivCriterion(false):forward(lp, q), kl:sum(), 1e-12, 'KLDiv sum')
  check_criterion(nn.KLDivCriterion(), lp:clone(), q, 'KLDiv')
end

function T.criterion_margins()
  local x = D{ 0.5, -2, 0.2, 1.5 }
  local y = D{ 1, -1, -1, 1 }
  -- max(0, 1 - x y): 0.5, 0, 1.2, 0
  tester:eq(nn.MarginCriterion():forward(x, y), 1.7 / 4, 1e-12, 'Margin')
  local mc = nn.MarginCriterion(2)
  tester:eq(mc:forward(x, y), (1.5 + 0 + 2.2 + 0.5) / 4, 1e-12, 'Margin(2)')
  mc.sizeAverage = false
  tester:eq(mc:forward(x, y), 4.2, 1e-12, 'Margin sum')
  check_criterion(nn.MarginCriterion(), D{ 0.5, -2.3, 0.2, 1.5 }, y, 'Margin')
  -- MultiMargin: sample (0.1, 0.2, 0.4, 0.8) with target 4: sum_j max(0, 1 - 0.8 + x_j) / 4
  local s = D{ 0.1, 0.2, 0.4, 0.8 }
  tester:eq(nn.MultiMarginCriterion():forward(s, 4), (0.3 + 0.4 + 0.6) / 4, 1e-12, 'MultiMargin p = 1')
  tester:eq(nn.MultiMarginCriterion(2):forward(s, 4), (0.09 + 0.16 + 0.36) / 4, 1e-12, 'MultiMargin p = 2')
  local w = D{ 1, 1, 1, 3 }
  tester:eq(nn.MultiMarginCriterion(1, w, 0.5):forward(s, 4), 3 * (0 + 0 + 0.1) / 4, 1e-12, 'MultiMargin weights, margin')
  local b = torch.cat(s:view(1, 4), D{ { 0.9, 0.1, 0.2, 0.3 } }, 1)
  local second = (0 + 0.3 + 0.4) / 4   -- target 2: 1 - 0.1 + (0.9, 0.2, 0.3) clipped... see below
  second = (math.max(0, 1 - 0.1 + 0.9) + math.max(0, 1 - 0.1 + 0.2) + math.max(0, 1 - 0.1 + 0.3)) / 4
  tester:eq(nn.MultiMarginCriterion():forward(b, torch.LongTensor{ 4, 2 }), ((0.3 + 0.4 + 0.6) / 4 + second) / 2,
            1e-12, 'MultiMargin batch')
  check_criterion(nn.MultiMarginCriterion(2, w), torch.randn(3, 4):double(), torch.LongTensor{ 1, 4, 2 }, 'MultiMargin')
  tester:assertErrorPattern(function() nn.MultiMarginCriterion(3) end, 'p = 1', 'MultiMargin p')
  tester:assertErrorPattern(function() nn.MultiMarginCriterion():forward(s, 5) end, 'out of range', 'MultiMargin target')
  -- CosineEmbedding: 1 - cos for y = 1, max(0, cos - margin) for y = -1
  local a, c2 = D{ { 1, 0 }, { 1, 1 } }, D{ { 1, 1 }, { 1, 0 } }
  local cos = 1 / math.sqrt(2)
  tester:eq(nn.CosineEmbeddingCriterion():forward({ a, c2 }, D{ 1, -1 }), ((1 - cos) + cos) / 2, 1e-9, 'CosineEmbedding')
  tester:eq(nn.CosineEmbeddingCriterion(0.9):forward({ a, c2 }, D{ 1, -1 }), (1 - cos) / 2, 1e-9, 'CosineEmbedding margin')
  tester:eq(nn.CosineEmbeddingCriterion():forward({ D{ 1, 0 }, D{ 0, 1 } }, 1), 1, 1e-9, 'CosineEmbedding vectors')
  local ce = nn.CosineEmbeddingCriterion(0.1)
  local pair = { torch.randn(3, 4):double(), torch.randn(3, 4):double() }
  ce:forward(pair, D{ 1, -1, 1 })
  local gi = ce:backward(pair, D{ 1, -1, 1 })
  tester:asserteq(#gi, 2, 'CosineEmbedding gradInput is a table')
  check_criterion(nn.CosineEmbeddingCriterion(-0.5), { torch.randn(3, 4):double(), torch.randn(3, 4):double() },
                  D{ 1, -1, -1 }, 'CosineEmbedding')
  tester:assertErrorPattern(function() nn.CosineEmbeddingCriterion():forward(a, 1) end, 'two tensors', 'Cosine input')
end

tester:add(T)
return tester
