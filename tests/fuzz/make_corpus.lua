-- tests/fuzz/make_corpus.lua: writes the seed corpus of the file-reader fuzzers
-- (tests/fuzz/corpus/<reader>/) with our own writers, plus a few hand-made edge cases.
-- Run from the source tree: th tests/fuzz/make_corpus.lua. Every seed is small (the
-- fuzzers mutate them); the files are committed, this script only says where they came from.
require 'torch'
require 'nn'
local dir = arg and arg[1] or 'tests/fuzz/corpus'
torch.manualSeed(1)

local function path(reader, name)
  os.execute("mkdir -p '" .. dir .. '/' .. reader .. "'")
  return dir .. '/' .. reader .. '/' .. name
end
local function write(p, bytes)
  local f = assert(io.open(p, 'wb'))
  f:write(bytes)
  f:close()
end

-- ---- .t7: tensors, storages, tables with shared parts, nn modules; binary and ascii
local shared = torch.FloatTensor(4):uniform()
local t7 = {
  float = torch.FloatTensor(2, 3):uniform(),
  double_t = torch.DoubleTensor(3, 2):uniform():t(),
  long = torch.LongTensor({ 1, -2, 3 }),
  byte = torch.ByteTensor({ { 0, 255 }, { 7, 8 } }),
  half = torch.HalfTensor({ 0.5, -1.25 }),
  empty = torch.Tensor(),
  zero_size = torch.FloatTensor(0, 3),
  storage = torch.IntStorage({ 5, 6, 7 }),
  table = { 1, 2.5, 'x', true, { nested = { deep = false } }, [10] = 'ten' },
  shared = { a = shared, b = shared:narrow(1, 2, 2), c = shared },
  linear = nn.Linear(3, 2),
  seq = nn.Sequential():add(nn.Linear(2, 2)):add(nn.ReLU()),
  conv = nn.SpatialConvolution(1, 1, 2, 2),
}
for name, obj in pairs(t7) do
  torch.save(path('t7', name .. '.t7'), obj)
  torch.save(path('t7', name .. '.ascii.t7'), obj, 'ascii')
end
local cyc = {}
cyc.self = cyc
torch.save(path('t7', 'cycle.t7'), cyc)
-- hand-made: an expanded view (stride 0) over a one-element storage
local e = torch.FloatTensor({ 3 }):expand(4, 5)
torch.save(path('t7', 'expanded.t7'), e)

-- ---- safetensors: every dtype, metadata, an empty tensor
local st = {
  f32 = torch.FloatTensor(2, 2):uniform(), f64 = torch.DoubleTensor(3):uniform(),
  f16 = torch.HalfTensor({ 1, -2 }), bf16 = torch.BFloat16Tensor({ 0.5, 4 }),
  i64 = torch.LongTensor({ -1, 2 }), i32 = torch.IntTensor({ 3 }), i16 = torch.ShortTensor({ -4, 5 }),
  i8 = torch.CharTensor({ -6 }), u8 = torch.ByteTensor({ 7, 8 }), bool = torch.BoolTensor({ true, false }),
}
torch.saveSafetensors(path('safetensors', 'all_dtypes.safetensors'), st, { format = 'pt', note = 'seed' })
torch.saveSafetensors(path('safetensors', 'one.safetensors'), { w = torch.FloatTensor(3, 1):uniform() })
torch.saveSafetensors(path('safetensors', 'empty_tensor.safetensors'), { e = torch.FloatTensor(0, 4), s = torch.Tensor() })
-- hand-made: escapes and unicode in the header, offsets that overlap
local h = '{"a\\u00e9\\n":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"__metadata__":{"k":"v\\"q"}}'
write(path('safetensors', 'escapes.safetensors'), string.pack('<I8', #h) .. h .. '\1\2')
h = '{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"b":{"dtype":"U8","shape":[2],"data_offsets":[1,3]}}'
write(path('safetensors', 'overlap.safetensors'), string.pack('<I8', #h) .. h .. '\1\2\3')

-- ---- IDX: each element type, plain and gzipped, 1-D to 4-D
local idx = {
  ubyte_3d = torch.ByteTensor(2, 2, 2):random(0, 255),
  byte_1d = torch.CharTensor({ -1, 2, -3 }),
  short_2d = torch.ShortTensor(2, 3):random(-1000, 1000),
  int_1d = torch.IntTensor({ 123456, -7 }),
  float_4d = torch.FloatTensor(1, 2, 1, 2):uniform(),
  double_2d = torch.DoubleTensor(2, 2):uniform(),
}
for name, t in pairs(idx) do
  torch.data.saveIdx(path('idx', name .. '.idx'), t)
  torch.data.saveIdx(path('idx', name .. '.idx.gz'), t)
end
write(path('idx', 'zero_size.idx'), '\0\0\8\2' .. string.pack('>I4I4', 0, 5))

-- ---- CSV: header and quotes, no header, separators, CRLF, NaN and Inf, multi-line fields
local csv = {
  header_quotes = 'id,"width, cm",height,"label ""a"""\n1,2.5,-3,7\n2,1e3,0.125,8\n3,  4 ,nan,9\n',
  plain = '1,2,3\n4,5,6\n',
  semicolon = 'a;b\n1;2\n3;x\n',
  crlf_bom = '\239\187\191x,y\r\n1,2\r\n3,4\r\n',
  specials = 'v,w\ninf,-inf\n+nan,-1e308\n0x10,1e-310\n',
  multiline = 'name,v\n"two\nlines",1\n"",2\n',
  ragged = '1,2\n3\n',
  blank_lines = '\n\n1,2\n\n3,4\n',
}
for name, s in pairs(csv) do write(path('csv', name .. '.csv'), s) end
print('seed corpus written under ' .. dir)
