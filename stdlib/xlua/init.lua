-- xlua: Torch7's progress bar (xlua.progress) and time formatting.
--
--   require 'xlua'
--   for i = 1, n do ...; xlua.progress(i, n) end
--
-- On a terminal the bar redraws in place (at most every xlua.progressInterval seconds,
-- and always on the first and the last item), then ends its line:
--    [=========>..........] 45/100 | ETA: 1s20ms | Step: 10ms | 98.5 it/s
--    [====================] 100/100 | Tot: 1s10ms | Step: 10ms | 99.1 it/s
-- When standard output is not a terminal (a log, a pipe) it prints a plain line each
-- time another tenth of the work is done, so at most ten lines per bar.
-- xlua.progressMode = 'terminal' | 'log' | 'off' forces a mode (nil: detect).
local torch = require 'torch'

local xlua = rawget(_G, 'xlua') or {}
_G.xlua = xlua   -- Torch7's modules are globals too

xlua.progressMode = nil        -- nil: 'terminal' when stdout is a terminal, else 'log'
xlua.progressInterval = 0.1    -- seconds between two redraws on a terminal
xlua.progressWidth = nil       -- columns; nil: $COLUMNS, else the terminal's, else 80

-- where the bar goes (tests replace it)
function xlua.progressOutput(s)
  io.write(s)
  io.flush()
end

-- wall-clock seconds (tests replace it)
local clock = nil
function xlua.progressClock()
  clock = clock or torch.Timer()
  return clock:time().real
end

-- Torch7's format: the two largest non-zero units of D, h, m, s, ms ('1m30s', '20ms')
function xlua.formatTime(seconds)
  if type(seconds) ~= 'number' then
    error("bad argument #1 to 'formatTime' (number expected, got " .. type(seconds) .. ')', 2)
  end
  if seconds ~= seconds or seconds >= 1e12 then return '?' end
  if seconds < 0 then seconds = 0 end
  local ms = math.floor(seconds * 1000 + 0.5)   -- whole milliseconds
  local days = ms // 86400000; ms = ms - days * 86400000
  local hours = ms // 3600000; ms = ms - hours * 3600000
  local minutes = ms // 60000; ms = ms - minutes * 60000
  local secs = ms // 1000
  local millis = ms - secs * 1000
  local parts = {}
  for _, u in ipairs { {days, 'D'}, {hours, 'h'}, {minutes, 'm'}, {secs, 's'}, {millis, 'ms'} } do
    if u[1] > 0 and #parts < 2 then parts[#parts + 1] = string.format('%d%s', u[1], u[2]) end
  end
  if #parts == 0 then return '0ms' end
  return table.concat(parts)
end

