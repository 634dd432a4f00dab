-- distributed: collectives between the processes of one job (data-parallel training).
--   local distributed = require 'distributed'     -- also torch.distributed
--   distributed.init{backend = 'mpi'}              -- rank and size from mpirun
--   distributed.allReduce(t)                       -- t summed over the ranks, in place
-- Ranks are 0-based (MPI's, PyTorch's): rank() is in [0, size()-1]. Every rank must call
-- the same collectives in the same order with tensors of the same type and shape (this
-- is checked: one small message per collective). The MPI backend moves CPU tensors
-- through the C module distributed.core (distributed/mpi.c), built where MPI is.
-- See distributed(3).
local torch = require 'torch'

local M = {}
local core            -- distributed.core once init has loaded it
local backend         -- 'mpi' after init
local rank_, size_

local function fail(fn, msg, level) error(('%s: %s'):format(fn, msg), level or 3) end

local function argerror(fn, n, msg) error(("bad argument #%d to '%s' (%s)"):format(n, fn, msg), 3) end

local function check_started(fn)
  if not backend then fail(fn, "distributed.init has not been called") end
end

local function checktensor(fn, n, t)
  if not torch.isTensor(t) then
    argerror(fn, n, 'tensor expected, got ' .. (torch.typename(t) or type(t)))
  end
  if t:type():find('Cuda', 1, true) then
    argerror(fn, n, "CPU tensor expected for backend '" .. backend .. "', got " .. t:type())
  end
end

local ops = { sum = true, mean = true, max = true, min = true }
local function checkop(fn, n, op)
  if op == nil then return 'sum' end
  if type(op) ~= 'string' or not ops[op] then
    argerror(fn, n, "op 'sum', 'mean', 'max' or 'min' expected, got " ..
      (type(op) == 'string' and "'" .. op .. "'" or type(op)))
  end
  return op
end

local function checkroot(fn, n, root)
  if math.type(root) ~= 'integer' and not (type(root) == 'number' and root == math.floor(root)) then
    argerror(fn, n, 'root rank (integer) expected, got ' .. type(root))
  end
  root = math.tointeger(root)
  if root < 0 or root >= size_ then
    argerror(fn, n, ('root rank in [0, %d] expected, got %d (ranks are 0-based)'):format(size_ - 1, root))
  end
  return root
end

-- runs f on t, or on a contiguous copy of t that is copied back when `back`
local function contiguous_do(t, back, f)
  if t:isContiguous() then return f(t) end
  local c = t:contiguous()
  f(c)
  if back then t:copy(c) end
end

local function launched()
  for _, v in ipairs { 'OMPI_COMM_WORLD_SIZE', 'PMIX_RANK', 'PMI_RANK', 'PMI_SIZE', 'MPI_LOCALNRANKS' } do
    if os.getenv(v) then return true end
  end
  return false
end

--- distributed.init{backend='mpi', timeout=seconds}: joins the job. The rank and the
--- number of processes come from the launcher (mpirun). timeout (default 300): how long
--- a collective waits for the other ranks before a watchdog ends the process with a
--- message naming the rank and the call (0: forever); mpirun then ends the job.
function M.init(opt)
  local fn = 'distributed.init'
  if opt ~= nil and type(opt) ~= 'table' then argerror(fn, 1, 'table expected, got ' .. type(opt)) end
  opt = opt or {}
  local b = opt.backend or 'mpi'
  if b == 'nccl' then fail(fn, "backend 'nccl' is not available yet (use 'mpi' for CPU tensors)", 2) end
  if b ~= 'mpi' then argerror(fn, 1, "backend 'mpi' or 'nccl' expected, got " .. tostring(b)) end
  if opt.timeout ~= nil and (type(opt.timeout) ~= 'number' or opt.timeout < 0) then
    argerror(fn, 1, 'timeout: seconds (>= 0) expected, got ' .. tostring(opt.timeout))
  end
  if backend then fail(fn, 'already initialized (call distributed.finalize first)', 2) end
  if not launched() then
    fail(fn, "not launched by an MPI launcher: run the script with e.g. `mpirun -np 2 th script.lua` " ..
      "(no OMPI_COMM_WORLD_SIZE / PMI_RANK in the environment)", 2)
  end
  local ok, mod = pcall(require, 'distributed.core')
  if not ok then
    fail(fn, "the MPI backend is not built (distributed/core.so: luatorch was built without MPI; " ..
      "install openmpi-bin and libopenmpi-dev and rebuild): " .. tostring(mod), 2)
  end
  core = mod
  if opt.timeout or M._timeout then core.settimeout(opt.timeout or M._timeout) end
  rank_, size_ = core.init()
  backend = b
  return rank_, size_
