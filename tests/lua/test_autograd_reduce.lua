-- Autograd of the reductions (tensor/grad_reduce.c): sum, mean, prod, max, min, std, var,
-- norm, logsumexp, median, kthvalue, mode, dist over all elements (0-dim tensors while
-- recording, Lua numbers otherwise) and over one dimension (keepdim both ways), cumsum,
-- cumprod, sort and topk. Gradients against finite differences in float64 (non-contiguous
-- inputs included), hand-computed values, second order, out forms and grad mode off.
local tester = torch.Tester()
local T = torch.TestSuite()

torch.manualSeed(20240611)

local function check(f, inputs, what)
  local ok, msg = torch.gradcheck(f, inputs)
  tester:assert(ok, (what or '?') .. ': ' .. tostring(msg))
end

-- second order: the gradient computed with createGraph, checked by finite differences
local function check2(f, inputs, what)
  local ok, msg = torch.gradgradcheck(f, inputs)
  tester:assert(ok, (what or '?') .. ' (second order): ' .. tostring(msg))
end

local function leaf(...) return torch.randn(...):double():setRequiresGrad() end
-- an n x m leaf that is the transpose of a contiguous m x n tensor
local function tleaf(m, n) return torch.randn(m, n):double():t():setRequiresGrad() end
local function scalar_leaf() return torch.randn(torch.LongStorage()):double():setRequiresGrad() end
local function D(t) return torch.DoubleTensor(t) end

-- the inputs of the whole-tensor checks: non-contiguous 2-D, 1-D, 3-D, 0-dim
local function inputs()
  return {
    { 'transposed 3x4', tleaf(4, 3) },
    { '1-D', leaf(5) },
    { '3-D', leaf(2, 3, 2) },
    { '0-dim', scalar_leaf() },
  }
end

-- whole-tensor forms: name, f, whether it needs more than one element
local whole = {
  { 'sum', function(a) return a:sum() end },
  { 'mean', function(a) return a:mean() end },
  { 'prod', function(a) return a:prod() end },
  { 'max', function(a) return a:max() end },
  { 'min', function(a) return a:min() end },
  { 'std', function(a) return a:std() end, true },
  { 'std biased', function(a) return a:std(true) end },
  { 'var', function(a) return a:var() end, true },
  { 'var biased', function(a) return a:var(true) end },
  { 'norm', function(a) return a:norm() end },
  { 'norm 1', function(a) return a:norm(1) end },
  { 'norm 3', function(a) return a:norm(3) end },
  { 'norm 1.5', function(a) return a:norm(1.5) end },
  { 'norm 0.5', function(a) return a:norm(0.5) end },
  { 'norm inf', function(a) return a:norm(math.huge) end },
  { 'norm -inf', function(a) return a:norm(-math.huge) end },
  { 'logsumexp', function(a) return a:logsumexp() end },
  { 'median', function(a) return torch._reduce('median', a) end },
  { 'kthvalue', function(a) return torch._reduce('kthvalue', a, nil, nil, 1) end },
  { 'mode', function(a) return torch._reduce('mode', a) end },
}

function T.whole_reductions_are_0dim_tensors_while_recording()
  local x = leaf(3, 4)
  local names = {
    sum = 'SumBackward', mean = 'MeanBackward', prod = 'ProdBackward', max = 'MaxBackward',
    min = 'MinBackward', std = 'StdBackward', var = 'VarBackward', norm = 'NormBackward',
    logsumexp = 'LogsumexpBackward' }
  for name, fn in pairs(names) do
    local r = x[name](x)
    tester:assert(torch.isTensor(r), name .. ' gives a tensor while recording')
    tester:eq(r:dim(), 0, name .. ' gives a 0-dim tensor')
    tester:assert(r.requiresGrad, name .. ' requires grad')
    tester:eq(tostring(r.gradFn), '<' .. fn .. '>', name .. "'s gradFn")
    local n = torch.noGrad(function() return x[name](x) end)
    tester:eq(type(n), 'number', name .. ' gives a number with grad mode off')
    tester:eq(r:item(), n, 1e-12, name .. ': the same value')
    tester:eq(torch[name](x):item(), n, 1e-12, 'torch.' .. name)
  end
  local y = leaf(3, 4)
  local d = torch.dist(x, y, 3)
  tester:assert(torch.isTensor(d) and d.requiresGrad, 'dist records')
  tester:eq(d:item(), torch.noGrad(function() return torch.dist(x, y, 3) end), 1e-12, 'dist value')
  -- 0-dim results work with numbers
  tester:eq((x:sum() * 2):item(), 2 * x:sum():item(), 1e-12, 'arithmetic with numbers')
  tester:eq(x:float():sum():type(), 'torch.FloatTensor', "a FloatTensor's sum is a 0-dim FloatTensor")
