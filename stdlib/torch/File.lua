-- torch.save, torch.load, torch.serialize, torch.deserialize: Torch7's .t7 format
-- (File.lua's writeObject/readObject with DiskFile's binary and ascii encodings).
--
-- Each object is an int32 tag: 0 nil, 1 number (float64), 2 string (int32 length,
-- bytes), 3 table, 4 torch object, 5 boolean (int32), 6/7/8 functions. Tables and torch
-- objects then carry an int32 reference index; an index seen before means "that object
-- again", so sharing and cycles survive. A torch object writes the string "V 1", its
-- class name, then its data: a tensor writes int32 ndim, int64 sizes, int64 strides,
-- the int64 1-based storage offset and its storage as an object (nil when it has
-- none); a storage writes int64 size and its raw elements; any other class writes a
-- table of its fields. Binary is little-endian (Torch7 on x86); ascii writes numbers
-- as text ('%d', '%.9g' floats, '%.17g' doubles) separated by spaces, one line per
-- call, and strings/bytes raw followed by a newline.
--
-- Loading never runs code: function tags are refused, classes must be known (nn,
-- optim and torch classes are required on demand), every size is checked against
-- the bytes that remain before anything is allocated.
local torch = require 'torch.core'
local serial = torch._serial

local spack, sunpack, sformat, sfind, smatch, ssub = string.pack, string.unpack,
  string.format, string.find, string.match, string.sub
local concat = table.concat
local type, pairs, ipairs, tostring, rawget, rawset = type, pairs, ipairs, tostring, rawget, rawset
local getmetatable, setmetatable = getmetatable, setmetatable
local mtointeger, mtype = math.tointeger, math.type

local MAXDEPTH = 10000
local DTYPES = { Float = 4, Double = 8, Long = 8, Int = 4, Short = 2, Char = 1, Byte = 1,
                 Bool = 1, Half = 2, BFloat16 = 2 }
local INTFMT = { Long = true, Int = true, Short = true }
local FLOATFMT = { Float = '%.9g', Double = '%.17g', Half = '%.9g', BFloat16 = '%.9g' }
-- packages whose classes a file may name (required on demand; nothing else is loaded)
local PACKAGES = { nn = true, optim = true, torch = true }

local function checkmode(fname, mode, argn)
  if mode == nil then return 'binary' end
  if mode ~= 'binary' and mode ~= 'ascii' then
    error(sformat("bad argument #%d to '%s' (mode must be 'binary' or 'ascii', got %s)",
      argn, fname, mode == nil and 'nil' or tostring(mode)), 3)
  end
  return mode
end

-- ---------------------------------------------------------------- writing
local Writer = {}
Writer.__index = Writer

local function fmtnum(x)
  if x ~= x then return 'nan' end
  if x == math.huge then return 'inf' end
  if x == -math.huge then return '-inf' end
  return sformat('%.17g', x)
end

