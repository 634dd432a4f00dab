# bench/cuda_torch.py: the workloads of bench/cuda.lua in PyTorch (float32 matmul in IEEE
# float32, TF32 off, as luatorch's default). Prints ROW lines in the same format.
import time, torch
torch.backends.cuda.matmul.allow_tf32 = False
dev = 'cuda'
sync = torch.cuda.synchronize
def median(t): t = sorted(t); return t[(len(t) - 1) // 2]
def timeit(f, reps, inner=1):
    f(); sync()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        for _ in range(inner): f()
        sync()
        ts.append((time.perf_counter() - t0) / inner)
    return median(ts)
def row(name, secs, work=None, unit=''):
    rate = '%.1f %s' % (work / secs / 1e9, unit) if work else ''
    print('ROW\t%s\t%.9g\t%s' % (name, secs, rate), flush=True)
torch.manual_seed(1)
N = 64 * 1024 * 1024
hx = torch.rand(N)
gx = hx.to(dev); gy = torch.rand(N).to(dev); gout = gx.clone()
row('h2d copy 256MiB', timeit(lambda: gout.copy_(hx), 5), N * 4, 'GB/s')
row('d2h copy 256MiB', timeit(lambda: hx.copy_(gx), 5), N * 4, 'GB/s')
row('d2d copy 256MiB', timeit(lambda: gout.copy_(gx), 10), N * 8, 'GB/s')
row('add 64M (into out)', timeit(lambda: torch.add(gx, gy, out=gout), 10), N * 12, 'GB/s')
row('add 64M (new result)', timeit(lambda: gx + gy, 10), N * 12, 'GB/s')
row('mul scalar 64M', timeit(lambda: torch.mul(gx, 3, out=gout), 10), N * 8, 'GB/s')
row('exp 64M', timeit(lambda: torch.exp(gx, out=gout), 10), N * 8, 'GB/s')
row('sigmoid 64M', timeit(lambda: torch.sigmoid(gx, out=gout), 10), N * 8, 'GB/s')
row('add transposed 8Kx8K', timeit(lambda: torch.add(gx.view(8192, 8192).t(), gy.view(8192, 8192), out=gout.view(8192, 8192)), 10), N * 12, 'GB/s')
del gx, gy, gout, hx
for n in (256, 1024, 4096, 8192):
    a = torch.randn(n, n, device=dev); b = torch.randn(n, n, device=dev); c = a.clone()
    row('sgemm %d' % n, timeit(lambda: torch.mm(a, b, out=c), 5 if n >= 4096 else 20, 20 if n <= 1024 else 1), 2.0 * n ** 3, 'GFLOP/s')
n = 4096
a = torch.randn(n, n, device=dev, dtype=torch.float64); b = torch.randn(n, n, device=dev, dtype=torch.float64); c = a.clone()
row('dgemm %d' % n, timeit(lambda: torch.mm(a, b, out=c), 5), 2.0 * n ** 3, 'GFLOP/s')
a = torch.rand(4, device=dev); b = torch.rand(4, device=dev)
row('a + b, 4 floats', timeit(lambda: a + b, 5, 2000))
row('a:add(b) in place, 4 floats', timeit(lambda: a.add_(b), 5, 2000))
m = torch.rand(64, 64, device=dev); w = torch.rand(64, 64, device=dev)
row('mm 64x64', timeit(lambda: torch.mm(m, w), 5, 1000))
x = torch.rand(64 * 1024 * 1024, device=dev)
row('sum 64M', timeit(lambda: x.sum(), 10), x.numel() * 4, 'GB/s')
m = torch.randn(4096, 4096, device=dev)
row('softmax 4096x4096', timeit(lambda: torch.softmax(m, 1), 10), m.numel() * 8, 'GB/s')
row('sum dim 4096x4096', timeit(lambda: m.sum(1), 10), m.numel() * 4, 'GB/s')
del x, m
# LAPACK (issue 11): the same matrices' kinds, float32
def mat(n): return (torch.randn(n, n) + n * torch.eye(n)).to(dev)
def spd(n): a = torch.randn(n, n); return (a @ a.t() + n * torch.eye(n)).to(dev)
for n in (256, 1024):
    a, s, b = mat(n), spd(n), torch.randn(n, 1).to(dev)
    row('inverse %d' % n, timeit(lambda: torch.linalg.inv(a), 5))
    row('gesv %d, 1 rhs' % n, timeit(lambda: torch.linalg.solve(a, b), 5))
    row('det %d' % n, timeit(lambda: torch.linalg.det(a), 5))
    row('cholesky %d' % n, timeit(lambda: torch.linalg.cholesky(s, upper=True), 5))
    row('symeig %d (vectors)' % n, timeit(lambda: torch.linalg.eigh(s), 3))
    row('svd %d (some)' % n, timeit(lambda: torch.linalg.svd(a, full_matrices=False), 3))
    row('qr %d' % n, timeit(lambda: torch.linalg.qr(a), 5))
import torch.nn as nn
import torch.nn.functional as F
def train_row(name, net, x, y):
    net = net.to(dev); x = x.to(dev); y = y.to(dev)
    params = list(net.parameters())
    def step():
        for p in params: p.grad = None
        loss = F.nll_loss(net(x), y)
        loss.backward()
        with torch.no_grad():
            for p in params: p.sub_(0.01 * p.grad)
    row(name, timeit(step, 10, 5), x.shape[0] * 1e6, 'k samples/s')
torch.manual_seed(1)
train_row('MLP 784-512-256-10 step, batch 256',
          nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 10), nn.LogSoftmax(1)),
          torch.rand(256, 784), torch.randint(0, 10, (256,)))
train_row('LeNet-5 step, batch 128',
          nn.Sequential(nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Flatten(), nn.Linear(256, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10),
                        nn.LogSoftmax(1)),
          torch.rand(128, 1, 28, 28), torch.randint(0, 10, (128,)))