end

--- true once init has run (and finalize has not)
function M.isInitialized() return backend ~= nil end
--- this process's rank, 0-based
function M.rank() check_started('distributed.rank'); return rank_ end
--- the number of processes
function M.size() check_started('distributed.size'); return size_ end
--- the backend's name ('mpi') or nil
function M.backend() return backend end

--- the collective timeout in seconds (0: none; see init); setTimeout(s) changes it
function M.setTimeout(s)
  if type(s) ~= 'number' or s < 0 then argerror('distributed.setTimeout', 1, 'seconds (>= 0) expected, got ' .. tostring(s)) end
  if core then core.settimeout(s) else M._timeout = s end
end
function M.getTimeout() return core and core.gettimeout() or M._timeout or 300 end

--- allReduce(t[, op]): t becomes op over every rank's t ('sum' default, 'mean', 'max',
--- 'min'), in place; returns t. 'mean' needs a float or double tensor.
function M.allReduce(t, op)
  local fn = 'distributed.allReduce'
  check_started(fn)
  checktensor(fn, 1, t)
  op = checkop(fn, 2, op)
  if op == 'mean' and not (t:type() == 'torch.FloatTensor' or t:type() == 'torch.DoubleTensor') then
    argerror(fn, 2, "op 'mean' needs a FloatTensor or DoubleTensor, got " .. t:type())
  end
  contiguous_do(t, true, function(c) core.allreduce(fn, c, op) end)
  if op == 'mean' then t:div(size_) end
  return t
end

--- broadcast(t, root): every rank's t becomes root's t; returns t
function M.broadcast(t, root)
  local fn = 'distributed.broadcast'
  check_started(fn)
  checktensor(fn, 1, t)
  root = checkroot(fn, 2, root)
  contiguous_do(t, true, function(c) core.broadcast(fn, c, root) end)
  return t
end

--- reduce(t, root[, op]): root's t becomes op over every rank's t; the other ranks' t
--- are left as they were; returns t
function M.reduce(t, root, op)
  local fn = 'distributed.reduce'
  check_started(fn)
  checktensor(fn, 1, t)
  root = checkroot(fn, 2, root)
  op = checkop(fn, 3, op)
  if op == 'mean' and not (t:type() == 'torch.FloatTensor' or t:type() == 'torch.DoubleTensor') then
    argerror(fn, 3, "op 'mean' needs a FloatTensor or DoubleTensor, got " .. t:type())
  end
  contiguous_do(t, rank_ == root, function(c) core.reduce(fn, c, root, op) end)
  if op == 'mean' and rank_ == root then t:div(size_) end
  return t
end

--- allGather(t[, res]): every rank's t stacked in rank order, a tensor of size
--- size() x t's sizes (res, resized, when given); returns it
function M.allGather(t, res)
  local fn = 'distributed.allGather'
  check_started(fn)
  checktensor(fn, 1, t)
  if res ~= nil then
    checktensor(fn, 2, res)
    if res:type() ~= t:type() then argerror(fn, 2, t:type() .. ' expected, got ' .. res:type()) end
    if res == t then argerror(fn, 2, 'result must not be the input tensor') end
  end
  local sizes = { size_ }
  for i = 1, t:dim() do sizes[i + 1] = t:size(i) end
  local out = res or t.new()
  out:resize(table.unpack(sizes))
  contiguous_do(out, true, function(o)
    contiguous_do(t, false, function(c) core.allgather(fn, c, o) end)
  end)
  return out
end

--- barrier(): returns when every rank has called it
function M.barrier()
  check_started('distributed.barrier')
  core.barrier()
end

--- finalize(): leaves the job (MPI_Finalize); init cannot be called again after it
function M.finalize()
  if core then core.finalize() end
  backend, rank_, size_ = nil, nil, nil
end

--- abort([code]): ends every process of the job (MPI_Abort)
function M.abort(code)
  check_started('distributed.abort')
  core.abort(code or 1)
end

torch.distributed = M
return M