function Writer:int(n)
  local o = self.out
  o[#o + 1] = self.ascii and sformat('%d\n', n) or spack('<i4', n)
end
function Writer:long(n)
  local o = self.out
  o[#o + 1] = self.ascii and sformat('%d\n', n) or spack('<i8', n)
end
function Writer:longs(list)
  if #list == 0 then return end
  local o = self.out
  if self.ascii then
    local p = {}
    for i, v in ipairs(list) do p[i] = sformat('%d', v) end
    o[#o + 1] = concat(p, ' ') .. '\n'
  else
    o[#o + 1] = spack('<' .. string.rep('i8', #list), table.unpack(list))
  end
end
function Writer:double(x)
  local o = self.out
  o[#o + 1] = self.ascii and fmtnum(x) .. '\n' or spack('<d', x)
end
function Writer:chars(s)
  local o = self.out
  o[#o + 1] = s
  if self.ascii and #s > 0 then o[#o + 1] = '\n' end
end
function Writer:string(s) self:int(#s); self:chars(s) end

-- a new object (table or torch object): its reference index, or true when written before
function Writer:ref(key, tag)
  local idx = self.refs[key]
  self:int(tag)
  if idx then self:int(idx); return true end
  self.n = self.n + 1
  self.refs[key] = self.n
  self:int(self.n)
  return false
end

local function where(path) return path == '' and '' or ' (at ' .. path .. ')' end
local function keyname(path, k)
  if type(k) == 'string' and smatch(k, '^[%a_][%w_]*$') then
    return path == '' and k or path .. '.' .. k
  end
  return path .. '[' .. tostring(k) .. ']'
end

function Writer:storage(s, name, dt)
  if self:ref('S' .. serial.key(s), 4) then return end
  self:string('V 1')
  self:string(name)
  local n = s:size()
  self:long(n)
  if n == 0 then return end
  if not self.ascii or DTYPES[dt] == 1 then
    self:chars(serial.bytes(s))
  else
    local v, fmt = s:totable(), FLOATFMT[dt]
    if fmt then for i = 1, n do local x = v[i]; v[i] = x == x and x ~= math.huge and x ~= -math.huge and sformat(fmt, x) or fmtnum(x) end
    else for i = 1, n do v[i] = sformat('%d', v[i]) end end
    local o = self.out
    o[#o + 1] = concat(v, ' ') .. '\n'
  end
end

-- autograd state: a tensor that requires grad is written as version 'V 2': its Torch7
-- body ('V 1') followed by an int32 of flags (1: requires grad, 2: a .grad follows) and
-- then its .grad as an object. Tensors that do not require grad stay 'V 1', byte for
-- byte what Torch7 writes and reads.
local function grad_version(t)
  return t.requiresGrad and 'V 2' or 'V 1'
end
function Writer:gradstate(t, path)
  if not t.requiresGrad then return end
  local g = t.grad
  self:int(1 + (g and 2 or 0))
  if g then self:object(g, path .. '.grad', 2) end
end

function Writer:tensor(t, name, dt, path)
  if self:ref(t, 4) then return end
  local s, data = t:storage(), t   -- data: what is written as t's sizes, strides and storage
  if s ~= nil then
    -- what torch.load would refuse is not written: a view with a negative stride is saved
    -- as a contiguous copy (the values, not the sharing), and a huge expanded view over a
    -- small storage (load's guard against hostile files) is an error here
    local neg = false
    for d = 1, t:dim() do if t:stride(d) < 0 then neg = true end end
    local numel = t:nElement()
    if numel > s:size() and numel > 2 ^ 24 and not neg then
      error(sformat('torch.save: a %s of %.0f elements over a storage of %d (an expanded view) '
        .. 'would not load back; save the tensor before expand, or a contiguous copy%s',
        name, numel, s:size(), where(path)), 0)
    end
    if neg then
      local c = torch.noGrad(function() return t:clone() end)
      -- kept until the end: a collected copy's storage address could be reused by the next
      -- one and read as the same storage (storages are written once, by address)
      self.keep = self.keep or {}
      self.keep[#self.keep + 1] = c
      data, s = c, c:storage()
    end
  end
  self:string(grad_version(t))
  self:string(name)
  local nd = data:dim()
  if s == nil then nd = 0 end
  self:int(nd)
  local sz, st = {}, {}
  for d = 1, nd do sz[d] = data:size(d); st[d] = data:stride(d) end
  self:longs(sz)
  self:longs(st)
  self:long(s and data:storageOffset() or 1)
  if s then self:storage(s, 'torch.' .. dt .. 'Storage', dt)
  else self:int(0) end
  self:gradstate(t, path or '')
end

-- a CUDA tensor: its class name as Torch7 writes it (torch.CudaTensor, torch.CudaDoubleTensor
-- ...) and the data of a CPU copy (contiguous, in a storage of its own named
-- torch.Cuda...Storage); it loads back on the GPU where one is available
function Writer:cudatensor(t, name, dt, cdt, path)
  if self:ref(t, 4) then return end
  self:string(grad_version(t))
  self:string(name)
  local c = t:cpu()
  -- kept until the end: a collected copy's storage address could be reused by the next
  -- one and read as the same storage (storages are written once, by address)
  self.keep = self.keep or {}
  self.keep[#self.keep + 1] = c
  local s = c:storage()
  local nd = c:dim()
  if s == nil then nd = 0 end
  self:int(nd)
  local sz, st = {}, {}
  for d = 1, nd do sz[d] = c:size(d); st[d] = c:stride(d) end
  self:longs(sz)
  self:longs(st)
  self:long(s and c:storageOffset() or 1)
  if s then self:storage(s, 'torch.Cuda' .. cdt .. 'Storage', dt)
  else self:int(0) end
  self:gradstate(t, path or '')
end

-- a torch.Generator: its state (torch.getRNGState's bytes) as one string
function Writer:generator(g)
  if self:ref(g, 4) then return end
  self:string('V 1')
  self:string('torch.Generator')
  self:string(torch.getRNGState(g):storage():string())
end

function Writer:object(x, path, depth)
  if depth > MAXDEPTH then
    error('torch.save: nesting deeper than ' .. MAXDEPTH .. ' levels' .. where(path), 0)
  end
  local tx = type(x)
  if x == nil then self:int(0)
  elseif tx == 'number' then self:int(1); self:double(x)
  elseif tx == 'string' then self:int(2); self:string(x)
  elseif tx == 'boolean' then self:int(5); self:int(x and 1 or 0)
  else
    local name = torch.typename(x)
    local dt = name and smatch(name, '^torch%.(%w+)Tensor$')
    if dt and DTYPES[dt] and tx == 'userdata' then return self:tensor(x, name, dt, path) end
    local cdt = name and smatch(name, '^torch%.Cuda(%w*)Tensor$')
    if cdt and tx == 'userdata' and DTYPES[cdt == '' and 'Float' or cdt] then
      return self:cudatensor(x, name, cdt == '' and 'Float' or cdt, cdt, path)
    end
    local sdt = name and smatch(name, '^torch%.(%w+)Storage$')
    if sdt and DTYPES[sdt] and tx == 'userdata' then return self:storage(x, name, sdt) end
    if name == 'torch.Generator' and tx == 'userdata' then return self:generator(x) end
    if tx == 'table' and name and torch.getmetatable(name) then
      if self:ref(x, 4) then return end
      self:string('V 1')
      self:string(name)
      -- Torch7 writes the fields it can; functions and foreign userdata are skipped
      local var = {}
      for k, v in pairs(x) do
        local tv = type(v)
        if tv ~= 'function' and tv ~= 'thread' and (tv ~= 'userdata' or torch.typename(v)) then
          var[k] = v
        end
      end
      return self:object(var, path, depth + 1)
    end
    if tx == 'table' then
      if self:ref(x, 3) then return end
      local keys = {}
      for k in pairs(x) do keys[#keys + 1] = k end
      self:int(#keys)
      for _, k in ipairs(keys) do
        self:object(k, path, depth + 1)
        self:object(x[k], keyname(path, k), depth + 1)
      end
      return
    end
    if name and sfind(name, 'Cuda', 1, true) then
      error(sformat('torch.save: cannot save a %s%s: copy it to the CPU first', name, where(path)), 0)
    end
    error(sformat('torch.save: cannot save a %s%s', name or tx, where(path)), 0)
  end
end

local function serialize(obj, mode)
  local w = setmetatable({ out = {}, refs = {}, n = 0, ascii = mode == 'ascii' }, Writer)
  w:object(obj, '', 1)
  return concat(w.out)
end

-- ---------------------------------------------------------------- reading
local Reader = {}
Reader.__index = Reader

local function fail(msg) error('torch.load: ' .. msg, 0) end

function Reader:left() return #self.s - self.pos + 1 end

function Reader:need(n, what)
  if n > #self.s - self.pos + 1 then
    fail(sformat('truncated data (reading %s at byte %d: %d bytes needed, %d left)',
      what, self.pos - 1, n, #self.s - self.pos + 1))
  end
end

-- ascii: one whitespace-separated token, then the newline after it if any
function Reader:token(what)
  local a, b, tok = sfind(self.s, '^%s*(%S+)', self.pos)
  if not a then fail(sformat('truncated data (reading %s at byte %d)', what, self.pos - 1)) end
  self.pos = b + 1
  if ssub(self.s, self.pos, self.pos) == '\n' then self.pos = self.pos + 1 end
  return tok
end

local SPECIAL = { nan = 0 / 0, ['-nan'] = 0 / 0, inf = math.huge, ['-inf'] = -math.huge,
                  infinity = math.huge, ['-infinity'] = -math.huge }

function Reader:int(what)
  if self.ascii then
    local tok = self:token(what)
    local v = mtointeger(tonumber(tok))
    if not v then fail(sformat('bad %s %q at byte %d', what, tok, self.pos - 1)) end
    return v
  end
  self:need(4, what)
  local v
  v, self.pos = sunpack('<i4', self.s, self.pos)
  return v
end
function Reader:long(what)
  if self.ascii then return self:int(what) end
  self:need(8, what)
  local v
  v, self.pos = sunpack('<i8', self.s, self.pos)
  return v
end
function Reader:double(what)
  if self.ascii then
    local tok = self:token(what)
    local v = tonumber(tok) or SPECIAL[tok:lower()]
    if not v then fail(sformat('bad %s %q at byte %d', what, tok, self.pos - 1)) end
    return v + 0.0
  end
  self:need(8, what)
  local v
  v, self.pos = sunpack('<d', self.s, self.pos)
  return v
end
function Reader:chars(n, what)
  self:need(n, what)
  local v = ssub(self.s, self.pos, self.pos + n - 1)
  self.pos = self.pos + n
  if self.ascii and n > 0 and ssub(self.s, self.pos, self.pos) == '\n' then self.pos = self.pos + 1 end
  return v
end
function Reader:string(what)
  local n = self:int(what .. ' length')
  if n < 0 then fail(sformat('negative %s length %d', what, n)) end
  return self:chars(n, what)
end

local function number(x)
  -- whole numbers come back as Lua integers (Torch7 has only doubles)
  if x == x and x > -2 ^ 53 and x < 2 ^ 53 then return mtointeger(x) or x end
  return x
end

function Reader:storage(idx, name, dt)
  local n = self:long(name .. ' size')
  local es = DTYPES[dt]
  if n < 0 then fail(sformat('negative size %d for a %s', n, name)) end
  -- the data must be there before anything is allocated: es bytes an element in
  -- binary, at least one character an element in ascii
  local bytes = (self.ascii and es > 1) and 1 or es
  if n > self:left() // bytes then
    fail(sformat('truncated data (a %s of %d elements needs %s bytes, %d left)', name, n,
      self.ascii and 'at least ' .. n or tostring(n * es), self:left()))
  end
  local ctor = torch[dt .. 'Storage']
  local s
  if not self.ascii or es == 1 then
    s = ctor(n)
    if n > 0 then
      self.pos = serial.fill(s, self.s, self.pos) or fail('truncated data in a ' .. name)
      if self.ascii and ssub(self.s, self.pos, self.pos) == '\n' then self.pos = self.pos + 1 end
    end
  else
    local v = {}
    local rd = INTFMT[dt] and self.int or self.double
    for i = 1, n do v[i] = rd(self, name .. ' element') end
    s = ctor(v)
  end
  self.objects[idx] = s
  return s
end

function Reader:tensor(idx, name, dt)
  local nd = self:int(name .. ' ndim')
  if nd < 0 or nd > 16 then fail(sformat('bad number of dimensions %d for a %s', nd, name)) end
  local sz, st = {}, {}
  for d = 1, nd do sz[d] = self:long(name .. ' size') end
  for d = 1, nd do st[d] = self:long(name .. ' stride') end
  local off = self:long(name .. ' storage offset')
  local t = torch[dt .. 'Tensor']()
  self.objects[idx] = t
  local s = self:object(self.depth + 1)
  if s == nil then return t end
  local sname = 'torch.' .. dt .. 'Storage'
  if torch.typename(s) ~= sname or type(s) ~= 'userdata' then
    fail(sformat('a %s holds a %s where a %s was expected', name, torch.typename(s) or type(s), sname))
  end
  local ssize = s:size()
  if off < 1 then fail(sformat('bad storage offset %d in a %s', off, name)) end
  local last, empty = off - 1, false
  for d = 1, nd do
    if sz[d] < 0 then fail(sformat('negative size %d in a %s', sz[d], name)) end
    if st[d] < 0 then fail(sformat('negative stride %d in a %s', st[d], name)) end
    if sz[d] == 0 then empty = true end
  end
  if not empty then
    for d = 1, nd do
      -- overflow-safe: each step stays below ssize
      if sz[d] > 1 and st[d] > 0 and (sz[d] - 1) > (ssize - 1 - last) // st[d] then
        fail(sformat('a %s of sizes {%s} strides {%s} offset %d reaches outside its storage of %d elements',
          name, concat(sz, ','), concat(st, ','), off, ssize))
      end
      last = last + (sz[d] - 1) * st[d]
    end
    if last >= ssize then
      if nd == 0 then return t end   -- Torch7's empty tensor with a storage
      fail(sformat('storage offset %d beyond the storage of %d elements in a %s', off, ssize, name))
    end
    -- inside its storage, an expanded view (stride 0) can still name far more elements
    -- than the storage holds: a hostile file would make every later op walk them
    local numel = 1.0   -- a float: a product of int64 sizes must not wrap
    for d = 1, nd do
      numel = numel * sz[d]
      if numel > 2 ^ 53 then break end
    end
    if numel > ssize and numel > 2 ^ 24 then
      fail(sformat('a %s of %.0f elements over a storage of %d elements (an absurd expanded view)', name, numel, ssize))
    end
  elseif off - 1 > ssize then
    fail(sformat('storage offset %d beyond the storage of %d elements in a %s', off, ssize, name))
  end
  local ok, err = pcall(t.set, t, s, off, torch.LongStorage(sz), torch.LongStorage(st))
  if not ok then fail(sformat('bad %s of sizes {%s} strides {%s}: %s', name, concat(sz, ','), concat(st, ','), tostring(err))) end
  return t
end

local function findclass(name)
  local mt = torch.getmetatable(name)
  if mt then return mt end
  local pkg, short = smatch(name, '^([%w_]+)%.([%w_]+)$')
  if pkg and PACKAGES[pkg] then
    local ok, m = pcall(require, pkg)
    if ok and type(m) == 'table' then pcall(function() return m[short] end) end  -- lazy classes
    return torch.getmetatable(name)
  end
end

-- modules saved by Torch7 (or stripped with clearState) miss what a module needs
local function complete(m)
  if not torch.isTypeOf(m, 'nn.Module') then return end
  if rawget(m, 'train') == nil then m.train = true end
  if rawget(m, 'output') == nil then m.output = torch.Tensor() end
  if rawget(m, 'gradInput') == nil then m.gradInput = torch.Tensor() end
  if torch.isTensor(rawget(m, 'weight')) and not torch.isTensor(rawget(m, 'gradWeight')) then
    m.gradWeight = m.weight:clone():zero()
  end
  if torch.isTensor(rawget(m, 'bias')) and not torch.isTensor(rawget(m, 'gradBias')) then
    m.gradBias = m.bias:clone():zero()
  end
  if m._linkGrads then
    m:_linkGrads()
    m._linked = true
  end
end

-- a CUDA tensor: read as the CPU tensor of its dtype, then moved to the GPU (the current
-- device); without a GPU it stays on the CPU, with a warning (once per load)
function Reader:cudatensor(idx, name, dt)
  local t = self:tensor(idx, name, dt)
  local cuda = rawget(torch, 'cuda')
  if cuda and cuda.isAvailable() then
    t = t:cuda()
  elseif not self.warned_cuda then
    self.warned_cuda = true
    io.stderr:write(sformat('warning: torch.load: CUDA is not available; a %s is loaded as a torch.%sTensor on the CPU\n',
      name, dt))
  end
  self.objects[idx] = t
  return t
end

-- a torch.Generator: a new generator given the saved state
function Reader:generator(idx)
  local state = self:string('generator state')
  local g = torch.Generator()
  local ok = pcall(torch.setRNGState, g, torch.ByteTensor(torch.ByteStorage(state)))
  if not ok then fail(sformat('bad torch.Generator state (%d bytes)', #state)) end
  self.objects[idx] = g
  return g
end

-- a tensor's autograd state (version 'V 2', see Writer:gradstate); 'V 1' has none
function Reader:gradstate(t, version, name)
  if version ~= 'V 2' then return t end
  local flags = self:int(name .. ' autograd flags')
  if flags < 0 or flags > 3 or flags == 2 then fail(sformat('bad autograd flags %d in a %s', flags, name)) end
  if flags & 1 ~= 0 then
    local ok, err = pcall(t.setRequiresGrad, t, true)
    if not ok then fail(sformat('a %s cannot require grad: %s', name, tostring(err))) end
  end
  if flags & 2 ~= 0 then
    local g = self:object(self.depth + 1)
    local ok, err = pcall(function() t.grad = g end)
    if not ok then fail(sformat('bad .grad of a %s: %s', name, tostring(err))) end
  end
  return t
end

function Reader:torchobject(idx)
  local version = self:string('class version')
  local name = version
  if ssub(version, 1, 2) == 'V ' then name = self:string('class name') end
  local dt = smatch(name, '^torch%.(%w+)Tensor$')
  if dt and DTYPES[dt] then return self:gradstate(self:tensor(idx, name, dt), version, name) end
  dt = smatch(name, '^torch%.(%w+)Storage$')
  if dt and DTYPES[dt] then return self:storage(idx, name, dt) end
  local cdt = smatch(name, '^torch%.Cuda(%w*)Tensor$')
  if cdt and DTYPES[cdt == '' and 'Float' or cdt] then
    return self:gradstate(self:cudatensor(idx, name, cdt == '' and 'Float' or cdt), version, name)
  end
  cdt = smatch(name, '^torch%.Cuda(%w*)Storage$')   -- a CUDA tensor's data, loaded on the CPU
  if cdt and DTYPES[cdt == '' and 'Float' or cdt] then return self:storage(idx, name, cdt == '' and 'Float' or cdt) end
  if smatch(name, '^torch%.%w+Tensor$') or smatch(name, '^torch%.%w+Storage$') then
    fail(sformat('unknown class <%s> (only tensor and storage types of known dtypes load)', name))
  end
  if name == 'torch.Generator' then return self:generator(idx) end
  local mt = findclass(name)
  if not mt then fail(sformat('unknown class <%s>', name)) end
  -- a C type's objects are userdata its methods check for: a table given its metatable
  -- would be an object none of them accepts (and its __gc would run on a table)
  if debug.getregistry()[name] == mt then
    fail(sformat('class <%s> is a C type: its objects cannot be read from a file', name))
  end
  local obj = setmetatable({}, mt)
  self.objects[idx] = obj
  local var = self:object(self.depth + 1)
  if var == obj then fail(sformat('reference loop: the fields of a %s are the object itself', name)) end
  if type(var) ~= 'table' or getmetatable(var) ~= nil then
    fail(sformat('the fields of a %s are a %s, not a table', name, torch.typename(var) or type(var)))
  end
  for k, v in pairs(var) do rawset(obj, k, v) end
  local ok, err = pcall(complete, obj)
  if not ok then fail(sformat('cannot complete a %s: %s', name, tostring(err))) end
  return obj
end

function Reader:object(depth)
  if depth > MAXDEPTH then fail('nesting deeper than ' .. MAXDEPTH .. ' levels') end
  local saved = self.depth
  self.depth = depth
  local at = self.pos - 1
  local tag = self:int('type tag')
  local r
  if tag == 0 then r = nil
  elseif tag == 1 then r = number(self:double('number'))
  elseif tag == 2 then r = self:string('string')
  elseif tag == 5 then r = self:int('boolean') ~= 0
  elseif tag == 3 or tag == 4 then
    local idx = self:int('reference index')
    if idx < 1 then fail(sformat('bad reference index %d at byte %d', idx, at)) end
    local seen = self.objects[idx]
    if seen ~= nil then self.depth = saved; return seen end
    if tag == 4 then r = self:torchobject(idx)
    else
      local n = self:int('table size')
      if n < 0 or n > self:left() // (self.ascii and 4 or 8) then
        fail(sformat('bad table size %d at byte %d (%d bytes left)', n, at, self:left()))
      end
      r = {}
      self.objects[idx] = r
      for _ = 1, n do
        local k = self:object(depth + 1)
        local v = self:object(depth + 1)
        if k == nil or k ~= k then fail(sformat('a table key is %s (table at byte %d)', tostring(k), at)) end
        rawset(r, k, v)
      end
    end
  elseif tag == 6 or tag == 7 or tag == 8 then
    if not self.opts.allowFunctions then
      fail(sformat('the data holds a function (type tag %d at byte %d): refused, loading it would run code;' ..
        ' pass {allowFunctions=true} only for files you trust', tag, at))
    end
    fail(sformat('the data holds a function (type tag %d at byte %d): Torch7 functions are Lua 5.1 ' ..
      'bytecode, which Lua 5.4 cannot load', tag, at))
  else
    fail(sformat('unknown type tag %d at byte %d', tag, at))
  end
  self.depth = saved
  return r
end

local function deserialize(s, mode, opts)
  local r = setmetatable({ s = s, pos = 1, ascii = mode == 'ascii', objects = {},
                           depth = 0, opts = opts or {} }, Reader)
  return r:object(1)
end

-- ---------------------------------------------------------------- the API
function torch.serialize(obj, mode)
  mode = checkmode('serialize', mode, 2)
  return serialize(obj, mode)
end

function torch.deserialize(s, mode, opts)
  if type(s) ~= 'string' then
    error("bad argument #1 to 'deserialize' (string expected, got " .. type(s) .. ")", 2)
  end
  mode = checkmode('deserialize', mode, 2)
  if opts ~= nil and type(opts) ~= 'table' then
    error("bad argument #3 to 'deserialize' (table expected, got " .. type(opts) .. ")", 2)
  end
  return deserialize(s, mode, opts)
end

-- can path be replaced by renaming a new file over it: it is missing, or a regular file
-- (not a symbolic link, a device or a pipe)
function torch._renamable(path)
  local q = "'" .. path:gsub("'", "'\\''") .. "'"
  return os.execute('test ! -e ' .. q .. ' -o \\( -f ' .. q .. ' -a ! -L ' .. q .. ' \\)') == true
end
local tmp_count = 0
-- a temporary name beside path (the user's math.random sequence is left alone)
function torch._tempName(path)
  tmp_count = tmp_count + 1
  return sformat('%s.tmp%d_%d_%d', path, os.time(), math.floor(os.clock() * 1e6), tmp_count)
end

function torch.save(path, obj, mode)
  if type(path) ~= 'string' then
    error("bad argument #1 to 'save' (string expected, got " .. type(path) .. ")", 2)
  end
  mode = checkmode('save', mode, 3)
  local data = serialize(obj, mode)        -- fails before the file is touched
  -- atomic: a temporary file in the same folder, renamed over the target (when the target
  -- is a regular file or missing; a device, a pipe or a symbolic link is written in place)
  if not torch._renamable(path) then
    local f, err = io.open(path, 'wb')
    if not f then error('torch.save: cannot write ' .. path .. ': ' .. tostring(err), 2) end
    local ok, werr = f:write(data)
    local cok, cerr = f:close()
    if not ok or not cok then error('torch.save: cannot write ' .. path .. ': ' .. tostring(werr or cerr), 2) end
    return true
  end
  local tmp = torch._tempName(path)
  local f, err = io.open(tmp, 'wb')
  if not f then error('torch.save: cannot write ' .. path .. ': ' .. tostring(err), 2) end
  local ok, werr = f:write(data)
  local cok, cerr = f:close()
  if not ok or not cok then
    os.remove(tmp)
    error('torch.save: cannot write ' .. path .. ': ' .. tostring(werr or cerr), 2)
  end
  local rok, rerr = os.rename(tmp, path)
  if not rok then
    os.remove(tmp)
    error('torch.save: cannot write ' .. path .. ': ' .. tostring(rerr), 2)
  end
  return true
end

function torch.load(path, mode, opts)
  if type(path) ~= 'string' then
    error("bad argument #1 to 'load' (string expected, got " .. type(path) .. ")", 2)
  end
  mode = checkmode('load', mode, 2)
  if opts ~= nil and type(opts) ~= 'table' then
    error("bad argument #3 to 'load' (table expected, got " .. type(opts) .. ")", 2)
  end
  local f, err = io.open(path, 'rb')
  if not f then error('torch.load: cannot open ' .. path .. ': ' .. tostring(err), 2) end
  local s = f:read('a')
  f:close()
  if not s then error('torch.load: cannot read ' .. path, 2) end
  return deserialize(s, mode, opts)
end

return true   -- (not torch: error messages would name its functions torch.File.x)
