-- The CUDA backend: every test compares the GPU's result with the CPU's. Skipped (with
-- the reason) where no GPU is present.
local tester = torch.Tester()
local ok, why = torch.cudaAvailable()
if not ok then
  -- without a GPU: asking for one is a clear error, everything else goes on
  local N = torch.TestSuite()
  function N.no_gpu_clear_errors()
    tester:assert(torch.cuda.isAvailable() == false, 'torch.cuda.isAvailable() is false')
    tester:eq(torch.cuda.deviceCount(), 0, 'no devices')
    tester:eq(torch.cudaDeviceCount(), 0, 'torch.cudaDeviceCount')
    tester:assertErrorPattern(function() return torch.Tensor(2):cuda() end, 'CUDA is not available', ':cuda()')
    tester:assertErrorPattern(function() return torch.Tensor(2):type('torch.CudaTensor') end, 'CUDA is not available', ':type()')
    tester:assertErrorPattern(function() return torch.CudaTensor(3, 4) end, 'CUDA is not available', 'torch.CudaTensor(3, 4)')
    tester:assertErrorPattern(function() return torch.cuda.memoryStats() end, 'CUDA is not available', 'memoryStats')
    tester:assertErrorPattern(function() return require('nn').Linear(2, 3):cuda() end, 'CUDA is not available', 'module:cuda()')
    torch.cuda.emptyCache()   -- nothing to do, no error
    local cutorch = require 'cutorch'
    tester:eq(cutorch.getDeviceCount(), 0, 'cutorch.getDeviceCount')
    tester:assert(require('cunn') == require('nn'), 'cunn is nn')
    tester:eq(torch.add(torch.ones(2), 1), torch.Tensor{2, 2}, 0, 'the session goes on')
  end
  -- a file holding a torch.CudaTensor loads on the CPU (with a warning)
  function N.load_cuda_tensor_without_gpu()
    local x = torch.Tensor{{1, 2}, {3, 4}}
    local s = torch.serialize(x, 'ascii')
    s = s:gsub('17\ntorch%.FloatTensor', '16\ntorch.CudaTensor'):gsub('18\ntorch%.FloatStorage', '17\ntorch.CudaStorage')
    tester:assert(s:find('torch.CudaTensor', 1, true), 'the test file names torch.CudaTensor')
    local y = torch.deserialize(s, 'ascii')
    tester:eq(y:type(), 'torch.FloatTensor', 'a CPU tensor')
    tester:eq(y, x, 0, 'its values')
  end
  tester:add(N)
  return tester
end
local T = torch.TestSuite()
local nn = require 'nn'

-- the CPU and CUDA type names of a dtype ('Float' -> torch.FloatTensor, torch.CudaTensor)
local function types(dt)
  return 'torch.' .. dt .. 'Tensor', dt == 'Float' and 'torch.CudaTensor' or 'torch.Cuda' .. dt .. 'Tensor'
end
local PTOL = { Float = 1e-5, Double = 1e-12, Half = 1e-2, BFloat16 = 4e-2 }
local function rel(g, c)
  local d, r = g:double(), c:double()
  tester:eq(g:type():find('Cuda') ~= nil, true, 'result on the GPU')
  local n = r:norm()
  return (d - r):norm() / (n > 0 and n or 1)
end

local function close(gpu, cpu, tol, msg) tester:eq(gpu:float(), cpu:float(), tol or 1e-5, msg) end

function T.roundtrip_all_types()
  for _, tp in ipairs{'torch.FloatTensor', 'torch.DoubleTensor', 'torch.LongTensor', 'torch.IntTensor',
                      'torch.ByteTensor', 'torch.HalfTensor'} do
    local x = torch.Tensor{{1, 2, 3}, {4, 5, 6}}:type(tp)
    local g = x:cuda()
    tester:assert(g:type():find('Cuda'), tp .. ' on the GPU')
    tester:eq(g:cpu():double(), x:double(), 0, tp .. ' round trip')
  end
end

function T.pointwise_matches_cpu()
  torch.manualSeed(1)
  local a = torch.rand(37, 53) + 0.1
  local b = torch.rand(37, 53) + 0.1
  local ga, gb = a:cuda(), b:cuda()
  close(ga + gb, a + b)
  close(ga - gb, a - b)
  close(torch.cmul(ga, gb), torch.cmul(a, b))
  close(torch.cdiv(ga, gb), torch.cdiv(a, b))
  close(ga:t() + gb:t(), a:t() + b:t(), 1e-5, 'transposed')
  close(ga + gb[1], a + b[1], 1e-5, 'broadcast')
  for _, op in ipairs{'exp', 'log', 'sqrt', 'tanh', 'sigmoid', 'sin', 'floor', 'abs', 'neg'} do
    close(torch[op](ga), torch[op](a), 1e-5, op)
  end
  close(ga:gt(0.5), a:gt(0.5), 0, 'comparison')
  -- the float32 fast paths and the generic strided kernels, op by op
  close(torch.pow(ga, 2), torch.pow(a, 2), 1e-5, 'pow scalar')
  close(torch.pow(ga, gb), torch.pow(a, b), 1e-5, 'pow tensor')
  close(torch.cmax(ga, 0.5), torch.cmax(a, 0.5), 0, 'cmax scalar')
  close(torch.cmin(ga, gb), torch.cmin(a, b), 0, 'cmin')
  close(torch.fmod(ga, 0.3), torch.fmod(a, 0.3), 1e-5, 'fmod')
  close(ga % 0.3, a % 0.3, 1e-5, 'remainder')
  close(torch.atan2(ga, gb), torch.atan2(a, b), 1e-5, 'atan2')
  close(2 - ga, 2 - a, 1e-6, 'reversed scalar')
  close(torch.exp(ga:t()), torch.exp(a:t()), 1e-5, 'unary on a transposed view')
  close(ga:t() * 3, a:t() * 3, 1e-6, 'scalar op on a transposed view')
  local ia, ib = (a * 10):long(), (b * 10):long() + 1
  local gia, gib = ia:cuda(), ib:cuda()
  tester:eq((gia / gib):cpu(), ia / ib, 0, 'integer division on the GPU')
  tester:eq((gia % 3):cpu(), ia % 3, 0, 'integer remainder')
  close(ga * 3 + 1, a * 3 + 1)
  close(ga:clone():fill(2), a:clone():fill(2))
