-- bench/dist_step.lua: the data-parallel step of `make bench-dist`: the time of one
-- training step (forward, backward, the gradients averaged, optim.sgd) of a small network
-- on synthetic data, batch B per process, one thread per process (so 2 ranks on 2 cores
-- do not oversubscribe them). Not a test.
--   th bench/dist_step.lua NET B                      one process
--   mpirun -np 2 th bench/dist_step.lua NET B [MODE]  data-parallel, B per rank
-- NET: cnn (the Fashion-MNIST example's conv net, 1x28x28 inputs) or mlp (784-512-256-10).
-- MODE: reduce (default: distributed.allReduceGradients(net) after backward) or noreduce
-- (the same step without it: what 2 processes sharing the machine cost by themselves).
-- Steps are timed in blocks between barriers (a rank's step is over when the slowest
-- rank's is); rank 0 prints the median and the minimum time per step over the blocks:
--   ROW <tab> step <tab> NET <tab> processes <tab> MODE <tab> median s <tab> min s
local torch = require 'torch'
local nn = require 'nn'
local optim = require 'optim'
torch.setnumthreads(1)

local netname, B, mode = arg[1] or 'cnn', tonumber(arg[2] or 64), arg[3] or 'reduce'
assert(netname == 'cnn' or netname == 'mlp', 'NET: cnn or mlp expected')
assert(mode == 'reduce' or mode == 'noreduce', 'MODE: reduce or noreduce expected')
local dist, rank, size = nil, 0, 1
if os.getenv('OMPI_COMM_WORLD_SIZE') or os.getenv('PMI_RANK') then
  dist = require 'distributed'
  rank, size = dist.init { backend = 'mpi' }
end
torch.manualSeed(1 + rank)

local net = nn.Sequential()
local x
if netname == 'cnn' then
  net:add(nn.SpatialConvolution(1, 32, 5, 5, 1, 1, 2, 2)):add(nn.ReLU()):add(nn.SpatialMaxPooling(2, 2, 2, 2))
  net:add(nn.SpatialConvolution(32, 64, 5, 5, 1, 1, 2, 2)):add(nn.ReLU()):add(nn.SpatialMaxPooling(2, 2, 2, 2))
  net:add(nn.View(64 * 7 * 7))
  net:add(nn.Linear(64 * 7 * 7, 256)):add(nn.ReLU()):add(nn.Dropout(0.3))
  net:add(nn.Linear(256, 10)):add(nn.LogSoftMax())
  x = torch.FloatTensor(B, 1, 28, 28):uniform()
else
  net:add(nn.Linear(784, 512)):add(nn.ReLU()):add(nn.Linear(512, 256)):add(nn.ReLU())
  net:add(nn.Linear(256, 10)):add(nn.LogSoftMax())
  x = torch.FloatTensor(B, 784):uniform()
end
local y = torch.LongTensor(B):random(1, 10)
local criterion = nn.ClassNLLCriterion()
local params, grads = net:getParameters()
if dist then dist.broadcastParameters(net) end
local config = { learningRate = 0.01, momentum = 0.9 }
local reduce = dist and mode == 'reduce'

local function step()
  optim.sgd(function()
    grads:zero()
    local out = net:forward(x)
    local loss = criterion:forward(out, y)
    net:backward(x, criterion:backward(out, y))
    if reduce then dist.allReduceGradients(net) end
    return loss, grads
  end, params, config)
end

-- blocks of about 0.3 s (the first steps tell how many steps that is), 7 of them
for _ = 1, 3 do step() end
local timer = torch.Timer()
local t0 = timer:time().real
for _ = 1, 3 do step() end
local per = (timer:time().real - t0) / 3
if dist then per = dist.allReduce(torch.DoubleTensor { per }, 'max')[1] end
local k = math.max(1, math.floor(0.3 / per))
local blocks = 7
local times = torch.DoubleTensor(blocks)
for b = 1, blocks do
  if dist then dist.barrier() end
  t0 = timer:time().real
  for _ = 1, k do step() end
  times[b] = (timer:time().real - t0) / k
end
if dist then dist.allReduce(times, 'max') end
local sorted = times:sort()
if rank == 0 then
  io.write(('ROW\tstep\t%s\t%d\t%s\t%.9g\t%.9g\n'):format(netname, size, dist and mode or 'single',
    sorted[blocks // 2 + 1], sorted[1]))
  io.stdout:flush()
end
if dist then dist.finalize() end
