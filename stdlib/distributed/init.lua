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
local core            -- the backend's C module once init has loaded it (distributed.core or .nccl)
local backend         -- 'mpi' or 'nccl' after init
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
  local on_gpu = t:type():find('Cuda', 1, true) ~= nil
  if backend == 'nccl' and not on_gpu then
    argerror(fn, n, "CUDA tensor expected for backend 'nccl', got " .. t:type() .. ' (move it with :cuda())')
  elseif backend ~= 'nccl' and on_gpu then
    argerror(fn, n, "CPU tensor expected for backend '" .. tostring(backend) .. "', got " .. t:type() ..
      " (use backend 'nccl' for CUDA tensors)")
  end
end

local ops = { sum = true, mean = true, max = true, min = true }
-- 'mean' is sum then divide: float and double tensors only (on the GPU too)
local mean_types = { ['torch.FloatTensor'] = true, ['torch.DoubleTensor'] = true,
  ['torch.CudaTensor'] = true, ['torch.CudaDoubleTensor'] = true }
local function checkop(fn, n, op)
  if op == nil then return 'sum' end
  if type(op) ~= 'string' or not ops[op] then
    argerror(fn, n, "op 'sum', 'mean', 'max' or 'min' expected, got " ..
      (type(op) == 'string' and "'" .. op .. "'" or type(op)))
  end
  return op
end

local function checkroot(fn, n, root)
  local r = math.tointeger(root)
  if not r then
    argerror(fn, n, 'root rank (integer) expected, got ' .. (type(root) == 'number' and tostring(root) or type(root)))
  end
  root = r
  if root < 0 or root >= size_ then
    argerror(fn, n, ('root rank in [0, %d] expected, got %d (ranks are 0-based)'):format(size_ - 1, root))
  end
  return root
end

-- runs f on t, or on a contiguous copy of t that is copied back when `back` (outside
-- autograd: t may be a parameter, a leaf that requires grad)
local function contiguous_do(t, back, f)
  if t:isContiguous() then return f(t) end
  local c = t:contiguous()
  f(c)
  if back then torch.noGrad(function() t:copy(c) end) end
end

-- t divided by the number of ranks, in place, outside autograd; by a power of two
-- multiplying is dividing, bit for bit, and about 3x faster
local function divide_by_size(t)
  torch.noGrad(function()
    if size_ & (size_ - 1) == 0 then t:mul(1 / size_) else t:div(size_) end
  end)
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
  if b ~= 'mpi' and b ~= 'nccl' then argerror(fn, 1, "backend 'mpi' or 'nccl' expected, got " .. tostring(b)) end
  if opt.timeout ~= nil and (type(opt.timeout) ~= 'number' or opt.timeout < 0) then
    argerror(fn, 1, 'timeout: seconds (>= 0) expected, got ' .. tostring(opt.timeout))
  end
  if backend then fail(fn, 'already initialized (call distributed.finalize first)', 2) end
  if not launched() then
    fail(fn, "not launched by an MPI launcher: run the script with e.g. `mpirun -np 2 th script.lua` " ..
      "(no OMPI_COMM_WORLD_SIZE / PMI_RANK in the environment)", 2)
  end
  local ok, mod, device
  if b == 'nccl' then
    -- distributed.nccl (distributed/nccl.so): CUDA tensors, bootstrapped over MPI
    ok, mod = pcall(require, 'distributed.nccl')
    if not ok then
      local path = package.searchpath('distributed.nccl', package.cpath)
      if path then
        fail(fn, "the NCCL backend (" .. path .. ") could not be loaded (libnccl.so.2, libcudart and " ..
          "libmpi must be on the library path): " .. tostring(mod), 2)
      end
      fail(fn, "luatorch was built without NCCL (distributed/nccl.so is built where mpicc, nvcc and " ..
        "NCCL's nccl.h and libnccl are found); use backend 'mpi' for CPU tensors", 2)
    end
    local avail, why = torch.cuda.isAvailable()
    if not avail then
      fail(fn, "backend 'nccl' needs a CUDA device, and this process has none (" .. tostring(why) .. ')', 2)
    end
  else
    ok, mod = pcall(require, 'distributed.core')
    if not ok then
      fail(fn, "the MPI backend is not built (distributed/core.so: luatorch was built without MPI; " ..
        "install openmpi-bin and libopenmpi-dev and rebuild): " .. tostring(mod), 2)
    end
  end
  if opt.timeout or M._timeout then mod.settimeout(opt.timeout or M._timeout) end
  rank_, size_, device = mod.init()
  core = mod
  -- nccl: this rank's GPU (0-based) becomes the current device, where :cuda() puts tensors
  if device then torch.cuda.setDevice(device + 1) end
  backend = b
  return rank_, size_
end

--- true once init has run (and finalize has not)
function M.isInitialized() return backend ~= nil end
--- this process's rank, 0-based
function M.rank() check_started('distributed.rank'); return rank_ end
--- the number of processes
function M.size() check_started('distributed.size'); return size_ end
--- the backend's name ('mpi' or 'nccl') or nil
function M.backend() return backend end

