-- xlua.progress and xlua.formatTime (stdlib/xlua/init.lua). The clock and the output are
-- replaced (xlua.progressClock, xlua.progressOutput), so nothing depends on timing.
require 'xlua'
local tester = torch.Tester()
local T = torch.TestSuite()

local saved = {}
local fields = {'progressMode', 'progressWidth', 'progressInterval', 'progressOutput', 'progressClock'}
local now = 0
local chunks = {}

function T._setUp()
  for _, k in ipairs(fields) do saved[k] = xlua[k] end
  now = 0
  chunks = {}
  xlua.progressClock = function() return now end
  xlua.progressOutput = function(s) chunks[#chunks + 1] = s end
  xlua.progressWidth = 80
  xlua.progressInterval = 0.125
  xlua.progressMode = 'terminal'
  xlua.progressReset()
end

function T._tearDown()
  for _, k in ipairs(fields) do xlua[k] = saved[k] end
  xlua.progressReset()
end

local function lines(s)
  local t = {}
  for l in s:gmatch('[^\n]+') do t[#t + 1] = l end
  return t
end

function T.format_time()
  local f = xlua.formatTime
  tester:eq(f(0), '0ms')
  tester:eq(f(0.0004), '0ms')
  tester:eq(f(0.0006), '1ms', 'rounded to the millisecond')
  tester:eq(f(0.013), '13ms')
  tester:eq(f(1.02), '1s20ms')
  tester:eq(f(59.9999), '1m', '60s carry into a minute')
  tester:eq(f(61), '1m1s')
  tester:eq(f(3599), '59m59s')
  tester:eq(f(5 * 3600 + 61), '5h1m', 'two units at most')
  tester:eq(f(3 * 86400 + 7200), '3D2h')
  tester:eq(f(-1), '0ms')
  tester:eq(f(0 / 0), '?')
  tester:eq(f(math.huge), '?')
  tester:assertErrorPattern(function() f('1') end, "bad argument #1 to 'formatTime' %(number expected, got string%)")
end

function T.terminal_bar_text()
  -- 1/32 s per item, a redraw at most every 1/8 s: items 1, 5, 9, ..., 97 and 100
  for i = 1, 100 do now = i / 32; xlua.progress(i, 100) end
  tester:eq(#chunks, 26)
  tester:eq(chunks[1], '\r [' .. string.rep('.', 28) .. '] 1/100 | ETA: ? | Step: ?')
  tester:eq(chunks[2], '\r [>' .. string.rep('.', 27) .. '] 5/100 | ETA: 2s969ms | Step: 31ms | 32.0 it/s')
  tester:eq(chunks[12], '\r [' .. string.rep('=', 11) .. '>' .. string.rep('.', 16)
    .. '] 45/100 | ETA: 1s719ms | Step: 31ms | 32.0 it/s')
  -- a shorter line is padded with spaces over the end of the previous one
  tester:eq(chunks[25], '\r [' .. string.rep('=', 26) .. '>.] 97/100 | ETA: 94ms | Step: 31ms | 32.0 it/s ')
  tester:eq(chunks[26], '\r [' .. string.rep('=', 28) .. '] 100/100 | Tot: 3s94ms | Step: 31ms | 32.0 it/s\n',
    'the last item ends the line')
  for k, c in ipairs(chunks) do
    tester:eq(c:sub(1, 1), '\r', 'each draw returns to the start of the line')
    tester:assertle(#c:gsub('[\r\n]', ''), 79, 'fits the terminal width')
    tester:eq(select(2, c:gsub('\n', '')), k == 26 and 1 or 0, 'one newline, at the end')
  end
end

function T.terminal_throttled()
  -- a clock that does not move: only the first and the last item are drawn
  for i = 1, 1000 do xlua.progress(i, 1000) end
  tester:eq(#chunks, 2)
  tester:assert(chunks[1]:find('] 1/1000 ', 1, true))
  tester:assert(chunks[2]:find('] 1000/1000 | Tot: 0ms', 1, true))
  -- past the interval, the next call redraws
  chunks = {}
  xlua.progress(1, 10); xlua.progress(2, 10)
  now = 0.2
  xlua.progress(3, 10)
  xlua.progress(4, 10)
  tester:eq(#chunks, 2)
  tester:assert(chunks[2]:find('] 3/10 | ETA: 700ms | Step: 100ms | 10.0 it/s', 1, true), chunks[2])
end

function T.terminal_width()
  xlua.progressWidth = 40
  for i = 1, 5 do now = i; xlua.progress(i, 5) end
  tester:eq(#chunks, 5)
  for _, c in ipairs(chunks) do
    tester:assertle(#c:gsub('[\r\n]', ''), 39, 'fits 40 columns')
    tester:assert(c:find('%[[=>.]+%]'), 'a bar is drawn')
  end
  -- the bar never gets shorter than 10
  tester:assert(chunks[5]:find('[' .. string.rep('=', 10) .. ']', 1, true), chunks[5])
  chunks = {}
  xlua.progressWidth = 200
  xlua.progress(1, 1)
  tester:eq(#chunks[1]:match('%[(=+)%]'), 120 - 1 - 2 - 45, 'the bar stops growing past 120 columns')
end

function T.log_mode_is_quiet()
  xlua.progressMode = 'log'
  for i = 1, 1000 do now = i / 100; xlua.progress(i, 1000) end
  local out = table.concat(chunks)
  tester:assert(not out:find('\r', 1, true), 'no carriage returns in a log')
  local l = lines(out)
  tester:eq(#l, 10, 'one line per tenth')
  tester:eq(select(2, out:gsub('\n', '')), 10)
  for k = 1, 9 do
    tester:assert(l[k]:find('] ' .. (100 * k) .. '/1000 | ETA: ', 1, true), l[k])
  end
  tester:eq(l[5], ' [' .. string.rep('=', 12) .. '>' .. string.rep('.', 13)
    .. '] 500/1000 | ETA: 5s | Step: 10ms | 100 it/s')
  tester:eq(l[10], ' [' .. string.rep('=', 26) .. '] 1000/1000 | Tot: 9s990ms | Step: 10ms | 100 it/s')
  -- a short loop prints a line per item at most
  chunks = {}
  for i = 1, 3 do xlua.progress(i, 3) end
  tester:eq(#lines(table.concat(chunks)), 3)
  -- nothing at all when off
  chunks = {}
  xlua.progressMode = 'off'
  for i = 1, 10 do xlua.progress(i, 10) end
  tester:eq(#chunks, 0)
end

function T.log_mode_when_not_a_terminal()
  -- a th whose stdout is a pipe writes the quiet form
  local th = arg and arg[-1]
  if not th or not th:find('th$') then return end
  local p = io.popen(th .. [[ -e "require 'xlua' for i = 1, 50 do xlua.progress(i, 50) end"]])
  local out = p:read('a')
  p:close()
  tester:assert(not out:find('\r', 1, true), 'no carriage returns')
  local l = lines(out)
  tester:eq(#l, 10)
  tester:assert(l[10]:find('] 50/50 | Tot: ', 1, true), l[10])
end

function T.edge_cases()
  -- n = 0: a full bar at once
  xlua.progress(0, 0)
  tester:eq(#chunks, 1)
  tester:assert(chunks[1]:find('%[=+%] 0/0 | Tot: 0ms'), chunks[1])
  tester:eq(chunks[1]:sub(-1), '\n')
  -- i > n ends the bar; later calls past the end stay quiet
  chunks = {}
  for _, i in ipairs{1, 2, 7, 8} do now = now + 1; xlua.progress(i, 3) end
  tester:eq(#chunks, 3)
  tester:assert(chunks[3]:find('%[=+%] 7/3 | Tot:'), chunks[3])
  tester:eq(chunks[3]:sub(-1), '\n')
  -- a fresh bar starting past its end
  chunks = {}
  xlua.progress(5, 2)
  tester:eq(#chunks, 1)
  tester:assert(chunks[1]:find('] 5/2 | Tot:', 1, true))
  -- a loop run again starts a new bar; so does a new goal
  chunks = {}
  for _ = 1, 2 do for i = 1, 4 do xlua.progress(i, 4) end end
  tester:eq(select(2, table.concat(chunks):gsub('\n', '')), 2, 'two bars, two lines')
  chunks = {}
  xlua.progress(1, 4); xlua.progress(2, 6); xlua.progress(6, 6)
  tester:assert(chunks[2]:find('] 2/6 ', 1, true), 'a new goal starts a new bar')
  -- fractions, zero and negative positions
  chunks = {}
  xlua.progress(0, 4); xlua.progress(-1, 4); xlua.progress(1.5, 4); xlua.progress(4.0, 4)
  tester:assert(chunks[1]:find('] 0/4 ', 1, true))
  tester:assert(table.concat(chunks):find('] 4/4 | Tot:', 1, true), 'integral floats print as integers')
  tester:eq(chunks[#chunks]:sub(-1), '\n')
end

function T.bad_arguments()
  tester:assertErrorPattern(function() xlua.progress('1', 10) end,
    "bad argument #1 to 'progress' %(number expected, got string%)")
  tester:assertErrorPattern(function() xlua.progress(1) end,
    "bad argument #2 to 'progress' %(number expected, got nil%)")
  tester:assertErrorPattern(function() xlua.progress(1, -1) end,
    "bad argument #2 to 'progress' %(finite non%-negative number expected, got %-1%)")
  tester:assertErrorPattern(function() xlua.progress(0 / 0, 3) end, "bad argument #1 to 'progress'")
  tester:assertErrorPattern(function() xlua.progress(1, math.huge) end, "bad argument #2 to 'progress'")
  xlua.progressMode = 'fancy'
  tester:assertErrorPattern(function() xlua.progress(1, 2) end, "xlua.progressMode must be 'terminal', 'log', 'off' or nil")
  tester:eq(#chunks, 0)
end

function T.global_and_module()
  tester:eq(require('xlua'), xlua)
  tester:eq(rawget(_G, 'xlua'), xlua, "require 'xlua' sets the global, as in Torch7")
end

tester:add(T)
return tester
