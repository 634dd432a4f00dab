-- Memory: long training loops stay flat, dropped tensors are collected (the collector
-- knows their size), graphs are freed, collectgarbage() gives memory back to the system,
-- and the CPU buffer cache (torch.memoryStats, emptyCache, setCacheLimit) has a cap.
-- RSS comes from /proc/self/statm (Linux); elsewhere those checks are skipped. Under
-- AddressSanitizer (torch._sanitized) the allocator quarantines freed memory and the
-- engine's cache is off, so only the counters are checked there.
require 'nn'
require 'optim'
local tester = torch.Tester()
local T = torch.TestSuite()

local MiB = 1024 * 1024

local function rss()   -- resident bytes, or nil
  local f = io.open('/proc/self/statm')
  if not f then return nil end
  local _, resident = f:read('n', 'n')
  f:close()
  return resident and resident * 4096
end
local can_rss = rss() ~= nil and not torch._sanitized
local pools = not torch._sanitized   -- the buffer cache exists

local function full_gc()
  collectgarbage()
  collectgarbage()
end

local function mb(n) return string.format('%.1f MiB', n / MiB) end

-- 10,000 steps of Torch7-style training with optim.sgd: RSS, tensor bytes and the Lua
-- heap are the same after 10,000 steps as after the warm-up
function T.nn_optim_training_loop_stays_flat()
  torch.manualSeed(1)
  local net = nn.Sequential():add(nn.Linear(8, 16)):add(nn.Tanh()):add(nn.Linear(16, 1))
  local crit = nn.MSECriterion()
  local x, y = torch.randn(16, 8), torch.randn(16, 1)
  local params, grads = net:getParameters()
  local config = { learningRate = 0.01, momentum = 0.9 }
  local function feval()
    grads:zero()
    local out = net:forward(x)
    local loss = crit:forward(out, y)
    net:backward(x, crit:backward(out, y))
    return loss, grads
  end
  local first, last
  local function steps(n)
    for _ = 1, n do
      local _, fs = optim.sgd(feval, params, config)
      first = first or fs[1]
      last = fs[1]
    end
  end
  steps(1000)   -- warm-up: free lists, the buffer cache and the Lua heap settle
  full_gc()
  local r1, a1, h1 = rss(), torch.memoryStats().allocated, collectgarbage('count')
  steps(9000)
  full_gc()
  local r2, a2, h2 = rss(), torch.memoryStats().allocated, collectgarbage('count')
  tester:assert(last < first, string.format('the loss fell: %g -> %g', first, last))
  tester:eq(a2, a1, 'tensor bytes after 10,000 steps as after 1,000')
  tester:assert(h2 <= h1 * 1.1 + 64, string.format('Lua heap flat: %.0f kB then %.0f kB', h1, h2))
  if can_rss then
    tester:assert(r2 <= r1 * 1.1, string.format('RSS flat: %s then %s', mb(r1), mb(r2)))
  end
end

-- 10,000 steps of PyTorch-style training: loss:backward() on tensors that require grad,
-- an update under noGrad; no graph node survives a step
function T.autograd_training_loop_stays_flat()
  torch.manualSeed(2)
  local w1 = (torch.randn(8, 16) * 0.3):setRequiresGrad()
  local w2 = (torch.randn(16, 1) * 0.3):setRequiresGrad()
  local x, y = torch.randn(16, 8), torch.randn(16, 1)
  local first, last
  local function steps(n)
    for _ = 1, n do
      local loss = ((torch.mm(torch.mm(x, w1):tanh(), w2) - y) ^ 2):mean()
      loss:backward()
      torch.noGrad(function()
        w1:add(-0.01, w1.grad)
        w2:add(-0.01, w2.grad)
      end)
      w1.grad:zero()
      w2.grad:zero()
      first = first or loss:item()
      last = loss:item()
    end
  end
  steps(1000)
  full_gc()
  local nodes = torch._autogradLiveNodes()
  local r1, a1, h1 = rss(), torch.memoryStats().allocated, collectgarbage('count')
  steps(9000)
  full_gc()
  local r2, a2, h2 = rss(), torch.memoryStats().allocated, collectgarbage('count')
  tester:assert(last < first, string.format('the loss fell: %g -> %g', first, last))
  tester:eq(torch._autogradLiveNodes(), nodes, 'no graph node left behind by a step')
  tester:eq(a2, a1, 'tensor bytes after 10,000 steps as after 1,000')
  tester:assert(h2 <= h1 * 1.1 + 64, string.format('Lua heap flat: %.0f kB then %.0f kB', h1, h2))
  if can_rss then
    tester:assert(r2 <= r1 * 1.1, string.format('RSS flat: %s then %s', mb(r1), mb(r2)))
  end
