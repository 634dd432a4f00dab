-- bench/side.lua: the workloads of issue 8's table, as luatorch runs them; bench/side_torch.py
-- runs the same ones in PyTorch and bench/run.sh puts both side by side. Prints one line
-- per row, "ROW <tab> name <tab> seconds per iteration", each the median of several
-- timed rounds after a warm-up. Random data of the right shapes.
require 'nn'
require 'optim'
local quick = os.getenv('BENCH_QUICK') == '1'
local threads = tonumber(os.getenv('THREADS') or '') or torch.getnumthreads()
torch.setnumthreads(threads)
torch.manualSeed(0)

local function median(t) table.sort(t) return t[(#t + 1) // 2] end
-- row(name, f, inner): seconds per call of f, median of the rounds of `inner` calls
local function row(name, f, inner, rounds)
  if quick then inner = math.max(1, inner // 4); rounds = 3 end
  f()
  local ts = {}
  for _ = 1, rounds or 7 do
    local timer = torch.Timer()
    for _ = 1, inner do f() end
    ts[#ts + 1] = timer:time().real / inner
  end
  print(string.format('ROW\t%s\t%.9g', name, median(ts)))
  io.stdout:flush()
end

-- small ops on 4-element tensors
local a, b = torch.rand(4), torch.rand(4)
local m, w = torch.rand(4, 4), torch.rand(4, 4)
row('add, 4 floats', function() local _ = a + b end, 20000)
row('mul, 4 floats', function() local _ = torch.cmul(a, b) end, 20000)
row('sum, 4 floats', function() local _ = a:sum() end, 20000)
row('mm 4x4', function() local _ = torch.mm(m, w) end, 20000)
local ga, gb = torch.rand(4):setRequiresGrad(), torch.rand(4):setRequiresGrad()
row('add, 4 floats, grad on', function() local _ = ga + gb end, 20000)
row('tiny forward+backward', function() torch.cmul(ga, gb):sum():backward() end, 10000)

-- sgemm
for _, n in ipairs{64, 256, 1024, 2048} do
  local x, y = torch.randn(n, n), torch.randn(n, n)
  local o = torch.Tensor(n, n)
  row('sgemm ' .. n, function() torch.mm(o, x, y) end, n <= 256 and 200 or (n == 1024 and 5 or 2), 5)
end

-- elementwise on 16M floats (results into a reused tensor, and a new result for add)
local N = 16 * 1024 * 1024
local x, y, o = torch.rand(N), torch.rand(N), torch.Tensor(N)
row('add 16M (into out)', function() torch.add(o, x, y) end, 5)
row('add 16M (new result)', function() local _ = x + y end, 5)
row('relu 16M', function() torch.relu(o, x) end, 5)
row('exp 16M', function() torch.exp(o, x) end, 5)
row('tanh 16M', function() torch.tanh(o, x) end, 5)
row('sigmoid 16M', function() torch.sigmoid(o, x) end, 5)
row('sum 16M', function() local _ = x:sum() end, 5)
x, y, o = nil, nil, nil
collectgarbage()
local s = torch.randn(4096, 4096)
row('softmax 4096x4096', function() local _ = torch.softmax(s, 2) end, 2, 5)
s = nil
collectgarbage()

-- training steps (forward, loss, backward, SGD update), PyTorch's loop in Lua
local function train_row(name, net, crit, xin, yin, inner)
  local params = net:parameters()
  row(name, function()
    for _, p in ipairs(params) do if p.grad then p.grad:zero() end end
    local loss = crit(net(xin), yin)
    loss:backward()
    torch.noGrad(function() for _, p in ipairs(params) do p:add(-0.01, p.grad) end end)
  end, inner, 5)
end
train_row('MLP 784-512-256-10 step, batch 64',
  nn.Sequential():add(nn.Linear(784, 512)):add(nn.ReLU()):add(nn.Linear(512, 256)):add(nn.ReLU()):add(nn.Linear(256, 10)),
  nn.CrossEntropyCriterion(), torch.randn(64, 784), torch.LongTensor(64):random(1, 10), 20)
train_row('LeNet-5 step, batch 64',
  nn.Sequential():add(nn.SpatialConvolution(1, 6, 5, 5, 1, 1, 2, 2)):add(nn.ReLU()):add(nn.SpatialMaxPooling(2, 2, 2, 2))
    :add(nn.SpatialConvolution(6, 16, 5, 5)):add(nn.ReLU()):add(nn.SpatialMaxPooling(2, 2, 2, 2))
    :add(nn.View(400)):add(nn.Linear(400, 120)):add(nn.ReLU()):add(nn.Linear(120, 84)):add(nn.ReLU()):add(nn.Linear(84, 10)),
  nn.CrossEntropyCriterion(), torch.randn(64, 1, 28, 28), torch.LongTensor(64):random(1, 10), 5)
train_row('CNN 3x32x32 step, batch 64',
  nn.Sequential():add(nn.SpatialConvolution(3, 32, 3, 3, 1, 1, 1, 1)):add(nn.ReLU()):add(nn.SpatialMaxPooling(2, 2, 2, 2))
    :add(nn.SpatialConvolution(32, 64, 3, 3, 1, 1, 1, 1)):add(nn.ReLU()):add(nn.SpatialMaxPooling(2, 2, 2, 2))
    :add(nn.View(64 * 8 * 8)):add(nn.Linear(64 * 8 * 8, 128)):add(nn.ReLU()):add(nn.Linear(128, 10)),
  nn.CrossEntropyCriterion(), torch.randn(64, 3, 32, 32), torch.LongTensor(64):random(1, 10), 2)
do  -- char-LSTM: embedding 128, hidden 256, seq 64, batch 32
  local vocab, seq, batch = 96, 64, 32
  local emb, lstm, proj = nn.LookupTable(vocab, 128), nn.LSTM(128, 256), nn.Linear(256, vocab)
  local crit = nn.CrossEntropyCriterion()
  local params = {}
  for _, mod in ipairs { emb, lstm, proj } do
    for _, t in ipairs(mod:parameters()) do params[#params + 1] = t end
  end
  local xi, yi = torch.LongTensor(seq, batch):random(1, vocab), torch.LongTensor(seq * batch):random(1, vocab)
  row('char-LSTM step, seq 64, batch 32', function()
    for _, p in ipairs(params) do if p.grad then p.grad:zero() end end
    local h = lstm(emb(xi))
    local loss = crit(proj(h:view(seq * batch, 256)), yi)
    loss:backward()
    torch.noGrad(function() for _, p in ipairs(params) do p:add(-0.01, p.grad) end end)
  end, 1, 5)
end
do  -- batch-1 inference of the MLP
  local net = nn.Sequential():add(nn.Linear(784, 512)):add(nn.ReLU()):add(nn.Linear(512, 256)):add(nn.ReLU())
    :add(nn.Linear(256, 10))
  local x1 = torch.randn(1, 784)
  row('MLP batch-1 inference', function() torch.noGrad(function() return net:forward(x1) end) end, 500)
end
