-- Edge cases of the core tensor API found by an adversarial test: views of the empty
-- tensor (crashes once), values and indices results that share memory, ranges that a type
-- cannot hold, empty operands of pointwise ops, multinomial with huge weights, CSV header
-- detection and line ends, and error messages. Each was a crash, a silently wrong value or
-- an unclear message; each must now be a clear error or the right value.
local child = dofile((debug.getinfo(1, 'S').source:match('^@(.*)/[^/]*$') or 'tests/lua') .. '/child_th.lua')
local tester = torch.Tester()
local T = torch.TestSuite()

local function rejects(f, pattern, msg) tester:assertErrorPattern(f, pattern, msg) end

-- runs code (Lua text: a function body) in a child th under a timeout; what was a crash
-- (SIGSEGV, a BLAS abort) ends the child, not the tests. Returns the exit code and output:
-- "ok <value>" or "err <message>".
local function in_child(code)
  local script = os.tmpname()
  local f = assert(io.open(script, 'w'))
  f:write('local ok, r = pcall(function() ', code, ' end)\n',
          'io.write(ok and "ok " or "err ", tostring(r), "\\n")\n')
  f:close()
  local out = os.tmpname()
  local _, _, rc = os.execute(string.format('timeout 60 %s %s >%s 2>&1', child.shquote(child.th),
    child.shquote(script), child.shquote(out)))
  local g = io.open(out)
  local text = g and g:read('a') or ''
  if g then g:close() end
  os.remove(script)
  os.remove(out)
  return rc, text
end

local function child_rejects(code, pattern)
  local rc, text = in_child(code)
  tester:eq(rc, 0, code .. ': the child exits normally (got ' .. tostring(rc) .. ': ' .. text .. ')')
  tester:assert(text:find('^err ') and text:find(pattern), code .. ': expected an error matching "' ..
    pattern .. '", got: ' .. text)
end

---------------------------------------------------------------------------------------
-- 1. views of torch.Tensor() (no storage): no elements, ever
---------------------------------------------------------------------------------------
function T.views_of_the_empty_tensor_have_no_elements()
  if not child.th then return end
  local refused = 'the tensor is empty %(no elements, no storage%)'
  for _, code in ipairs{
    'return torch.Tensor():expand(3):index(1, torch.LongTensor{2})',
    'return torch.Tensor():expand(3):median()',
    'return torch.Tensor():expand(3):cumsum(1)',
    'return torch.Tensor():expand(3):gather(1, torch.LongTensor{1})',
    'return torch.Tensor():unsqueeze(1):kthvalue(1)',
    'return torch.mv(torch.ones(2, 3), torch.Tensor():expand(3))',
    'return torch.zeros(3):indexCopy(1, torch.LongTensor{1}, torch.Tensor():expand(1))',
    'return torch.diag(torch.Tensor():expand(3))',
    'return torch.ger(torch.Tensor():expand(3), torch.ones(2))',
    'return torch.where(torch.ByteTensor{1, 1, 1}, torch.Tensor():expand(3), 1)',
    'return torch.Tensor():expand(3):sort()',
    'return torch.bmm(torch.Tensor():expand(1, 2, 2), torch.ones(1, 2, 2))',
    'return torch.Tensor():expand(3)[2]',
    'return torch.Tensor():unsqueeze(1):select(1, 1)',
    'return torch.Tensor():expand(2):maskedSelect(torch.ByteTensor{1, 1})',
    'return torch.Tensor():unfold(1, 1, 1):sum()',
  } do
    child_rejects(code, refused)
  end
  local e = torch.Tensor()
  rejects(function() e:expand(3) end, 'expand: the tensor is empty %(no elements, no storage%): a view of size 3 ')
  rejects(function() e:unsqueeze(1) end, 'unsqueeze: the tensor is empty')
  rejects(function() e:unfold(1, 1, 1) end, 'unfold: the tensor is empty')
  -- views without elements stay allowed, and consistent
  tester:eq(e:expand(0):nElement(), 0, 'expand(0) of the empty tensor')
  tester:eq(e:view(0, 2):size():totable(), {0, 2}, 'view(0, 2)')
  tester:eq(e:view(0, 2):expand(3, 0, 2):nElement(), 0, 'and its expansion')
  tester:eq(e:view(0):index(1, torch.LongTensor()):nElement(), 0, 'index of nothing')
  tester:eq(e:unfold(1, 0, 1):nElement(), 0, 'unfold of size 0')
  tester:eq(e:sort():nElement(), 0, 'sort of the empty tensor is empty')
  tester:eq(torch.cat({e, e}, 1):nElement(), 0, 'cat of empties')