--- the collective timeout in seconds (0: none; see init); setTimeout(s) changes it
function M.setTimeout(s)
  if type(s) ~= 'number' or s < 0 then argerror('distributed.setTimeout', 1, 'seconds (>= 0) expected, got ' .. tostring(s)) end
  if core then core.settimeout(s) else M._timeout = s end
end
function M.getTimeout() return core and core.gettimeout() or M._timeout or 300 end

-- the collectives after their arguments were checked; fn names the user's call in errors
local function allreduce(fn, t, op)
  if t:isContiguous() then core.allreduce(fn, t, op)   -- the common case, with no closure
  else contiguous_do(t, true, function(c) core.allreduce(fn, c, op) end) end
  if op == 'mean' then divide_by_size(t) end
  return t
end
local function broadcast(fn, t, root)
  contiguous_do(t, true, function(c) core.broadcast(fn, c, root) end)
  return t
end

--- allReduce(t[, op]): t becomes op over every rank's t ('sum' default, 'mean', 'max',
--- 'min'), in place; returns t. 'mean' needs a float or double tensor.
function M.allReduce(t, op)
  local fn = 'distributed.allReduce'
  check_started(fn)
  checktensor(fn, 1, t)
  op = checkop(fn, 2, op)
  if op == 'mean' and not mean_types[t:type()] then
    argerror(fn, 2, "op 'mean' needs a FloatTensor or DoubleTensor (CudaTensor or CudaDoubleTensor on the GPU), got " .. t:type())
  end
  return allreduce(fn, t, op)
end

--- broadcast(t, root): every rank's t becomes root's t; returns t
function M.broadcast(t, root)
  local fn = 'distributed.broadcast'
  check_started(fn)
  checktensor(fn, 1, t)
  root = checkroot(fn, 2, root)
  return broadcast(fn, t, root)
end

--- reduce(t, root[, op]): root's t becomes op over every rank's t; the other ranks' t
--- are left as they were; returns t
function M.reduce(t, root, op)
  local fn = 'distributed.reduce'
  check_started(fn)
  checktensor(fn, 1, t)
  root = checkroot(fn, 2, root)
  op = checkop(fn, 3, op)
  if op == 'mean' and not mean_types[t:type()] then
    argerror(fn, 3, "op 'mean' needs a FloatTensor or DoubleTensor (CudaTensor or CudaDoubleTensor on the GPU), got " .. t:type())
  end
  contiguous_do(t, rank_ == root, function(c) core.reduce(fn, c, root, op) end)
  if op == 'mean' and rank_ == root then divide_by_size(t) end
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

-- ---- data-parallel helpers ----
-- Every rank holds a replica of the network: broadcastParameters makes the replicas equal
-- at the start, allReduceGradients averages the gradients after each backward, so every
-- replica takes the same optimizer step. Gradients are reduced storage by storage (the
-- span of each storage the tensors use, so tensors sharing memory are counted once);
-- small spans are packed into buckets of about bucketMB and reduced one bucket per
-- message, a span as large as a bucket is reduced in place (after getParameters, the
-- one flat gradient storage is one message and no copy).

local bucket_cache = setmetatable({}, { __mode = 'k' })   -- owner -> {type -> buffer}

