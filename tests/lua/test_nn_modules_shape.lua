-- the nn shape, reduction, pointwise and table-selection modules: Identity, View, Reshape,
-- Select, Narrow, JoinTable, SplitTable, C{Add,Sub,Mul,Div,Max,Min}Table, Sum, Mean, Max,
-- Min, Transpose, Replicate, Squeeze, Unsqueeze, MulConstant, AddConstant, Square, Sqrt,
-- Power, Abs, Exp, Log, Copy, FlattenTable, SelectTable, NarrowTable. Forward values by
-- hand, gradInput against central differences in float64 (tests/lua/nn_modules_common.lua),
-- batch and single-sample inputs, tables. The other nn module tests:
-- test_nn_modules_containers.lua, test_nn_modules_param.lua, test_nn_modules_core.lua.
require 'nn'
local tester = torch.Tester()
local T = torch.TestSuite()

torch.setdefaulttensortype('torch.DoubleTensor')
torch.manualSeed(11)

-- the Jacobian check and short helpers (tests/lua/nn_modules_common.lua)
local H = assert(loadfile((debug.getinfo(1, 'S').source:match('^@(.*)/[^/]*$') or 'tests/lua')
  .. '/nn_modules_common.lua'))(tester)
local D, checkgrad, sizes, bw = H.D, H.checkgrad, H.sizes, H.bw

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

tester:add(T)
return tester