end

function T.copy_between_devices_and_types()
  local a = torch.range(1, 10)
  local g = torch.CudaDoubleTensor(10)
  g:copy(a)
  tester:eq(g:double(), a:double(), 0)
  local back = torch.LongTensor(10):copy(g)
  tester:eq(back, a:long(), 0)
  tester:eq(g[3], 3)
end

-- same-dtype copies of strided views move bytes: int64 values past 2^53 stay exact
-- (clone of a non-contiguous tensor, cat, flip, roll, repeatTensor); integer conversions
-- follow the CPU's rules (integer to narrower integer wraps; floats saturate)
function T.int64_strided_copies_exact()
  local big = 9007199254740993
  local x = torch.LongTensor{{big, big + 2, -big - 4}, {math.maxinteger, math.mininteger, 7}}
  local g = x:cuda()
  local function same(gt, ct, msg)
    local c = gt:cpu()
    tester:eq(c:type(), 'torch.LongTensor', msg .. ': type')
    tester:eq(c:nElement(), ct:nElement(), msg .. ': size')
    local a, b = c:contiguous():view(-1), ct:contiguous():view(-1)
    local okv = true
    for i = 1, a:nElement() do if a[i] ~= b[i] then okv = false end end
    tester:assert(okv, msg .. ': values exact')
  end
  same(g:t():clone(), x:t():clone(), 'clone of a transposed view')
  same(g:t():contiguous(), x:t():contiguous(), 'contiguous')
  same(torch.cat(g:t(), g:t(), 1), torch.cat(x:t(), x:t(), 1), 'cat')
  same(g:flip(2), x:flip(2), 'flip')
  same(g:roll(1, 2), x:roll(1, 2), 'roll')
  same(g:repeatTensor(2, 2), x:repeatTensor(2, 2), 'repeatTensor')
  same(torch.CudaLongTensor(3, 2):copy(g:t()), x:t():clone(), 'copy into a strided destination')
  -- conversions on the GPU (:int(), :short() ... would convert on the CPU)
  same(g:t():type('torch.CudaIntTensor'):type('torch.CudaLongTensor'), x:t():int():long(), 'int64 -> int32 wraps as on the CPU')
  tester:eq(g:t():type('torch.CudaShortTensor'):cpu(), x:t():short(), 0, 'int64 -> int16 wraps as on the CPU')
  local f = torch.Tensor{{300, -300}, {0 / 0, 1e10}}
  tester:eq(f:cuda():t():type('torch.CudaByteTensor'):cpu(), f:t():byte(), 0, 'float -> uint8 saturates as on the CPU')
  tester:eq(torch.CudaCharTensor(4):fill(300):cpu(), torch.CharTensor(4):fill(300), 0, 'fill saturates')
  local h = torch.CudaLongTensor(2):zero()
  h[2] = big
  tester:assert(h:cpu()[2] == big and h[2] == big, 'an int64 element written and read exactly')
  -- integer pointwise ops compute in int64 on the GPU, as on the CPU
  local y = torch.LongTensor{{3, -7, 2}, {5, 1, -1}}
  local gy = y:cuda()
  same(g + 1, x + 1, 'int64 + scalar')
  same(g - gy, x - y, 'int64 - int64')
  same(torch.cmul(g, gy), torch.cmul(x, y), 'int64 * int64 (wrapping)')
  same(g / gy, x / y, 'int64 / int64')
  same(g % gy, x % y, 'int64 % int64')
  same(-g, -x, 'neg')
  same(torch.abs(g:t()), torch.abs(x:t()), 'abs of a transposed view')
  tester:eq((g:eq(big)):cpu(), x:eq(big), 0, 'comparison exact past 2^53')
  local i8 = torch.CharTensor{{100, -100}, {7, -128}}
  tester:eq((i8:cuda() + 300):cpu(), i8 + 300, 0, 'int8 + an out-of-range scalar as on the CPU')
  tester:eq((i8:cuda() * i8:cuda()):cpu(), i8 * i8, 0, 'int8 products wrap as on the CPU')
  local e8 = torch.CharTensor{{10, -3}, {7, 40}}   -- exp below 2^63 (see sat64 in pointwise_kernels.c)
  tester:eq(torch.exp(e8:cuda()):cpu(), torch.exp(e8), 0, 'int8 exp saturates as on the CPU')
