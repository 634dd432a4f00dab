-- torch.save / torch.load / torch.serialize / torch.deserialize in Torch7's .t7 format:
-- round trips in both modes, a fixture built byte by byte from the format description,
-- hostile data (every error is a Lua error naming torch.load), atomic saves.
require 'nn'
local tester = torch.Tester()
local T = torch.TestSuite()

local MODES = { 'binary', 'ascii' }
local DTYPES = { 'Float', 'Double', 'Long', 'Int', 'Short', 'Char', 'Byte', 'Bool', 'Half', 'BFloat16' }

local function rt(obj, mode) return torch.deserialize(torch.serialize(obj, mode), mode) end
local function skey(t) return torch._serial.key(t:storage()) end

local function loadError(s, pattern, msg, mode, opts)
  local ok, err = pcall(torch.deserialize, s, mode or 'binary', opts)
  tester:assert(not ok, msg .. ': expected an error')
  err = tostring(err)
  tester:assert(err:find('torch.load', 1, true), msg .. ': error names torch.load: ' .. err)
  if pattern then tester:assert(err:find(pattern, 1, true), msg .. ': error says "' .. pattern .. '": ' .. err) end
end

function T.plainValues()
  for _, m in ipairs(MODES) do
    local obj = { n = 3, x = -1.25, big = 2 ^ 60, tiny = 1e-300, s = 'a b\nc\0d', e = '', t = true, f = false,
                  inf = math.huge, ninf = -math.huge, [7] = 'seven', [2.5] = 'frac', list = { 1, 2, { 3 } } }
    local o = rt(obj, m)
    for k, v in pairs(obj) do
      if type(v) ~= 'table' then tester:asserteq(o[k], v, m .. ' value ' .. tostring(k)) end
    end
    tester:asserteq(math.type(o.n), 'integer', m .. ': whole numbers come back as integers')
    tester:asserteq(o.list[3][1], 3, m .. ' nested')
    tester:assert(rt(0 / 0, m) ~= rt(0 / 0, m), m .. ' nan')
    tester:asserteq(rt(nil, m), nil, m .. ' nil')
    tester:asserteq(rt('str', m), 'str', m .. ' top-level string')
    tester:asserteq(rt(false, m), false, m .. ' top-level boolean')
  end
end

function T.sharingAndCycles()
  for _, m in ipairs(MODES) do
    local shared = { v = 1 }
    local obj = { a = shared, b = shared }
    obj.self = obj
    obj.a.back = obj
    local o = rt(obj, m)
    tester:assert(o.a == o.b, m .. ': shared table stays shared')
    tester:assert(o.self == o, m .. ': cycle')
    tester:assert(o.a.back == o, m .. ': cycle through a child')
    tester:asserteq(o.a.v, 1, m)
  end
end

function T.tensorsEveryDtype()
  for _, m in ipairs(MODES) do
    for _, dt in ipairs(DTYPES) do
      local ctor = torch[dt .. 'Tensor']
      local vals = { { 1, 0, 3 }, { 4, 5, 0 } }
      local t = dt == 'Bool' and ctor({ { true, false, true }, { true, true, false } }) or ctor(vals)
      local o = rt(t, m)
      tester:asserteq(torch.typename(o), 'torch.' .. dt .. 'Tensor', m .. ' ' .. dt .. ' class')
      tester:assertTableEq(o:size():totable(), { 2, 3 }, m .. ' ' .. dt .. ' sizes')
      tester:assert(o:eq(t):all(), m .. ' ' .. dt .. ' values')
      local s = rt(t:storage(), m)
      tester:asserteq(torch.typename(s), 'torch.' .. dt .. 'Storage', m .. ' ' .. dt .. ' storage class')
      tester:asserteq(s:size(), 6, m .. ' ' .. dt .. ' storage size')
      local e = rt(ctor(), m)
      tester:asserteq(e:nElement(), 0, m .. ' ' .. dt .. ' empty')
      tester:asserteq(torch.typename(e), 'torch.' .. dt .. 'Tensor', m .. ' ' .. dt .. ' empty class')
    end
    local d = torch.DoubleTensor { math.pi, -1e-310, 1e300 }
    tester:assert(rt(d, m):eq(d):all(), m .. ': doubles exact')
    local f = torch.FloatTensor { 1 / 3, 1e-40, 3e38 }
    tester:assert(rt(f, m):eq(f):all(), m .. ': floats exact')
    local l = torch.LongTensor { 2 ^ 62 + 1, -2 ^ 62 - 3 }
    tester:assert(rt(l, m):eq(l):all(), m .. ': longs exact')
  end