end

function T.whole_reductions_give_numbers_without_grad()
  local x = leaf(3, 4)
  local ops = { 'sum', 'mean', 'prod', 'max', 'min', 'std', 'var', 'norm', 'logsumexp' }
  for _, op in ipairs(ops) do
    tester:eq(type(torch.noGrad(function() return x[op](x) end)), 'number', op .. ' under noGrad')
    local plain = x:detach()
    tester:eq(type(plain[op](plain)), 'number', op .. ' of a tensor that needs no grad')
  end
  local prev = torch.setGradEnabled(false)
  tester:eq(type(x:sum()), 'number', 'setGradEnabled(false)')
  tester:eq(type(torch.dist(x, x)), 'number', 'dist with grad mode off')
  torch.setGradEnabled(prev)
  -- the non-differentiable ones stay Lua values while recording
  tester:eq(type(x:argmax()), 'number', 'argmax')
  tester:eq(type(x:gt(0):all()), 'boolean', 'all')
  tester:eq(type(torch.LongTensor({ 1, 2 }):sum()), 'number', 'integer sum')
  -- and nothing is recorded per dim under noGrad
  local r = torch.noGrad(function() return x:sum(2) end)
  tester:assert(not r.requiresGrad and r.gradFn == nil, 'noGrad: sum(dim) not recorded')
  local v, i = torch.noGrad(function() return x:max(1) end)
  tester:assert(not v.requiresGrad, 'noGrad: max(dim) not recorded')
  local s = torch.noGrad(function() return (x:sort(2)) end)
  tester:assert(not s.requiresGrad, 'noGrad: sort not recorded')
  tester:assert(not torch.noGrad(function() return x:cumsum(2) end).requiresGrad, 'noGrad: cumsum')
end

function T.backward_of_0dim_results_without_gradOutput()
  local x = tleaf(4, 3)
  x:sum():backward()
  tester:eq(x.grad, torch.ones(3, 4):double(), 1e-15, 'sum: ones')
  local s = scalar_leaf()
  s:sum():backward()
  tester:eq(s.grad:dim(), 0, "a 0-dim leaf's gradient is 0-dim")
  tester:eq(s.grad:item(), 1, 'sum of a 0-dim leaf')
  local m = leaf(3, 4)
  m:mean():backward()
  tester:eq(m.grad, torch.DoubleTensor(3, 4):fill(1 / 12), 1e-15, 'mean: 1/n')
  local e = torch.DoubleTensor(0, 3):setRequiresGrad()
  local es = e:sum()
  tester:eq(es:item(), 0, 'sum of an empty tensor')
  es:backward()
  tester:eq(e.grad:nElement(), 0, 'empty gradient')
  tester:eq(e.grad:dim(), 2, 'of the input shape')
  local f = torch.randn(3):float():setRequiresGrad()
  f:sum():backward()
  tester:eq(f.grad:type(), 'torch.FloatTensor', 'float32 gradient')
end

