-- Reductions (bindings/reduce.c, tensor/reduce*.c): sum mean prod max min std var norm
-- dist cumsum cumprod median mode kthvalue all any logsumexp argmax argmin equal.
local tester = torch.Tester()
local T = torch.TestSuite()

local function same(a, b, msg) tester:eq(a, b, 0, msg) end
local function near(a, b, tol, msg) tester:eq(a, b, tol, msg) end

local types = {'torch.DoubleTensor', 'torch.FloatTensor', 'torch.LongTensor', 'torch.IntTensor',
               'torch.ShortTensor', 'torch.CharTensor', 'torch.ByteTensor', 'torch.HalfTensor'}
local function isfloat(tp) return tp == 'torch.DoubleTensor' or tp == 'torch.FloatTensor' or tp == 'torch.HalfTensor' end

-- the 2x3 matrix m in three layouts: contiguous, transposed storage, narrowed from a wider one
local function layouts(m)
  local t = m:t():contiguous():t()
  local big = torch.Tensor(m:size(1), m:size(2) + 2):type(m:type()):fill(99)
  local n = big:narrow(2, 2, m:size(2)); n:copy(m)
  return {contiguous = m:clone(), transposed = t, narrowed = n}
end

function T.sum_mean_prod_forms_types_layouts()
  for _, tp in ipairs(types) do
    local m = torch.Tensor{{1, 2, 3}, {4, 5, 6}}:type(tp)
    for name, x in pairs(layouts(m)) do
      local msg = tp .. ' ' .. name
      tester:eq(x:sum(), 21, 0, msg)
      tester:eq(torch.sum(x), 21, 0, msg)
      same(x:sum(1), torch.Tensor{{5, 7, 9}}:type(tp), msg)
      same(x:sum(2), torch.Tensor{{6}, {15}}:type(tp), msg)
      same(torch.sum(x, -1), torch.Tensor{{6}, {15}}:type(tp), msg .. ' negative dim')
      tester:assert(torch.type(x:sum(1)) == tp, msg .. ' keeps the type')
      tester:eq(x:prod(), 720, 0, msg)
      same(x:prod(1), torch.Tensor{{4, 10, 18}}:type(tp), msg)
      if isfloat(tp) then
        tester:eq(x:mean(), 3.5, 1e-12, msg)
        same(x:mean(2), torch.Tensor{{2}, {5}}:type(tp), msg)
      else
        tester:assert(math.type(x:sum()) == 'integer', msg .. ' integer sum')
        tester:assertErrorPattern(function() x:mean() end, 'mean: expected a floating point tensor')
      end
      same(x, m, msg .. ' the source is unchanged')
    end
  end
  -- result forms write into res
  local x = torch.Tensor{{1, 2, 3}, {4, 5, 6}}
  local res = torch.Tensor()
  local r = torch.sum(res, x, 2)
  tester:assert(r == res, 'torch.sum(res, x, dim) returns res')
  same(res, torch.Tensor{{6}, {15}})
  local r2 = res:sum(x, 1)
  tester:assert(r2 == res, 'res:sum(x, dim) returns res')
  same(res, torch.Tensor{{5, 7, 9}})
  -- a byte sum as a number does not wrap; over a dim it keeps the type (Torch7)
  local b = torch.ByteTensor{200, 100}
  tester:eq(b:sum(), 300, 0)
  same(b:sum(1), torch.ByteTensor{44})
  -- large exact integer sums
  local l = torch.LongTensor{1 << 62, 1, -(1 << 61)}
  tester:assert(l:sum() == (1 << 61) + 1 and math.type(l:sum()) == 'integer', 'exact int64 sum')
  tester:assert(l:max() == 1 << 62, 'exact int64 max')
  -- accumulation in double for float tensors
  local f = torch.FloatTensor(1000000):fill(0.1)
  tester:eq(f:sum(), 1000000 * 0.100000001490116, 1e-3, 'float sum accumulated in double')
end

