-- Indexing, masks and sorting (bindings/index.c, tensor/index.c, gather.c, mask.c, tensor/sort.c).
local tester = torch.Tester()
local T = torch.TestSuite()

local function same(a, b, msg) tester:eq(a, b, 0, msg) end

local types = {'torch.DoubleTensor', 'torch.FloatTensor', 'torch.LongTensor', 'torch.IntTensor',
               'torch.ShortTensor', 'torch.CharTensor', 'torch.ByteTensor', 'torch.HalfTensor'}

-- the 2x3 matrix m in three layouts: contiguous, transposed storage, narrowed from a wider one
local function layouts(m)
  local t = m:t():contiguous():t()
  local big = torch.Tensor(m:size(1), m:size(2) + 2):type(m:type()):fill(99)
  local n = big:narrow(2, 2, m:size(2)); n:copy(m)
  return {contiguous = m:clone(), transposed = t, narrowed = n}
end

function T.index_forms_layouts_types()
  for _, tp in ipairs(types) do
    local m = torch.Tensor{{1, 2, 3}, {4, 5, 6}}:type(tp)
    for name, x in pairs(layouts(m)) do
      local msg = tp .. ' ' .. name
      same(x:index(1, torch.LongTensor{2, 1, 2}), torch.Tensor{{4, 5, 6}, {1, 2, 3}, {4, 5, 6}}, msg)
      same(x:index(2, torch.LongTensor{3, 1}), torch.Tensor{{3, 1}, {6, 4}}, msg)
      same(torch.index(x, -1, torch.LongTensor{2}), torch.Tensor{{2}, {5}}, msg)
      tester:assert(torch.type(x:index(1, torch.LongTensor{1})) == tp, msg)
    end
  end
  -- result forms (Torch7: res:index(src, dim, idx), torch.index(res, src, dim, idx))
  local x = torch.Tensor{{1, 2, 3}, {4, 5, 6}}
  local y = torch.Tensor()
  local r = y:index(x, 2, torch.LongTensor{3, 3})
  tester:assert(r == y, 'res:index returns res')
  same(y, torch.Tensor{{3, 3}, {6, 6}})
  torch.index(y, x, 1, {2})
  same(y, torch.Tensor{{4, 5, 6}})
  same(x:index(1, {2, 1}), torch.Tensor{{4, 5, 6}, {1, 2, 3}}, 'a table of indices')
  same(x, torch.Tensor{{1, 2, 3}, {4, 5, 6}}, 'the source is unchanged')
end

function T.index_errors()
  local x = torch.Tensor{{1, 2, 3}, {4, 5, 6}}
  tester:assertErrorPattern(function() x:index(1, torch.LongTensor{3}) end,
    'index: index 3 out of range for dimension 1 of size 2')
  tester:assertErrorPattern(function() x:index(2, torch.LongTensor{0}) end,
    'index: index 0 out of range for dimension 2 of size 3')
  tester:assertErrorPattern(function() x:index(3, torch.LongTensor{1}) end, "'index'")
  tester:assertErrorPattern(function() x:index(1, torch.Tensor{1}) end, 'LongTensor')
  tester:assertErrorPattern(function() x:index(1, torch.LongTensor{{1}}) end, 'index: indices must be a vector')
  tester:assertErrorPattern(function() torch.index(torch.LongTensor(), x, 1, {1}) end,
    'index: result tensor is LongTensor')
end