end

-- cuBLAS products against OpenBLAS in float64, through every layout the engine hands over
function T.matrix_products_match_cpu()
  torch.manualSeed(2)
  for _, tp in ipairs{'torch.DoubleTensor', 'torch.FloatTensor'} do
    local tol = tp == 'torch.DoubleTensor' and 1e-12 or 1e-4
    local A, B = torch.randn(33, 17):type(tp), torch.randn(17, 29):type(tp)
    local gA, gB = A:cuda(), B:cuda()
    if tp == 'torch.DoubleTensor' then gA, gB = A:type('torch.CudaDoubleTensor'), B:type('torch.CudaDoubleTensor') end
    local function rel(g, c) return (g:double():cpu() - c:double()):norm() / c:double():norm() end
    tester:assertlt(rel(torch.mm(gA, gB), torch.mm(A, B)), tol, tp .. ' mm')
    -- transposed operands (column-major views) and a transposed result tensor
    local At, Bt = A:t():clone(), B:t():clone()
    local gAt, gBt = gA:t():clone(), gB:t():clone()
    tester:assertlt(rel(torch.mm(gAt:t(), gBt:t()), torch.mm(A, B)), tol, tp .. ' mm of transposed views')
    local out = torch.mm(A, B):t():clone():type(gA:type())  -- 29x33, overwritten below
    torch.mm(out:t(), gA, gB)
    tester:assertlt(rel(out:t(), torch.mm(A, B)), tol, tp .. ' mm into a transposed result')
    -- a non-BLAS layout (every other column) is copied first
    local W = torch.randn(17, 58):type(tp)
    local gW = W:type(gA:type())
    tester:assertlt(rel(torch.mm(gA, gW[{{}, {1, 58, 2}}]), torch.mm(A, W[{{}, {1, 58, 2}}])), tol, tp .. ' strided')
    -- addmm with a broadcast bias, alpha and beta
    local M = torch.randn(29):type(tp)
    tester:assertlt(rel(torch.addmm(0.5, M:type(gA:type()), 2, gA, gB), torch.addmm(0.5, M, 2, A, B)), tol, tp .. ' addmm')
    -- batched forms
    local X, Y = torch.randn(5, 7, 4):type(tp), torch.randn(5, 4, 6):type(tp)
    local gX, gY = X:type(gA:type()), Y:type(gA:type())
    tester:assertlt(rel(torch.bmm(gX, gY), torch.bmm(X, Y)), tol, tp .. ' bmm')
    local C = torch.randn(7, 6):type(tp)
    tester:assertlt(rel(torch.addbmm(1, C:type(gA:type()), 1, gX, gY), torch.addbmm(1, C, 1, X, Y)), tol, tp .. ' addbmm')
    local D = torch.randn(5, 7, 6):type(tp)
    tester:assertlt(rel(torch.baddbmm(0.3, D:type(gA:type()), 1.5, gX, gY), torch.baddbmm(0.3, D, 1.5, X, Y)), tol, tp .. ' baddbmm')
    tester:assertlt(rel(gA * gB, A * B), tol, tp .. ' operator *')
  end
  -- a large product, to exercise cuBLAS's real kernels
  local A, B = torch.randn(1024, 512), torch.randn(512, 768)
  local g = torch.mm(A:cuda(), B:cuda())
  local ref = torch.mm(A:double(), B:double())
  tester:assertlt((g:double() - ref):norm() / ref:norm(), 1e-5, 'float32 1024x512x768 stays IEEE float32 (no TF32)')
  torch.cudaSynchronize()
end

function T.matrix_product_errors()
  local g = torch.randn(3, 3):cuda()
  tester:assertErrorPattern(function() torch.mm(g, torch.randn(3, 3)) end, 'mm', 'mixing devices')
  tester:assertErrorPattern(function() torch.mm(g, torch.randn(4, 3):cuda()) end, 'size mismatch', 'sizes')
  tester:assertErrorPattern(function() torch.mv(g, torch.randn(3)) end, 'different devices', 'mv mixing devices')
  tester:assertErrorPattern(function() torch.dot(g[1], torch.randn(3)) end, 'different devices', 'dot mixing devices')
  tester:assertErrorPattern(function() torch.mm(g, g:type('torch.CudaDoubleTensor')) end, 'same type', 'mixing types')
end

