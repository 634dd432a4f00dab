-- the nn core (Module, Container, Sequential, Linear) and the gradient checks: the
-- Jacobian check of tests/lua/nn_modules_common.lua against a wrong gradient, Torch7's
-- nn.Jacobian, and the Module API (getParameters, parameters, zeroGradParameters,
-- updateParameters, training/evaluate, type, clone, share, apply, listModules,
-- findModules, the call form with loss:backward(), clearState). Tests that find a known
-- bug of the nn core skip with the reason (see the SKIP lines). The other nn module
-- tests: test_nn_modules_containers.lua, test_nn_modules_shape.lua, test_nn_modules_param.lua.
require 'nn'
local tester = torch.Tester()
local T = torch.TestSuite()

torch.setdefaulttensortype('torch.DoubleTensor')
torch.manualSeed(11)

-- the Jacobian check and short helpers (tests/lua/nn_modules_common.lua)
local H = assert(loadfile((debug.getinfo(1, 'S').source:match('^@(.*)/[^/]*$') or 'tests/lua')
  .. '/nn_modules_common.lua'))(tester)
local D, jacobian, checkgrad, sizes, bw = H.D, H.jacobian, H.checkgrad, H.sizes, H.bw

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
