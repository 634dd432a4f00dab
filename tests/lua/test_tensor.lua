-- Tensor construction, shape, views, indexing, copies and types (bindings/tensor.c).
local tester = torch.Tester()
local T = torch.TestSuite()

local function same(a, b, msg) tester:eq(a, b, 0, msg) end

function T.construct_from_table()
  local a = torch.Tensor{{1, 2, 3}, {4, 5, 6}}
  tester:eq(a:dim(), 2)
  tester:eq(a:size(1), 2); tester:eq(a:size(2), 3)
  tester:eq(a:nElement(), 6)
  tester:eq(a[2][3], 6)
  tester:eq(torch.type(a), 'torch.FloatTensor')
  tester:eq(a:type(), 'torch.FloatTensor')
  local l = torch.LongTensor{9007199254740993, -3}
  tester:assert(l[1] == 9007199254740993, 'int64 values exact')
  tester:eq(math.type(l[2]), 'integer')
  local big = (1 << 62) + 1
  l[1] = big
  tester:assert(l[1] == big, 'int64 assignment exact')
  tester:assert(torch.LongStorage{big}[1] == big, 'LongStorage from a table exact')
  local ls = torch.LongStorage(1); ls[1] = big
  tester:assert(ls[1] == big, 'LongStorage assignment exact')
  tester:assertErrorPattern(function() torch.Tensor{{1, 2}, {3}} end, 'inconsistent')
  tester:assertErrorPattern(function() torch.Tensor{1, 'x'} end, 'numbers')
end

function T.construct_sizes_and_storage()
  local t = torch.DoubleTensor(2, 3)
  tester:eq(t:sum(), 0, 'new tensors are zeroed')
  local s = torch.LongStorage{2, 3}
  tester:eq(torch.Tensor(s):size(2), 3)
  local e = torch.Tensor()
  tester:eq(e:dim(), 0); tester:eq(e:nElement(), 0)
  local st = torch.FloatStorage{1, 2, 3, 4, 5, 6}
  local v = torch.FloatTensor(st, 2, torch.LongStorage{2, 2})
  tester:eq(v[1][1], 2); tester:eq(v[2][2], 5)
  local w = torch.FloatTensor(st, 1, 2, 1, 3, 2)  -- size 2 stride 1, size 3 stride 2
  tester:eq(w[2][3], 6)
  v[1][1] = 20
  tester:eq(st[2], 20, 'views share the storage')
  tester:assertErrorPattern(function() torch.FloatTensor(st, 5, torch.LongStorage{2, 2}) end, 'outside')
  tester:assertErrorPattern(function() torch.Tensor(-1) end, 'non%-negative')
  local shared = torch.FloatTensor(v)
  shared[1][1] = 7
  tester:eq(v[1][1], 7)
end

function T.new_of_same_type()
  local d = torch.DoubleTensor(2)
  local e = d.new()
  tester:eq(e:type(), 'torch.DoubleTensor'); tester:eq(e:nElement(), 0)
  tester:eq(d.new(3, 4):size(2), 4)
end

function T.zeros_ones_full()
  same(torch.zeros(2, 2), torch.Tensor{{0, 0}, {0, 0}})
  same(torch.ones(3), torch.Tensor{1, 1, 1})
  same(torch.full({2}, 7), torch.Tensor{7, 7})
  local t = torch.Tensor(5)
  t:ones(2, 2)
  same(t, torch.Tensor{{1, 1}, {1, 1}})
  same(torch.Tensor(3):fill(2.5), torch.Tensor{2.5, 2.5, 2.5})
end

function T.result_tensor_forms()
  local res = torch.Tensor()
  tester:assert(torch.zeros(res, 2, 3) == res)
  same(res, torch.zeros(2, 3))
  torch.ones(res, 3, 2)
  same(res, torch.ones(3, 2))
  tester:assertErrorPattern(function() torch.zeros(2, 3, 'x') end, 'unexpected argument')
  local x = torch.range(1, 4)
  torch.reshape(res, x, 2, 2)
  same(res, torch.Tensor{{1, 2}, {3, 4}})
  res[1][1] = 10
  tester:eq(x[1], 1, 'the result form holds a copy')
  local s = torch.Tensor()
  torch.squeeze(s, torch.Tensor(1, 3, 1))
  tester:eq(s:dim(), 1)
  torch.fill(x, 7)
  same(x, torch.Tensor{7, 7, 7, 7})
  torch.zero(x)
  same(x, torch.zeros(4))
  tester:eq(torch.viewAs(torch.range(1, 4), torch.Tensor(2, 2)):size(1), 2)
  tester:eq(torch.expandAs(torch.Tensor{{1}}, torch.Tensor(2, 3)):size(2), 3)
  local e = torch.Tensor{{1, 2}, {3, 4}}
  tester:eq(e[torch.LongStorage{2, 1}], 3, 'element by a LongStorage of indices')
  e[torch.LongStorage{1, 2}] = 20
  tester:eq(e[1][2], 20)
  local ls = torch.LongStorage{5, 6}
  local lt = torch.LongTensor(ls)
  tester:eq(lt[2], 6, 'a LongTensor wraps a LongStorage (Torch7)')
  tester:eq(torch.Tensor{4}:squeeze(), 4)
  tester:eq(torch.Tensor{4, 5}:select(1, 2), 5, 'select on a vector gives a number')