function T.indexCopy_indexAdd_indexFill()
  -- Torch7's documented examples
  local x = torch.Tensor(5, 5):fill(0)
  local z = torch.Tensor(5, 2)
  z:select(2, 1):fill(-1)
  z:select(2, 2):fill(-2)
  tester:assert(x:indexCopy(2, torch.LongTensor{5, 1}, z) == x, 'indexCopy returns self')
  for i = 1, 5 do
    same(x[i], torch.Tensor{-2, 0, 0, 0, -1})
  end
  local a = torch.Tensor{1, 2, 3, 4, 5}
  a:indexAdd(1, torch.LongTensor{1, 1, 3, 3}, torch.Tensor{1, 2, 3, 4})
  same(a, torch.Tensor{4, 2, 10, 4, 5})
  local f = torch.Tensor(3, 4):fill(1)
  f:indexFill(2, torch.LongTensor{4, 2}, -10)
  same(f, torch.Tensor{{1, -10, 1, -10}, {1, -10, 1, -10}, {1, -10, 1, -10}})
  -- other dtypes, a transposed destination, the function form
  for _, tp in ipairs(types) do
    local m = torch.Tensor(2, 3):type(tp):fill(0)
    local mt = m:t()                                   -- 3x2 view
    torch.indexCopy(mt, 1, torch.LongTensor{3, 1}, torch.Tensor{{1, 2}, {3, 4}}:type(tp))
    same(m, torch.Tensor{{3, 0, 1}, {4, 0, 2}}, tp)
    mt:indexAdd(2, torch.LongTensor{2, 2}, torch.Tensor{{1, 1}, {1, 1}, {2, 2}}:type(tp))
    same(m, torch.Tensor{{3, 0, 1}, {6, 2, 6}}, tp)
    m:indexFill(1, {1}, 7)
    same(m, torch.Tensor{{7, 7, 7}, {6, 2, 6}}, tp)
  end
  tester:assertErrorPattern(function() a:indexCopy(1, torch.LongTensor{6}, torch.Tensor{1}) end,
    'indexCopy: index 6 out of range for dimension 1 of size 5')
  tester:assertErrorPattern(function() a:indexAdd(1, torch.LongTensor{1, 2}, torch.Tensor{1}) end,
    'indexAdd: source of size 1')
  tester:assertErrorPattern(function() a:indexFill(1, torch.LongTensor{-9}, 0) end, 'indexFill: index %-9 out of range')
  tester:assertErrorPattern(function() a:indexFill(1, torch.LongTensor{1}, 'x') end, "'indexFill'")
end

function T.gather_scatter()
  -- Torch7's documented examples, with known values in place of rand
  local x = torch.Tensor{{11, 12, 13, 14, 15}, {21, 22, 23, 24, 25}, {31, 32, 33, 34, 35},
                         {41, 42, 43, 44, 45}, {51, 52, 53, 54, 55}}
  local y = x:gather(1, torch.LongTensor{{1, 2, 3, 4, 5}, {2, 3, 4, 5, 1}})
  same(y, torch.Tensor{{11, 22, 33, 44, 55}, {21, 32, 43, 54, 15}})
  local z = torch.gather(x, 2, torch.LongTensor{{1, 2}, {2, 3}, {3, 4}, {4, 5}, {5, 1}})
  same(z, torch.Tensor{{11, 12}, {22, 23}, {33, 34}, {44, 45}, {55, 51}})
  local res = torch.Tensor()
  torch.gather(res, x:t(), 1, torch.LongTensor{{5, 4, 3, 2, 1}})   -- transposed source
  same(res, torch.Tensor{{15, 24, 33, 42, 51}})
  local s = torch.Tensor{{1, 2, 3, 4, 5}, {6, 7, 8, 9, 10}}
  local w = torch.Tensor(3, 5):zero():scatter(1, torch.LongTensor{{1, 2, 3, 1, 1}, {3, 1, 1, 2, 3}}, s)
  same(w, torch.Tensor{{1, 7, 8, 4, 5}, {0, 2, 0, 9, 0}, {6, 0, 3, 0, 10}})
  local v = torch.Tensor(2, 4):zero():scatter(2, torch.LongTensor{{3}, {4}}, 1.25)
  same(v, torch.Tensor{{0, 0, 1.25, 0}, {0, 0, 0, 1.25}})
  local acc = torch.Tensor(2, 3):zero()
  acc:scatterAdd(2, torch.LongTensor{{1, 1, 3, 1}, {2, 2, 2, 2}}, torch.Tensor(2, 4):fill(1))
  same(acc, torch.Tensor{{3, 0, 1}, {0, 4, 0}})
  for _, tp in ipairs(types) do
    local g = torch.Tensor{{1, 2}, {3, 4}}:type(tp):gather(2, torch.LongTensor{{2, 2}, {2, 1}})
    same(g, torch.Tensor{{2, 2}, {4, 3}}, tp)
    tester:assert(torch.type(g) == tp, tp)
  end
  tester:assertErrorPattern(function() x:gather(2, torch.LongTensor{{6}}) end,
    'gather: index 6 out of range for dimension 2 of size 5')
  tester:assertErrorPattern(function() w:scatter(1, torch.LongTensor{{4}}, 0) end,
    'scatter: index 4 out of range for dimension 1 of size 3')
  tester:assertErrorPattern(function() w:scatterAdd(1, torch.LongTensor{1}, s) end,
    'scatterAdd: index of size 1 must have as many dimensions')
  tester:assertErrorPattern(function() w:scatterAdd(1, torch.LongTensor{{1}}, 2) end, "'scatterAdd'")
  tester:assertErrorPattern(function() x:gather(3, torch.LongTensor{{1}}) end, "'gather'")
