-- The CUDA paths of indexing, masks, joining and sorting (tensor/index.c, gather.c,
-- mask.c, shape.c, sort.c, tensor/cuda/index.cu): every op on the GPU against the same op
-- on the CPU, on contiguous and non-contiguous inputs, along every dim, in several dtypes.
-- Skipped without a GPU.
local tester = torch.Tester()
local ok, why = torch.cudaAvailable()
if not ok then
  tester.skipReason = 'no GPU: ' .. tostring(why)
  return tester
end
local T = torch.TestSuite()

-- g (a GPU result) has c's (the CPU result's) dtype, size and values
local function same(g, c, tol, msg)
  msg = msg or ''
  tester:assert(g:type():find('Cuda') ~= nil, msg .. ': the result is on the GPU')
  local gc = g:cpu()
  tester:assert(gc:type() == c:type(), msg .. ': type ' .. gc:type() .. ', expected ' .. c:type())
  tester:eq(gc:double(), c:double(), tol or 0, msg)
end

local types = {'torch.FloatTensor', 'torch.DoubleTensor', 'torch.LongTensor', 'torch.IntTensor',
               'torch.ByteTensor', 'torch.HalfTensor', 'torch.BFloat16Tensor'}
local function tol_of(tp) return (tp == 'torch.HalfTensor' or tp == 'torch.BFloat16Tensor') and 5e-2 or 1e-5 end

