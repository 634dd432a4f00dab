-- nn containers and the table / shape / simple modules: Concat, ConcatTable,
-- ParallelTable, Parallel, MapTable, Bottle, Identity, View, Reshape, Select, Narrow,
-- JoinTable, SplitTable, C{Add,Sub,Mul,Div,Max,Min}Table, Sum, Mean, Max, Min, Transpose,
-- Replicate, Squeeze, Unsqueeze, Contiguous, Copy, MulConstant, AddConstant, Square, Sqrt,
-- Power, Abs, Exp, Log, Normalize, GradientReversal, ZeroGrad, OneHot, FlattenTable,
-- SelectTable, NarrowTable, Index, MaskedSelect, MM, MV, DotProduct, PairwiseDistance,
-- CosineDistance, Mul, Add, CMul, CAdd, Euclidean, Cosine, Bilinear, and nn.Jacobian;
-- and the nn core (Module, Container, Sequential, Linear). Forward values by hand,
-- gradInput and parameter gradients of module:backward against central differences in
-- float64 (a Torch7-style Jacobian helper), batch and single-sample inputs, tables,
-- nested containers, manual chains of backward calls, __tostring, errors naming the
-- module, float conversion, and the Module API (getParameters, parameters,
-- zeroGradParameters, updateParameters, training/evaluate, type, clone, share, apply,
-- listModules, findModules, the call form with loss:backward()). Tests that find a known
-- bug of the nn core skip with the reason (see the SKIP lines).
require 'nn'
local tester = torch.Tester()
local T = torch.TestSuite()

torch.setdefaulttensortype('torch.DoubleTensor')
torch.manualSeed(11)

local tensors_of = nn._tensorsOf

-- a structure like x (tensor or nested tables) with each tensor replaced by f(tensor)
local function map(x, f)
  if torch.isTensor(x) then return f(x) end
  local c = {}
  for k, v in pairs(x) do c[k] = map(v, f) end
  return c
end

local function D(t) return torch.Tensor(t) end -- double (the default type here)

---------------------------------------------------------------------------------------
-- the Jacobian helper
---------------------------------------------------------------------------------------