end

function T.masks()
  local bytes = torch.ByteTensor{{1, 0, 1}, {0, 0, 1}}
  for _, mask in ipairs{bytes, bytes:bool()} do
    for _, tp in ipairs(types) do
      local m = torch.Tensor{{1, 2, 3}, {4, 5, 6}}:type(tp)
      for name, x in pairs(layouts(m)) do
        local msg = tp .. ' ' .. name .. ' ' .. torch.type(mask)
        same(x:maskedSelect(mask), torch.Tensor{1, 3, 6}, msg)
        same(torch.maskedSelect(x, mask), torch.Tensor{1, 3, 6}, msg)
        tester:assert(x:maskedCopy(mask, torch.Tensor{7, 8, 9, 10}:type(tp)) == x, msg)
        same(x, torch.Tensor{{7, 2, 8}, {4, 5, 9}}, msg)
        x:maskedFill(mask, 0)
        same(x, torch.Tensor{{0, 2, 0}, {4, 5, 0}}, msg)
      end
    end
  end
  -- Torch7: the mask needs the same number of elements, not the same shape
  local x = torch.Tensor{{1, 2, 3, 4}}
  x:maskedFill(torch.ByteTensor{{0, 0}, {1, 1}}, -1)
  same(x, torch.Tensor{{1, 2, -1, -1}})
  local y = torch.Tensor(2, 4):fill(-1)
  y:maskedCopy(torch.ByteTensor{{0, 0, 1, 1, 1, 0, 1, 0}}, torch.Tensor{{1, 2}, {3, 4}})
  same(y, torch.Tensor{{-1, -1, 1, 2}, {3, -1, 4, -1}})
  same(torch.Tensor{{1, 2, 3}, {4, 5, 6}}:maskedSelect(torch.ByteTensor{1, 0, 0, 1, 1, 0}), torch.Tensor{1, 4, 5})
  -- a mask that broadcasts (a row mask over every row)
  local b = torch.Tensor{{1, 2, 3}, {4, 5, 6}}
  b:maskedFill(torch.BoolTensor{0, 1, 0}, 0)
  same(b, torch.Tensor{{1, 0, 3}, {4, 0, 6}})
  -- result form and indexing syntax
  local r = torch.Tensor()
  torch.maskedSelect(r, b, b:gt(3))
  same(r, torch.Tensor{4, 6})
  same(b[b:gt(2)], torch.Tensor{3, 4, 6})
  b[b:eq(0)] = 9
  same(b, torch.Tensor{{1, 9, 3}, {4, 9, 6}})
  -- errors name the function
  tester:assertErrorPattern(function() b:maskedFill(torch.Tensor{1, 0, 1, 0, 1, 0}, 0) end,
    'maskedFill: mask must be a ByteTensor or BoolTensor, got FloatTensor')
  tester:assertErrorPattern(function() b:maskedSelect(torch.IntTensor{1, 0, 1, 0, 1, 0}) end,
    'maskedSelect: mask must be a ByteTensor or BoolTensor, got IntTensor')
  tester:assertErrorPattern(function() b:maskedCopy(torch.ByteTensor{1, 1, 1, 1, 1, 1}, torch.Tensor{1}) end,
    'maskedCopy: the source has 1 elements but the mask selects 6')
  tester:assertErrorPattern(function() b:maskedFill(torch.ByteTensor{1, 1, 1, 1}, 0) end,
    'maskedFill: mask of size 4 does not match the tensor of size 2x3')
  tester:assertErrorPattern(function() b:maskedFill(1, 0) end, "'maskedFill'")
