-- examples/xor.lua: the classic Torch7 script. A 2-H-1 network (nn.Sequential of
-- Linear-Tanh-Linear) learns XOR with nn.MSECriterion, twice: first with a manual loop
-- (forward, backward, updateParameters), then with optim.sgd on getParameters.
-- It prints the four predictions and the accuracy after each.
--   th examples/xor.lua [-hidden 4] [-epochs 500] [-lr 0.05] [-seed 1]
--   th examples/xor.lua -h        (the options)
require 'nn'
require 'optim'

local cmd = torch.CmdLine()
cmd:text('Learn XOR with a 2-H-1 Tanh network: a manual loop, then optim.sgd')
cmd:text()
cmd:text('Options')
cmd:option('-hidden', 4, 'hidden units')
cmd:option('-epochs', 500, 'passes over the four examples, for each of the two trainings')
cmd:option('-lr', 0.05, 'learning rate')
cmd:option('-seed', 1, 'random seed')
local opt = cmd:parse(arg or {})
torch.manualSeed(opt.seed)

-- the data: the four corners of the square, targets -1 / +1 (Tanh's range)
local inputs = torch.Tensor{{-1, -1}, {-1, 1}, {1, -1}, {1, 1}}
local targets = torch.Tensor{{-1}, {1}, {1}, {-1}}

local function newnet()
  local net = nn.Sequential()
  net:add(nn.Linear(2, opt.hidden))
  net:add(nn.Tanh())
  net:add(nn.Linear(opt.hidden, 1))
  return net
end

local function report(title, net)
  local out = net:forward(inputs)
  local correct = 0
  print(title)
  for i = 1, 4 do
    local x1, x2, y, t = inputs[i][1], inputs[i][2], out[i][1], targets[i][1]
    local ok = (y > 0) == (t > 0)
    if ok then correct = correct + 1 end
    print(string.format('  %2d xor %2d -> %7.3f  (target %2d)%s', x1, x2, y, t,
      ok and '' or '  wrong'))
  end
  print(string.format('  accuracy: %d%%', correct * 25))
end

local criterion = nn.MSECriterion()

-- 1. The manual loop, one example at a time (Torch7's tutorial)
local net = newnet()
print(net)
for epoch = 1, opt.epochs do
  local err = 0
  for i = 1, 4 do
    local x, t = inputs[i], targets[i]
    err = err + criterion:forward(net:forward(x), t)
    net:zeroGradParameters()
    net:backward(x, criterion:backward(net.output, t))
    net:updateParameters(opt.lr)
  end
  if epoch % math.max(1, opt.epochs // 5) == 0 then
    print(string.format('epoch %4d  mean squared error %.5f', epoch, err / 4))
  end
end
report('manual loop:', net)

-- 2. The same with optim.sgd: one flat parameter vector, a closure returning loss and gradient
torch.manualSeed(opt.seed)
net = newnet()
local params, gradParams = net:getParameters()
local config = { learningRate = opt.lr }
for epoch = 1, opt.epochs do
  local err = 0
  for i = 1, 4 do
    local x, t = inputs[i], targets[i]
    local function feval(p)
      if p ~= params then params:copy(p) end
      gradParams:zero()
      local loss = criterion:forward(net:forward(x), t)
      net:backward(x, criterion:backward(net.output, t))
      return loss, gradParams
    end
    local _, fs = optim.sgd(feval, params, config)
    err = err + fs[1]
  end
  if epoch % math.max(1, opt.epochs // 5) == 0 then
    print(string.format('epoch %4d  mean squared error %.5f', epoch, err / 4))
  end
end
report('optim.sgd:', net)
