-- safetensors (torch.loadSafetensors / torch.saveSafetensors) and nn's state dicts
-- (Module:stateDict / loadStateDict with PyTorch's names): round trips of every dtype,
-- a fixture written byte by byte here, hostile headers, and a model saved and loaded.
require 'nn'
local tester = torch.Tester()
local T = torch.TestSuite()

local base = os.tmpname()
os.remove(base)
local made = {}
local function tmpfile(tag)
  local p = base .. '_' .. tag .. '.safetensors'
  made[#made + 1] = p
  return p
end

-- a file written byte by byte: the header length, the header JSON, the data
local function write_raw(path, header, data)
  local f = assert(io.open(path, 'wb'))
  f:write(string.pack('<I8', #header), header, data or '')
  f:close()
end
local function write_bytes(path, bytes)
  local f = assert(io.open(path, 'wb'))
  f:write(bytes)
  f:close()
end

local function values(t)
  if t:nElement() == 0 then return {} end
  return t:reshape(t:nElement()):totable()
end

local function same_shape(a, b)
  if a:dim() ~= b:dim() then return false end
  for i = 1, a:dim() do if a:size(i) ~= b:size(i) then return false end end
  return true
end

function T.round_trip_every_dtype()
  local tbl = {
    f64 = torch.DoubleTensor{{1.5, -2}, {3, 1e-300}},
    f32 = torch.FloatTensor{1, -2.25, 3e30},
    f16 = torch.HalfTensor{1.5, -0.25, 65504, 2 ^ -24, -0.0, 0.0999755859375},
    bf16 = torch.FloatTensor{1.5, -3, 2 ^ 100, 0.1}:type('torch.BFloat16Tensor'),
    i64 = torch.LongTensor{-1, 9007199254740993, math.maxinteger, math.mininteger},
    i32 = torch.IntTensor{-5, 7, 2147483647, -2147483648},
    i16 = torch.ShortTensor{-300, 300, 32767, -32768},
    i8 = torch.CharTensor{-128, 127, 0},
    u8 = torch.ByteTensor{{0, 255}, {7, 8}},
    bool = torch.BoolTensor{true, false, true},
  }
  local path = tmpfile('dtypes')
  torch.saveSafetensors(path, tbl)
  local r, meta = torch.loadSafetensors(path)
  tester:asserteq(next(meta), nil, 'no metadata')
  local n = 0
  for k, t in pairs(r) do
    n = n + 1
    tester:asserteq(t:type(), tbl[k]:type(), k .. ' type')
    tester:assert(same_shape(t, tbl[k]), k .. ' shape')
    tester:assertTableEq(values(t), values(tbl[k]), k .. ' values')
  end
  tester:asserteq(n, 10, 'all tensors back')
  tester:asserteq(r.i64[2], 9007199254740993, 'int64 exact past 2^53')
  tester:asserteq(r.i64[3], math.maxinteger, 'int64 max')
  tester:asserteq(r.f16[4], 2 ^ -24, 'half subnormal')
  tester:asserteq(r.bf16[3], 2 ^ 100, 'bfloat16')
end

function T.metadata_empty_and_zero_dim()
  local path = tmpfile('meta')
  local tbl = {
    empty = torch.FloatTensor(0, 3),
    none = torch.LongTensor(),
    emptyl = torch.LongTensor(2, 0),
    scalar = torch.DoubleTensor{7.25}:view({}),
    sliced = torch.range(1, 12):view(3, 4):t(),   -- not contiguous
  }
  local meta = { format = 'pt', note = 'quote " backslash \\ newline \n tab \t é' }
  torch.saveSafetensors(path, tbl, meta)
  local r, m = torch.loadSafetensors(path)
  tester:assertTableEq(m, meta, 'metadata')
  tester:asserteq(r.empty:dim(), 2, 'empty dims')
  tester:asserteq(r.empty:size(2), 3, 'empty size')
  tester:asserteq(r.empty:nElement(), 0, 'empty elements')
  tester:asserteq(r.scalar:dim(), 0, '0-dim')
  tester:asserteq(r.scalar:nElement(), 1, '0-dim element')
  tester:asserteq(r.scalar:reshape(1)[1], 7.25, '0-dim value')
  tester:asserteq(r.none:nElement(), 0, 'an empty tensor without dimensions')
  tester:asserteq(r.none:type(), 'torch.LongTensor', 'its type')
  tester:asserteq(r.emptyl:dim(), 2, 'empty LongTensor dims')
  tester:asserteq(r.emptyl:size(1), 2, 'empty LongTensor size')
  tester:assertTensorEq(r.sliced, tbl.sliced, 0, 'non-contiguous source')
  -- no temporary file is left beside it
  local f = io.open(path .. '.tmp', 'rb')
  tester:asserteq(f, nil, 'no leftover')
end

function T.header_layout_is_safetensors()
  local path = tmpfile('layout')
  torch.saveSafetensors(path, { b = torch.FloatTensor{1, 2}, a = torch.ShortTensor{3} }, { k = 'v' })
  local f = assert(io.open(path, 'rb'))
  local bytes = f:read('a')
  f:close()
  local n = string.unpack('<I8', bytes)
  tester:asserteq(n % 8, 0, 'header padded to 8 bytes')
  local header = bytes:sub(9, 8 + n)
  tester:assert(header:find('"__metadata__":{"k":"v"}', 1, true), 'metadata in the header')
  tester:assert(header:find('"a":{"dtype":"I16","shape":[1],"data_offsets":[0,2]}', 1, true), header)
  tester:assert(header:find('"b":{"dtype":"F32","shape":[2],"data_offsets":[2,10]}', 1, true), header)
  tester:asserteq(bytes:sub(9 + n), string.pack('<i2ff', 3, 1, 2), 'data bytes')
end

-- a fixture written from the format description, not by our writer
function T.fixture_written_by_hand()
  local path = tmpfile('fixture')
  local data = string.pack('<ffffff', 1, 2, 3, 4, 5, 6)        -- w: F32 2x3, [0, 24)
      .. string.pack('<dd', -1.5, 0.125)                         -- d: F64 2, [24, 40)
      .. string.pack('<i8', -42)                                 -- n: I64 0-dim, [40, 48)
      .. string.pack('<I2I2I2', 0x3C00, 0xC000, 0x7BFF)          -- h: F16 3, [48, 54)
      .. string.pack('<I2I2', 0x3F80, 0xC0A0)                    -- bf: BF16 2, [54, 58)
      .. '\1\0\1'                                                -- m: BOOL 3, [58, 61)
      .. string.pack('<i4i4', -7, 100000)                        -- i: I32 2x1, [61, 69)
      .. string.pack('<bB', -3, 200)                             -- c: I8 1, u: U8 1
  local header = '{"__metadata__": {"format": "pt", "esc": "a\\"\\u00e9\\n"},\n'
      .. ' "w": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]},\n'
      .. ' "d": {"dtype": "F64", "shape": [2], "data_offsets": [24, 40]},\n'
      .. ' "n": {"dtype": "I64", "shape": [], "data_offsets": [40, 48]},\n'
      .. ' "h": {"dtype": "F16", "shape": [3], "data_offsets": [48, 54]},\n'
      .. ' "bf": {"shape": [2], "dtype": "BF16", "data_offsets": [54, 58]},\n'
      .. ' "m": {"dtype": "BOOL", "shape": [3], "data_offsets": [58, 61]},\n'
      .. ' "i": {"dtype": "I32", "shape": [2, 1], "data_offsets": [61, 69]},\n'
      .. ' "c": {"dtype": "I8", "shape": [1], "data_offsets": [69, 70]},\n'
      .. ' "u": {"dtype": "U8", "shape": [1], "data_offsets": [70, 71]},\n'
      .. ' "z": {"dtype": "F32", "shape": [0, 5], "data_offsets": [71, 71]}}  '
  write_raw(path, header, data)
  local r, meta = torch.loadSafetensors(path)
  tester:asserteq(meta.format, 'pt', 'metadata')
  tester:asserteq(meta.esc, 'a"\u{e9}\n', 'metadata escapes')
  tester:assertTensorEq(r.w, torch.FloatTensor{{1, 2, 3}, {4, 5, 6}}, 0, 'F32')
  tester:asserteq(r.w:type(), 'torch.FloatTensor', 'F32 type')
  tester:assertTableEq(r.d:totable(), { -1.5, 0.125 }, 'F64')
  tester:asserteq(r.n:dim(), 0, 'I64 0-dim')
  tester:asserteq(r.n:reshape(1)[1], -42, 'I64 value')
  tester:asserteq(r.h:type(), 'torch.HalfTensor', 'F16 type')
  tester:assertTableEq(r.h:totable(), { 1, -2, 65504 }, 'F16')
  tester:asserteq(r.bf:type(), 'torch.BFloat16Tensor', 'BF16 type')
  tester:assertTableEq(r.bf:totable(), { 1, -5 }, 'BF16')
  tester:asserteq(r.m:type(), 'torch.BoolTensor', 'BOOL type')
  tester:assertTableEq(r.m:totable(), { true, false, true }, 'BOOL')
  tester:asserteq(r.i:type(), 'torch.IntTensor', 'I32 type')
  tester:assertTableEq(r.i:totable(), { { -7 }, { 100000 } }, 'I32')
  tester:asserteq(r.c[1], -3, 'I8')
  tester:asserteq(r.u[1], 200, 'U8')
  tester:asserteq(r.z:nElement(), 0, 'empty')
  tester:asserteq(r.z:size(2), 5, 'empty shape')
end

local function hostile(tag, writer, pattern)
  local path = tmpfile('bad_' .. tag)
  writer(path)
  tester:assertErrorPattern(function() torch.loadSafetensors(path) end,
    'torch%.loadSafetensors: .*' .. pattern, tag)
end

function T.hostile_headers_give_clear_errors()
  local function one(dtype, shape, b, e, data)
    return function(p)
      write_raw(p, string.format('{"t":{"dtype":"%s","shape":%s,"data_offsets":[%d,%d]}}', dtype, shape, b, e), data)
    end
  end
  hostile('short', function(p) write_bytes(p, 'abc') end, 'too short')
  hostile('empty', function(p) write_bytes(p, '') end, 'too short')
  hostile('huge length', function(p) write_bytes(p, string.pack('<I8', 1 << 40) .. '{}') end, 'beyond the file')
  hostile('negative length', function(p) write_bytes(p, string.pack('<i8', -1) .. '{}') end, 'beyond the file')
  hostile('truncated header', function(p) write_bytes(p, string.pack('<I8', 100) .. '{"t":{"dtype"') end, 'beyond the file')
  hostile('bad json', function(p) write_raw(p, '{"t": {"dtype": "F32",,}}') end, 'invalid JSON')
  hostile('unterminated', function(p) write_raw(p, '{"t') end, 'invalid JSON')
  hostile('trailing', function(p) write_raw(p, '{} x') end, 'invalid JSON')
  hostile('float', one('F32', '[2.5]', 0, 10, string.rep('\0', 10)), 'only integers')
  hostile('duplicate', function(p) write_raw(p, '{"a":{},"a":{}}') end, 'duplicate key')
  hostile('deep', function(p) write_raw(p, string.rep('[', 200) .. string.rep(']', 200)) end, 'too deep')
  hostile('not an object', function(p) write_raw(p, '[1, 2]') end, 'not a JSON object')
  hostile('unknown dtype', one('F8', '[2]', 0, 2, '\0\0'), 'unknown dtype "F8"')
  hostile('out of range', one('F32', '[2]', 0, 8, string.rep('\0', 4)), 'outside the data area')
  hostile('negative offset', one('U8', '[2]', -2, 0, ''), 'outside the data area')
  hostile('reversed offsets', one('U8', '[0]', 4, 2, string.rep('\0', 4)), 'outside the data area')
  hostile('size mismatch', one('F32', '[3]', 0, 8, string.rep('\0', 8)), 'hold 8 bytes, but shape %[3%] of F32 needs 12')
  hostile('absurd shape', one('F64', '[1000000000000, 1000000000000, 1000000000000]', 0, 8, string.rep('\0', 8)),
    'needs more than the file')
  hostile('negative dim', one('F32', '[-1]', 0, 0, ''), 'non%-negative')
  hostile('too many dims', one('U8', '[' .. string.rep('1,', 20) .. '1]', 0, 1, '\0'), 'dimensions')
  hostile('overlap', function(p)
    write_raw(p, '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},'
      .. '"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}', string.rep('\0', 12))
  end, 'overlap')
  hostile('same offsets', function(p)
    write_raw(p, '{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},'
      .. '"b":{"dtype":"I16","shape":[1],"data_offsets":[0,2]}}', string.rep('\0', 2))
  end, 'overlap')
  hostile('bad metadata', function(p) write_raw(p, '{"__metadata__":{"k":1}}') end, 'must be strings')
  hostile('metadata array', function(p) write_raw(p, '{"__metadata__":["x"]}') end, 'must be an object')
  hostile('entry not an object', function(p) write_raw(p, '{"t":[1]}') end, 'an object expected')
  hostile('unknown field', function(p) write_raw(p, '{"t":{"dtype":"U8","shape":[0],"data_offsets":[0,0],"x":"y"}}') end,
    'unknown field')
  hostile('bad offsets', function(p) write_raw(p, '{"t":{"dtype":"U8","shape":[0],"data_offsets":[0]}}') end,
    'data_offsets must be')
  tester:assertErrorPattern(function() torch.loadSafetensors(base .. '_does_not_exist') end,
    'torch%.loadSafetensors: cannot open', 'missing file')
  local dir = base:match('^(.*)/[^/]*$') or '.'
  tester:assertErrorPattern(function() torch.loadSafetensors(dir) end, 'torch%.loadSafetensors: .*not a readable file', 'a folder')
  tester:assertErrorPattern(function() torch.loadSafetensors(42) end, "bad argument #1 'path'", 'path type')
end

-- random damage to a valid file: it loads or fails with a clear error, never crashes
function T.mutated_files_never_crash()
  local path = tmpfile('good')
  torch.saveSafetensors(path, { a = torch.FloatTensor{1, 2, 3}, b = torch.LongTensor{{1, 2}}, c = torch.BoolTensor{true} },
    { m = 'x' })
  local f = assert(io.open(path, 'rb'))
  local good = f:read('a')
  f:close()
  math.randomseed(11)
  local bad = tmpfile('mutated')
  local clean = 0
  for _ = 1, 300 do
    local b = { good:byte(1, -1) }
    for _ = 1, math.random(1, 4) do
      local i = math.random(1, #b)
      b[i] = math.random(0, 255)
    end
    local s = string.char(table.unpack(b))
    if math.random(1, 4) == 1 then s = s:sub(1, math.random(0, #s)) end
    write_bytes(bad, s)
    local ok, err = pcall(torch.loadSafetensors, bad)
    if ok then clean = clean + 1
    else tester:assert(tostring(err):find('torch%.loadSafetensors: '), 'clear error: ' .. tostring(err)) end
  end
  tester:assert(clean < 300, 'some mutations were caught')
end

function T.save_argument_errors()
  local path = tmpfile('args')
  tester:assertErrorPattern(function() torch.saveSafetensors(1, {}) end, "torch%.saveSafetensors: bad argument #1 'path'")
  tester:assertErrorPattern(function() torch.saveSafetensors(path, torch.zeros(2)) end,
    "torch%.saveSafetensors: bad argument #2")
  tester:assertErrorPattern(function() torch.saveSafetensors(path, { a = 3 }) end, '"a" is a number, not a tensor')
  tester:assertErrorPattern(function() torch.saveSafetensors(path, { [1] = torch.zeros(1) }) end, 'keys must be strings')
  tester:assertErrorPattern(function() torch.saveSafetensors(path, {}, { k = 1 }) end, "bad argument #3 'metadata'")
  tester:assertErrorPattern(function() torch.saveSafetensors('/nonexistent_dir_x/y.safetensors', {}) end,
    'torch%.saveSafetensors: cannot write')
  -- a failed save leaves the old file as it was
  torch.saveSafetensors(path, { a = torch.FloatTensor{1} })
  pcall(torch.saveSafetensors, path, { a = torch.FloatTensor{2}, b = 'no' })
  tester:asserteq(torch.loadSafetensors(path).a[1], 1, 'old checkpoint intact')
end

-- ---- state dicts ----

local function make_net()
  return nn.Sequential()
    :add(nn.SpatialConvolution(1, 2, 3, 3))   -- 0
    :add(nn.ReLU())                           -- 1
    :add(nn.View(-1, 8))                      -- 2
    :add(nn.Linear(8, 4))                     -- 3
    :add(nn.BatchNormalization(4))            -- 4
    :add(nn.Sequential():add(nn.ReLU()):add(nn.Linear(4, 2)))   -- 5: 5.1.weight
end

function T.state_dict_names_like_pytorch()
  local net = make_net()
  local sd = net:stateDict()
  local keys = {}
  for k in pairs(sd) do keys[#keys + 1] = k end
  table.sort(keys)
  tester:assertTableEq(keys, { '0.bias', '0.weight', '3.bias', '3.weight', '4.bias', '4.running_mean',
    '4.running_var', '4.weight', '5.1.bias', '5.1.weight' }, 'keys')
  tester:assert(sd['0.weight'] == net:get(1).weight, 'the module\'s own tensor')
  tester:asserteq(sd['0.weight']:dim(), 4, 'conv weight is out x in x kH x kW')
  tester:asserteq(sd['3.weight']:size(1), 4, 'linear weight is out x in')
  tester:asserteq(sd['3.weight']:size(2), 8, 'linear weight is out x in')
  tester:assert(sd['4.running_var'] == net:get(5).running_var, 'running_var')
  local lin = nn.Linear(3, 2)
  local lsd = lin:stateDict()
  tester:assert(lsd.weight == lin.weight and lsd.bias == lin.bias, 'a lone module: weight, bias')
end

function T.model_saved_and_loaded_computes_the_same()
  torch.manualSeed(5)
  local net = make_net()
  local x = torch.randn(6, 1, 4, 4)
  net:training()
  net:forward(x)   -- moves the running statistics
  net:evaluate()
  local want = net:forward(x):clone()
  local path = tmpfile('model')
  torch.saveSafetensors(path, net:stateDict(), { arch = 'test' })
  torch.manualSeed(99)
  local fresh = make_net()
  fresh:evaluate()
  local flat = fresh:getParameters()
  local w = fresh:get(4).weight
  tester:assertTensorNe(fresh:forward(x), want, 1e-6, 'differs before loading')
  local sd, meta = torch.loadSafetensors(path)
  tester:asserteq(meta.arch, 'test', 'metadata')
  local missing, unexpected = fresh:loadStateDict(sd)
  tester:asserteq(#missing + #unexpected, 0, 'nothing missing or unexpected')
  tester:assertTensorEq(fresh:forward(x), want, 1e-6, 'same outputs')
  tester:assert(fresh:get(4).weight == w, 'the same tensor objects')
  tester:assertTensorEq(flat:narrow(1, 1, 18), net:get(1).weight:reshape(18), 0, 'getParameters view sees the values')
  tester:assertTensorEq(fresh:get(5).running_mean, net:get(5).running_mean, 0, 'running_mean')
  -- training still works after loading
  fresh:training()
  fresh:zeroGradParameters()
  local out = fresh:forward(x)
  fresh:backward(x, torch.ones(out:size()))
  tester:assert(fresh:get(4).gradWeight:abs():sum() > 0, 'gradients after loading')
end

function T.load_state_dict_from_pytorch_layout()
  -- what torch.save(model.state_dict()) in PyTorch names, as a safetensors file by hand
  local lin = nn.Sequential():add(nn.Linear(2, 2)):add(nn.ReLU()):add(nn.BatchNormalization(2))
  local path = tmpfile('pt')
  local header = '{"0.weight":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},'
    .. '"0.bias":{"dtype":"F32","shape":[2],"data_offsets":[16,24]},'
    .. '"2.weight":{"dtype":"F32","shape":[2],"data_offsets":[24,32]},'
    .. '"2.bias":{"dtype":"F32","shape":[2],"data_offsets":[32,40]},'
    .. '"2.running_mean":{"dtype":"F32","shape":[2],"data_offsets":[40,48]},'
    .. '"2.running_var":{"dtype":"F32","shape":[2],"data_offsets":[48,56]},'
    .. '"2.num_batches_tracked":{"dtype":"I64","shape":[],"data_offsets":[56,64]}}'
  write_raw(path, header, string.pack('<ffff ff ff ff ff ff i8', 1, 2, 3, 4, 0.5, -0.5, 1, 1, 0, 0, 0, 1, 1, 4, 3))
  tester:assertErrorPattern(function() lin:loadStateDict(torch.loadSafetensors(path)) end, 'in parentheses',
    'the metadata is not strict')
  lin:loadStateDict((torch.loadSafetensors(path)))
  lin:evaluate()
  local out = lin:forward(torch.FloatTensor{{1, 1}})
  -- linear: {3.5, 6.5}; relu; bn: (x - {0, 1}) / sqrt({1, 4} + eps)
  tester:assertTensorEq(out, torch.FloatTensor{{3.5 / math.sqrt(1 + 1e-5), 5.5 / math.sqrt(4 + 1e-5)}}, 1e-5, 'outputs')
end

function T.load_state_dict_errors()
  local net = nn.Sequential():add(nn.Linear(3, 2)):add(nn.ReLU()):add(nn.Linear(2, 1))
  local sd = {}
  for k, v in pairs(net:stateDict()) do sd[k] = v:clone():fill(0.5) end
  local fresh = nn.Sequential():add(nn.Linear(3, 2)):add(nn.ReLU()):add(nn.Linear(2, 1))
  local before = fresh:get(1).weight:clone()
  sd['2.bias'] = nil
  tester:assertErrorPattern(function() fresh:loadStateDict(sd) end, 'loadStateDict: missing keys: 2%.bias', 'missing')
  tester:assertTensorEq(fresh:get(1).weight, before, 0, 'nothing copied on error')
  sd['2.bias'] = torch.Tensor{0.5}
  sd['3.weight'] = torch.zeros(1)
  tester:assertErrorPattern(function() fresh:loadStateDict(sd) end, 'unexpected keys: 3%.weight', 'unexpected')
  local missing, unexpected = fresh:loadStateDict({ ['0.weight'] = torch.ones(2, 3), extra = torch.ones(1) }, false)
  tester:assertTableEq(missing, { '0.bias', '2.bias', '2.weight' }, 'missing list')
  tester:assertTableEq(unexpected, { 'extra' }, 'unexpected list')
  tester:assertTensorEq(fresh:get(1).weight, torch.ones(2, 3), 0, 'non-strict copies what matches')
  sd['3.weight'] = nil
  sd['0.weight'] = torch.zeros(3, 2)
  tester:assertErrorPattern(function() fresh:loadStateDict(sd) end,
    'size mismatch for "0%.weight": the state dict has %[3, 2%], the model has %[2, 3%]', 'shape')
  sd['0.weight'] = 'x'
  tester:assertErrorPattern(function() fresh:loadStateDict(sd) end, '"0%.weight" is a string, not a tensor', 'not a tensor')
  tester:assertErrorPattern(function() fresh:loadStateDict(5) end, "loadStateDict: bad argument #1", 'argument')
  tester:assertErrorPattern(function() fresh:loadStateDict({}, 'yes') end, "bad argument #2 'strict'", 'strict')
  -- a double state dict loads into a float model (copy converts)
  local d = {}
  for k, v in pairs(net:stateDict()) do d[k] = v:double() end
  fresh:loadStateDict(d)
  tester:assertTensorEq(fresh:get(3).weight, net:get(3).weight, 1e-7, 'converted')
end

function T.cleanup()
  for _, p in ipairs(made) do os.remove(p) end
  tester:assert(true)
end

tester:add(T)
return tester
