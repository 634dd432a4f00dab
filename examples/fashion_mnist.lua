-- examples/fashion_mnist.lua: the main job. A two-convolution network on Fashion-MNIST,
-- Torch7 style: nn, optim, a progress bar per epoch, test accuracy per epoch, and the
-- loss curve plotted (in the terminal, and as a PNG).
--   th examples/fashion_mnist.lua -h
--   mpirun -np 2 th examples/fashion_mnist.lua -distributed     (data-parallel, see distributed(3))
require 'nn'
require 'optim'
require 'xlua'

local cmd = torch.CmdLine()
cmd:text('Train a 2-conv + pooling network on Fashion-MNIST')
cmd:text()
cmd:option('-epochs', 10, 'passes over the training set')
cmd:option('-batch', 64, 'batch size')
cmd:option('-lr', 0.01, 'learning rate (SGD with momentum)')
cmd:option('-momentum', 0.9, 'momentum')
cmd:option('-n', 60000, 'training images used (all: 60000)')
cmd:option('-threads', 2, 'CPU threads')
cmd:option('-seed', 1, 'random seed')
cmd:option('-plot', 'fashion_mnist_loss.png', 'PNG file for the loss curve (empty: none)')
cmd:option('-noterm', false, 'do not draw the loss curve in the terminal')
cmd:option('-save', 'fashion_mnist.t7', 'checkpoint written after every epoch (empty: none)')
cmd:option('-resume', '', 'a checkpoint to start from (its network, optimizer state and epoch)')
cmd:option('-cuda', false, 'train on the GPU (the model, the criterion and each batch moved there)')
cmd:option('-distributed', false, 'data-parallel over the processes of an MPI job (mpirun -np N th ... -distributed): ' ..
  'each process trains on its share of every epoch with -batch images per step, gradients averaged')
local opt = cmd:parse(arg or {})
if opt.cuda then
  local ok, why = torch.cuda.isAvailable()
  if not ok then
    io.stderr:write('fashion_mnist: -cuda: ' .. tostring(why) .. '\n')
    os.exit(1)
  end
