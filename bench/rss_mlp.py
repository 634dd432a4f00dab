# bench/rss_mlp.py: bench/rss_mlp.lua in PyTorch (200 MLP training steps, batch 64)
import torch
import torch.nn as nn
import torch.nn.functional as F
torch.manual_seed(0)
net = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 10))
x, y = torch.randn(64, 784), torch.randint(0, 10, (64,))
for _ in range(200):
    for p in net.parameters():
        p.grad = None
    F.cross_entropy(net(x), y).backward()
    with torch.no_grad():
        for p in net.parameters():
            p.add_(p.grad, alpha=-0.01)
