-- torch.Tester and torch.TestSuite (Torch7's tester.md).
--
--   local tester = torch.Tester()
--   local T = torch.TestSuite()
--   function T.sum() tester:eq(torch.Tensor{1,2}:sum(), 3) end
--   tester:add(T)
--   local passed, failed, skipped = tester:run()
--
-- A test passes when all its assertions pass and it raises no error. Each failed
-- assertion is reported with the file:line of the call in the test and a message.
-- Unlike Torch7, run() does not raise when tests fail: it returns the counts.
local torch = require 'torch.core'

local type, pairs, ipairs, tostring, select = type, pairs, ipairs, tostring, select
local abs, huge, floor = math.abs, math.huge, math.floor
local fmt = string.format
local rawmt = debug.getmetatable

local HERE = debug.getinfo(1, 'S').source   -- frames from this file are not "the caller"

---------------------------------------------------------------------------------------
-- TestSuite: a table of tests that refuses duplicate names and keeps definition order
---------------------------------------------------------------------------------------
local suite_mt = {__typename = 'torch.TestSuite'}
local suite_tests = setmetatable({}, {__mode = 'k'})   -- suite -> {names = {}, fns = {}}

suite_mt.__newindex = function(self, name, fn)
  local s = suite_tests[self]
  if s.fns[name] ~= nil then error('Test ' .. tostring(name) .. ' is already defined.', 2) end
  s.fns[name] = fn
  s.names[#s.names + 1] = name
end
suite_mt.__index = function(self, name) return suite_tests[self].fns[name] end
suite_mt.__pairs = function(self)
  local s, i = suite_tests[self], 0
  return function()
    i = i + 1
    local k = s.names[i]
    if k ~= nil then return k, s.fns[k] end
  end, self, nil
end
suite_mt.__len = function(self) return #suite_tests[self].names end
suite_mt.__tostring = function(self) return 'torch.TestSuite (' .. #suite_tests[self].names .. ' tests)' end

function torch.TestSuite()
  local self = setmetatable({}, suite_mt)
  suite_tests[self] = {names = {}, fns = {}}
  return self
end

---------------------------------------------------------------------------------------
-- comparisons
---------------------------------------------------------------------------------------
local function typename(x)
  local mt = rawmt(x)
  local n = mt and rawget(mt, '__typename')
  return type(n) == 'string' and n or nil
end
local function istensor(x)
  if torch.isTensor then return torch.isTensor(x) == true end
  local n = typename(x)
  return n ~= nil and n:find('Tensor$') ~= nil
end
local function isstorage(x)
  local n = typename(x)
  return n ~= nil and n:find('Storage$') ~= nil
end

local function numstr(x)
  if math.type(x) == 'integer' then return tostring(x) end
  if x ~= x then return 'nan' end
  return fmt('%.10g', x)
end

-- a == b within tol; NaN equals NaN and an infinity equals itself
local function numeq(a, b, tol)
  if a == b then return true end
  if a ~= a and b ~= b then return true end
  local d = abs(a - b)
  return d <= tol
end

local function sizes_of(t)
  local s = {}
  for i = 1, t:dim() do s[i] = t:size(i) end
  return s
end
local function sizestr(s)
  if #s == 0 then return '[]' end
  return table.concat(s, 'x')
end

-- values of a tensor (row-major) or storage as a Lua array of numbers
local function values(x)
  if istensor(x) then
    if torch._flatvalues then return torch._flatvalues(x) end
    local v = {}
    local t = x:contiguous():view(x:nElement())
    for i = 1, x:nElement() do v[i] = t[i] end
    return v
  end
  local v = {}
  for i = 1, x:size() do v[i] = x[i] end
  return v
end

-- position of the i-th (1-based) element of a tensor of sizes s, as "(i,j,k)"
local function position(s, i)
  if #s <= 1 then return '[' .. i .. ']' end
  local idx, r = {}, i - 1
  for d = #s, 1, -1 do
    idx[d] = r % s[d] + 1
    r = floor(r / s[d])
  end
  return '(' .. table.concat(idx, ',') .. ')'
end

-- max |a-b| over two equally sized arrays: diff, index, a[index], b[index]
local function maxdiff(va, vb, tol)
  local best, at = -1, nil
  for i = 1, #va do
    local x, y = va[i], vb[i]
    if not numeq(x, y, tol) then
      local d = abs(x - y)
      if d ~= d then d = huge end                 -- NaN against a number
      if d > best then best, at = d, i end
    elseif at == nil then
      local d = abs(x - y)
      if d == d and d > best then best = d end     -- largest difference within tol
    end
  end
  if best < 0 then best = 0 end
  return best, at
end

-- Compares two tensors as float64 (types may differ). Returns ok, detail.
local function tensor_compare(a, b, tol)
  local sa, sb = sizes_of(a), sizes_of(b)
  local same = #sa == #sb
  if same then for i = 1, #sa do if sa[i] ~= sb[i] then same = false end end end
  if not same then
    return false, 'sizes differ: ' .. sizestr(sa) .. ' vs ' .. sizestr(sb), 'size'
  end
  if a:nElement() == 0 then return true, 'max diff=0' end
  -- large tensors: settle the common case (equal within tol, no NaN) with tensor ops
  if a:nElement() > 4096 then
    local ok, d, total = pcall(function()
      local diff = (a:type('torch.DoubleTensor') - b:type('torch.DoubleTensor')):abs()
      return diff:max(), diff:sum()
    end)
    if ok and type(d) == 'number' and total == total and d <= tol then
      return true, fmt('max diff=%s, tolerance=%s', numstr(d), numstr(tol)), d
    end
  end
  local va, vb = values(a), values(b)
  local d, at = maxdiff(va, vb, tol)
  if at then
    if va[at] ~= va[at] or vb[at] ~= vb[at] then d = 0 / 0 end
    return false, fmt('max diff=%s at %s (got %s, expected %s), tolerance=%s', numstr(d),
      position(sa, at), numstr(va[at]), numstr(vb[at]), numstr(tol)), d
  end
  return true, fmt('max diff=%s, tolerance=%s', numstr(d), numstr(tol)), d
end

local function storage_compare(a, b, tol)
  if a:size() ~= b:size() then
    return false, 'storage sizes differ: ' .. a:size() .. ' vs ' .. b:size()
  end
  local va, vb = values(a), values(b)
  local d, at = maxdiff(va, vb, tol)
  if at then
    return false, fmt('max diff=%s at [%d] (got %s, expected %s), tolerance=%s', numstr(d), at,
      numstr(va[at]), numstr(vb[at]), numstr(tol))
  end
  return true
end

local function keystr(k)
  if type(k) == 'string' and k:match('^[%a_][%w_]*$') then return '.' .. k end
  return '[' .. (type(k) == 'string' and fmt('%q', k) or tostring(k)) .. ']'
end

local function show(x)
  if type(x) == 'string' then return fmt('%q', x) end
  if type(x) == 'number' then return numstr(x) end
  local n = typename(x)
  if n and istensor(x) then return n .. ' of size ' .. sizestr(sizes_of(x)) end
  return tostring(x)
end

-- Deep comparison: ok, detail (where and how they differ). `key` is the path of
-- table keys to a and b (".weight[2]").
local function compare(a, b, tol, key, seen)
  local path = key ~= '' and ('at ' .. key .. ': ') or ''
  local ta, tb = type(a), type(b)
  local at, bt = istensor(a), istensor(b)
  if at or bt then
    if at and bt then
      local ok, d = tensor_compare(a, b, tol)
      if ok then return true end
      return false, path .. d
    end
    -- a one-element tensor against a number compares the value
    local t, n = a, b
    if bt then t, n = b, a end
    if type(n) == 'number' and t:nElement() == 1 then
      local v = values(t)[1]
      local x, y = v, n
      if bt then x, y = n, v end
      if numeq(x, y, tol) then return true end
      return false, fmt('%sgot %s, expected %s, tolerance=%s', path, numstr(x), numstr(y), numstr(tol))
    end
    return false, path .. 'cannot compare ' .. show(a) .. ' with ' .. show(b)
  end
  if ta == 'number' and tb == 'number' then
    if numeq(a, b, tol) then return true end
    return false, fmt('%sgot %s, expected %s, diff=%s, tolerance=%s', path, numstr(a), numstr(b),
      numstr(abs(a - b)), numstr(tol))
  end
  if isstorage(a) and isstorage(b) then
    local ok, d = storage_compare(a, b, tol)
    if ok then return true end
    return false, path .. d
  end
  if ta == 'table' and tb == 'table' then
    if rawequal(a, b) then return true end
    seen = seen or {}
    if seen[a] == b then return true end
    seen[a] = b
    local na, nb = typename(a), typename(b)
    if na ~= nb then
      return false, fmt('%stypes differ: %s vs %s', path, na or 'table', nb or 'table')
    end
    for k, v in pairs(a) do
      local w = b[k]
      if w == nil then return false, fmt('%s is missing in the expected value', key .. keystr(k)) end
      local ok, d = compare(v, w, tol, key .. keystr(k), seen)
      if not ok then return false, d end
    end
    for k in pairs(b) do
      if a[k] == nil then return false, fmt('%s is missing in the value got', key .. keystr(k)) end
    end
    return true
  end
  if ta ~= tb then
    return false, fmt('%stypes differ: got %s (%s), expected %s (%s)', path, ta, show(a), tb, show(b))
  end
  if a == b then return true end
  return false, fmt('%sgot %s, expected %s', path, show(a), show(b))
end

---------------------------------------------------------------------------------------
-- Tester
---------------------------------------------------------------------------------------
local Tester = torch.class('torch.Tester', torch)

function Tester:__init()
  self.tests = {}          -- {name=, fn=} in the order added
  self.testnames = {}      -- name -> true
  self.disabled = {}
  self.earlyAbort = false
  self.rethrow = false
  self.summaryOnly = false
  self.quiet = false
  self.label = nil
  self._cur = nil
  self._orphans = {}       -- failures of assertions made outside a running test
  self.skipReason = nil    -- when set, run() skips every test and says why
end

-- add(f, name) / add(table): tests, a TestSuite, or nested tables of tests
function Tester:add(f, name)
  if type(f) == 'table' then
    if name ~= nil then error('Tester:add: a table of tests takes no name', 2) end
    local keys = {}
    for k in pairs(f) do keys[#keys + 1] = k end
    if getmetatable(f) ~= suite_mt then
      table.sort(keys, function(x, y) return tostring(x) < tostring(y) end)
    end
    for _, k in ipairs(keys) do
      local v = f[k]
      if type(v) == 'table' then self:add(v)
      elseif type(v) == 'function' then self:add(v, k)
      else error('Tester:add: test ' .. tostring(k) .. ' is not a function', 2) end
    end
    return self
  end
  if type(f) ~= 'function' then
    error('Tester:add expects a function or a table of functions, got ' .. type(f), 2)
  end
  if type(name) ~= 'string' then error('Tester:add: a test function needs a name', 2) end
  if name == '_setUp' then self._setUp = f; return self end
  if name == '_tearDown' then self._tearDown = f; return self end
  if self.testnames[name] then error('Test with name ' .. name .. ' already exists!', 2) end
  self.testnames[name] = true
  self.tests[#self.tests + 1] = {name = name, fn = f}
  return self
end

function Tester:disable(names)
  if type(names) == 'string' then names = {names} end
  for _, n in ipairs(names) do
    if not self.testnames[n] then error('Tester:disable: no test named ' .. tostring(n), 2) end
    self.disabled[n] = true
  end
  return self
end

function Tester:setEarlyAbort(v) self.earlyAbort = v and true or false; return self end
function Tester:setRethrowErrors(v) self.rethrow = v and true or false; return self end
function Tester:setSummaryOnly(v) self.summaryOnly = v and true or false; return self end
-- quiet: no progress lines; failing tests print as "FAIL label:test" then their failures
function Tester:setQuiet(v) self.quiet = v and true or false; return self end
function Tester:setLabel(label) self.label = label; return self end

-- file:line of the assertion's call, and where that was called from inside the test
-- when the call sits in a helper: "t.lua:37 (called from line 52)"
local function caller()
  local where, src, from = nil, nil, {}
  for level = 3, 60 do
    local info = debug.getinfo(level, 'Sl')
    if not info then break end
    if info.source == HERE or info.what == 'C' then
      if where then break end
    elseif not where then
      where, src = info.short_src .. ':' .. (info.currentline or '?'), info.source
    elseif #from < 4 then
      from[#from + 1] = info.source == src and tostring(info.currentline)
        or (info.short_src .. ':' .. (info.currentline or '?'))
    end
  end
  if not where then return '?' end
  if #from == 0 then return where end
  return where .. ' (called from ' .. (#from == 1 and 'line ' or 'lines ') .. table.concat(from, ', ') .. ')'
end

-- every assertion ends here: records the outcome, returns it
function Tester:_check(ok, message, detail)
  local cur = self._cur
  if cur then cur.nasserts = cur.nasserts + 1 end
  if ok then return true end
  local text = detail
  if message and message ~= '' then text = tostring(message) .. ': ' .. detail end
  local f = {where = caller(), text = text}
  if cur then
    cur.failures[#cur.failures + 1] = f
  else
    self._orphans[#self._orphans + 1] = f
    io.stderr:write(f.where .. ': ' .. f.text .. '\n')
  end
  return false
end

-- (tolerance, message) in either order
local function tolmsg(x, y, def)
  if type(x) == 'number' then return x, y end
  if type(y) == 'number' then return y, x end
  return def, x
end

function Tester:assert(cond, message)
  return self:_check(cond and true or false, message, 'BOOL violation: condition=' .. tostring(cond))
end

local function ordered(op, name, test)
  return function(self, a, b, message)
    if type(a) ~= 'number' or type(b) ~= 'number' then
      return self:_check(false, message, fmt('%s violation: numbers expected, got %s and %s',
        name, type(a), type(b)))
    end
    return self:_check(test(a, b), message,
      fmt('%s violation: a=%s, b=%s (expected a %s b)', name, numstr(a), numstr(b), op))
  end
end
Tester.assertlt = ordered('<', 'LT(<)', function(a, b) return a < b end)
Tester.assertgt = ordered('>', 'GT(>)', function(a, b) return a > b end)
Tester.assertle = ordered('<=', 'LE(<=)', function(a, b) return a <= b end)
Tester.assertge = ordered('>=', 'GE(>=)', function(a, b) return a >= b end)

function Tester:asserteq(a, b, message)
  return self:_check(a == b, message, fmt('EQ(==) violation: a=%s, b=%s', show(a), show(b)))
end

function Tester:assertne(a, b, message)
  return self:_check(a ~= b, message, fmt('NE(~=) violation: a=%s, b=%s', show(a), show(b)))
end

function Tester:assertalmosteq(a, b, x, y)
  local tol, message = tolmsg(x, y, 1e-16)
  if type(a) ~= 'number' or type(b) ~= 'number' then
    return self:_check(false, message, 'ALMOST_EQ violation: numbers expected, got '
      .. type(a) .. ' and ' .. type(b))
  end
  return self:_check(numeq(a, b, tol), message, fmt('ALMOST_EQ violation: a=%s, b=%s, diff=%s, tolerance=%s',
    numstr(a), numstr(b), numstr(abs(a - b)), numstr(tol)))
end

-- eq(got, expected [, tolerance] [, message]): numbers, strings, tables (deep),
-- tensors and storages (elementwise, as float64, sizes must match)
function Tester:assertGeneralEq(got, expected, x, y)
  local tol, message = tolmsg(x, y, 0)
  local ok, detail = compare(got, expected, tol, '')
  return self:_check(ok, message, ok and '' or ('EQ(==) violation: ' .. detail))
end
Tester.eq = Tester.assertGeneralEq

function Tester:assertGeneralNe(got, unexpected, x, y)
  local tol, message = tolmsg(x, y, 0)
  local ok = compare(got, unexpected, tol, '')
  return self:_check(not ok, message, fmt('NE(~=) violation: %s equals %s (tolerance=%s)',
    show(got), show(unexpected), numstr(tol)))
end
Tester.ne = Tester.assertGeneralNe

function Tester:assertTensorEq(ta, tb, x, y)
  local tol, message = tolmsg(x, y, 1e-16)
  if not (istensor(ta) and istensor(tb)) then
    return self:_check(false, message, 'TensorEQ(==) violation: tensors expected, got '
      .. torch.type(ta) .. ' and ' .. torch.type(tb))
  end
  local ok, detail = tensor_compare(ta, tb, tol)
  return self:_check(ok, message, 'TensorEQ(==) violation: ' .. tostring(detail))
end

function Tester:assertTensorNe(ta, tb, x, y)
  local tol, message = tolmsg(x, y, 1e-16)
  if not (istensor(ta) and istensor(tb)) then
    return self:_check(false, message, 'TensorNE(~=) violation: tensors expected, got '
      .. torch.type(ta) .. ' and ' .. torch.type(tb))
  end
  local ok, detail = tensor_compare(ta, tb, tol)
  return self:_check(not ok, message, 'TensorNE(~=) violation: ' .. tostring(detail))
end

function Tester:assertTableEq(ta, tb, x, y)
  local tol, message = tolmsg(x, y, 0)
  if type(ta) ~= 'table' or type(tb) ~= 'table' then
    return self:_check(false, message, 'TableEQ(==) violation: tables expected, got '
      .. type(ta) .. ' and ' .. type(tb))
  end
  local ok, detail = compare(ta, tb, tol, '')
  return self:_check(ok, message, ok and '' or ('TableEQ(==) violation: ' .. detail))
end

function Tester:assertTableNe(ta, tb, x, y)
  local tol, message = tolmsg(x, y, 0)
  if type(ta) ~= 'table' or type(tb) ~= 'table' then
    return self:_check(false, message, 'TableNE(~=) violation: tables expected, got '
      .. type(ta) .. ' and ' .. type(tb))
  end
  local ok = compare(ta, tb, tol, '')
  return self:_check(not ok, message, 'TableNE(~=) violation: the tables are equal')
end

local function errstr(e)
  if type(e) == 'string' then return e end
  local ok, s = pcall(tostring, e)
  return ok and s or '(error object)'
end

function Tester:assertError(f, message)
  local ok = pcall(f)
  return self:_check(not ok, message, 'ERROR violation: no error was raised')
end

function Tester:assertNoError(f, message)
  local ok, err = pcall(f)
  return self:_check(ok, message, 'ERROR violation: err=' .. (ok and '' or errstr(err)))
end

-- the error message without the "chunk:line: " position Lua puts in front
local function bare(msg)
  return (msg:gsub('^[^\n]-:%d+: ', '', 1))
end

function Tester:assertErrorMsg(f, errmsg, message)
  local ok, err = pcall(f)
  if ok then return self:_check(false, message, 'ErrorMsg violation: no error was raised') end
  local e = errstr(err)
  return self:_check(e == errmsg or bare(e) == errmsg, message,
    fmt('ErrorMsg violation: got %q, expected %q', e, tostring(errmsg)))
end

-- passes when the error message matches the Lua pattern, or contains it literally
function Tester:assertErrorPattern(f, pattern, message)
  local ok, err = pcall(f)
  if ok then
    return self:_check(false, message, fmt('ErrorPattern violation: no error was raised (pattern %q)',
      tostring(pattern)))
  end
  local e = errstr(err)
  local okp, hit = pcall(string.find, e, pattern)
  local found = (okp and hit) or e:find(pattern, 1, true)
  return self:_check(found and true or false, message,
    fmt('ErrorPattern violation: error %q does not match %q', e, tostring(pattern)))
end

function Tester:assertErrorObj(f, errcomp, message)
  local ok, err = pcall(f)
  if ok then return self:_check(false, message, 'ErrorObj violation: no error was raised') end
  return self:_check(errcomp(err) and true or false, message,
    'ErrorObj violation: unexpected error object ' .. errstr(err))
end

-- tester:skip(reason) inside a test ends it and counts it as skipped
local skip_mt = {__tostring = function(s) return 'skipped: ' .. s.reason end}
function Tester:skip(reason)
  error(setmetatable({reason = tostring(reason or '')}, skip_mt), 0)
end

---------------------------------------------------------------------------------------
-- running
---------------------------------------------------------------------------------------
local function matches(name, patterns)
  if not patterns then return true end
  for _, p in ipairs(patterns) do
    if name == p then return true end
    local ok, hit = pcall(string.find, name, p)
    if (ok and hit) or name:find(p, 1, true) then return true end
  end
  return false
end

-- the traceback of an error inside a test, cut at the test runner's frames
local function trace(err)
  if getmetatable(err) == skip_mt then return err end
  local tb = debug.traceback('', 2)
  local lines = {}
  for line in tb:gmatch('[^\n]+') do
    if line:find("in function 'xpcall'", 1, true) then break end
    if not line:find('^stack traceback:') and not line:find("in function 'error'", 1, true) then
      lines[#lines + 1] = line
    end
  end
  if #lines > 8 then lines = {table.unpack(lines, 1, 8)} end
  return {message = errstr(err), traceback = table.concat(lines, '\n')}
end

function Tester:_runone(t)
  local cur = {name = t.name, nasserts = 0, failures = {}}
  self._cur = cur
  local function call(f, ...)
    local args = table.pack(...)
    if self.rethrow then f(table.unpack(args, 1, args.n)); return true end
    local ok, e = xpcall(f, trace, table.unpack(args, 1, args.n))
    if ok then return true end
    if getmetatable(e) == skip_mt then cur.skipped = e.reason
    else cur.error = cur.error or e end
    return false
  end
  if not self._setUp or call(self._setUp, t.name) then
    call(t.fn)
    if self._tearDown then call(self._tearDown, t.name) end
  end
  self._cur = nil
  return cur
end

local function dots(prefix, status)
  local n = 80 - #prefix - #status - 2
  if n < 3 then n = 3 end
  return prefix .. ' ' .. string.rep('.', n) .. ' ' .. status
end

local function report_lines(r)
  local out = {}
  for _, f in ipairs(r.failures) do out[#out + 1] = '  ' .. f.where .. ': ' .. f.text end
  if r.error then
    out[#out + 1] = '  ERROR: ' .. r.error.message
    if r.error.traceback ~= '' then
      out[#out + 1] = (r.error.traceback:gsub('\n', '\n  '):gsub('^', '  '))
    end
  end
  return out
end

-- runCounts([names]): runs the tests (those whose names match one of `names`, a string or
-- a list of Lua patterns, when given). Returns passed, failed, skipped.
function Tester:runCounts(names)
  if type(names) == 'string' then names = {names} end
  local selected = {}
  for _, t in ipairs(self.tests) do
    if matches(t.name, names) then selected[#selected + 1] = t end
  end
  local write = function(s) io.write(s, '\n'); io.flush() end
  local label = self.label and (self.label .. ':') or ''
  local npass, nfail, nerr, nskip, nasserts = 0, 0, 0, 0, 0
  local results = {}
  if #self._orphans > 0 then
    results[#results + 1] = {name = '(outside tests)', nasserts = 0, failures = self._orphans}
    self._orphans = {}
    nfail = nfail + 1
    if self.quiet then
      write('FAIL ' .. label .. '(outside tests)')
      for _, l in ipairs(report_lines(results[#results])) do write(l) end
    end
  end
  if not self.quiet then
    write('Running ' .. #selected .. ' test' .. (#selected == 1 and '' or 's'))
  end
  -- tester.skipReason set (by a file that cannot run here): every test is skipped
  if self.skipReason then
    local reason = tostring(self.skipReason)
    local n = #selected
    if n == 0 and not names then n = 1 end      -- a file that added no tests: one skip
    if n == 0 then return 0, 0, 0 end
    if self.quiet then write('SKIP ' .. (self.label or 'tests') .. ' (' .. reason .. ')')
    else write('Skipping ' .. n .. ' test' .. (n == 1 and '' or 's') .. ': ' .. reason) end
    return 0, 0, n
  end
  local width = #tostring(#selected)
  for i, t in ipairs(selected) do
    local prefix = fmt('%' .. width .. 'd/%d %s', i, #selected, t.name)
    local r, status
    if self.disabled[t.name] then
      r = {name = t.name, nasserts = 0, failures = {}, skipped = 'disabled'}
    else
      r = self:_runone(t)
    end
    nasserts = nasserts + r.nasserts
    if r.error then status = 'ERROR'; nerr = nerr + 1
    elseif #r.failures > 0 then status = 'FAIL'; nfail = nfail + 1
    elseif r.skipped then status = 'SKIP'; nskip = nskip + 1
    else status = 'PASS'; npass = npass + 1 end
    if status == 'FAIL' or status == 'ERROR' then results[#results + 1] = r end
    if self.quiet then
      if status == 'FAIL' or status == 'ERROR' then
        write('FAIL ' .. label .. t.name)
        for _, l in ipairs(report_lines(r)) do write(l) end
      elseif status == 'SKIP' then
        write('SKIP ' .. label .. t.name .. ' (' .. r.skipped .. ')')
      end
    else
      write(dots(prefix, '[' .. status .. ']'))
    end
    if self.earlyAbort and (status == 'FAIL' or status == 'ERROR') then break end
  end
  if not self.quiet then
    write(fmt('Completed %d assert%s in %d test%s with %d failure%s and %d error%s%s', nasserts,
      nasserts == 1 and '' or 's', #selected, #selected == 1 and '' or 's', nfail,
      nfail == 1 and '' or 's', nerr, nerr == 1 and '' or 's',
      nskip > 0 and (' and ' .. nskip .. ' skipped') or ''))
    if not self.summaryOnly and #results > 0 then
      local bar = string.rep('-', 80)
      write(bar)
      for _, r in ipairs(results) do
        write(r.name)
        for _, l in ipairs(report_lines(r)) do write(l) end
        write(bar)
      end
    end
  end
  return npass, nfail + nerr, nskip
end

-- run([names]): Torch7's: runs the tests and raises an error when any failed, so a test
-- script exits with a failure status. Returns passed, failed, skipped otherwise.
function Tester:run(names)
  local npass, nfail, nskip = self:runCounts(names)
  if nfail > 0 then error('An error was found while running tests!', 2) end
  return npass, nfail, nskip
end