-- every product of linalg.c on the GPU against the CPU, float/double/half/bfloat16
function T.linalg_all_float_types()
  for _, dt in ipairs{'Float', 'Double', 'Half', 'BFloat16'} do
    torch.manualSeed(3)
    local ct, gt = types(dt)
    local tol = PTOL[dt]
    local function c(t) return t:type(ct) end
    local function g(t) return t:type(gt) end
    local A, B, M = c(torch.randn(33, 17)), c(torch.randn(17, 29)), c(torch.randn(33, 29))
    local x, y, v = c(torch.randn(17)), c(torch.randn(29)), c(torch.randn(33))
    local X, Y, D = c(torch.randn(5, 7, 4)), c(torch.randn(5, 4, 6)), c(torch.randn(5, 7, 6))
    local function chk(gr, cr, what) tester:assertlt(rel(gr, cr), tol, dt .. ' ' .. what) end
    chk(torch.mm(g(A), g(B)), torch.mm(A, B), 'mm')
    chk(torch.mm(g(B):t(), g(A):t()), torch.mm(B:t(), A:t()), 'mm of transposed views')
    chk(torch.addmm(0.5, g(M), 2, g(A), g(B)), torch.addmm(0.5, M, 2, A, B), 'addmm')
    chk(torch.addmm(g(y), g(A), g(B)), torch.addmm(y, A, B), 'addmm with a broadcast bias')
    chk(torch.bmm(g(X), g(Y)), torch.bmm(X, Y), 'bmm')
    chk(torch.baddbmm(0.3, g(D), 1.5, g(X), g(Y)), torch.baddbmm(0.3, D, 1.5, X, Y), 'baddbmm')
    chk(torch.addbmm(1, g(D[1]), 1, g(X), g(Y)), torch.addbmm(1, D[1], 1, X, Y), 'addbmm')
    chk(torch.mv(g(A), g(x)), torch.mv(A, x), 'mv')
    chk(torch.mv(g(B):t(), g(x)), torch.mv(B:t(), x), 'mv of a transposed matrix')
    chk(torch.addmv(2, g(v), 0.5, g(A), g(x)), torch.addmv(2, v, 0.5, A, x), 'addmv')
    chk(torch.ger(g(v), g(y)), torch.ger(v, y), 'ger')
    chk(torch.addr(0.5, g(M), 2, g(v), g(y)), torch.addr(0.5, M, 2, v, y), 'addr')
    chk(torch.matmul(g(A), g(B)), torch.matmul(A, B), 'matmul 2-D')
    chk(torch.matmul(g(x), g(B)), torch.matmul(x, B), 'matmul 1-D @ 2-D')
    chk(torch.matmul(g(A), g(x)), torch.matmul(A, x), 'matmul 2-D @ 1-D')
    chk(torch.matmul(g(X), g(Y[1])), torch.matmul(X, Y[1]), 'matmul 3-D @ 2-D (broadcast)')
    chk(torch.matmul(g(X), g(Y)), torch.matmul(X, Y), 'matmul 3-D @ 3-D')
    local d = torch.matmul(g(x), g(x))
    tester:assertlt(math.abs(d:double():item() - torch.matmul(x, x):double():item()), tol * 20, dt .. ' matmul 1-D @ 1-D')
    local dc, dg = torch.dot(x, x), torch.dot(g(x), g(x))
    tester:assertlt(math.abs(dg - dc) / math.abs(dc), tol, dt .. ' dot')
    dc, dg = torch.dot(A[{{}, 3}], A[{{}, 5}]), torch.dot(g(A)[{{}, 3}], g(A)[{{}, 5}])
    tester:assertlt(math.abs(dg - dc), tol * 40, dt .. ' dot of strided columns')
    dc, dg = torch.trace(M), torch.trace(g(M))
    tester:assertlt(math.abs(dg - dc), tol * 40, dt .. ' trace')
    tester:assertlt(math.abs(torch.trace(g(M):t()) - torch.trace(M:t())), tol * 40, dt .. ' trace of a transposed view')
    tester:eq(torch.diag(g(M)):double(), torch.diag(M):double(), 0, dt .. ' diag of a matrix')
    tester:eq(torch.diag(g(M), 2):double(), torch.diag(M, 2):double(), 0, dt .. ' diag k = 2')
    tester:eq(torch.diag(g(M), -3):double(), torch.diag(M, -3):double(), 0, dt .. ' diag k = -3')
    tester:eq(torch.diag(g(v)):double(), torch.diag(v):double(), 0, dt .. ' diag of a vector')
    tester:eq(torch.diag(g(v), -1):double(), torch.diag(v, -1):double(), 0, dt .. ' diag of a vector, k = -1')
    tester:eq(torch.tril(g(M)):double(), torch.tril(M):double(), 0, dt .. ' tril')
    tester:eq(torch.triu(g(M), 2):double(), torch.triu(M, 2):double(), 0, dt .. ' triu k = 2')
    tester:eq(torch.tril(g(D), -1):double(), torch.tril(D, -1):double(), 0, dt .. ' tril of a batch')
    if dt == 'Float' or dt == 'Double' then
      local a, b = c(torch.randn(4, 3, 5)), c(torch.randn(4, 3, 5))
      chk(torch.cross(g(a), g(b), 2), torch.cross(a, b, 2), 'cross')
    end
  end
end