-- the tensors to reduce: a module's (gradients or parameters plus its batch-norm running
-- statistics), a table of tensors, or one tensor
local function collect(fn, obj, which)
  if torch.isTensor(obj) then return { obj } end
  if type(obj) == 'table' and type(obj.parameters) == 'function' then
    local params, grads = obj:parameters()
    local list = {}
    local tensors
    if which == 'grads' then tensors = grads else tensors = params end
    for _, t in ipairs(tensors or {}) do list[#list + 1] = t end
    if which == 'params' and type(obj.listModules) == 'function' then
      for _, m in ipairs(obj:listModules()) do
        for _, k in ipairs { 'running_mean', 'running_var' } do
          if torch.isTensor(m[k]) then list[#list + 1] = m[k] end
        end
      end
    end
    return list
  end
  if type(obj) == 'table' then
    for i, t in ipairs(obj) do
      if not torch.isTensor(t) then
        argerror(fn, 1, ('table of tensors expected, element %d is a %s'):format(i, torch.typename(t) or type(t)))
      end
    end
    return obj
  end
  argerror(fn, 1, 'nn.Module, tensor or table of tensors expected, got ' .. (torch.typename(obj) or type(obj)))
end

-- the regions to reduce: per storage, the elements the tensors use, merged into
-- intervals (tensors sharing memory, such as shared weights, are counted once; elements
-- no tensor uses are left alone), each a contiguous 1-D view, in first-use order. A
-- tensor whose elements leave gaps in its range (a strided view) is reduced as itself.
local function spans(fn, list)
  local by, out = {}, {}
  for _, t in ipairs(list) do
    checktensor(fn, 1, t)
    local n = t:nElement()
    local st = n > 0 and t:storage()
    if st then
      local lo, hi = t:storageOffset(), t:storageOffset()
      for d = 1, t:dim() do hi = hi + (t:size(d) - 1) * t:stride(d) end
      if hi - lo + 1 ~= n then
        out[#out + 1] = { view = t }        -- strided with gaps
      else
        local key = torch.pointer(st)
        local s = by[key]
        if not s then
          s = { storage = st, proto = t, ivs = {} }
          by[key] = s
          out[#out + 1] = s
        end
        s.ivs[#s.ivs + 1] = { lo, hi }
      end
    end
  end
  local views = {}
  for _, e in ipairs(out) do
    if e.view then
      views[#views + 1] = e.view
    else
      table.sort(e.ivs, function(a, b) return a[1] < b[1] end)
      local lo, hi = e.ivs[1][1], e.ivs[1][2]
      for k = 2, #e.ivs + 1 do
        local iv = e.ivs[k]
        if iv and iv[1] <= hi + 1 then
          if iv[2] > hi then hi = iv[2] end
        else
          views[#views + 1] = e.proto.new(e.storage, lo, hi - lo + 1)
          if iv then lo, hi = iv[1], iv[2] end
        end
      end
    end
  end
  return views
end

local function bucket_bytes(fn, opts)
  if opts == nil then return 25 * 2 ^ 20 end
  if type(opts) ~= 'table' then argerror(fn, 2, 'options table expected, got ' .. type(opts)) end
  for k in pairs(opts) do
    if k ~= 'bucketMB' then argerror(fn, 2, ("unknown option '%s' (known: bucketMB)"):format(tostring(k))) end
  end
  local mb = opts.bucketMB
  if mb == nil then return 25 * 2 ^ 20 end
  if type(mb) ~= 'number' or not (mb > 0) then argerror(fn, 2, 'bucketMB: a positive number expected, got ' .. tostring(mb)) end
  return mb * 2 ^ 20
end

-- runs `each(view)` on every span: spans of at least `cap` bytes in place, the others
-- copied into a bucket buffer of their type (cached per owner), the buffer handled, and
-- copied back when `back`
local function bucketed(owner, views, cap, each, back)
  local buffers = bucket_cache[owner]
  if not buffers then buffers = {}; bucket_cache[owner] = buffers end
  local pending = {}            -- type -> {views, elements}
  local order = {}
  local function flush(ty)
    local p = pending[ty]
    if not p or #p.views == 0 then return end
    if #p.views == 1 then
      each(p.views[1])
    else
      local buf = buffers[ty]
      if not buf or buf:nElement() < p.n then buf = p.views[1].new(p.n); buffers[ty] = buf end
      local flat = buf:narrow(1, 1, p.n)
      local at = 1
      for _, v in ipairs(p.views) do
        flat:narrow(1, at, v:nElement()):copy(v)
        at = at + v:nElement()
      end
      each(flat)
      if back then
        at = 1
        for _, v in ipairs(p.views) do
          v:copy(flat:narrow(1, at, v:nElement()))
          at = at + v:nElement()
        end
      end
    end
    pending[ty] = { views = {}, n = 0 }
  end
  for _, v in ipairs(views) do
    local ty = v:type()
    local bytes = v:nElement() * v:elementSize()
    if bytes >= cap then
      each(v)
    else
      local p = pending[ty]
      if not p then p = { views = {}, n = 0 }; pending[ty] = p; order[#order + 1] = ty end
      if (p.n + v:nElement()) * v:elementSize() > cap then flush(ty); p = pending[ty] end
      p.views[#p.views + 1] = v
      p.n = p.n + v:nElement()
    end
  end
  for _, ty in ipairs(order) do flush(ty) end
end

--- allReduceGradients(net[, {bucketMB = 25}]): averages the gradients over the ranks, in
--- place, after backward: net's (net:parameters()'s gradients), a table of gradient
--- tensors, or one tensor (getParameters's flat gradients). Every rank must pass the
--- same structure. Returns net.
function M.allReduceGradients(net, opts)
  local fn = 'distributed.allReduceGradients'
  check_started(fn)
  local cap = bucket_bytes(fn, opts)
  local views = spans(fn, collect(fn, net, 'grads'))
  torch.noGrad(function()
    bucketed(net, views, cap, function(v)
      if mean_types[v:type()] then allreduce(fn, v, 'mean') else allreduce(fn, v, 'sum'):div(size_) end
    end, true)
  end)
  return net
end

--- broadcastParameters(net[, root]): every rank's parameters (and batch-norm running
--- statistics) become root's (default 0), so the replicas start equal; net can also be a
--- table of tensors or one tensor. Returns net.
function M.broadcastParameters(net, root)
  local fn = 'distributed.broadcastParameters'
  check_started(fn)
  root = root == nil and 0 or checkroot(fn, 2, root)
  local views = spans(fn, collect(fn, net, 'params'))
  torch.noGrad(function()
    bucketed(net, views, 25 * 2 ^ 20, function(v) broadcast(fn, v, root) end, true)
  end)
  return net
end

torch.distributed = M
return M