end
-- data-parallel: every process (rank) runs this script; rank 0 prints, saves and plots
local dist, rank, nranks = nil, 0, 1
if opt.distributed then
  dist = require 'distributed'
  rank, nranks = dist.init{ backend = opt.cuda and 'nccl' or 'mpi' }
  -- the processes on one host share its cores
  local local_ranks = tonumber(os.getenv('OMPI_COMM_WORLD_LOCAL_SIZE') or '') or 1
  opt.threads = math.max(1, opt.threads // local_ranks)
end
local function say(...) if rank == 0 then print(...) end end
-- a CPU tensor summed over the ranks, in place (with -cuda the backend is NCCL, which
-- moves CUDA tensors: the sum goes through the GPU)
local function sum_over_ranks(t)
  if opt.cuda then t:copy(dist.allReduce(t:cuda())) else dist.allReduce(t) end
  return t
end
torch.setnumthreads(opt.threads)
torch.manualSeed(opt.seed)

-- data: the Debian package dataset-fashion-mnist's files, as floats in [0, 1]
local trainX, trainY, classes = torch.data.fashionMnist('train', { float = true })
local testX, testY = torch.data.fashionMnist('test', { float = true })
local n = math.min(opt.n, trainX:size(1))
trainX, trainY = trainX:narrow(1, 1, n), trainY:narrow(1, 1, n)
local mean, std = trainX:mean(), trainX:std()
trainX = trainX:add(-mean):div(std):view(n, 1, 28, 28)
testX = testX:add(-mean):div(std):view(testX:size(1), 1, 28, 28)
say(string.format('Fashion-MNIST: %d training and %d test images', n, testX:size(1)))
if dist then
  say(string.format('data-parallel over %d processes: %d images per step each, %d in all; %d thread(s) each',
                    nranks, opt.batch, opt.batch * nranks, opt.threads))
end

-- the network: two 5x5 convolutions with pooling, then two fully connected layers
local net = nn.Sequential()
net:add(nn.SpatialConvolution(1, 32, 5, 5, 1, 1, 2, 2)):add(nn.ReLU()):add(nn.SpatialMaxPooling(2, 2, 2, 2))
net:add(nn.SpatialConvolution(32, 64, 5, 5, 1, 1, 2, 2)):add(nn.ReLU()):add(nn.SpatialMaxPooling(2, 2, 2, 2))
net:add(nn.View(64 * 7 * 7))
net:add(nn.Linear(64 * 7 * 7, 256)):add(nn.ReLU()):add(nn.Dropout(0.3))
net:add(nn.Linear(256, 10)):add(nn.LogSoftMax())
local criterion = nn.ClassNLLCriterion()
say(net)

local config = { learningRate = opt.lr, momentum = opt.momentum, nesterov = true, dampening = 0 }
local firstEpoch = 1
if opt.resume ~= '' then
  local ckpt = torch.load(opt.resume)
  if type(ckpt) ~= 'table' or not torch.isTypeOf(ckpt.net, 'nn.Module') or type(ckpt.epoch) ~= 'number' then
    io.stderr:write('fashion_mnist: ' .. opt.resume .. ' is not a checkpoint of this example\n')
    os.exit(1)
  end
  net, config, firstEpoch = ckpt.net, ckpt.config, ckpt.epoch + 1
  say(string.format('resumed from %s after epoch %d (test accuracy %.4f)', opt.resume, ckpt.epoch, ckpt.accuracy))
end
-- on the GPU: parameters, gradients and buffers (cunn's model:cuda()); batches follow
if opt.cuda then
  net:cuda()
  criterion:cuda()
elseif tostring(net:type()):find('Cuda') then   -- a checkpoint written with -cuda, resumed without
  net:float()
end
local function todev(t) return opt.cuda and t:cuda() or t end
local params, gradParams = net:getParameters()
-- the optimizer's state from a checkpoint (momentum buffer) follows the parameters
for k, v in pairs(config) do
  if torch.isTensor(v) and v:type() ~= params:type() then config[k] = v:type(params:type()) end
end
-- distributed: every replica starts from rank 0's parameters; each rank sees its own
-- share of every epoch (the shards of one shuffled order, the same on every rank), and
-- its own dropout masks
local loader
if dist then
  dist.broadcastParameters(net)
  torch.manualSeed(opt.seed + rank)
  loader = torch.data.DataLoader({ x = trainX, y = trainY }, { batchSize = opt.batch, shuffle = true,
                                                               shard = true, seed = opt.seed })
  loader:setEpoch(firstEpoch)
else
  loader = torch.data.DataLoader({ x = trainX, y = trainY }, { batchSize = opt.batch, shuffle = true })
end
local losses = {}

local function test()
  net:evaluate()
  local confusion = optim.ConfusionMatrix(classes)
  torch.noGrad(function()   -- distributed: each rank tests its chunks, the counts are summed
    for i = 1 + rank * 1000, testX:size(1), 1000 * nranks do
      local m = math.min(1000, testX:size(1) - i + 1)
      confusion:batchAdd(net:forward(todev(testX:narrow(1, i, m))):float(), testY:narrow(1, i, m))
    end
  end)
  if dist then sum_over_ranks(confusion.mat) end
  confusion:updateValids()
  net:training()
  return confusion.totalValid
end

for epoch = firstEpoch, opt.epochs do
  local timer, total, count, b = torch.Timer(), 0, 0, 0
  local nb = #loader
  say(string.format('epoch %d/%d', epoch, opt.epochs))
  for x, y in loader:iter() do
    b = b + 1
    x, y = todev(x), todev(y)
    local _, fs = optim.sgd(function()
      gradParams:zero()
      local out = net:forward(x)
      local loss = criterion:forward(out, y)
      net:backward(x, criterion:backward(out, y))
      if dist then dist.allReduceGradients(net) end   -- the mean over the ranks
      return loss, gradParams
    end, params, config)
    total, count = total + fs[1], count + 1
    if b % 25 == 0 then losses[#losses + 1] = total / count end
    if rank == 0 then xlua.progress(b, nb) end
  end
  if dist then   -- the loss over every rank's batches
    local s = sum_over_ranks(torch.DoubleTensor { total, count })
    total, count = s[1], s[2]
  end
  local accuracy = test()
  say(string.format('epoch %d: loss %.4f, test accuracy %.4f, %.0f images/s', epoch, total / count,
                    accuracy, count * opt.batch / timer:time().real))
  if opt.save ~= '' and rank == 0 then   -- written atomically: a crash never leaves a broken checkpoint
    torch.save(opt.save, { net = net:clearState(), config = config, epoch = epoch, accuracy = accuracy })
  end
end

-- the loss curve: in the terminal, and as a PNG
if dist then dist.finalize() end
if rank ~= 0 then return end
local ok, gnuplot = pcall(require, 'gnuplot')
if ok and #losses > 1 then
  local curve = torch.Tensor(losses)
  if not opt.noterm then
    gnuplot.dumbfigure()
    gnuplot.title('training loss (running mean, every 25 batches)')
    gnuplot.plot('loss', curve, '-')
    gnuplot.close()
  end
  if opt.plot ~= '' then
    gnuplot.pngfigure(opt.plot)
    gnuplot.title('Fashion-MNIST: training loss')
    gnuplot.xlabel('batches / 25')
    gnuplot.ylabel('loss')
    gnuplot.grid(true)
    gnuplot.plot('loss', curve, '-')
    gnuplot.close()
    print('loss curve written to ' .. opt.plot)
  end
elseif not ok then
  print('(gnuplot is not available: no loss curve)')
end