-- is stdout a terminal? asked once (a shell's `test -t 1` sees our file descriptor 1)
local isterm = nil
local function mode()
  local m = xlua.progressMode
  if m ~= nil then
    if m ~= 'terminal' and m ~= 'log' and m ~= 'off' then
      error("xlua.progressMode must be 'terminal', 'log', 'off' or nil, got " .. tostring(m), 3)
    end
    return m
  end
  if isterm == nil then isterm = os.execute('test -t 1 2>/dev/null') == true end
  return isterm and 'terminal' or 'log'
end

-- the terminal's width, asked once (Torch7 asked tput too)
local termcols = nil
local function tputcols()
  if termcols == nil then
    local p = io.popen('tput cols 2>/dev/null')
    termcols = p and tonumber(p:read('a') or '') or false
    if p then p:close() end
  end
  return termcols or nil
end

local function width(m)
  local w = xlua.progressWidth or tonumber(os.getenv('COLUMNS') or '')
    or (m == 'terminal' and tputcols()) or 80
  return math.max(40, math.min(math.floor(w), 500))
end

local function num(x)
  return tostring(math.tointeger(x) or x)
end

local function rate(step)
  if step <= 0 then return '' end
  local r = 1 / step
  local fmt = r >= 100 and '%.0f' or r >= 10 and '%.1f' or '%.2f'
  return ' | ' .. string.format(fmt, r) .. ' it/s'
end

-- the state of the bar being drawn (nil between bars); `finished` remembers the last one
local bar = nil
local finished = nil

function xlua.progressReset()
  bar, finished = nil, nil
end

local SMOOTHING = 100   -- samples kept for the step time (Torch7's window)

local function drawbar(frac, L, done)
  if done then return string.rep('=', L) end
  local p = math.min(math.floor(frac * L), L - 1)
  if p <= 0 then return string.rep('.', L) end
  return string.rep('=', p - 1) .. '>' .. string.rep('.', L - p)
end

-- the text of the bar for `current` at time `now` (no '\r', no newline)
local function line(current, goal, now, done)
  local frac = goal > 0 and math.max(0, math.min(1, current / goal)) or 1
  -- step: seconds per item since the oldest sample kept
  local first = bar.nsamples <= SMOOTHING and 1 or (bar.nsamples % SMOOTHING) + 1
  local di = current - bar.indices[first]
  local step = di > 0 and (now - bar.times[first]) / di or 0
  local tail
  if done then
    tail = ' | Tot: ' .. xlua.formatTime(now - bar.t0) .. ' | Step: ' .. xlua.formatTime(step)
  elseif step > 0 then
    tail = ' | ETA: ' .. xlua.formatTime(math.max(0, goal - current) * step)
      .. ' | Step: ' .. xlua.formatTime(step)
  else
    tail = ' | ETA: ? | Step: ?'
  end
  tail = '] ' .. num(current) .. '/' .. num(goal) .. tail .. rate(step)
  -- a line too wide for the terminal shortens the bar (for the rest of this bar)
  local excess = 2 + bar.barLength + #tail - (bar.width - 1)
  if excess > 0 then bar.barLength = math.max(10, bar.barLength - excess) end
  return ' [' .. drawbar(frac, bar.barLength, done) .. tail
end

local function sample(current, now)
  bar.nsamples = bar.nsamples + 1
  local k = ((bar.nsamples - 1) % SMOOTHING) + 1
  bar.times[k], bar.indices[k] = now, current
end

-- progress(current, goal): draw the bar for item `current` of `goal`
function xlua.progress(current, goal)
  if type(current) ~= 'number' then
    error("bad argument #1 to 'progress' (number expected, got " .. type(current) .. ')', 2)
  end
  if type(goal) ~= 'number' then
    error("bad argument #2 to 'progress' (number expected, got " .. type(goal) .. ')', 2)
  end
  if current ~= current or current == math.huge or current == -math.huge then
    error("bad argument #1 to 'progress' (finite number expected, got " .. tostring(current) .. ')', 2)
  end
  if goal ~= goal or goal == math.huge or goal < 0 then
    error("bad argument #2 to 'progress' (finite non-negative number expected, got "
      .. tostring(goal) .. ')', 2)
  end
  local m = mode()
  if m == 'off' then return end
  local done = current >= goal
  if bar and (goal ~= bar.goal or current < bar.last) then bar = nil end  -- a new loop
  if not bar then
    -- past the end of a bar just finished: nothing more to say
    if finished and finished.goal == goal and current > goal and current >= finished.last then
      finished.last = current
      return
    end
    local digits = #num(goal)
    bar = {goal = goal, t0 = xlua.progressClock(), last = current, drawn = nil,
      times = {}, indices = {}, nsamples = 0, tenth = 0, len = 0,
      width = width(m)}
    -- room for ' [] n/n | ETA: 1m30s | Step: 999ms | 99.9 it/s' (a longer tail shortens it)
    bar.barLength = math.max(10, math.min(bar.width, 120) - 1 - (2 * digits + 45))
    finished = nil
    sample(current, bar.t0)
  end
  bar.last = current
  local out
  if m == 'terminal' then
    local now = xlua.progressClock()
    if not done and bar.drawn and now - bar.drawn < xlua.progressInterval then return end
    bar.drawn = now
    sample(current, now)
    local s = line(current, goal, now, done)
    local maxlen = bar.width - 1
    if #s > maxlen then s = s:sub(1, maxlen) end
    local n = #s
    if n < bar.len then s = s .. string.rep(' ', bar.len - n) end
    bar.len = n
    out = '\r' .. s .. (done and '\n' or '')
  else
    local tenth = goal > 0 and math.floor(10 * math.max(0, current) / goal) or 10
    if not done and tenth <= bar.tenth then return end
    bar.tenth = tenth
    local now = xlua.progressClock()
    sample(current, now)
    out = line(current, goal, now, done) .. '\n'
  end
  if done then
    finished = {goal = goal, last = current}
    bar = nil
  end
  xlua.progressOutput(out)
end

package.loaded.xlua = xlua
return xlua
