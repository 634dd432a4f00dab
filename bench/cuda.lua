-- bench/cuda.lua: GPU figures (th bench/cuda.lua). bench/cuda_torch.py times the same
-- workloads in PyTorch; bench/cuda.sh runs both and prints them side by side. Each row is
-- the median of several timed runs after a warm-up, synchronized around the region.
if not torch.cudaAvailable() then print('no GPU: ' .. select(2, torch.cudaAvailable())) return end
local sync = torch.cudaSynchronize
local function median(t) table.sort(t) return t[(#t + 1) // 2] end
local function time(f, reps, inner)
  inner = inner or 1
  f() sync()
  local ts = {}
  for _ = 1, reps do
    local tm = torch.Timer()
    for _ = 1, inner do f() end
    sync()
    ts[#ts + 1] = tm:time().real / inner
  end
  return median(ts)
end
local rows = {}
local function row(name, secs, work, unit)
  local rate = work and string.format('%.1f %s', work / secs / 1e9, unit) or ''
  rows[#rows + 1] = string.format('%-28s %12.3f us  %s', name, secs * 1e6, rate)
  print(string.format('ROW\t%s\t%.9g\t%s', name, secs, rate))
end

torch.manualSeed(1)
local N = 64 * 1024 * 1024
local hx = torch.rand(N)
local gx = hx:cuda()
local gy = torch.rand(N):cuda()
local gout = gx:clone()
row('h2d copy 256MiB', time(function() gout:copy(hx) end, 5), N * 4, 'GB/s')
row('d2h copy 256MiB', time(function() hx:copy(gx) end, 5), N * 4, 'GB/s')
row('d2d copy 256MiB', time(function() gout:copy(gx) end, 10), N * 8, 'GB/s')
row('add 64M (into out)', time(function() torch.add(gout, gx, gy) end, 10), N * 12, 'GB/s')
row('add 64M (new result)', time(function() local _ = gx + gy end, 10), N * 12, 'GB/s')
row('mul scalar 64M', time(function() torch.mul(gout, gx, 3) end, 10), N * 8, 'GB/s')
row('exp 64M', time(function() torch.exp(gout, gx) end, 10), N * 8, 'GB/s')
row('sigmoid 64M', time(function() torch.sigmoid(gout, gx) end, 10), N * 8, 'GB/s')
row('add transposed 8Kx8K', time(function() torch.add(gout:view(8192, 8192), gx:view(8192, 8192):t(), gy:view(8192, 8192)) end, 10), N * 12, 'GB/s')
gx, gy, gout, hx = nil, nil, nil, nil
collectgarbage()
for _, n in ipairs{256, 1024, 4096, 8192} do
  local a, b = torch.randn(n, n):cuda(), torch.randn(n, n):cuda()
  local c = a:clone()
  row('sgemm ' .. n, time(function() torch.mm(c, a, b) end, n >= 4096 and 5 or 20, n <= 1024 and 20 or 1), 2.0 * n * n * n, 'GFLOP/s')
end
do
  local n = 4096
  local a, b = torch.randn(n, n):type('torch.CudaDoubleTensor'), torch.randn(n, n):type('torch.CudaDoubleTensor')
  local c = a:clone()
  row('dgemm ' .. n, time(function() torch.mm(c, a, b) end, 5), 2.0 * n * n * n, 'GFLOP/s')
end
do
  local a, b = torch.rand(4):cuda(), torch.rand(4):cuda()
  row('a + b, 4 floats', time(function() local _ = a + b end, 5, 2000))
  row('a:add(b) in place, 4 floats', time(function() a:add(b) end, 5, 2000))
  local m, w = torch.rand(64, 64):cuda(), torch.rand(64, 64):cuda()
  row('mm 64x64', time(function() local _ = torch.mm(m, w) end, 5, 1000))
end
-- one guarded row each: an op that fails on the GPU prints its error and the rest go on
local function guarded(name, f)
  local ok, err = pcall(f)
  if not ok then print('ROW\t' .. name .. '\tERR\t' .. tostring(err):gsub('\n.*', '')) end
end
do
  local x = torch.rand(64 * 1024 * 1024):cuda()
  guarded('sum 64M', function() row('sum 64M', time(function() local _ = x:sum() end, 10), x:nElement() * 4, 'GB/s') end)
  local m = torch.randn(4096, 4096):cuda()
  guarded('softmax 4096x4096', function()
    row('softmax 4096x4096', time(function() local _ = torch.softmax(m, 2) end, 10), m:nElement() * 8, 'GB/s')
  end)
  guarded('sum dim 4096x4096', function()
    row('sum dim 4096x4096', time(function() local _ = m:sum(2) end, 10), m:nElement() * 4, 'GB/s')
  end)
end
-- LAPACK through cuSOLVER (issue 11): float32, a well-conditioned matrix (or an SPD one)
do
  local function mat(n) return (torch.randn(n, n) + torch.eye(n):mul(n)):cuda() end
  local function spd(n) local a = torch.randn(n, n) return (a * a:t() + torch.eye(n):mul(n)):cuda() end
  for _, n in ipairs{256, 1024} do
    local a, s, b = mat(n), spd(n), torch.randn(n, 1):cuda()
    guarded('inverse ' .. n, function() row('inverse ' .. n, time(function() local _ = torch.inverse(a) end, 5)) end)
    guarded('gesv ' .. n .. ', 1 rhs', function()
      row('gesv ' .. n .. ', 1 rhs', time(function() local _ = torch.gesv(b, a) end, 5))
    end)
    guarded('det ' .. n, function() row('det ' .. n, time(function() local _ = torch.det(a) end, 5)) end)
    guarded('cholesky ' .. n, function() row('cholesky ' .. n, time(function() local _ = torch.potrf(s) end, 5)) end)
    guarded('symeig ' .. n .. ' (vectors)', function()
      row('symeig ' .. n .. ' (vectors)', time(function() local _ = torch.symeig(s, 'V') end, 3))
    end)
    guarded('svd ' .. n .. ' (some)', function() row('svd ' .. n .. ' (some)', time(function() local _ = torch.svd(a) end, 3)) end)
    guarded('qr ' .. n, function() row('qr ' .. n, time(function() local _ = torch.qr(a) end, 5)) end)
  end
end
require 'nn'
-- training steps: forward, loss, backward and an SGD update, as in PyTorch's script
local function train_row(name, net, x, y)
  guarded(name, function()
    local crit = nn.ClassNLLCriterion():cuda()
    net:cuda()
    x, y = x:cuda(), y:cuda()
    local function step()
      net:zeroGradParameters()
      local out = net:forward(x)
      crit:forward(out, y)
      net:backward(x, crit:backward(out, y))
      net:updateParameters(0.01)
    end
    row(name, time(step, 10, 5), x:size(1) * 1e6, 'k samples/s')
  end)
end
torch.manualSeed(1)
train_row('MLP 784-512-256-10 step, batch 256',
  nn.Sequential():add(nn.Linear(784, 512)):add(nn.ReLU()):add(nn.Linear(512, 256)):add(nn.ReLU())
    :add(nn.Linear(256, 10)):add(nn.LogSoftMax()),
  torch.rand(256, 784), torch.LongTensor(256):random(1, 10))
train_row('LeNet-5 step, batch 128',
  nn.Sequential():add(nn.SpatialConvolution(1, 6, 5, 5)):add(nn.ReLU()):add(nn.SpatialMaxPooling(2, 2, 2, 2))
    :add(nn.SpatialConvolution(6, 16, 5, 5)):add(nn.ReLU()):add(nn.SpatialMaxPooling(2, 2, 2, 2))
    :add(nn.View(256)):add(nn.Linear(256, 120)):add(nn.ReLU()):add(nn.Linear(120, 84)):add(nn.ReLU())
    :add(nn.Linear(84, 10)):add(nn.LogSoftMax()),
  torch.rand(128, 1, 28, 28), torch.LongTensor(128):random(1, 10))
print()
for _, r in ipairs(rows) do print(r) end