end

-- 200 dropped 16 MB tensors with no collectgarbage: the collector is told each tensor's
-- size, so the dead ones are collected long before 3.2 GB pile up
function T.dropped_large_tensors_are_collected()
  full_gc()
  local base_rss, base_alloc = rss(), torch.memoryStats().allocated
  local most = 0
  for i = 1, 200 do
    local t = torch.FloatTensor(4e6):fill(i)
    most = math.max(most, torch.memoryStats().allocated - base_alloc)
  end
  tester:assert(most <= 256 * MiB, 'live tensor bytes stayed bounded: at most ' .. mb(most))
  -- different sizes: each dead buffer is freed or cached, never hoarded beyond the cap
  for i = 1, 100 do
    local t = torch.FloatTensor(1e6 + (i % 10) * 7e5)
    most = math.max(most, torch.memoryStats().allocated - base_alloc)
  end
  tester:assert(most <= 256 * MiB, 'with varying sizes too: at most ' .. mb(most))
  if can_rss then
    local grown = rss() - base_rss
    local limit = torch.memoryStats().cacheLimit + 384 * MiB
    tester:assert(grown <= limit, 'RSS grew by ' .. mb(grown) .. ' (at most the cache cap and 384 MiB)')
  end
end

-- an autograd graph (nodes and the tensors they saved) goes when its result is dropped
function T.graphs_are_freed_with_their_results()
  local a = torch.randn(256, 256):setRequiresGrad()
  local _ = torch.mm(a, a)   -- a gets its gradient accumulator (a node, as long as a lives)
  _ = nil
  full_gc()
  local nodes = torch._autogradLiveNodes()
  local weak = setmetatable({}, { __mode = 'v' })
  do
    local h = torch.mm(a, a):tanh()
    local out = (h * h):sum()
    weak.h, weak.out = h, out
    tester:assert(torch._autogradLiveNodes() > nodes, 'the graph is recorded')
  end
  full_gc()
  tester:eq(weak.h, nil, 'the intermediate result was collected')
  tester:eq(weak.out, nil, 'the result was collected')
  tester:eq(torch._autogradLiveNodes(), nodes, 'its graph nodes were freed')
  -- after backward too (retain_graph not asked: saved tensors go with the step)
  local out = torch.mm(a, a):tanh():sum()
  out:backward()
  tester:eq(a.grad:size(1), 256, 'gradient computed')
  out = nil
  full_gc()
  tester:eq(torch._autogradLiveNodes(), nodes, 'nodes freed after backward')
end

-- collectgarbage() frees dead tensors, empties the buffer cache and trims malloc:
-- the memory goes back to the system
function T.collectgarbage_returns_memory()
  full_gc()
  local before = rss()
  local keep = {}
  for i = 1, 24 do keep[i] = torch.FloatTensor(2e6 + i * 1e5):fill(1) end   -- ~220 MB
  local held = rss()
  tester:assert(torch.memoryStats().allocated >= 24 * 8e6, 'the buffers are counted')
  keep = nil
  collectgarbage()
  local st = torch.memoryStats()
  tester:eq(st.cached, 0, 'nothing left in the cache after collectgarbage()')
  if can_rss then
    tester:assert(held - before >= 150 * MiB, 'the tensors were resident: ' .. mb(held - before))
    local after = rss()
    tester:assert(after - before <= 32 * MiB,
                  string.format('RSS back down: %s, %s held, %s after', mb(before), mb(held), mb(after)))
  end
  -- the other options still work as Lua's
  tester:eq(type(collectgarbage('count')), 'number', "collectgarbage('count')")
  tester:eq(collectgarbage('isrunning'), true, "collectgarbage('isrunning')")
  tester:eq(select('#', collectgarbage('step', 0)), 1, "collectgarbage('step') returns one value")
