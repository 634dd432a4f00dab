-- What the tests that run a script in a child th process share (not a test itself: the
-- runner only runs test_*.lua). A test loads it from its own directory:
--   local child = dofile((debug.getinfo(1, 'S').source:match('^@(.*)/[^/]*$') or 'tests/lua') .. '/child_th.lua')
-- child.th: the th running these tests (nil when not run by th: the test then skips, see
--   child.skip); child.root: the checkout; child.shquote(s): s quoted for sh;
-- child.run(script, args, env) -> exit code, stdout and stderr together: th runs
--   root/script with args (a string, already quoted), env ('NAME=value ...') before it.
local child = {}

-- the th running these tests: arg[-1] (th tests/run.lua), else the parent of a shell
local function findth()
  local th = arg and arg[-1]
  if th and th:match('th$') then return th end
  local p = io.popen('readlink /proc/$PPID/exe 2>/dev/null')
  th = p and p:read('l')
  if p then p:close() end
  if th and th:match('/th$') then return th end
  return nil
end

child.th = findth()
child.root = ((arg and arg[0] or ''):match('^(.*)/tests/[^/]*$')) or '.'

function child.shquote(s) return "'" .. s:gsub("'", "'\\''") .. "'" end

function child.run(script, args, env)
  local out = os.tmpname()
  local line = string.format('%s%s %s %s >%s 2>&1', env and (env .. ' ') or '', child.shquote(child.th),
    child.shquote(child.root .. '/' .. script), args or '', child.shquote(out))
  local _, _, code = os.execute(line)
  local f = io.open(out)
  local text = f and f:read('a') or ''
  if f then f:close() end
  os.remove(out)
  return code, text
end

-- the tester to return when there is no th: suite T skipped, saying why
function child.skip(tester, T, why)
  tester.skipReason = why
  tester:add(T)
  return tester
end

return child