function T.hand_computed()
  -- mean over a dim: 1/size
  local x = leaf(3, 4)
  x:mean(2):backward(torch.ones(3, 1):double())
  tester:eq(x.grad, torch.DoubleTensor(3, 4):fill(0.25), 1e-15, 'mean(2)')
  -- max and min over all elements: one-hot
  local y = D({ { 1, 5, 3 }, { 4, 2, 0 } }):setRequiresGrad()
  y:max():backward()
  tester:eq(y.grad, D({ { 0, 1, 0 }, { 0, 0, 0 } }), 0, 'max: one-hot')
  y.grad = nil
  y:min():backward()
  tester:eq(y.grad, D({ { 0, 0, 0 }, { 0, 0, 1 } }), 0, 'min: one-hot')
  -- per dim: to the index
  y.grad = nil
  local v = y:max(2)
  v:backward(D({ { 10 }, { 20 } }))
  tester:eq(y.grad, D({ { 0, 10, 0 }, { 20, 0, 0 } }), 0, 'max(2)')
  -- prod: out / x
  local p = D({ 2, 3, 4 }):setRequiresGrad()
  p:prod():backward()
  tester:eq(p.grad, D({ 12, 8, 6 }), 1e-12, 'prod')
  -- std and var
  local s = D({ 1, 2, 3, 6 }):setRequiresGrad()   -- mean 3, var (4+1+0+9)/3 = 14/3
  s:var():backward()
  tester:eq(s.grad, D({ -4, -2, 0, 6 }) * (1 / 3), 1e-12, 'var: 2 (x - mean) / (n - 1)')
  s.grad = nil
  s:std(true):backward()                           -- biased: sqrt(14/4)
  tester:eq(s.grad, D({ -2, -1, 0, 3 }) / (4 * math.sqrt(3.5)), 1e-12, 'std biased')
  -- norms
  local q = D({ 3, -4 }):setRequiresGrad()
  q:norm():backward()
  tester:eq(q.grad, D({ 0.6, -0.8 }), 1e-12, 'norm 2')
  q.grad = nil
  q:norm(1):backward()
  tester:eq(q.grad, D({ 1, -1 }), 0, 'norm 1')
  q.grad = nil
  q:norm(math.huge):backward()
  tester:eq(q.grad, D({ 0, -1 }), 0, 'norm inf')
  -- logsumexp: softmax weights, stable for large inputs
  local l = D({ 1000, 1000 }):setRequiresGrad()
  local lse = l:logsumexp()
  tester:eq(lse:item(), 1000 + math.log(2), 1e-9, 'logsumexp value')
  lse:backward()
  tester:eq(l.grad, D({ 0.5, 0.5 }), 1e-12, 'logsumexp: softmax')
  -- dist
  local a, b = D({ 1, 2 }):setRequiresGrad(), D({ 4, 6 }):setRequiresGrad()
  torch.dist(a, b):backward()
  tester:eq(a.grad, D({ -0.6, -0.8 }), 1e-12, 'dist: a')
  tester:eq(b.grad, D({ 0.6, 0.8 }), 1e-12, 'dist: b')
  -- median, kthvalue and mode per dim: to the index
  local m = D({ { 5, 1, 3 }, { 2, 9, 4 } }):setRequiresGrad()
  m:median(2):backward(D({ { 1 }, { 2 } }))
  tester:eq(m.grad, D({ { 0, 0, 1 }, { 0, 0, 2 } }), 0, 'median')
  m.grad = nil
  m:kthvalue(1, 1):backward(D({ { 1, 2, 3 } }))
  tester:eq(m.grad, D({ { 0, 2, 3 }, { 1, 0, 0 } }), 0, 'kthvalue')
  local mo = D({ 1, 2, 2, 3 }):setRequiresGrad()
  local mv, mi = mo:mode(1)
  mv:backward(D({ 1 }))
  local want = torch.zeros(4):double()
  want[mi[1]] = 1
  tester:eq(mo.grad, want, 0, 'mode: to its index')
end

