-- distributed without a launcher (the collectives themselves are tested under mpirun by
-- tests/dist/run.sh): torch.distributed is the module, init explains what is missing,
-- and nothing runs before init.
local tester = torch.Tester()
local T = torch.TestSuite()

local launched = os.getenv('OMPI_COMM_WORLD_SIZE') or os.getenv('PMI_RANK') or os.getenv('PMIX_RANK')
if launched then
  tester.skipReason = 'running under an MPI launcher'
  tester:add(T)
  return tester
end

local d = require 'distributed'

function T.reachableFromTorch()
  tester:assert(torch.distributed == d, 'torch.distributed is require "distributed"')
  tester:assert(not d.isInitialized() and d.backend() == nil)
end

function T.initWithoutLauncher()
  tester:assertErrorPattern(function() d.init{ backend = 'mpi' } end,
    'distributed.init: not launched by an MPI launcher: run the script with e.g. `mpirun')
  tester:assert(not d.isInitialized())
end

function T.initBadArguments()
  tester:assertErrorPattern(function() d.init('mpi') end, "bad argument #1 to 'distributed.init' %(table expected, got string%)")
  tester:assertErrorPattern(function() d.init{ backend = 'gloo' } end, "backend 'mpi' or 'nccl' expected, got gloo")
  -- nccl bootstraps over MPI too (its own errors are tested under mpirun by tests/dist/nccl.lua)
  tester:assertErrorPattern(function() d.init{ backend = 'nccl' } end, 'distributed.init: not launched by an MPI launcher')
  tester:assertErrorPattern(function() d.init{ timeout = -1 } end, "timeout: seconds %(>= 0%) expected")
end

function T.collectivesBeforeInit()
  local t = torch.FloatTensor(2)
  for _, c in ipairs {
    { 'allReduce', function() d.allReduce(t) end }, { 'broadcast', function() d.broadcast(t, 0) end },
    { 'reduce', function() d.reduce(t, 0) end }, { 'allGather', function() d.allGather(t) end },
    { 'barrier', d.barrier }, { 'rank', d.rank }, { 'size', d.size },
    { 'allReduceGradients', function() d.allReduceGradients(t) end },
    { 'broadcastParameters', function() d.broadcastParameters(t) end },
  } do
    tester:assertErrorPattern(c[2], 'distributed%.' .. c[1] .. ': distributed%.init has not been called')
  end
  d.finalize()   -- harmless without init
end

function T.timeoutSetting()
  local old = d.getTimeout()
  tester:assertErrorPattern(function() d.setTimeout('x') end, "bad argument #1 to 'distributed.setTimeout'")
  d.setTimeout(42)
  tester:eq(d.getTimeout(), 42)
  d.setTimeout(old)
end

tester:add(T)
return tester
