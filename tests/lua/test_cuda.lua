-- The CUDA backend: every test compares the GPU's result with the CPU's. Skipped (with
-- the reason) where no GPU is present.
local tester = torch.Tester()
local ok, why = torch.cudaAvailable()
if not ok then
  tester.skipReason = 'no GPU: ' .. tostring(why)
  return tester
end
local T = torch.TestSuite()

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
  tester:assertErrorPattern(function() torch.mm(g:type('torch.CudaLongTensor'), g:type('torch.CudaLongTensor')) end, 'mm', 'integer product on the GPU')
  tester:assertErrorPattern(function() torch.mm(g, torch.randn(4, 3):cuda()) end, 'size mismatch', 'sizes')
end

tester:add(T)
return tester