end

---------------------------------------------------------------------------------------
-- 2. stack of empty tensors
---------------------------------------------------------------------------------------
function T.stack_of_empty_tensors_is_n_by_0()
  local r = torch.stack({torch.Tensor(), torch.Tensor()}, 1)
  tester:eq(r:size():totable(), {2, 0}, 'two torch.Tensor() stack to 2x0 (PyTorch: (2,0))')
  tester:eq(r:nElement(), 0)
  local o = torch.ones(5)
  torch.stack(o, {torch.Tensor(), torch.Tensor(), torch.Tensor()}, 1)
  tester:eq(o:size():totable(), {3, 0}, 'into res')
  tester:eq(torch.stack({torch.zeros(0), torch.zeros(0)}, 2):size():totable(), {0, 2}, 'size-0 vectors on dim 2')
end

---------------------------------------------------------------------------------------
-- 3. values and indices results that share memory
---------------------------------------------------------------------------------------
function T.values_and_indices_must_be_different_tensors()
  local share = 'must be different tensors %(they share memory%)'
  local x = torch.LongTensor{30, 10, 20}
  local m = torch.LongTensor{{3, 1, 2}}
  local r = torch.LongTensor()
  rejects(function() torch.sort(r, r, x) end, 'sort: resval and resind ' .. share)
  rejects(function() torch.topk(r, r, x, 2) end, 'topk: resval and resind ' .. share)
  rejects(function() torch.max(r, r, m, 2) end, 'max: .*' .. share)
  rejects(function() torch.min(r, r, m, 2) end, 'min: .*' .. share)
  rejects(function() torch.median(r, r, m, 2) end, 'median: .*' .. share)
  rejects(function() torch.kthvalue(r, r, m, 1, 2) end, 'kthvalue: .*' .. share)
  rejects(function() torch.mode(r, r, m, 2) end, 'mode: .*' .. share)
  local big = torch.LongTensor(4)
  rejects(function() torch.sort(big:narrow(1, 1, 3), big:narrow(1, 2, 3), x) end, share, 'overlapping views')
  rejects(function() torch.max(big:narrow(1, 1, 1), big:narrow(1, 1, 1), m, 2) end, share, 'views of one memory')
  -- distinct tensors, and disjoint views of one memory, still work
  local v, i = torch.LongTensor(), torch.LongTensor()
  torch.sort(v, i, x)
  tester:eq(v, torch.LongTensor{10, 20, 30})
  tester:eq(i, torch.LongTensor{2, 3, 1})
  torch.max(v, i, m, 2)
  tester:eq(v, torch.LongTensor{{3}})
  tester:eq(i, torch.LongTensor{{1}})
  local b6 = torch.LongTensor(6)
  torch.sort(b6:narrow(1, 1, 3), b6:narrow(1, 4, 3), x)
  tester:eq(b6, torch.LongTensor{10, 20, 30, 2, 3, 1}, 'disjoint views of one tensor')
end

