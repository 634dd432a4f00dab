-- Run under mpirun by tests/dist/run.sh: rank 1 dies (exits without finalize), or with
-- the argument `hang` stops answering (sleeps), while the others wait in allReduce. The
-- job must end, never hang: mpirun ends the others when a process exits, and when a rank
-- hangs the others' watchdog ends them after the timeout with a clear message on stderr
-- (and mpirun then ends the job). run.sh checks that the job ends within its time limit
-- with a failure status, and the message.
local torch = require 'torch'
local d = require 'distributed'
local r = d.init{ backend = 'mpi', timeout = 2 }
local t = torch.FloatTensor(4):fill(1)
d.allReduce(t)
if r == 1 then
  if arg[1] == 'hang' then os.execute('sleep 60') end
  os.exit(3, false)
end
local ok, err = pcall(d.allReduce, t)
print(('rank %d: allReduce after a peer died: %s'):format(r, ok and 'returned' or tostring(err)))
io.stdout:flush()
os.exit(ok and 0 or 4)