end

function T.views_share_memory()
  local a = torch.Tensor{{1, 2, 3}, {4, 5, 6}}
  local t = a:t()
  tester:eq(t:size(1), 3)
  tester:assert(not t:isContiguous())
  tester:eq(t[3][2], 6)
  t[1][2] = 40
  tester:eq(a[2][1], 40)
  same(a:view(3, 2), torch.Tensor{{1, 2}, {3, 40}, {5, 6}})
  same(a:view(-1), torch.Tensor{1, 2, 3, 40, 5, 6})
  tester:assertErrorPattern(function() t:view(6) end, 'reshape')
  same(t:reshape(6), torch.Tensor{1, 40, 2, 5, 3, 6})
  same(a:narrow(2, 2, 2), torch.Tensor{{2, 3}, {5, 6}})
  same(a:select(1, 2), torch.Tensor{40, 5, 6})
  same(a:sub(1, 2, 3, 3), torch.Tensor{{3}, {6}})
  same(a:sub(-1, -1), torch.Tensor{{40, 5, 6}})
  tester:assertErrorPattern(function() a:narrow(2, 3, 2) end, 'out of bounds')
  tester:assertErrorPattern(function() a:select(3, 1) end, 'out of range')
  tester:assertErrorPattern(function() a:transpose(1, 5) end, 'out of range')
  local p = torch.Tensor(2, 3, 4):permute(3, 1, 2)
  tester:eq(p:size(1), 4); tester:eq(p:size(3), 3)
  local e = torch.Tensor{{1}, {2}}:expand(2, 3)
  same(e, torch.Tensor{{1, 1, 1}, {2, 2, 2}})
  tester:eq(e:stride(2), 0)
  tester:assertErrorPattern(function() torch.Tensor{1, 2}:expand(3) end, 'expand')
  local s = torch.Tensor(1, 3, 1)
  tester:eq(s:squeeze():dim(), 1)
  tester:assertErrorPattern(function() torch.Tensor(2.5) end, "bad argument #1 to 'torch.FloatTensor'")
  tester:eq(s:squeeze(1):dim(), 2)
  tester:eq(s:unsqueeze(2):size(2), 1)
  tester:eq(s:unsqueeze(-1):dim(), 4)
  local u = torch.Tensor{1, 2, 3, 4, 5}:unfold(1, 2, 2)
  same(u, torch.Tensor{{1, 2}, {3, 4}})
  local c = t:contiguous()
  tester:assert(c:isContiguous())
  same(c, t)
  local cl = a:clone(); cl[1][1] = 100
  tester:eq(a[1][1], 1)
end

function T.indexing_forms()
  local a = torch.Tensor{{1, 2, 3}, {4, 5, 6}, {7, 8, 9}}
  tester:eq(a[2][3], 6)
  tester:eq(a[{2, 3}], 6)
  tester:eq(a[{-1, -1}], 9)
  same(a[2], torch.Tensor{4, 5, 6})
  same(a[{{1, 2}, {}, }], torch.Tensor{{1, 2, 3}, {4, 5, 6}})
  same(a[{{}, 2}], torch.Tensor{2, 5, 8})
  same(a[{{2}, {2, 3}}], torch.Tensor{{5, 6}})
  same(a[{{-2, -1}, 1}], torch.Tensor{4, 7})
  a[{2, 2}] = 50
  tester:eq(a[2][2], 50)
  a[{{}, 1}] = 0
  same(a[{{}, 1}], torch.Tensor{0, 0, 0})
  a[3] = torch.Tensor{70, 80, 90}
  same(a[3], torch.Tensor{70, 80, 90})
  a[1][1] = -1
  tester:eq(a[1][1], -1)
  tester:assertErrorPattern(function() return a[4] end, 'out of range')
  tester:assertErrorPattern(function() return a[{1, 5}] end, 'out of range')
  tester:assertErrorPattern(function() return a[{1, 2, 3}] end, 'indices')
  tester:assertErrorPattern(function() a.foo = 1 end, 'field')
  tester:eq(a.nonexistent, nil)