function T.max_min_indices()
  local x = torch.Tensor{{3, 7, 7}, {9, -1, 2}}
  for name, y in pairs(layouts(x)) do
    tester:eq(y:max(), 9, 0, name)
    tester:eq(torch.min(y), -1, 0, name)
    local v, i = y:max(2)
    same(v, torch.Tensor{{7}, {9}}, name)
    same(i, torch.LongTensor{{2}, {1}}, name .. ' first of equal maxima, 1-based')
    v, i = torch.min(y, 1)
    same(v, torch.Tensor{{3, -1, 2}}, name)
    same(i, torch.LongTensor{{1, 2, 2}}, name)
  end
  -- result tensors
  local rv, ri = torch.Tensor(), torch.LongTensor()
  local v, i = torch.max(rv, ri, x, 1)
  tester:assert(v == rv and i == ri, 'results into resval, resind')
  same(rv, torch.Tensor{{9, 7, 7}})
  same(ri, torch.LongTensor{{2, 1, 1}})
  -- two tensors: elementwise (cmax / cmin)
  local a, b = torch.Tensor{1, 5, 3}, torch.Tensor{4, 2, 3}
  same(torch.max(a, b), torch.Tensor{4, 5, 3})
  same(torch.min(a, b), torch.Tensor{1, 2, 3})
  local res = torch.Tensor(3)
  torch.max(res, a, b)
  same(res, torch.Tensor{4, 5, 3})
  same(a, torch.Tensor{1, 5, 3}, 'a unchanged')
  -- NaN propagates
  local n = torch.Tensor{1, 0 / 0, 3}
  tester:assert(n:max() ~= n:max(), 'max with NaN is NaN')
  local nv, ni = n:max(1)
  tester:assert(nv[1] ~= nv[1] and ni[1] == 2, 'NaN and its index')
  -- integers
  local li = torch.LongTensor{4, -8, 4}
  tester:assert(li:max() == 4 and math.type(li:max()) == 'integer')
  local _, lidx = li:min(1)
  same(lidx, torch.LongTensor{2})
  tester:assertErrorPattern(function() torch.Tensor():max() end, 'max: cannot reduce an empty tensor')
  tester:assertErrorPattern(function() x:max(3) end, "bad argument #1 to 'max' %(dimension 3 out of range")
  tester:assertErrorPattern(function() torch.max(x, 0) end, "bad argument #2 to 'max'")
end

function T.std_var_norm_dist()
  local x = torch.Tensor{{1, 2, 3, 4}, {2, 4, 6, 8}}
  for name, y in pairs(layouts(x)) do
    tester:eq(y:var(), 37.5 / 7, 1e-5, name)   -- sample variance (mean 3.75)
    near(y:var(2), torch.Tensor{{5 / 3}, {20 / 3}}, 1e-6, name)
    near(y:var(2, true), torch.Tensor{{1.25}, {5}}, 1e-6, name .. ' biased')
    near(y:std(2), torch.Tensor{{math.sqrt(5 / 3)}, {math.sqrt(20 / 3)}}, 1e-6, name)
    near(y:std(1, true), torch.Tensor{{0.5, 1, 1.5, 2}}, 1e-6, name)
    tester:eq(y:norm(), math.sqrt(150), 1e-5, name)
    tester:eq(y:norm(1), 30, 1e-6, name)
    tester:eq(y:norm(math.huge), 8, 0, name)
    tester:eq(y:norm(0), 8, 0, name)
    near(y:norm(2, 2), torch.Tensor{{math.sqrt(30)}, {math.sqrt(120)}}, 1e-5, name)
    near(y:norm(3, 1), torch.Tensor{{9 ^ (1 / 3), 72 ^ (1 / 3), 243 ^ (1 / 3), 576 ^ (1 / 3)}}, 1e-5, name)
  end
  local m = torch.DoubleTensor{1, 2, 3, 4}
  tester:eq(m:std(), math.sqrt(5 / 3), 1e-12)
  tester:eq(m:std(true), math.sqrt(1.25), 1e-12, 'biased flag on the whole tensor')
  tester:eq(m:var(), 5 / 3, 1e-12)
  tester:eq(torch.dist(m, torch.DoubleTensor{1, 1, 1, 1}), math.sqrt(14), 1e-12)
  tester:eq(m:dist(torch.DoubleTensor{1, 1, 1, 1}, 1), 6, 1e-12)
  tester:assertErrorPattern(function() torch.LongTensor{1}:std() end, 'std: expected a floating point')
  tester:assertErrorPattern(function() torch.dist(m, torch.DoubleTensor{1, 2}) end, 'dist')
