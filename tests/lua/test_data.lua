-- torch.data: the IDX reader (every element type, gzipped and plain, 1-D to 4-D; broken
-- files), the CSV reader, the DataLoader, and Fashion-MNIST when its package is there.
local tester = torch.Tester()
local T = torch.TestSuite()
local data = torch.data

local here = debug.getinfo(1, 'S').source:match('^@(.*)/[^/]*$') or 'tests/lua'
local samples = here .. '/../data'

-- temporary files, removed at the end of each test
local tmpfiles = {}
local function tmp(suffix)
  local base = os.tmpname()
  os.remove(base)
  local p = base .. (suffix or '')
  tmpfiles[#tmpfiles + 1] = p
  return p
end
local function cleanup()
  for _, p in ipairs(tmpfiles) do os.remove(p) end
  tmpfiles = {}
end
local function writefile(p, bytes)
  local f = assert(io.open(p, 'wb'))
  f:write(bytes)
  f:close()
  return p
end
local function readfile(p)
  local f = assert(io.open(p, 'rb'))
  local s = f:read('a')
  f:close()
  return s
end

local function flat(t)
  local v, c = {}, t:contiguous():view(t:nElement())
  for i = 1, t:nElement() do v[i] = c[i] end
  return v
end
local function sizes(t)
  local s = {}
  for i = 1, t:dim() do s[i] = t:size(i) end
  return s
end

-- an IDX file's bytes, written here with string.pack (independently of the C writer)
local idxtypes = {
  {code = 0x08, fmt = 'B', name = 'torch.ByteTensor', vals = {0, 1, 127, 128, 200, 255}},
  {code = 0x09, fmt = 'b', name = 'torch.CharTensor', vals = {-128, -1, 0, 1, 100, 127}},
  {code = 0x0B, fmt = 'i2', name = 'torch.ShortTensor', vals = {-32768, -258, 0, 258, 1000, 32767}},
  {code = 0x0C, fmt = 'i4', name = 'torch.IntTensor', vals = {-2147483648, -65536, 0, 16777217, 7, 2147483647}},
  {code = 0x0D, fmt = 'f', name = 'torch.FloatTensor', vals = {-1.5, 0.0, 0.25, 1.5 * 2 ^ 40, -7.0, math.huge}},
  {code = 0x0E, fmt = 'd', name = 'torch.DoubleTensor', vals = {-1.5, 1e300, 0.1, -2.0 ^ -1000, 123456789.125, -math.huge}},
}
local function idxbytes(ty, dims, n)
  local parts = {string.pack('>BBBB', 0, 0, ty.code, #dims)}
  for _, d in ipairs(dims) do parts[#parts + 1] = string.pack('>I4', d) end
  local vals = {}
  for i = 1, n do
    vals[i] = ty.vals[(i - 1) % #ty.vals + 1]
    parts[#parts + 1] = string.pack('>' .. ty.fmt, vals[i])
  end
  return table.concat(parts), vals
end

local gzip_tool = (function()
  local p = io.popen('command -v gzip 2>/dev/null')
  local s = p and p:read('l')
  if p then p:close() end
  return s and s ~= '' and s or nil
end)()
-- gzips a file: with the gzip tool when there is one, else with torch.data.saveIdx
local function gzipped(plain)
  local gz = tmp('.idx.gz')
  if gzip_tool then
    assert(os.execute(string.format("'%s' -c '%s' > '%s'", gzip_tool, plain, gz)))
  else
    data.saveIdx(gz, data.idx(plain))
  end
  return gz
end

function T.idx_every_type_plain_and_gzipped_1d_to_4d()
  local shapes = {{6}, {2, 3}, {2, 1, 3}, {1, 2, 3, 2}}
  for _, ty in ipairs(idxtypes) do
    for _, dims in ipairs(shapes) do
      local n = 1
      for _, d in ipairs(dims) do n = n * d end
      local bytes, vals = idxbytes(ty, dims, n)
      local plain = writefile(tmp('.idx'), bytes)
      for _, p in ipairs({plain, gzipped(plain)}) do
        local what = ty.name .. ' ' .. table.concat(dims, 'x') .. (p:match('%.gz$') and ' gzipped' or ' plain')
        local t = data.idx(p)
        tester:asserteq(torch.type(t), ty.name, what .. ': type')
        tester:assertTableEq(sizes(t), dims, what .. ': sizes')
        tester:assertTableEq(flat(t), vals, what .. ': values')
      end
    end
  end
  cleanup()
end

function T.idx_sample_files()
  local s = data.idx(samples .. '/short_2x3.idx')
  tester:asserteq(torch.type(s), 'torch.ShortTensor')
  tester:assertTableEq(sizes(s), {2, 3})
  tester:assertTableEq(flat(s), {1, -2, 300, -32768, 32767, 258})
  local d = data.idx(samples .. '/double_4.idx.gz')
  tester:asserteq(torch.type(d), 'torch.DoubleTensor')
  tester:assertTableEq(flat(d), {0.5, -1.25, 1e300, -0.0})
  tester:asserteq(1 / d[4], -math.huge, 'the sign of -0 survives')
  local b = data.idx(samples .. '/ubyte_2x2x2.idx.gz')
  tester:asserteq(torch.type(b), 'torch.ByteTensor')
  tester:assertTableEq(sizes(b), {2, 2, 2})
  tester:asserteq(b[2][1][2], 200)
  tester:assertTableEq(flat(b), {0, 1, 2, 127, 128, 200, 254, 255})
end

function T.idx_save_round_trip_matches_the_format()
  for _, ty in ipairs(idxtypes) do
    local bytes = idxbytes(ty, {3, 2}, 6)
    local t = data.idx(writefile(tmp('.idx'), bytes))
    local out = tmp('.idx')
    data.saveIdx(out, t)
    tester:asserteq(readfile(out), bytes, ty.name .. ': saveIdx writes the same bytes')
    local gz = tmp('.idx.gz')
    data.saveIdx(gz, t:t())                    -- a transposed (non-contiguous) view
    tester:assertne(readfile(gz):sub(1, 2), bytes:sub(1, 2), 'a .gz name gives a gzip file')
    local back = data.idx(gz)
    tester:assertTableEq(sizes(back), {2, 3})
    tester:assertTableEq(flat(back), flat(t:t()), ty.name .. ': gzipped round trip')
  end
  -- empty dims are allowed: 0 x 5
  local e = tmp('.idx')
  data.saveIdx(e, torch.FloatTensor(0, 5))
  tester:assertTableEq(sizes(data.idx(e)), {0, 5})
  tester:assertErrorPattern(function() data.saveIdx(tmp('.idx'), torch.LongTensor{1}) end,
    "bad argument #2 to 'torch.data.saveIdx'")
  tester:assertErrorPattern(function() data.saveIdx(tmp('.idx'), 3) end, 'tensor expected')
  tester:assertErrorPattern(function() data.saveIdx(nil, torch.ByteTensor{1}) end,
    "bad argument #1 to 'torch.data.saveIdx'")
  tester:assertErrorPattern(function() data.saveIdx('/nonexistent-dir/x.idx', torch.ByteTensor{1}) end,
    'torch.data.saveIdx: /nonexistent%-dir/x.idx: cannot open')
  cleanup()
end

function T.idx_broken_files_are_clear_errors()
  local function bad(bytes, pattern, what, gz)
    local p = writefile(tmp('.idx'), bytes)
    if gz then p = gzipped(p) end
    local esc = p:gsub('%p', '%%%0')
    tester:assertErrorPattern(function() data.idx(p) end, 'torch%.data%.idx: ' .. esc .. ': ' .. pattern, what)
  end
  local good = idxbytes(idxtypes[5], {2, 3}, 6)    -- floats: 12 + 24 bytes
  bad('', 'truncated header: 0 bytes', 'an empty file')
  bad('\0\0', 'truncated header: 2 bytes', 'two bytes')
  bad(string.pack('>BBBBI4', 0, 0, 8, 3, 5), 'truncated header: 3 dimensions need 12 bytes of sizes, the file has 4', 'sizes cut short')
  bad('P5\n28 28\n255\n' .. string.rep('\0', 40), 'not an IDX file: bad magic number 0x50350A32', 'a PGM file')
  bad(string.pack('>BBBBI4', 0, 0, 0x0A, 1, 1) .. '\0', 'unknown IDX element type 0x0A', 'type 0x0A')
  bad(string.pack('>BBBB', 0, 0, 8, 0), 'malformed header: 0 dimensions', 'no dimensions')
  bad(string.pack('>BBBB', 0, 0, 8, 17) .. string.rep('\0\0\0\1', 17), 'malformed header: 17 dimensions', '17 dims')
  bad(good:sub(1, -2), 'truncated: the header gives 2x3 floats %(24 bytes of data%), the file has 23', 'one byte short')
  bad(good:sub(1, -2), 'truncated: the header gives 2x3 floats %(24 bytes of data%), the data stops after 23', 'gzipped, one byte short', true)
  bad(good .. '\0', 'malformed: more data than the header', 'a byte too many')
  bad(good .. '\0', 'malformed: more data than the header', 'gzipped, a byte too many', true)
  bad(string.pack('>BBBBI4I4I4I4', 0, 0, 0x0E, 4, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF),
    'malformed header: sizes 4294967295x4294967295x4294967295x4294967295 overflow', 'sizes overflow')
  -- a header claiming 32 GiB is refused before anything is allocated
  bad(string.pack('>BBBBI4I4', 0, 0, 0x0E, 2, 0xFFFFFFFF, 1) .. '\0\0\0\0',
    'truncated: the header gives 4294967295x1 doubles', 'a huge claim, plain')
  bad(string.pack('>BBBBI4I4', 0, 0, 0x0E, 2, 0xFFFFFFFF, 1) .. '\0\0\0\0',
    'malformed header: sizes 4294967295x1 %(34359738360 bytes%) cannot come from %d+ compressed bytes',
    'a huge claim, gzipped', true)
  -- a gzip stream cut in half
  local noise, r = {string.pack('>BBBBI4I4', 0, 0, 8, 2, 100, 100)}, 1
  for i = 1, 10000 do r = (r * 1103515245 + 12345) % 2147483648; noise[#noise + 1] = string.char(r >> 16 & 255) end
  local gz = readfile(gzipped(writefile(tmp('.idx'), table.concat(noise))))
  tester:assertgt(#gz, 5000, 'noise does not compress')
  local cut = writefile(tmp('.idx.gz'), gz:sub(1, #gz // 2))
  tester:assertErrorPattern(function() data.idx(cut) end, 'torch%.data%.idx: ' .. cut:gsub('%p', '%%%0') .. ': ',
    'a cut gzip stream')
  -- missing, a folder, not a name
  tester:assertErrorPattern(function() data.idx('/nonexistent/x.idx') end,
    'torch.data.idx: /nonexistent/x.idx: cannot open (No such file or directory)')
  tester:assertErrorPattern(function() data.idx(samples) end, 'is a directory')
  tester:assertErrorPattern(function() data.idx(42) end,
    "bad argument #1 to 'torch.data.idx' (file name expected, got number)")
  cleanup()
end

---------------------------------------------------------------------------------------
-- CSV

function T.csv_sample_with_header_and_quotes()
  local t, names = data.csv(samples .. '/sample.csv')
  tester:asserteq(torch.type(t), 'torch.DoubleTensor')
  tester:assertTableEq(sizes(t), {3, 4})
  tester:assertTableEq(names, {'id', 'width, cm', 'height', 'label "a"'})
  tester:assertTableEq(flat(t), {1, 2.5, -3, 7, 2, 1000, 0.125, 8, 3, 4, 0 / 0, 9})
  local f, n2 = data.csv(samples .. '/sample.csv', {type = 'float', columns = {'height', 1}})
  tester:asserteq(torch.type(f), 'torch.FloatTensor')
  tester:assertTableEq(n2, {'height', 'id'})
  tester:assertTableEq(flat(f), {-3, 1, 0.125, 2, 0 / 0, 3})
end

function T.csv_separators_header_detection_and_forms()
  local p = writefile(tmp('.csv'), '1;2;3\r\n\r\n4;5.5;-6e-1\r\n')
  local t, names = data.csv(p, {separator = ';'})
  tester:asserteq(names, nil, 'no header detected in an all-number first line')
  tester:assertTableEq(flat(t), {1, 2, 3, 4, 5.5, -0.6}, 'CRLF and a blank line')
  local h, hn = data.csv(p, {separator = ';', header = true})
  tester:assertTableEq(hn, {'1', '2', '3'}, 'header=true takes the first line')
  tester:assertTableEq(sizes(h), {1, 3})
  local tab = writefile(tmp('.tsv'), 'a\tb\n1\t2\n3\t4\n')
  local tt, tn = data.csv(tab, {separator = '\t', columns = {2}})
  tester:assertTableEq(tn, {'b'})
  tester:assertTableEq(flat(tt), {2, 4})
  -- header=false with a text first line: an error naming line 1
  tester:assertErrorPattern(function() data.csv(tab, {separator = '\t', header = false}) end,
    'line 1, column 1: "a" is not a number')
  -- quoted fields: separators, doubled quotes and a newline inside quotes, numbers in quotes
  local q = writefile(tmp('.csv'), 'name,"x"\n"a, ""b""\nc",1.5\n"d","2"\n')
  local qt = data.csv(q, {columns = {'x'}})
  tester:assertTableEq(flat(qt), {1.5, 2})
  tester:assertErrorPattern(function() data.csv(q) end, 'line 2, column 1 %(\'name\'%): "a, \\"b\\"\\\nc" is not a number')
  -- inf and nan spelled out; only a header
  local s = writefile(tmp('.csv'), 'inf,-Inf,NaN\n')
  local st = data.csv(s)
  tester:asserteq(st[1][1], math.huge)
  tester:asserteq(st[1][2], -math.huge)
  tester:assert(st[1][3] ~= st[1][3], 'NaN')
  local only, on = data.csv(writefile(tmp('.csv'), 'a,b,c\n'))
  tester:assertTableEq(sizes(only), {0, 3})
  tester:assertTableEq(on, {'a', 'b', 'c'})
  cleanup()
end

function T.csv_bad_fields_and_arguments()
  local p = writefile(tmp('.csv'), 'x,y\n1,2\n3,oops\n5,6\n')
  tester:assertErrorPattern(function() data.csv(p) end,
    "line 3, column 2 ('y'): \"oops\" is not a number")
  local t = data.csv(p, {nan = true})
  tester:assertTableEq(flat(t), {1, 2, 3, 0 / 0, 5, 6}, 'nan=true')
  local e = writefile(tmp('.csv'), '1,2\n3,\n')
  tester:assertErrorPattern(function() data.csv(e) end, 'line 2, column 2: "" is not a number')
  local r = writefile(tmp('.csv'), 'a,b\n1,2\n3,4,5\n')
  tester:assertErrorPattern(function() data.csv(r) end, 'line 3: 3 fields, expected 2')
  local u = writefile(tmp('.csv'), 'a,b\n1,"2\n3,4\n')
  tester:assertErrorPattern(function() data.csv(u) end, 'line 2: a quoted field is not closed before the end of the file')
  local g = writefile(tmp('.csv'), 'a,b\n"1"x,2\n')
  tester:assertErrorPattern(function() data.csv(g) end, 'line 2: unexpected "x" after the closing quote of field 1')
  tester:assertErrorPattern(function() data.csv(p, {columns = {'z'}}) end, "no column named 'z' (the header has: x, y)")
  tester:assertErrorPattern(function() data.csv(p, {columns = {3}}) end, 'columns[1] = 3 is not a column (the file has 2)')
  tester:assertErrorPattern(function() data.csv(p, {seperator = ';'}) end,
    "bad argument #2 to 'torch.data.csv' (unknown option 'seperator'")
  tester:assertErrorPattern(function() data.csv(p, {type = 'int'}) end, "type must be 'float' or 'double'")
  tester:assertErrorPattern(function() data.csv(p, {separator = ''}) end, 'separator must be')
  tester:assertErrorPattern(function() data.csv({}) end, "bad argument #1 to 'torch.data.csv' (file name expected, got table)")
  tester:assertErrorPattern(function() data.csv('/nonexistent.csv') end, 'torch.data.csv: /nonexistent.csv: cannot open')
  cleanup()
end

---------------------------------------------------------------------------------------
-- DataLoader

local function dataset(n)
  local x = torch.DoubleTensor(n, 2)
  for i = 1, n do x[i][1], x[i][2] = i, -i end
  return {x = x, y = torch.range(torch.LongTensor(), 1, n)}
end

function T.dataloader_batches_in_order()
  local loader = data.DataLoader(dataset(10), {batchSize = 3})
  tester:asserteq(#loader, 4)
  local got, seen = {}, {}
  for x, y in loader:iter() do
    got[#got + 1] = x:size(1)
    tester:asserteq(torch.type(x), 'torch.DoubleTensor')
    tester:asserteq(torch.type(y), 'torch.LongTensor')
    for i = 1, y:size(1) do
      seen[#seen + 1] = y[i]
      tester:asserteq(x[i][1], y[i], 'x and y rows stay together')
      tester:asserteq(x[i][2], -y[i])
    end
  end
  tester:assertTableEq(got, {3, 3, 3, 1}, 'batch sizes')
  tester:assertTableEq(seen, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 'in order without shuffle')
  -- dropLast, and the plain `for x, y in loader` form (twice: each loop is an epoch)
  local dl = data.DataLoader(dataset(10), {batchSize = 3, dropLast = true})
  tester:asserteq(#dl, 3)
  for epoch = 1, 2 do
    local sizes_ = {}
    for x in dl do sizes_[#sizes_ + 1] = x:size(1) end
    tester:assertTableEq(sizes_, {3, 3, 3}, 'dropLast, epoch ' .. epoch)
  end
  -- breaking out of a loop: the next loop starts again
  for x in dl do break end
  local first
  for _, y in dl do first = first or y[1] end
  tester:asserteq(first, 1)
  -- a batch is a copy: changing it leaves the dataset alone
  local ds = dataset(4)
  for x in data.DataLoader(ds, {batchSize = 4}) do x:fill(0) end
  tester:asserteq(ds.x[4][1], 4)
  tester:asserteq(#data.DataLoader(dataset(6), {batchSize = 6}), 1)
  tester:asserteq(#data.DataLoader(dataset(5), {batchSize = 6, dropLast = true}), 0)
  tester:asserteq(#data.DataLoader(dataset(7)), 7, 'batchSize 1 by default')
end

function T.dataloader_shuffle_reproducible_and_complete()
  local function epoch_order(loader)
    local order = {}
    for x, y in loader:iter() do
      for i = 1, y:size(1) do order[#order + 1] = y[i]; tester:asserteq(x[i][1], y[i]) end
    end
    return order
  end
  local loader = data.DataLoader(dataset(20), {batchSize = 6, shuffle = true})
  torch.manualSeed(42)
  local a1, a2 = epoch_order(loader), epoch_order(loader)
  torch.manualSeed(42)
  local b1 = epoch_order(loader)
  tester:assertTableEq(a1, b1, 'the same seed gives the same order')
  tester:assertTableNe(a1, a2, 'the next epoch is shuffled again')
  local sorted = {table.unpack(a1)}
  table.sort(sorted)
  local want = {}
  for i = 1, 20 do want[i] = i end
  tester:assertTableEq(sorted, want, 'every sample exactly once')
  local inorder = true
  for i = 1, 20 do if a1[i] ~= i then inorder = false end end
  tester:assert(not inorder, 'shuffled')
  -- the order is torch.randperm's
  torch.manualSeed(42)
  local perm = torch.randperm(torch.LongTensor(), 20)
  tester:assertTableEq(flat(perm), a1, 'drawn with torch.randperm')
end

function T.dataloader_seed_and_shards()
  local function epoch_of(loader)
    local ys = {}
    for x, y in loader:iter() do
      for i = 1, y:size(1) do ys[#ys + 1] = y[i]; tester:asserteq(x[i][1], y[i]) end
    end
    return ys
  end
  -- seed: the order depends on (seed, epoch) only, not on torch's generator
  local a = data.DataLoader(dataset(12), {batchSize = 5, shuffle = true, seed = 3})
  torch.manualSeed(1)
  local a1, a2 = epoch_of(a), epoch_of(a)
  tester:asserteq(a.epoch, 3, 'each epoch advances the count')
  local b = data.DataLoader(dataset(12), {batchSize = 5, shuffle = true, seed = 3})
  torch.manualSeed(99)
  tester:assertTableEq(epoch_of(b), a1, 'same seed, same first epoch')
  tester:assertTableNe(a1, a2, 'the next epoch is another order')
  b:setEpoch(2)
  tester:assertTableEq(epoch_of(b), a2, 'setEpoch(2) replays epoch 2')
  tester:assertTableNe(epoch_of(data.DataLoader(dataset(12), {shuffle = true, seed = 4})), a1, 'another seed')
  local sorted = {table.unpack(a1)}
  table.sort(sorted)
  tester:assertTableEq(sorted, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, 'a permutation')
  -- shards without shuffle: rank r of n takes positions r+1, r+1+n, ... of the order,
  -- padded by wrapping so that every rank has ceil(N/n) samples and as many batches
  local got = {}
  for r = 0, 2 do
    local l = data.DataLoader(dataset(10), {batchSize = 3, shard = {rank = r, size = 3}})
    tester:asserteq(#l, 2)
    got[r] = epoch_of(l)
    tester:assertne(tostring(l):find('shard ' .. r .. ' of 3 (4 samples)', 1, true), nil, tostring(l))
  end
  tester:assertTableEq(got[0], {1, 4, 7, 10})
  tester:assertTableEq(got[1], {2, 5, 8, 1}, 'padded by wrapping')
  tester:assertTableEq(got[2], {3, 6, 9, 2})
  -- dropLast: the uneven tail is dropped instead, then the partial batch
  local dl = data.DataLoader(dataset(10), {batchSize = 2, dropLast = true, shard = {rank = 2, size = 3}})
  tester:assertTableEq(epoch_of(dl), {3, 6}, 'floor(10/3) = 3 samples, one batch of 2')
  -- shuffled shards deal out the one-process order of the same seed and epoch
  local whole = epoch_of(data.DataLoader(dataset(12), {shuffle = true, seed = 8, shard = {rank = 0, size = 1}}))
  for r = 0, 3 do
    local part = epoch_of(data.DataLoader(dataset(12), {batchSize = 2, shuffle = true, seed = 8, shard = {rank = r, size = 4}}))
    tester:assertTableEq(part, {whole[r + 1], whole[r + 5], whole[r + 9]}, 'rank ' .. r)
  end
  -- bad options
  local function err(opts, pat)
    local ok, e = pcall(data.DataLoader, dataset(4), opts)
    tester:assert(not ok and tostring(e):find(pat, 1, true), tostring(e))
  end
  err({shard = {rank = 3, size = 3}}, "bad argument #2 to 'torch.data.DataLoader' (shard must be true or {rank = r, size = n} with integers 0 <= r < n, got {rank = 3, size = 3})")
  err({shard = 'yes'}, 'got yes')
  err({seed = 1.5}, "bad argument #2 to 'torch.data.DataLoader' (seed must be an integer, got 1.5)")
  err({seed = 1e20}, "bad argument #2 to 'torch.data.DataLoader' (seed must be an integer, got 1e+20)")
  if not (torch.distributed and torch.distributed.isInitialized()) then
    err({shard = true}, 'which is not initialized: call distributed.init first')
  end
  local ok, e = pcall(a.setEpoch, a, 'x')
  tester:assert(not ok and e:find("bad argument #1 to 'DataLoader:setEpoch' (integer expected, got x)", 1, true), e)
  ok, e = pcall(a.setEpoch, a, 1e300)
  tester:assert(not ok and e:find("(integer expected, got 1e+300)", 1, true), e)
end

function T.dataloader_transform_and_get_datasets()
  local calls = 0
  local loader = data.DataLoader(dataset(5), {batchSize = 2, transform = function(x, y)
    calls = calls + 1
    return x * 2, y + 100
  end})
  local ys, xs = {}, {}
  for x, y in loader do
    for i = 1, y:size(1) do ys[#ys + 1] = y[i]; xs[#xs + 1] = x[i][1] end
  end
  tester:asserteq(calls, 3, 'once per batch')
  tester:assertTableEq(ys, {101, 102, 103, 104, 105})
  tester:assertTableEq(xs, {2, 4, 6, 8, 10})
  -- a transform returning nothing keeps the batch (it may change it in place)
  local l2 = data.DataLoader(dataset(2), {batchSize = 2, transform = function(x) x:mul(-1) end})
  for x, y in l2 do tester:asserteq(x[2][1], -2); tester:asserteq(y[2], 2) end
  -- an object with size() and get(i): tensors are stacked, integers make a LongTensor
  local obj = {size = function() return 5 end,
    get = function(_, i) return torch.FloatTensor{i, i * 10}, i % 3 end}
  local ol = data.DataLoader(obj, {batchSize = 4})
  tester:asserteq(#ol, 2)
  local batches = {}
  for x, y in ol do batches[#batches + 1] = {x, y} end
  tester:asserteq(torch.type(batches[1][1]), 'torch.FloatTensor')
  tester:assertTableEq(sizes(batches[1][1]), {4, 2})
  tester:assertTableEq(flat(batches[1][1]), {1, 10, 2, 20, 3, 30, 4, 40})
  tester:asserteq(torch.type(batches[1][2]), 'torch.LongTensor')
  tester:assertTableEq(flat(batches[1][2]), {1, 2, 0, 1})
  tester:assertTableEq(flat(batches[2][2]), {2})
  -- x alone (a tensor, or {x=...}): y is nil
  for x, y in data.DataLoader(torch.ones(3, 2), {batchSize = 3}) do
    tester:assertTableEq(sizes(x), {3, 2}); tester:asserteq(y, nil)
  end
  tester:assert(tostring(loader):find('5 samples, 3 batches of 2') ~= nil, tostring(loader))
end

function T.dataloader_bad_arguments()
  local DL = data.DataLoader
  tester:assertErrorPattern(function() DL(5) end, "bad argument #1 to 'torch.data.DataLoader' (dataset expected")
  tester:assertErrorPattern(function() DL({x = 3}) end, 'dataset.x must be a tensor')
  tester:assertErrorPattern(function() DL({x = torch.ones(3), y = torch.ones(4)}) end,
    'dataset.y must be a tensor with as many samples as x (3), got 4')
  tester:assertErrorPattern(function() DL(dataset(3), {batchSize = 0}) end, 'batchSize must be a positive integer, got 0')
  tester:assertErrorPattern(function() DL(dataset(3), {batchSize = 1.5}) end, 'batchSize must be a positive integer')
  tester:assertErrorPattern(function() DL(dataset(3), {batchsize = 2}) end, "unknown option 'batchsize'")
  tester:assertErrorPattern(function() DL(dataset(3), {transform = 1}) end, 'transform must be a function')
  tester:assertErrorPattern(function() DL(dataset(3), 'x') end, 'options table expected')
end

---------------------------------------------------------------------------------------
-- Fashion-MNIST

function T.fashion_mnist_missing_folder_names_the_package()
  tester:assertErrorPattern(function() data.fashionMnist('train', '/nonexistent') end,
    'torch.data.fashionMnist: /nonexistent/train-images-idx3-ubyte.gz not found: the Debian package dataset-fashion-mnist')
  tester:assertErrorPattern(function() data.fashionMnist('val') end, "split must be 'train' or 'test'")
  tester:assertErrorPattern(function() data.fashionMnist({float = true, size = 3}) end, "unknown option 'size'")
end

function T.fashion_mnist_from_the_debian_package()
  local dir = data.fashionMnistDir
  local f = io.open(dir .. '/t10k-labels-idx1-ubyte.gz', 'rb')
  if not f then tester:skip('the Debian package dataset-fashion-mnist is not installed (' .. dir .. ')') end
  f:close()
  local x, y, classes = data.fashionMnist('train')
  tester:asserteq(torch.type(x), 'torch.ByteTensor')
  tester:assertTableEq(sizes(x), {60000, 28, 28})
  tester:asserteq(torch.type(y), 'torch.LongTensor')
  tester:assertTableEq(sizes(y), {60000})
  tester:asserteq(y:min(), 1)
  tester:asserteq(y:max(), 10)
  tester:asserteq(y[1], 10, 'the first training image is an ankle boot (label 9 in the file)')
  tester:asserteq(classes[y[1]], 'Ankle boot')
  tester:asserteq(#classes, 10)
  tester:asserteq(x:max(), 255)
  local tx, ty = data.fashionMnist{split = 'test', float = true}
  tester:asserteq(torch.type(tx), 'torch.FloatTensor')
  tester:assertTableEq(sizes(tx), {10000, 28, 28})
  tester:assertTableEq(sizes(ty), {10000})
  tester:asserteq(ty[1], 10)
  tester:asserteq(tx:min(), 0.0)
  tester:asserteq(tx:max(), 1.0)
  tester:asserteq(ty:eq(1):sum(), 1000, 'the test set has 1000 images of each class')
end

tester:add(T)
return tester