end

-- the CPU buffer cache: counters, a cap, emptied on demand
function T.cpu_cache_limit_and_empty()
  full_gc()
  torch.emptyCache()
  local st = torch.memoryStats()
  for _, k in ipairs { 'allocated', 'peak', 'cached', 'reserved', 'cacheLimit', 'mallocs', 'frees', 'cacheHits' } do
    tester:eq(math.type(st[k]), 'integer', 'memoryStats().' .. k)
  end
  tester:eq(st.cached, 0, 'emptyCache empties the cache')
  tester:eq(st.reserved, st.allocated + st.cached, 'reserved = allocated + cached')
  local old = torch.setCacheLimit(64 * MiB)
  tester:eq(old, st.cacheLimit, 'setCacheLimit returns the previous cap')
  tester:eq(torch.memoryStats().cacheLimit, 64 * MiB, 'the new cap')
  -- a 4 MB buffer freed through <close> (collectgarbage() would empty the cache)
  do local t <close> = torch.FloatTensor(1e6) end
  local c1 = torch.memoryStats().cached
  if pools then
    tester:assert(c1 >= 4e6, 'a freed 4 MB buffer is cached: ' .. c1)
    local hits = torch.memoryStats().cacheHits
    do local t <close> = torch.FloatTensor(1e6) end
    tester:eq(torch.memoryStats().cacheHits, hits + 1, 'and reused for the same size')
    -- a buffer over a quarter of the cap is not kept
    torch.setCacheLimit(8 * MiB)
    tester:assert(torch.memoryStats().cached <= 8 * MiB, 'lowering the cap evicts')
    torch.emptyCache()
    do local t <close> = torch.FloatTensor(1e6) end
    tester:eq(torch.memoryStats().cached, 0, 'a buffer over cap/4 is freed, not cached')
    torch.setCacheLimit(0)
    tester:eq(torch.memoryStats().cached, 0, 'cap 0: caching off')
  end
  torch.setCacheLimit(old)
  torch.emptyCache()
  tester:eq(torch.memoryStats().cached, 0, 'emptyCache')
  -- peak
  torch.resetPeakMemoryStats()
  local p0 = torch.memoryStats().peak
  do local t <close> = torch.FloatTensor(5e6) end
  tester:assert(torch.memoryStats().peak >= p0 + 2e7, 'peak counts a 20 MB buffer')
  torch.resetPeakMemoryStats()
  tester:eq(torch.memoryStats().peak, torch.memoryStats().allocated, 'reset: peak = allocated')
  -- machine memory, as torch.cuda.memoryUsage
  local avail, total = torch.memoryUsage()
  tester:assert(math.type(total) == 'integer' and total > 0 and avail >= 0 and avail <= total,
                'memoryUsage: available and total bytes')
  -- argument errors name the function and the argument
  tester:assertErrorPattern(function() torch.setCacheLimit(-1) end,
                            "bad argument #1 to '[%w.]*setCacheLimit' %(cache limit must be", 'negative cap')
  tester:assertErrorPattern(function() torch.setCacheLimit('x') end,
                            "bad argument #1 to '[%w.]*setCacheLimit' %(number expected", 'not a number')
  tester:assertErrorPattern(function() torch.setCacheLimit(1.5) end,
                            "bad argument #1 to '[%w.]*setCacheLimit'", 'not an integer')
end

tester:add(T)
return tester
