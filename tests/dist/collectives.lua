-- Run under mpirun by tests/dist/run.sh (2 and 3 ranks): every collective of
-- distributed, checked on each rank against values the rank computes alone.
-- Prints "ok NAME" or "not ok NAME: why" per check on each rank; run.sh counts a check
-- as passed when every rank printed "ok" for it.
local torch = require 'torch'
local d = require 'distributed'

local r, n = d.init{ backend = 'mpi', timeout = 20 }

local here = debug.getinfo(1, 'S').source:match('^@(.*)/[^/]*$') or 'tests/dist'
local check, eq, errors = dofile(here .. '/util.lua')(r)

check('rank and size', function()
  assert(d.rank() == r and d.size() == n and n == tonumber(os.getenv('OMPI_COMM_WORLD_SIZE')))
  assert(r == tonumber(os.getenv('OMPI_COMM_WORLD_RANK')), 'rank is 0-based, as the launcher\'s')
  assert(torch.distributed == d and d.isInitialized() and d.backend() == 'mpi')
end)

local types = { 'torch.FloatTensor', 'torch.DoubleTensor', 'torch.IntTensor', 'torch.LongTensor', 'torch.ByteTensor' }
local tri = n * (n + 1) // 2
-- base: 1..12 as a 3x4 tensor of type ty; a transposed (non-contiguous) 4x3 view when tr
local function base(ty, tr)
  local t = torch.range(1, 12):view(3, 4):type(ty)
  if tr then t = t:t() end
  return t
end
for _, ty in ipairs(types) do
  local short = ty:match('torch%.(%a+)Tensor')
  for _, tr in ipairs { false, true } do
    local tag = short .. (tr and ' transposed' or '')
    check('allReduce sum ' .. tag, function()
      local t = base(ty, tr):mul(r + 1)
      local same = t
      assert(d.allReduce(t) == same, 'returns t')
      eq(t, base(ty, tr):mul(tri))
      if tr then assert(not t:isContiguous(), 'still the same view') end
    end)
    check('allReduce max ' .. tag, function()
      local t = base(ty, tr):mul(r + 1)
      d.allReduce(t, 'max'); eq(t, base(ty, tr):mul(n))
    end)
    check('allReduce min ' .. tag, function()
      local t = base(ty, tr):mul(r + 1)
      d.allReduce(t, 'min'); eq(t, base(ty, tr))
    end)
    check('broadcast ' .. tag, function()
      local root = n - 1
      local t = base(ty, tr):add(r)
      assert(d.broadcast(t, root) == t)
      eq(t, base(ty, tr):add(root))
    end)
    check('reduce ' .. tag, function()
      local root = 1 % n
      local t = base(ty, tr):mul(r + 1)
      d.reduce(t, root)
      if r == root then eq(t, base(ty, tr):mul(tri)) else eq(t, base(ty, tr):mul(r + 1), 'non-root unchanged') end
    end)
    check('allGather ' .. tag, function()
      local t = base(ty, tr):add(10 * r)
      local all = d.allGather(t)
      assert(all:dim() == 3 and all:size(1) == n, 'size n x sizes')
      for k = 0, n - 1 do eq(all[k + 1], base(ty, tr):add(10 * k)) end
      local res = torch.Tensor():type(ty)
      assert(d.allGather(t, res) == res)
      eq(res, all)
    end)
  end
end