end

function T.types_and_copy()
  local a = torch.Tensor{1.7, -2.2, 3.5}
  same(a:long(), torch.LongTensor{1, -2, 3})
  tester:eq(a:long():type(), 'torch.LongTensor')
  tester:eq(a:double():type(), 'torch.DoubleTensor')
  tester:eq(a:type('torch.IntTensor'):type(), 'torch.IntTensor')
  tester:assert(a:float() == a, 'same type returns itself')
  same(torch.Tensor{0, 2, 0}:bool(), torch.BoolTensor{false, true, false})
  tester:eq(torch.BoolTensor{true, false}[1], true)
  local h = torch.Tensor{1, 0.5, -3}:half()
  tester:eq(h:type(), 'torch.HalfTensor')
  same(h:float(), torch.Tensor{1, 0.5, -3})
  local bf = torch.Tensor{1, 2.5}:bfloat16()
  same(bf:double(), torch.DoubleTensor{1, 2.5})
  local d = torch.DoubleTensor(2, 3)
  d:copy(torch.Tensor{1, 2, 3, 4, 5, 6})
  same(d, torch.DoubleTensor{{1, 2, 3}, {4, 5, 6}})
  tester:assertErrorPattern(function() d:copy(torch.Tensor(5)) end, 'number')
  same(torch.ByteTensor{200, 100}:int(), torch.IntTensor{200, 100})
  tester:eq(torch.Tensor{1e10}:int()[1], 2147483647, 'saturating conversion')
  same(torch.Tensor{300, -5, 1e10, 0/0}:byte(), torch.ByteTensor{255, 0, 255, 0}, 'float to byte saturates')
  same(torch.Tensor{200, -200}:char(), torch.CharTensor{127, -128})
  same(torch.IntTensor{300}:byte(), torch.ByteTensor{44}, 'integer narrowing wraps (C, Torch7)')
  tester:assertErrorPattern(function() a:type('torch.NoSuchTensor') end, 'unknown')
  tester:eq(torch.Tensor{{1, 2}}:totable()[1][2], 2)
  tester:eq(torch.Tensor{5}:item(), 5)
  tester:assertErrorPattern(function() torch.Tensor{1, 2}:item() end, 'one element')
end

function T.default_tensor_type()
  torch.setdefaulttensortype('torch.DoubleTensor')
  tester:eq(torch.Tensor(2):type(), 'torch.DoubleTensor')
  tester:eq(torch.zeros(2):type(), 'torch.DoubleTensor')
  torch.setdefaulttensortype('torch.FloatTensor')
  tester:eq(torch.getdefaulttensortype(), 'torch.FloatTensor')
  torch.setdefaulttensortype('torch.LongTensor')   -- Torch7 accepts the integer types too
  tester:eq(torch.Tensor{1.5}:type(), 'torch.LongTensor')
  torch.setdefaulttensortype('torch.FloatTensor')
  tester:assertErrorPattern(function() torch.setdefaulttensortype('torch.HalfTensor') end, 'CPU tensor type')
  tester:assertErrorPattern(function() torch.setdefaulttensortype('torch.Nope') end, 'CPU tensor type')
end

