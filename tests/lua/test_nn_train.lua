-- nn end to end: custom modules written with only updateOutput, the two training styles
-- (Torch7's forward/backward/updateParameters and optim; the autograd style with
-- loss:backward()), and that both fill the same gradient tensors.
require 'nn'
local tester = torch.Tester()
local T = torch.TestSuite()

-- a module written in Lua with only updateOutput: backward comes from autograd
local MyTanh = torch.class('nn.TestOnlyTanh', 'nn.Module')
function MyTanh:updateOutput(input)
  self.output = torch.tanh(input)
  return self.output
end
local MySquareLoss = torch.class('nn.TestOnlySquareLoss', 'nn.Criterion')
function MySquareLoss:updateOutput(input, target)
  return torch.pow(input - target, 2):mean()
end

local function xor_data()
  local x = torch.Tensor{{0, 0}, {0, 1}, {1, 0}, {1, 1}}
  local y = torch.Tensor{{-1}, {1}, {1}, {-1}}
  return x, y
end

local function accuracy(net, x, y)
  local out = net:forward(x)
  local right = 0
  for i = 1, x:size(1) do
    if (out[i][1] > 0) == (y[i][1] > 0) then right = right + 1 end
  end
  return right / x:size(1)
end

function T.custom_module_gradients_match_finite_differences()
  torch.manualSeed(3)
  local m = nn.TestOnlyTanh()
  local x = torch.randn(3, 4):double()
  local out = m:forward(x)
  tester:eq(out, torch.tanh(x), 1e-15, 'forward')
  local g = torch.randn(3, 4):double()
  local gi = m:backward(x, g)
  local expect = torch.cmul(g, 1 - torch.cmul(out:detach(), out:detach()))
  tester:eq(gi, expect, 1e-12, 'gradInput from autograd')
  -- the same through the module API on a two-layer network, against central differences
  local net = nn.Sequential():add(nn.Linear(4, 3)):add(nn.TestOnlyTanh()):add(nn.Linear(3, 2)):double()
  local input = torch.randn(5, 4):double()
  local gout = torch.randn(5, 2):double()
  net:zeroGradParameters()
  net:forward(input)
  local gin = net:backward(input, gout)
  local eps = 1e-6
  local function f(xx) return torch.noGrad(function() return torch.cmul(net:forward(xx), gout):sum() end) end
  for i = 1, 5 do
    for j = 1, 4 do
      local xp, xm = input:clone(), input:clone()
      xp[i][j] = xp[i][j] + eps
      xm[i][j] = xm[i][j] - eps
      local num = (f(xp) - f(xm)) / (2 * eps)
      tester:assertalmosteq(gin[i][j], num, 1e-6, 'gradInput element ' .. i .. ',' .. j)
    end
  end
  local W = net:get(1).weight
  local gW = net:get(1).gradWeight:clone()
  for i = 1, 3 do
    for j = 1, 4 do
      local old = W[i][j]
      W[i][j] = old + eps
      local fp = f(input)
      W[i][j] = old - eps
      local fm = f(input)
      W[i][j] = old
      tester:assertalmosteq(gW[i][j], (fp - fm) / (2 * eps), 1e-6, 'gradWeight element ' .. i .. ',' .. j)
    end
  end
end

function T.torch7_style_and_autograd_style_agree()
  torch.manualSeed(4)
  local net = nn.Sequential():add(nn.Linear(2, 5)):add(nn.TestOnlyTanh()):add(nn.Linear(5, 1)):double()
  local crit = nn.TestOnlySquareLoss()
  local x, y = xor_data()
  x, y = x:double(), y:double()
  -- Torch7 style
  net:zeroGradParameters()
  local out = net:forward(x)
  local loss = crit:forward(out, y)
  tester:assert(type(loss) == 'number', 'criterion:forward returns a number')
  net:backward(x, crit:backward(out, y))
  local _, grads = net:parameters()
  local torch7 = {}
  for i, g in ipairs(grads) do torch7[i] = g:clone() end
  -- autograd style: the same tensors
  net:zeroGradParameters()
  local l = crit(net(x), y)
  tester:assert(torch.isTensor(l) and l.requiresGrad, 'the call form returns a loss tensor on the graph')
  tester:assertalmosteq(l:item(), loss, 1e-12, 'the same loss')
  l:backward()
  for i, g in ipairs(grads) do tester:eq(g, torch7[i], 1e-12, 'gradient ' .. i) end
  tester:assert(net:get(1).weight.grad == nil or torch.pointer(net:get(1).weight.grad) == torch.pointer(net:get(1).gradWeight)
                or net:get(1).weight.grad:dist(net:get(1).gradWeight) == 0, 'weight.grad is gradWeight')
end

