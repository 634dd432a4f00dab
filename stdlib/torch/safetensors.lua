-- torch.loadSafetensors / torch.saveSafetensors: the safetensors format (PyTorch's
-- weight files). A file is an 8-byte little-endian header length n, n bytes of JSON
--   {"name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ...,
--    "__metadata__": {"key": "value", ...}}
-- then the data area: each tensor's raw little-endian bytes at [begin, end) of it.
-- Loading validates everything before it allocates or reads a tensor: the header length
-- against the file, the JSON (a small strict parser below), the dtypes, the shapes, and
-- the offsets (inside the data area, not overlapping, end - begin == elements * size).
-- Bytes become elements with string.unpack in chunks (U8/I8/BOOL in one copy through a
-- ByteStorage): there is no way to reinterpret a byte storage as another type from Lua.
local torch = require 'torch.core'

local LOAD, SAVE = 'torch.loadSafetensors', 'torch.saveSafetensors'
local MAX_HEADER = 100000000   -- safetensors' own limit on the header size
local MAX_DIMS = 16
local CHUNK = 4096             -- elements per string.unpack / string.pack call

-- dtype name -> element size, tensor type, string.pack format (nil: special path)
local dtypes = {
  F64  = { size = 8, tensor = 'torch.DoubleTensor',   fmt = 'd' },
  F32  = { size = 4, tensor = 'torch.FloatTensor',    fmt = 'f' },
  F16  = { size = 2, tensor = 'torch.HalfTensor' },
  BF16 = { size = 2, tensor = 'torch.BFloat16Tensor' },
  I64  = { size = 8, tensor = 'torch.LongTensor',     fmt = 'i8' },
  I32  = { size = 4, tensor = 'torch.IntTensor',      fmt = 'i4' },
  I16  = { size = 2, tensor = 'torch.ShortTensor',    fmt = 'i2' },
  I8   = { size = 1, tensor = 'torch.CharTensor' },
  U8   = { size = 1, tensor = 'torch.ByteTensor' },
  BOOL = { size = 1, tensor = 'torch.BoolTensor' },
}
local dtype_of = {}
for name, d in pairs(dtypes) do dtype_of[d.tensor] = name end

-- ---- JSON (only what the header needs) ----

