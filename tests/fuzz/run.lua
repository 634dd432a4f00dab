-- The API fuzzer's driver: th tests/fuzz/run.lua [--th PATH] [--seed S] [--seconds N]
--                                             [--batch N] [--timeout N] [--memory MB]
--
-- Runs tests/fuzz/api.lua in child processes, one batch of calls each, until --seconds
-- have passed (default 60), each child limited in time (--timeout seconds a batch, the
-- watchdog for hangs) and memory (--memory MiB of address space through ulimit -v, so
-- that a call asking for a huge tensor gets a clean "out of memory" error instead of the
-- machine's memory; under AddressSanitizer, which reserves terabytes of address space,
-- the limit is passed to ASan instead). Children run in a temporary directory, where
-- calls like torch.save('abc', t) write their files.
--
-- A child that dies on a signal, exits early, runs out of time or reports a sanitizer
-- error is a failure: the driver prints the seed, the call number and the call as Lua
-- code, checks whether that call alone reproduces it, and carries on after it.
-- Ends with "fuzz: N passed, N failed" (batches).
torch = torch or require 'torch'

local opts = { th = nil, seed = '1', seconds = '60', batch = '400', timeout = '10', memory = '3072' }
do
  local i = 1
  while arg and i <= #arg do
    local k = arg[i]:match('^%-%-(.*)$')
    if not k or opts[k] == nil and k ~= 'th' then
      io.stderr:write('usage: th tests/fuzz/run.lua [--th PATH] [--seed S] [--seconds N] [--batch N] [--timeout N] [--memory MB]\n')
      os.exit(2)
    end
    opts[k] = arg[i + 1]
    i = i + 2
  end
end

local here = (arg and arg[0] or 'tests/fuzz/run.lua'):match('^(.*)/[^/]*$') or '.'
local function abspath(p)
  if p:sub(1, 1) == '/' then return p end
  local pwd = os.getenv('PWD') or io.popen('pwd'):read('l')
  return pwd .. '/' .. p
end
local api = abspath(here .. '/api.lua')
local th = abspath(opts.th or (os.getenv('TH') or 'build/bin/th'))
local seed = math.tointeger(tonumber(opts.seed)) or error('--seed: an integer expected')
local seconds = tonumber(opts.seconds)
local batch = math.tointeger(tonumber(opts.batch))
local timeout = math.tointeger(tonumber(opts.timeout))
local memory = math.tointeger(tonumber(opts.memory))
if not (seed and seconds and batch and batch > 0 and timeout and timeout > 0 and memory and memory > 0) then
  io.stderr:write('fuzz: --seconds, --batch, --timeout and --memory take positive numbers\n')
  os.exit(2)
end
do
  local f = io.open(th, 'rb')
  if not f then io.stderr:write('fuzz: no interpreter at ', th, ' (build it, or pass --th PATH)\n') os.exit(2) end
  f:close()
end

-- AddressSanitizer: found in the binary's dynamic section (a linked libasan)
local asan = false
do
  local p = io.popen('ldd "' .. th .. '" 2>/dev/null')
  if p then asan = p:read('a'):find('libasan') ~= nil; p:close() end
end
if asan then timeout = timeout * 3 end   -- sanitized code runs several times slower

local function sh_quote(s) return "'" .. s:gsub("'", "'\\''") .. "'" end

local tmp = os.tmpname()
os.remove(tmp)
assert(os.execute('mkdir -p ' .. sh_quote(tmp)))

local function readfile(path)
  local f = io.open(path, 'rb')
  if not f then return '' end
  local s = f:read('a')
  f:close()
  return s
end