end

function T.stridesAndSharedStorage()
  for _, m in ipairs(MODES) do
    local a = torch.randn(4, 5)
    local obj = { a = a, t = a:t(), n = a:narrow(2, 2, 3), s = a:select(1, 3) }
    local o = rt(obj, m)
    tester:assertTableEq(o.t:stride():totable(), { 1, 5 }, m .. ' transposed strides')
    tester:asserteq(o.n:storageOffset(), 2, m .. ' narrow offset')
    tester:asserteq(o.s:storageOffset(), 11, m .. ' select offset')
    tester:assertTensorEq(o.t, a:t(), 0, m .. ' transposed values')
    tester:assertTensorEq(o.n, obj.n, 0, m .. ' narrow values')
    tester:assertTensorEq(o.s, obj.s, 0, m .. ' select values')
    tester:assert(skey(o.a) == skey(o.t) and skey(o.a) == skey(o.n) and skey(o.a) == skey(o.s),
      m .. ': one storage for all views')
    o.a[1][1] = 42
    tester:asserteq(o.t[1][1], 42, m .. ': writes show through the shared storage')
    local same = rt({ a, a }, m)
    tester:assert(same[1] == same[2], m .. ': the same tensor twice is one tensor')
  end
end

local function make_net()
  return nn.Sequential()
    :add(nn.SpatialConvolution(1, 2, 3, 3))
    :add(nn.ReLU())
    :add(nn.View(2 * 4 * 4))
    :add(nn.Linear(32, 3))
end