function T.xor_classic_style()
  torch.manualSeed(1)
  local net = nn.Sequential():add(nn.Linear(2, 8)):add(nn.TestOnlyTanh()):add(nn.Linear(8, 1))
  local crit = nn.TestOnlySquareLoss()
  local x, y = xor_data()
  for _ = 1, 2000 do
    net:zeroGradParameters()
    local out = net:forward(x)
    crit:forward(out, y)
    net:backward(x, crit:backward(out, y))
    net:updateParameters(0.1)
  end
  tester:eq(accuracy(net, x, y), 1, 'XOR learnt')
end

function T.xor_autograd_style()
  torch.manualSeed(2)
  local net = nn.Sequential():add(nn.Linear(2, 8)):add(nn.TestOnlyTanh()):add(nn.Linear(8, 1))
  local crit = nn.TestOnlySquareLoss()
  local x, y = xor_data()
  local params = net:parameters()
  for _ = 1, 2000 do
    net:zeroGradParameters()
    crit(net(x), y):backward()
    torch.noGrad(function()
      for _, p in ipairs(params) do p:add(-0.1, p.grad) end
    end)
  end
  tester:eq(accuracy(net, x, y), 1, 'XOR learnt')
end

-- the classic script with the library's own modules, criterion and optimizer
function T.xor_with_nn_modules_and_optim()
  require 'optim'
  torch.manualSeed(5)
  local net = nn.Sequential():add(nn.Linear(2, 8)):add(nn.Tanh()):add(nn.Linear(8, 1))
  local crit = nn.MSECriterion()
  local x, y = xor_data()
  local params, grads = net:getParameters()
  local config = { learningRate = 0.2, momentum = 0.9 }
  local first, last
  for i = 1, 500 do
    local _, fs = optim.sgd(function()
      grads:zero()
      local out = net:forward(x)
      local loss = crit:forward(out, y)
      net:backward(x, crit:backward(out, y))
      return loss, grads
    end, params, config)
    if i == 1 then first = fs[1] end
    last = fs[1]
  end
  tester:assert(last < first / 10, string.format('the loss fell: %g -> %g', first, last))
  tester:eq(accuracy(net, x, y), 1, 'XOR learnt with optim.sgd')
end

-- a small CNN with batch norm and dropout learns a toy task in both styles
function T.cnn_with_batchnorm_and_dropout_trains()
  require 'optim'
  torch.manualSeed(6)
  -- class 1: a bright left half, class 2: a bright right half
  local n = 32
  local x = torch.randn(n, 1, 8, 8) * 0.3
  local y = torch.LongTensor(n)
  for i = 1, n do
    y[i] = i % 2 + 1
    if y[i] == 1 then x[i]:narrow(3, 1, 4):add(1) else x[i]:narrow(3, 5, 4):add(1) end
  end
  local net = nn.Sequential()
  net:add(nn.SpatialConvolution(1, 4, 3, 3, 1, 1, 1, 1)):add(nn.SpatialBatchNormalization(4)):add(nn.ReLU())
  net:add(nn.SpatialMaxPooling(2, 2, 2, 2)):add(nn.View(4 * 4 * 4)):add(nn.Dropout(0.2))
  net:add(nn.Linear(64, 2)):add(nn.LogSoftMax())
  local crit = nn.ClassNLLCriterion()
  local opt = optim.Adam(net:parameters(), { lr = 0.01 })
  for _ = 1, 60 do
    opt:zeroGrad()
    crit(net(x), y):backward()
    opt:step()
  end
  net:evaluate()
  local _, pred = net:forward(x):max(2)
  tester:eq(pred:view(-1):long(), y, 0, 'all training samples right in evaluation mode')
  tester:assert(net:get(2).running_mean:abs():sum() > 0, 'batch norm kept running statistics')
end

function T.backward_after_forward_without_grad_recomputes()
  -- Torch7's backward is the gradient at the input given: without a recorded graph (forward
  -- under noGrad, or no forward at all) forward runs again at that input
  local net = nn.Sequential():add(nn.Linear(2, 2))
  local x = torch.randn(3, 2)
  torch.noGrad(function() net:forward(x) end)
  local w = net:get(1).weight
  tester:eq(net:backward(x, torch.ones(3, 2)), torch.ones(3, 2) * w, 1e-6, 'backward after a noGrad forward')
  local l = nn.Linear(2, 2)
  tester:eq(l:backward(x, torch.ones(3, 2)), torch.ones(3, 2) * l.weight, 1e-6, 'backward before forward')
  tester:assertErrorPattern(function() nn.Linear(3, 2):forward(torch.randn(4, 5)) end, 'nn.Linear',
                            'wrong input size names the module')
end

tester:add(T)
return tester