end

function T.nonzero()
  local x = torch.IntTensor{{2, 0, 2, 0}, {0, 0, 1, 2}, {0, 2, 2, 1}, {2, 1, 2, 2}}
  local want = torch.LongTensor{{1, 1}, {1, 3}, {2, 3}, {2, 4}, {3, 2}, {3, 3}, {3, 4},
                                {4, 1}, {4, 2}, {4, 3}, {4, 4}}
  same(torch.nonzero(x), want)
  same(x:nonzero(), want)
  tester:assert(torch.type(x:nonzero()) == 'torch.LongTensor')
  local indices = torch.LongTensor()
  x.nonzero(indices, x)
  same(indices, want)
  same(x:eq(1):nonzero(), torch.LongTensor{{2, 3}, {3, 4}, {4, 2}})
  same(x:t():eq(1):nonzero(), torch.LongTensor{{2, 4}, {3, 2}, {4, 3}}, 'transposed')
  same(torch.Tensor{0, 3, 0, 0/0}:nonzero(), torch.LongTensor{{2}, {4}}, 'NaN counts as nonzero')
  tester:eq(torch.Tensor(2, 2):fill(0):nonzero():size(1), 0)
  tester:assertErrorPattern(function() torch.nonzero(torch.Tensor(), x) end,
    'nonzero: result tensor is FloatTensor, expected LongTensor')
end

function T.sort()
  local x = torch.Tensor{{-1.247, -0.4288, -0.5337}, {0.8836, -0.1622, 0.9604}, {0.6297, 0.2397, 0.0746}}
  local v, i = torch.sort(x)
  tester:eq(v, torch.Tensor{{-1.247, -0.5337, -0.4288}, {-0.1622, 0.8836, 0.9604}, {0.0746, 0.2397, 0.6297}}, 1e-6)
  same(i, torch.LongTensor{{1, 3, 2}, {2, 1, 3}, {3, 2, 1}})
  tester:assert(torch.type(i) == 'torch.LongTensor')
  v, i = x:sort(1, true)
  tester:eq(v, torch.Tensor{{0.8836, 0.2397, 0.9604}, {0.6297, -0.1622, 0.0746}, {-1.247, -0.4288, -0.5337}}, 1e-6)
  same(i, torch.LongTensor{{2, 3, 2}, {3, 2, 3}, {1, 1, 1}})
  v, i = x:sort(true)                       -- descending along the last dim
  same(i, torch.LongTensor{{2, 3, 1}, {3, 1, 2}, {1, 2, 3}})
  -- stable on ties, NaN last ascending and first descending, the input untouched
  local t = torch.Tensor{2, 0/0, 1, 2, 1}
  v, i = t:sort()
  same(i, torch.LongTensor{3, 5, 1, 4, 2})
  tester:assert(v[5] ~= v[5] and v[1] == 1, 'NaN last')
  v, i = t:sort(1, true)
  same(i, torch.LongTensor{2, 1, 4, 3, 5})
  tester:assert(t[1] == 2 and t[3] == 1, 'sort does not change its input')
  for _, tp in ipairs(types) do
    local m = torch.Tensor{{3, 1, 2}, {0, 5, 4}}:type(tp)
    for name, y in pairs(layouts(m)) do
      v, i = y:sort(2)
      same(v, torch.Tensor{{1, 2, 3}, {0, 4, 5}}, tp .. ' ' .. name)
      same(i, torch.LongTensor{{2, 3, 1}, {1, 3, 2}}, tp .. ' ' .. name)
      tester:assert(torch.type(v) == tp, tp)
      v, i = y:sort(1, true)
      same(v, torch.Tensor{{3, 5, 4}, {0, 1, 2}}, tp .. ' ' .. name)
    end
  end
  -- result tensors
  local rv, ri = torch.Tensor(), torch.LongTensor()
  local a, b = torch.sort(rv, ri, torch.Tensor{3, 1, 2})
  tester:assert(a == rv and b == ri, 'results returned')
  same(rv, torch.Tensor{1, 2, 3})
  same(ri, torch.LongTensor{2, 3, 1})
  tester:assertErrorPattern(function() x:sort(3) end, "'sort'")
  tester:assertErrorPattern(function() x:sort('up') end, "'sort'")
