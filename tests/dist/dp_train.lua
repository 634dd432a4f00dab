-- Run under mpirun by tests/dist/run.sh (2 and 3 ranks): the data-parallel helpers.
-- broadcastParameters, allReduceGradients (flat, bucketed, shared weights, tables) and the
-- DataLoader's shard option, each checked against what a rank computes alone; then the
-- whole point: n ranks training with batch B each end with the same parameters as one
-- process training with batch n*B on the same data in the same order.
-- Prints "ok NAME" or "not ok NAME: rank R: why"; run.sh counts a check as passed when
-- every rank printed "ok" for it.
local torch = require 'torch'
require 'nn'
require 'optim'
local d = require 'distributed'

local r, n = d.init{ backend = 'mpi', timeout = 30 }

local here = debug.getinfo(1, 'S').source:match('^@(.*)/[^/]*$') or 'tests/dist'
local check, _, errors = dofile(here .. '/util.lua')(r)
-- (a number: nn's parameters require grad, and max() of such a tensor is a tensor)
local function maxdiff(a, b) return torch.noGrad(function() return a:double():add(-1, b:double()):abs():max() end) end
-- every rank's copy of t equal to rank 0's (bitwise)
local function same_everywhere(t, what)
  local all = d.allGather(t:contiguous())
  for k = 2, n do
    local diff = maxdiff(all[k], all[1])
    if diff ~= 0 then error(('%s: rank %d differs from rank 0 by %g'):format(what, k - 1, diff)) end
  end
end

local function mlp(seed, ty)
  torch.manualSeed(seed)
  local net = nn.Sequential():add(nn.Linear(6, 8)):add(nn.Tanh()):add(nn.Linear(8, 3)):add(nn.LogSoftMax())
  return ty and net:type(ty) or net
end

check('broadcastParameters makes every replica rank 0\'s', function()
  local net = mlp(100 + r)                                -- each rank starts differently
  local bn = nn.BatchNormalization(3)
  net:add(bn)
  bn.running_mean:fill(r + 1); bn.running_var:fill(10 * (r + 1))
  local p0 = mlp(100):parameters()                        -- rank 0's, computed alone
  local ret = d.broadcastParameters(net)
  assert(ret == net)
  local p = net:parameters()
  for i = 1, #p0 do
    local diff = maxdiff(p[i], p0[i])
    assert(diff == 0, ('parameter %d is not rank 0\'s (differs by %g)'):format(i, diff))
  end
  assert(bn.running_mean:min() == 1 and bn.running_mean:max() == 1, 'running_mean not broadcast')
  assert(bn.running_var:min() == 10 and bn.running_var:max() == 10, 'running_var not broadcast')
  -- another root; a table of tensors; one tensor
  local t = torch.DoubleTensor(5):fill(r)
  d.broadcastParameters({ t }, n - 1)
  assert(t:min() == n - 1 and t:max() == n - 1)
  local u = torch.LongTensor(3, 2):fill(r + 7)
  d.broadcastParameters(u:t(), 1)                         -- a transposed view
  assert(u:min() == 8 and u:max() == 8)
end)

-- the gradients of rank k: (k + 1) * (i + a position pattern) for tensor i, so the mean
-- over the ranks is ((n + 1) / 2) * (i + pattern)
local function fill_grads(grads, k)
  for i, g in ipairs(grads) do
    local flat = torch.range(1, g:nElement()):type(g:type()):view(g:size())
    g:copy(flat:mul(0.001):add(i):mul(k + 1))
  end
end
local function check_mean(grads, what)
  for i, g in ipairs(grads) do
    local want = torch.range(1, g:nElement()):type(g:type()):view(g:size()):mul(0.001):add(i):mul((n + 1) / 2)
    local diff = maxdiff(g, want)
    if diff > 1e-5 * (i + 1) * n then error(('%s: gradient %d off by %g'):format(what, i, diff)) end
  end
end

check('allReduceGradients averages, in place, per bucket size', function()
  for _, mb in ipairs { 25, 1e-4, 3e-4 } do                -- one message; one per tensor; several per bucket
    for _, ty in ipairs { 'torch.FloatTensor', 'torch.DoubleTensor' } do
      local net = mlp(5, ty)
      local _, grads = net:parameters()
      fill_grads(grads, r)
      assert(d.allReduceGradients(net, { bucketMB = mb }) == net)
      check_mean(grads, ('%s bucketMB %g'):format(ty, mb))
    end
  end
end)

check('allReduceGradients after getParameters (one flat storage), on a table, on a tensor', function()
  local net = mlp(5)
  local _, flat = net:getParameters()
  local _, grads = net:parameters()
  fill_grads(grads, r)
  d.allReduceGradients(net)
  check_mean(grads, 'flat')
  fill_grads(grads, r)
  d.allReduceGradients(flat)
  check_mean(grads, 'the flat tensor')
  local a, b = torch.FloatTensor(4, 3), torch.DoubleTensor(7)
  fill_grads({ a, b }, r)
  d.allReduceGradients({ a, b }, { bucketMB = 1 })
  check_mean({ a, b }, 'table')
end)

check('shared weights are averaged once', function()
  local l1 = nn.Linear(4, 4)
  local l2 = l1:clone('weight', 'bias', 'gradWeight', 'gradBias')   -- shares storages
  local net = nn.Sequential():add(l1):add(l2)
  l1.gradWeight:fill(r + 1); l1.gradBias:fill(2 * (r + 1))
  d.allReduceGradients(net, { bucketMB = 1e-4 })
  local want = (n + 1) / 2
  assert(l2.gradWeight:min() == want and l2.gradWeight:max() == want, 'shared gradWeight: ' .. l2.gradWeight:max())
  assert(l1.gradBias:min() == 2 * want and l1.gradBias:max() == 2 * want)
end)

check('only the elements the tensors use are reduced', function()
  local s = torch.FloatTensor(10):fill(10 * r)
  d.allReduceGradients({ s:narrow(1, 1, 2), s:narrow(1, 9, 2) })
  local mean = 10 * (n - 1) / 2
  assert(s[1] == mean and s[10] == mean, 'the narrowed parts are averaged')
  for i = 3, 8 do assert(s[i] == 10 * r, 'element ' .. i .. ' between them was changed to ' .. s[i]) end
  -- after getParameters, a container of some of the modules leaves the others alone
  local net = mlp(100 + r)
  local flat = net:getParameters()
  local other = torch.noGrad(function() return net:get(3).weight:clone() end)
  d.broadcastParameters(nn.Sequential():add(net:get(1)))
  assert(maxdiff(net:get(3).weight, other) == 0, 'module 3 was overwritten')
  assert(flat:nElement() > 0)
  -- a strided view with gaps (every other element) is reduced as itself
  local u = torch.DoubleTensor(6):fill(r + 1)
  d.allReduceGradients(u:narrow(1, 1, 6):unfold(1, 1, 2))
  for i = 1, 6 do assert(u[i] == (i % 2 == 1 and (n + 1) / 2 or r + 1), 'element ' .. i .. ': ' .. u[i]) end
end)

check('collectives on views of parameters (leaves that require grad)', function()
  local l = nn.Linear(3, 4)
  torch.noGrad(function() l.weight:fill(r + 1) end)
  d.broadcast(l.weight:t(), n - 1)
  assert(maxdiff(l.weight, torch.FloatTensor(4, 3):fill(n)) == 0)
  d.allReduce(l.weight:t(), 'mean')
  assert(maxdiff(l.weight, torch.FloatTensor(4, 3):fill(n)) == 0)
  torch.noGrad(function() l.weight:fill(r + 1) end)
  d.allReduce(l.weight, 'mean')
  assert(maxdiff(l.weight, torch.FloatTensor(4, 3):fill((n + 1) / 2)) == 0)
end)

check('bad arguments', function()
  errors("bad argument #1 to 'distributed.allReduceGradients' (nn.Module, tensor or table of tensors expected, got string)",
    function() d.allReduceGradients('net') end)
  errors("bad argument #1 to 'distributed.allReduceGradients' (table of tensors expected, element 2 is a number)",
    function() d.allReduceGradients({ torch.FloatTensor(2), 3 }) end)
  errors("bad argument #2 to 'distributed.allReduceGradients' (unknown option 'bucket' (known: bucketMB))",
    function() d.allReduceGradients(torch.FloatTensor(2), { bucket = 1 }) end)
  errors("bad argument #2 to 'distributed.allReduceGradients' (bucketMB: a positive number expected, got 0)",
    function() d.allReduceGradients(torch.FloatTensor(2), { bucketMB = 0 }) end)
  errors("bad argument #2 to 'distributed.broadcastParameters' (root rank in [0, " .. (n - 1) .. "] expected, got " .. n,
    function() d.broadcastParameters(torch.FloatTensor(2), n) end)
  errors("bad argument #2 to 'distributed.broadcastParameters' (root rank (integer) expected, got inf)",
    function() d.broadcastParameters(torch.FloatTensor(2), math.huge) end)
  -- errors inside the helpers name the helper
  errors('distributed.allReduceGradients: reductions of Half tensors are not supported',
    function() d.allReduceGradients(torch.HalfTensor(2)) end)
end)

check('DataLoader shard = true: the ranks split each epoch, every rank as many batches', function()
  local N = 10
  local loader = torch.data.DataLoader({ x = torch.range(1, N) }, { batchSize = 2, shuffle = true, seed = 9, shard = true })
  local per = (N + n - 1) // n
  assert(loader.nLocal == per and #loader == (per + 1) // 2, tostring(loader))
  for _ = 1, 2 do
    local mine = {}
    for x in loader:iter() do for i = 1, x:size(1) do mine[#mine + 1] = x[i] end end
    assert(#mine == per)
    local all = d.allGather(torch.DoubleTensor(mine))       -- n x per
    local seen = {}
    for i = 1, all:nElement() do seen[all:view(-1)[i]] = true end
    for v = 1, N do assert(seen[v], 'sample ' .. v .. ' seen by no rank') end
    -- the same as one process's order for this epoch, dealt out rank by rank
    local one = torch.data.DataLoader({ x = torch.range(1, N) }, { shuffle = true, seed = 9, shard = { rank = 0, size = 1 } })
    one:setEpoch(loader.epoch - 1)
    local order = one:_order(loader.epoch - 1)
    for i = 1, per do assert(all[1][i] == order[(i - 1) * n % N + 1], 'rank 0 does not get positions 1, 1+n, ...') end
  end
end)

-- the equivalence: n ranks with batch B vs one process with batch n*B
local N, B, epochs = 48, 4, 3
torch.manualSeed(42)
local X, Y = torch.randn(N, 6), torch.LongTensor(N):random(1, 3)    -- the same on every rank

-- trains a net (made by mlp(seed)) for `epochs` epochs with SGD + momentum; `dist`: this
-- process is one of n ranks (shard, allReduceGradients) instead of the whole job
local function train(seed, batch, shard, dist, flatten)
  local net, crit = mlp(seed), nn.ClassNLLCriterion()
  if dist then d.broadcastParameters(net) end
  local loader = torch.data.DataLoader({ x = X, y = Y }, { batchSize = batch, shuffle = true, seed = 11, shard = shard })
  local config = { learningRate = 0.1, momentum = 0.9 }
  if flatten then
    local params, grads = net:getParameters()
    for _ = 1, epochs do
      for x, y in loader:iter() do
        optim.sgd(function()
          grads:zero()
          local loss = crit:forward(net:forward(x), y)
          net:backward(x, crit:backward(net.output, y))
          if dist then d.allReduceGradients(net) end
          return loss, grads
        end, params, config)
      end
    end
  else   -- no flat storage: the gradients go in several buckets; plain SGD steps
    for _ = 1, epochs do
      for x, y in loader:iter() do
        net:zeroGradParameters()
        crit:forward(net:forward(x), y)
        net:backward(x, crit:backward(net.output, y))
        if dist then d.allReduceGradients(net, { bucketMB = 1e-4 }) end
        net:updateParameters(0.1)
      end
    end
  end
  return net
end

for _, flatten in ipairs { true, false } do
  local how = flatten and 'getParameters + optim.sgd' or 'bucketed + updateParameters'
  check(('%d ranks x batch %d == 1 process x batch %d (%s)'):format(n, B, n * B, how), function()
    local dist = train(100 + r, B, true, true, flatten)      -- rank r starts from its own seed
    local pd = dist:parameters()
    for i, t in ipairs(pd) do same_everywhere(t, 'parameter ' .. i) end
    local single = train(100, n * B, { rank = 0, size = 1 }, false, flatten)   -- rank 0's start
    local ps = single:parameters()
    local start = mlp(100):parameters()
    for i = 1, #ps do
      local diff, moved = maxdiff(pd[i], ps[i]), maxdiff(ps[i], start[i])
      if moved < 1e-2 then error('parameter ' .. i .. ' did not train (moved ' .. moved .. ')') end
      if diff > 2e-5 then error(('parameter %d: %d ranks and 1 process differ by %g (training moved it %g)'):format(i, n, diff, moved)) end
    end
  end)
end

d.finalize()
print('done rank ' .. r)