end

function T.cumsum_cumprod()
  local x = torch.LongTensor{{1, 4, 7}, {2, 5, 8}, {3, 6, 9}}
  same(x:cumsum(), torch.LongTensor{{1, 4, 7}, {3, 9, 15}, {6, 15, 24}}, 'default dim 1')
  same(x:cumsum(2), torch.LongTensor{{1, 5, 12}, {2, 7, 15}, {3, 9, 18}})
  same(torch.cumprod(x), torch.LongTensor{{1, 4, 7}, {2, 20, 56}, {6, 120, 504}}, 'Torch7 doc example')
  same(torch.cumprod(x, 2), torch.LongTensor{{1, 4, 28}, {2, 10, 80}, {3, 18, 162}})
  for name, y in pairs(layouts(torch.Tensor{{1, 2, 3}, {4, 5, 6}})) do
    same(y:cumsum(2), torch.Tensor{{1, 3, 6}, {4, 9, 15}}, name)
    same(y:cumprod(1), torch.Tensor{{1, 2, 3}, {4, 10, 18}}, name)
  end
  local res = torch.Tensor()
  local r = torch.cumsum(res, torch.Tensor{1, 2, 3})
  tester:assert(r == res)
  same(res, torch.Tensor{1, 3, 6})
  tester:assertErrorPattern(function() x:cumsum(3) end, "bad argument #1 to 'cumsum'")
end

function T.median_mode_kthvalue()
  local x = torch.Tensor{{5, 1, 4, 2}, {9, 9, 1, 9}}
  for name, y in pairs(layouts(x)) do
    tester:eq(y:reshape(8):median()[1], 4, 0, name .. ' median of all: the lower middle of 1 1 2 4 5 9 9 9')
    same(y:median(), torch.Tensor{{2}, {9}}, name .. ' median without dim: the last dim (Torch7)')
    local v, i = y:median(2)
    same(v, torch.Tensor{{2}, {9}}, name)
    tester:eq(i[1][1], 4, 0, name)
    v, i = y:kthvalue(3)                         -- last dim by default
    same(v, torch.Tensor{{4}, {9}}, name)
    same(i:narrow(1, 1, 1), torch.LongTensor{{3}}, name)
    v, i = torch.kthvalue(y, 1, 1)
    same(v, torch.Tensor{{5, 1, 1, 2}}, name)
    same(i, torch.LongTensor{{1, 1, 2, 1}}, name)
    v, i = y:mode()
    same(v, torch.Tensor{{1}, {9}}, name .. ' ties: the smallest value')
    v, i = y:mode(1)
    same(v, torch.Tensor{{5, 1, 1, 2}}, name)
  end
  local iv = torch.IntTensor{3, 1, 2, 3}
  local v, i = iv:mode()
  same(v, torch.IntTensor{3})
  tester:eq(iv:median()[1], 2, 0)
  tester:assert(math.type(iv:median()[1]) == 'integer')
  tester:assertErrorPattern(function() iv:kthvalue(5) end, 'kthvalue: k 5 out of range')
  tester:assertErrorPattern(function() iv:median(2) end, "bad argument #1 to 'median'")
end

function T.all_any_argmax_logsumexp()
  local b = torch.ByteTensor{{1, 1}, {0, 1}}
  tester:assert(b:all() == false and b:any() == true)
  tester:assert(torch.ByteTensor{1, 1}:all() == true and torch.ByteTensor{0, 0}:any() == false)
  same(b:all(2), torch.ByteTensor{{1}, {0}})
  same(b:any(1), torch.ByteTensor{{1, 1}})
  tester:assert(torch.Tensor{0, 0.5}:any() == true, 'any on a float tensor')
  local x = torch.Tensor{{3, 8, 1}, {9, 0, 9}}
  tester:eq(x:argmax(), 4, 0, 'flat 1-based position')
  tester:eq(x:argmin(), 5, 0)
  same(x:argmax(2), torch.LongTensor{{2}, {1}})
  same(torch.argmin(x, 1), torch.LongTensor{{1, 2, 1}})
  local l = torch.DoubleTensor{{1, 2, 3}, {1000, 1000, -math.huge}}
  near(l:logsumexp(2), torch.DoubleTensor{{math.log(math.exp(1) + math.exp(2) + math.exp(3))},
                                          {1000 + math.log(2)}}, 1e-9)
  tester:eq(torch.DoubleTensor{1, 2}:logsumexp(), math.log(math.exp(1) + math.exp(2)), 1e-12)