function T.max_min_ties()
  -- over all elements: split evenly among the ties (PyTorch's amax)
  local x = D({ { 1, 5, 5 }, { 5, 2, 0 } }):setRequiresGrad()
  x:max():backward()
  tester:eq(x.grad, D({ { 0, 1, 1 }, { 1, 0, 0 } }) / 3, 1e-15, 'max ties')
  x.grad = nil
  local y = D({ 0, 3, 0 }):setRequiresGrad()
  y:min():backward()
  tester:eq(y.grad, D({ 0.5, 0, 0.5 }), 1e-15, 'min ties')
  -- over a dim: to the reported index only
  x.grad = nil
  local v, i = x:max(2)
  v:backward(torch.ones(2, 1):double())
  local want = torch.zeros(2, 3):double()
  want[1][i[1][1]] = 1
  want[2][i[2][1]] = 1
  tester:eq(x.grad, want, 0, 'max(2) ties: one index per row')
  tester:eq(x.grad:sum(), 2, 'one per row')
  -- norm inf ties: split, with the signs
  local z = D({ -2, 2, 1 }):setRequiresGrad()
  z:norm(math.huge):backward()
  tester:eq(z.grad, D({ -0.5, 0.5, 0 }), 1e-15, 'norm inf ties')
end

function T.prod_with_zeros()
  local x = D({ 2, 0, 3, 4 }):setRequiresGrad()
  x:prod():backward()
  tester:eq(x.grad, D({ 0, 24, 0, 0 }), 0, 'one zero: the product of the others')
  local y = D({ 2, 0, 3, 0 }):setRequiresGrad()
  y:prod():backward()
  tester:eq(y.grad, D({ 0, 0, 0, 0 }), 0, 'two zeros: all 0')
  local z = D({ { 2, 0, 3 }, { 1, 2, 3 }, { 0, 0, 5 } }):setRequiresGrad()
  z:prod(2):backward(torch.ones(3, 1):double())
  tester:eq(z.grad, D({ { 0, 6, 0 }, { 6, 3, 2 }, { 0, 0, 0 } }), 0, 'prod(2), per row')
  for _, t in ipairs({ D({ 2, 0, 3, 4 }), D({ 0, 0, 3 }), D({ { 2, 0, 3 }, { 1, 2, 3 } }) }) do
    -- prod is linear in each element: central differences are exact at zeros
    check(function(a) return a:prod() end, { t:clone():setRequiresGrad() }, 'prod with zeros')
    check(function(a) return a:prod(1) end, { t:clone():setRequiresGrad() }, 'prod(1) with zeros')
    check(function(a) return a:prod(-1) end, { t:clone():setRequiresGrad() }, 'prod(-1) with zeros')
  end
  check2(function(a) return a:prod() end, { D({ 2, 0, 3, 4 }):setRequiresGrad() }, 'prod, one zero')
  check2(function(a) return a:prod(2) end, { D({ { 2, 0, 3 }, { 1, 2, 3 } }):setRequiresGrad() }, 'prod(2), one zero')
  check2(function(a) return a:prod() end, { D({ 2, 0, 3, 0 }):setRequiresGrad() }, 'prod, two zeros')
  check2(function(a) return a:prod(1) end, { D({ { 2, 0, 0 }, { 0, 0, 3 }, { 0, 5, 1 } }):setRequiresGrad() },
    'prod(1), zeros')
end

function T.gradcheck_whole()
  for _, case in ipairs(inputs()) do
    for _, op in ipairs(whole) do
      local x = case[2]
      if not (op[3] and x:nElement() < 2) then
        check(op[2], { x }, op[1] .. ' of ' .. case[1])
      end
    end
  end
  check(function(a, b) return torch.dist(a, b) end, { tleaf(4, 3), leaf(3, 4) }, 'dist')
  check(function(a, b) return torch.dist(a, b, 1.5) end, { leaf(5), leaf(5) }, 'dist 1.5')
  check(function(a) return torch.dist(a, torch.zeros(1):double(), 3) end, { leaf(2, 3) }, 'dist, broadcast')
end

-- per-dim forms: name, f(a, dim) through the Lua API (keepdim), and the engine's op and
-- parameter for the keepdim = false check
local perdim = {
  { 'sum', function(a, d) return a:sum(d) end, 'sum' },
  { 'mean', function(a, d) return a:mean(d) end, 'mean' },
  { 'prod', function(a, d) return a:prod(d) end, 'prod' },
  { 'max', function(a, d) return (a:max(d)) end, 'max' },
  { 'min', function(a, d) return (torch.min(a, d)) end, 'min' },
  { 'std', function(a, d) return a:std(d) end, 'std', 1 },
  { 'std biased', function(a, d) return a:std(d, true) end, 'std', 0 },
  { 'var', function(a, d) return a:var(d) end, 'var', 1 },
  { 'var biased', function(a, d) return torch.var(a, d, true) end, 'var', 0 },
  { 'norm', function(a, d) return a:norm(2, d) end, 'norm', 2 },
  { 'norm 1', function(a, d) return a:norm(1, d) end, 'norm', 1 },
  { 'norm 3', function(a, d) return a:norm(3, d) end, 'norm', 3 },
  { 'norm 0.5', function(a, d) return a:norm(0.5, d) end, 'norm', 0.5 },
  { 'norm inf', function(a, d) return a:norm(math.huge, d) end, 'norm', math.huge },
  { 'logsumexp', function(a, d) return a:logsumexp(d) end, 'logsumexp' },
  { 'median', function(a, d) return (a:median(d)) end, 'median' },
  { 'kthvalue', function(a, d) return (a:kthvalue(2, d)) end, 'kthvalue', 2 },
  { 'mode', function(a, d) return (a:mode(d)) end, 'mode' },
}

function T.gradcheck_per_dim()
  for _, op in ipairs(perdim) do
    for _, d in ipairs({ 1, 2, -1 }) do
      check(function(a) return op[2](a, d) end, { tleaf(4, 3) }, op[1] .. ' dim ' .. d .. ' (transposed)')
    end
    check(function(a) return op[2](a, 2) end, { leaf(2, 3, 4) }, op[1] .. ' dim 2 of 3-D')
    check(function(a) return op[2](a, 1) end, { leaf(4) }, op[1] .. ' of 1-D')
  end
end

function T.gradcheck_per_dim_keepdim_false()
  for _, op in ipairs(perdim) do
    for _, d in ipairs({ 1, 2, -1 }) do
      local f = function(a) return (torch._reduce(op[3], a, d, false, op[4])) end
      check(f, { tleaf(4, 3) }, op[1] .. ' dim ' .. d .. ', keepdim false')
    end
    -- a 1-D input reduces to a 0-dim result
    check(function(a) return (torch._reduce(op[3], a, 1, false, op[4])) end, { leaf(4) },
      op[1] .. ' of 1-D, keepdim false')
    check(function(a) return (torch._reduce(op[3], a, 3, true, op[4])) end, { leaf(2, 3, 4) },
      op[1] .. ' dim 3, keepdim true')
  end
  local x = leaf(3, 4)
  local v = torch._reduce('sum', x, 2, false)
  tester:eq(v:dim(), 1, 'keepdim false drops the dim')
  v:backward(D({ 1, 2, 3 }))
  tester:eq(x.grad, D({ 1, 2, 3 }):view(3, 1):expand(3, 4), 0, 'sum(2) keepdim false')
end

function T.cumsum_cumprod()
  for _, d in ipairs({ 1, 2, -1 }) do
    check(function(a) return a:cumsum(d) end, { tleaf(4, 3) }, 'cumsum ' .. d)
    check(function(a) return a:cumprod(d) end, { tleaf(4, 3) }, 'cumprod ' .. d)
  end
  check(function(a) return a:cumsum(2) end, { leaf(2, 3, 4) }, 'cumsum 3-D')
  check(function(a) return a:cumprod(1) end, { leaf(5) }, 'cumprod 1-D')
  local x = D({ 1, 2, 3 }):setRequiresGrad()
  x:cumsum(1):backward(D({ 1, 10, 100 }))
  tester:eq(x.grad, D({ 111, 110, 100 }), 0, 'cumsum: reverse cumsum')
  -- cumprod with zeros: exact (cumprod is linear in each element)
  local z = D({ 2, 0, 3 }):setRequiresGrad()
  z:cumprod(1):backward(torch.ones(3):double())
  tester:eq(z.grad, D({ 1, 8, 0 }), 1e-12, 'cumprod with a zero')
  local cases = { D({ 2, 0, 3, 4 }), D({ 0, 2, 3 }), D({ 2, 3, 0 }), D({ 2, 0, 3, 0, 5 }),
                  D({ { 1, 0, 2 }, { 3, 4, 5 }, { 0, 0, 1 } }) }
  for i, t in ipairs(cases) do
    check(function(a) return a:cumprod(-1) end, { t:clone():setRequiresGrad() }, 'cumprod zeros ' .. i)
  end
  check(function(a) return a:cumprod(1) end, { cases[5]:clone():setRequiresGrad() }, 'cumprod zeros dim 1')
end

function T.sort_topk()
  for _, d in ipairs({ 1, 2, -1 }) do
    check(function(a) return (a:sort(d)) end, { tleaf(4, 3) }, 'sort ' .. d)
    check(function(a) return (a:sort(d, true)) end, { tleaf(4, 3) }, 'sort descending ' .. d)
    check(function(a) return (a:topk(2, d)) end, { tleaf(4, 3) }, 'topk smallest ' .. d)
    check(function(a) return (a:topk(2, d, true)) end, { tleaf(4, 3) }, 'topk largest ' .. d)
  end
  check(function(a) return (a:sort()) end, { leaf(6) }, 'sort 1-D')
  check(function(a) return (torch.topk(a, 1, 3, true)) end, { leaf(2, 3, 4) }, 'topk 3-D')
  local x = D({ 3, 1, 2 }):setRequiresGrad()
  local v, i = x:sort()
  tester:eq(tostring(v.gradFn), '<SortBackward>', 'sort records')
  tester:assert(not i.requiresGrad and i.gradFn == nil, 'indices carry no history')
  tester:eq(i, torch.LongTensor({ 2, 3, 1 }), 0, 'indices are unchanged (1-based)')
  v:backward(D({ 10, 20, 30 }))
  tester:eq(x.grad, D({ 30, 10, 20 }), 0, 'sort: to the indices')
  x.grad = nil
  local tv, ti = x:topk(2, 1, true)
  tester:assert(not ti.requiresGrad, 'topk indices carry no history')
  tv:backward(D({ 1, 2 }))
  tester:eq(x.grad, D({ 1, 0, 2 }), 0, 'topk: to the indices')
  -- the out form copies the values into result tensors
  local rv, ri = torch.DoubleTensor(), torch.LongTensor()
  torch.sort(rv, ri, D({ 2, 1 }))
  tester:eq(rv, D({ 1, 2 }), 0, 'sort into result tensors')
end

function T.indices_carry_no_history()
  local x = leaf(3, 4)
  for _, f in ipairs({ function() return x:max(2) end, function() return x:min(1) end,
                       function() return x:median(2) end, function() return x:kthvalue(1, 2) end,
                       function() return x:mode(2) end }) do
    local v, i = f()
    tester:assert(v.requiresGrad, 'values record')
    tester:assert(not i.requiresGrad and i.gradFn == nil, 'indices do not')
    tester:eq(i:type(), 'torch.LongTensor', 'indices are a LongTensor')
  end
  local v, i = x:max(2)
  local want = torch.noGrad(function() local _, j = x:max(2); return j end)
  tester:eq(i, want, 0, 'the same (1-based) indices as without grad')
  tester:eq(x:argmax(2), torch.noGrad(function() return x:argmax(2) end), 0, 'argmax(dim) still works')
end

function T.out_forms()
  local x = leaf(3, 4)
  local res = torch.DoubleTensor()
  torch.sum(res, x, 2)
  tester:assert(res.requiresGrad and tostring(res.gradFn) == '<SumBackward>', 'torch.sum(res, x, dim) records')
  res:backward(torch.ones(3, 1):double())
  tester:eq(x.grad, torch.ones(3, 4):double(), 0, 'its gradient')
  x.grad = nil
  local rv, ri = torch.DoubleTensor(), torch.LongTensor()
  torch.max(rv, ri, x, 1)
  tester:assert(rv.requiresGrad and not ri.requiresGrad, 'torch.max(rv, ri, x, dim) records the values')
  rv:backward(torch.ones(1, 4):double())
  tester:eq(x.grad:sum(), 4, 'max into result tensors: one per column')
  local cs = torch.DoubleTensor()
  torch.cumsum(cs, x, 2)
  tester:assert(cs.requiresGrad, 'torch.cumsum(res, x) records')
  -- into a leaf that requires grad: an error naming the op
  local w = leaf(3, 1)
  local ok, err = pcall(torch.sum, w, x, 2)
  tester:assert(not ok and tostring(err):find('sum'), 'writing into a leaf that requires grad: ' .. tostring(err))
  -- a leaf updated from tensors that need no grad is plain (an optimizer-style update)
  local u = leaf(3, 1)
  torch.sum(u, torch.ones(3, 4):double(), 2)
  tester:assert(u.gradFn == nil, 'a plain update of a leaf')
  tester:eq(u, torch.DoubleTensor(3, 1):fill(4), 0, 'its value')
end

function T.second_order()
  -- sum and mean are linear: squared so that the gradient depends on x
  local sq = function(f) return function(a) local r = f(a); return torch.cmul(r, r) end end
  check2(sq(function(a) return a:sum() end), { tleaf(4, 3) }, 'sum')
  check2(sq(function(a) return a:sum(2) end), { tleaf(4, 3) }, 'sum(2)')
  check2(sq(function(a) return a:mean() end), { leaf(3, 4) }, 'mean')
  check2(sq(function(a) return a:mean(1) end), { tleaf(4, 3) }, 'mean(1)')
  check2(sq(function(a) return (torch._reduce('sum', a, 2, false)) end), { leaf(3, 4) }, 'sum keepdim false')
  check2(function(a) return a:prod() end, { leaf(4) }, 'prod')
  check2(function(a) return a:prod(2) end, { tleaf(4, 3) }, 'prod(2)')
  check2(function(a) return a:std() end, { tleaf(4, 3) }, 'std')
  check2(function(a) return a:std(2, true) end, { leaf(3, 4) }, 'std(2)')
  check2(function(a) return a:var(1) end, { leaf(3, 4) }, 'var(1)')
  check2(function(a) return a:norm() end, { tleaf(4, 3) }, 'norm')
  check2(function(a) return a:norm(2, 2) end, { leaf(3, 4) }, 'norm(2, 2)')
  check2(function(a) return a:norm(3) end, { leaf(5) }, 'norm 3')
  check2(function(a) return a:logsumexp() end, { tleaf(4, 3) }, 'logsumexp')
  check2(function(a) return a:logsumexp(2) end, { leaf(3, 4) }, 'logsumexp(2)')
  check2(function(a) return (torch._reduce('logsumexp', a, 1, false)) end, { leaf(3, 4) }, 'logsumexp keepdim false')
  check2(sq(function(a) return a:cumsum(2) end), { leaf(3, 4) }, 'cumsum')
  check2(function(a) return a:cumprod(2) end, { leaf(3, 4) }, 'cumprod')
  check2(sq(function(a) return (a:max(2)) end), { leaf(3, 4) }, 'max(2)')
  check2(sq(function(a) return a:max() end), { leaf(3, 4) }, 'max')
  check2(sq(function(a) return (a:sort(2)) end), { leaf(3, 4) }, 'sort')
end

function T.errors_name_the_function()
  local x = leaf(3, 4)
  local ok, err = pcall(function() return x:sum(3) end)
  tester:assert(not ok and tostring(err):find('dimension'), 'bad dim: ' .. tostring(err))
  ok, err = pcall(function() return torch.DoubleTensor(0):setRequiresGrad():max() end)
  tester:assert(not ok and tostring(err):find('max'), 'max of an empty tensor: ' .. tostring(err))
  ok, err = pcall(function() return x:kthvalue(9, 2) end)
  tester:assert(not ok and tostring(err):find('kthvalue'), 'kthvalue out of range: ' .. tostring(err))
  ok, err = pcall(function() return x:topk(9, 2) end)
  tester:assert(not ok and tostring(err):find('topk'), 'topk out of range: ' .. tostring(err))
  ok, err = pcall(torch._reduce, 'nosuch', x)
  tester:assert(not ok, 'an unknown op')
end

function T.saved_tensors_checked()
  -- modifying the input of prod in place after the op: a clear error, not a wrong gradient
  local x = leaf(3)
  local p = x:prod()
  x:add(1)   -- an update of the leaf's value (allowed), after prod saved it
  local ok, err = pcall(function() p:backward() end)
  tester:assert(not ok and tostring(err):find('modified'), 'in-place change detected: ' .. tostring(err))
  -- the indices the caller gets can be changed without harming the backward
  local z = D({ { 1, 5, 2 }, { 7, 0, 3 }, { 2, 1, 9 } }):setRequiresGrad()
  local v, i = z:max(2)
  i:fill(1)
  v:backward(torch.ones(3, 1):double())
  tester:eq(z.grad, D({ { 0, 1, 0 }, { 1, 0, 0 }, { 0, 0, 1 } }), 0, 'own copy of the indices')
end

function T.graphs_are_freed()
  collectgarbage()
  collectgarbage()
  local base = torch._autogradLiveNodes()
  do
    local x = leaf(3, 4)
    for _ = 1, 5 do
      local l = torch.cmul(x:prod(2), (x:max(2))):sum() + x:cumprod(2):sum() + (x:sort(2)):sum()
                + x:std() + x:norm(3, 1):sum() + (x:median(2)):sum() + x:max()
      l:backward()
      local g = torch.grad({ torch.cmul(x:cumsum(2):sum(), x:sum()) }, { x }, nil, { createGraph = true })
      g[1]:sum():backward()
    end
  end
  collectgarbage()
  collectgarbage()
  tester:eq(torch._autogradLiveNodes(), base, 'no node left')
end

function T.create_graph_then_accumulate()
  -- the gradient kept by a createGraph backward is added into by the next backward
  local x = leaf(3)
  x:sum():backward(nil, { createGraph = true })
  x:sum():backward()
  tester:eq(x.grad, D({ 2, 2, 2 }), 0, 'sum twice')
  local y = leaf(2, 2)
  y:mean(1):backward(torch.ones(1, 2):double(), { createGraph = true })
  y:mean(1):backward(torch.ones(1, 2):double())
  tester:eq(y.grad, torch.ones(2, 2):double(), 0, 'mean(1) twice')
end

tester:add(T)
return tester