function T.storages()
  local s = torch.DoubleStorage(3)
  tester:eq(#s, 3)
  s[2] = 5
  tester:eq(s[2], 5)
  s:fill(1)
  tester:eq(s:totable()[3], 1)
  tester:assertErrorPattern(function() return s[4] end, 'out of range')
  local sz = torch.Tensor(2, 5):size()
  tester:eq(torch.typename(sz), 'torch.LongStorage')
  tester:eq(sz[2], 5)
  tester:eq(#torch.Tensor(4, 1), torch.Tensor(4, 1):size())
  tester:eq(torch.ByteStorage('hi'):string(), 'hi')
end

function T.apply_map()
  local a = torch.Tensor{1, 2, 3}
  a:apply(function(x) return x * 10 end)
  same(a, torch.Tensor{10, 20, 30})
  local sum = 0
  a:apply(function(x) sum = sum + x end)
  tester:eq(sum, 60)
  a:map(torch.Tensor{1, 1, 1}, function(x, y) return x + y end)
  same(a, torch.Tensor{11, 21, 31})
  local t = torch.Tensor{{1, 2}, {3, 4}}:t()
  local seen = {}
  t:apply(function(x) seen[#seen + 1] = x end)
  tester:eq(seen, {1, 3, 2, 4}, 'row-major order of the view')
end

function T.close_and_gc()
  do
    local t <close> = torch.Tensor(10)
    t:fill(1)
  end
  local before = torch._memLive()
  for _ = 1, 200 do local _ = torch.Tensor(1024 * 1024) end  -- 4 MB each, 800 MB in all
  collectgarbage()
  tester:assertlt(torch._memLive() - before, 64 * 1024 * 1024, 'memory stays flat')
  local kept
  do
    local t <close> = torch.Tensor(3)
    kept = t
  end
  tester:assertErrorPattern(function() return kept:size() end, 'closed')
end

function T.storage_shrunk_under_a_view_stays_safe()
  -- shrinking a storage keeps its memory, so a view made before still reads inside it
  local t = torch.range(1, 10)
  local v = t:narrow(1, 6, 5)
  t:storage():resize(2)
  tester:eq(#t:storage(), 2)
  tester:eq(v[5], 10, 'the old view reads the kept memory')
  t:storage():resize(20)                 -- growing keeps the first elements
  tester:eq(t:storage()[2], 2)
  -- a function given to apply may close or resize the tensor it walks
  local a = torch.Tensor{1, 2, 3}
  a:apply(function() local c <close> = a end)
  local b = torch.Tensor{1, 2, 3}
  local seen = 0
  b:apply(function(x) seen = seen + x; b:storage():resize(1) end)
  tester:eq(seen, 6)
end

function T.too_large_is_an_error_not_a_crash()
  tester:assertErrorPattern(function() torch.Tensor(1e6, 1e6) end, 'out of memory')
  tester:assertErrorPattern(function() torch.Tensor(2):resize(1e13) end, 'out of memory')
  tester:assertErrorPattern(function() torch.FloatStorage(2^44) end, 'out of memory')
end

function T.bad_arguments_name_the_function()
  tester:assertErrorPattern(function() torch.Tensor(2):narrow('x', 1, 1) end, "narrow")
  tester:assertErrorPattern(function() torch.Tensor.size(5) end, "tensor expected")
  tester:assertErrorPattern(function() torch.Tensor(2, 2):view(3) end, 'view')
  tester:assertErrorPattern(function() torch.Tensor(2):unsqueeze(4) end, 'unsqueeze')
end

-- transposed copies (tiled for 1-, 2- and 4-byte types): every element, into a new
-- tensor and into a strided view, for sizes around the tile and of 4 KiB row strides
function T.transposed_copies()
  for _, tp in ipairs{'torch.FloatTensor', 'torch.ByteTensor', 'torch.ShortTensor', 'torch.IntTensor',
                      'torch.HalfTensor', 'torch.DoubleTensor'} do
    for _, sz in ipairs{{33, 70}, {1024, 40}, {100, 1000}, {32, 32}, {31, 64}} do
      local m = torch.randn(sz[1], sz[2]):mul(20):type(tp)
      local c = m:t():contiguous()
      local big = torch.zeros(sz[2] + 3, sz[1] + 5):type(tp)
      local v = big:narrow(1, 2, sz[2]):narrow(2, 3, sz[1])
      v:copy(m:t())
      local what = string.format('%s %dx%d', tp, sz[1], sz[2])
      tester:assert(c:isContiguous() and c:size(1) == sz[2] and c:size(2) == sz[1], what .. ': shape')
      tester:assert(torch.eq(c:double(), m:t():double()):all(), what .. ': t():contiguous()')
      tester:assert(torch.eq(v:double(), m:t():double()):all(), what .. ': copy into a view')
      tester:asserteq(big:double():sum(), m:double():sum(), what .. ': nothing outside the view')
    end
  end
end

-- a copy from an expanded (stride 0) source fills: every element the value, in every
-- element size, contiguous and into a strided destination
function T.copy_from_expanded_source()
  for _, tp in ipairs{'torch.ByteTensor', 'torch.ShortTensor', 'torch.FloatTensor', 'torch.DoubleTensor',
                      'torch.LongTensor'} do
    local v = torch.Tensor{7}:type(tp)
    local e = v:expand(5, 33)
    local c = e:contiguous()
    tester:assert(c:isContiguous() and c:min() == 7 and c:max() == 7, tp .. ' contiguous')
    local d = torch.Tensor(33, 5):type(tp):zero()
    d:t():copy(e)
    tester:assert(d:min() == 7 and d:max() == 7, tp .. ' into a transposed view')
  end
  local row = torch.Tensor{1, 2, 3}:view(1, 3):expand(4, 3):contiguous()
  tester:eq(row, torch.Tensor{{1, 2, 3}, {1, 2, 3}, {1, 2, 3}, {1, 2, 3}}, 0, 'an expanded row')
end

tester:add(T)
return tester
