# bench/side_torch.py: the workloads of bench/side.lua in PyTorch (Debian's python3-torch),
# same shapes, same thread count (THREADS), same timing rule (median of rounds after a
# warm-up). Prints "ROW <tab> name <tab> seconds per iteration" lines.
import os, time
import torch
import torch.nn as nn
import torch.nn.functional as F

quick = os.environ.get('BENCH_QUICK') == '1'
threads = int(os.environ.get('THREADS') or torch.get_num_threads())
torch.set_num_threads(threads)
torch.manual_seed(0)


def row(name, f, inner, rounds=7):
    if quick:
        inner, rounds = max(1, inner // 4), 3
    f()
    ts = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(inner):
            f()
        ts.append((time.perf_counter() - t0) / inner)
    ts.sort()
    print('ROW\t%s\t%.9g' % (name, ts[(len(ts) - 1) // 2]), flush=True)


a, b = torch.rand(4), torch.rand(4)
m, w = torch.rand(4, 4), torch.rand(4, 4)
row('add, 4 floats', lambda: a + b, 20000)
row('mul, 4 floats', lambda: torch.mul(a, b), 20000)
row('sum, 4 floats', lambda: a.sum(), 20000)
row('mm 4x4', lambda: torch.mm(m, w), 20000)
ga, gb = torch.rand(4, requires_grad=True), torch.rand(4, requires_grad=True)
row('add, 4 floats, grad on', lambda: ga + gb, 20000)
row('tiny forward+backward', lambda: torch.mul(ga, gb).sum().backward(), 10000)

for n in (64, 256, 1024, 2048):
    x, y = torch.randn(n, n), torch.randn(n, n)
    o = torch.empty(n, n)
    row('sgemm %d' % n, lambda: torch.mm(x, y, out=o), 200 if n <= 256 else (5 if n == 1024 else 2), 5)

N = 16 * 1024 * 1024
x, y, o = torch.rand(N), torch.rand(N), torch.empty(N)
row('add 16M (into out)', lambda: torch.add(x, y, out=o), 5)
row('add 16M (new result)', lambda: x + y, 5)
row('relu 16M', lambda: torch.clamp(x, min=0, out=o), 5)
row('exp 16M', lambda: torch.exp(x, out=o), 5)
row('tanh 16M', lambda: torch.tanh(x, out=o), 5)
row('sigmoid 16M', lambda: torch.sigmoid(x, out=o), 5)
row('sum 16M', lambda: x.sum(), 5)
del x, y, o
s = torch.randn(4096, 4096)
row('softmax 4096x4096', lambda: torch.softmax(s, 1), 2, 5)
del s


def train_row(name, net, xin, yin, inner):
    params = list(net.parameters())

    def step():
        for p in params:
            p.grad = None
        loss = F.cross_entropy(net(xin), yin)
        loss.backward()
        with torch.no_grad():
            for p in params:
                p.add_(p.grad, alpha=-0.01)
    row(name, step, inner, 5)


train_row('MLP 784-512-256-10 step, batch 64',
          nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 10)),
          torch.randn(64, 784), torch.randint(0, 10, (64,)), 20)
train_row('LeNet-5 step, batch 64',
          nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(),
                        nn.MaxPool2d(2), nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
                        nn.Linear(84, 10)),
          torch.randn(64, 1, 28, 28), torch.randint(0, 10, (64,)), 5)
train_row('CNN 3x32x32 step, batch 64',
          nn.Sequential(nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3, padding=1),
                        nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(64 * 8 * 8, 128), nn.ReLU(),
                        nn.Linear(128, 10)),
          torch.randn(64, 3, 32, 32), torch.randint(0, 10, (64,)), 2)


class CharLSTM(nn.Module):
    def __init__(self, vocab):
        super().__init__()
        self.emb = nn.Embedding(vocab, 128)
        self.lstm = nn.LSTM(128, 256)
        self.proj = nn.Linear(256, vocab)

    def forward(self, x):
        h, _ = self.lstm(self.emb(x))
        return self.proj(h.reshape(-1, 256))


vocab, seq, batch = 96, 64, 32
train_row('char-LSTM step, seq 64, batch 32', CharLSTM(vocab), torch.randint(0, vocab, (seq, batch)),
          torch.randint(0, vocab, (seq * batch,)), 1)

net = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 10))
x1 = torch.randn(1, 784)


def infer():
    with torch.no_grad():
        return net(x1)


row('MLP batch-1 inference', infer, 500)