check('allReduce mean', function()
  for _, ty in ipairs { 'torch.FloatTensor', 'torch.DoubleTensor' } do
    local t = base(ty):mul(r + 1)
    d.allReduce(t, 'mean'); eq(t, base(ty):mul((n + 1) / 2))
  end
end)
check('reduce mean and max', function()
  local t = base('torch.DoubleTensor'):mul(r + 1)
  d.reduce(t, 0, 'mean')
  if r == 0 then eq(t, base('torch.DoubleTensor'):mul((n + 1) / 2)) end
  local u = torch.LongTensor{ r, -r, 7 }
  d.reduce(u, 0, 'max')
  if r == 0 then eq(u, torch.LongTensor{ n - 1, 0, 7 }) end
end)
check('large float tensor (several MB, rank-dependent values)', function()
  local m = 1000003
  local t = torch.FloatTensor(m):fill(r + 0.5)
  t[m] = r
  d.allReduce(t)
  local want = tri - n / 2
  assert(math.abs(t[1] - want) < 1e-4 and math.abs(t[m // 2] - want) < 1e-4, 'value ' .. t[1])
  assert(t[m] == (n - 1) * n / 2)
  local b = torch.DoubleTensor(m):fill(r)
  d.broadcast(b, 0); assert(b:sum() == 0)
end)
check('int64 beyond 2^53', function()
  local t = torch.LongTensor{ (1 << 60) + r }
  d.allReduce(t, 'max'); assert(t[1] == (1 << 60) + n - 1)
end)
check('0-dim, empty and narrowed tensors', function()
  local s = torch.matmul(torch.DoubleTensor{ r + 1 }, torch.DoubleTensor{ 1 })  -- 0-dim
  d.allReduce(s); assert(s:dim() == 0 and s:item() == tri)
  local e = torch.FloatTensor(0)
  d.allReduce(e); assert(e:nElement() == 0)
  local big = torch.FloatTensor(10):fill(-1)
  local nar = big:narrow(1, 3, 4):fill(r + 1)
  d.allReduce(nar)
  assert(big[2] == -1 and big[3] == tri and big[6] == tri and big[7] == -1, 'only the view changes')
  local g = d.allGather(torch.FloatTensor{ r })
  eq(g, torch.range(0, n - 1):float():view(n, 1))
end)
check('barrier', function() d.barrier(); d.barrier() end)

-- errors: the same bad call on every rank
check('bad arguments name the function and argument', function()
  errors("bad argument #1 to 'distributed.allReduce' (tensor expected, got string)", function() d.allReduce('x') end)
  errors("bad argument #2 to 'distributed.allReduce' (op 'sum', 'mean', 'max' or 'min' expected, got 'prod')",
    function() d.allReduce(torch.FloatTensor(2), 'prod') end)
  errors("op 'mean' needs a FloatTensor or DoubleTensor", function() d.allReduce(torch.IntTensor(2), 'mean') end)
  errors("bad argument #2 to 'distributed.broadcast' (root rank in [0, " .. (n - 1) .. "] expected, got " .. n,
    function() d.broadcast(torch.FloatTensor(2), n) end)
  errors("bad argument #2 to 'distributed.reduce' (root rank (integer) expected", function() d.reduce(torch.FloatTensor(2)) end)
  errors("bad argument #2 to 'distributed.allGather' (torch.FloatTensor expected, got torch.DoubleTensor)",
    function() d.allGather(torch.FloatTensor(2), torch.DoubleTensor()) end)
  errors("distributed.init: already initialized", function() d.init{ backend = 'mpi' } end)
  errors("distributed.init: already initialized", function() d.init{ backend = 'nccl' } end)
  errors("reductions of Half tensors are not supported", function() d.allReduce(torch.HalfTensor(2)) end)
end)
check('ranks that disagree on shapes get an error, not a hang', function()
  local t = torch.FloatTensor(r == 0 and 3 or 4):fill(1)
  errors('distributed.allReduce: ranks disagree on the tensor: rank 0 has a FloatTensor of size 3, rank 1 has a FloatTensor of size 4',
    function() d.allReduce(t) end)
  local u = r == 0 and torch.FloatTensor(2) or torch.DoubleTensor(2)
  errors('distributed.broadcast: ranks disagree on the tensor', function() d.broadcast(u, 0) end)
  -- the job goes on afterwards
  local v = torch.FloatTensor{ 1 }
  d.allReduce(v); assert(v[1] == n)
end)
check('the watchdog fires only inside a collective', function()
  local old = d.getTimeout()
  d.setTimeout(1); assert(d.getTimeout() == 1)
  local t = torch.FloatTensor{ 1 }
  d.allReduce(t)
  os.execute('sleep 1.3')     -- idle past the deadline of the last call: nothing happens
  d.allReduce(t); assert(t[1] == n * n)
  d.setTimeout(old)
end)
-- a collective that times out ends the process: tests/dist/peer_dies.lua
d.finalize()
assert(not d.isInitialized())
local ok, err = pcall(d.init, { backend = 'mpi' })
assert(not ok and err:find('distributed.init: MPI was finalized; it cannot be started again', 1, true), err)
print('done rank ' .. r)