-- integer products: a kernel, exact (wrapping as on the CPU)
function T.linalg_integer_types()
  for _, dt in ipairs{'Long', 'Int'} do
    local ct, gt = types(dt)
    local A = (torch.rand(21, 13) * 20 - 10):floor():type(ct)
    local B = (torch.rand(13, 9) * 20 - 10):floor():type(ct)
    local x = (torch.rand(13) * 20 - 10):floor():type(ct)
    tester:eq(torch.mm(A:type(gt), B:type(gt)):type(ct), torch.mm(A, B), 0, dt .. ' mm')
    tester:eq(torch.mm(B:type(gt):t(), A:type(gt):t()):type(ct), torch.mm(B:t(), A:t()), 0, dt .. ' mm transposed')
    tester:eq(torch.mv(A:type(gt), x:type(gt)):type(ct), torch.mv(A, x), 0, dt .. ' mv')
    tester:eq(torch.dot(x:type(gt), x:type(gt)), torch.dot(x, x), 0, dt .. ' dot')
    tester:eq(torch.trace(A:type(gt)), torch.trace(A), 0, dt .. ' trace')
    local X, Y = (torch.rand(3, 4, 5) * 10):floor():type(ct), (torch.rand(3, 5, 2) * 10):floor():type(ct)
    tester:eq(torch.bmm(X:type(gt), Y:type(gt)):type(ct), torch.bmm(X, Y), 0, dt .. ' bmm')
  end
end

-- products large enough for cuBLAS's real kernels, in half and bfloat16 (float32 compute)
function T.half_gemm_large()
  torch.manualSeed(4)
  local A, B = torch.randn(256, 384), torch.randn(384, 128)
  local ref = torch.mm(A:double(), B:double())
  for _, dt in ipairs{'Half', 'BFloat16'} do
    local _, gt = types(dt)
    local r = torch.mm(A:type(gt), B:type(gt))
    tester:eq(r:type(), gt, dt .. ' result type')
    tester:assertlt((r:double() - ref):norm() / ref:norm(), dt == 'Half' and 5e-3 or 2e-2, dt .. ' mm 256x384x128')
  end
end

function T.tf32_switch()
  tester:eq(torch.cuda.getTF32(), false, 'TF32 off by default')
  torch.manualSeed(5)
  local A, B = torch.randn(512, 512), torch.randn(512, 512)
  local ref = torch.mm(A:double(), B:double())
  local gA, gB = A:cuda(), B:cuda()
  local function err() local r = torch.mm(gA, gB); return (r:double() - ref):norm() / ref:norm() end
  tester:assertlt(err(), 1e-5, 'IEEE float32')
  torch.cuda.setTF32(true)
  tester:eq(torch.cuda.getTF32(), true, 'TF32 on')
  local e = err()
  torch.cuda.setTF32(false)
  tester:assertlt(e, 5e-3, 'TF32 stays close')
  tester:assertlt(err(), 1e-5, 'IEEE float32 again after setTF32(false)')
end

-- the caching allocator's statistics: a block counted while live, cached when freed,
-- reused for the same size, returned to the driver by emptyCache
function T.allocator_stats()
  collectgarbage(); collectgarbage()
  torch.cuda.synchronize()
  torch.cuda.emptyCache()
  local MB16 = 16 * 2 ^ 20
  local s0 = torch.cuda.memoryStats()
  tester:eq(s0.cached, 0, 'nothing cached after emptyCache')
  tester:eq(s0.reserved, s0.allocated + s0.cached, 'reserved = allocated + cached')
  local x = torch.CudaTensor(4, 1024, 1024)
  local s1 = torch.cuda.memoryStats()
  tester:assertge(s1.allocated - s0.allocated, MB16, 'allocated grows by 16 MiB')
  tester:assertge(s1.peak, s1.allocated, 'peak')
  tester:assertge(s1.mallocs, s0.mallocs + 1, 'a cudaMalloc')
  x = nil
  collectgarbage(); collectgarbage()
  local s2 = torch.cuda.memoryStats()
  tester:assertle(s2.allocated, s1.allocated - MB16, 'freed: allocated drops')
  tester:assertge(s2.cached, MB16, 'freed: the block is cached')
  tester:eq(s2.reserved, s2.allocated + s2.cached, 'reserved = allocated + cached')
  local y = torch.CudaTensor(4, 1024, 1024)
  local s3 = torch.cuda.memoryStats()
  tester:eq(s3.mallocs, s2.mallocs, 'the same size comes from the cache')
  tester:assertge(s3.cacheHits, s2.cacheHits + 1, 'a cache hit')
  y = nil
  collectgarbage(); collectgarbage()
  torch.cuda.emptyCache()
  local s4 = torch.cuda.memoryStats()
  tester:eq(s4.cached, 0, 'emptyCache empties the cache')
  tester:assertgt(s4.frees, s3.frees, 'cudaFree calls')
  tester:eq(s4.reserved, s4.allocated, 'nothing reserved beyond the live blocks')
  -- thousands of live blocks of many sizes: the free lists stay fast
  local t0 = os.clock()
  local keep = {}
  for i = 1, 4000 do keep[i] = torch.CudaTensor(1 + (i % 300) * 7) end
  keep = nil
  collectgarbage(); collectgarbage()
  for i = 1, 4000 do keep = torch.CudaTensor(1 + (i % 300) * 7) end
  tester:assertlt(os.clock() - t0, 5, '8000 allocations in under 5 s')
  local free, total = torch.cuda.memoryUsage()
  tester:assertgt(total, 0, 'total memory')
  tester:assert(free > 0 and free <= total, 'free memory')
  torch.cuda.resetPeakMemoryStats()
  local s5 = torch.cuda.memoryStats()
  tester:eq(s5.peak, s5.allocated, 'resetPeakMemoryStats')
