-- examples/mlp.lua: a Torch7-style training script, unchanged from what Torch7 users
-- write: an MLP on Fashion-MNIST with nn, optim.sgd and getParameters.
--   th examples/mlp.lua [-epochs 3] [-n 60000] [-batch 64] [-lr 0.1] [-threads 2]
require 'nn'
require 'optim'

local cmd = torch.CmdLine()
cmd:text('Train a 784-512-256-10 MLP on Fashion-MNIST')
cmd:option('-epochs', 3, 'passes over the training set')
cmd:option('-n', 60000, 'training examples used')
cmd:option('-batch', 64, 'batch size')
cmd:option('-lr', 0.1, 'learning rate')
cmd:option('-momentum', 0.9, 'momentum')
cmd:option('-threads', 2, 'threads')
cmd:option('-data', '/usr/share/datasets/fashion-mnist', 'folder of the gzipped IDX files')
local opt = cmd:parse(arg or {})
torch.setnumthreads(opt.threads)
torch.manualSeed(1)

-- the IDX format: a magic number (type, dims), the sizes (big-endian int32), the bytes
local function readIDX(path)
  local f = assert(io.popen('gzip -dc ' .. path, 'r'), 'cannot read ' .. path)
  local data = f:read('a')
  f:close()
  if #data < 4 then error('cannot read ' .. path .. ' (is dataset-fashion-mnist installed?)') end
  local ndim = data:byte(4)
  local sizes, pos = {}, 5
  for d = 1, ndim do sizes[d], pos = string.unpack('>i4', data, pos) end
  local bytes = torch.ByteStorage():string(data:sub(pos))
  return torch.ByteTensor(bytes, 1, torch.LongStorage(sizes))
end

local function load(prefix, n)
  local images = readIDX(opt.data .. '/' .. prefix .. '-images-idx3-ubyte.gz')
  local labels = readIDX(opt.data .. '/' .. prefix .. '-labels-idx1-ubyte.gz')
  n = math.min(n or images:size(1), images:size(1))
  local x = images:narrow(1, 1, n):float():div(255):view(n, 784)
  local y = labels:narrow(1, 1, n):long():add(1)   -- classes 1..10
  return x, y
end

print('loading Fashion-MNIST ...')
local trainX, trainY = load('train', opt.n)
local testX, testY = load('t10k', 10000)
local mean, std = trainX:mean(), trainX:std()
trainX:add(-mean):div(std)
testX:add(-mean):div(std)

local net = nn.Sequential()
net:add(nn.Linear(784, 512)):add(nn.ReLU())
net:add(nn.Linear(512, 256)):add(nn.ReLU())
net:add(nn.Linear(256, 10)):add(nn.LogSoftMax())
local criterion = nn.ClassNLLCriterion()
print(net)

local params, gradParams = net:getParameters()
local config = { learningRate = opt.lr, momentum = opt.momentum }
local classes = { 'T-shirt', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Boot' }

for epoch = 1, opt.epochs do
  net:training()
  local perm = torch.randperm(trainX:size(1)):long()
  local timer, total, count = torch.Timer(), 0, 0
  for i = 1, trainX:size(1) - opt.batch + 1, opt.batch do
    local idx = perm:narrow(1, i, opt.batch)
    local x, y = trainX:index(1, idx), trainY:index(1, idx)
    local function feval(p)
      gradParams:zero()
      local out = net:forward(x)
      local loss = criterion:forward(out, y)
      net:backward(x, criterion:backward(out, y))
      return loss, gradParams
    end
    local _, fs = optim.sgd(feval, params, config)
    total, count = total + fs[1], count + 1
  end
  local secs = timer:time().real
  net:evaluate()
  local confusion = optim.ConfusionMatrix(classes)
  local pred = net:forward(testX)
  confusion:batchAdd(pred, testY)
  confusion:updateValids()
  print(string.format('epoch %d: train loss %.4f, %.0f samples/s, test accuracy %.2f%%', epoch,
                      total / count, count * opt.batch / secs, confusion.totalValid * 100))
end