---------------------------------------------------------------------------------------
-- 4. range/arange that the type cannot hold
---------------------------------------------------------------------------------------
function T.ranges_the_type_cannot_hold()
  rejects(function() torch.range(torch.ByteTensor(), 250, 260) end,
    'range: values 250 to 260 do not fit in ByteTensor %(expected values from 0 to 255%)')
  rejects(function() torch.range(torch.IntTensor(), 2147483646, 2147483650) end,
    'range: values 2147483646 to 2147483650 do not fit in IntTensor')
  rejects(function() torch.range(torch.HalfTensor(), 2045, 2052) end,
    'range: values 2045 to 2052 with step 1 cannot be held exactly by HalfTensor')
  rejects(function() torch.arange(torch.CharTensor(), -130, 0) end, 'arange: .*CharTensor')
  rejects(function() torch.range(torch.ShortTensor(), 0, 40000, 10000) end, 'ShortTensor')
  rejects(function() torch.range(torch.HalfTensor(), 0, 70000, 10000) end, 'largest value 65504')
  rejects(function() torch.range(torch.FloatTensor(), 2^24, 2^24 + 4) end, 'FloatTensor')
  -- what fits still works, up to the limits
  tester:eq(torch.range(torch.ByteTensor(), 250, 255), torch.ByteTensor{250, 251, 252, 253, 254, 255})
  tester:eq(torch.range(torch.IntTensor(), 2147483645, 2147483647):long(),
    torch.LongTensor{2147483645, 2147483646, 2147483647})
  tester:eq(torch.range(torch.HalfTensor(), 2045, 2048):float(), torch.FloatTensor{2045, 2046, 2047, 2048})
  tester:eq(torch.range(torch.HalfTensor(), 2048, 2056, 2):float(), torch.FloatTensor{2048, 2050, 2052, 2054, 2056},
    'a step as coarse as the spacing')
  tester:eq(torch.arange(torch.ByteTensor(), 250, 256):nElement(), 6, 'arange excludes its end')
  tester:eq(torch.range(torch.FloatTensor(), 0, 1e10, 1e9):nElement(), 11)
end

---------------------------------------------------------------------------------------
-- 5. the empty tensor in pointwise ops
---------------------------------------------------------------------------------------
function T.empty_operand_is_not_a_no_op()
  local e = torch.Tensor()
  local inconsistent = 'an empty tensor %(no dimensions, no elements%) cannot be combined with a tensor of size 3'
  rejects(function() torch.ones(3):add(e) end, 'add: ' .. inconsistent)
  rejects(function() return e + torch.ones(3) end, 'add: ' .. inconsistent)
  rejects(function() torch.ones(3):cmul(e) end, 'mul: ' .. inconsistent)
  rejects(function() torch.ones(3):lerp(e, 0.5) end, 'lerp: .*' .. inconsistent)
  rejects(function() torch.ones(3):addcmul(torch.ones(3), e) end, 'addcmul: .*' .. inconsistent)
  rejects(function() torch.ones(3):atan2(e) end, 'atan2: ' .. inconsistent)
  rejects(function() torch.ones(3):eq(e) end, 'eq: ' .. inconsistent)
  local a = torch.ones(3)
  pcall(function() a:add(e) end)
  tester:eq(a, torch.ones(3), 'the failed op leaves its operand alone')
  -- empty with empty stays empty
  tester:eq((e + e):nElement(), 0)
  tester:eq((e + 1):nElement(), 0)
  tester:eq(torch.add(e, torch.zeros(0)):nElement(), 0)
end

---------------------------------------------------------------------------------------
-- 6. multinomial with weights whose sum overflows
---------------------------------------------------------------------------------------
function T.multinomial_huge_weights_keep_proportions()
  torch.manualSeed(7)
  local s = torch.multinomial(torch.DoubleTensor{1e308, 1e308}, 4000, true)
  local ones = s:eq(1):sum()
  tester:assert(ones > 1800 and ones < 2200, 'equal huge weights: about half each, got ' .. ones .. ' of 4000')
  local s2 = torch.multinomial(torch.DoubleTensor{{1e308, 0.5e308, 0}, {1, 3, 0}}, 4000, true)
  for r = 1, 2 do
    local c1 = s2[r]:eq(1):sum()
    tester:eq(s2[r]:eq(3):sum(), 0, 'a zero weight is never drawn (row ' .. r .. ')')
    tester:assert(c1 > 0 and c1 < 4000, 'row ' .. r .. ' draws both categories')
  end
  local r3 = torch.multinomial(torch.DoubleTensor{{1.5e308, 0.5e308}}, 8000, true)
  local c = r3:eq(1):sum()
  tester:assert(c > 5600 and c < 6400, '3:1 weights near 1e308: about 3/4, got ' .. c .. ' of 8000')
  local w = torch.multinomial(torch.DoubleTensor{1e308, 1e308, 1e308}, 3, false)
  tester:eq(w:sort(), torch.LongTensor{1, 2, 3}, 'without replacement: all three')