end

function T.equal()
  local a = torch.Tensor{{1, 2}, {3, 4}}
  tester:assert(torch.equal(a, a:clone()) == true)
  tester:assert(a:equal(a:t():contiguous():t()) == true, 'layouts do not matter')
  tester:assert(a:equal(a:t()) == false)
  tester:assert(a:equal(torch.Tensor{1, 2, 3, 4}) == false, 'sizes matter')
  local c = a:clone(); c[2][2] = 5
  tester:assert(not torch.equal(a, c))
end

-- float64 references computed in Lua, on a 3-D tensor and its transposed / narrowed views
function T.against_lua_reference()
  torch.manualSeed(7)
  local base = torch.DoubleTensor(4, 5, 6):uniform(-2, 2)
  local views = {contiguous = base, transposed = base:transpose(1, 3),
                 narrowed = base:narrow(3, 2, 4), selected = base:select(2, 3)}
  for name, t in pairs(views) do
    local nd = t:dim()
    for d = 1, nd do
      local s, mx, mxi, sq = t:sum(d), nil, nil, t:var(d)
      mx, mxi = t:max(d)
      local size = t:size()
      local n = size[d]
      -- walk every output position
      local osize = t:size(); osize[d] = 1
      local total = 1
      for k = 1, nd do total = total * osize[k] end
      for lin = 0, total - 1 do
        local idx, r = {}, lin
        for k = nd, 1, -1 do idx[k] = r % osize[k] + 1; r = r // osize[k] end
        local acc, best, besti, vals = 0, -math.huge, 0, {}
        for j = 1, n do
          idx[d] = j
          local v = t[idx]
          acc = acc + v; vals[j] = v
          if v > best then best, besti = v, j end
        end
        local mean, q = acc / n, 0
        for j = 1, n do q = q + (vals[j] - mean) ^ 2 end
        idx[d] = 1
        tester:eq(s[idx], acc, 1e-12, name .. ' sum')
        tester:eq(mx[idx], best, 0, name .. ' max')
        tester:eq(mxi[idx], besti, 0, name .. ' argmax')
        tester:eq(sq[idx], q / (n - 1), 1e-12, name .. ' var')
      end
    end
  end
end

function T.expanded_inputs()
  -- stride-0 dims (views from expand) along and across the reduced dim
  local e = torch.Tensor{1, 2, 3}:view(1, 3):expand(4, 3)
  same(e:sum(1), torch.Tensor{{4, 8, 12}})
  same(e:sum(2), torch.Tensor{{6}, {6}, {6}, {6}})
  tester:eq(e:sum(), 24, 0)
  local v, i = e:max(1)
  same(v, torch.Tensor{{1, 2, 3}})
  same(i, torch.LongTensor{{1, 1, 1}})
  same(e:cumsum(1):select(1, 4), torch.Tensor{4, 8, 12})
  tester:eq(e:argmax(), 3, 0)
  tester:eq(e:reshape(e:nElement()):median()[1], 2, 0)
  local w = torch.Tensor(1, 20):fill(2):expand(50, 20)   -- rows path over a stride-0 dim
  same(w:sum(1), torch.Tensor(1, 20):fill(100))
  same(w:var(1), torch.Tensor(1, 20):zero())
end

function T.empty_and_errors()
  tester:eq(torch.Tensor():sum(), 0, 0)
  tester:eq(torch.Tensor():prod(), 1, 0)
  tester:assert(torch.Tensor():all() == true and torch.Tensor():any() == false)
  local e = torch.Tensor(3, 0)
  same(e:sum(2), torch.zeros(3, 1))
  tester:eq(e:sum(1):nElement(), 0, 0)
  tester:assertErrorPattern(function() e:max(2) end, 'max: cannot reduce over dimension 2 of size 0')
  tester:assertErrorPattern(function() torch.Tensor():median() end, 'median')
  tester:assertErrorPattern(function() torch.Tensor(0):median() end, 'median: cannot reduce')
  local x = torch.Tensor(2, 2)
  tester:assertErrorPattern(function() x:sum(3) end, "bad argument #1 to 'sum' %(dimension 3 out of range %(expected 1 to 2%)%)")
  tester:assertErrorPattern(function() torch.sum(x, 'a') end, "bad argument #2 to 'sum'")
  tester:assertErrorPattern(function() torch.sum(torch.LongTensor(), x, 1) end, 'sum: result tensor is LongTensor, expected FloatTensor')
  tester:assertErrorPattern(function() torch.sum(torch.Tensor(), x) end, "dimension expected")
  tester:assertErrorPattern(function() x:norm(2, 5) end, "bad argument #2 to 'norm'")
  tester:assertErrorPattern(function() x:logsumexp(0) end, "bad argument #1 to 'logsumexp'")