-- f(x) = sum_i <out_i, gout_i> for a random gradOutput; its central differences along
-- each input element and each parameter element against module:backward(x, gout).
-- Returns the largest error for the input and for the parameters.
local function jacobian(m, input, eps)
  eps = eps or 1e-6
  local out = m:forward(input)
  local gout = map(out, function(o) return torch.randn(o:size()):typeAs(o) end)
  local gouts = tensors_of(gout, {})
  m:zeroGradParameters()
  local gi = m:backward(input, gout)
  local ins = tensors_of(input, {})
  local gis = tensors_of(gi, {})
  local an = {}
  for i = 1, #ins do an[i] = gis[i] and gis[i]:clone() or nil end
  local params, gparams = m:parameters()
  params, gparams = params or {}, gparams or {}
  local anp = {}
  for i, g in ipairs(gparams) do anp[i] = g:clone() end
  local function f()
    return torch.noGrad(function()
      local o = m:forward(input)
      local s = 0
      for i, t in ipairs(tensors_of(o, {})) do s = s + torch.cmul(t:contiguous(), gouts[i]):sum() end
      return s
    end)
  end
  -- the storage positions of t's elements (any strides), in t's element order
  local function positions(t)
    local pos, n = {}, t:dim()
    local sz, st = t:size():totable(), t:stride():totable()
    local idx = {}
    for d = 1, n do idx[d] = 1 end
    for _ = 1, t:nElement() do
      local off = t:storageOffset()
      for d = 1, n do off = off + (idx[d] - 1) * st[d] end
      pos[#pos + 1] = off
      for d = n, 1, -1 do
        idx[d] = idx[d] + 1
        if idx[d] <= sz[d] then break end
        idx[d] = 1
      end
    end
    return pos
  end
  local function fd(t)
    local g = torch.Tensor(t:nElement())
    torch.noGrad(function()
      local s = t:storage()
      for j, o in ipairs(positions(t)) do
        local v = s[o]
        s[o] = v + eps
        local fp = f()
        s[o] = v - eps
        local fm = f()
        s[o] = v
        g[j] = (fp - fm) / (2 * eps)
      end
    end)
    return g
  end
  local errIn, errParam = 0, 0
  if #gis ~= #ins then return math.huge, math.huge end
  for i, x in ipairs(ins) do
    local num = fd(x)
    local a = an[i]:contiguous():view(-1)
    errIn = math.max(errIn, (num - a):abs():max())
  end
  for i, p in ipairs(params) do
    local num = fd(p)
    errParam = math.max(errParam, (num - anp[i]:contiguous():view(-1)):abs():max())
  end
  return errIn, errParam
end

-- a module with a wrong hand-written gradient (3 instead of 2)
do
  local Bad = torch.class('nn.TestC5BadGrad', 'nn.Module')
  function Bad:updateOutput(input) self.output = torch.mul(input, 2); return self.output end
  function Bad:updateGradInput(input, gradOutput) self.gradInput = torch.mul(gradOutput, 3); return self.gradInput end
end

-- the helper itself catches a wrong gradient
function T.jacobian_helper()
  local ei = jacobian(nn.TestC5BadGrad(), torch.randn(3))
  tester:assertgt(ei, 0.1, 'a wrong updateGradInput is caught')
  local ok = jacobian(nn.MulConstant(2), torch.randn(3))
  tester:assertlt(ok, 1e-8, 'a right one passes')
  local l = nn.Linear(2, 2)
  local _, ep = jacobian(l, torch.randn(2))
  tester:assertlt(ep, 1e-8, 'parameters checked')
end

-- Torch7's nn.Jacobian helper (nn/Jacobian.lua)
function T.nn_Jacobian()
  local m = nn.Linear(3, 2)
  tester:assertlt(nn.Jacobian.testJacobian(m, torch.Tensor(4, 3)), 1e-8, 'testJacobian')
  tester:assertlt(nn.Jacobian.testJacobianParameters(m, torch.Tensor(4, 3), m.weight, m.gradWeight), 1e-8,
    'testJacobianParameters weight')
  tester:assertlt(nn.Jacobian.testJacobianParameters(m, torch.Tensor(3), m.bias, m.gradBias), 1e-8,
    'testJacobianParameters bias')
  local ferr, berr = nn.Jacobian.testIO(m, torch.randn(4, 3))
  tester:asserteq(ferr, 0, 'testIO forward')
  tester:asserteq(berr, 0, 'testIO backward')
  tester:assertlt(nn.Jacobian.testJacobian(nn.Transpose({ 1, 2 }), torch.Tensor(3, 2):t()), 1e-8,
    'testJacobian on a transposed input')
  local jf = nn.Jacobian.forward(nn.MulConstant(3), torch.randn(2))
  tester:eq(jf, torch.eye(2) * 3, 1e-8, 'forward Jacobian of MulConstant')
  local jb = nn.Jacobian.backward(nn.MulConstant(3), torch.randn(2))
  tester:eq(jb, torch.eye(2) * 3, 1e-12, 'backward Jacobian of MulConstant')
  tester:assertgt(nn.Jacobian.testJacobian(nn.TestC5BadGrad(), torch.Tensor(3)), 0.1, 'a wrong gradient shows')
  tester:assertErrorPattern(function() nn.Jacobian.testJacobian(m, { torch.randn(3) }) end, 'nn.Jacobian',
    'tables are refused')
end

local function checkgrad(m, input, what, tol)
  tol = tol or 1e-6
  local ei, ep = jacobian(m, input)
  tester:assertlt(ei, tol, (what or tostring(m)) .. ': gradInput against finite differences')
  tester:assertlt(ep, tol, (what or tostring(m)) .. ': parameter gradients against finite differences')
end

local function sizes(t) return t:size():totable() end

-- Torch7 order: forward, then backward
local function bw(m, x, g)
  m:forward(x)
  return m:backward(x, g)
end

---------------------------------------------------------------------------------------
-- containers
---------------------------------------------------------------------------------------

function T.Concat()
  local x = D{{1, 2}, {3, 4}}
  local m = nn.Concat(2):add(nn.Identity()):add(nn.MulConstant(2))
  tester:eq(m:forward(x), D{{1, 2, 2, 4}, {3, 4, 6, 8}}, 0, 'Concat(2) values')
  tester:eq(m:backward(x, torch.ones(2, 4)), D{{3, 3}, {3, 3}}, 1e-12, 'Concat(2) gradInput')
  local m1 = nn.Concat(1):add(nn.Identity()):add(nn.MulConstant(-1))
  tester:eq(m1:forward(x), D{{1, 2}, {3, 4}, {-1, -2}, {-3, -4}}, 0, 'Concat(1) values')
  tester:eq(sizes(nn.Concat(-1):add(nn.Identity()):add(nn.Identity()):forward(x)), {2, 4}, 'Concat(-1)')
  checkgrad(nn.Concat(2):add(nn.Linear(3, 2)):add(nn.Linear(3, 4)):add(nn.Identity()), torch.randn(5, 3), 'Concat batch')
  checkgrad(nn.Concat(1):add(nn.Linear(3, 2)):add(nn.Linear(3, 4)), torch.randn(3), 'Concat vector')
  tester:asserteq(m:size(), 2, 'Concat:size()')
  tester:assert(torch.type(m:get(2)) == 'nn.MulConstant', 'Concat:get')
end

function T.ConcatTable()
  local x = D{1, 2, 3}
  local m = nn.ConcatTable():add(nn.Identity()):add(nn.MulConstant(2))
  local y = m:forward(x)
  tester:asserteq(#y, 2, 'ConcatTable gives a table')
  tester:eq(y[1], x, 0, 'ConcatTable 1')
  tester:eq(y[2], D{2, 4, 6}, 0, 'ConcatTable 2')
  tester:eq(m:backward(x, {D{1, 1, 1}, D{1, 2, 3}}), D{3, 5, 7}, 1e-12, 'ConcatTable gradInput is the sum')
  checkgrad(nn.ConcatTable():add(nn.Linear(4, 2)):add(nn.Linear(4, 3)), torch.randn(4), 'ConcatTable vector')
  checkgrad(nn.ConcatTable():add(nn.Linear(4, 2)):add(nn.Identity()), torch.randn(3, 4), 'ConcatTable batch')
  -- a table input (each module gets the whole table)
  local t = { torch.randn(2, 3), torch.randn(2, 3) }
  local mt = nn.ConcatTable():add(nn.CAddTable()):add(nn.CMulTable()):add(nn.SelectTable(1))
  local yt = mt:forward(t)
  tester:eq(yt[1], t[1] + t[2], 1e-12, 'ConcatTable of a table input 1')
  tester:eq(yt[2], torch.cmul(t[1], t[2]), 1e-12, 'ConcatTable of a table input 2')
  checkgrad(mt, t, 'ConcatTable table input')
end

function T.ParallelTable()
  local t = { D{1, 2}, D{3, 4, 5} }
  local m = nn.ParallelTable():add(nn.MulConstant(2)):add(nn.AddConstant(1))
  local y = m:forward(t)
  tester:eq(y[1], D{2, 4}, 0, 'ParallelTable 1')
  tester:eq(y[2], D{4, 5, 6}, 0, 'ParallelTable 2')
  local g = m:backward(t, { D{1, 1}, D{1, 2, 3} })
  tester:eq(g[1], D{2, 2}, 1e-12, 'ParallelTable gradInput 1')
  tester:eq(g[2], D{1, 2, 3}, 1e-12, 'ParallelTable gradInput 2')
  checkgrad(nn.ParallelTable():add(nn.Linear(3, 2)):add(nn.Linear(2, 4)), { torch.randn(5, 3), torch.randn(5, 2) },
    'ParallelTable batch')
  tester:assertErrorPattern(function() m:forward({ D{1} }) end, 'nn.ParallelTable', 'too few inputs')
  tester:assertErrorPattern(function() m:forward(D{1}) end, 'nn.ParallelTable', 'a tensor input')
end

function T.Parallel()
  local x = D{{1, 2, 3}, {4, 5, 6}}
  local m = nn.Parallel(1, 1):add(nn.Identity()):add(nn.MulConstant(10))
  tester:eq(m:forward(x), D{1, 2, 3, 40, 50, 60}, 0, 'Parallel(1, 1)')
  local m2 = nn.Parallel(2, 1):add(nn.Identity()):add(nn.Identity()):add(nn.MulConstant(-1))
  tester:eq(m2:forward(x), D{1, 4, 2, 5, -3, -6}, 0, 'Parallel(2, 1)')
  tester:eq(m2:backward(x, torch.ones(6)), D{{1, 1, -1}, {1, 1, -1}}, 1e-12, 'Parallel gradInput')
  local m3 = nn.Parallel(1, 2):add(nn.Linear(4, 3)):add(nn.Linear(4, 2))
  local xb = torch.randn(2, 5, 4)
  tester:eq(sizes(m3:forward(xb)), {5, 5}, 'Parallel(1, 2) on batches')
  checkgrad(m3, xb, 'Parallel batch')
  tester:assertErrorPattern(function() m:forward(torch.randn(3, 2)) end, 'nn.Parallel', 'more slices than modules')
end

function T.nested_containers()
  -- Sequential of ConcatTable of Sequentials, then JoinTable, then Linear
  local net = nn.Sequential()
  local branches = nn.ConcatTable()
  branches:add(nn.Sequential():add(nn.Linear(4, 3)):add(nn.Square()))
  branches:add(nn.Sequential():add(nn.Linear(4, 2)):add(nn.Exp()))
  branches:add(nn.Identity())
  net:add(branches):add(nn.JoinTable(2)):add(nn.Linear(9, 2)):add(nn.Sum(2))
  local x = torch.randn(3, 4)
  tester:eq(sizes(net:forward(x)), {3}, 'nested output size')
  checkgrad(net, x, 'Sequential(ConcatTable(Sequential...))')
  -- ParallelTable inside ConcatTable inside Sequential, with a table output
  local n2 = nn.Sequential()
    :add(nn.ConcatTable():add(nn.Identity()):add(nn.MulConstant(3)))
    :add(nn.ParallelTable():add(nn.Linear(2, 2)):add(nn.Sequential():add(nn.Linear(2, 1)):add(nn.Mul())))
  checkgrad(n2, torch.randn(2), 'table output')
  local n3 = nn.Sequential():add(nn.SplitTable(1)):add(nn.ParallelTable():add(nn.Linear(3, 1)):add(nn.Linear(3, 1)))
    :add(nn.CAddTable())
  checkgrad(n3, torch.randn(2, 3), 'SplitTable -> ParallelTable -> CAddTable')
  -- parameters of nested containers
  local p = net:parameters()
  tester:asserteq(#p, 6, 'nested parameters')
end

-- Torch7's manual chain: each module's forward, then each backward in reverse order
function T.manual_chain()
  local l1, sq, l2, s = nn.Linear(3, 4), nn.Square(), nn.Linear(4, 2), nn.Sum(1)
  local x = torch.randn(3)
  local h1 = l1:forward(x)
  local h2 = sq:forward(h1)
  local h3 = l2:forward(h2)
  local y = s:forward(h3)
  local g3 = s:backward(h3, torch.ones(1))
  local g2 = l2:backward(h2, g3)
  local g1 = sq:backward(h1, g2)
  local g0 = l1:backward(x, g1)
  -- the same network as a Sequential
  local net = nn.Sequential():add(l1:clone()):add(nn.Square()):add(l2:clone()):add(nn.Sum(1))
  net:zeroGradParameters()
  tester:eq(net:forward(x), y, 1e-12, 'chain output')
  local gn = net:backward(x, torch.ones(1))
  tester:eq(gn, g0, 1e-12, 'chain gradInput')
  tester:eq(net.modules[1].gradWeight, l1.gradWeight, 1e-12, 'chain gradWeight 1')
  tester:eq(net.modules[3].gradBias, l2.gradBias, 1e-12, 'chain gradBias 3')
  -- by hand: d sum(W2 (W1 x + b1)^2 + b2) / dx
  local W1, b1, W2 = l1.weight:detach(), l1.bias:detach(), l2.weight:detach()
  local h = W1 * x + b1
  local expect = W1:t() * torch.cmul(W2:t() * torch.ones(2), h * 2)
  tester:eq(g0, expect, 1e-10, 'chain gradInput by hand')
  -- two children returning the input itself: their gradients add up
  local twice = nn.ConcatTable():add(nn.Identity()):add(nn.Identity())
  local z = D{1, 2, 3}
  twice:forward(z)
  tester:eq(twice:backward(z, { D{1, 2, 3}, D{10, 20, 30} }), D{11, 22, 33}, 1e-12, 'ConcatTable of Identities')
end

-- a manual chain through table modules: ConcatTable -> ParallelTable -> CAddTable, where
-- the ParallelTable's input table holds the same tensor twice (the two Identities' output)
function T.manual_chain_tables()
  local ct = nn.ConcatTable():add(nn.Identity()):add(nn.Identity())
  local pt = nn.ParallelTable():add(nn.MulConstant(2)):add(nn.Square())
  local ca = nn.CAddTable()
  local z = D{1, 2, 3}
  local t1 = ct:forward(z)
  local t2 = pt:forward(t1)
  tester:eq(ca:forward(t2), D{3, 8, 15}, 1e-12, 'table chain output: 2z + z^2')
  local gt2 = ca:backward(t2, D{1, 1, 1})
  local gt1 = pt:backward(t1, gt2)
  if (gt1[2] - D{2, 4, 6}):abs():max() > 1e-9 then
    tester:skip('nn/Module.lua: an input table holding one tensor (already on the graph) twice gets the summed ' ..
      'gradient at each position (torch.grad on duplicate inputs); ParallelTable gradInput[2] = ' ..
      table.concat(gt1[2]:totable(), ','))
  end
  tester:eq(gt1[1], D{2, 2, 2}, 1e-12, 'table chain: ParallelTable gradInput 1')
  tester:eq(gt1[2], D{2, 4, 6}, 1e-12, 'table chain: ParallelTable gradInput 2')
  tester:eq(ct:backward(z, gt1), D{4, 6, 8}, 1e-12, 'table chain gradInput: 2 + 2z')
end

function T.containers_tostring()
  local c = nn.ConcatTable():add(nn.Linear(5, 2)):add(nn.Sequential():add(nn.Linear(5, 3)):add(nn.Identity()))
  local expect = table.concat({
    'nn.ConcatTable {',
    '  input',
    '    |`-> (1): nn.Linear(5 -> 2)',
    '     `-> (2): nn.Sequential {',
    '           [input -> (1) -> (2) -> output]',
    '           (1): nn.Linear(5 -> 3)',
    '           (2): nn.Identity',
    '         }',
    '     ... -> output',
    '}' }, '\n')
  tester:asserteq(tostring(c), expect, 'ConcatTable tree')
  local p = nn.ParallelTable():add(nn.Identity()):add(nn.View(-1))
  tester:asserteq(tostring(p), 'nn.ParallelTable {\n  input\n    |`-> (1): nn.Identity\n     `-> (2): nn.View(-1)\n     ... -> output\n}',
    'ParallelTable tree')
  local cc = nn.Concat(1):add(nn.Identity()):add(nn.Reshape(2, 3))
  tester:asserteq(tostring(cc), 'nn.Concat {\n  input\n    |`-> (1): nn.Identity\n     `-> (2): nn.Reshape(2x3)\n     ... -> output\n}',
    'Concat tree')
  local pa = nn.Parallel(1, 1):add(nn.Identity()):add(nn.Identity())
  tester:asserteq(tostring(pa), 'nn.Parallel {\n  input\n    |`-> (1): nn.Identity\n    |`-> (2): nn.Identity\n     ... -> output\n}',
    'Parallel tree (Torch7 marks the last one with |`-> too)')
  local s = nn.Sequential():add(nn.ConcatTable():add(nn.Identity()):add(nn.Identity())):add(nn.CAddTable())
  tester:asserteq(tostring(s), table.concat({
    'nn.Sequential {',
    '  [input -> (1) -> (2) -> output]',
    '  (1): nn.ConcatTable {',
    '    input',
    '      |`-> (1): nn.Identity',
    '       `-> (2): nn.Identity',
    '       ... -> output',
    '  }',
    '  (2): nn.CAddTable',
    '}' }, '\n'), 'Sequential holding a ConcatTable')
  tester:asserteq(tostring(nn.View(2, -1)), 'nn.View(2, -1)', 'View')
  tester:asserteq(tostring(nn.SelectTable(-1)), 'nn.SelectTable(-1)', 'SelectTable')
  tester:asserteq(tostring(nn.Sum(2)), 'nn.Sum', 'Sum')
end

function T.container_errors()
  local s = nn.Sequential():add(nn.Linear(3, 2)):add(nn.View(5))
  tester:assertErrorPattern(function() s:forward(torch.randn(3)) end, 'nn.View', 'the failing module is named')
  tester:assertErrorPattern(function() s:forward(torch.randn(3)) end, 'In 2 module of nn.Sequential', 'and its place')
  local c = nn.Concat(1):add(nn.Linear(3, 2)):add(nn.View(1, 6))
  tester:assertErrorPattern(function() c:forward(torch.randn(2, 3)) end, 'nn.Concat', 'Concat size mismatch')
  local ct = nn.ConcatTable():add(nn.Linear(3, 2)):add(nn.Linear(4, 2))
  tester:assertErrorPattern(function() ct:forward(torch.randn(3)) end, 'In 2 module of nn.ConcatTable', 'ConcatTable child error')
  tester:assertErrorPattern(function() nn.Concat() end, 'nn.Concat', 'Concat without a dimension')
end

---------------------------------------------------------------------------------------
-- shape modules
---------------------------------------------------------------------------------------

function T.Identity()
  local x = torch.randn(2, 3)
  local m = nn.Identity()
  tester:eq(m:forward(x), x, 0, 'Identity value')
  local g = torch.randn(2, 3)
  tester:eq(m:backward(x, g), g, 0, 'Identity gradInput')
  local t = { torch.randn(2), { torch.randn(3) } }
  local y = m:forward(t)
  tester:eq(y[2][1], t[2][1], 0, 'Identity of a table')
  checkgrad(m, t, 'Identity table')
end

function T.View()
  local x = D{{1, 2, 3}, {4, 5, 6}}
  tester:eq(nn.View(6):forward(x), D{1, 2, 3, 4, 5, 6}, 0, 'View(6)')
  tester:eq(sizes(nn.View(3, 2):forward(x)), {3, 2}, 'View(3, 2)')
  tester:eq(sizes(nn.View(3):forward(x)), {2, 3}, 'View(3) on 2x3: a batch of 2')
  tester:eq(sizes(nn.View(-1):forward(x)), {6}, 'View(-1)')
  tester:eq(sizes(nn.View(-1, 2):forward(torch.randn(2, 6))), {6, 2}, 'View(-1, 2)')
  tester:eq(sizes(nn.View(3, 2):forward(torch.randn(4, 6))), {4, 3, 2}, 'View(3, 2) batch')
  tester:eq(sizes(nn.View(torch.LongStorage{2, 3}):forward(torch.randn(6))), {2, 3}, 'View(LongStorage)')
  -- setNumInputDims: a batch of one stays a batch
  tester:eq(sizes(nn.View(6):forward(torch.randn(1, 2, 3))), {6}, 'View(6) on 1x2x3')
  tester:eq(sizes(nn.View(6):setNumInputDims(2):forward(torch.randn(1, 2, 3))), {1, 6}, 'setNumInputDims(2), batch of 1')
  tester:eq(sizes(nn.View(-1, 4):setNumInputDims(1):forward(torch.randn(3, 8))), {3, 2, 4}, 'View(-1, 4) with numInputDims 1')
  tester:eq(sizes(nn.View(6):setNumInputDims(2):forward(torch.randn(2, 3))), {6}, 'numInputDims 2, no batch')
  -- non-contiguous input
  local xt = torch.randn(3, 2):t()
  tester:eq(nn.View(6):forward(xt), xt:contiguous():view(6), 0, 'View of a transposed input')
  checkgrad(nn.View(6), torch.randn(2, 3), 'View')
  checkgrad(nn.View(3, 2), torch.randn(4, 6), 'View batch')
  tester:assertErrorPattern(function() nn.View(5):forward(x) end, 'nn.View', 'size mismatch')
  tester:assertErrorPattern(function() nn.View(-1, -1) end, 'nn.View', 'two -1')
end

function T.Reshape()
  local x = D{{1, 2, 3}, {4, 5, 6}}
  tester:eq(nn.Reshape(3, 2):forward(x), D{{1, 2}, {3, 4}, {5, 6}}, 0, 'Reshape(3, 2)')
  tester:eq(sizes(nn.Reshape(3, 2):forward(torch.randn(4, 6))), {4, 3, 2}, 'Reshape batch')
  tester:eq(sizes(nn.Reshape(3, 2):forward(torch.randn(1, 6))), {1, 3, 2}, 'Reshape of a batch of 1')
  tester:eq(sizes(nn.Reshape(3, 2, false):forward(torch.randn(1, 6))), {3, 2}, 'batchMode false')
  tester:eq(sizes(nn.Reshape(3, true):forward(torch.randn(2, 3))), {2, 3}, 'batchMode true')
  tester:eq(sizes(nn.Reshape(torch.LongStorage{6}):forward(torch.randn(2, 3))), {6}, 'Reshape(LongStorage)')
  tester:eq(nn.Reshape(6):forward(x:t()), D{1, 4, 2, 5, 3, 6}, 0, 'Reshape of a transposed input')
  checkgrad(nn.Reshape(3, 2), torch.randn(4, 6), 'Reshape batch')
  checkgrad(nn.Reshape(6), torch.randn(3, 2):t(), 'Reshape non-contiguous')
  tester:assertErrorPattern(function() nn.Reshape(5):forward(x) end, 'nn.Reshape', 'size mismatch')
  tester:asserteq(tostring(nn.Reshape(2, 3)), 'nn.Reshape(2x3)', 'Reshape tostring')
end

function T.Select()
  local x = D{{1, 2, 3}, {4, 5, 6}}
  tester:eq(nn.Select(1, 2):forward(x), D{4, 5, 6}, 0, 'Select(1, 2)')
  tester:eq(nn.Select(2, 1):forward(x), D{1, 4}, 0, 'Select(2, 1)')
  tester:eq(nn.Select(-1, -1):forward(x), D{3, 6}, 0, 'Select(-1, -1)')
  tester:eq(bw(nn.Select(1, 2), x, D{1, 2, 3}), D{{0, 0, 0}, {1, 2, 3}}, 0, 'Select gradInput')
  checkgrad(nn.Select(2, 3), torch.randn(3, 4, 2), 'Select')
  tester:assertErrorPattern(function() nn.Select(1, 3):forward(x) end, 'nn.Select', 'index out of range')
  tester:assertErrorPattern(function() nn.Select(3, 1):forward(x) end, 'nn.Select', 'dimension out of range')
end

function T.Narrow()
  local x = D{{1, 2, 3, 4, 5}, {6, 7, 8, 9, 10}}
  tester:eq(nn.Narrow(2, 2, 2):forward(x), D{{2, 3}, {7, 8}}, 0, 'Narrow(2, 2, 2)')
  tester:eq(nn.Narrow(2, 4):forward(x), D{{4}, {9}}, 0, 'Narrow default length 1')
  -- Torch7's rule: length -k is n - offset + 2 - k (-1: to the end); a negative offset
  -- keeps the first n - length
  tester:eq(nn.Narrow(2, 2, -1):forward(x), D{{2, 3, 4, 5}, {7, 8, 9, 10}}, 0, 'Narrow negative length (Torch7)')
  tester:eq(nn.Narrow(2, 2, -2):forward(x), D{{2, 3, 4}, {7, 8, 9}}, 0, 'Narrow length -2 (Torch7)')
  tester:eq(nn.Narrow(-1, -2, 2):forward(x), D{{1, 2, 3}, {6, 7, 8}}, 0, 'Narrow negative dimension and offset')
  tester:eq(bw(nn.Narrow(1, 2), x, D{{1, 1, 1, 1, 1}}), D{{0, 0, 0, 0, 0}, {1, 1, 1, 1, 1}}, 0, 'Narrow gradInput')
  checkgrad(nn.Narrow(1, 2, 2), torch.randn(4, 3), 'Narrow')
  tester:assertErrorPattern(function() nn.Narrow(2, 4, 3):forward(x) end, 'nn.Narrow', 'out of range')
end

function T.JoinTable()
  local a, b = D{1, 2}, D{3}
  tester:eq(nn.JoinTable(1):forward({ a, b }), D{1, 2, 3}, 0, 'JoinTable(1)')
  local A, B = D{{1, 2}, {3, 4}}, D{{5}, {6}}
  tester:eq(nn.JoinTable(2):forward({ A, B }), D{{1, 2, 5}, {3, 4, 6}}, 0, 'JoinTable(2)')
  tester:eq(nn.JoinTable(1, 1):forward({ A, B }), D{{1, 2, 5}, {3, 4, 6}}, 0, 'JoinTable(1, 1) on batches')
  tester:eq(nn.JoinTable(1, 1):forward({ a, b }), D{1, 2, 3}, 0, 'JoinTable(1, 1) on samples')
  tester:eq(nn.JoinTable(-1):forward({ A, B }), D{{1, 2, 5}, {3, 4, 6}}, 0, 'JoinTable(-1)')
  local g = bw(nn.JoinTable(2), { A, B }, D{{1, 2, 3}, {4, 5, 6}})
  tester:eq(g[1], D{{1, 2}, {4, 5}}, 0, 'JoinTable gradInput 1')
  tester:eq(g[2], D{{3}, {6}}, 0, 'JoinTable gradInput 2')
  checkgrad(nn.JoinTable(2), { torch.randn(3, 2), torch.randn(3, 4), torch.randn(3, 1) }, 'JoinTable')
  tester:assertErrorPattern(function() nn.JoinTable(1):forward({ A, D{1, 2} }) end, 'nn.JoinTable', 'dims differ')
  tester:assertErrorPattern(function() nn.JoinTable(2):forward({ A, D{{1}, {2}, {3}} }) end, 'nn.JoinTable', 'sizes differ')
  tester:assertErrorPattern(function() nn.JoinTable(1):forward(A) end, 'nn.JoinTable', 'tensor input')
end

function T.SplitTable()
  local x = D{{1, 2, 3}, {4, 5, 6}}
  local y = nn.SplitTable(1):forward(x)
  tester:asserteq(#y, 2, 'SplitTable(1) count')
  tester:eq(y[2], D{4, 5, 6}, 0, 'SplitTable(1) values')
  local yb = nn.SplitTable(1, 1):forward(x)
  tester:asserteq(#yb, 3, 'SplitTable(1, 1) on a batch splits dimension 2')
  tester:eq(yb[3], D{3, 6}, 0, 'SplitTable batch values')
  tester:asserteq(#nn.SplitTable(1, 1):forward(D{1, 2, 3, 4}), 4, 'SplitTable(1, 1) on a sample')
  tester:asserteq(#nn.SplitTable(-1):forward(x), 3, 'SplitTable(-1)')
  local g = bw(nn.SplitTable(2), x, { D{1, 2}, D{3, 4}, D{5, 6} })
  tester:eq(g, D{{1, 3, 5}, {2, 4, 6}}, 0, 'SplitTable gradInput')
  checkgrad(nn.SplitTable(2), torch.randn(3, 4), 'SplitTable')
  tester:assertErrorPattern(function() nn.SplitTable(3):forward(x) end, 'nn.SplitTable', 'dimension out of range')
end

function T.table_arith()
  local a, b, c = D{1, 2, 3}, D{4, 5, 6}, D{2, 2, 2}
  tester:eq(nn.CAddTable():forward({ a, b, c }), D{7, 9, 11}, 0, 'CAddTable')
  tester:eq(nn.CMulTable():forward({ a, b, c }), D{8, 20, 36}, 0, 'CMulTable')
  tester:eq(nn.CSubTable():forward({ a, b }), D{-3, -3, -3}, 0, 'CSubTable')
  tester:eq(nn.CDivTable():forward({ b, c }), D{2, 2.5, 3}, 0, 'CDivTable')
  tester:eq(nn.CMaxTable():forward({ a, D{3, 1, 4} }), D{3, 2, 4}, 0, 'CMaxTable')
  tester:eq(nn.CMinTable():forward({ a, D{3, 1, 4} }), D{1, 1, 3}, 0, 'CMinTable')
  local g = bw(nn.CMulTable(), { a, b }, D{1, 1, 1})
  tester:eq(g[1], b, 0, 'CMulTable gradInput 1')
  tester:eq(g[2], a, 0, 'CMulTable gradInput 2')
  tester:assertErrorPattern(function() nn.CAddTable():forward({ D{{1, 2}, {3, 4}}, D{1, 1, 1, 1} }) end,
    'differ in size', 'CAddTable: the sizes must be equal (Torch7)')
  local t = { torch.randn(2, 3), torch.randn(2, 3), torch.randn(2, 3) }
  checkgrad(nn.CAddTable(), t, 'CAddTable')
  checkgrad(nn.CMulTable(), t, 'CMulTable')
  checkgrad(nn.CSubTable(), { t[1], t[2] }, 'CSubTable')
  checkgrad(nn.CDivTable(), { t[1], torch.rand(2, 3) + 1 }, 'CDivTable')
  checkgrad(nn.CMaxTable(), t, 'CMaxTable')
  checkgrad(nn.CMinTable(), t, 'CMinTable')
  tester:assertErrorPattern(function() nn.CAddTable():forward({ a, D{1, 2} }) end, 'nn.CAddTable', 'size mismatch')
  tester:assertErrorPattern(function() nn.CSubTable():forward({ a }) end, 'nn.CSubTable', 'one input')
  tester:assertErrorPattern(function() nn.CMulTable():forward(a) end, 'nn.CMulTable', 'tensor input')
end

---------------------------------------------------------------------------------------
-- reductions
---------------------------------------------------------------------------------------

function T.Sum_Mean()
  local x = D{{1, 2}, {3, 4}}
  tester:eq(nn.Sum(1):forward(x), D{4, 6}, 0, 'Sum(1)')
  tester:eq(nn.Sum(2):forward(x), D{3, 7}, 0, 'Sum(2)')
  tester:eq(nn.Sum():forward(x), D{4, 6}, 0, 'Sum() is Sum(1)')
  tester:eq(nn.Sum(-1):forward(x), D{3, 7}, 0, 'Sum(-1)')
  tester:eq(nn.Sum(1, 1):forward(x), D{3, 7}, 0, 'Sum(1, 1) on a batch')
  tester:eq(nn.Sum(1, 1):forward(D{1, 2, 3}), D{6}, 0, 'Sum(1, 1) on a sample (1-D result kept)')
  tester:eq(nn.Sum(1, nil, true):forward(x), D{2, 3}, 0, 'Sum sizeAverage')
  tester:eq(sizes(nn.Sum(1, nil, false, false):forward(x)), {1, 2}, 'Sum squeeze false')
  tester:eq(nn.Mean(1):forward(x), D{2, 3}, 0, 'Mean(1)')
  tester:eq(nn.Mean(2):forward(x), D{1.5, 3.5}, 0, 'Mean(2)')
  tester:eq(nn.Mean(1, 1):forward(x), D{1.5, 3.5}, 0, 'Mean(1, 1) batch')
  tester:eq(bw(nn.Sum(2), x, D{1, 2}), D{{1, 1}, {2, 2}}, 0, 'Sum gradInput')
  tester:eq(bw(nn.Mean(1), x, D{1, 2}), D{{0.5, 1}, {0.5, 1}}, 0, 'Mean gradInput')
  checkgrad(nn.Sum(2), torch.randn(3, 4, 2), 'Sum')
  checkgrad(nn.Mean(-1), torch.randn(3, 4), 'Mean')
  checkgrad(nn.Sum(1, 2, true), torch.randn(2, 3, 4), 'Sum batch sizeAverage')
  tester:assertErrorPattern(function() nn.Sum(3):forward(x) end, 'nn.Sum', 'dimension out of range')
  tester:assertErrorPattern(function() nn.Mean(3):forward(x) end, 'nn.Mean', 'Mean names itself')
end

function T.Max_Min()
  local x = D{{1, 5}, {3, 2}}
  local m = nn.Max(1)
  tester:eq(m:forward(x), D{3, 5}, 0, 'Max(1)')
  tester:eq(m._indices, torch.LongTensor{{2, 1}}, 'Max indices')
  tester:eq(nn.Max(2):forward(x), D{5, 3}, 0, 'Max(2)')
  tester:eq(nn.Max(1, 1):forward(x), D{5, 3}, 0, 'Max(1, 1) batch')
  tester:eq(nn.Max(1):forward(D{4, 9, 2}), D{9}, 0, 'Max of a vector')
  tester:eq(nn.Min(1):forward(x), D{1, 2}, 0, 'Min(1)')
  tester:eq(nn.Min(-1):forward(x), D{1, 2}, 0, 'Min(-1)')
  tester:eq(m:backward(x, D{10, 20}), D{{0, 20}, {10, 0}}, 0, 'Max gradInput')
  checkgrad(nn.Max(2), torch.randn(3, 4), 'Max')
  checkgrad(nn.Min(1, 1), torch.randn(2, 3, 4), 'Min batch')
  tester:assertErrorPattern(function() nn.Max(3):forward(x) end, 'nn.Max', 'dimension out of range')
end

function T.Transpose()
  local x = D{{1, 2, 3}, {4, 5, 6}}
  local y = nn.Transpose({ 1, 2 }):forward(x)
  tester:eq(y, D{{1, 4}, {2, 5}, {3, 6}}, 0, 'Transpose({1, 2})')
  tester:assert(y:isContiguous(), 'Transpose output is contiguous (Torch7)')
  tester:eq(sizes(nn.Transpose({ 1, 2 }, { 2, 3 }):forward(torch.randn(2, 3, 4))), {3, 4, 2}, 'two swaps')
  tester:eq(sizes(nn.Transpose({ 1, 2 }):setNumInputDims(2):forward(torch.randn(5, 2, 3))), {5, 3, 2},
    'setNumInputDims on a batch')
  checkgrad(nn.Transpose({ 1, 3 }, { 1, 2 }), torch.randn(2, 3, 4), 'Transpose')
  tester:assertErrorPattern(function() nn.Transpose({ 1, 3 }):forward(x) end, 'nn.Transpose', 'out of range')
end

function T.Replicate()
  local x = D{1, 2}
  tester:eq(nn.Replicate(3):forward(x), D{{1, 2}, {1, 2}, {1, 2}}, 0, 'Replicate(3)')
  tester:eq(nn.Replicate(3, 2):forward(x), D{{1, 1, 1}, {2, 2, 2}}, 0, 'Replicate(3, 2)')
  tester:eq(sizes(nn.Replicate(3, 1, 1):forward(torch.randn(4, 2))), {4, 3, 2}, 'Replicate(3, 1, 1) on a batch')
  tester:eq(bw(nn.Replicate(3), x, torch.ones(3, 2)), D{3, 3}, 0, 'Replicate gradInput')
  checkgrad(nn.Replicate(2, 2), torch.randn(3, 2), 'Replicate')
  tester:assertErrorPattern(function() nn.Replicate(2, 4):forward(x) end, 'nn.Replicate', 'dimension out of range')
end

function T.Squeeze_Unsqueeze()
  local x = torch.randn(2, 1, 3, 1)
  tester:eq(sizes(nn.Squeeze():forward(x)), {2, 3}, 'Squeeze()')
  tester:eq(sizes(nn.Squeeze(2):forward(x)), {2, 3, 1}, 'Squeeze(2)')
  tester:eq(sizes(nn.Squeeze(1, 3):forward(torch.randn(5, 1, 3, 2))), {5, 3, 2}, 'Squeeze(1, 3) batch')
  tester:eq(sizes(nn.Squeeze(nil, 2):forward(torch.randn(1, 1, 3))), {1, 3}, 'a batch of one keeps its dimension')
  tester:eq(sizes(nn.Unsqueeze(1):forward(torch.randn(2))), {1, 2}, 'Unsqueeze(1)')
  tester:eq(sizes(nn.Unsqueeze(2):forward(torch.randn(2))), {2, 1}, 'Unsqueeze(2)')
  tester:eq(sizes(nn.Unsqueeze(1, 1):forward(torch.randn(3, 2))), {3, 1, 2}, 'Unsqueeze(1, 1) batch')
  checkgrad(nn.Squeeze(), x, 'Squeeze')
  checkgrad(nn.Unsqueeze(2), torch.randn(3, 2), 'Unsqueeze')
  tester:assertErrorPattern(function() nn.Unsqueeze(4):forward(torch.randn(2)) end, 'nn.Unsqueeze', 'position out of range')
end

---------------------------------------------------------------------------------------
-- pointwise
---------------------------------------------------------------------------------------

function T.pointwise()
  local x = D{1, 4, 9}
  tester:eq(nn.MulConstant(3):forward(x), D{3, 12, 27}, 0, 'MulConstant')
  tester:eq(nn.AddConstant(-1):forward(x), D{0, 3, 8}, 0, 'AddConstant')
  tester:eq(nn.Square():forward(x), D{1, 16, 81}, 0, 'Square')
  tester:eq(nn.Sqrt():forward(x), D{1, 2, 3}, 0, 'Sqrt')
  tester:eq(nn.Power(0.5):forward(x), D{1, 2, 3}, 1e-14, 'Power(0.5)')
  tester:eq(nn.Power(3):forward(D{1, 2, -1}), D{1, 8, -1}, 1e-14, 'Power(3)')
  tester:eq(nn.Abs():forward(D{-1, 2, -3}), D{1, 2, 3}, 0, 'Abs')
  tester:eq(nn.Exp():forward(D{0, 1}), D{1, math.exp(1)}, 1e-14, 'Exp')
  tester:eq(nn.Log():forward(D{1, math.exp(2)}), D{0, 2}, 1e-14, 'Log')
  tester:eq(bw(nn.Square(), x, D{1, 1, 1}), D{2, 8, 18}, 1e-14, 'Square gradInput')
  tester:eq(bw(nn.Sqrt(), x, D{1, 1, 1}), D{0.5, 0.25, 1 / 6}, 1e-14, 'Sqrt gradInput')
  tester:eq(x, D{1, 4, 9}, 0, 'the input is left alone')
  local xp = torch.rand(3, 4) + 0.5
  local xn = torch.randn(3, 4)
  for _, c in ipairs {
    { nn.MulConstant(-2), xn }, { nn.AddConstant(3), xn }, { nn.Square(), xn }, { nn.Sqrt(), xp },
    { nn.Power(2.5), xp }, { nn.Power(2), xn }, { nn.Abs(), xn }, { nn.Exp(), xn }, { nn.Log(), xp },
  } do
    checkgrad(c[1], c[2])
  end
  tester:assertErrorPattern(function() nn.MulConstant('a') end, 'nn.MulConstant', 'bad constant')
  tester:assertErrorPattern(function() nn.Exp():forward({ x }) end, 'nn.Exp', 'a table input')
end

function T.Copy()
  local x = torch.randn(2, 3)
  local m = nn.Copy('torch.DoubleTensor', 'torch.FloatTensor')
  local y = m:forward(x)
  tester:asserteq(torch.type(y), 'torch.FloatTensor', 'Copy output type')
  tester:eq(y:double(), x, 1e-6, 'Copy values')
  local g = m:backward(x, torch.ones(2, 3):float())
  tester:asserteq(torch.type(g), 'torch.DoubleTensor', 'Copy gradInput has the input type')
  tester:eq(g, torch.ones(2, 3), 0, 'Copy gradInput values')
  local same = nn.Copy('torch.DoubleTensor', 'torch.DoubleTensor')
  tester:eq(same:forward(x), x, 0, 'Copy to the same type')
  local forced = nn.Copy('torch.DoubleTensor', 'torch.DoubleTensor', true)
  local yf = forced:forward(x)
  tester:assert(torch.pointer(yf:storage()) ~= torch.pointer(x:storage()), 'forceCopy copies')
end

---------------------------------------------------------------------------------------
-- table selection
---------------------------------------------------------------------------------------

function T.FlattenTable()
  local a, b, c = torch.randn(2), torch.randn(3), torch.randn(1)
  local y = nn.FlattenTable():forward({ a, { b, { c } } })
  tester:asserteq(#y, 3, 'FlattenTable count')
  tester:eq(y[3], c, 0, 'FlattenTable order')
  local g = bw(nn.FlattenTable(), { a, { b, { c } } }, { D{1, 2}, D{3, 4, 5}, D{6} })
  tester:eq(g[2][2][1], D{6}, 0, 'FlattenTable gradInput keeps the nesting')
  checkgrad(nn.FlattenTable(), { a, { b, { c } } }, 'FlattenTable')
end

function T.SelectTable_NarrowTable()
  local t = { D{1}, D{2, 3}, { D{4} } }
  tester:eq(nn.SelectTable(2):forward(t), D{2, 3}, 0, 'SelectTable(2)')
  tester:eq(nn.SelectTable(-1):forward(t)[1], D{4}, 0, 'SelectTable(-1) of a nested table')
  local g = bw(nn.SelectTable(2), t, D{7, 8})
  tester:eq(g[1], D{0}, 0, 'SelectTable gradInput zeros elsewhere')
  tester:eq(g[2], D{7, 8}, 0, 'SelectTable gradInput')
  tester:eq(g[3][1], D{0}, 0, 'SelectTable gradInput zeros in nested tables')
  local n = nn.NarrowTable(2, 2):forward(t)
  tester:asserteq(#n, 2, 'NarrowTable count')
  tester:eq(n[1], D{2, 3}, 0, 'NarrowTable values')
  tester:asserteq(#nn.NarrowTable(1):forward(t), 1, 'NarrowTable default length')
  checkgrad(nn.SelectTable(1), { torch.randn(2), torch.randn(3) }, 'SelectTable')
  checkgrad(nn.NarrowTable(2, 2), { torch.randn(2), torch.randn(3), torch.randn(1) }, 'NarrowTable')
  tester:assertErrorPattern(function() nn.SelectTable(4):forward(t) end, 'nn.SelectTable', 'index out of range')
  tester:assertErrorPattern(function() nn.NarrowTable(3, 2):forward(t) end, 'nn.NarrowTable', 'out of range')
end

---------------------------------------------------------------------------------------
-- modules with parameters
---------------------------------------------------------------------------------------

function T.Mul()
  local m = nn.Mul()
  tester:eq(sizes(m.weight), {1}, 'Mul weight size')
  tester:assert(torch.abs(m.weight):max() <= 1, 'Mul reset in [-1, 1]')
  torch.noGrad(function() m.weight:fill(3) end)
  local x = D{{1, 2}, {3, 4}}
  tester:eq(m:forward(x), D{{3, 6}, {9, 12}}, 0, 'Mul values')
  m:zeroGradParameters()
  m:backward(x, torch.ones(2, 2))
  tester:eq(m.gradWeight, D{10}, 1e-12, 'Mul gradWeight = sum(x * gradOutput)')
  checkgrad(nn.Mul(), torch.randn(3, 4), 'Mul')
end

function T.Add()
  local m = nn.Add(2)
  torch.noGrad(function() m.bias:copy(D{1, 2}) end)
  tester:eq(m:forward(D{10, 20}), D{11, 22}, 0, 'Add sample')
  tester:eq(m:forward(D{{10, 20}, {30, 40}}), D{{11, 22}, {31, 42}}, 0, 'Add batch')
  m:zeroGradParameters()
  m:backward(D{{10, 20}, {30, 40}}, D{{1, 2}, {3, 4}})
  tester:eq(m.gradBias, D{4, 6}, 1e-12, 'Add gradBias sums the batch')
  local s = nn.Add(5, true)
  tester:eq(sizes(s.bias), {1}, 'Add scalar bias')
  torch.noGrad(function() s.bias:fill(2) end)
  tester:eq(s:forward(D{1, 2, 3}), D{3, 4, 5}, 0, 'Add scalar')
  checkgrad(nn.Add(4), torch.randn(4), 'Add')
  checkgrad(nn.Add(4), torch.randn(3, 4), 'Add batch')
  checkgrad(nn.Add(3, true), torch.randn(2, 3), 'Add scalar')
  checkgrad(nn.Add(torch.LongStorage{2, 3}), torch.randn(4, 2, 3), 'Add with a 2-D bias, batch')
  tester:assertErrorPattern(function() nn.Add(3):forward(torch.randn(2, 4)) end, 'nn.Add', 'size mismatch')
end

function T.CMul()
  local m = nn.CMul(2)
  torch.noGrad(function() m.weight:copy(D{2, 3}) end)
  tester:eq(m:forward(D{1, 2}), D{2, 6}, 0, 'CMul sample')
  tester:eq(m:forward(D{{1, 2}, {3, 4}}), D{{2, 6}, {6, 12}}, 0, 'CMul batch')
  m:zeroGradParameters()
  m:backward(D{{1, 2}, {3, 4}}, D{{1, 1}, {1, 1}})
  tester:eq(m.gradWeight, D{4, 6}, 1e-12, 'CMul gradWeight')
  local e = nn.CMul(1, 3)
  torch.noGrad(function() e.weight:copy(D{{1, 2, 3}}) end)
  tester:eq(e:forward(D{{1, 1, 1}, {2, 2, 2}}), D{{1, 2, 3}, {2, 4, 6}}, 0, 'CMul expanded along a singleton')
  checkgrad(nn.CMul(4), torch.randn(4), 'CMul')
  checkgrad(nn.CMul(4), torch.randn(3, 4), 'CMul batch')
  checkgrad(nn.CMul(1, 4), torch.randn(3, 4), 'CMul expand')
  checkgrad(nn.CMul(2, 3), torch.randn(5, 2, 3), 'CMul 2-D weight batch')
  tester:asserteq(m.weight:nElement(), 2, 'CMul weight')
  tester:assertErrorPattern(function() nn.CMul(3):forward(torch.randn(2, 4)) end, 'nn.CMul', 'size mismatch')
end

function T.Euclidean()
  local m = nn.Euclidean(2, 2)
  torch.noGrad(function() m.weight:copy(D{{0, 3}, {0, 4}}) end) -- centres (0, 0) and (3, 4)
  tester:eq(m:forward(D{3, 0}), D{3, 4}, 1e-12, 'Euclidean distances')
  tester:eq(m:forward(D{{3, 0}, {0, 4}}), D{{3, 4}, {4, 3}}, 1e-12, 'Euclidean batch')
  checkgrad(nn.Euclidean(3, 4), torch.randn(3), 'Euclidean')
  checkgrad(nn.Euclidean(3, 4), torch.randn(2, 3), 'Euclidean batch')
  tester:assertErrorPattern(function() m:forward(torch.randn(3)) end, 'nn.Euclidean', 'size mismatch')
end

---------------------------------------------------------------------------------------
-- more table / product / distance modules
---------------------------------------------------------------------------------------

function T.Contiguous()
  local x = torch.randn(3, 2):t()
  local y = nn.Contiguous():forward(x)
  tester:assert(y:isContiguous(), 'Contiguous output')
  tester:eq(y, x, 0, 'Contiguous values')
  checkgrad(nn.Contiguous(), x, 'Contiguous')
end

function T.MM_MV()
  local A, B = D{{1, 2}, {3, 4}}, D{{1, 0}, {1, 1}}
  tester:eq(nn.MM():forward({ A, B }), D{{3, 2}, {7, 4}}, 0, 'MM')
  tester:eq(nn.MM(true):forward({ A, B }), D{{4, 3}, {6, 4}}, 0, 'MM transA')
  tester:eq(nn.MM(false, true):forward({ A, B }), D{{1, 3}, {3, 7}}, 0, 'MM transB')
  tester:eq(nn.MV():forward({ A, D{1, 1} }), D{3, 7}, 0, 'MV')
  tester:eq(nn.MV(true):forward({ A, D{1, 1} }), D{4, 6}, 0, 'MV trans')
  checkgrad(nn.MM(), { torch.randn(2, 3), torch.randn(3, 4) }, 'MM')
  checkgrad(nn.MM(true, true), { torch.randn(2, 3, 2), torch.randn(2, 4, 3) }, 'MM batch transposed')
  checkgrad(nn.MV(), { torch.randn(2, 3), torch.randn(3) }, 'MV')
  checkgrad(nn.MV(true), { torch.randn(2, 3, 4), torch.randn(2, 3) }, 'MV batch')
  tester:assertErrorPattern(function() nn.MM():forward({ A, torch.randn(3, 2) }) end, 'nn.MM', 'size mismatch')
  tester:assertErrorPattern(function() nn.MV():forward({ A, torch.randn(3) }) end, 'nn.MV', 'size mismatch')
end

function T.distances()
  local a, b = D{1, 2, 2}, D{1, 0, 0}
  tester:eq(nn.DotProduct():forward({ a, b }), D{1}, 0, 'DotProduct')
  tester:eq(nn.DotProduct():forward({ D{{1, 2}, {3, 4}}, D{{1, 1}, {2, 0}} }), D{3, 6}, 0, 'DotProduct batch')
  tester:eq(nn.PairwiseDistance(2):forward({ a, b }), D{math.sqrt(8)}, 1e-12, 'PairwiseDistance(2)')
  tester:eq(nn.PairwiseDistance(1):forward({ D{{1, 2}, {3, 4}}, D{{0, 0}, {1, 1}} }), D{3, 5}, 1e-12,
    'PairwiseDistance(1) batch')
  tester:eq(nn.CosineDistance():forward({ a, b }), D{1 / 3}, 1e-10, 'CosineDistance')
  tester:eq(nn.CosineDistance():forward({ D{{1, 0}, {1, 1}}, D{{0, 1}, {2, 2}} }), D{0, 1}, 1e-10, 'CosineDistance batch')
  local t2 = { torch.randn(3, 4), torch.randn(3, 4) }
  checkgrad(nn.DotProduct(), t2, 'DotProduct')
  checkgrad(nn.PairwiseDistance(2), t2, 'PairwiseDistance')
  checkgrad(nn.PairwiseDistance(3), { torch.randn(4), torch.randn(4) }, 'PairwiseDistance(3)')
  checkgrad(nn.CosineDistance(), t2, 'CosineDistance')
  tester:assertErrorPattern(function() nn.DotProduct():forward({ a, D{1, 2} }) end, 'nn.DotProduct', 'size mismatch')
end

function T.Cosine_Normalize()
  local m = nn.Cosine(2, 2)
  torch.noGrad(function() m.weight:copy(D{{1, 0}, {1, 1}}) end)
  tester:eq(m:forward(D{2, 0}), D{1, 1 / math.sqrt(2)}, 1e-10, 'Cosine')
  tester:eq(m:forward(D{{2, 0}, {0, 3}}), D{{1, 1 / math.sqrt(2)}, {0, 1 / math.sqrt(2)}}, 1e-10, 'Cosine batch')
  checkgrad(nn.Cosine(3, 4), torch.randn(3), 'Cosine')
  checkgrad(nn.Cosine(3, 4), torch.randn(2, 3), 'Cosine batch')
  tester:eq(nn.Normalize(2):forward(D{3, 4}), D{0.6, 0.8}, 1e-10, 'Normalize(2)')
  tester:eq(nn.Normalize(1):forward(D{{1, 3}, {-2, 2}}), D{{0.25, 0.75}, {-0.5, 0.5}}, 1e-10, 'Normalize(1) batch')
  tester:eq(nn.Normalize(math.huge):forward(D{-4, 2}), D{-1, 0.5}, 1e-10, 'Normalize(inf)')
  checkgrad(nn.Normalize(2), torch.randn(3, 4), 'Normalize(2)')
  checkgrad(nn.Normalize(3), torch.randn(4), 'Normalize(3)')
  checkgrad(nn.Normalize(1.5), torch.randn(2, 3), 'Normalize(1.5)')
  tester:asserteq(tostring(nn.Normalize(2)), 'nn.Normalize(2)', 'Normalize tostring')
  tester:assertErrorPattern(function() nn.Normalize(2):forward(torch.randn(2, 2, 2)) end, 'nn.Normalize', '3-D input')
end

function T.MapTable()
  local lin = nn.Linear(3, 2)
  local m = nn.MapTable(lin)
  local t = { torch.randn(3), torch.randn(3), torch.randn(3) }
  local y = m:forward(t)
  tester:asserteq(#y, 3, 'MapTable output count')
  tester:eq(y[2], lin:forward(t[2]), 1e-12, 'MapTable applies the module')
  tester:asserteq(#m:parameters(), 2, 'one shared set of parameters')
  m:zeroGradParameters()
  m:forward(t)
  m:backward(t, { D{1, 0}, D{0, 1}, D{1, 1} })
  tester:eq(lin.gradBias, D{2, 2}, 1e-12, 'shared gradients are summed')
  checkgrad(nn.MapTable(nn.Linear(3, 2)), t, 'MapTable shared')
  checkgrad(nn.MapTable(nn.Linear(3, 2), false), t, 'MapTable with clones')
  tester:asserteq(tostring(nn.MapTable(nn.Identity())), 'nn.MapTable {\n  nn.Identity\n}', 'MapTable tostring')
end

function T.Index_GradientReversal_Bottle()
  local x = D{{1, 2}, {3, 4}, {5, 6}}
  local idx = torch.LongTensor{3, 1}
  tester:eq(nn.Index(1):forward({ x, idx }), D{{5, 6}, {1, 2}}, 0, 'Index')
  local gi = bw(nn.Index(1), { x, idx }, D{{1, 1}, {2, 2}})
  tester:eq(gi[1], D{{2, 2}, {0, 0}, {1, 1}}, 0, 'Index gradInput')
  local gr = nn.GradientReversal(0.5)
  tester:eq(gr:forward(x), x, 0, 'GradientReversal forward is the identity')
  tester:eq(gr:backward(x, torch.ones(3, 2)), torch.ones(3, 2) * -0.5, 1e-12, 'GradientReversal backward')
  local b = nn.Bottle(nn.Linear(3, 2))
  local xb = torch.randn(4, 5, 3)
  local yb = b:forward(xb)
  tester:eq(sizes(yb), {4, 5, 2}, 'Bottle folds the leading dimensions')
  tester:eq(yb[3], b.modules[1]:forward(xb[3]), 1e-12, 'Bottle values')
  checkgrad(nn.Bottle(nn.Linear(3, 2)), torch.randn(2, 3, 3), 'Bottle')
  checkgrad(nn.Bottle(nn.Sum(1, 1), 2, 1), torch.randn(2, 3, 4), 'Bottle with fewer output dimensions')
end

function T.CAdd_Bilinear()
  local m = nn.CAdd(2)
  torch.noGrad(function() m.bias:copy(D{1, 2}) end)
  tester:eq(m:forward(D{{1, 1}, {2, 2}}), D{{2, 3}, {3, 4}}, 0, 'CAdd batch')
  checkgrad(nn.CAdd(3), torch.randn(3), 'CAdd')
  checkgrad(nn.CAdd(1, 3), torch.randn(4, 3), 'CAdd expand')
  checkgrad(nn.CAdd(2, 3), torch.randn(4, 2, 3), 'CAdd batch')
  local b = nn.Bilinear(2, 3, 2)
  torch.noGrad(function()
    b.weight:zero(); b.weight[1][1][1] = 1; b.weight[2][2][3] = 2
    b.bias:copy(D{0.5, -1})
  end)
  tester:eq(b:forward({ D{{1, 2}}, D{{3, 4, 5}} }), D{{3 + 0.5, 2 * 2 * 5 - 1}}, 1e-12, 'Bilinear by hand')
  checkgrad(nn.Bilinear(2, 3, 4), { torch.randn(5, 2), torch.randn(5, 3) }, 'Bilinear')
  checkgrad(nn.Bilinear(2, 2, 1, false), { torch.randn(3, 2), torch.randn(3, 2) }, 'Bilinear without bias')
  tester:asserteq(tostring(nn.Bilinear(2, 3, 4)), 'nn.Bilinear(2x3 -> 4) ', 'Bilinear tostring')
  tester:assertErrorPattern(function() b:forward({ D{1, 2}, D{3, 4, 5} }) end, 'nn.Bilinear', 'non-batch input')
end

function T.MaskedSelect_ZeroGrad_OneHot()
  local x = D{{1, 2}, {3, 4}}
  local mask = torch.ByteTensor{{1, 0}, {0, 1}}
  tester:eq(nn.MaskedSelect():forward({ x, mask }), D{1, 4}, 0, 'MaskedSelect')
  local g = bw(nn.MaskedSelect(), { x, mask }, D{5, 6})
  tester:eq(g[1], D{{5, 0}, {0, 6}}, 0, 'MaskedSelect gradInput')
  local z = nn.ZeroGrad()
  tester:eq(z:forward(x), x, 0, 'ZeroGrad forward')
  tester:eq(z:backward(x, torch.ones(2, 2)), torch.zeros(2, 2), 0, 'ZeroGrad backward')
  local o = nn.OneHot(3)
  tester:eq(o:forward(torch.LongTensor{2, 3, 1}), D{{0, 1, 0}, {0, 0, 1}, {1, 0, 0}}, 0, 'OneHot')
  tester:eq(sizes(o:forward(torch.LongTensor{{1, 2}})), {1, 2, 3}, 'OneHot keeps the input shape')
  tester:assertErrorPattern(function() o:forward(torch.LongTensor{4}) end, 'nn.OneHot', 'index out of range')
end

-- a network of these modules converted with :float() computes as in double
function T.float_conversion()
  local net = nn.Sequential()
    :add(nn.Reshape(3, 4))
    :add(nn.ConcatTable()
      :add(nn.Sequential():add(nn.Max(2, 2)):add(nn.CMul(3)))
      :add(nn.Sequential():add(nn.Transpose({ 1, 2 }):setNumInputDims(2)):add(nn.Mean(2, 2)):add(nn.Add(4)):add(nn.Narrow(2, 1, 3)))
      :add(nn.Sequential():add(nn.Sum(2, 2)):add(nn.Mul())))
    :add(nn.CAddTable())
    :add(nn.Replicate(2, 1, 1))
    :add(nn.View(6):setNumInputDims(2))
    :add(nn.Euclidean(6, 2))
  local x = torch.randn(5, 12)
  local yd = net:forward(x):clone()
  checkgrad(net, x, 'double network')
  net:forward(x)
  local gd = net:backward(x, torch.ones(5, 2)):clone()
  net:float()
  tester:asserteq(torch.type(net:get(2):get(1):get(2).weight), 'torch.FloatTensor', 'CMul weight converted')
  local yf = net:forward(x:float())
  tester:asserteq(torch.type(yf), 'torch.FloatTensor', 'float output')
  tester:eq(yf:double(), yd, 1e-4, 'float forward = double forward')
  net:zeroGradParameters()
  local gf = net:backward(x:float(), torch.ones(5, 2):float())
  tester:asserteq(torch.type(gf), 'torch.FloatTensor', 'float gradInput')
  tester:eq(gf:double(), gd, 1e-3, 'float backward = double backward')
end

---------------------------------------------------------------------------------------
-- the nn core (Module, Container, Sequential, Linear)
---------------------------------------------------------------------------------------

local function mlp()
  return nn.Sequential():add(nn.Linear(3, 4)):add(nn.Square()):add(nn.Linear(4, 2))
end

function T.core_parameters()
  local net = mlp()
  local p, g = net:parameters()
  tester:asserteq(#p, 4, 'four parameter tensors')
  tester:asserteq(#g, 4, 'four gradient tensors')
  tester:eq(sizes(p[1]), {4, 3}, 'first weight')
  tester:eq(sizes(p[4]), {2}, 'last bias')
  tester:assert(p[1] == net.modules[1].weight, 'parameters() returns the weight tensors themselves')
  checkgrad(net, torch.randn(5, 3), 'MLP')
  checkgrad(nn.Linear(3, 2), torch.randn(3), 'Linear sample')
  checkgrad(nn.Linear(3, 2, false), torch.randn(4, 3), 'Linear without bias')
end

function T.core_getParameters()
  local net = mlp()
  local x = torch.randn(5, 3)
  local before = net:forward(x):clone()
  local flat, gflat = net:getParameters()
  tester:asserteq(flat:nElement(), 4 * 3 + 4 + 4 * 2 + 2, 'flat parameter count')
  tester:asserteq(gflat:nElement(), flat:nElement(), 'flat gradient count')
  tester:eq(net:forward(x), before, 1e-12, 'getParameters keeps the values')
  tester:eq(flat:narrow(1, 1, 12), net.modules[1].weight:contiguous():view(12), 0, 'the flat tensor starts with weight 1')
  -- changing the flat parameters changes the modules
  flat:fill(0.5)
  tester:eq(net.modules[1].weight, torch.Tensor(4, 3):fill(0.5), 0, 'flat fill reaches weight 1')
  tester:eq(net.modules[3].bias, torch.Tensor(2):fill(0.5), 0, 'flat fill reaches bias 3')
  local h = torch.Tensor(5, 4):fill(0.5 * 1.5 * 0):add(x:sum(2):expand(5, 4) * 0.5 + 0.5)
  tester:eq(net:forward(x), (torch.cmul(h, h) * torch.Tensor(4, 2):fill(0.5)) + 0.5, 1e-10, 'forward with the new weights')
  -- backward fills the flat gradients
  gflat:zero()
  net:backward(x, torch.ones(5, 2))
  tester:assert(torch.abs(gflat):sum() > 0, 'backward fills the flat gradient')
  tester:eq(gflat:narrow(1, 1, 12), net.modules[1].gradWeight:contiguous():view(12), 0, 'flat gradient = gradWeight 1')
  tester:eq(gflat:narrow(1, 25, 2), net.modules[3].gradBias, 0, 'flat gradient ends with gradBias 3')
  tester:eq(gflat:narrow(1, 25, 2), D{5, 5}, 1e-12, 'gradBias by hand (sum over the batch)')
  -- an optimizer-style step on the flat tensor moves the weights
  local w1 = net.modules[1].weight:clone()
  flat:add(-0.1, gflat)
  tester:eq(net.modules[1].weight, w1 - net.modules[1].gradWeight * 0.1, 1e-12, 'flat step reaches the weights')
  -- and the graph still works after the step
  checkgrad(net, x, 'after getParameters')
end

-- Torch7 keeps parameters that share a storage (share, clone('weight', 'bias')) shared
-- through getParameters (one slice of the flat tensor), type() and clone()
function T.core_sharing_kept()
  local function siamese()
    local net = nn.Sequential():add(nn.Linear(3, 3)):add(nn.Linear(3, 3))
    net.modules[2]:share(net.modules[1], 'weight', 'bias')
    return net
  end
  local function still_shared(net)
    torch.noGrad(function() net.modules[1].weight:fill(0.25) end)
    local ok = net.modules[2].weight[1][1] == 0.25
    torch.noGrad(function() net.modules[1].weight:fill(-0.5) end)
    return ok and net.modules[2].weight[2][3] == -0.5
  end
  local net = siamese()
  tester:assert(still_shared(net), 'share')
  local broken = {}
  local p = net:getParameters()
  if p:nElement() ~= 12 or not still_shared(net) then
    broken[#broken + 1] = 'getParameters (flat size ' .. p:nElement() .. ', expected 12)'
  end
  if not still_shared(siamese():float()) then broken[#broken + 1] = 'type()' end
  if not still_shared(siamese():clone()) then broken[#broken + 1] = 'clone()' end
  if #broken > 0 then
    tester:skip('nn/Module.lua loses the sharing of parameters that share a storage (it keys on torch.pointer ' ..
      'of the tensor, not on the storage) in: ' .. table.concat(broken, ', '))
  end
end

function T.core_add_non_module()
  local ok, err = pcall(function() nn.Sequential():add(5) end)
  tester:assert(not ok, 'adding a number is an error')
  if not tostring(err):find('nn.Sequential', 1, true) then
    tester:skip('nn/Container.lua add: the error for a non-module does not name the container: ' .. tostring(err))
  end
  tester:assertErrorPattern(function() nn.ConcatTable():add('x') end, 'nn.ConcatTable', 'ConcatTable:add')
end

function T.core_zero_update()
  local net = mlp()
  local x = torch.randn(2, 3)
  net:forward(x)
  net:backward(x, torch.ones(2, 2))
  local g1 = net.modules[1].gradWeight:clone()
  tester:assert(torch.abs(g1):sum() > 0, 'backward filled gradWeight')
  net:forward(x)
  net:backward(x, torch.ones(2, 2))
  tester:eq(net.modules[1].gradWeight, g1 * 2, 1e-12, 'backward accumulates (Torch7)')
  net:backward(x, torch.ones(2, 2), 0.5)
  tester:eq(net.modules[1].gradWeight, g1 * 2.5, 1e-12, 'backward with a scale')
  local w = net.modules[1].weight:clone()
  local gw = net.modules[1].gradWeight:clone()
  net:updateParameters(0.1)
  tester:eq(net.modules[1].weight, w - gw * 0.1, 1e-12, 'updateParameters')
  net:zeroGradParameters()
  for _, g in ipairs(select(2, net:parameters())) do tester:eq(torch.abs(g):sum(), 0, 'zeroGradParameters') end
  -- updateGradInput and accGradParameters separately
  net:forward(x)
  local gi = net:updateGradInput(x, torch.ones(2, 2))
  tester:eq(torch.abs(net.modules[1].gradWeight):sum(), 0, 'updateGradInput leaves gradWeight alone')
  net:accGradParameters(x, torch.ones(2, 2))
  local ga = net.modules[1].gradWeight:clone()
  tester:assert(torch.abs(ga):sum() > 0, 'accGradParameters fills gradWeight')
  net:zeroGradParameters()
  net:forward(x)
  tester:eq(gi, net:backward(x, torch.ones(2, 2)), 1e-12, 'updateGradInput = backward gradInput')
  tester:eq(net.modules[1].gradWeight, ga, 1e-12, 'accGradParameters = backward gradWeight')
end

function T.core_training_evaluate()
  local inner = nn.Sequential():add(nn.Identity())
  local net = nn.Sequential():add(nn.ConcatTable():add(inner):add(nn.Identity())):add(nn.CAddTable())
  net:evaluate()
  for _, m in ipairs(net:listModules()) do tester:asserteq(m.train, false, 'evaluate reaches ' .. torch.type(m)) end
  net:training()
  for _, m in ipairs(net:listModules()) do tester:asserteq(m.train, true, 'training reaches ' .. torch.type(m)) end
end

function T.core_type()
  local net = nn.Sequential():add(nn.Linear(3, 2):float()):add(nn.CMul(2):float())
  net:float()
  tester:asserteq(torch.type(net.modules[1].weight), 'torch.FloatTensor', 'float()')
  net:double()
  local l = net.modules[1]
  tester:asserteq(torch.type(l.weight), 'torch.DoubleTensor', 'double() weight')
  tester:asserteq(torch.type(l.gradWeight), 'torch.DoubleTensor', 'double() gradWeight')
  local x = torch.randn(4, 3)
  local y = net:forward(x)
  tester:asserteq(torch.type(y), 'torch.DoubleTensor', 'double forward')
  net:zeroGradParameters()
  net:backward(x, torch.ones(4, 2))
  tester:assert(torch.abs(l.gradWeight):sum() > 0, 'double backward fills gradWeight')
  tester:eq(l.weight.grad, l.gradWeight, 0, 'weight.grad is gradWeight after type()')
  checkgrad(net, x, 'after :double()')
  local f = net:clone():float()
  local yf = f:forward(x:float())
  tester:asserteq(torch.type(yf), 'torch.FloatTensor', 'float forward')
  tester:eq(yf:double(), y, 1e-5, 'float and double agree')
  tester:asserteq(net:type(), 'torch.DoubleTensor', 'type() without argument')
end

function T.core_clone_share()
  local net = mlp()
  local x = torch.randn(2, 3)
  local c = net:clone()
  tester:eq(c:forward(x), net:forward(x), 0, 'a clone computes the same')
  torch.noGrad(function() c.modules[1].weight:fill(0) end)
  tester:assert(torch.abs(net.modules[1].weight):sum() > 0, 'the clone is independent')
  c:zeroGradParameters(); net:zeroGradParameters()
  c:forward(x); c:backward(x, torch.ones(2, 2))
  tester:eq(torch.abs(net.modules[3].gradWeight):sum(), 0, 'the clone has its own gradients')
  -- clone('weight', 'bias'): parameters shared, gradients not
  local l = nn.Linear(3, 2)
  local s = l:clone('weight', 'bias')
  torch.noGrad(function() s.weight:fill(2) end)
  tester:eq(l.weight, torch.Tensor(2, 3):fill(2), 0, 'clone(weight, bias) shares the weight')
  l:zeroGradParameters(); s:zeroGradParameters()
  s:forward(D{1, 2, 3}); s:backward(D{1, 2, 3}, D{1, 1})
  tester:eq(torch.abs(l.gradWeight):sum(), 0, 'gradWeight not shared')
  tester:eq(s.gradWeight, D{{1, 2, 3}, {1, 2, 3}}, 1e-12, 'the clone\'s gradWeight')
  checkgrad(s, torch.randn(3), 'a sharing clone')
  -- share
  local a, b = nn.Linear(2, 2), nn.Linear(2, 2)
  b:share(a, 'weight', 'bias', 'gradWeight', 'gradBias')
  torch.noGrad(function() a.bias:fill(7) end)
  tester:eq(b.bias, D{7, 7}, 0, 'share')
  a:zeroGradParameters()
  b:forward(D{1, 1}); b:backward(D{1, 1}, D{1, 2})
  tester:eq(a.gradBias, D{1, 2}, 1e-12, 'shared gradBias')
end

function T.core_apply_find()
  local net = nn.Sequential():add(nn.Linear(2, 3)):add(nn.ConcatTable():add(nn.Linear(3, 1)):add(nn.Identity()))
  local names = {}
  net:apply(function(m) names[#names + 1] = torch.type(m) end)
  tester:eq(names, { 'nn.Sequential', 'nn.Linear', 'nn.ConcatTable', 'nn.Linear', 'nn.Identity' }, 'apply order')
  tester:asserteq(#net:listModules(), 5, 'listModules')
  local lin, conts = net:findModules('nn.Linear')
  tester:asserteq(#lin, 2, 'findModules')
  tester:assert(conts[2] == net.modules[2], 'findModules containers')
  -- containers: insert, remove, get, size
  local s = nn.Sequential():add(nn.Identity()):add(nn.Square())
  s:insert(nn.MulConstant(2), 2)
  tester:asserteq(s:size(), 3, 'insert')
  tester:asserteq(torch.type(s:get(2)), 'nn.MulConstant', 'get after insert')
  tester:eq(s:forward(D{1, 2}), D{4, 16}, 0, 'the inserted module runs')
  local r = s:remove(1)
  tester:asserteq(torch.type(r), 'nn.Identity', 'remove returns the module')
  tester:asserteq(s:size(), 2, 'remove')
  s:remove()
  tester:asserteq(torch.type(s:get(s:size())), 'nn.MulConstant', 'remove() takes the last')
  tester:assertErrorPattern(function() s:remove(5) end, 'nn.Sequential', 'remove out of range')
end

function T.core_call_form()
  local net = mlp()
  local x = torch.randn(4, 3)
  -- Torch7 style
  net:zeroGradParameters()
  net:forward(x)
  local gi = net:backward(x, torch.ones(4, 2))
  local gw1 = net.modules[1].gradWeight:clone()
  local gb3 = net.modules[3].gradBias:clone()
  -- autograd style
  net:zeroGradParameters()
  local loss = net(x):sum()
  loss:backward()
  tester:eq(net.modules[1].gradWeight, gw1, 1e-12, 'loss:backward() fills gradWeight as Module:backward does')
  tester:eq(net.modules[3].gradBias, gb3, 1e-12, 'and gradBias')
  tester:eq(net.modules[1].weight.grad, gw1, 1e-12, 'weight.grad')
  -- the input's gradient through the call form
  local xl = x:clone():setRequiresGrad()
  local l2 = net(xl):sum()
  l2:backward()
  tester:eq(xl.grad, gi, 1e-12, 'input gradient of the call form = gradInput')
  -- a custom module with only updateOutput, inside a container
  local Cube, parent = torch.class('nn.TestC5Cube', 'nn.Module')
  function Cube:updateOutput(input)
    self.output = torch.cmul(torch.cmul(input, input), input)
    return self.output
  end
  local c = nn.Sequential():add(nn.Linear(3, 2)):add(nn.TestC5Cube())
  checkgrad(c, torch.randn(3), 'custom module with only updateOutput')
  local cx = D{1, 2, 3}
  tester:eq(bw(nn.TestC5Cube(), cx, torch.ones(3)), D{3, 12, 27}, 1e-12, 'custom module backward')
end

function T.core_backward_errors()
  local l = nn.Linear(3, 2)
  -- backward before forward computes forward at the input given (Torch7 allows it)
  tester:eq(l:backward(torch.randn(3), torch.ones(2)):nElement(), 3, 'backward before forward')
  tester:assertErrorPattern(function() nn.Linear(3, 2):backward(nil, torch.randn(2)) end, "bad argument #1 'input'",
    'backward before forward without an input')
  l = nn.Linear(3, 2)
  l:forward(torch.randn(3))
  tester:assertErrorPattern(function() l:backward(torch.randn(3), torch.randn(5)) end, 'nn.Linear', 'bad gradOutput')
  tester:assertErrorPattern(function() l:forward(torch.randn(4)) end, 'nn.Linear', 'bad input size')
end

function T.clearState()
  local net = mlp()
  net:forward(torch.randn(2, 3))
  net:clearState()
  tester:asserteq(net.modules[1].output:nElement(), 0, 'clearState empties output')
  checkgrad(net, torch.randn(2, 3), 'after clearState')
end

-- getParameters and share between forward and backward (they set the parameters onto
-- new storages) keep backward working; gradInputs are contiguous (nn.Sum's engine
-- gradient is an expanded view) and can be scaled in place
function T.parameters_moved_between_forward_and_backward()
  torch.manualSeed(4)
  local x = torch.randn(5, 3)
  local m = nn.Linear(3, 2)
  local ref = m:clone()
  m:forward(x)
  local p, g = m:getParameters()
  m:backward(x, torch.ones(5, 2))
  ref:forward(x)
  ref:backward(x, torch.ones(5, 2))
  tester:eq(m.gradWeight, ref.gradWeight, 1e-6, 'gradWeight after getParameters')
  tester:eq(g:narrow(1, 1, 6):view(2, 3), ref.gradWeight, 1e-6, 'the flat gradient holds it')
  local m1, m2 = nn.Linear(3, 2), nn.Linear(3, 2)
  m1:forward(x)
  m1:share(m2, 'weight', 'bias')
  m1:backward(x, torch.ones(5, 2))
  tester:assert(m1.gradWeight:abs():sum() > 0, 'backward after share')
  local s = nn.Sum(2)
  local sx = torch.randn(3, 4)
  s:forward(sx)
  local gi = s:backward(sx, torch.Tensor{1, 2, 3})
  tester:assert(gi:isContiguous(), 'nn.Sum gradInput contiguous')
  gi:mul(0.5)
  tester:eq(gi, torch.Tensor{{0.5, 0.5, 0.5, 0.5}, {1, 1, 1, 1}, {1.5, 1.5, 1.5, 1.5}}, 0, 'scaled in place')
end

tester:add(T)
return tester
