-- bench/rss_mlp.lua: 200 training steps of the MLP 784-512-256-10 (batch 64), for the peak
-- RSS row of `make bench` (bench/rss_mlp.py is the same in PyTorch)
require 'nn'
torch.manualSeed(0)
local net = nn.Sequential():add(nn.Linear(784, 512)):add(nn.ReLU()):add(nn.Linear(512, 256)):add(nn.ReLU())
  :add(nn.Linear(256, 10))
local crit = nn.CrossEntropyCriterion()
local params = net:parameters()
local x, y = torch.randn(64, 784), torch.LongTensor(64):random(1, 10)
for _ = 1, 200 do
  for _, p in ipairs(params) do if p.grad then p.grad:zero() end end
  crit(net(x), y):backward()
  torch.noGrad(function() for _, p in ipairs(params) do p:add(-0.01, p.grad) end end)
end
