-- Readers of untrusted files (torch.load, torch.loadSafetensors, torch.data.idx,
-- torch.data.csv): the inputs the file fuzzers (tests/fuzz, `make fuzz-files`) found
-- or that were written for what they showed, each with the clear error (or the value)
-- expected; then every seed and stored regression input replayed through its reader,
-- as the fuzz harnesses do, which must load or fail with the reader's own message.
require 'nn'
local tester = torch.Tester()
local T = torch.TestSuite()

local here = debug.getinfo(1, 'S').source:match('^@(.*)/[^/]*$') or 'tests/lua'
local fuzzdir = here .. '/../fuzz'
local regress = fuzzdir .. '/regressions'

local tmpfiles = {}
local function tmp(suffix)
  local p = os.tmpname()
  os.remove(p)
  p = p .. suffix
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

-- the error of f(...) (fails the test when f succeeds)
local function errorof(f, ...)
  local ok, err = pcall(f, ...)
  tester:assert(not ok, 'an error expected')
  return tostring(err)
end

-- .t7: a class that is a C type (torch.Timer) used to load as a table carrying the
-- userdata metatable, an object every method refused ("torch.Timer expected, got torch.Timer")
function T.t7_c_type_class_refused()
  local err = errorof(torch.load, regress .. '/t7/c_type_class.t7')
  tester:assert(err:find('torch.load: class <torch.Timer> is a C type', 1, true) ~= nil, err)
end

-- .t7: sizes {2, 2^63-1} with strides {0, 0}: the element count wrapped in int64 and slipped
-- past the "absurd expanded view" check (the engine refused it later, less clearly)
function T.t7_wrapping_element_count_refused()
  local err = errorof(torch.load, regress .. '/t7/wrapping_numel.t7')
  tester:assert(err:find('^torch%.load: a torch%.FloatTensor of %d+ elements over a storage of 1 elements') ~= nil, err)
end

-- .t7: a BoolStorage holding bytes 2 and 255 loaded them as they were, a BoolTensor whose
-- "true" elements summed to 258 and compared unequal to true; bytes are made 0 or 1
function T.t7_bool_bytes_normalized()
  local t = torch.load(regress .. '/t7/bool_bytes.t7')
  tester:asserteq(torch.type(t), 'torch.BoolTensor')
  tester:asserteq(t:nElement(), 3)
  tester:assertTableEq(t:int():totable(), { 1, 1, 1 })
  tester:asserteq(t:eq(true):sum(), 3)
  -- ascii reads bool bytes raw too
  local s = torch.serialize(torch.BoolTensor({ true, false, true }), 'ascii')
  local bad = s:gsub('\1\0\1\n', '\7\0\255\n')
  tester:assertne(bad, s, 'the ascii bytes were found')
  tester:assertTableEq(torch.deserialize(bad, 'ascii'):int():totable(), { 1, 0, 1 })
end

-- safetensors: shape [5, 0] in an empty data area is a valid empty tensor; the element
-- count stopped at "more than the file" on the 5 before it saw the 0
function T.safetensors_zero_after_nonzero_dim()
  local r = torch.loadSafetensors(regress .. '/safetensors/zero_dim_last.safetensors')
  tester:asserteq(torch.type(r.a), 'torch.FloatTensor')
  tester:asserteq(r.a:dim(), 2)
  tester:asserteq(r.a:size(1), 5)
  tester:asserteq(r.a:size(2), 0)
  -- a count too large for the file is still refused, with the tensor named
  local h = '{"b":{"dtype":"F32","shape":[5,3],"data_offsets":[0,0]}}'
  local p = writefile(tmp('.safetensors'), string.pack('<I8', #h) .. h)
  local err = errorof(torch.loadSafetensors, p)
  tester:assert(err:find('tensor "b": data_offsets [0, 0] hold 0 bytes, but shape [5, 3] of F32 needs more than the file', 1, true) ~= nil, err)
  cleanup()
end

-- CSV: quoted fields spanning lines, closing and opening again (the record is split again
-- only from the open field, so this must still give the same fields)
function T.csv_multiline_fields()
  local t = torch.data.csv(regress .. '/csv/multiline_reopen.csv', { nan = true })
  tester:asserteq(t:size(1), 2)
  tester:asserteq(t:size(2), 3)
  tester:asserteq(t[1][1], 1)
  tester:assert(t[1][2] ~= t[1][2], 'a multi-line text field is NaN')
  tester:asserteq(t[1][3], 3)
  tester:asserteq(t[2][1], 4)
  tester:asserteq(t[2][2], 5)
  tester:asserteq(t[2][3], 6)
  local err = errorof(torch.data.csv, regress .. '/csv/multiline_reopen.csv')
  tester:assert(err:find("line 2, column 2 ('b'): \"2\\\n\\\"\\\n\" is not a number", 1, true) ~= nil, err)
end

-- CSV: a quote left open over many lines re-split the whole record on every line
-- (quadratic: minutes for a few MB); now each line is looked at once
function T.csv_long_open_quote()
  local p = writefile(tmp('.csv'), 'a,b\n1,"x' .. string.rep('""\n', 200000))
  local err = errorof(torch.data.csv, p)
  tester:assert(err:find('line 2: a quoted field is not closed before the end of the file', 1, true) ~= nil, err)
  -- the same field closed at the end: one record, the field's text kept whole
  writefile(p, 'a,b\n1,"x' .. string.rep('""\n', 200000) .. '"\n2,3\n')
  local t = torch.data.csv(p, { nan = true })
  tester:asserteq(t:size(1), 2)
  tester:assert(t[1][2] ~= t[1][2], 'the long field is text')
  tester:asserteq(t[2][2], 3)
  cleanup()
end

-- every seed and regression input through its reader, as tests/fuzz/fuzz_<reader>.c
-- does: a value, or an error that starts with the reader's name
local readers = {
  t7 = { prefix = 'torch.load: ', calls = { function(p) return torch.load(p) end,
                                           function(p) return torch.load(p, 'ascii') end } },
  safetensors = { prefix = 'torch.loadSafetensors: ', calls = { torch.loadSafetensors } },
  idx = { prefix = 'torch.data.idx: ', calls = { torch.data.idx } },
  csv = { prefix = 'torch.data.csv: ', calls = { torch.data.csv,
    function(p) return torch.data.csv(p, { header = true, separator = ';', nan = true, columns = { 1 } }) end } },
}

local function files(dir)
  local list = {}
  local pipe = io.popen('ls "' .. dir .. '" 2>/dev/null')
  for name in pipe:lines() do list[#list + 1] = dir .. '/' .. name end
  pipe:close()
  return list
end

function T.corpus_and_regressions_replay()
  local loaded, refused = 0, 0
  for name, r in pairs(readers) do
    local list = files(fuzzdir .. '/corpus/' .. name)
    tester:assert(#list > 0, 'seeds for ' .. name)
    for _, p in ipairs(files(regress .. '/' .. name)) do list[#list + 1] = p end
    for _, p in ipairs(list) do
      for _, call in ipairs(r.calls) do
        local ok, err = pcall(call, p)
        if ok then loaded = loaded + 1
        else
          refused = refused + 1
          local msg = tostring(err):gsub('^[^ ]-:%d+: ', '')
          tester:assert(msg:sub(1, #r.prefix) == r.prefix, p .. ': ' .. tostring(err))
        end
      end
    end
  end
  tester:assert(loaded > 40, 'most seeds load (' .. loaded .. ')')
  tester:assert(refused > 0, 'the hand-made bad seeds are refused')
end

tester:add(T)
return tester
