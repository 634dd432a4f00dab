-- torch.data: loading data for training.
--
--   local x = torch.data.idx('train-images-idx3-ubyte.gz')    -- IDX files, gzipped or plain (C)
--   local t, names = torch.data.csv('prices.csv', {separator = ';'})
--   local images, labels, classes = torch.data.fashionMnist('train', {float = true})
--   for x, y in torch.data.DataLoader({x = images, y = labels}, {batchSize = 64, shuffle = true}) do
--     ...
--   end
--
-- idx and saveIdx are written in C (bindings/data.c) and already in torch.data.
local torch = require 'torch.core'

local data = torch.data or {}
torch.data = data

local type, tonumber, tostring, pairs, ipairs = type, tonumber, tostring, pairs, ipairs
local sfind, ssub, sformat, sbyte, smatch = string.find, string.sub, string.format, string.byte, string.match

-- unknown option names are errors (catches typos such as batchsize)
local function checkopts(fname, opts, argn, known, level)
  level = level or 3
  if opts == nil then return {} end
  if type(opts) ~= 'table' then
    error(sformat("bad argument #%d to '%s' (options table expected, got %s)", argn, fname, type(opts)), level)
  end
  for k in pairs(opts) do
    if not known[k] then
      local names = {}
      for n in pairs(known) do names[#names + 1] = n end
      table.sort(names)
      error(sformat("bad argument #%d to '%s' (unknown option '%s'; known: %s)", argn, fname,
        tostring(k), table.concat(names, ', ')), level)
    end
  end
  return opts
end

---------------------------------------------------------------------------------------
-- CSV

local specials = {nan = 0 / 0, ['+nan'] = 0 / 0, ['-nan'] = 0 / 0, inf = math.huge,
  ['+inf'] = math.huge, ['-inf'] = -math.huge, infinity = math.huge,
  ['+infinity'] = math.huge, ['-infinity'] = -math.huge}

-- the number a field holds, or nil
local function tonum(s)
  local v = tonumber(s)
  if v then return v + 0.0 end
  s = smatch(s, '^%s*(.-)%s*$')
  if #s <= 9 then return specials[s:lower()] end
end

-- splits a record without quotes; returns the count (fields in out[1..n])
local function split_plain(line, sep, out)
  local n, pos = 0, 1
  while true do
    local s, e = sfind(line, sep, pos, true)
    n = n + 1
    if not s then out[n] = ssub(line, pos); return n end
    out[n] = ssub(line, pos, s - 1)
    pos = e + 1
  end
end

-- splits a record with quoted fields ("a ""b""", c), its fields going to out[n0+1..]
-- (n0: fields already there, default 0). Returns n; or false, the count of fields
-- complete and the position where the last one starts, when its quote is still open at
-- the end (the record goes on on the next line); or nil, message.
local function split_quoted(text, sep, out, n0)
  local n, pos, len = n0 or 0, 1, #text
  while true do
    n = n + 1
    local fstart = pos
    local q = sfind(text, '^%s*"', pos)
    if q then
      local start = sfind(text, '"', pos, true) + 1
      local parts, i = {}, start
      while true do
        local c = sfind(text, '"', i, true)
        if not c then return false, n - 1, fstart end
        if sbyte(text, c + 1) == 34 then          -- "" inside quotes: one quote
          parts[#parts + 1] = ssub(text, i, c)
          i = c + 2
        else
          parts[#parts + 1] = ssub(text, i, c - 1)
          pos = c + 1
          break
        end
      end
      out[n] = table.concat(parts)
      local _, e = sfind(text, '^%s*', pos)
      pos = e + 1
      if pos > len then return n end
      if ssub(text, pos, pos + #sep - 1) ~= sep then
        return nil, sformat("unexpected %q after the closing quote of field %d", ssub(text, pos, pos), n)
      end
      pos = pos + #sep
      if pos > len then n = n + 1; out[n] = ''; return n end
    else
      local s, e = sfind(text, sep, pos, true)
      if not s then out[n] = ssub(text, pos); return n end
      out[n] = ssub(text, pos, s - 1)
      pos = e + 1
    end
  end
end

-- inside an open quoted field, does line s close it: a quote not doubled ("" is a quote)
local function closes_quote(s)
  local i = 1
  while true do
    local c = sfind(s, '"', i, true)
    if not c then return false end
    if sbyte(s, c + 1) ~= 34 then return true end
    i = c + 2
  end
end

local typenames = {float = 'torch.FloatTensor', double = 'torch.DoubleTensor',
  ['torch.FloatTensor'] = 'torch.FloatTensor', ['torch.DoubleTensor'] = 'torch.DoubleTensor'}

-- torch.data.csv(path[, opts]) -> tensor (rows x columns), header names (or nil)
function data.csv(path, opts)
  local fname = 'torch.data.csv'
  if type(path) ~= 'string' then
    error(sformat("bad argument #1 to '%s' (file name expected, got %s)", fname, type(path)), 2)
  end
  opts = checkopts(fname, opts, 2, {header = true, separator = true, columns = true, type = true, nan = true})
  local sep = opts.separator or ','
  if type(sep) ~= 'string' or sep == '' or sfind(sep, '"', 1, true) or sfind(sep, '\n', 1, true) then
    error(sformat("bad argument #2 to '%s' (separator must be a non-empty string without quotes, got %s)",
      fname, type(sep) == 'string' and sformat('%q', sep) or type(sep)), 2)
  end
  local header = opts.header
  if header ~= nil and type(header) ~= 'boolean' then
    error(sformat("bad argument #2 to '%s' (header must be true or false, got %s)", fname, type(header)), 2)
  end
  local ttype = 'torch.DoubleTensor'
  if opts.type ~= nil then
    ttype = typenames[opts.type]
    if not ttype then
      error(sformat("bad argument #2 to '%s' (type must be 'float' or 'double', got %s)", fname, tostring(opts.type)), 2)
    end
  end
  local columns = opts.columns
  if columns ~= nil and (type(columns) ~= 'table' or #columns == 0) then
    error(sformat("bad argument #2 to '%s' (columns must be a non-empty list of column numbers or names)", fname), 2)
  end
  local f, err = io.open(path, 'rb')
  if not f then error(sformat('%s: %s: cannot open (%s)', fname, path, err), 2) end

  local function fail(msg, level) f:close(); error(sformat('%s: %s: %s', fname, path, msg), level or 3) end

  -- records, one per call: n fields in `fields`, and the line they start on
  local fields, lineno, first = {}, 0, true
  -- a directory opens but cannot be read: say so, naming the function and the file
  local _, rerr = f:read(0)
  if rerr then fail(sformat('cannot read (%s)', rerr)) end
  -- lines end with LF, CRLF or CR alone (old Mac files): a line of the file as read
  -- (to LF) is cut at its CRs, each part a line of its own
  local rawline, queue, qn = f:lines(), {}, 0
  local function nextline()
    if qn > 0 then
      local l = table.remove(queue, 1)
      qn = qn - 1
      return l
    end
    local ok, l = pcall(rawline)
    if not ok then fail(sformat('cannot read (%s)', tostring(l)), 5) end
    if not l then return nil end
    if sbyte(l, -1) == 13 then l = ssub(l, 1, -2) end
    if not sfind(l, '\r', 1, true) then return l end
    local parts = {}
    for part in (l .. '\r'):gmatch('([^\r]*)\r') do parts[#parts + 1] = part end
    for i = 2, #parts do queue[#queue + 1] = parts[i] end
    qn = #queue
    return parts[1]
  end
  local function record()
    while true do
      local line = nextline()
      if not line then return nil end
      lineno = lineno + 1
      if first then line = line:gsub('^\239\187\191', ''); first = false end
      if sfind(line, '\0', 1, true) then
        fail(sformat('line %d: a NUL byte in the text (not a CSV text file?)', lineno), 4)
      end
      if not sfind(line, '^%s*$') then
        if not sfind(line, '"', 1, true) then return split_plain(line, sep, fields), lineno end
        local start, done = lineno, 0
        while true do
          local n, k, from = split_quoted(line, sep, fields, done)
          if n then return n, start end
          if n == nil then fail(sformat('line %d: %s', start, k), 4) end
          -- a quoted field is still open: the k fields before it are done; gather lines
          -- until one closes it, then split again from that field only (re-splitting the
          -- whole record on every line made a long open field quadratic)
          done = k
          local pending = { ssub(line, from) }
          repeat
            local more = nextline()
            if not more then fail(sformat('line %d: a quoted field is not closed before the end of the file', start), 4) end
            lineno = lineno + 1
            if sfind(more, '\0', 1, true) then
              fail(sformat('line %d: a NUL byte in the text (not a CSV text file?)', lineno), 4)
            end
            pending[#pending + 1] = more
          until closes_quote(more)
          line = table.concat(pending, '\n')
        end
      end
    end
  end

  local n, line = record()
  local names
  if n and header == nil then
    -- detect: the first record is a header when one of its fields is a word: not a
    -- number, not empty, and not starting as a number does (a digit, after an optional
    -- sign or point). So '1,,3' or '1e,2' is data (an error, or NaN with nan=true),
    -- never a header made of numbers.
    header = false
    for i = 1, n do
      local fl = fields[i]
      if not tonum(fl) and not sfind(fl, '^%s*$') and not sfind(fl, '^%s*[+-]?%.?%d') then
        header = true; break
      end
    end
  end
  local ncols = n or 0
  if n and header then
    names = {}
    for i = 1, n do names[i] = smatch(fields[i], '^%s*(.-)%s*$') end
    n, line = record()
  end

  -- which columns
  local sel = {}
  if columns then
    for k, c in ipairs(columns) do
      if type(c) == 'string' then
        if not names then fail(sformat("column '%s' asked by name but the file has no header", c)) end
        local found
        for i, name in ipairs(names) do if name == c then found = i; break end end
        if not found then fail(sformat("no column named '%s' (the header has: %s)", c, table.concat(names, ', '))) end
        sel[k] = found
      elseif math.type(c) == 'integer' and c >= 1 and c <= ncols then
        sel[k] = c
      else
        fail(sformat('columns[%d] = %s is not a column (the file has %d)', k, tostring(c), ncols))
      end
    end
  else
    for i = 1, ncols do sel[i] = i end
  end
  local outnames
  if names then
    outnames = {}
    for k, i in ipairs(sel) do outnames[k] = names[i] end
  end

  local vals, nv, rows, nsel = {}, 0, 0, #sel
  local nan, NaN = opts.nan, 0 / 0
  while n do
    if n ~= ncols then
      fail(sformat('line %d: %d field%s, expected %d', line, n, n == 1 and '' or 's', ncols))
    end
    for k = 1, nsel do
      local i = sel[k]
      local v = tonum(fields[i])
      if not v then
        if not nan then
          fail(sformat("line %d, column %d%s: %q is not a number", line, i,
            names and sformat(" ('%s')", names[i]) or '', fields[i]))
        end
        v = NaN
      end
      nv = nv + 1
      vals[nv] = v
    end
    rows = rows + 1
    n, line = record()
  end
  f:close()
  local t
  if rows == 0 then t = torch.DoubleTensor(0, nsel)
  else t = torch.DoubleTensor(vals):view(rows, nsel) end
  if ttype ~= 'torch.DoubleTensor' then t = t:type(ttype) end
  return t, outnames
end

---------------------------------------------------------------------------------------
-- DataLoader

local DataLoader = torch.class('torch.data.DataLoader', data)

local function istensor(x) return torch.isTensor(x) == true end

function DataLoader:__init(dataset, opts)
  local fname = 'torch.data.DataLoader'
  opts = checkopts(fname, opts, 2, {batchSize = true, shuffle = true, dropLast = true, transform = true,
    shard = true, seed = true}, 4)
  if istensor(dataset) then dataset = {x = dataset} end
  if type(dataset) ~= 'table' then
    error(sformat("bad argument #1 to '%s' (dataset expected: {x=tensor, y=tensor} or an object with size() and get(i), got %s)",
      fname, type(dataset)), 3)
  end
  if type(dataset.size) == 'function' and type(dataset.get) == 'function' then
    self.dataset = dataset
    local n = dataset:size()
    if math.type(n) ~= 'integer' and not (type(n) == 'number' and n == math.floor(n)) or n < 0 then
      error(sformat("bad argument #1 to '%s' (dataset:size() must return a count, got %s)", fname, tostring(n)), 3)
    end
    self.nSamples = math.tointeger(n)
  else
    local x, y = dataset.x, dataset.y
    if not istensor(x) or x:dim() == 0 then
      error(sformat("bad argument #1 to '%s' (dataset.x must be a tensor with a first dimension, got %s)",
        fname, torch.type(x)), 3)
    end
    if y ~= nil and (not istensor(y) or y:dim() == 0 or y:size(1) ~= x:size(1)) then
      error(sformat("bad argument #1 to '%s' (dataset.y must be a tensor with as many samples as x (%d), got %s)",
        fname, x:size(1), istensor(y) and (y:dim() == 0 and 'no dimensions' or tostring(y:size(1))) or torch.type(y)), 3)
    end
    self.x, self.y = x, y
    self.nSamples = x:size(1)
  end
  local bs = opts.batchSize or 1
  if math.type(bs) ~= 'integer' and not (type(bs) == 'number' and bs == math.floor(bs)) or bs < 1 then
    error(sformat("bad argument #2 to '%s' (batchSize must be a positive integer, got %s)", fname, tostring(bs)), 3)
  end
  self.batchSize = math.tointeger(bs)
  self.shuffle = opts.shuffle and true or false
  self.dropLast = opts.dropLast and true or false
  if opts.transform ~= nil and type(opts.transform) ~= 'function' then
    error(sformat("bad argument #2 to '%s' (transform must be a function, got %s)", fname, type(opts.transform)), 3)
  end
  self.transform = opts.transform
  local seed = opts.seed
  if seed ~= nil and not math.tointeger(seed) then
    error(sformat("bad argument #2 to '%s' (seed must be an integer, got %s)", fname, tostring(seed)), 3)
  end
  self.seed = seed and math.tointeger(seed)
  self.epoch = 1
  local shard = opts.shard
  if shard == true then
    local dist = require 'distributed'
    if not dist.isInitialized() then
      error(sformat("bad argument #2 to '%s' (shard = true takes the rank and size from distributed, " ..
        "which is not initialized: call distributed.init first, or pass shard = {rank = r, size = n})", fname), 3)
    end
    shard = {rank = dist.rank(), size = dist.size()}
  end
  if shard ~= nil and shard ~= false then
    local r, n = type(shard) == 'table' and shard.rank, type(shard) == 'table' and shard.size
    if math.type(n) ~= 'integer' or n < 1 or math.type(r) ~= 'integer' or r < 0 or r >= n then
      error(sformat("bad argument #2 to '%s' (shard must be true or {rank = r, size = n} with integers " ..
        "0 <= r < n, got %s)", fname, type(shard) == 'table' and sformat('{rank = %s, size = %s}',
        tostring(r), tostring(n)) or tostring(shard)), 3)
    end
    self.shardRank, self.numShards = r, n
    -- every rank takes as many samples (so every rank runs as many batches and the
    -- collectives stay matched): the order is padded by wrapping to a multiple of n, or
    -- its tail dropped with dropLast
    self.nLocal = self.dropLast and self.nSamples // n or (self.nSamples + n - 1) // n
  else
    self.nLocal = self.nSamples
  end
end

-- the number of batches (of this rank's shard when sharded)
function DataLoader:__len__()
  local n, bs = self.nLocal, self.batchSize
  if self.dropLast then return n // bs end
  return (n + bs - 1) // bs
end

-- the epoch the next iter() (or for loop) runs, from 1; each one advances it. With a
-- seed, the order of epoch e depends only on (seed, e): setEpoch(e) when resuming.
function DataLoader:setEpoch(e)
  if not math.tointeger(e) then
    error(sformat("bad argument #1 to 'DataLoader:setEpoch' (integer expected, got %s)", tostring(e)), 2)
  end
  if e < 0 then
    error(sformat("bad argument #1 to 'DataLoader:setEpoch' (a non-negative epoch expected, got %d)", e), 2)
  end
  self.epoch = math.tointeger(e)
end

-- splitmix64's output function (integers wrap in Lua 5.4; >> is a logical shift)
local GOLDEN = -7046029254386353131                      -- 0x9E3779B97F4A7C15
local function mix64(z)
  z = (z ~ (z >> 30)) * -4658895280553007687             -- 0xBF58476D1CE4E5B9
  z = (z ~ (z >> 27)) * -7723592293110705685             -- 0x94D049BB133111EB
  return z ~ (z >> 31)
end

-- a permutation of 1..n as a table, from (seed, epoch) alone (splitmix64 and
-- Fisher-Yates): the same on every rank and every machine, and independent of torch's
-- random generator. Each (seed, epoch) starts its own stream (both mixed first).
local function seeded_perm(n, seed, epoch)
  local p = {}
  for i = 1, n do p[i] = i end
  local state = mix64(mix64(seed + GOLDEN) ~ (epoch * GOLDEN))
  for i = n, 2, -1 do
    state = state + GOLDEN
    local j = (mix64(state) >> 11) % i + 1
    p[i], p[j] = p[j], p[i]
  end
  return p
end

-- the sample indices of one epoch, in order (nil: 1..nSamples)
function DataLoader:_order(epoch)
  local n = self.nSamples
  if not self.numShards then
    if not self.shuffle then return nil end
    if not self.seed then return torch.randperm(torch.LongTensor(), n) end
    return torch.LongTensor(seeded_perm(n, self.seed, epoch))
  end
  local perm = self.shuffle and seeded_perm(n, self.seed or 0, epoch)
  local r, k, idx = self.shardRank, self.numShards, {}
  if n == 0 then return torch.LongTensor() end
  for i = 1, self.nLocal do   -- positions r+1, r+1+k, ... of the order padded by wrapping
    local pos = (r + (i - 1) * k) % n + 1
    idx[i] = perm and perm[pos] or pos
  end
  return torch.LongTensor(idx)
end

-- a list of samples from get(i) made into one batch tensor
local function collate(list, what)
  local v = list[1]
  if v == nil then return nil end
  if istensor(v) then return torch.stack(list, 1) end
  if type(v) == 'number' then
    local allint = true
    for i = 1, #list do
      if type(list[i]) ~= 'number' then
        error(sformat("torch.data.DataLoader: dataset:get returned a %s for %s of one sample and a number for another",
          type(list[i]), what), 0)
      end
      if math.type(list[i]) ~= 'integer' then allint = false end
    end
    return allint and torch.LongTensor(list) or torch.DoubleTensor(list)
  end
  error(sformat('torch.data.DataLoader: dataset:get returned a %s for %s (tensors or numbers expected)', type(v), what), 0)
end

function DataLoader:_batch(order, b)
  local n, bs = self.nLocal, self.batchSize
  local first = (b - 1) * bs + 1
  local count = math.min(bs, n - first + 1)
  local idx = order and order:narrow(1, first, count) or torch.range(torch.LongTensor(), first, first + count - 1)
  local x, y
  if self.dataset then
    local xs, ys = {}, {}
    local ds = self.dataset
    for k = 1, count do
      local xi, yi = ds:get(idx[k])
      xs[k], ys[k] = xi, yi
    end
    x, y = collate(xs, 'x'), collate(ys, 'y')
  else
    x = self.x:index(1, idx)
    y = self.y and self.y:index(1, idx)
  end
  if self.transform then
    local tx, ty = self.transform(x, y)
    if tx ~= nil then x = tx end
    if ty ~= nil then y = ty end
  end
  return x, y
end

-- an iterator over one epoch: for x, y in loader:iter() do ... end (reshuffled per call)
function DataLoader:iter()
  local order = self:_order(self.epoch)
  self.epoch = self.epoch + 1
  local nb, b = #self, 0
  return function()
    b = b + 1
    if b > nb then return nil end
    return self:_batch(order, b)
  end
end

-- for x, y in loader do ... end: the first call (control value nil) starts an epoch
function DataLoader:__call__(_, control)
  if control == nil or not self._it then self._it = self:iter() end
  local x, y = self._it()
  if x == nil then self._it = nil end
  return x, y
end

function DataLoader:__tostring__()
  return sformat('torch.data.DataLoader: %d samples, %d batches of %d%s%s%s', self.nSamples, #self,
    self.batchSize, self.shuffle and ', shuffled' or '', self.dropLast and ', last partial batch dropped' or '',
    self.numShards and sformat(', shard %d of %d (%d samples)', self.shardRank, self.numShards, self.nLocal) or '')
end

---------------------------------------------------------------------------------------
-- Fashion-MNIST (Zalando), from Debian's dataset-fashion-mnist package

data.fashionMnistDir = '/usr/share/datasets/fashion-mnist'
data.fashionMnistClasses = {'T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal',
  'Shirt', 'Sneaker', 'Bag', 'Ankle boot'}

local function exists(p)
  local f = io.open(p, 'rb')
  if f then f:close() return true end
  return false
end

-- torch.data.fashionMnist([split][, dir][, opts]) or ({split=, dir=, float=})
--   -> images (n x 28 x 28), labels (LongTensor, 1..10), class names
function data.fashionMnist(split, dir, opts)
  local fname = 'torch.data.fashionMnist'
  if type(split) == 'table' then opts, split, dir = split, split.split, split.dir
  elseif type(dir) == 'table' then opts, dir = dir, dir.dir end
  opts = checkopts(fname, opts, 1, {split = true, dir = true, float = true})
  split = split or 'train'
  if split ~= 'train' and split ~= 'test' then
    error(sformat("bad argument #1 to '%s' (split must be 'train' or 'test', got %s)", fname, tostring(split)), 2)
  end
  dir = dir or data.fashionMnistDir
  if type(dir) ~= 'string' then
    error(sformat("bad argument #2 to '%s' (folder name expected, got %s)", fname, type(dir)), 2)
  end
  local prefix = split == 'train' and 'train' or 't10k'
  local function find(stem)
    local p = dir .. '/' .. prefix .. stem
    if exists(p .. '.gz') then return p .. '.gz' end
    if exists(p) then return p end
    local hint = dir == '/usr/share/datasets/fashion-mnist'
      and 'install the Debian package dataset-fashion-mnist (apt install dataset-fashion-mnist)'
      or 'the Debian package dataset-fashion-mnist puts the files in /usr/share/datasets/fashion-mnist'
    error(sformat('%s: %s.gz not found: %s', fname, p, hint), 3)
  end
  local imgfile, labfile = find('-images-idx3-ubyte'), find('-labels-idx1-ubyte')
  local images, labels = data.idx(imgfile), data.idx(labfile)
  if images:dim() ~= 3 or images:size(2) ~= 28 or images:size(3) ~= 28 or torch.type(images) ~= 'torch.ByteTensor' then
    error(sformat('%s: %s: expected n x 28 x 28 unsigned bytes, got a %s', fname, imgfile, torch.type(images)), 2)
  end
  if labels:dim() ~= 1 or labels:size(1) ~= images:size(1) then
    error(sformat('%s: %s: expected %d labels', fname, labfile, images:size(1)), 2)
  end
  labels = labels:long():add(1)
  if opts.float then images = images:float():div(255) end
  local classes = {}
  for i, c in ipairs(data.fashionMnistClasses) do classes[i] = c end
  return images, labels, classes
end

return data