function T.nnModules()
  torch.manualSeed(1)
  for _, m in ipairs(MODES) do
    local net = make_net()
    local x = torch.randn(5, 1, 6, 6)
    local y = net:forward(x):clone()
    local n2 = rt(net, m)
    tester:asserteq(torch.typename(n2), 'nn.Sequential', m)
    tester:asserteq(torch.typename(n2.modules[1]), 'nn.SpatialConvolution', m)
    tester:asserteq(torch.typename(n2.modules[4]), 'nn.Linear', m)
    tester:assertTensorEq(n2:forward(x), y, 1e-6, m .. ': same outputs after load')
    -- train further: the loaded copy and the original take the same steps
    local crit = nn.MSECriterion()
    local target = torch.randn(5, 3)
    local losses = {}
    for _, k in ipairs { net, n2 } do
      for step = 1, 3 do
        k:zeroGradParameters()
        local out = k:forward(x)
        local loss = crit:forward(out, target)
        k:backward(x, crit:backward(out, target))
        k:updateParameters(0.05)
        losses[#losses + 1] = loss
      end
    end
    tester:assertalmosteq(losses[3], losses[6], 1e-5, m .. ': trains like the original')
    tester:assert(losses[6] < losses[4], m .. ': loss decreases after load')
    tester:assertTensorEq(n2:forward(x), net:forward(x), 1e-5, m .. ': same after training')
  end
end

function T.saveLoadFiles()
  local path = os.tmpname()
  local net = make_net()
  local x = torch.randn(2, 1, 6, 6)
  for _, m in ipairs(MODES) do
    torch.save(path, { net = net, epoch = 4 }, m)
    local o = torch.load(path, m)
    tester:asserteq(o.epoch, 4, m)
    tester:assertTensorEq(o.net:forward(x), net:forward(x), 1e-6, m .. ': file round trip')
  end
  os.remove(path)
  tester:assertErrorPattern(function() torch.save(path, 1, 'b64') end, "save", 'bad mode')
  tester:assertErrorPattern(function() torch.load(path .. '.missing') end, 'torch.load', 'missing file')
  tester:assertErrorPattern(function() torch.save(nil, 1) end, "bad argument #1 to 'save'", 'bad path')
end

function T.atomicSave()
  local path = os.tmpname()
  torch.save(path, { good = torch.FloatTensor { 1, 2, 3 } })
  local dir, base = path:match('^(.*)/([^/]*)$')
  tester:assertErrorPattern(function() torch.save(path, { x = 1, bad = function() end }) end,
    'cannot save a function', 'a function is not saved')
  tester:assertErrorPattern(function() torch.save(path, { deep = { co = coroutine.create(print) } }) end,
    'deep.co', 'the error names where')
  local o = torch.load(path)
  tester:assertTensorEq(o.good, torch.FloatTensor { 1, 2, 3 }, 0, 'the old file is intact')
  local p = io.popen('ls -a "' .. dir .. '"')
  local listing = p:read('a')
  p:close()
  tester:assert(not listing:find(base .. '.tmp', 1, true), 'no temporary file left behind')
  tester:assertErrorPattern(function() torch.save('/nonexistent-dir/x.t7', 1) end, 'torch.save', 'unwritable folder')
  os.remove(path)
end

-- ---- a fixture written from the format description, not by the writer ----
local function I(n) return string.pack('<i4', n) end
local function L(n) return string.pack('<i8', n) end
local function D(x) return string.pack('<d', x) end
local function S(s) return I(#s) .. s end
local function STR(s) return I(2) .. S(s) end
local function NUM(x) return I(1) .. D(x) end
local function OBJ(idx, class) return I(4) .. I(idx) .. S('V 1') .. S(class) end

local function fixture()
  local floats = {}
  for i = 1, 6 do floats[i] = string.pack('<f', i) end
  local storage = OBJ(3, 'torch.FloatStorage') .. L(6) .. table.concat(floats)
  local w = OBJ(2, 'torch.FloatTensor') .. I(2) .. L(2) .. L(2) .. L(1) .. L(2) .. L(1) .. storage
  local v = OBJ(4, 'torch.FloatTensor') .. I(1) .. L(3) .. L(2) .. L(2) .. OBJ(3, 'torch.FloatStorage'):sub(1, 8)
  -- an nn.Linear from a file that holds only weight and bias (Torch7 after clearState)
  local lw = OBJ(7, 'torch.DoubleTensor') .. I(2) .. L(1) .. L(2) .. L(2) .. L(1) .. L(1)
    .. OBJ(8, 'torch.DoubleStorage') .. L(2) .. D(0.5) .. D(-1)
  local lb = OBJ(9, 'torch.DoubleTensor') .. I(1) .. L(1) .. L(1) .. L(1)
    .. OBJ(10, 'torch.DoubleStorage') .. L(1) .. D(0.25)
  local lin = OBJ(5, 'nn.Linear') .. I(3) .. I(6) .. I(2) .. STR('weight') .. lw .. STR('bias') .. lb
  return I(3) .. I(1) .. I(6)
    .. STR('w') .. w
    .. STR('v') .. v
    .. STR('self') .. I(3) .. I(1)
    .. STR('n') .. NUM(2.5)
    .. STR('ok') .. I(5) .. I(1)
    .. STR('lin') .. lin
end

function T.fixture()
  local o = torch.deserialize(fixture())
  tester:asserteq(torch.typename(o.w), 'torch.FloatTensor', 'fixture class')
  tester:assertTensorEq(o.w, torch.FloatTensor { { 1, 3 }, { 2, 4 } }, 0, 'fixture strided values')
  tester:assertTensorEq(o.v, torch.FloatTensor { 2, 4, 6 }, 0, 'fixture second view')
  tester:assert(skey(o.w) == skey(o.v), 'fixture: both views share the storage')
  tester:assert(o.self == o, 'fixture: the cycle')
  tester:asserteq(o.n, 2.5)
  tester:asserteq(o.ok, true)
  local lin = o.lin
  tester:asserteq(torch.typename(lin), 'nn.Linear', 'fixture module class')
  tester:assertTensorEq(lin:forward(torch.DoubleTensor { { 2, 1 } }), torch.DoubleTensor { { 0.25 } }, 1e-12,
    'the loaded Linear computes')
  tester:assert(torch.isTensor(lin.gradWeight) and lin.gradWeight:isSameSizeAs(lin.weight), 'gradWeight made')
  tester:assert(torch.isTensor(lin.gradBias), 'gradBias made')
  local crit = nn.MSECriterion()
  local x, t = torch.DoubleTensor { { 2, 1 } }, torch.DoubleTensor { { 1 } }
  lin:zeroGradParameters()
  local out = lin:forward(x)
  crit:forward(out, t)
  lin:backward(x, crit:backward(out, t))
  tester:assert(lin.gradWeight:abs():sum() > 0, 'the completed module takes gradients')
  -- our writer produces exactly the bytes Torch7 writes for a simple object
  tester:asserteq(torch.serialize(torch.FloatStorage { 1, 2 }),
    OBJ(1, 'torch.FloatStorage') .. L(2) .. string.pack('<ff', 1, 2), 'writer bytes')
  tester:asserteq(torch.serialize({ 7 }), I(3) .. I(1) .. I(1) .. NUM(1) .. NUM(7), 'writer table bytes')
  tester:asserteq(torch.serialize({ 7 }, 'ascii'), '3\n1\n1\n1\n1\n1\n7\n', 'ascii table text')
  tester:asserteq(torch.serialize('ab', 'ascii'), '2\n2\nab\n', 'ascii string text')
end

-- ---- hostile data ----
function T.truncations()
  local s = fixture()
  for n = 0, #s - 1 do loadError(s:sub(1, n), nil, 'truncated at ' .. n) end
  local a = torch.serialize({ t = torch.randn(3, 2), s = 'hello', n = 1 }, 'ascii')
  for n = 0, #a - 1, 3 do
    local ok, err = pcall(torch.deserialize, a:sub(1, n), 'ascii')
    tester:assert(ok or tostring(err):find('torch.load', 1, true), 'ascii truncated at ' .. n .. ': ' .. tostring(err))
  end
end

function T.hugeAndBadSizes()
  local FS = OBJ(2, 'torch.FloatStorage')
  loadError(FS .. L(2 ^ 60), 'truncated', 'huge storage size')
  loadError(FS .. L(-5), 'negative size', 'negative storage size')
  loadError(I(2) .. I(2 ^ 31 - 1) .. 'abc', 'truncated', 'huge string length')
  loadError(I(2) .. I(-1), 'negative', 'negative string length')
  loadError(I(3) .. I(1) .. I(2 ^ 30), 'bad table size', 'huge table size')
  loadError(I(3) .. I(1) .. I(-3), 'bad table size', 'negative table size')
  local FT = OBJ(1, 'torch.FloatTensor')
  local st4 = FS .. L(4) .. string.rep('\0', 16)
  loadError(FT .. I(100), 'dimensions', 'too many dims')
  loadError(FT .. I(-1), 'dimensions', 'negative dims')
  loadError(FT .. I(1) .. L(5) .. L(1) .. L(1) .. st4, 'reaches outside', 'size beyond the storage')
  loadError(FT .. I(1) .. L(2) .. L(1) .. L(4) .. st4, 'reaches outside', 'offset beyond the storage')
  loadError(FT .. I(1) .. L(2) .. L(2 ^ 62) .. L(1) .. st4, 'reaches outside', 'huge stride')
  loadError(FT .. I(2) .. L(2 ^ 40) .. L(2 ^ 40) .. L(1) .. L(1) .. L(1) .. st4, 'reaches outside', 'huge sizes')
  loadError(FT .. I(1) .. L(-2) .. L(1) .. L(1) .. st4, 'negative size', 'negative tensor size')
  loadError(FT .. I(1) .. L(2) .. L(-1) .. L(1) .. st4, 'negative stride', 'negative stride')
  loadError(FT .. I(1) .. L(2) .. L(1) .. L(0) .. st4, 'offset', 'offset 0')
  loadError(FT .. I(1) .. L(2) .. L(1) .. L(1) .. OBJ(2, 'torch.DoubleStorage') .. L(4) .. string.rep('\0', 32),
    'torch.DoubleStorage', 'storage of another type')
  loadError(FT .. I(1) .. L(2) .. L(1) .. L(1) .. STR('x'), 'where a torch.FloatStorage', 'a string as storage')
  loadError(FT .. I(1) .. L(2) .. L(1) .. L(1) .. I(4) .. I(1), 'where a torch.FloatStorage', 'tensor as its own storage')
  loadError('3\n1\n99999999999\n', 'bad table size', 'ascii huge table', 'ascii')
  loadError('4\n1\n3\nV 1\n17\ntorch.LongStorage\n900000000000\n1 2\n', 'truncated', 'ascii huge storage', 'ascii')
  loadError('1\nabc\n', 'bad number', 'ascii garbage number', 'ascii')
end

function T.badTagsAndClasses()
  loadError(I(99), 'unknown type tag 99', 'bad tag')
  loadError(I(-1), 'unknown type tag', 'negative tag')
  loadError(I(3) .. I(0) .. I(0), 'bad reference index', 'index 0')
  loadError(I(3) .. I(1) .. I(1) .. I(0) .. NUM(1), 'key is nil', 'nil key')
  for _, tag in ipairs { 6, 7, 8 } do
    local f = I(tag) .. I(4) .. 'LuaQ'
    loadError(f, 'refused', 'function tag ' .. tag)
    loadError(I(3) .. I(1) .. I(1) .. STR('f') .. f, 'allowFunctions', 'function tag in a table ' .. tag)
    loadError(f, 'Lua 5.4 cannot load', 'function tag with opt-in', 'binary', { allowFunctions = true })
  end
  loadError(OBJ(1, 'nn.NoSuchModule') .. I(3) .. I(2) .. I(0), 'unknown class <nn.NoSuchModule>', 'unknown nn class')
  loadError(OBJ(1, 'evilpkg.Thing') .. I(3) .. I(2) .. I(0), 'unknown class <evilpkg.Thing>', 'unknown package')
  tester:asserteq(package.loaded.evilpkg, nil, 'no package is required for an unknown name')
  loadError(OBJ(1, 'nn.Linear') .. NUM(3), 'not a table', 'class fields not a table')
  loadError(OBJ(1, 'nn.Linear') .. I(4) .. I(1), 'reference loop', 'class fields are itself')
  local path = os.tmpname()
  local f = io.open(path, 'wb'); f:write(I(6) .. I(0)); f:close()
  tester:assertErrorPattern(function() torch.load(path) end, 'refused', 'torch.load refuses functions')
  os.remove(path)
end

function T.deepNesting()
  local n = 20000
  local parts = {}
  for i = 1, n do parts[i] = I(3) .. I(i) .. I(1) .. NUM(1) end
  local s = table.concat(parts) .. I(0)
  loadError(s, 'nesting deeper', 'deep nesting')
  -- 5000 levels load
  local ok_s = table.concat(parts, '', 1, 5000) .. I(0)
  local o = torch.deserialize(ok_s)
  local depth = 0
  while type(o) == 'table' do depth = depth + 1; o = o[1] end
  tester:asserteq(depth, 5000, 'deep but allowed')
end

-- mutated data (a fixed-seed generator, bounded work): every outcome is a value or a
-- Lua error naming torch.load, never a crash
function T.fuzz()
  local seed = 12345
  local function rnd(n)   -- 1..n
    seed = (seed * 1103515245 + 12345) % 2147483648
    return seed % n + 1
  end
  local extremes = { 0, -1, 1, 2 ^ 31 - 1, -2 ^ 31, 2 ^ 30, 7, 4, 3 }
  local bases = { fixture(), torch.serialize({ net = nn.Sequential():add(nn.Linear(3, 2)):add(nn.ReLU()),
                                               t = torch.randn(2, 3):t(), s = 'str', [1] = true }) }
  local n = 0
  for iter = 1, 1500 do
    local s = bases[rnd(#bases)]
    local kind = rnd(4)
    if kind == 1 then       -- flip a byte
      local i = rnd(#s)
      s = s:sub(1, i - 1) .. string.char(rnd(256) - 1) .. s:sub(i + 1)
    elseif kind == 2 then   -- an extreme int32 at an aligned position
      local i = (rnd(#s // 4) - 1) * 4 + 1
      s = s:sub(1, i - 1) .. string.pack('<i4', extremes[rnd(#extremes)]) .. s:sub(i + 4)
    elseif kind == 3 then   -- cut
      s = s:sub(1, rnd(#s) - 1)
    else                    -- an extreme int64 anywhere
      local i = rnd(#s)
      s = s:sub(1, i - 1) .. string.pack('<i8', extremes[rnd(#extremes)] * 2 ^ 20) .. s:sub(i + 8)
    end
    local ok, err = pcall(torch.deserialize, s)
    if not ok and not tostring(err):find('torch.load', 1, true) then
      tester:assert(false, 'fuzz case ' .. iter .. ' (kind ' .. kind .. '): ' .. tostring(err))
      break
    end
    n = n + 1
  end
  tester:asserteq(n, 1500, 'every mutated input gives a value or a torch.load error')
end

function T.arguments()
  tester:assertErrorPattern(function() torch.deserialize(3) end, "bad argument #1 to 'deserialize'", 'not a string')
  tester:assertErrorPattern(function() torch.deserialize('', 'b32') end, "bad argument #2 to 'deserialize'", 'bad mode')
  tester:assertErrorPattern(function() torch.serialize(1, 'x') end, "bad argument #2 to 'serialize'", 'bad mode')
  tester:assertErrorPattern(function() torch.serialize(print) end, 'torch.save: cannot save a function', 'function')
  tester:assertErrorPattern(function() torch.serialize({ torch.Timer and torch.Timer() or io.stdout }) end,
    'torch.save: cannot save', 'foreign userdata')
end

-- a tensor header that expands 2 stored elements into 2^44 (stride 0) is refused, and a
-- save through a symbolic link writes the linked file, keeping the link
function T.absurdExpandedViewAndLinks()
  local t = torch.LongTensor{7, 8}
  local str = torch.serialize(t)
  -- the binary layout: tag 4, index, "V 1", class name, ndim 1, size, stride, offset
  local pos = str:find('torch.LongTensor', 1, true) + #'torch.LongTensor'
  local ndim = string.unpack('<i4', str, pos)
  tester:eq(ndim, 1, 'the tensor header found')
  local hostile = str:sub(1, pos + 3) .. string.pack('<i8<i8', 2 ^ 44 + 2, 0) .. str:sub(pos + 20)
  tester:assertErrorPattern(function() torch.deserialize(hostile) end, 'absurd', 'an absurd expanded view')
  local dir = os.tmpname()
  os.remove(dir)
  os.execute('mkdir -p ' .. dir)
  local target, link = dir .. '/target.t7', dir .. '/link.t7'
  torch.save(target, 1)
  os.execute('ln -s target.t7 ' .. link)
  torch.save(link, torch.Tensor{5, 6})
  tester:eq(torch.load(target), torch.Tensor{5, 6}, 0, 'the linked file was written')
  tester:assert(os.execute('test -L ' .. link) == true, 'the link is still a link')
  os.execute('rm -rf ' .. dir)
end

-- what torch.load would refuse is not written: a negative-stride view is saved as a
-- contiguous copy (binary and ascii, shared references kept), a huge expanded view is an
-- error that leaves no file; an ordinary expanded view round-trips
function T.save_only_what_loads()
  local t = torch.Tensor(torch.FloatStorage{1, 2, 3}, 3, torch.LongStorage{3}, torch.LongStorage{-1})
  for _, mode in ipairs{'binary', 'ascii'} do
    local path = os.tmpname()
    torch.save(path, {t, t}, mode)
    local r = torch.load(path, mode)
    os.remove(path)
    tester:eq(r[1], torch.FloatTensor{3, 2, 1}, 0, mode .. ': values of a negative-stride view')
    tester:assert(r[1] == r[2], mode .. ': one tensor, saved once')
  end
  local path = os.tmpname()
  os.remove(path)
  tester:assertErrorPattern(function() torch.save(path, {a = torch.Tensor{1}:expand(2 ^ 40)}) end,
                            'torch.save: a torch.FloatTensor of 1099511627776 elements over a storage of 1 %(an expanded view%) would not load back')
  tester:assert(io.open(path, 'rb') == nil, 'no file left behind')
  local e = torch.Tensor{1, 2}:view(2, 1):expand(2, 3)
  torch.save(path, e)
  tester:eq(torch.load(path), torch.Tensor{{1, 1, 1}, {2, 2, 2}}, 0, 'an expanded view round-trips')
  os.remove(path)
end

tester:add(T)
return tester