end

---------------------------------------------------------------------------------------
-- 7. CSV: header rule, line ends, NUL bytes
---------------------------------------------------------------------------------------
local function csv_of(text, opts)
  local p = os.tmpname()
  local f = assert(io.open(p, 'wb'))
  f:write(text)
  f:close()
  local ok, t, names = pcall(torch.data.csv, p, opts)
  os.remove(p)
  if not ok then error(t, 0) end
  return t, names
end

function T.csv_rows_are_never_taken_for_a_header()
  local t, names = csv_of('1,,3\n4,5,6\n', {nan = true})
  tester:eq(names, nil, 'numbers and empty fields: no header')
  tester:eq(t:size():totable(), {2, 3})
  tester:assert(t[1][2] ~= t[1][2], 'the empty field is NaN')
  tester:eq(t[2][3], 6)
  rejects(function() csv_of('1,,3\n4,5,6\n') end, 'line 1, column 2: "" is not a number')
  for _, bad in ipairs{'1e,2\n3,4\n', '1..2,2\n3,4\n', '1_000,2\n3,4\n', '-.5x,2\n3,4\n'} do
    rejects(function() csv_of(bad) end, 'line 1, column 1: .* is not a number', bad)
    local t2, n2 = csv_of(bad, {nan = true})
    tester:eq(n2, nil, bad .. ': not a header')
    tester:eq(t2:size(1), 2, bad .. ': both rows are data')
  end
  rejects(function() csv_of('1"2,3\n4,5\n') end, 'line 1')
  -- a word makes the first line a header, as before
  local t3, n3 = csv_of('x,y\n1,2\n')
  tester:eq(n3, {'x', 'y'})
  tester:eq(t3, torch.DoubleTensor{{1, 2}})
  local _, n4 = csv_of('year,2019,\n1,2,3\n')
  tester:eq(n4, {'year', '2019', ''}, 'a header may hold numbers and empty names')
  local _, n5 = csv_of('1,2\n3,4\n', {header = true})
  tester:eq(n5, {'1', '2'}, 'header = true still forces one')
end

function T.csv_line_ends_and_nul()
  local t, names = csv_of('1,2\r3,4\r')
  tester:eq(names, nil)
  tester:eq(t, torch.DoubleTensor{{1, 2}, {3, 4}}, 'CR alone ends lines')
  tester:eq(csv_of('a,b\r1,2\r\r3,4'), torch.DoubleTensor{{1, 2}, {3, 4}}, 'CR with a header and a blank line')
  tester:eq(csv_of('1,2\r\n3,4\r\n'), torch.DoubleTensor{{1, 2}, {3, 4}}, 'CRLF as before')
  rejects(function() csv_of('1,2\r3,x\r') end, 'line 2, column 2', 'CR lines are counted')
  rejects(function() csv_of('1,2\0\n3,4\n') end, 'line 1: a NUL byte')
  rejects(function() csv_of('1,2\n3,4\0\n') end, 'line 2: a NUL byte')
end

