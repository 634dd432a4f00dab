-- Reductions on the GPU (tensor/cuda/reduce.cu): every op over all elements and over each
-- dim (keepdim both ways, indices included), cumsum/cumprod and equal, compared with the
-- CPU on contiguous, transposed and narrowed inputs of several dtypes and sizes (1, 255,
-- 257, 100000, rows of 70000), NaN and tie rules, errors, and gradients on the GPU equal
-- to those on the CPU. Skipped (with the reason) where no GPU is present.
local tester = torch.Tester()
local ok, why = torch.cudaAvailable()
if not ok then
  tester.skipReason = 'no GPU: ' .. tostring(why)
  return tester
end
local T = torch.TestSuite()
torch.manualSeed(77)

local FLOATS = {['torch.FloatTensor'] = 1e-6, ['torch.DoubleTensor'] = 1e-11, ['torch.HalfTensor'] = 2e-3}
local TYPES = {'torch.FloatTensor', 'torch.DoubleTensor', 'torch.LongTensor', 'torch.IntTensor',
               'torch.ByteTensor', 'torch.HalfTensor'}
local SIZES = {1, 255, 257, 100000}

local function isfloat(tp) return FLOATS[tp] ~= nil end

-- n random elements of type tp (integers in a small range; bytes 0..255)
local function make(tp, ...)
  local x = torch.randn(...):double()
  if tp == 'torch.ByteTensor' then return (torch.rand(...) * 256):floor():byte() end
  if not isfloat(tp) then return (x * 20):floor():type(tp) end
  return x:type(tp)
end

-- the layouts of an n-element input for whole reductions: contiguous, a transposed 2-D
-- view, a narrowed 2-D view (rows not adjacent)
local function layouts1(tp, n)
  return {
    contiguous = make(tp, n),
    transposed = make(tp, 2, n):t(),
    narrowed = make(tp, 3, n + 3):narrow(2, 2, n),
  }
end
-- 2-D inputs with a reduced length n: (3, n), its transpose, narrowed
local function layouts2(tp, n)
  return {
    ['3xn'] = make(tp, 3, n),
    transposed = make(tp, n, 3):t(),
    narrowed = make(tp, 4, n + 2):narrow(2, 2, n),
  }
end

local function numclose(g, c, tol)
  if g == c then return true end
  if g ~= g and c ~= c then return true end
  return math.abs(g - c) <= tol * math.max(1, math.abs(c))
end

-- a GPU result against the CPU's: same type (on the device), shape, NaNs, values within
-- tol relative to the largest magnitude
local function tclose(g, c, tol, msg)
  tester:assert(torch.isTensor(g) and g:type():find('Cuda') ~= nil, msg .. ': a GPU tensor')
  local h = g:cpu()
  tester:assert(torch.type(h) == torch.type(c), msg .. ': type ' .. torch.type(h) .. ' vs ' .. torch.type(c))
  tester:assert(h:isSameSizeAs(c), msg .. ': size')
  if c:nElement() == 0 or not h:isSameSizeAs(c) then return end
  local hd, cd = h:double(), c:double()
  local d = (hd - cd):abs():max()
  if d == d and d <= tol * math.max(1, cd:clone():abs():max()) then return tester:assert(true) end
  local hn, cn = hd:ne(hd), cd:ne(cd)
  tester:assert(hn:equal(cn), msg .. ': NaNs at the same places')
  hd:maskedFill(hn, 0)
  cd:maskedFill(cn, 0)
  local hi, ci = hd:eq(math.huge), cd:eq(math.huge)
  tester:assert(hi:equal(ci), msg .. ': infinities at the same places')
  hd:maskedFill(hi, 0); cd:maskedFill(ci, 0)
  hi, ci = hd:eq(-math.huge), cd:eq(-math.huge)
  tester:assert(hi:equal(ci), msg .. ': -infinities at the same places')
  hd:maskedFill(hi, 0); cd:maskedFill(ci, 0)
  local scale = math.max(1, cd:clone():abs():max())
  d = (hd - cd):abs():max()
  tester:assert(d <= tol * scale, msg .. ': differs by ' .. d)
