-- nn modules with parameters, products and distances, and the remaining table modules:
-- Mul, Add, CMul, CAdd, Euclidean, Cosine, Bilinear, Contiguous, MM, MV, DotProduct,
-- PairwiseDistance, CosineDistance, Normalize, MapTable, Index, GradientReversal, Bottle,
-- MaskedSelect, ZeroGrad, OneHot, and a network of them converted with :float(). Forward
-- values by hand, gradInput and parameter gradients against central differences in
-- float64 (tests/lua/nn_modules_common.lua). The other nn module tests:
-- test_nn_modules_containers.lua, test_nn_modules_shape.lua, test_nn_modules_core.lua.
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

tester:add(T)
return tester