end

function T.topk()
  local x = torch.Tensor{5, 1, 4, 1, 3, 9}
  local v, i = x:topk(3)                  -- Torch7: the k smallest by default
  same(v, torch.Tensor{1, 1, 3})
  same(i, torch.LongTensor{2, 4, 5})
  v, i = x:topk(2, 1, true)
  same(v, torch.Tensor{9, 5})
  same(i, torch.LongTensor{6, 1})
  v, i = torch.topk(x, 2, true, true)     -- dir without dim
  same(v, torch.Tensor{9, 5})
  local m = torch.Tensor{{1, 9, 5}, {7, 2, 8}}
  v, i = m:topk(1, 1, true)
  same(v, torch.Tensor{{7, 9, 8}})
  same(i, torch.LongTensor{{2, 1, 2}})
  v, i = m:t():topk(2, 1, false, true)     -- columns of m:t() are rows of m
  same(v, torch.Tensor{{1, 2}, {5, 7}})
  same(i, torch.LongTensor{{1, 2}, {3, 1}})
  for _, tp in ipairs(types) do
    v, i = torch.Tensor{3, 8, 1, 6}:type(tp):topk(2, true)
    same(v, torch.Tensor{8, 6}, tp)
    same(i, torch.LongTensor{2, 4}, tp)
  end
  -- larger rows (the selection path) against sort
  local big = torch.Tensor(3, 500)
  for r = 1, 3 do for c = 1, 500 do big[r][c] = (r * 7919 + c * 104729) % 1000 end end
  local sv, si = big:sort(2, true)
  v, i = big:topk(20, 2, true, true)
  same(v, sv:narrow(2, 1, 20))
  same(i, si:narrow(2, 1, 20))
  local rv, ri = torch.Tensor(), torch.LongTensor()
  torch.topk(rv, ri, x, 1)
  same(rv, torch.Tensor{1})
  same(ri, torch.LongTensor{2})
  tester:assertErrorPattern(function() x:topk(7) end, 'topk: k %(7%) out of range for dimension 1 of size 6')
  tester:assertErrorPattern(function() x:topk(1, 2) end, "'topk'")
end

function T.where()
  local c = torch.ByteTensor{{1, 0}, {0, 1}}
  local a = torch.Tensor{{1, 2}, {3, 4}}
  local b = torch.Tensor{{-1, -2}, {-3, -4}}
  same(torch.where(c, a, b), torch.Tensor{{1, -2}, {-3, 4}})
  same(torch.where(c:bool(), a, 0), torch.Tensor{{1, 0}, {0, 4}})
  same(torch.where(c, 7, b), torch.Tensor{{7, -2}, {-3, 7}})
  same(torch.where(a:gt(2), a:t(), torch.Tensor{10, 20}), torch.Tensor{{10, 20}, {2, 4}}, 'broadcast, transposed')
  local w = torch.where(torch.LongTensor{1, 2}:gt(1), torch.LongTensor{1, 2}, 0.5)
  same(w, torch.Tensor{0.5, 2}, 'a fractional number keeps its value')
  tester:assertErrorPattern(function() torch.where(a, a, b) end, 'where: condition must be a ByteTensor or BoolTensor')
  tester:assertErrorPattern(function() torch.where(c, a, 'x') end, "'where'")
end

function T.empty_inputs()
  local x = torch.Tensor{{1, 2, 3}, {4, 5, 6}}
  local r = x:index(1, torch.LongTensor())
  tester:eq(r:nElement(), 0)
  tester:eq(r:size(2), 3)
  tester:eq(x:index(2, {}):size(1), 2)
  x:indexFill(2, torch.LongTensor(), 5)
  same(x, torch.Tensor{{1, 2, 3}, {4, 5, 6}}, 'no indices: unchanged')
  local v, i = torch.Tensor():sort()
  tester:eq(v:nElement() + i:nElement(), 0)
  v, i = torch.Tensor(3, 0):sort(2)
  tester:eq(v:size(1), 3)
  tester:eq(v:nElement(), 0)
  tester:eq(torch.Tensor():maskedSelect(torch.ByteTensor()):nElement(), 0)
  tester:eq(torch.Tensor():nonzero():nElement(), 0)
  tester:eq(x:gather(1, torch.LongTensor(0, 3)):nElement(), 0)
  tester:assertErrorPattern(function() torch.Tensor():topk(1) end, 'topk: k %(1%) out of range')