-- runs api.lua with `args` in a limited child; returns its exit status and its output,
-- followed by any sanitizer report it wrote (ASan logs to our own log_path, so that its
-- warnings about refused allocations never reach `make check-asan`'s log directory)
local out = tmp .. '/out.txt'
local function child(args)
  local limit
  if asan then
    -- the caller's ASan options first (check-asan's), ours last to win
    limit = 'ASAN_OPTIONS=' .. sh_quote((os.getenv('ASAN_OPTIONS') or 'detect_leaks=0') ..
      ':allocator_may_return_null=1:max_allocation_size_mb=' .. memory ..
      ':log_path=' .. tmp .. '/sanitizer') .. ' '
  else
    limit = 'ulimit -v ' .. memory * 1024 .. '; '
  end
  local cmd = 'cd ' .. sh_quote(tmp) .. ' && ' .. limit .. 'OMP_NUM_THREADS=2 exec timeout -k 5 ' .. timeout .. ' ' ..
    sh_quote(th) .. ' ' .. sh_quote(api) .. ' ' .. args .. ' > ' .. sh_quote(out) .. ' 2>&1'
  local _, how, code = os.execute('/bin/sh -c ' .. sh_quote(cmd))
  if how == 'signal' then code = 128 + code end
  local text = readfile(out)
  local p = io.popen('ls ' .. sh_quote(tmp) .. ' | grep "^sanitizer"')
  for name in p:lines() do
    local log = readfile(tmp .. '/' .. name)
    if log:find('ERROR:') or log:find('runtime error:') then text = text .. log end
    os.remove(tmp .. '/' .. name)
  end
  p:close()
  return code, text
end

local function describe(rc, out)
  if rc == 124 or rc == 137 then return 'hang: no result within ' .. timeout .. ' s' end
  if out:find('ERROR: %u%a+Sanitizer') or out:find('runtime error:') then
    return 'sanitizer report (exit status ' .. rc .. ')'
  end
  if rc > 128 then return 'crash: signal ' .. (rc - 128) end
  if rc ~= 0 then return 'exit status ' .. rc end
  return 'the child ended without finishing its batch'
end

local timer = torch.Timer()
local passed, failed, calls = 0, 0, 0
local nextcall = 1
local progress = tmp .. '/progress.lua'
print(string.format('fuzz: seed %d, %s s, batches of %d calls, %s%s', seed, opts.seconds, batch,
  th, asan and ' (AddressSanitizer)' or ''))
while timer:time().real < seconds do
  local from, to = nextcall, nextcall + batch - 1
  os.remove(progress)
  local rc, text = child(string.format('--seed %d --from %d --to %d --progress %s', seed, from, to, sh_quote(progress)))
  local sanitizer = text:find('ERROR: %u%a+Sanitizer') or text:find('runtime error:')
  if rc == 0 and text:find('DONE %d+ calls') and not sanitizer then
    passed = passed + 1
    calls = calls + batch
    nextcall = to + 1
  elseif not readfile(progress):find('%-%-END%-%-') then
    -- no call started: th itself is missing or broken (a build in progress?), not a finding
    io.write('fuzz: ', th, ' did not start (exit status ', rc, '):\n', text:sub(-2000), '\n')
    failed = failed + 1
    break
  else
    failed = failed + 1
    local code = readfile(progress):match('^(.-)%-%-END%-%-') or ''
    local call = math.tointeger(tonumber(code:match('^%-%- fuzz seed %-?%d+ call (%d+)'))) or from
    calls = calls + (call - from + 1)
    print(string.format('FAIL fuzz seed %d call %d: %s', seed, call, describe(rc, text)))
    print('-- the call, as Lua code:')
    io.write(code)
    local tail = text:sub(-3000)
    print('-- the child\'s last output:')
    io.write(tail, tail:sub(-1) == '\n' and '' or '\n')
    -- does the call reproduce on its own, in a fresh process?
    local rc2, text2 = child(string.format('--seed %d --call %d', seed, call))
    local alone = rc2 ~= 0 or text2:find('ERROR: %u%a+Sanitizer') or text2:find('runtime error:')
    print(string.format('-- alone (th tests/fuzz/api.lua --seed %d --call %d): %s', seed, call,
      alone and 'reproduces' or ('does not reproduce; rerun the batch with --seed ' .. seed ..
      ' --from ' .. from .. ' --to ' .. call)))
    nextcall = call + 1
  end
end
os.execute('rm -rf ' .. sh_quote(tmp))
print(string.format('fuzz: %d calls (seed %d, calls 1-%d)', calls, seed, nextcall - 1))
print(string.format('fuzz: %d passed, %d failed', passed, failed))
os.exit(failed == 0 and 0 or 1)