end

function T.out_of_memory_is_a_lua_error()
  local ok, err = pcall(function() return torch.CudaTensor(1e12) end)   -- 4 TB
  tester:assert(not ok, 'an absurd allocation fails')
  tester:assert(tostring(err):find('out of memory', 1, true), 'the message says out of memory: ' .. tostring(err))
  tester:assert(tostring(err):find('MiB on device 1', 1, true), 'it names the size and the device: ' .. tostring(err))
  -- the session goes on
  local z = torch.CudaTensor(1000):fill(2)
  tester:eq(z:float(), torch.FloatTensor(1000):fill(2), 0, 'GPU work after the error')
  tester:eq(torch.mm(torch.ones(2, 2):cuda(), torch.ones(2, 2):cuda()):float(), torch.FloatTensor(2, 2):fill(2), 0, 'cuBLAS after the error')
end

-- 64 MiB through the page-locked staging buffers, both ways, with a chunk left over
function T.large_copies_round_trip()
  torch.manualSeed(6)
  local x = torch.rand(16 * 2 ^ 20 + 12345)
  local g = x:cuda()
  local back = g:float()
  tester:eq((back - x):abs():max(), 0, '64 MiB float32 round trip')
  local d = torch.rand(3 * 2 ^ 20 + 7):double()
  tester:eq((d:cuda():double() - d):abs():max(), 0, '24 MiB float64 round trip')
  -- a non-contiguous source and destination
  local m = torch.rand(2048, 1024)
  local gm = m:t():cuda()
  tester:eq((gm:float() - m:t()):abs():max(), 0, 'transposed source')
  local dst = torch.FloatTensor(1024, 2048)
  local src = torch.rand(2048, 1024)
  dst:t():copy(src:cuda())
  tester:eq((dst:t() - src):abs():max(), 0, 'into a transposed destination')
  -- kernels queued before a copy to the host are complete when it reads
  local big = torch.CudaTensor(16 * 2 ^ 20):fill(3)
  big:mul(2)
  tester:eq(big:float():max(), 6, 'the copy sees the kernels queued before it')
  -- small copies, directly
  tester:eq(torch.Tensor{1, 2, 3}:cuda():float(), torch.FloatTensor{1, 2, 3}, 0, 'a small copy')
end

function T.torch_cuda_functions()
  tester:assert(torch.cuda.isAvailable(), 'isAvailable')
  tester:assertge(torch.cuda.deviceCount(), 1, 'deviceCount')
  tester:eq(torch.cuda.deviceCount(), torch.cudaDeviceCount(), 'torch.cudaDeviceCount')
  tester:eq(torch.cuda.getDevice(), 1, 'device 1 by default')
  torch.cuda.setDevice(1)
  tester:eq(torch.cuda.getDevice(), 1, 'getDevice')
  tester:assertErrorPattern(function() torch.cuda.setDevice(torch.cuda.deviceCount() + 1) end, 'does not exist', 'a device that does not exist')
  torch.cuda.synchronize()
  torch.cuda.synchronize(1)
  torch.cudaSynchronize()
  local free, total = torch.cuda.memoryUsage(1)
  tester:assert(free > 0 and total >= free, 'memoryUsage')
  local st = torch.cuda.memoryStats(1)
  for _, k in ipairs{'allocated', 'peak', 'cached', 'reserved', 'mallocs', 'frees', 'cacheHits'} do
    tester:eq(math.type(st[k]), 'integer', 'memoryStats.' .. k)
  end
  local p = torch.cuda.getDeviceProperties(1)
  tester:eq(type(p.name), 'string', 'device name')
  tester:assertgt(p.totalGlobalMem, 0, 'totalGlobalMem')
  torch.cuda.manualSeed(42)
  local a = torch.rand(5)
  torch.manualSeed(42)
  tester:eq(torch.rand(5), a, 0, 'torch.cuda.manualSeed is torch.manualSeed')
  -- types and conversions
  local x = torch.Tensor{{1, 2}, {3, 4}}
  tester:eq(x:cuda():type(), 'torch.CudaTensor', ':cuda()')
  tester:eq(x:cuda(1):type(), 'torch.CudaTensor', ':cuda(1)')
  tester:eq(x:cuda():cpu():type(), 'torch.FloatTensor', ':cpu()')
  tester:eq(x:cuda():float(), x, 0, ':float()')
  tester:eq(x:type('torch.CudaTensor'):type(), 'torch.CudaTensor', ":type('torch.CudaTensor')")
  tester:eq(x:double():cuda():type(), 'torch.CudaDoubleTensor', 'double:cuda()')
  local e = torch.CudaTensor(3, 4)
  tester:eq(e:type(), 'torch.CudaTensor', 'torch.CudaTensor(3, 4)')
  tester:eq(e:size(1) * 10 + e:size(2), 34, 'its size')
  tester:eq(torch.CudaLongTensor(2):type(), 'torch.CudaLongTensor', 'torch.CudaLongTensor')
  tester:eq(torch.CudaHalfTensor(2):type(), 'torch.CudaHalfTensor', 'torch.CudaHalfTensor')
  tester:eq(torch.CudaDoubleTensor(2):type(), 'torch.CudaDoubleTensor', 'torch.CudaDoubleTensor')
  tester:assertErrorPattern(function() return x:cuda(99) end, 'does not exist', ':cuda(99)')