local function json_decode(s)
  local pos = 1
  local function fail(msg) error({ json = msg .. ' at byte ' .. pos }, 0) end
  local function ws()
    pos = s:find('[^ \t\r\n]', pos) or #s + 1
  end
  local value
  local function str()
    pos = pos + 1   -- the opening quote
    local parts = {}
    while true do
      local a, b = s:find('^[^"\\%c]+', pos)
      if a then parts[#parts + 1] = s:sub(a, b); pos = b + 1 end
      local c = s:sub(pos, pos)
      if c == '"' then pos = pos + 1; return table.concat(parts)
      elseif c == '\\' then
        local e = s:sub(pos + 1, pos + 1)
        local simple = ({ ['"'] = '"', ['\\'] = '\\', ['/'] = '/', b = '\b', f = '\f', n = '\n', r = '\r', t = '\t' })[e]
        if simple then parts[#parts + 1] = simple; pos = pos + 2
        elseif e == 'u' then
          local hex = s:match('^%x%x%x%x', pos + 2)
          if not hex then fail('bad \\u escape') end
          local cp = tonumber(hex, 16)
          pos = pos + 6
          if cp >= 0xD800 and cp <= 0xDBFF then
            local lo = s:match('^\\u(%x%x%x%x)', pos)
            lo = lo and tonumber(lo, 16)
            if not lo or lo < 0xDC00 or lo > 0xDFFF then fail('unpaired surrogate in \\u escape') end
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00)
            pos = pos + 6
          elseif cp >= 0xDC00 and cp <= 0xDFFF then fail('unpaired surrogate in \\u escape') end
          parts[#parts + 1] = utf8.char(cp)
        else fail('bad escape in a string') end
      elseif c == '' then fail('unterminated string')
      else fail('control character in a string') end
    end
  end
  local depth = 0
  function value()
    ws()
    local c = s:sub(pos, pos)
    if c == '{' or c == '[' then
      depth = depth + 1
      if depth > 32 then fail('nesting too deep') end
      pos = pos + 1
      local res, n = {}, 0
      ws()
      local close = c == '{' and '}' or ']'
      if s:sub(pos, pos) == close then pos = pos + 1; depth = depth - 1; return res end
      while true do
        if c == '{' then
          ws()
          if s:sub(pos, pos) ~= '"' then fail('object key expected') end
          local k = str()
          if res[k] ~= nil then fail('duplicate key "' .. k .. '"') end
          ws()
          if s:sub(pos, pos) ~= ':' then fail("':' expected") end
          pos = pos + 1
          res[k] = value()
        else
          n = n + 1
          res[n] = value()
        end
        ws()
        local d = s:sub(pos, pos)
        pos = pos + 1
        if d == close then break end
        if d ~= ',' then pos = pos - 1; fail("',' or '" .. close .. "' expected") end
      end
      depth = depth - 1
      return res
    elseif c == '"' then
      return str()
    else
      local num = s:match('^-?%d+', pos)
      if not num then fail('unexpected ' .. (c == '' and 'end of header' or "'" .. c .. "'")) end
      if s:find('^[%.eE]', pos + #num) then fail('only integers are allowed in the header') end
      if #num:gsub('^-', '') > 15 then fail('integer too large') end
      pos = pos + #num
      return math.tointeger(tonumber(num))
    end
  end
  local v = value()
  ws()
  if pos <= #s then fail('trailing characters after the JSON value') end
  return v
end

local function json_string(s)
  return '"' .. s:gsub('[%c"\\]', function(c)
    local e = ({ ['"'] = '\\"', ['\\'] = '\\\\', ['\n'] = '\\n', ['\r'] = '\\r', ['\t'] = '\\t', ['\b'] = '\\b', ['\f'] = '\\f' })[c]
    return e or string.format('\\u%04x', c:byte())
  end) .. '"'
end

-- ---- element conversion ----

local half_table   -- 16-bit pattern -> value, made on first use
local function half_values()
  if half_table then return half_table end
  half_table = {}
  for h = 0, 0xFFFF do
    local sign = (h >> 15) == 1 and -1 or 1
    local e, m = (h >> 10) & 0x1F, h & 0x3FF
    local v
    if e == 0 then v = m * 2.0 ^ -24
    elseif e == 31 then v = (m == 0) and math.huge or (0 / 0)
    else v = (1 + m / 1024) * 2.0 ^ (e - 15) end
    half_table[h] = sign * v
  end
  return half_table
end

-- float value -> half bits (round to nearest even), through its float32 bits
local function half_bits(v)
  local f = string.unpack('<I4', string.pack('<f', v))
  local sign = (f >> 16) & 0x8000
  local e, m = (f >> 23) & 0xFF, f & 0x7FFFFF
  if e == 0xFF then return sign | 0x7C00 | (m ~= 0 and 0x200 or 0) end
  local he = e - 127 + 15
  if he >= 31 then return sign | 0x7C00 end
  if he <= 0 then
    if he < -10 then return sign end
    m = m | 0x800000
    local shift = 14 - he
    local hm = m >> shift
    local rest, halfway = m & ((1 << shift) - 1), 1 << (shift - 1)
    if rest > halfway or (rest == halfway and hm & 1 == 1) then hm = hm + 1 end
    return sign | hm
  end
  local hm = m >> 13
  local rest = m & 0x1FFF
  local h = (he << 10) | hm
  if rest > 0x1000 or (rest == 0x1000 and h & 1 == 1) then h = h + 1 end
  return sign | h
end

-- bytes -> a flat table of n numbers
local function unpack_all(bytes, fmt, size, n)
  local vals = {}
  local pos = 1
  local i = 0
  while i < n do
    local k = math.min(CHUNK, n - i)
    local chunk = { string.unpack('<' .. fmt:rep(k), bytes, pos) }
    pos = chunk[k + 1]
    table.move(chunk, 1, k, i + 1, vals)
    i = i + k
  end
  return vals
end

-- the tensor of dtype d, shape `shape` from its raw bytes
local function decode(bytes, d, name, shape, n)
  local sizes = torch.LongStorage(shape)
  local t
  if n == 0 then   -- some dimension is 0 (sizes as numbers: a LongStorage would be data for a LongTensor)
    return torch[d.tensor:match('torch%.(.*)')](table.unpack(shape))
  end
  local storage
  if name == 'U8' or name == 'BOOL' then
    storage = torch.ByteStorage():string(bytes)
  elseif name == 'I8' then
    storage = torch.CharStorage():string(bytes)
  elseif name == 'F16' then
    local bits = unpack_all(bytes, 'I2', 2, n)
    local tbl = half_values()
    for i = 1, n do bits[i] = tbl[bits[i]] end
    storage = torch.HalfStorage(bits)
  elseif name == 'BF16' then
    -- a bfloat16 is the top half of a float32: pad each with two zero bytes
    local f32 = bytes:gsub('..', '\0\0%0')
    storage = torch.FloatStorage(unpack_all(f32, 'f', 4, n))
  else
    storage = torch[d.tensor:match('torch%.(.*)'):gsub('Tensor', 'Storage')](unpack_all(bytes, d.fmt, d.size, n))
  end
  if name == 'BOOL' then
    t = torch.ByteTensor(storage, 1, sizes):bool()
  elseif name == 'BF16' then
    t = torch.FloatTensor(storage, 1, sizes):type('torch.BFloat16Tensor')
  else
    t = torch[d.tensor:match('torch%.(.*)')](storage, 1, sizes)
  end
  return t
end

-- a tensor's raw little-endian bytes
local function encode(t, name, d)
  local n = t:nElement()
  if n == 0 then return '' end
  if name == 'U8' or name == 'I8' or name == 'BOOL' then
    local b = (name == 'I8' and torch.CharTensor or torch.ByteTensor)(n)
    b:copy(t:reshape(n))
    return b:storage():string():sub(1, n)
  end
  local vals = t:reshape(n):totable()
  local fmt = d.fmt
  if name == 'F16' then
    for i = 1, n do vals[i] = half_bits(vals[i]) end
    fmt = 'I2'
  elseif name == 'BF16' then
    fmt = 'f'
  end
  local parts = {}
  local i = 0
  while i < n do
    local k = math.min(CHUNK, n - i)
    parts[#parts + 1] = string.pack('<' .. fmt:rep(k), table.unpack(vals, i + 1, i + k))
    i = i + k
  end
  local s = table.concat(parts)
  if name == 'BF16' then s = s:gsub('..(..)', '%1') end   -- float32 -> its top two bytes
  return s
end

-- ---- load ----

function torch.loadSafetensors(path)
  if type(path) ~= 'string' then
    error(LOAD .. ": bad argument #1 'path' (a file name expected, got " .. type(path) .. ')', 2)
  end
  local f, err = io.open(path, 'rb')
  if not f then error(LOAD .. ': cannot open ' .. path .. ': ' .. tostring(err), 2) end
  local ok, res, meta = pcall(function()
    local function bad(msg) error({ st = msg }, 0) end
    local filesize = f:seek('end')
    if not filesize or not f:seek('set', 0) then bad('not a readable file') end
    if filesize < 8 then bad('file too short for the 8-byte header length (' .. filesize .. ' bytes)') end
    local len = f:read(8)
    if not len or #len ~= 8 then bad('not a readable file') end
    local n = string.unpack('<I8', len)
    if n >= 0 and n < 2 then
      bad(string.format('header length %d: the header is empty or invalid (a JSON object takes at least 2 bytes)', n))
    end
    if n < 2 or n > filesize - 8 then
      bad(string.format('header length %s is beyond the file (%d bytes)', n < 0 and 'over 2^63' or tostring(n), filesize))
    end
    if n > MAX_HEADER then bad('header length ' .. n .. ' is larger than the limit ' .. MAX_HEADER) end
    local header = f:read(n)
    if not header or #header ~= n then bad('header truncated') end
    local okj, h = pcall(json_decode, header)
    if not okj then
      if type(h) == 'table' and h.json then bad('invalid JSON header: ' .. h.json) end
      error(h, 0)
    end
    if type(h) ~= 'table' or header:match('^%s*(.)') ~= '{' then bad('the header is not a JSON object') end
    local datasize = filesize - 8 - n
    local meta = {}
    local entries = {}
    for name, e in pairs(h) do
      if name == '__metadata__' then
        if type(e) ~= 'table' or (next(e) ~= nil and e[1] ~= nil) then bad('__metadata__ must be an object') end
        for k, v in pairs(e) do
          if type(k) ~= 'string' or type(v) ~= 'string' then
            bad('__metadata__ values must be strings (key "' .. tostring(k) .. '")')
          end
          meta[k] = v
        end
      else
        local where = 'tensor "' .. name .. '"'
        if type(e) ~= 'table' or e[1] ~= nil then bad(where .. ': an object expected') end
        for k in pairs(e) do
          if k ~= 'dtype' and k ~= 'shape' and k ~= 'data_offsets' then bad(where .. ': unknown field "' .. tostring(k) .. '"') end
        end
        local d = type(e.dtype) == 'string' and dtypes[e.dtype]
        if not d then bad(where .. ': unknown dtype ' .. (type(e.dtype) == 'string' and '"' .. e.dtype .. '"' or tostring(e.dtype))) end
        local shape = e.shape
        if type(shape) ~= 'table' or (next(shape) ~= nil and shape[1] == nil) then bad(where .. ': shape must be an array') end
        if #shape > MAX_DIMS then bad(where .. ': ' .. #shape .. ' dimensions (at most ' .. MAX_DIMS .. ')') end
        local count = 1
        for i = 1, #shape do
          local s = shape[i]
          if math.type(s) ~= 'integer' or s < 0 then bad(where .. ': shape must hold non-negative integers') end
        end
        for i = 1, #shape do
          local s = shape[i]
          -- a zero anywhere makes no elements, whatever comes before it ([5, 0] in an
          -- empty data area is a valid empty tensor)
          if s == 0 then count = 0; break end
          if count ~= math.huge and count > datasize // s then count = math.huge
          elseif count ~= math.huge then count = count * s end
        end
        local off = e.data_offsets
        if type(off) ~= 'table' or #off ~= 2 or math.type(off[1]) ~= 'integer' or math.type(off[2]) ~= 'integer' or next(off, 2) ~= nil then
          bad(where .. ': data_offsets must be [begin, end]')
        end
        local b, en = off[1], off[2]
        if b < 0 or en < b or en > datasize then
          bad(string.format('%s: data_offsets [%d, %d] outside the data area (%d bytes)', where, b, en, datasize))
        end
        if count == math.huge or count * d.size ~= en - b then
          bad(string.format('%s: data_offsets [%d, %d] hold %d bytes, but shape [%s] of %s needs %s', where, b, en, en - b,
            table.concat(shape, ', '), e.dtype, count == math.huge and 'more than the file' or tostring(count * d.size)))
        end
        entries[#entries + 1] = { name = name, d = d, dtype = e.dtype, shape = shape, b = b, e = en, n = count }
      end
    end
    table.sort(entries, function(x, y)
      if x.b ~= y.b then return x.b < y.b end
      if x.e ~= y.e then return x.e < y.e end
      return x.name < y.name
    end)
    for i = 2, #entries do
      if entries[i].b < entries[i - 1].e then
        bad(string.format('tensors "%s" and "%s" overlap in the data area', entries[i - 1].name, entries[i].name))
      end
    end
    local res = {}
    for _, en in ipairs(entries) do
      local bytes = ''
      if en.e > en.b then
        f:seek('set', 8 + n + en.b)
        bytes = f:read(en.e - en.b)
        if not bytes or #bytes ~= en.e - en.b then bad('tensor "' .. en.name .. '": data truncated') end
      end
      res[en.name] = decode(bytes, en.d, en.dtype, en.shape, en.n)
    end
    return res, meta
  end)
  f:close()
  if not ok then
    if type(res) == 'table' and res.st then error(LOAD .. ': ' .. path .. ': ' .. res.st, 2) end
    error(LOAD .. ': ' .. path .. ': ' .. tostring(res), 2)
  end
  return res, meta
end

-- ---- save ----

local tmp_count = 0

function torch.saveSafetensors(path, tbl, metadata)
  if type(path) ~= 'string' then
    error(SAVE .. ": bad argument #1 'path' (a file name expected, got " .. type(path) .. ')', 2)
  end
  if type(tbl) ~= 'table' or torch.isTensor(tbl) then
    error(SAVE .. ": bad argument #2 'tensors' (a table of name -> tensor expected, got " .. torch.type(tbl) .. ')', 2)
  end
  if metadata ~= nil and type(metadata) ~= 'table' then
    error(SAVE .. ": bad argument #3 'metadata' (a table of strings expected, got " .. type(metadata) .. ')', 2)
  end
  local names = {}
  for k, v in pairs(tbl) do
    if type(k) ~= 'string' then
      error(SAVE .. ": bad argument #2 'tensors' (keys must be strings, got " .. type(k) .. ')', 2)
    end
    if k == '__metadata__' then error(SAVE .. ": bad argument #2 'tensors' (the name __metadata__ is reserved)", 2) end
    if not torch.isTensor(v) then
      error(SAVE .. ": bad argument #2 'tensors' (\"" .. k .. '" is a ' .. torch.type(v) .. ', not a tensor)', 2)
    end
    local tp = v:type():gsub('Cuda', ''):gsub('^torch%.Tensor$', 'torch.FloatTensor')
    if tp == 'torch.CudaTensor' or tp == 'torch.Tensor' then tp = 'torch.FloatTensor' end
    if not dtype_of[tp] then
      error(SAVE .. ": bad argument #2 'tensors' (\"" .. k .. '" has unsupported type ' .. v:type() .. ')', 2)
    end
    names[#names + 1] = k
  end
  table.sort(names)
  local meta_keys = {}
  if metadata then
    for k, v in pairs(metadata) do
      if type(k) ~= 'string' or type(v) ~= 'string' then
        error(SAVE .. ": bad argument #3 'metadata' (keys and values must be strings, got " .. type(k) .. ' = ' .. type(v) .. ')', 2)
      end
      meta_keys[#meta_keys + 1] = k
    end
    table.sort(meta_keys)
  end
  local fields, datas, offset = {}, {}, 0
  if #meta_keys > 0 then
    local m = {}
    for _, k in ipairs(meta_keys) do m[#m + 1] = json_string(k) .. ':' .. json_string(metadata[k]) end
    fields[#fields + 1] = '"__metadata__":{' .. table.concat(m, ',') .. '}'
  end
  for _, k in ipairs(names) do
    local t = tbl[k]
    if t.detach then t = t:detach() end
    if t:type():find('Cuda') then t = t:cpu() end
    local name = dtype_of[t:type()]
    local bytes = encode(t, name, dtypes[name])
    local shape = {}
    for i = 1, t:dim() do shape[i] = tostring(t:size(i)) end
    if t:dim() == 0 and #bytes == 0 then shape[1] = '0' end   -- an empty tensor (Torch7's torch.Tensor())
    fields[#fields + 1] = string.format('%s:{"dtype":"%s","shape":[%s],"data_offsets":[%d,%d]}',
      json_string(k), name, table.concat(shape, ','), offset, offset + #bytes)
    datas[#datas + 1] = bytes
    offset = offset + #bytes
  end
  local header = '{' .. table.concat(fields, ',') .. '}'
  header = header .. string.rep(' ', (8 - #header % 8) % 8)   -- the data area 8-aligned
  local inplace = torch._renamable and not torch._renamable(path)   -- a device, pipe or link
  tmp_count = tmp_count + 1
  local tmp = inplace and path or string.format('%s.tmp%d_%d_%d', path, os.time(), math.floor(os.clock() * 1e6), tmp_count)
  local f, err = io.open(tmp, 'wb')
  if not f then error(SAVE .. ': cannot write ' .. tmp .. ': ' .. tostring(err), 2) end
  local ok, werr = pcall(function()
    assert(f:write(string.pack('<I8', #header), header))
    for _, d in ipairs(datas) do assert(f:write(d)) end
    assert(f:close())
  end)
  if not ok then
    pcall(f.close, f)
    os.remove(tmp)
    error(SAVE .. ': writing ' .. tmp .. ' failed: ' .. tostring(werr), 2)
  end
  if inplace then return true end
  local rok, rerr = os.rename(tmp, path)
  if not rok then
    os.remove(tmp)
    error(SAVE .. ': cannot rename ' .. tmp .. ' to ' .. path .. ': ' .. tostring(rerr), 2)
  end
  return true
end

torch._jsonDecode = json_decode
return true   -- (not torch: error messages would name its functions torch.safetensors.x)