-- x (CPU) in several layouts, each as a pair {name, cpu, gpu} built the same way on both
local function layouts(x)
  local nd = x:dim()
  local r = {}
  local function add(name, f) r[#r + 1] = {name, f(x:clone()), f(x:cuda())} end
  add('contiguous', function(t) return t:clone() end)
  if nd >= 2 then
    add('transposed', function(t) return t:transpose(1, nd):contiguous():transpose(1, nd) end)
    add('narrowed', function(t) return torch.cat({t, t}, nd):narrow(nd, t:size(nd) + 1, t:size(nd)) end)
  else
    add('strided', function(t) return torch.cat({t:view(-1, 1), t:view(-1, 1)}, 2):select(2, 1) end)
  end
  return r
end

local function rnd(...) return torch.randn(...):mul(10):floor() end       -- integer-valued, ties
local function ridx(n, size) return torch.floor(torch.rand(n) * size):long() + 1 end

function T.index_select()
  torch.manualSeed(1)
  for _, tp in ipairs(types) do
    local x = rnd(5, 7, 3):type(tp)
    for _, L in ipairs(layouts(x)) do
      for d = 1, 3 do
        local idx = ridx(9, x:size(d))            -- repeats
        local msg = tp .. ' ' .. L[1] .. ' dim ' .. d
        same(L[3]:index(d, idx:cuda()), L[2]:index(d, idx), 0, msg)
        same(L[3]:index(d, idx), L[2]:index(d, idx), 0, msg .. ' (CPU index)')
        local sidx = torch.cat({idx:view(-1, 1), idx:view(-1, 1)}, 2):cuda():select(2, 2)
        same(L[3]:index(d, sidx), L[2]:index(d, idx), 0, msg .. ' (strided index)')
        same(L[3]:index(d, torch.LongTensor()), L[2]:index(d, torch.LongTensor()), 0, msg .. ' (no index)')
      end
    end
  end
  -- a table of indices, t[index], a result tensor
  local x = torch.randn(6, 4)
  local g = x:cuda()
  same(g:index(1, {2, 6, 2}), x:index(1, {2, 6, 2}), 0, 'table of indices')
  same(g[torch.LongTensor{3, 1}:cuda()], x[torch.LongTensor{3, 1}], 0, 't[index]')
  local res = torch.CudaTensor()
  torch.index(res, g, 2, torch.LongTensor{4, 1}:cuda())
  same(res, x:index(2, torch.LongTensor{4, 1}), 0, 'result tensor')
  -- many rows, several blocks
  local big = torch.randn(70000, 3)
  local bi = ridx(100003, 70000)
  same(big:cuda():index(1, bi:cuda()), big:index(1, bi), 0, '70000 rows, 1e5 indices')
  same(big:cuda():index(2, torch.LongTensor{3, 1}:cuda()), big:index(2, torch.LongTensor{3, 1}), 0, 'columns of many rows')
end

function T.indexCopy_indexAdd_indexFill()
  torch.manualSeed(2)
  for _, tp in ipairs(types) do
    local x = rnd(5, 6, 4):type(tp)
    for _, L in ipairs(layouts(x)) do
      for d = 1, 3 do
        local msg = tp .. ' ' .. L[1] .. ' dim ' .. d
        local n = x:size(d)
        local perm = torch.randperm(n):long():narrow(1, 1, n - 1)   -- distinct: copy is deterministic
        local sz = x:size(); sz[d] = n - 1
        local src = rnd(sz):type(tp)
        local c, g = L[2]:clone(), L[3]:clone()
        same(g:indexCopy(d, perm:cuda(), src:cuda()), c:indexCopy(d, perm, src), 0, msg .. ' indexCopy')
        -- non-contiguous source
        local srct = src:transpose(1, 3):contiguous():transpose(1, 3)
        c, g = L[2]:clone(), L[3]:clone()
        same(g:indexCopy(d, perm:cuda(), srct:cuda():transpose(1, 3):contiguous():transpose(1, 3)),
             c:indexCopy(d, perm, srct), 0, msg .. ' indexCopy, transposed source')
        -- duplicates accumulate
        local dup = ridx(7, n)
        sz = x:size(); sz[d] = 7
        local asrc = rnd(sz):type(tp)
        if tp == 'torch.ByteTensor' then asrc:abs() end
        c, g = L[2]:clone(), L[3]:clone()
        same(g:indexAdd(d, dup:cuda(), asrc:cuda()), c:indexAdd(d, dup, asrc), tol_of(tp) * 10, msg .. ' indexAdd')
        c, g = L[2]:clone(), L[3]:clone()
        same(g:indexFill(d, dup:cuda(), 7), c:indexFill(d, dup, 7), 0, msg .. ' indexFill')
      end
    end
  end
  -- the written view of a bigger tensor: the rest stays
  local big = torch.zeros(4, 10)
  local gbig = big:cuda()
  gbig:narrow(2, 3, 5):indexFill(2, torch.LongTensor{1, 5}:cuda(), -1)
  big:narrow(2, 3, 5):indexFill(2, torch.LongTensor{1, 5}, -1)
  same(gbig, big, 0, 'indexFill into a narrowed view')
  -- many duplicates into few rows: atomics
  local acc = torch.zeros(3, 5):double()
  local many = ridx(200000, 3)
  local ones = torch.ones(200000, 5):double()
  same(acc:cuda():indexAdd(1, many:cuda(), ones:cuda()), acc:clone():indexAdd(1, many, ones), 0, 'indexAdd, 2e5 duplicates')
  local f = torch.zeros(3, 5)
  local fs = torch.rand(200000, 5)
  -- sums near 33000 of ~67000 float32 terms each: the two orders of addition differ by
  -- about sqrt(67000) * 33000 * 2^-24, so 1 (3e-5 relative) is the tolerance
  same(f:cuda():indexAdd(1, many:cuda(), fs:cuda()), f:clone():indexAdd(1, many, fs), 1, 'float32 indexAdd, 2e5 duplicates')
  -- repeated destinations in scatter and indexCopy: the CPU's last write wins on the GPU too
  local dst = torch.zeros(4, 6)
  local rep = torch.LongTensor(9, 6):random(1, 4)
  local src = torch.randn(9, 6)
  same(dst:cuda():scatter(1, rep:cuda(), src:cuda()), dst:clone():scatter(1, rep, src), 0, 'scatter, repeated indices')
  local irep = torch.LongTensor{2, 4, 2, 1, 4, 4}
  local isrc = torch.randn(6, 3)
  same(torch.zeros(5, 3):cuda():indexCopy(1, irep:cuda(), isrc:cuda()), torch.zeros(5, 3):indexCopy(1, irep, isrc), 0,
       'indexCopy, repeated indices')
  -- t[index] = value / tensor
  local x = torch.randn(5, 3)
  local g = x:cuda()
  g[torch.LongTensor{2, 4}:cuda()] = 0
  x[torch.LongTensor{2, 4}] = 0
  same(g, x, 0, 't[index] = 0')
  local s = torch.randn(2, 3)
  g[torch.LongTensor{1, 5}] = s:cuda()
  x[torch.LongTensor{1, 5}] = s
  same(g, x, 0, 't[index] = src')
end

function T.gather_scatter()
  torch.manualSeed(3)
  for _, tp in ipairs(types) do
    local x = rnd(4, 5, 6):type(tp)
    for _, L in ipairs(layouts(x)) do
      for d = 1, 3 do
        local msg = tp .. ' ' .. L[1] .. ' dim ' .. d
        -- index smaller than x off dim, any values along dim
        local isz = x:size()
        for k = 1, 3 do if k ~= d then isz[k] = isz[k] - 1 end end
        isz[d] = 7
        local idx = torch.floor(torch.rand(isz) * x:size(d)):long() + 1
        same(L[3]:gather(d, idx:cuda()), L[2]:gather(d, idx), 0, msg .. ' gather')
        local idxt = idx:transpose(1, 3):contiguous():transpose(1, 3)
        same(L[3]:gather(d, idxt:cuda():transpose(1, 3):contiguous():transpose(1, 3)), L[2]:gather(d, idxt), 0,
             msg .. ' gather, transposed index')
        -- scatter: distinct indices along dim (a deterministic result)
        local _, perm = torch.rand(x:size()):sort(d)
        local ssz = x:size()
        for k = 1, 3 do if k ~= d then perm = perm:narrow(k, 1, ssz[k] - 1) end end
        perm = perm:narrow(d, 1, ssz[d] - 1):clone()
        local src = rnd(6, 7, 8):type(tp)
        local c, g = L[2]:clone(), L[3]:clone()
        same(g:scatter(d, perm:cuda(), src:cuda()), c:scatter(d, perm, src), 0, msg .. ' scatter')
        c, g = L[2]:clone(), L[3]:clone()
        same(g:scatter(d, perm:cuda(), -3), c:scatter(d, perm, -3), 0, msg .. ' scatter of a value')
        -- scatterAdd: repeats
        local asrc = rnd(isz):type(tp)
        if tp == 'torch.ByteTensor' then asrc:abs() end
        c, g = L[2]:clone(), L[3]:clone()
        same(g:scatterAdd(d, idx:cuda(), asrc:cuda()), c:scatterAdd(d, idx, asrc), tol_of(tp) * 10, msg .. ' scatterAdd')
      end
    end
  end
  -- a long gather over many rows
  local big = torch.randn(70000, 4)
  local gi = torch.floor(torch.rand(70000, 2) * 4):long() + 1
  same(big:cuda():gather(2, gi:cuda()), big:gather(2, gi), 0, 'gather over 70000 rows')
  local z = torch.zeros(70000, 4):double()
  local ones = torch.ones(70000, 2):double()
  same(z:cuda():scatterAdd(2, gi:cuda(), ones:cuda()), z:clone():scatterAdd(2, gi, ones), 0, 'scatterAdd over 70000 rows')
  -- integer scatterAdd with many repeats (atomics on 1-, 4- and 8-byte integers)
  for _, tp in ipairs{'torch.LongTensor', 'torch.IntTensor', 'torch.ShortTensor', 'torch.CharTensor', 'torch.ByteTensor'} do
    local zz = torch.zeros(2, 3):type(tp)
    local ii = torch.floor(torch.rand(5000, 3) * 2):long() + 1
    local ss = torch.ones(5000, 3):type(tp)
    same(zz:cuda():scatterAdd(1, ii:cuda(), ss:cuda()), zz:clone():scatterAdd(1, ii, ss), 0, tp .. ' scatterAdd, 5000 repeats')
  end
end

function T.index_errors()
  local x = torch.randn(3, 4)
  local g = x:cuda()
  -- f(t, I): I puts an index where the run wants it (the CPU run: the CPU)
  local function both(f, pattern, msg, gpuidx)
    local okc, ec = pcall(f, x:clone(), function(i) return i end)
    local okg, eg = pcall(f, g:clone(), function(i) return gpuidx and i:cuda() or i end)
    tester:assert(not okc and not okg, msg .. ': an error on both')
    tester:assertErrorPattern(function() error(eg) end, pattern, msg .. ' (GPU)')
    tester:eq(tostring(eg):match(pattern), tostring(ec):match(pattern), msg .. ': the CPU\'s message')
  end
  for _, gpuidx in ipairs{false, true} do
    local sfx = gpuidx and ' (GPU index)' or ' (CPU index)'
    both(function(t, I) return t:index(1, I(torch.LongTensor{1, 4, 2})) end,
      'index: index 4 out of range for dimension 1 of size 3', 'index' .. sfx, gpuidx)
    both(function(t, I) return t:index(2, I(torch.LongTensor{0})) end,
      'index: index 0 out of range for dimension 2 of size 4', 'index 0' .. sfx, gpuidx)
    both(function(t, I) return t:indexCopy(1, I(torch.LongTensor{5}), t:narrow(1, 1, 1):clone()) end,
      'indexCopy: index 5 out of range', 'indexCopy' .. sfx, gpuidx)
    both(function(t, I) return t:indexAdd(2, I(torch.LongTensor{2, 9}), t:narrow(2, 1, 2):clone()) end,
      'indexAdd: index 9 out of range', 'indexAdd' .. sfx, gpuidx)
    both(function(t, I) return t:indexFill(1, I(torch.LongTensor{-1}), 0) end,
      'indexFill: index %-1 out of range', 'indexFill' .. sfx, gpuidx)
    local bad = torch.LongTensor{{1, 2, 3, 4}, {3, 4, 1, 2}}
    both(function(t, I) return t:gather(1, I(bad)) end, 'gather: index 4 out of range for dimension 1 of size 3', 'gather' .. sfx, gpuidx)
    both(function(t, I) return t:scatter(1, I(bad), 0) end, 'scatter: index 4 out of range', 'scatter' .. sfx, gpuidx)
    both(function(t, I) return t:scatterAdd(1, I(bad), t:narrow(1, 1, 2):clone()) end, 'scatterAdd: index 4 out of range',
      'scatterAdd' .. sfx, gpuidx)
  end
  local bad = torch.LongTensor{{1, 2, 3, 4}, {3, 4, 1, 2}}
  -- nothing written by a failed write
  local y = g:clone()
  pcall(function() y:indexFill(1, torch.LongTensor{1, 7}:cuda(), 0) end)
  same(y, x, 0, 'a failed indexFill leaves the tensor as it was')
  pcall(function() y:scatter(1, bad:cuda(), 0) end)
  same(y, x, 0, 'a failed scatter leaves the tensor as it was')
  -- devices
  tester:assertErrorPattern(function() g:clone():indexCopy(1, torch.LongTensor{1}, torch.randn(1, 4)) end,
    'different devices', 'a CPU source for a GPU tensor')
  tester:assertErrorPattern(function() x:index(1, torch.LongTensor{1}:cuda()) end,
    'different devices', 'a GPU index for a CPU tensor')
  tester:assertErrorPattern(function() g:index(1, torch.Tensor{1}:cuda()) end, 'LongTensor', 'float indices')
end

function T.masks()
  torch.manualSeed(4)
  for _, tp in ipairs(types) do
    local x = rnd(6, 7):type(tp)
    for _, L in ipairs(layouts(x)) do
      local msg = tp .. ' ' .. L[1]
      for _, mtp in ipairs{'torch.ByteTensor', 'torch.BoolTensor'} do
        local m = torch.rand(6, 7):gt(0.5):type(mtp)
        local c, g = L[2]:clone(), L[3]:clone()
        same(g:maskedFill(m:cuda(), 5), c:maskedFill(m, 5), 0, msg .. ' maskedFill ' .. mtp)
        c, g = L[2]:clone(), L[3]:clone()
        same(g:maskedFill(m, 5), c:maskedFill(m, 5), 0, msg .. ' maskedFill, a CPU mask')
        local mt = m:t():contiguous():t()
        same(L[3]:maskedSelect(mt:cuda():t():contiguous():t()), L[2]:maskedSelect(mt), 0, msg .. ' maskedSelect ' .. mtp)
        local src = rnd(50):type(tp)
        c, g = L[2]:clone(), L[3]:clone()
        same(g:maskedCopy(m:cuda(), src:cuda()), c:maskedCopy(m, src), 0, msg .. ' maskedCopy ' .. mtp)
        -- a non-contiguous source
        local src2 = rnd(50, 2):type(tp)
        c, g = L[2]:clone(), L[3]:clone()
        same(g:maskedCopy(m:cuda(), src2:cuda():select(2, 2)), c:maskedCopy(m, src2:select(2, 2)), 0, msg .. ' maskedCopy, strided source')
      end
      -- a mask that broadcasts
      local row = torch.ByteTensor{1, 0, 1, 1, 0, 0, 1}:view(1, 7)
      local c, g = L[2]:clone(), L[3]:clone()
      same(g:maskedFill(row:cuda(), -1), c:maskedFill(row, -1), 0, msg .. ' maskedFill, broadcast mask')
      same(L[3]:maskedSelect(row:cuda()), L[2]:maskedSelect(row), 0, msg .. ' maskedSelect, broadcast mask')
    end
  end
  -- t[mask], t[mask] = v, several blocks of the scan
  local x = torch.randn(300, 700)
  local g = x:cuda()
  local m = x:gt(0.3)
  same(g[m:cuda()], x[m], 0, 't[mask] over 2.1e5 elements')
  same(g:t():maskedSelect(m:t():cuda()), x:t():maskedSelect(m:t()), 0, 'maskedSelect of transposed views')
  local src = torch.randn(210000)
  same(g:clone():maskedCopy(m:cuda(), src:cuda()), x:clone():maskedCopy(m, src), 0, 'maskedCopy over 2.1e5 elements')
  g[m:cuda()] = 0
  x[m] = 0
  same(g, x, 0, 't[mask] = 0')
  -- errors
  tester:assertErrorPattern(function() g:clone():maskedCopy(m:cuda(), torch.randn(3):cuda()) end,
    'maskedCopy: the source has 3 elements', 'a short source')
  tester:assertErrorPattern(function() g:maskedFill(torch.randn(300, 700):cuda(), 1) end, 'mask must be', 'a float mask')
  -- empty
  same(torch.Tensor(0, 3):cuda():maskedSelect(torch.ByteTensor(0, 3):cuda()), torch.Tensor(0, 3):maskedSelect(torch.ByteTensor(0, 3)), 0, 'empty maskedSelect')
end

function T.nonzero()
  torch.manualSeed(5)
  for _, tp in ipairs(types) do
    local x = torch.floor(torch.rand(4, 5, 6) * 3):type(tp)
    for _, L in ipairs(layouts(x)) do
      same(L[3]:nonzero(), L[2]:nonzero(), 0, tp .. ' ' .. L[1] .. ' nonzero')
    end
  end
  local f = torch.Tensor{0, -0.0, 0 / 0, 1, 0, -2}
  same(f:cuda():nonzero(), f:nonzero(), 0, 'NaN and -0')
  local big = torch.rand(400, 700):gt(0.7)
  same(big:cuda():nonzero(), big:nonzero(), 0, '2.8e5 elements')
  same(torch.zeros(3, 4):cuda():nonzero(), torch.zeros(3, 4):nonzero(), 0, 'none')
  same(torch.Tensor(0, 4):cuda():nonzero(), torch.Tensor(0, 4):nonzero(), 0, 'empty')
end

function T.cat_stack_repeat_flip_roll()
  torch.manualSeed(6)
  for _, tp in ipairs{'torch.FloatTensor', 'torch.DoubleTensor', 'torch.LongTensor', 'torch.HalfTensor'} do
    local a, b, c = rnd(3, 4, 5):type(tp), rnd(3, 4, 5):type(tp), rnd(3, 4, 5):type(tp)
    for d = 1, 3 do
      local msg = tp .. ' dim ' .. d
      local sb = b:size(); sb[d] = 2
      local b2 = rnd(sb):type(tp)
      local ez = a:size(); ez[d] = 0
      local e = torch.Tensor(ez):type(tp)
      same(torch.cat({a:cuda(), b2:cuda(), c:cuda()}, d), torch.cat({a, b2, c}, d), 0, msg .. ' cat of 3')
      same(torch.cat({a:cuda(), e:cuda(), c:cuda()}, d), torch.cat({a, e, c}, d), 0, msg .. ' cat with an empty slice')
      same(torch.cat({torch.Tensor():type(tp):cuda(), a:cuda(), c:cuda()}, d), torch.cat({torch.Tensor():type(tp), a, c}, d), 0,
           msg .. ' cat with an empty tensor')
      local at = a:transpose(1, 3):contiguous():transpose(1, 3)
      same(torch.cat({at:cuda():transpose(1, 3):contiguous():transpose(1, 3), b:cuda(), c:cuda():narrow(d, 1, 2)}, d),
           torch.cat({at, b, c:narrow(d, 1, 2)}, d), 0, msg .. ' cat of non-contiguous inputs')
      same(torch.stack({a:cuda(), b:cuda(), c:cuda()}, d), torch.stack({a, b, c}, d), 0, msg .. ' stack')
      same(a:cuda():flip(d), a:flip(d), 0, msg .. ' flip')
      same(at:cuda():transpose(1, 3):contiguous():transpose(1, 3):flip(d), at:flip(d), 0, msg .. ' flip of a transposed view')
      for _, s in ipairs{1, -2, 7, 0} do
        same(a:cuda():roll(s, d), a:roll(s, d), 0, msg .. ' roll ' .. s)
      end
    end
    same(a:cuda():flip(1, 3), a:flip(1, 3), 0, tp .. ' flip of two dims')
    same(a:cuda():repeatTensor(2, 1, 3), a:repeatTensor(2, 1, 3), 0, tp .. ' repeatTensor')
    same(a:cuda():repeatTensor(2, 1, 1, 2), a:repeatTensor(2, 1, 1, 2), 0, tp .. ' repeatTensor, a new dim')
    same(a:cuda():transpose(1, 3):repeatTensor(1, 2, 2), a:transpose(1, 3):repeatTensor(1, 2, 2), 0, tp .. ' repeatTensor of a transposed view')
  end
  -- mixed dtypes promote; result tensors; vectors along dim 2
  local f, dd = torch.randn(2, 3), torch.randn(2, 3):double()
  same(torch.cat({f:cuda(), dd:cuda()}, 1), torch.cat({f, dd}, 1), 0, 'float with double')
  local res = torch.CudaTensor()
  torch.cat(res, {f:cuda(), f:cuda()}, 2)
  same(res, torch.cat({f, f}, 2), 0, 'cat into a result tensor')
  local v = torch.randn(4)
  same(torch.cat(v:cuda(), v:cuda(), 2), torch.cat(v, v, 2), 0, 'vectors along dim 2')
  same(torch.cat({torch.Tensor():cuda(), torch.Tensor():cuda()}, 1), torch.cat({torch.Tensor(), torch.Tensor()}, 1), 0, 'only empties')
  tester:assertErrorPattern(function() torch.cat({f:cuda(), f}, 1) end, 'different devices', 'cat across devices')
  local big = torch.randn(70000, 3)
  same(torch.cat({big:cuda(), big:cuda()}, 2), torch.cat({big, big}, 2), 0, 'cat of 70000 rows')
end

-- ties keep their order, NaN last (ascending) / first (descending), -0 ties +0
local function sort_input(tp, ...)
  local x = torch.floor(torch.rand(...) * 5) - 2
  if tp == 'torch.FloatTensor' or tp == 'torch.DoubleTensor' or tp == 'torch.HalfTensor' or tp == 'torch.BFloat16Tensor' then
    local flat = x:view(-1)
    for i = 1, flat:nElement(), 7 do flat[i] = 0 / 0 end
    for i = 3, flat:nElement(), 11 do flat[i] = -0.0 end
    for i = 5, flat:nElement(), 13 do flat[i] = 1 / 0 end
  elseif tp == 'torch.ByteTensor' then x:abs()
  end
  return x:type(tp)
end

function T.sort()
  torch.manualSeed(7)
  for _, tp in ipairs{'torch.FloatTensor', 'torch.DoubleTensor', 'torch.LongTensor', 'torch.IntTensor', 'torch.ShortTensor',
                      'torch.CharTensor', 'torch.ByteTensor', 'torch.HalfTensor', 'torch.BFloat16Tensor'} do
    local x = sort_input(tp, 6, 9, 5)
    for _, L in ipairs(layouts(x)) do
      for d = 1, 3 do
        for _, desc in ipairs{false, true} do
          local msg = tp .. ' ' .. L[1] .. ' dim ' .. d .. (desc and ' descending' or '')
          local cv, ci = L[2]:sort(d, desc)
          local gv, gi = L[3]:sort(d, desc)
          same(gv, cv, 0, msg .. ' values')
          same(gi, ci, 0, msg .. ' indices')
        end
      end
    end
  end
  -- long rows (the device radix sort), with ties and NaN
  for _, n in ipairs{2049, 5000, 70000} do
    for _, tp in ipairs{'torch.FloatTensor', 'torch.DoubleTensor', 'torch.LongTensor', 'torch.HalfTensor'} do
      local x = sort_input(tp, 3, n)
      for _, desc in ipairs{false, true} do
        local cv, ci = x:sort(2, desc)
        local gv, gi = x:cuda():sort(2, desc)
        same(gv, cv, 0, tp .. ' rows of ' .. n .. (desc and ' descending' or '') .. ' values')
        same(gi, ci, 0, tp .. ' rows of ' .. n .. ' indices')
      end
      local cv, ci = x:t():sort(1)
      local gv, gi = x:cuda():t():sort(1)
      same(gv, cv, 0, tp .. ' transposed long rows values')
      same(gi, ci, 0, tp .. ' transposed long rows indices')
    end
  end
  -- many short rows; one element; empty; result tensors
  local many = sort_input('torch.FloatTensor', 70000, 3)
  local cv, ci = many:sort(2)
  local gv, gi = many:cuda():sort(2)
  same(gv, cv, 0, '70000 rows values')
  same(gi, ci, 0, '70000 rows indices')
  local one = torch.Tensor{3}
  cv, ci = one:sort()
  gv, gi = one:cuda():sort()
  same(gv, cv, 0, 'one element')
  same(gi, ci, 0, 'one element index')
  cv, ci = torch.Tensor(0, 4):sort(1)
  gv, gi = torch.Tensor(0, 4):cuda():sort(1)
  same(gv, cv, 0, 'empty')
  same(gi, ci, 0, 'empty index')
  local rv, ri = torch.CudaTensor(), torch.CudaLongTensor()
  torch.sort(rv, ri, many:cuda(), 1, true)
  cv, ci = many:sort(1, true)
  same(rv, cv, 0, 'result tensors values')
  same(ri, ci, 0, 'result tensors indices')
end

function T.topk()
  torch.manualSeed(8)
  for _, tp in ipairs{'torch.FloatTensor', 'torch.DoubleTensor', 'torch.LongTensor', 'torch.HalfTensor'} do
    local x = sort_input(tp, 6, 9, 5)
    for _, L in ipairs(layouts(x)) do
      for d = 1, 3 do
        for _, k in ipairs{1, 2, x:size(d)} do
          for _, largest in ipairs{false, true} do
            local msg = tp .. ' ' .. L[1] .. ' dim ' .. d .. ' k ' .. k .. (largest and ' largest' or '')
            local cv, ci = L[2]:topk(k, d, largest)
            local gv, gi = L[3]:topk(k, d, largest, true)
            same(gv, cv, 0, msg .. ' values')
            same(gi, ci, 0, msg .. ' indices')
          end
        end
      end
    end
  end
  local x = sort_input('torch.FloatTensor', 4, 10000)
  for _, k in ipairs{1, 5, 10000} do
    local cv, ci = x:topk(k, 2, true)
    local gv, gi = x:cuda():topk(k, 2, true)
    same(gv, cv, 0, 'long rows k ' .. k .. ' values')
    same(gi, ci, 0, 'long rows k ' .. k .. ' indices')
  end
  tester:assertErrorPattern(function() x:cuda():topk(10001) end, 'topk: k', 'k too large')
end

-- gradients on the GPU equal those on the CPU
function T.gradients()
  torch.manualSeed(9)
  local function check(f, shapes, msg)
    local xs, gs = {}, {}
    for i, s in ipairs(shapes) do
      xs[i] = torch.randn(table.unpack(s)):double():setRequiresGrad()
      gs[i] = xs[i]:detach():cuda():setRequiresGrad()
    end
    local yc = f(table.unpack(xs))
    local w = torch.randn(yc:size()):double()
    local gc = torch.grad(yc, xs, w)
    local gg = torch.grad(f(table.unpack(gs)), gs, w:cuda())
    for i = 1, #xs do same(gg[i], gc[i], 1e-10, msg .. ' input ' .. i) end
  end
  local idx = torch.LongTensor{3, 1, 3, 2}
  check(function(a) return a:index(1, a:type():find('Cuda') and idx:cuda() or idx) end, {{4, 5}}, 'index')
  local gi = torch.LongTensor{{1, 2, 2}, {3, 3, 1}}
  check(function(a) return a:gather(1, a:type():find('Cuda') and gi:cuda() or gi) end, {{3, 3}}, 'gather')
  check(function(a, b, c) return torch.cat({a, b, c}, 2) end, {{3, 2}, {3, 4}, {3, 1}}, 'cat')
  check(function(a, b) return torch.stack({a, b}, 1) end, {{3, 2}, {3, 2}}, 'stack')
  check(function(a) return (a:sort(2, true)) end, {{4, 6}}, 'sort values')
  check(function(a) return (a:topk(2, 1)) end, {{5, 3}}, 'topk values')
  check(function(a) return a:maskedSelect(a:gt(0)) end, {{5, 4}}, 'maskedSelect')
  check(function(a) return a:flip(1):roll(1, 2) end, {{3, 4}}, 'flip, roll')
  check(function(a) return a:repeatTensor(2, 1) end, {{3, 4}}, 'repeatTensor (its backward sums along dims)')
end

tester:add(T)
return tester