end

function T.cutorch_and_cunn()
  local cutorch = require 'cutorch'
  tester:eq(cutorch.getDeviceCount(), torch.cuda.deviceCount(), 'cutorch.getDeviceCount')
  cutorch.setDevice(1)
  tester:eq(cutorch.getDevice(), 1, 'cutorch.getDevice')
  cutorch.synchronize()
  local free, total = cutorch.getMemoryUsage(1)
  tester:assert(free > 0 and total >= free, 'cutorch.getMemoryUsage')
  local p = cutorch.getDeviceProperties(1)
  tester:eq(type(p.name), 'string', 'getDeviceProperties name')
  tester:assertgt(p.totalGlobalMem, 0, 'getDeviceProperties totalGlobalMem')
  cutorch.manualSeed(9)
  local a = torch.rand(3)
  torch.manualSeed(9)
  tester:eq(torch.rand(3), a, 0, 'cutorch.manualSeed')
  local cunn = require 'cunn'
  tester:assert(cunn == nn, 'cunn is nn')
  local m = nn.Linear(3, 2):cuda()
  tester:eq(m.weight:type(), 'torch.CudaTensor', 'Linear:cuda() weight')
  tester:eq(m.gradWeight:type(), 'torch.CudaTensor', 'Linear:cuda() gradWeight')
  tester:eq(m:forward(torch.randn(4, 3):cuda()):type(), 'torch.CudaTensor', 'forward on the GPU')
end

-- Module:type: parameters, gradients, buffers; integer buffers (indices) follow the
-- device keeping their dtype; getParameters flattens by storage on the GPU
function T.module_type_conversion()
  local m = nn.Sequential():add(nn.Linear(4, 3)):add(nn.Tanh()):add(nn.Linear(3, 2))
  m.modules[1].indices = torch.LongTensor{1, 2, 3}
  m:cuda()
  tester:eq(m.modules[1].weight:type(), 'torch.CudaTensor', 'weight')
  tester:eq(m.modules[3].gradBias:type(), 'torch.CudaTensor', 'gradBias')
  tester:eq(m.modules[1].indices:type(), 'torch.CudaLongTensor', 'an index buffer goes to the GPU as Long')
  local p, g = m:getParameters()
  tester:eq(p:type(), 'torch.CudaTensor', 'flat parameters on the GPU')
  tester:eq(p:nElement(), 4 * 3 + 3 + 3 * 2 + 2, 'their count')
  tester:eq(g:type(), 'torch.CudaTensor', 'flat gradients on the GPU')
  p:fill(0.25)
  tester:eq(m.modules[3].weight:float(), torch.FloatTensor(2, 3):fill(0.25), 0, 'the weights are views of the flat tensor')
  m:float()
  tester:eq(m.modules[1].weight:type(), 'torch.FloatTensor', 'back to the CPU')
  tester:eq(m.modules[1].indices:type(), 'torch.LongTensor', 'the index buffer back as LongTensor')
  m:cuda():half()
  tester:eq(m.modules[1].weight:type(), 'torch.CudaHalfTensor', ':cuda():half()')
  m:bfloat16()
  tester:eq(m.modules[1].weight:type(), 'torch.CudaBFloat16Tensor', ':bfloat16() on the GPU')
  local c = nn.MSECriterion():cuda()
  tester:assert(c ~= nil, 'criterion:cuda()')
end

-- an MLP trained for 20 steps of SGD on the GPU gives the CPU's losses
function T.mlp_training_matches_cpu()
  local optim = require 'optim'
  torch.manualSeed(7)
  local cpu = nn.Sequential():add(nn.Linear(10, 16)):add(nn.Tanh()):add(nn.Linear(16, 8)):add(nn.ReLU()):add(nn.Linear(8, 3))
  local gpu = cpu:clone():cuda()
  local crit, gcrit = nn.MSECriterion(), nn.MSECriterion():cuda()
  local X, Y = torch.randn(32, 10), torch.randn(32, 3)
  local gX, gY = X:cuda(), Y:cuda()
  local p, dp = cpu:getParameters()
  local gp, gdp = gpu:getParameters()
  tester:eq(gp:type(), 'torch.CudaTensor', 'flat parameters on the GPU')
  tester:eq(gp:float(), p, 0, 'the same start')
  local sc, sg = { learningRate = 0.05, momentum = 0.9 }, { learningRate = 0.05, momentum = 0.9 }
  for i = 1, 20 do
    local lc, lg
    optim.sgd(function()
      dp:zero()
      local out = cpu:forward(X)
      lc = crit:forward(out, Y)
      cpu:backward(X, crit:backward(out, Y))
      return lc, dp
    end, p, sc)
    optim.sgd(function()
      gdp:zero()
      local out = gpu:forward(gX)
      lg = gcrit:forward(out, gY)
      gpu:backward(gX, gcrit:backward(out, gY))
      return lg, gdp
    end, gp, sg)
    tester:assertlt(math.abs(lc - lg), 1e-4, 'loss at step ' .. i)
  end
  tester:assertlt((gp:float() - p):abs():max(), 1e-4, 'the parameters after 20 steps')
  -- adam too
  local sa, sb = { learningRate = 0.01 }, { learningRate = 0.01 }
  for _ = 1, 3 do
    optim.adam(function() return 0, dp end, p, sa)
    optim.adam(function() return 0, gdp end, gp, sb)
  end
  tester:assertlt((gp:float() - p):abs():max(), 1e-4, 'adam on GPU parameters')
