-- The NCCL backend, run under mpirun by tests/dist/run.sh:
--   th tests/dist/nccl.lua         backend 'nccl'. Without a GPU: init's clear error (and
--                                  the process can still use 'mpi' afterwards). With GPUs
--                                  (1 rank, and 2 where there are 2): every collective on
--                                  CUDA Float/Double/Half/Long tensors against values
--                                  computed on the CPU, and the errors.
--   th tests/dist/nccl.lua mpi     backend 'mpi' with a GPU: CUDA tensors are refused.
-- Prints "ok NAME" or "not ok NAME: rank R: why" per check on each rank, and "done rank R"
-- at the end; run.sh counts a check as passed when every rank printed "ok" for it.
-- LT_NCCL_TEST_ON_CPU=1 runs the GPU checks on backend 'mpi' with CPU tensors instead
-- (checks this script's expectations where there is no GPU; the Half reductions then fail).
local torch = require 'torch'
local d = require 'distributed'

local mode = arg[1] or 'nccl'
local r = tonumber(os.getenv('OMPI_COMM_WORLD_RANK') or os.getenv('PMI_RANK') or '0')
local on_cpu = os.getenv('LT_NCCL_TEST_ON_CPU') == '1'

local here = debug.getinfo(1, 'S').source:match('^@(.*)/[^/]*$') or 'tests/dist'
-- eq(a, b): a and b of the same size with the same values (b may be on the CPU)
local check, eq, errors = dofile(here .. '/util.lua')(r, { any_type = true })
local function done() print('done rank ' .. r); io.stdout:flush() end

local has_gpu = torch.cuda.isAvailable()

-- ---- backend 'mpi' refuses CUDA tensors ----
if mode == 'mpi' then
  d.init{ backend = 'mpi', timeout = 30 }
  check('mpi refuses CUDA tensors', function()
    errors("bad argument #1 to 'distributed.allReduce' (CPU tensor expected for backend 'mpi', got torch.CudaTensor",
      function() d.allReduce(torch.CudaTensor(2):fill(1)) end)
    errors("bad argument #1 to 'distributed.broadcast' (CPU tensor expected for backend 'mpi', got torch.CudaLongTensor",
      function() d.broadcast(torch.CudaLongTensor(2), 0) end)
  end)
  d.finalize()
  done()
  return
end

-- ---- no GPU: init says so, and leaves nothing behind ----
if not has_gpu and not on_cpu then
  check('nccl missing or unloadable', function()
    local cpath = package.cpath
    package.cpath = '/nonexistent/?.so'
    local ok, err = pcall(d.init, { backend = 'nccl' })
    -- a file that is not a library where distributed/nccl.so is looked for
    local dir = os.tmpname()
    os.remove(dir)
    os.execute("mkdir -p '" .. dir .. "/distributed' && echo x > '" .. dir .. "/distributed/nccl.so'")
    package.cpath = dir .. '/?.so'
    local ok2, err2 = pcall(d.init, { backend = 'nccl' })
    package.cpath = cpath
    os.execute("rm -rf '" .. dir .. "'")
    assert(not ok and err:find("distributed.init: luatorch was built without NCCL", 1, true), tostring(err))
    assert(not ok2 and err2:find("distributed.init: the NCCL backend (" .. dir .. "/distributed/nccl.so) could not be loaded", 1, true),
      tostring(err2))
    assert(not d.isInitialized())
  end)
  check('nccl init without a GPU', function()
    errors("distributed.init: backend 'nccl' needs a CUDA device, and this process has none",
      function() d.init{ backend = 'nccl' } end)
    assert(not d.isInitialized() and d.backend() == nil, 'not initialized after the error')
  end)
  check('nccl.so checks for a device itself', function()
    local core = require 'distributed.nccl'
    errors("distributed.init: backend 'nccl' needs a CUDA device, and this process has none", core.init)
    errors('distributed.allReduce: distributed.init has not been called',
      function() core.allreduce('distributed.allReduce', torch.FloatTensor(2), 'sum') end)
    core.settimeout(7); assert(core.gettimeout() == 7)
  end)
  check('mpi works after the failed nccl init', function()
    local rank, size = d.init{ backend = 'mpi', timeout = 30 }
    assert(rank == r and d.backend() == 'mpi')
    local t = torch.FloatTensor{ 1, 2 }
    d.allReduce(t)
    eq(t, torch.FloatTensor{ size, 2 * size })
    d.finalize()
  end)
  done()
  return
end

-- ---- with a GPU: every collective ----
local cuda = function(ty) return ty end
local backend = 'nccl'
if on_cpu then
  backend = 'mpi'
  local cpu = { ['torch.CudaTensor'] = 'torch.FloatTensor' }
  cuda = function(ty) return cpu[ty] or ty:gsub('^torch%.Cuda', 'torch.') end
end
local rank, n = d.init{ backend = backend, timeout = 60 }
check('rank, size and device', function()
  assert(rank == r and n == tonumber(os.getenv('OMPI_COMM_WORLD_SIZE') or '1'), 'rank and size from mpirun')
  assert(d.backend() == backend and d.isInitialized())
  if not on_cpu then
    local lrank = tonumber(os.getenv('OMPI_COMM_WORLD_LOCAL_RANK') or r)
    local want = lrank % torch.cuda.deviceCount() + 1
    assert(torch.cuda.getDevice() == want, 'current device ' .. torch.cuda.getDevice() .. ', expected ' .. want)
  end
end)

local tri = n * (n + 1) // 2
-- 1..12 as a 3x4 tensor of type ty (made on the CPU, moved); its transposed view when tr
local function base(ty, tr)
  local t = torch.range(1, 12):view(3, 4):type(ty)
  if tr then t = t:t() end
  return t
end
-- the same on the CPU (double): the expected values
local function want(tr)
  local t = torch.range(1, 12):view(3, 4)
  if tr then t = t:t() end
  return t
end
for _, gty in ipairs { 'torch.CudaTensor', 'torch.CudaDoubleTensor', 'torch.CudaHalfTensor', 'torch.CudaLongTensor' } do
  local ty = cuda(gty)
  local short = gty:match('torch%.(%a+)Tensor')
  for _, tr in ipairs { false, true } do
    local tag = short .. (tr and ' transposed' or '')
    check('allReduce sum ' .. tag, function()
      local t = base(ty, tr):mul(r + 1)
      assert(d.allReduce(t) == t, 'returns t')
      assert(t:type() == ty, 'same type')
      eq(t, want(tr):mul(tri))
      if tr then assert(not t:isContiguous(), 'still the same view') end
    end)
    check('allReduce max and min ' .. tag, function()
      local t = base(ty, tr):mul(r + 1)
      d.allReduce(t, 'max'); eq(t, want(tr):mul(n))
      local u = base(ty, tr):mul(r + 1)
      d.allReduce(u, 'min'); eq(u, want(tr))
    end)
    check('broadcast ' .. tag, function()
      local root = n - 1
      local t = base(ty, tr):add(r)
      assert(d.broadcast(t, root) == t)
      eq(t, want(tr):add(root))
    end)
    check('reduce ' .. tag, function()
      local root = 1 % n
      local t = base(ty, tr):mul(r + 1)
      d.reduce(t, root)
      if r == root then eq(t, want(tr):mul(tri)) else eq(t, want(tr):mul(r + 1), 'non-root unchanged') end
    end)
    check('allGather ' .. tag, function()
      local t = base(ty, tr):add(10 * r)
      local all = d.allGather(t)
      assert(all:type() == ty, 'result of the same type, got ' .. all:type())
      assert(all:dim() == 3 and all:size(1) == n, 'size n x sizes')
      for k = 0, n - 1 do eq(all[k + 1], want(tr):add(10 * k)) end
      local res = torch.Tensor():type(ty)
      assert(d.allGather(t, res) == res)
      eq(res, all)
    end)
  end
end

check('allReduce and reduce mean (Float, Double)', function()
  for _, gty in ipairs { 'torch.CudaTensor', 'torch.CudaDoubleTensor' } do
    local t = base(cuda(gty)):mul(r + 1)
    d.allReduce(t, 'mean'); eq(t, want():mul((n + 1) / 2))
    local u = base(cuda(gty)):mul(r + 1)
    d.reduce(u, 0, 'mean')
    if r == 0 then eq(u, want():mul((n + 1) / 2)) end
  end
end)
check('Int, Char, Byte and BFloat16 reductions', function()
  for _, gty in ipairs { 'torch.CudaIntTensor', 'torch.CudaCharTensor', 'torch.CudaByteTensor', 'torch.CudaBFloat16Tensor' } do
    local t = base(cuda(gty)):add(r)
    d.allReduce(t, 'max'); eq(t, want():add(n - 1), gty)
    local u = base(cuda(gty))
    d.allReduce(u); eq(u, want():mul(n), gty)
  end
end)
check('Short and Bool move as bytes; reducing them is an error', function()
  local s = torch.range(-3, 4):type(cuda('torch.CudaShortTensor')):add(1000 * r)
  d.broadcast(s, 0); eq(s, torch.range(-3, 4))
  local g = d.allGather(torch.ShortTensor{ -300 - r, 300 + r }:type(cuda('torch.CudaShortTensor')))
  for k = 0, n - 1 do eq(g[k + 1], torch.DoubleTensor{ -300 - k, 300 + k }) end
  local b = torch.ByteTensor{ 1, 0, r % 2 }:type(cuda('torch.CudaBoolTensor'))
  d.broadcast(b, 0); eq(b, torch.DoubleTensor{ 1, 0, 0 })
  if not on_cpu then
    errors("distributed.allReduce: reductions of Short tensors are not supported by backend 'nccl'",
      function() d.allReduce(torch.CudaShortTensor(2)) end)
    errors("distributed.reduce: reductions of Bool tensors are not supported by backend 'nccl'",
      function() d.reduce(torch.CudaBoolTensor(2), 0, 'max') end)
  end
end)
check('large tensor, ordered with the kernels around it', function()
  local m = 1000003
  local c = torch.FloatTensor(m):fill(r + 0.5)
  c[m] = r
  local t = c:type(cuda('torch.CudaTensor'))
  d.allReduce(t)
  t:mul(2)                        -- queued after the collective on the same stream
  local want_v = 2 * (tri - n / 2)
  local h = t:double()
  assert(math.abs(h[1] - want_v) < 1e-3 and math.abs(h[m // 2] - want_v) < 1e-3, 'value ' .. h[1])
  assert(h[m] == (n - 1) * n, 'last ' .. h[m])
  local big = torch.Tensor(m):type(cuda('torch.CudaDoubleTensor')):fill(r)
  d.broadcast(big, 0); assert(big:double():sum() == 0)
end)
check('0-dim, empty and narrowed tensors', function()
  local s = torch.matmul(torch.DoubleTensor{ r + 1 }, torch.DoubleTensor{ 1 }):type(cuda('torch.CudaDoubleTensor'))
  d.allReduce(s); assert(s:dim() == 0 and s:double():item() == tri, '0-dim')
  local e = torch.Tensor(0):type(cuda('torch.CudaTensor'))
  d.allReduce(e); assert(e:nElement() == 0)
  local whole = torch.Tensor(10):type(cuda('torch.CudaTensor')):fill(-1)
  whole:narrow(1, 3, 4):fill(r + 1)
  d.allReduce(whole:narrow(1, 3, 4))
  local h = whole:double()
  assert(h[2] == -1 and h[3] == tri and h[6] == tri and h[7] == -1, 'only the view changes')
end)
check('barrier', function() d.barrier(); d.barrier() end)

check('CPU tensors are refused', function()
  if on_cpu then return end
  errors("bad argument #1 to 'distributed.allReduce' (CUDA tensor expected for backend 'nccl', got torch.FloatTensor",
    function() d.allReduce(torch.FloatTensor(2)) end)
  errors("bad argument #2 to 'distributed.allGather' (CUDA tensor expected for backend 'nccl', got torch.FloatTensor",
    function() d.allGather(torch.CudaTensor(2), torch.FloatTensor()) end)
  -- the C module's own check, past init.lua's
  local core = require 'distributed.nccl'
  errors("bad argument #1 to 'distributed.allReduce' (CUDA tensor expected for backend 'nccl', got a CPU tensor)",
    function() core.allreduce('distributed.allReduce', torch.FloatTensor(2), 'sum') end)
end)
if not on_cpu and torch.cuda.deviceCount() >= 2 then
  check('a tensor on another device is refused', function()
    local mine = torch.cuda.getDevice()
    local other = mine % torch.cuda.deviceCount() + 1
    torch.cuda.setDevice(other)
    local x = torch.CudaTensor(4):fill(1)
    torch.cuda.setDevice(mine)
    errors(("a tensor on CUDA device %d, this rank's device, expected; got one on device %d"):format(mine, other),
      function() d.allReduce(x) end)
  end)
end
if n >= 2 then
  check('ranks that disagree on shapes get an error, not a hang', function()
    local t = torch.Tensor(r == 0 and 3 or 4):type(cuda('torch.CudaTensor')):fill(1)
    errors('distributed.allReduce: ranks disagree on the tensor: rank 0 has a FloatTensor of size 3, rank 1 has a FloatTensor of size 4',
      function() d.allReduce(t) end)
    local v = torch.Tensor(1):type(cuda('torch.CudaTensor')):fill(1)
    d.allReduce(v); assert(v:double()[1] == n, 'the job goes on')
  end)
end
check('broadcastParameters and allReduceGradients on a network', function()
  require 'nn'
  torch.manualSeed(10 + r)
  local net = nn.Sequential():add(nn.Linear(5, 7)):add(nn.Tanh()):add(nn.Linear(7, 2))
  if not on_cpu then net:cuda() end
  local p = net:parameters()
  -- (parameters require grad: their max() would be a tensor, so compare plain copies)
  local function plain(t) return torch.noGrad(function() return t:double():clone() end) end
  local first = plain(p[1])
  d.broadcastParameters(net)
  local all = d.allGather(p[1]:contiguous())
  for k = 1, n do
    assert(all[k]:double():add(-1, all[1]:double()):abs():max() == 0, 'rank ' .. (k - 1) .. ' is not rank 0\'s')
  end
  if r == 0 then assert(plain(p[1]):add(-1, first):abs():max() == 0, 'rank 0 kept its own') end
  for _, mb in ipairs { 25, 1e-4 } do           -- in place; in several buckets
    local _, g = net:parameters()
    for i, t in ipairs(g) do t:fill((r + 1) * i) end
    d.allReduceGradients(net, { bucketMB = mb })
    for i, t in ipairs(g) do
      local v = t:double()
      assert(v:min() == i * (n + 1) / 2 and v:max() == i * (n + 1) / 2, ('gradient %d, bucketMB %g: %g'):format(i, mb, v:max()))
    end
  end
end)
check('bad arguments', function()
  errors("bad argument #2 to 'distributed.broadcast' (root rank in [0, " .. (n - 1) .. "] expected, got " .. n,
    function() d.broadcast(torch.Tensor(2):type(cuda('torch.CudaTensor')), n) end)
  errors("op 'mean' needs a FloatTensor or DoubleTensor", function() d.allReduce(torch.Tensor(2):type(cuda('torch.CudaLongTensor')), 'mean') end)
  errors('distributed.init: already initialized', function() d.init{ backend = 'nccl' } end)
end)

d.finalize()
check('finalize', function()
  assert(not d.isInitialized())
  errors('distributed.allReduce: distributed.init has not been called', function() d.allReduce(torch.FloatTensor(1)) end)
end)
done()
