-- bench/train.lua: training throughput of the issue-4 models (th bench/train.lua).
-- Each row: the median of several timed rounds after a warm-up; random data of the
-- right shapes (the speed does not depend on the values).
require 'nn'
require 'optim'
local threads = tonumber(os.getenv('THREADS') or '') or torch.getnumthreads()
torch.setnumthreads(threads)
torch.manualSeed(0)

local function median(t) table.sort(t) return t[(#t + 1) // 2] end
local function rate(name, unit, per_step, step, steps, rounds)
  step()   -- warm-up
  local times = {}
  for _ = 1, rounds or 5 do
    local timer = torch.Timer()
    for _ = 1, steps do step() end
    times[#times + 1] = timer:time().real / steps
  end
  local t = median(times)
  print(string.format('%-40s %10.0f %s   (%.2f ms/step)', name, per_step / t, unit, t * 1e3))
end

local function trainer(net, crit, x, y, lr)
  local params, grads = net:getParameters()
  local config = { learningRate = lr or 0.01, momentum = 0.9 }
  return function()
    optim.sgd(function()
      grads:zero()
      local out = net:forward(x)
      local loss = crit:forward(out, y)
      net:backward(x, crit:backward(out, y))
      return loss, grads
    end, params, config)
  end
end

print(string.format('threads: %d', threads))
do  -- MLP 784-512-256-10, batch 64
  local net = nn.Sequential():add(nn.Linear(784, 512)):add(nn.ReLU()):add(nn.Linear(512, 256)):add(nn.ReLU())
                             :add(nn.Linear(256, 10)):add(nn.LogSoftMax())
  local x, y = torch.randn(64, 784), torch.LongTensor(64):random(1, 10)
  rate('MLP 784-512-256-10, batch 64', 'samples/s', 64, trainer(net, nn.ClassNLLCriterion(), x, y), 50)
  -- the same network in the autograd style (PyTorch's loop: no gradient for the input)
  local net2 = net:clone()
  local crit = nn.ClassNLLCriterion()
  local opt = optim.SGD(net2:parameters(), { lr = 0.01, momentum = 0.9 })
  rate('MLP, autograd style (loss:backward())', 'samples/s', 64, function()
    opt:zeroGrad()
    crit(net2(x), y):backward()
    opt:step()
  end, 50)
end
if nn.SpatialConvolution and nn.SpatialMaxPooling then  -- LeNet-5, batch 64
  local net = nn.Sequential()
  net:add(nn.SpatialConvolution(1, 6, 5, 5, 1, 1, 2, 2)):add(nn.ReLU()):add(nn.SpatialMaxPooling(2, 2, 2, 2))
  net:add(nn.SpatialConvolution(6, 16, 5, 5)):add(nn.ReLU()):add(nn.SpatialMaxPooling(2, 2, 2, 2))
  net:add(nn.View(16 * 5 * 5)):add(nn.Linear(400, 120)):add(nn.ReLU()):add(nn.Linear(120, 84)):add(nn.ReLU())
  net:add(nn.Linear(84, 10)):add(nn.LogSoftMax())
  local x, y = torch.randn(64, 1, 28, 28), torch.LongTensor(64):random(1, 10)
  rate('LeNet-5, batch 64', 'samples/s', 64, trainer(net, nn.ClassNLLCriterion(), x, y), 20)
end
if nn.LSTM and nn.LookupTable then  -- char-LSTM: embedding 128, hidden 256, seq 64, batch 32
  local vocab, seq, batch = 96, 64, 32
  local emb, lstm, proj = nn.LookupTable(vocab, 128), nn.LSTM(128, 256), nn.Linear(256, vocab)
  local crit = nn.CrossEntropyCriterion()
  local params = {}
  for _, m in ipairs { emb, lstm, proj } do
    local p = m:parameters()
    for _, t in ipairs(p) do params[#params + 1] = t end
  end
  local x, y = torch.LongTensor(seq, batch):random(1, vocab), torch.LongTensor(seq * batch):random(1, vocab)
  rate('char-LSTM 128/256, seq 64, batch 32', 'tokens/s', seq * batch, function()
    for _, p in ipairs(params) do if p.grad then p.grad:zero() end end
    local h = lstm(emb(x))                                  -- seq x batch x 256
    local loss = crit(proj(h:view(seq * batch, 256)), y)
    loss:backward()
    torch.noGrad(function() for _, p in ipairs(params) do p:add(-0.01, p.grad) end end)
  end, 3)
end
