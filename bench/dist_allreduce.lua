-- bench/dist_allreduce.lua: distributed.allReduce's side of `make bench-dist`, measured
-- as bench/mpi_allreduce.c measures MPI_Allreduce: a contiguous FloatTensor written once
-- (no page faults in the timed calls), 2 warm-up calls, then reps calls, each between
-- barriers and timed on its own; the time of a call is the slowest rank's; rank 0 prints
-- the median and the minimum per size. Not a test.
--   mpirun -np 2 th bench/dist_allreduce.lua [VARIANT] [MB ...]
-- MB may be a fraction (0.004 is 4 KiB). VARIANT, for finding where the time goes: api
-- (default: distributed.allReduce), core (distributed.core's allreduce called directly:
-- no Lua layer), nowd (api with the watchdog off: setTimeout(0)), none (no call: what the
-- timing itself costs), paired (api and, call for call in alternating order on the same
-- tensor, MPI_Allreduce called directly by bench/dist_ref.c, loaded from $DIST_REF; its
-- rows are labelled inproc: a reference in the same job, which the machine's other load
-- disturbs alike).
-- Output lines: ROW <tab> VARIANT <tab> MB <tab> median seconds <tab> min seconds
local torch = require 'torch'
local distributed = require 'distributed'
torch.setnumthreads(1)

local variant = 'api'
local args = { ... }
if args[1] and not tonumber(args[1]) then variant = table.remove(args, 1) end
local sizes = {}
for _, a in ipairs(args) do sizes[#sizes + 1] = assert(tonumber(a), 'size in MB expected') end
if #sizes == 0 then sizes = { 1, 4, 16, 64, 256 } end

local rank = distributed.init { backend = 'mpi' }
if variant == 'nowd' then distributed.setTimeout(0) end
local core = require 'distributed.core'
local calls   -- {label, function(t)}: timed in turn, in alternating order
local function api(t) distributed.allReduce(t) end
if variant == 'core' then
  calls = { { 'core', function(t) core.allreduce('distributed.allReduce', t, 'sum') end } }
elseif variant == 'none' then
  calls = { { 'none', function() end } }
elseif variant == 'api' or variant == 'nowd' then
  calls = { { variant, api } }
elseif variant == 'paired' then
  local path = assert(os.getenv('DIST_REF'), 'paired: DIST_REF (the path of dist_ref.so) expected')
  local ref = assert(package.loadlib(path, 'luaopen_dist_ref'))()
  calls = { { 'api', api }, { 'inproc', ref.allreduce } }
else
  error('unknown variant ' .. variant .. ' (api, core, nowd, none or paired expected)')
end

-- as reps_for in mpi_allreduce.c
local function reps_for(mb) return math.max(7, math.min(200, math.floor(2048 / mb))) end

local timer = torch.Timer()
local function now() return timer:time().real end
for _, mb in ipairs(sizes) do
  local n = math.floor(mb * 1024 * 1024 / 4)
  local buf = torch.FloatTensor(n):fill(1 / (1 + rank))
  for _, c in ipairs(calls) do for _ = 1, 2 do c[2](buf) end end
  local reps = reps_for(mb)
  local times = {}
  for i = 1, #calls do times[i] = torch.DoubleTensor(reps) end
  for r = 1, reps do
    for k = 1, #calls do
      local i = r % 2 == 1 and k or #calls + 1 - k
      distributed.barrier()
      local t0 = now()
      calls[i][2](buf)
      times[i][r] = now() - t0
    end
  end
  for i, c in ipairs(calls) do
    distributed.allReduce(times[i], 'max')
    local sorted = times[i]:sort()
    if rank == 0 then
      io.write(('ROW\t%s\t%g\t%.9g\t%.9g\n'):format(c[1], mb, sorted[reps // 2 + 1], sorted[1]))
    end
  end
  io.stdout:flush()
  buf = nil
  collectgarbage()
end
distributed.finalize()