---------------------------------------------------------------------------------------
-- 8. messages
---------------------------------------------------------------------------------------
function T.messages()
  rejects(function() torch.data.saveIdx(os.tmpname(), torch.ByteTensor{1}:expand(2^33)) end,
    "size 8589934592 of dim 1 does not fit IDX's 32 bits")
  rejects(function() torch.data.csv('/tmp/') end, 'torch.data.csv: /tmp/: cannot read %(Is a directory%)')
  local a = torch.ones(3)
  rejects(function() return a[1.5] end, 'index: 1.5 is not an integer index')
  rejects(function() return a[{1.5}] end, 'index: 1.5 is not an integer index')
  rejects(function() return a[{{1.5, 2}}] end, 'index: 1.5 is not an integer index')
  rejects(function() return a[{{1, 2.5}}] end, 'index: 2.5 is not an integer index')
  rejects(function() return torch.ones(2, 2)[{1, 0.5}] end, 'index: 0.5 is not an integer index')
  rejects(function() return torch.ones(2, 2)[{{1, 2}, 1.5}] end, 'index: 1.5 is not an integer index')
  rejects(function() return a[{{'x', 2}}] end, 'index: x is not an integer index')
  rejects(function() a:sub(1, math.maxinteger) end, 'range 1 to 9223372036854775807 out of bounds')
  rejects(function() return a[{{1, 5}}] end, 'range {1, 5} out of bounds for dimension 1 of size 3')
  local p = os.tmpname()
  local f = io.open(p, 'wb'); f:write(string.pack('<I8', 0), '{}'); f:close()
  rejects(function() torch.loadSafetensors(p) end, 'header length 0: the header is empty or invalid')
  os.remove(p)
  local fake = setmetatable({}, torch.getmetatable('torch.FloatTensor'))
  rejects(function() return tostring(fake) end, "bad argument #1 to 'tostring' %(tensor expected, got table%)")
  -- torch.getmetatable of a tensor type (cached) does not make it a class torch.class may redefine
  local ctor = torch.FloatTensor
  rejects(function() torch.class('torch.FloatTensor') end, 'class torch%.FloatTensor already exists')
  tester:assert(torch.FloatTensor == ctor and torch.type(torch.FloatTensor(2)) == 'torch.FloatTensor',
    'torch.FloatTensor untouched')
end

---------------------------------------------------------------------------------------
-- 9. Timer and DataLoader
---------------------------------------------------------------------------------------
function T.timer_stop_twice_and_negative_epochs()
  local t = torch.Timer()
  t:stop()
  local r = t:time().real
  tester:eq(t:stop(), t, 'a second stop does nothing (Torch7)')
  tester:eq(t:time().real, r)
  t:resume()
  tester:eq(t:resume(), t, 'a second resume does nothing (Torch7)')
  local d = torch.data.DataLoader({x = torch.ones(4, 2)}, {batchSize = 2})
  rejects(function() d:setEpoch(-1) end, "'DataLoader:setEpoch' %(a non%-negative epoch expected, got %-1%)")
  d:setEpoch(0)
  tester:eq(d.epoch, 0)
end

if not child.th then return child.skip(tester, T, 'not run by th (no child th to run)') end
-- + - * of an integer tensor and a whole number agree with the methods: the number's low
-- bits in the tensor's type (arithmetic modulo 2^k), either operand order
function T.integer_operators_match_methods()
  tester:asserteq((torch.ByteTensor{1} + 300)[1], 45, 'Byte + 300')
  tester:asserteq(torch.ByteTensor{1}:add(300)[1], 45, 'Byte:add(300)')
  tester:asserteq((torch.ByteTensor{1} * 300)[1], 44, 'Byte * 300')
  tester:asserteq((torch.ByteTensor{10} - 300)[1], 222, 'Byte - 300')
  tester:asserteq((torch.CharTensor{1} + 200)[1], -55, 'Char + 200')
  tester:asserteq((300 - torch.ByteTensor{10})[1], 34, '300 - Byte')
  tester:asserteq((2 * torch.ByteTensor{200})[1], 144, '2 * Byte')
  tester:asserteq((torch.LongTensor{7} + (1 << 62))[1], (1 << 62) + 7, 'Long + 2^62 exact')
  tester:asserteq((torch.FloatTensor{1} + 300)[1], 301, 'float unchanged')
end

tester:add(T)
return tester