end

-- a float16 / bfloat16 Linear on the GPU runs its product in cuBLAS, close to float32
function T.half_linear_forward()
  torch.manualSeed(8)
  local lin = nn.Linear(64, 32)
  local x = torch.randn(16, 64)
  local ref = lin:forward(x):detach():clone()
  for _, tp in ipairs{'half', 'bfloat16'} do
    local h = lin:clone():cuda()
    h = h[tp](h)
    local want = tp == 'half' and 'torch.CudaHalfTensor' or 'torch.CudaBFloat16Tensor'
    tester:eq(h.weight:type(), want, tp .. ' weights')
    local out = h:forward(x:type(want)):detach()
    tester:eq(out:type(), want, tp .. ' output')
    tester:assertlt((out:float() - ref):abs():max(), tp == 'half' and 2e-2 or 1e-1, tp .. ' close to float32')
  end
end

-- a :half() / :bfloat16() convolutional classifier trains on the GPU: every op of its
-- forward and backward (conv, pooling, batch norm, ReLU, linear, log-softmax, NLL) runs in
-- 16-bit storage, and the loss falls as it does in float32
function T.half_and_bfloat16_models_train()
  torch.manualSeed(12)
  local X = torch.randn(64, 1, 8, 8)
  local Y = torch.LongTensor(64)
  for i = 1, 64 do Y[i] = X[i]:sum() > 0 and 1 or 2 end   -- a learnable rule
  local net0 = nn.Sequential():add(nn.SpatialConvolution(1, 4, 3, 3, 1, 1, 1, 1)):add(nn.SpatialBatchNormalization(4))
    :add(nn.ReLU()):add(nn.SpatialMaxPooling(2, 2, 2, 2)):add(nn.View(4 * 4 * 4)):add(nn.Linear(64, 2)):add(nn.LogSoftMax())
  local function train(net, tp)
    local crit = nn.ClassNLLCriterion():cuda()
    local x, y = X:cuda():type(tp), Y:cuda()
    local first, last
    for step = 1, 60 do
      net:zeroGradParameters()
      local out = net:forward(x)
      local loss = crit:forward(out, y)
      net:backward(x, crit:backward(out, y))
      net:updateParameters(0.1)
      loss = torch.isTensor(loss) and loss:float():sum() or loss
      first = first or loss
      last = loss
    end
    return first, last
  end
  local f32a, f32b = train(net0:clone():cuda(), 'torch.CudaTensor')
  tester:assertlt(f32b, f32a * 0.5, 'float32 reference model learns')
  for _, tp in ipairs{'half', 'bfloat16'} do
    local net = net0:clone():cuda()
    net = net[tp](net)
    local want = tp == 'half' and 'torch.CudaHalfTensor' or 'torch.CudaBFloat16Tensor'
    tester:eq(net.modules[1].weight:type(), want, tp .. ' parameters')
    local a, b = train(net, want)
    tester:assert(b == b, tp .. ' loss is a number')
    tester:assertlt(math.abs(a - f32a), tp == 'half' and 0.02 or 0.1, tp .. ' first loss close to float32')
    tester:assertlt(b, a * 0.5, tp .. ' model learns (loss ' .. a .. ' -> ' .. b .. ')')
  end
end

function T.save_load_cuda_tensor()
  local g = torch.randn(3, 4):cuda()
  local gd = torch.randn(5):double():cuda()
  local s = torch.serialize({ a = g, b = gd, c = g })
  tester:assert(s:find('torch.CudaTensor', 1, true), 'the Torch7 class name is written')
  tester:assert(s:find('torch.CudaDoubleTensor', 1, true), 'torch.CudaDoubleTensor')
  local r = torch.deserialize(s)
  tester:eq(r.a:type(), 'torch.CudaTensor', 'loads back on the GPU')
  tester:eq(r.b:type(), 'torch.CudaDoubleTensor', 'double loads back on the GPU')
  tester:eq(r.a:float(), g:float(), 0, 'values')
  tester:eq(r.b:double(), gd:double(), 0, 'double values')
  tester:assert(r.a == r.c, 'a tensor saved twice loads as one')
  local f = os.tmpname()
  torch.save(f, g:t())
  local back = torch.load(f)
  os.remove(f)
  tester:eq(back:type(), 'torch.CudaTensor', 'torch.save/torch.load of a transposed view')
  tester:eq(back:float(), g:t():float(), 0, 'its values')
end

tester:add(T)
return tester