end

function T.histc()
  local x = torch.Tensor{1, 2, 1, 4, 2.5, 0.5}
  same(torch.histc(x, 4, 0, 4), torch.Tensor{1, 2, 2, 1}, 'value 4 falls in the last bin')
  same(x:histc(3), torch.Tensor{3, 2, 1}, 'the data range [0.5, 4] by default')
  same(torch.histc(x, 2, 1, 2), torch.Tensor{2, 1}, 'values outside the range are not counted')
  same(torch.histc(torch.Tensor{3, 3}, 2), torch.Tensor{0, 2}, 'equal values: range widened by 1')
  -- Torch7's rule: any min == max (not only 0, 0) takes the data's range, [0.5, 4] here
  same(torch.histc(x, 3, 3, 3), torch.Tensor{3, 2, 1}, 'min == max == 3: the data range')
  same(torch.histc(x, 3, -2, -2), torch.Tensor{3, 2, 1}, 'min == max == -2: the data range')
  -- and a data range still empty is widened by 1: [2, 4] for {3, 3}, not [0, 2] around 1
  same(torch.histc(torch.Tensor{3, 3}, 2, 1, 1), torch.Tensor{0, 2}, 'min == max, equal values')
  same(torch.histc(torch.Tensor{0 / 0}, 2, 5, 5), torch.Tensor{0, 0}, 'only NaNs: nothing counted')
  same(torch.histc(torch.Tensor(0), 2, 5, 5), torch.Tensor{0, 0}, 'no values')
  tester:eq(torch.histc(torch.IntTensor{1, 2, 3}, 3):type(), 'torch.IntTensor')
  local res = torch.Tensor()
  torch.histc(res, x, 2, 0, 4)
  same(res, torch.Tensor{3, 3})
  tester:assertErrorPattern(function() x:histc(0) end, 'bins must be positive')
  tester:assertErrorPattern(function() x:histc(3, 2, 1) end, 'min 2 is larger than max 1')
end

-- long contiguous lines, reduced in place in pieces: values and 1-based indices past the
-- piece boundaries, compared with a float64 loop
function T.long_lines()
  for _, tp in ipairs{'torch.FloatTensor', 'torch.DoubleTensor'} do
    local n = 5003
    local x = torch.Tensor(n):type(tp)
    local ref, ref2 = 0, 0
    for i = 1, n do
      local v = ((i * 7919) % 1013) / 64 - 7
      x[i] = v
      ref, ref2 = ref + v, ref2 + v * v
    end
    x[4500], x[2049] = 100, -100
    ref = ref + 100 - ((4500 * 7919) % 1013) / 64 + 7 - 100 - ((2049 * 7919) % 1013) / 64 + 7
    tester:eq(x:sum(), ref, 1e-9 * n, tp .. ' sum')
    local v, i = x:max(1)
    tester:assert(v[1] == 100 and i[1] == 4500, tp .. ' max index past a piece')
    v, i = x:min(1)
    tester:assert(v[1] == -100 and i[1] == 2049, tp .. ' min index past a piece')
    x[4999] = 0 / 0
    tester:assert(x:max() ~= x:max(), tp .. ' NaN in the last piece propagates')
    local b = torch.Tensor(n):type(tp):fill(1)
    b[3000] = 0
    tester:assert(b:all() == false, tp .. ' all sees a zero past the first piece')
    b:zero()
    b[4096 + 7] = 2
    tester:assert(b:any() == true, tp .. ' any sees a nonzero past the first piece')
  end
end

tester:add(T)
return tester
