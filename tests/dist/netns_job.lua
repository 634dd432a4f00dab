-- Run by tests/dist/netns.sh: 2 ranks, each in its own network namespace ("host"),
-- joined only by a veth pair, so every message crosses a network interface.
--   th tests/dist/netns_job.lua SUBNET_PREFIX     (e.g. 10.231.7.)
-- Each rank prints the host and address it runs on, then "ok NAME" or "not ok NAME: why"
-- per check; netns.sh counts a check as passed when both ranks printed "ok" for it.
-- The collectives move MB tensors (allReduce, a broadcast from each root, allGather):
-- netns.sh checks the veth's byte counters grew by at least that payload each way.
local torch = require 'torch'
local d = require 'distributed'

local prefix = assert(arg[1], 'usage: th netns_job.lua SUBNET_PREFIX')
local r, n = d.init{ backend = 'mpi', timeout = 10 }

local here = debug.getinfo(1, 'S').source:match('^@(.*)/[^/]*$') or 'tests/dist'
local check, eq = dofile(here .. '/util.lua')(r, { tol = 0 })   -- eq: bitwise

-- where this rank runs: the namespace's hostname and its address in the test subnet
local function readall(cmd)
  local p = io.popen(cmd)
  if not p then return '' end
  local s = p:read('a') or ''
  p:close()
  return s
end
local host = readall('cat /proc/sys/kernel/hostname'):gsub('%s+$', '')
local addr = readall('ip -o -4 addr show 2>/dev/null'):match('inet (' .. prefix:gsub('%.', '%%.') .. '%d+)/')
print(('rank %d of %d on host %s address %s'):format(r, n, host, addr or '(none in ' .. prefix .. 'x)'))
io.stdout:flush()

local N = 512 * 1024 -- doubles: 4 MiB per tensor
local MB = N * 8 / 2^20
-- a * (1..N) + b as a DoubleTensor (the default tensor type is float)
local function seq(a, b) return torch.range(1, N):double():mul(a):add(b) end

check('2 ranks', function() assert(n == 2, 'expected 2 ranks, got ' .. n) end)

-- each rank's address, allGathered: the ranks must be on the 2 different addresses
check('ranks on distinct hosts', function()
  assert(addr, 'this rank has no address in ' .. prefix .. 'x')
  local mine = torch.ByteTensor(16):zero()
  for i = 1, #addr do mine[i] = addr:byte(i) end
  local all = d.allGather(mine)
  local seen = {}
  for k = 1, n do
    local s = {}
    for i = 1, 16 do if all[k][i] ~= 0 then s[#s + 1] = string.char(all[k][i]) end end
    s = table.concat(s)
    assert(s:sub(1, #prefix) == prefix, 'rank ' .. (k - 1) .. ' address ' .. s .. ' not in ' .. prefix .. 'x')
    assert(not seen[s], 'ranks ' .. tostring(seen[s]) .. ' and ' .. (k - 1) .. ' share address ' .. s)
    seen[s] = k - 1
  end
  assert(seen[addr] == r, 'my own entry is not at my rank')
end)

local tri = n * (n + 1) // 2
check(('allReduce sum %g MiB'):format(MB), function()
  local t = seq(r + 1, 0)
  d.allReduce(t)
  eq(t, seq(tri, 0), 'allReduce')
end)

for root = 0, n - 1 do
  check(('broadcast %g MiB from rank %d'):format(MB, root), function()
    local t = seq(1, r * N)
    d.broadcast(t, root)
    eq(t, seq(1, root * N), 'broadcast')
  end)
end

check(('allGather %g MiB'):format(MB), function()
  local all = d.allGather(seq(1, r * N))
  assert(all:dim() == 2 and all:size(1) == n and all:size(2) == N, 'size n x N')
  for k = 0, n - 1 do eq(all[k + 1], seq(1, k * N), 'allGather row ' .. k) end
end)

d.finalize()
print('done rank ' .. r)
io.stdout:flush()
