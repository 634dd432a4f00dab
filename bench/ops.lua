-- Timings of the foundation's hot paths (see bench/run.sh). Prints one line per workload.
local timer = torch.Timer()

local function bench(name, n, f, unit_per_iter, unit)
  f() -- warm up
  local best = math.huge
  for _ = 1, 5 do
    local t0 = timer:time().real
    for _ = 1, n do f() end
    best = math.min(best, (timer:time().real - t0) / n)
  end
  if unit_per_iter then
    print(string.format('%-34s %10.3f us   %8.2f %s', name, best * 1e6, unit_per_iter / best / 1e9, unit))
  else
    print(string.format('%-34s %10.3f us', name, best * 1e6))
  end
end

local a, b = torch.Tensor(4):fill(1), torch.Tensor(4):fill(2)
bench('a + b, 4 floats', 200000, function() local _ = a + b end)
bench('a:add(b) in place, 4 floats', 200000, function() a:add(b) end)
bench('a:sum(), 4 floats', 200000, function() local _ = a:sum() end)
bench('a[2] read', 200000, function() local _ = a[2] end)

-- autograd on 4-element tensors: recording, and a whole forward + backward
local ga, gb = torch.Tensor(4):fill(1):setRequiresGrad(), torch.Tensor(4):fill(2):setRequiresGrad()
bench('a + b, 4 floats, a requires grad', 200000, function() local _ = ga + gb end)
bench('cmul(a, b):sum():backward(), 4 fl.', 100000, function()
  local y = torch.cmul(ga, gb):sum()
  y:backward()
end)
ga:zeroGrad(); gb:zeroGrad()

local big1, big2 = torch.Tensor(16 * 1024 * 1024):fill(1), torch.Tensor(16 * 1024 * 1024):fill(2)
local out = torch.Tensor(16 * 1024 * 1024)
bench('torch.add(out, a, b), 16M floats', 20, function() torch.add(out, big1, big2) end, 3 * 64 * 1048576, 'GB/s')
bench('a + b (new result), 16M floats', 20, function() local _ = big1 + big2 end, 3 * 64 * 1048576, 'GB/s')
bench('out:copy(a), 16M floats', 20, function() out:copy(big1) end, 2 * 64 * 1048576, 'GB/s')
bench('a:sum(), 16M floats', 20, function() local _ = big1:sum() end, 64 * 1048576, 'GB/s')

local m1, m2 = torch.randn(1024, 1024), torch.randn(1024, 1024)
local mo = torch.Tensor(1024, 1024)
bench('torch.mm(out, A, B), 1024^2 float', 10, function() torch.mm(mo, m1, m2) end, 2 * 1024 ^ 3, 'GFLOP/s')
print(string.format('threads: %d', torch.getnumthreads()))