end

-- a large gather (index checked in blocks, across threads): values, and the first bad
-- index in order is the one named
function T.gather_large_checks()
  local m = torch.rand(700, 900)
  local g = torch.LongTensor(700, 900):random(1, 900)
  local r = m:gather(2, g)
  for _, p in ipairs{{1, 1}, {350, 450}, {700, 900}, {123, 877}} do
    tester:asserteq(r[p[1]][p[2]], m[p[1]][g[p[1]][p[2]]], 'gather value at ' .. p[1] .. ',' .. p[2])
  end
  g[650][3], g[600][7] = 901, 0
  tester:assertErrorPattern(function() m:gather(2, g) end, 'gather: index 0 out of range for dimension 2 of size 900')
  g[600][7] = 5
  tester:assertErrorPattern(function() m:gather(2, g) end, 'gather: index 901 out of range for dimension 2 of size 900')
end

-- index, gather, indexCopy/indexAdd and scatter/scatterAdd take a LongTensor's 1-based
-- indices as they are (the engine subtracts the base; no 0-based copy): every dtype, short
-- rows of every width (index's row copies: one element, fixed-size moves up to 64 bytes,
-- memcpy beyond), strided sources and results, checked against select + copy
local function ref_index(x, dim, idx)
  local sz = x:size()
  sz[dim] = idx:size(1)
  local r = x.new():resize(sz)   -- (x.new(sz) of a LongTensor would view sz's storage)
  for j = 1, idx:size(1) do r:select(dim, j):copy(x:select(dim, idx[j])) end
  return r
end

function T.index_based_rows_types_layouts()
  torch.manualSeed(7)
  for _, tp in ipairs(types) do
    for _, w in ipairs{1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33} do
      local base = torch.range(1, 3 * 11 * w):reshape(3, 11, w):remainder(97):type(tp)
      local views = {contiguous = base,
                     narrowed = torch.Tensor(3, 13, w + 2):type(tp):fill(5):narrow(2, 2, 11):narrow(3, 2, w),
                     transposed = base:transpose(1, 3):contiguous():transpose(1, 3)}
      views.narrowed:copy(base)
      for name, x in pairs(views) do
        for dim = 1, 3 do
          local idx = torch.LongTensor(40):random(1, x:size(dim))
          local msg = string.format('%s %s w=%d dim=%d', tp, name, w, dim)
          same(x:index(dim, idx), ref_index(x, dim, idx), msg)
          -- into a result that is not contiguous (the kernel writes a copy back)
          local sz = x:size()
          sz[dim] = 40
          local res = x.new(sz[3], sz[2], sz[1]):transpose(1, 3)
          torch.index(res, x, dim, idx)
          same(res, ref_index(x, dim, idx), msg .. ' into res')
        end
      end
    end
  end
end

-- every dtype through gather, scatter, scatterAdd, indexCopy, indexAdd with 1-based
-- LongTensor indices, against element loops; a transposed (strided) index too
function T.gather_scatter_index_writes_based_types()
  torch.manualSeed(11)
  for _, tp in ipairs(types) do
    local x = torch.range(1, 4 * 6):reshape(4, 6):type(tp)
    for _, strided in ipairs{false, true} do
      local g = torch.LongTensor(4, 5):random(1, 6)
      if strided then g = g:t():contiguous():t() end
      local r = x:gather(2, g)
      local s = torch.range(1, 20):reshape(4, 5):type(tp)
      local w = torch.zeros(4, 6):type(tp)
      local a = torch.zeros(4, 6):type(tp)
      w:scatter(2, g, s)
      a:scatterAdd(2, g, s)
      local ew, ea = torch.zeros(4, 6), torch.zeros(4, 6)
      for i = 1, 4 do
        for j = 1, 5 do
          local k = g[i][j]
          tester:eq(r[i][j], x[i][k], 0, tp .. ' gather')
          ew[i][k] = s[i][j]
          ea[i][k] = ea[i][k] + s[i][j]
        end
      end
      same(w, ew:type(tp), tp .. ' scatter')
      same(a, ea:type(tp), tp .. ' scatterAdd')
    end
    local ix = torch.LongTensor{3, 1, 3, 4}
    local src = torch.range(1, 4 * 6):reshape(4, 6):type(tp)
    local c = torch.zeros(4, 6):type(tp):indexCopy(1, ix, src)
    local d = torch.zeros(4, 6):type(tp):indexAdd(1, ix, src)
    local ec, ed = torch.zeros(4, 6), torch.zeros(4, 6)
    for j = 1, 4 do
      ec[ix[j]]:copy(src[j])
      ed[ix[j]]:add(src[j]:double())
    end
    same(c, ec:type(tp), tp .. ' indexCopy')
    same(d, ed:type(tp), tp .. ' indexAdd')
  end
  -- IntTensor indices still work (converted, then 0-based)
  same(torch.Tensor{10, 20, 30}:index(1, torch.IntTensor{3, 1}), torch.Tensor{30, 10})
end

-- out-of-range indices named exactly as typed (1-based), by op and dim, for every op that
-- takes the 1-based LongTensor as it is; the tensor written into is left as it was
function T.based_index_errors()
  local x = torch.Tensor{{1, 2, 3}, {4, 5, 6}}
  local huge, tiny = math.maxinteger, math.mininteger
  for _, v in ipairs{0, -1, 3, huge, tiny} do
    local pat = 'index ' .. tostring(v):gsub('%-', '%%-') .. ' out of range for dimension 1 of size 2'
    tester:assertErrorPattern(function() x:index(1, torch.LongTensor{1, v}) end, 'index: ' .. pat)
    local res = torch.Tensor{9, 9}
    tester:assertErrorPattern(function() torch.index(res, x, 1, torch.LongTensor{v}) end, 'index: ' .. pat)
    same(res, torch.Tensor{9, 9}, 'index: res untouched')
    tester:assertErrorPattern(function() x:gather(1, torch.LongTensor{{1, v}}) end, 'gather: ' .. pat)
    local gres = torch.Tensor{7}
    tester:assertErrorPattern(function() torch.gather(gres, x, 1, torch.LongTensor{{v}}) end, 'gather: ' .. pat)
    same(gres, torch.Tensor{7}, 'gather: res untouched')
    local t = x:clone()
    tester:assertErrorPattern(function() t:indexCopy(1, torch.LongTensor{1, v}, torch.Tensor(2, 3):fill(0)) end,
      'indexCopy: ' .. pat)
    tester:assertErrorPattern(function() t:indexAdd(1, torch.LongTensor{1, v}, torch.Tensor(2, 3):fill(1)) end,
      'indexAdd: ' .. pat)
    tester:assertErrorPattern(function() t:scatter(1, torch.LongTensor{{1, v}}, torch.Tensor(1, 2):fill(0)) end,
      'scatter: ' .. pat)
    tester:assertErrorPattern(function() t:scatterAdd(1, torch.LongTensor{{1, v}}, torch.Tensor(1, 2):fill(1)) end,
      'scatterAdd: ' .. pat)
    same(t, x, 'writes: untouched')
  end
  -- dim 2, and strided indices (a matrix's column)
  same(x:index(2, torch.LongTensor{{3, 0}, {1, 0}}:select(2, 1)), torch.Tensor{{3, 1}, {6, 4}})
  tester:assertErrorPattern(function() x:index(2, torch.LongTensor{{1, 0}, {9, 0}}:select(2, 1)) end,
    'index: index 9 out of range for dimension 2 of size 3')
  tester:assertErrorPattern(function() x:indexFill(2, torch.LongTensor{{1, 0}, {-2, 0}}:select(2, 1), 0) end,
    'indexFill: index %-2 out of range for dimension 2 of size 3')
  local gt = torch.LongTensor{{1, 2}, {3, 1}}:t():contiguous():t()   -- strided: the general loop
  same(x:gather(2, gt), torch.Tensor{{1, 2}, {6, 4}})
  gt[2][2] = 9
  tester:assertErrorPattern(function() x:gather(2, gt) end, 'gather: index 9 out of range for dimension 2 of size 3')
  tester:assertErrorPattern(function() x:clone():scatter(2, gt, x:narrow(2, 1, 2)) end,
    'scatter: index 9 out of range for dimension 2 of size 3')
end

-- a large index across threads (the kernel checks as it copies): values, and the first bad
-- index in order is the one named
function T.index_large_checks()
  local nt = torch.getnumthreads()
  torch.setnumthreads(2)
  local x = torch.range(1, 50 * 3):reshape(50, 3)
  local idx = torch.LongTensor(40000):random(1, 50)
  same(x:index(1, idx), ref_index(x, 1, idx), 'rows of 3')
  local v = torch.range(1, 1000)
  local vi = torch.LongTensor(70000):random(1, 1000)
  local r = v:index(1, vi)
  same(r, vi:double(), 'one element per row')
  local bad = vi:clone()
  bad[60001] = 1001
  bad[30001] = -5
  tester:assertErrorPattern(function() v:index(1, bad) end, 'index: index %-5 out of range for dimension 1 of size 1000')
  bad[30001] = 1
  tester:assertErrorPattern(function() v:index(1, bad) end, 'index: index 1001 out of range')
  torch.setnumthreads(nt)
end

-- the index may be the tensor written into (it is read as it was)
function T.index_shares_destination()
  local L = torch.LongTensor
  local x = L{3, 1, 2}
  x:indexCopy(1, x, L{7, 8, 9})
  same(x, L{8, 9, 7}, 'indexCopy')
  x = L{2, 1, 3}
  x:indexAdd(1, x, L{10, 20, 30})
  same(x, L{22, 11, 33}, 'indexAdd')
  x = L{2, 1, 3}
  same(x:index(1, x), L{1, 2, 3}, 'index')
  torch.index(x, x, 1, x)
  same(x, L{1, 2, 3}, 'index into the index')
  local g = L{{2, 1}}
  torch.gather(g, L{{5, 6}}, 2, g)
  same(g, L{{6, 5}}, 'gather into the index')
  local t = L{{2, 1, 3}}
  t:scatter(2, t, L{{7, 8, 9}})
  same(t, L{{8, 7, 9}}, 'scatter')
  t = L{{2, 1, 3}}
  t:scatterAdd(2, t, L{{7, 8, 9}})
  same(t, L{{10, 8, 12}}, 'scatterAdd')
end

-- t[LongTensor] reads and t[LongTensor] = src writes take the 1-based indices as they are
-- (no 0-based copy): values, rows of a matrix, errors naming the index 1-based, autograd
function T.bracket_longtensor_indices()
  local x = torch.Tensor{10, 20, 30}
  tester:eq(x[torch.LongTensor{3, 1, 3}], torch.Tensor{30, 10, 30}, 0, 'read')
  local m = torch.Tensor{{1, 2}, {3, 4}, {5, 6}}
  tester:eq(m[torch.LongTensor{3, 1}], torch.Tensor{{5, 6}, {1, 2}}, 0, 'rows')
  local y = torch.zeros(3)
  y[torch.LongTensor{1, 3}] = torch.Tensor{7, 8}
  tester:eq(y, torch.Tensor{7, 0, 8}, 0, 'write')
  local r = torch.zeros(3, 2)
  r[torch.LongTensor{2}] = torch.Tensor{{9, 9}}
  tester:eq(r, torch.Tensor{{0, 0}, {9, 9}, {0, 0}}, 0, 'write a row')
  tester:assertErrorPattern(function() return x[torch.LongTensor{4}] end, 'index 4 out of range for dimension 1 of size 3')
  tester:assertErrorPattern(function() return x[torch.LongTensor{0}] end, 'index 0 out of range')
  tester:assertErrorPattern(function() y[torch.LongTensor{5}] = torch.Tensor{1} end, 'index 5 out of range')
  tester:eq(y, torch.Tensor{7, 0, 8}, 0, 'a bad index writes nothing')
  local w = torch.randn(3):setRequiresGrad(true)
  w[torch.LongTensor{1, 1, 2}]:sum():backward()
  tester:eq(w.grad, torch.Tensor{2, 1, 0}, 0, 'gradient of a repeated index')
end

tester:add(T)
return tester