end

-- ops by name, with the parameter torch._reduce takes, and whether they need float input
local OPS = {
  {'sum'}, {'prod'}, {'max'}, {'min'}, {'argmax'}, {'argmin'}, {'all'}, {'any'},
  {'median'}, {'kthvalue', 1}, {'kthvalue', 'mid'}, {'mode'},
  {'mean', nil, true}, {'std', 1, true}, {'std', 0, true}, {'var', 1, true}, {'var', 0, true},
  {'norm', 0, true}, {'norm', 1, true}, {'norm', 2, true}, {'norm', 3, true}, {'norm', 0.5, true},
  {'norm', math.huge, true}, {'norm', -math.huge, true}, {'logsumexp', nil, true},
}
local function param_of(o, n)
  if o[2] == 'mid' then return math.max(1, (n + 1) // 2) end
  return o[2]
end
-- inputs suited to an op: products of values near 1 (floats), so they neither overflow
-- nor underflow in a different order
local function input_for(name, x)
  if name == 'prod' and isfloat(torch.type(x)) then return x:double():mul(0.003):add(1):type(torch.type(x)) end
  return x
end

function T.whole_tensor_reductions()
  for _, tp in ipairs(TYPES) do
    local tol = isfloat(tp) and 1e-9 or 0
    for _, n in ipairs(SIZES) do
      for lname, x0 in pairs(layouts1(tp, n)) do
        for _, o in ipairs(OPS) do
          if isfloat(tp) or not o[3] then
            local name, p = o[1], param_of(o, x0:nElement())
            local x = input_for(name, x0)
            local g = x:cuda()
            local msg = string.format('%s %s n=%d %s(%s)', tp, lname, n, name, tostring(p))
            local c = torch._reduce(name, x, nil, nil, p)
            local r = torch._reduce(name, g, nil, nil, p)
            tester:assert(r:type():find('Cuda') ~= nil, msg .. ': 0-dim result on the GPU')
            tester:assert(numclose(r:cpu():item(), c:item(), tol), msg .. ': ' .. tostring(r:cpu():item()) .. ' vs ' .. tostring(c:item()))
            tester:eq(torch.type(r:cpu()), torch.type(c), msg .. ': result type')
          end
        end
        -- the Lua-number forms
        local x, g = x0, x0:cuda()
        local msg = tp .. ' ' .. lname .. ' n=' .. n
        tester:assert(numclose(g:sum(), x:sum(), tol), msg .. ' sum')
        tester:assert(math.type(g:sum()) == math.type(x:sum()), msg .. ' sum: integer or float as on the CPU')
        tester:assert(numclose(g:max(), x:max(), 0), msg .. ' max')
        tester:assert(numclose(g:min(), x:min(), 0), msg .. ' min')
        if isfloat(tp) then
          tester:assert(numclose(g:mean(), x:mean(), tol), msg .. ' mean')
          tester:assert(numclose(g:std(), x:std(), tol), msg .. ' std')
          tester:assert(numclose(g:var(true), x:var(true), tol), msg .. ' var biased')
          tester:assert(numclose(g:norm(), x:norm(), tol), msg .. ' norm')
        end
      end
    end
  end
end

-- every op over each dim of 2-D inputs, keepdim both ways, with the indices
local function per_dim(tp, n, ops, keeps)
  local tol = FLOATS[tp] or 0
  for lname, x0 in pairs(layouts2(tp, n)) do
    for _, o in ipairs(ops) do
      if isfloat(tp) or not o[3] then
        local name = o[1]
        local x = input_for(name, x0)
        local g = x:cuda()
        for dim = 1, 2 do
          local p = param_of(o, x:size(dim))
          for _, keep in ipairs(keeps or {true, false}) do
            local msg = string.format('%s %s n=%d %s(%s) dim %d keepdim %s', tp, lname, n, name,
                                      tostring(p), dim, tostring(keep))
            local cv, ci = torch._reduce(name, x, dim, keep, p)
            local gv, gi = torch._reduce(name, g, dim, keep, p)
            tclose(gv, cv, tol, msg .. ' values')
            tester:assert((ci == nil) == (gi == nil), msg .. ': indices as on the CPU')
            if ci and gi then tclose(gi, ci, 0, msg .. ' indices') end
          end
        end
      end
    end
  end
end

function T.per_dim_reductions()
  for _, tp in ipairs(TYPES) do
    for _, n in ipairs{1, 255, 257} do per_dim(tp, n, OPS) end
  end
end

function T.per_dim_long_rows()
  -- 3 x 100000: three long lines (cut into slices) over dim 2, 100000 short columns over dim 1
  local ops = {{'sum'}, {'max'}, {'min'}, {'argmax'}, {'prod'}, {'all'}, {'median'}, {'kthvalue', 'mid'},
               {'mean', nil, true}, {'std', 1, true}, {'norm', 2, true}, {'norm', 3, true},
               {'logsumexp', nil, true}}
  for _, tp in ipairs(TYPES) do per_dim(tp, 100000, ops, {tp == 'torch.FloatTensor'}) end
end

function T.per_dim_shapes()
  -- short rows (a thread per line), rows for a warp, rows for a block, columns, 3-D
  -- permuted views, more than 65535 lines
  local ops = {{'sum'}, {'max'}, {'min'}, {'argmin'}, {'any'}, {'median'}, {'mean', nil, true},
               {'var', 1, true}, {'norm', 1, true}, {'logsumexp', nil, true}}
  for _, tp in ipairs{'torch.FloatTensor', 'torch.DoubleTensor', 'torch.LongTensor'} do
    local tol = FLOATS[tp] or 0
    local shapes = {{70000, 3}, {70000, 40}, {20, 5000}, {5000, 20}, {1, 1}, {1, 300}, {300, 1}}
    for _, s in ipairs(shapes) do
      local x = make(tp, s[1], s[2])
      local g = x:cuda()
      for _, o in ipairs(ops) do
        if isfloat(tp) or not o[3] then
          for dim = 1, 2 do
            local msg = string.format('%s %dx%d %s dim %d', tp, s[1], s[2], o[1], dim)
            local cv, ci = torch._reduce(o[1], x, dim, true, o[2])
            local gv, gi = torch._reduce(o[1], g, dim, true, o[2])
            tclose(gv, cv, tol, msg)
            if ci then tclose(gi, ci, 0, msg .. ' indices') end
          end
        end
      end
    end
    local x = make(tp, 4, 5, 6):permute(3, 1, 2)
    local g = x:cuda()
    for _, o in ipairs(ops) do
      if isfloat(tp) or not o[3] then
        for dim = 1, 3 do
          local msg = string.format('%s permuted 3-D %s dim %d', tp, o[1], dim)
          local cv, ci = torch._reduce(o[1], x, dim, false, o[2])
          local gv, gi = torch._reduce(o[1], g, dim, false, o[2])
          tclose(gv, cv, tol, msg)
          if ci then tclose(gi, ci, 0, msg .. ' indices') end
        end
        local msg = tp .. ' permuted 3-D whole ' .. o[1]
        tester:assert(numclose(torch._reduce(o[1], g, nil, nil, o[2]):cpu():item(),
                               torch._reduce(o[1], x, nil, nil, o[2]):item(), isfloat(tp) and 1e-9 or 0), msg)
      end
    end
  end
  -- the Torch7 forms: values and 1-based indices, result tensors on the GPU
  local x = torch.randn(6, 9):double()
  local g = x:cuda()
  local cv, ci = x:max(2)
  local gv, gi = g:max(2)
  tclose(gv, cv, 0, 'max(2)')
  tclose(gi, ci, 0, 'max(2) indices')
  local rv, ri = torch.CudaDoubleTensor(), torch.CudaLongTensor()
  torch.min(rv, ri, g, 1)
  cv, ci = torch.min(x, 1)
  tclose(rv, cv, 0, 'min into result tensors')
  tclose(ri, ci, 0, 'min indices into result tensors')
  tclose(g:sum(1), x:sum(1), 1e-12, 'sum(1)')
  tclose(g:std(2, true), x:std(2, true), 1e-12, 'std(2, true)')
  tclose(g:norm(3, 1), x:norm(3, 1), 1e-12, 'norm(3, 1)')
  tclose(g:argmax(2), x:argmax(2), 0, 'argmax(2)')
  -- empty dims and empty tensors
  local e = torch.randn(3, 0):double()
  local ge = e:cuda()
  for _, name in ipairs{'sum', 'prod', 'mean', 'all', 'any', 'logsumexp', 'norm'} do
    tclose(torch._reduce(name, ge, 2, false), torch._reduce(name, e, 2, false), 0, name .. ' over an empty dim')
    tclose(torch._reduce(name, ge, 1, true), torch._reduce(name, e, 1, true), 0, name .. ' with no lines')
    tester:assert(numclose(torch._reduce(name, ge):cpu():item(), torch._reduce(name, e):item(), 0), name .. ' of an empty tensor')
  end
  tester:assertErrorPattern(function() ge:max(2) end, 'cannot reduce over dimension 2 of size 0')
  tester:assertErrorPattern(function() torch.CudaTensor():max() end, 'max: cannot reduce an empty tensor')
end

function T.nan_and_tie_rules()
  local nan = 0 / 0
  local rows = {
    {1, nan, 3, nan, 0},
    {2, 5, 5, -1, 5},
    {-math.huge, -math.huge, -math.huge, -math.huge, -math.huge},
    {math.huge, 1, math.huge, nan, 2},
    {0, -0.0, 0, 0, -0.0},
    {7, 7, 7, 7, 7},
  }
  for _, tp in ipairs{'torch.DoubleTensor', 'torch.FloatTensor', 'torch.HalfTensor'} do
    local x = torch.DoubleTensor(rows):type(tp)
    for lname, y in pairs{contiguous = x, transposed = x:t():contiguous():t()} do
      local g = y:cuda()
      for _, o in ipairs{{'max'}, {'min'}, {'argmax'}, {'argmin'}, {'median'}, {'kthvalue', 2},
                         {'kthvalue', 5}, {'mode'}, {'norm', math.huge}, {'norm', -math.huge},
                         {'logsumexp'}, {'sum'}, {'all'}, {'any'}, {'std', 1}} do
        for dim = 1, 2 do
          local msg = string.format('%s %s %s(%s) dim %d', tp, lname, o[1], tostring(o[2]), dim)
          if not (o[1] == 'kthvalue' and o[2] > y:size(dim)) then
            local cv, ci = torch._reduce(o[1], y, dim, false, o[2])
            local gv, gi = torch._reduce(o[1], g, dim, false, o[2])
            tclose(gv, cv, 0, msg)
            if ci then tclose(gi, ci, 0, msg .. ' indices') end
          end
        end
        local msg = string.format('%s %s whole %s', tp, lname, o[1])
        tester:assert(numclose(torch._reduce(o[1], g, nil, nil, o[2]):cpu():item(),
                               torch._reduce(o[1], y, nil, nil, o[2]):item(), 0), msg)
      end
    end
  end
  -- integer ties: the first position (max/min), (value, position) order (median/kthvalue)
  local li = torch.LongTensor{{3, 9, 9, 1, 9, 1}, {4, 4, 4, 4, 4, 4}}
  local g = li:cuda()
  for _, o in ipairs{{'max'}, {'min'}, {'median'}, {'kthvalue', 3}, {'kthvalue', 4}, {'mode'}} do
    local cv, ci = torch._reduce(o[1], li, 2, true, o[2])
    local gv, gi = torch._reduce(o[1], g, 2, true, o[2])
    tclose(gv, cv, 0, 'long ties ' .. o[1])
    tclose(gi, ci, 0, 'long ties ' .. o[1] .. ' indices')
  end
  -- exact int64 sums and products (wrapping as on the CPU)
  local big = torch.LongTensor{1 << 62, 1, -(1 << 61), 3}
  tester:assert(big:cuda():sum() == big:sum(), 'exact int64 sum')
  tester:assert(big:cuda():prod() == big:prod(), 'int64 product wraps as on the CPU')
  tclose(torch.ByteTensor{200, 100}:cuda():sum(1), torch.ByteTensor{200, 100}:sum(1), 0, 'byte sum over a dim wraps')
  tester:assert(torch.ByteTensor{200, 100}:cuda():sum() == 300, 'byte sum as a number does not wrap')
  -- float32 sums accumulate in double
  local f = torch.FloatTensor(1000000):fill(0.1)
  tester:assert(numclose(f:cuda():sum(), f:sum(), 1e-12), 'float32 sum in double')
end

function T.cumsum_cumprod()
  for _, tp in ipairs(TYPES) do
    local tol = FLOATS[tp] or 0
    for _, n in ipairs(SIZES) do
      for lname, x0 in pairs(layouts2(tp, n)) do
        for _, prod in ipairs{false, true} do
          local x = x0
          if prod and isfloat(tp) then x = x0:double():mul(0.003):add(1):type(tp) end
          if prod and not isfloat(tp) then x = (x0:long() % 3):type(tp) end
          local g = x:cuda()
          for dim = 1, 2 do
            local msg = string.format('%s %s n=%d %s dim %d', tp, lname, n, prod and 'cumprod' or 'cumsum', dim)
            local c = prod and torch.cumprod(x, dim) or torch.cumsum(x, dim)
            local r = prod and torch.cumprod(g, dim) or torch.cumsum(g, dim)
            tclose(r, c, tol, msg)
          end
        end
      end
    end
  end
  -- rows of 70000, 3-D permuted, result tensors, bool sums to int64
  local x = torch.randn(70000, 3):double()
  tclose(x:cuda():cumsum(1), x:cumsum(1), 1e-11, 'cumsum over 70000 rows')
  tclose(x:cuda():cumsum(2), x:cumsum(2), 1e-11, 'cumsum over 70000 short rows')
  local y = torch.randn(4, 5, 6):double():permute(2, 3, 1)
  for d = 1, 3 do tclose(y:cuda():cumsum(d), y:cumsum(d), 1e-12, 'cumsum permuted dim ' .. d) end
  local res = torch.CudaDoubleTensor()
  torch.cumsum(res, torch.range(1, 5):double():cuda())
  tclose(res, torch.DoubleTensor{1, 3, 6, 10, 15}, 0, 'cumsum into a result tensor')
  local b = torch.randn(5, 7):gt(0)
  tclose(b:cuda():cumsum(2), b:cumsum(2), 0, 'bool cumsum')
  local e = torch.DoubleTensor(0, 4)
  tclose(e:cuda():cumsum(1), e:cumsum(1), 0, 'empty cumsum')
end

function T.equal()
  local a = torch.randn(300, 257):double() / 3   -- not all float32 values
  local g = a:cuda()
  tester:assert(g:equal(a:clone():cuda()), 'equal')
  tester:assert(g:t():equal(a:t():contiguous():cuda()), 'equal, transposed')
  local b = a:clone(); b[300][257] = b[300][257] + 1
  tester:assert(not g:equal(b:cuda()), 'one element differs')
  tester:assert(not g:equal(a:narrow(1, 1, 299):cuda()), 'different sizes')
  local gf = g:type('torch.CudaTensor')
  tester:assert(gf:equal(a:float():cuda()), 'float32')
  tester:assert(gf:equal(a:float():double():cuda()), 'float32 against float64 of the same values')
  tester:assert(not gf:equal(g), 'float32 against the float64 it was rounded from')
  local n = torch.DoubleTensor{1, 0 / 0}
  tester:assert(not n:cuda():equal(n:cuda()), 'NaN is not equal to itself, as on the CPU')
  local l = torch.LongTensor{1, 2, 3}
  tester:assert(l:cuda():equal(l:cuda()), 'long')
  tester:assert(torch.CudaTensor():equal(torch.CudaTensor()), 'empty tensors')
  tester:assertErrorPattern(function() g:equal(a) end, 'equal: tensors on different devices')
end

function T.errors_match_cpu()
  local g = torch.LongTensor{1, 2}:cuda()
  tester:assertErrorPattern(function() g:mean() end, 'mean: expected a floating point tensor')
  tester:assertErrorPattern(function() g:kthvalue(5) end, 'kthvalue: k 5 out of range')
  local x = torch.randn(3, 4):double():cuda()
  tester:assertErrorPattern(function() torch.sum(torch.DoubleTensor(), x, 1) end, 'sum: result tensor is on cpu')
  tester:assertErrorPattern(function() x:norm(0 / 0) end, 'norm: p is NaN')
end

-- gradients on the GPU equal to those on the CPU
function T.gradients_match_cpu()
  local cases = {
    {'sum', function(x) return x:sum() end},
    {'mean', function(x) return x:mean() end},
    {'max', function(x) return x:max() end},
    {'prod', function(x) return (x * 0.1 + 1):prod() end},
    {'std', function(x) return x:std() end},
    {'norm', function(x) return x:norm() end},
    {'norm 3', function(x) return x:norm(3) end},
    {'logsumexp', function(x) return torch._reduce('logsumexp', x) end},
    {'sum(2)', function(x) return x:sum(2) end},
    {'mean(1)', function(x) return x:mean(1) end},
    {'max(2)', function(x) return (x:max(2)) end},
    {'min(1)', function(x) return (x:min(1)) end},
    {'prod(2)', function(x) return (x * 0.1 + 1):prod(2) end},
    {'std(2)', function(x) return x:std(2) end},
    {'var(1, true)', function(x) return x:var(1, true) end},
    {'norm(2, 2)', function(x) return x:norm(2, 2) end},
    {'cumsum(2)', function(x) return x:cumsum(2) end},
    {'cumsum(1)', function(x) return x:cumsum(1) end},
    {'cumprod(2)', function(x) return (x * 0.1 + 1):cumprod(2) end},
    {'median(2)', function(x) return (x:median(2)) end},
    {'broadcast sum_to', function(x) return x + x:sum(1) end},
  }
  for _, c in ipairs(cases) do
    for _, lay in ipairs{'contiguous', 'transposed'} do
      local base = lay == 'contiguous' and torch.randn(5, 257):double() or torch.randn(257, 5):double():t()
      local xc = base:clone():setRequiresGrad()
      local xg = base:cuda():setRequiresGrad()
      local yc, yg = c[2](xc), c[2](xg)
      local msg = c[1] .. ' ' .. lay
      if yc:dim() == 0 then
        yc:backward(); yg:backward()
      else
        local go = torch.randn(yc:size()):double()
        yc:backward(go); yg:backward(go:cuda())
      end
      tester:assert(xg.grad ~= nil, msg .. ': a gradient')
      if xg.grad then tclose(xg.grad, xc.grad, 1e-10, msg .. ' gradient') end
    end
  end
  -- a broadcast operand's gradient comes back summed over the broadcast dims (lt_ag_sum_to)
  local a = torch.randn(4, 1):double():setRequiresGrad()
  local b = torch.randn(4, 6):double()
  local ag = a:detach():cuda():setRequiresGrad()
  torch.cmul(a, b):sum():backward()
  torch.cmul(ag, b:cuda()):sum():backward()
  tclose(ag.grad, a.grad, 1e-12, 'broadcast gradient summed back')
end

tester:add(T)
return tester
