-- The Lua test runner: th tests/run.lua [filter]
--
-- Runs every tests/lua/test_*.lua. Each file returns a torch.Tester (see
-- docs/HELPERS.md); the runner runs it, prints "FAIL file:test" with the failed
-- assertions for each failing test, a count line per file, and last the line
-- "lua: N passed, N failed" (", N skipped" added when tests skipped).
-- The filter selects files whose name contains it, or else tests whose name matches it
-- in every file; "file:test" selects tests in one file. Exit status 1 when a test fails.
torch = torch or require 'torch'

local filter = arg and arg[1]
local here = (arg and arg[0] or 'tests/run.lua'):match('^(.*)/[^/]*$') or '.'
local dir = here .. '/lua'

local function listfiles()
  local files = {}
  local p = io.popen('ls "' .. dir .. '" 2>/dev/null')
  if p then
    for name in p:lines() do
      if name:match('^test_.*%.lua$') then files[#files + 1] = name end
    end
    p:close()
  end
  table.sort(files)
  return files
end

-- which files, and which tests in them
local filefilter, testfilter
if filter and filter ~= '' then
  local f, t = filter:match('^([^:]*):(.*)$')
  if f then filefilter, testfilter = f, (t ~= '' and t or nil)
  else filefilter = filter end
end

local files = listfiles()
local selected = {}
if filefilter then
  for _, f in ipairs(files) do
    if f:find(filefilter, 1, true) then selected[#selected + 1] = f end
  end
  if #selected == 0 and not testfilter then       -- not a file name: a test name
    selected, testfilter = files, filefilter
  end
else
  selected = files
end

local clock = os.clock
if torch.Timer then
  local timer = torch.Timer()
  clock = function() return timer:time().real end
end
local total_pass, total_fail, total_skip = 0, 0, 0
local default_type = torch.getdefaulttensortype and torch.getdefaulttensortype()

for _, file in ipairs(selected) do
  local path = dir .. '/' .. file
  local t0 = clock()
  -- each file runs with its own globals (reads fall through to the real ones)
  local env = setmetatable({}, {__index = _G})
  local chunk, err = loadfile(path, 't', env)
  local ok, tester = false, nil
  if chunk then ok, tester = xpcall(chunk, debug.traceback) else tester = err end
  local np, nf, ns
  if not ok then
    print('FAIL ' .. file .. ' (the file did not load)')
    print('  ' .. tostring(tester):gsub('\n', '\n  '))
    np, nf, ns = 0, 1, 0
  elseif torch.typename(tester) ~= 'torch.Tester' then
    print('FAIL ' .. file .. ' (the file must return a torch.Tester, got ' .. torch.type(tester) .. ')')
    np, nf, ns = 0, 1, 0
  else
    tester:setQuiet(true)
    tester:setLabel(file)
    local rok, a, b, c = xpcall(tester.runCounts, debug.traceback, tester, testfilter)
    if rok then
      np, nf, ns = a, b, c or 0
    else
      print('FAIL ' .. file .. ' (the tester raised an error)')
      print('  ' .. tostring(a):gsub('\n', '\n  '))
      np, nf, ns = 0, 1, 0
    end
  end
  if default_type and torch.getdefaulttensortype() ~= default_type then
    torch.setdefaulttensortype(default_type)
  end
  collectgarbage()
  if np + nf + ns > 0 or not testfilter then
    print(string.format('%s: %d passed, %d failed%s (%.2fs)', file, np, nf,
      ns > 0 and (', ' .. ns .. ' skipped') or '', clock() - t0))
  end
  total_pass, total_fail, total_skip = total_pass + np, total_fail + nf, total_skip + ns
end

local matched = total_pass + total_fail + total_skip > 0
if filter and not matched then
  print("no test file or test matches '" .. filter .. "'")
  total_fail = total_fail + 1
end
print(string.format('lua: %d passed, %d failed%s', total_pass, total_fail,
  total_skip > 0 and (', ' .. total_skip .. ' skipped') or ''))
io.stdout:flush()
os.exit(total_fail == 0 and 0 or 1)
