-- Torch7's storage API and small tensor utilities (storage.md, tensor.md, utility.md):
-- constructors (size, table, string, views into another storage), size/#/[i], fill,
-- copy, resize, string, totable, tostring; totable, isSetTo, isSize, elementSize,
-- torch.isStorage, torch.class with a module table, torch.setheaptracking.
local tester = torch.Tester()
local T = torch.TestSuite()

function T.constructors()
  local s = torch.FloatStorage(3)
  tester:eq(s:size(), 3)
  tester:eq(#s, 3)
  tester:eq(s:totable(), {0, 0, 0}, 'zeroed')
  tester:eq(torch.IntStorage({1, 2, 3, 4}):totable(), {1, 2, 3, 4})
  tester:eq(math.type(torch.IntStorage{7}[1]), 'integer')
  tester:eq(torch.DoubleStorage{1.5, -2}:totable(), {1.5, -2})
  tester:eq(torch.LongStorage{2 ^ 40 + 1}[1], 2 ^ 40 + 1)
  tester:eq(torch.LongStorage{9007199254740993}[1], 9007199254740993, 'int64 exact past 2^53')
  tester:eq(torch.FloatStorage():size(), 0)
  tester:eq(torch.ByteStorage('a\0b'):totable(), {97, 0, 98}, 'a string, NUL included')
  tester:eq(torch.type(torch.Storage()), torch.type(torch.Tensor():storage() or torch.FloatStorage()))
  tester:assertErrorPattern(function() torch.FloatStorage(-1) end, 'FloatStorage')
  tester:assertErrorPattern(function() torch.FloatStorage{1, 'x'} end, 'FloatStorage')
end

function T.elements()
  local s = torch.DoubleStorage{1, 2, 3}
  s[2] = 20
  tester:eq(s[2], 20)
  tester:eq(s:totable(), {1, 20, 3})
  local b = torch.ByteStorage(2)
  b[1] = 255
  tester:eq(b[1], 255)
  tester:assertErrorPattern(function() return s[4] end, 'out of range')
  tester:assertErrorPattern(function() return s[0] end, 'out of range')
  tester:assertErrorPattern(function() s[4] = 1 end, 'out of range')
end

function T.fill_copy_resize()
  local s = torch.FloatStorage(4):fill(2.5)
  tester:eq(s:totable(), {2.5, 2.5, 2.5, 2.5})
  local d = torch.DoubleStorage(4):copy(torch.IntStorage{1, 2, 3, 4})
  tester:eq(d:totable(), {1, 2, 3, 4}, 'copy converts')
  tester:assertErrorPattern(function() d:copy(torch.DoubleStorage(3)) end, 'copy')
  local r = torch.IntStorage{1, 2, 3}
  tester:assert(r:resize(5) == r, 'resize returns the storage')
  tester:eq(r:size(), 5)
  tester:eq({r[1], r[2], r[3]}, {1, 2, 3}, 'resize keeps the prefix')
  r:resize(2)
  tester:eq(r:totable(), {1, 2})
  tester:assertErrorPattern(function() r:resize(-1) end, 'resize')
  tester:assertErrorPattern(function() s:fill('x') end, 'fill')
end

function T.strings()
  local c = torch.CharStorage()
  tester:assert(c:string('hello') == c, 'string(str) returns the storage')
  tester:eq(c:size(), 5)
  tester:eq(c:string(), 'hello')
  tester:eq(c[1], string.byte('h'))
  local b = torch.ByteStorage(10):fill(1)
  b:string('x\0y')
  tester:eq(b:size(), 3, 'resized to the string')
  tester:eq(b:string(), 'x\0y')
  tester:eq(torch.ByteStorage():string(), '')
  tester:assertErrorPattern(function() torch.FloatStorage(2):string() end, 'ByteStorage')
  tester:assertErrorPattern(function() b:string(5) end, 'string expected')
  -- a string longer than the storage can take: the error names string, not resize
  local big = torch.ByteStorage(1000)
  local view = torch.ByteStorage(big, 1, 10)
  tester:assertErrorPattern(function() view:string(string.rep('a', 11)) end, '^[^\n]*string: .*view cannot grow')
  tester:assertErrorPattern(function() big:string(string.rep('a', 2000)) end, '^[^\n]*string: .*storage views share it')
  view:string('abc')                  -- shorter: fits, written through
  tester:eq(view:size(), 3)
  tester:eq(torch.ByteStorage(big, 1, 3):string(), 'abc')
end

function T.tostring_totable()
  local s = torch.FloatStorage{1, 2, 3}
  local str = tostring(s)
  tester:assert(str:find('torch.FloatStorage of size 3', 1, true) ~= nil, str)
  tester:assert(str:find('2', 1, true) ~= nil, str)
  tester:eq(s:totable(), {1, 2, 3})
  tester:eq(torch.LongStorage():totable(), {})
end

function T.views()
  local s = torch.DoubleStorage{1, 2, 3, 4, 5}
  local v = torch.DoubleStorage(s, 2, 3)
  tester:eq(torch.type(v), 'torch.DoubleStorage')
  tester:eq(v:totable(), {2, 3, 4})
  v[1] = 20                          -- writes through to s
  tester:eq(s[2], 20)
  s[4] = 40                          -- and back
  tester:eq(v[3], 40)
  tester:eq(torch.DoubleStorage(s, 3):totable(), {3, 40, 5}, 'size defaults to the rest')
  tester:eq(torch.DoubleStorage(s):size(), 5, 'offset defaults to 1')
  tester:eq(torch.DoubleStorage(s, 6):size(), 0, 'an empty view at the end')
  v:fill(0)
  tester:eq(s:totable(), {1, 0, 0, 0, 5})
  -- a tensor on a view shares the memory too
  local t = torch.DoubleTensor(v)
  t:fill(7)
  tester:eq(s:totable(), {1, 7, 7, 7, 5})
  -- a view of a view
  local w = torch.DoubleStorage(v, 2, 1)
  w[1] = -1
  tester:eq(s[3], -1)
  -- a view outlives the name of its storage: it holds the memory
  local kept = torch.DoubleStorage(torch.DoubleStorage{9, 8, 7}, 2, 2)
  collectgarbage(); collectgarbage()
  tester:eq(kept:totable(), {8, 7})
  -- while views live, the storage cannot move its buffer; shrinking is fine
  local big = torch.FloatStorage(1000)
  local bv = torch.FloatStorage(big, 1, 10)
  tester:assertErrorPattern(function() big:resize(100000) end, 'storage views')
  big:resize(5)
  bv[10] = 3                          -- still inside the buffer
  tester:assertErrorPattern(function() bv:resize(20) end, 'resize')
  bv = nil
  collectgarbage(); collectgarbage()
  tester:eq(big:resize(100000):size(), 100000, 'grows once the views are gone')
  tester:assertErrorPattern(function() torch.FloatStorage(s, 1, 2) end, 'FloatStorage expected')
  tester:assertErrorPattern(function() torch.DoubleStorage(s, 0) end, 'offset')
  tester:assertErrorPattern(function() torch.DoubleStorage(s, 7) end, 'offset')
  tester:assertErrorPattern(function() torch.DoubleStorage(s, 2, 5) end, 'size')
  tester:assertErrorPattern(function() torch.DoubleStorage(s, 1, -1) end, 'size')
end

-- a view of a view points at the root storage: a chain of 300k views is made and freed
-- without recursion (it overflowed the C stack), and the offsets add up
function T.view_chain()
  local n = 300000
  local base = torch.IntStorage(n + 3)
  for i = 1, #base do base[i] = i end
  local c = base
  for _ = 1, n do c = torch.IntStorage(c, 2, #c - 1) end
  tester:eq(c:totable(), {n + 1, n + 2, n + 3}, 'offsets accumulate along the chain')
  c[1] = -5
  tester:eq(base[n + 1], -5, 'the last view writes into the root')
  c = nil
  collectgarbage(); collectgarbage()
  -- the root can grow again: no view is left counting against it
  tester:eq(base:resize(2 * n):size(), 2 * n)
  -- an empty view of an empty view
  local e = torch.FloatStorage(torch.FloatStorage(torch.FloatStorage(), 1, 0), 1, 0)
  tester:eq(e:size(), 0)
end

-- writes through any storage view reach autograd's in-place check (each view had its own
-- version counter: the write went unnoticed and backward gave wrong gradients)
function T.view_writes_seen_by_autograd()
  local function setup(s)
    local w = torch.DoubleTensor{1, 1, 1}
    w.requiresGrad = true
    return w, torch.cmul(w, torch.DoubleTensor(s))
  end
  local pattern = 'modified by an in%-place operation'
  -- saved on the root, written through a view
  local s = torch.DoubleStorage{1, 2, 3}
  local w, y = setup(s)
  torch.DoubleTensor(torch.DoubleStorage(s)):add(4)
  tester:assertErrorPattern(function() y:sum():backward() end, pattern, 'tensor on a view')
  -- element assignment through a view
  s = torch.DoubleStorage{1, 2, 3}
  w, y = setup(s)
  torch.DoubleStorage(s, 2, 1)[1] = 9
  tester:assertErrorPattern(function() y:sum():backward() end, pattern, 'view element')
  -- saved on one view, written through a sibling view and through the root
  s = torch.DoubleStorage{1, 2, 3, 4}
  local v1 = torch.DoubleStorage(s, 1, 3)
  w, y = setup(v1)
  torch.DoubleStorage(s, 2, 2):fill(0)
  tester:assertErrorPattern(function() y:sum():backward() end, pattern, 'sibling view')
  w, y = setup(v1)
  s[1] = 7
  tester:assertErrorPattern(function() y:sum():backward() end, pattern, 'root element')
  -- a string written into a view of a ByteStorage counts as a write too
  local b = torch.ByteStorage(4):fill(1)
  local bt = torch.ByteTensor(b)
  local before = torch._version(bt)
  torch.ByteStorage(b, 2, 2):string('x')
  tester:assert(torch._version(bt) ~= before, 'string() through a view bumps the version')
  -- untouched: the gradient is the data
  s = torch.DoubleStorage{1, 2, 3}
  w, y = setup(torch.DoubleStorage(s))
  y:sum():backward()
  tester:eq(w.grad, torch.DoubleTensor{1, 2, 3}, 0)
end

function T.tensor_utilities()
  tester:eq(torch.Tensor{{1, 2}, {3, 4}}:totable(), {{1, 2}, {3, 4}})
  tester:eq(torch.LongTensor{{{1}, {2}}}:totable(), {{{1}, {2}}})
  tester:eq(torch.Tensor():totable(), {})
  tester:eq(torch.Tensor{1, 2, 3}:narrow(1, 2, 2):totable(), {2, 3})
  tester:eq(torch.Tensor{{1, 2}, {3, 4}}:t():totable(), {{1, 3}, {2, 4}})
  local t = torch.Tensor(2, 3)
  tester:assert(t:isSize(torch.LongStorage{2, 3}))
  tester:assert(not t:isSize(torch.LongStorage{3, 2}))
  tester:assert(not t:isSize(torch.LongStorage{2, 3, 1}))
  tester:assert(t:isSize({2, 3}), 'a table of sizes')
  tester:assertErrorPattern(function() t:isSize('x') end, 'isSize')
  tester:assertErrorPattern(function() t:isSize() end, 'isSize')
  local sizes = {Byte = 1, Char = 1, Short = 2, Int = 4, Long = 8, Float = 4, Double = 8}
  for name, n in pairs(sizes) do
    tester:eq(torch[name .. 'Tensor']():elementSize(), n, name .. 'Tensor')
    tester:eq(torch[name .. 'Storage']():elementSize(), n, name .. 'Storage')
  end
  -- isSetTo: same storage, offset, sizes and strides
  local a = torch.Tensor(3, 4)
  local b = torch.Tensor():set(a)
  tester:assert(b:isSetTo(a) and a:isSetTo(b))
  tester:assert(a:isSetTo(a:view(3, 4)))
  tester:assert(not a:isSetTo(a:t()), 'other strides')
  tester:assert(not a:isSetTo(a:view(12)), 'other sizes')
  tester:assert(not a:isSetTo(a:narrow(1, 2, 2)), 'other offset')
  tester:assert(not a:isSetTo(a:clone()), 'other storage')
  tester:assert(not torch.Tensor():isSetTo(torch.Tensor()), 'empty tensors are set to nothing')
  tester:assertErrorPattern(function() a:isSetTo(5) end, 'isSetTo')
  -- isStorage / isTensor
  tester:assert(torch.isStorage(torch.CharStorage()))
  tester:assert(torch.isStorage(torch.DoubleTensor(2):storage()))
  tester:assert(not torch.isStorage(torch.Tensor(2)))
  tester:assert(not torch.isStorage({}))
  tester:assert(not torch.isStorage(nil))
  tester:assert(not torch.isStorage('torch.FloatStorage'))
  tester:assert(not torch.isTensor(torch.FloatStorage()))
end

function T.class_module()
  local M = {}
  local A = torch.class('storageapitest.A', M)
  tester:assert(M.A ~= nil, 'the class is put in the module table')
  tester:eq(rawget(_G, 'storageapitest'), nil, 'not in a global package')
  function A:__init(x) self.x = x end
  local B, parent = torch.class('storageapitest.B', 'storageapitest.A', M)
  tester:assert(parent == A, 'the parent metatable is returned')
  local b = M.B(3)
  tester:eq(b.x, 3, 'the parent constructor runs')
  tester:eq(torch.type(b), 'storageapitest.B')
  tester:assert(torch.isTypeOf(b, 'storageapitest.A'))
  torch.class('StorageApiC', nil, M)
  tester:assert(M.StorageApiC ~= nil, 'nil parent and a module')
  tester:eq(rawget(_G, 'StorageApiC'), nil)
  tester:assertErrorPattern(function() torch.class('x.Y', 'storageapitest.A', 5) end, 'module table')
end

-- With Lua's collector stopped, only heap tracking collects: a collector step each time
-- the tensors' live memory has grown by 8 MiB (bindings/init.c, ltb_account). 10 MiB of
-- garbage tensors: with tracking, a step frees them; without it, all are still held.
-- (test_generator.lua checks the full collection at 64 MiB.)
function T.heaptracking()
  local old = torch.setheaptracking(false)
  tester:eq(torch.setheaptracking(old), false)
  tester:eq(torch.setheaptracking(true), old)
  local chunk, n = 256 * 1024, 40
  local function garbage_run(on)
    collectgarbage()
    torch.setheaptracking(true)
    local _ = torch.FloatTensor(1)   -- a tracked tensor: the step mark follows memory down
    torch.setheaptracking(on)
    local weak = setmetatable({}, {__mode = 'v'})
    weak[1] = {}                     -- garbage: only a collection clears it
    local live = torch._memLive()
    for _ = 1, n do local _ = torch.FloatTensor(chunk // 4) end
    return weak[1] == nil, torch._memLive() - live
  end
  local mode = collectgarbage('generational')   -- th's mode: a step is a minor collection
  collectgarbage('stop')
  local ok, off_collected, off_grown, on_collected, on_grown = pcall(function()
    local a, b = garbage_run(false)
    local c, d = garbage_run(true)
    return a, b, c, d
  end)
  collectgarbage('restart')
  collectgarbage(mode)
  torch.setheaptracking(true)
  collectgarbage()
  tester:assert(ok, tostring(off_collected))
  if not ok then return end
  tester:eq(off_collected, false, 'tracking off: no collection')
  tester:assert(off_grown >= n * chunk, 'tracking off: every garbage tensor still held')
  tester:eq(on_collected, true, 'tracking on: a collection')
  tester:assert(on_grown < n * chunk, 'tracking on: garbage tensors freed')
end

tester:add(T)
return tester
