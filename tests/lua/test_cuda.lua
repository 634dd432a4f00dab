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

tester:add(T)
return tester
