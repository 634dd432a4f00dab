-- gnuplot: Torch7's plotting package, talking to the gnuplot program.
--
-- Each figure keeps its state here (terminal, settings in the order given, the last
-- plot with its data inline), so that it can be drawn again at any time:
--   window figures (qt, wxt, x11 when a display exists) keep a gnuplot process open
--     through a pipe and are redrawn as commands arrive;
--   file figures (png, svg, pdf, eps) are drawn by a gnuplot run that ends before
--     plotflush()/close() return, so the file is complete on disk;
--   dumb figures draw the plot as text with gnuplot's dumb terminal into a temporary
--     file, which is printed (io.write) when a plot is made and at plotflush().
-- gnuplot.script([n]) returns the script that draws a figure.
local torch = require 'torch'

local gnuplot = {}

local state = {
  figures = {},       -- number -> figure
  current = nil,      -- number of the current figure
  exe = nil,          -- path of the gnuplot program (found on first use)
  terms = nil,        -- set of gnuplot's terminals
  defaultterm = nil,  -- setterm's choice: a window terminal or 'dumb'; nil: automatic
}

local WINDOW_TERMS = { 'qt', 'wxt', 'x11', 'aqua' }

---------------------------------------------------------------------------------------
-- errors and argument checks

local function argerror(fname, i, msg)
  error(string.format("bad argument #%d to 'gnuplot.%s' (%s)", i, fname, msg), 3)
end

local function istensor(v)
  return torch.isTensor(v)
end

local function typename(v)
  return istensor(v) and torch.type(v) or type(v)
end

-- a string for gnuplot between single quotes (no escapes there but '')
local function quote(s)
  return "'" .. tostring(s):gsub("'", "''"):gsub('\n', ' ') .. "'"
end

-- a number in the data sent (inf and nan: gnuplot's undefined value)
local function fmt(v)
  if v ~= v then return 'NaN' end
  if v == math.huge or v == -math.huge then return 'NaN' end
  return string.format('%.10g', v)
end

local function shquote(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

---------------------------------------------------------------------------------------
-- the gnuplot program

local function findexe()
  if state.exe then return state.exe end
  local p = io.popen('command -v gnuplot 2>/dev/null')
  local path = p and p:read('l')
  if p then p:close() end
  if not path or path == '' then
    error("gnuplot: the 'gnuplot' program was not found on PATH; install it "
      .. "(on Debian: apt-get install gnuplot-nox, or gnuplot-qt for plot windows)", 0)
  end
  state.exe = path
  return path
end

-- gnuplot.setgnuplotexe(path): use this gnuplot program (Torch7)
function gnuplot.setgnuplotexe(path)
  if type(path) ~= 'string' then argerror('setgnuplotexe', 1, 'path expected, got ' .. typename(path)) end
  local f = io.open(path, 'r')
  if not f then error("gnuplot.setgnuplotexe: '" .. path .. "' does not exist", 2) end
  f:close()
  state.exe, state.terms = path, nil
end

local function terminals()
  if state.terms then return state.terms end
  local exe = findexe()
  local p = io.popen(shquote(exe) .. " -e 'print GPVAL_TERMINALS' 2>&1")
  local out = p:read('a') or ''
  p:close()
  local set = {}
  for name in out:gmatch('%S+') do set[name] = true end
  state.terms = set
  return set
end

-- gnuplot.hasterm(name): whether the gnuplot program has this terminal
function gnuplot.hasterm(name)
  return terminals()[name] == true
end

local function haswindow()
  local d, w = os.getenv('DISPLAY'), os.getenv('WAYLAND_DISPLAY')
  if (not d or d == '') and (not w or w == '') then return nil end
  local terms = terminals()
  for _, t in ipairs(WINDOW_TERMS) do
    if terms[t] then return t end
  end
  return nil
end

-- runs a whole script through a gnuplot that exits before this returns; a gnuplot
-- error becomes a Lua error with gnuplot's message
local function runscript(script, who)
  local exe = findexe()
  local errfile = os.tmpname()
  local p = io.popen(shquote(exe) .. ' >/dev/null 2>' .. shquote(errfile), 'w')
  if not p then os.remove(errfile); error('gnuplot.' .. who .. ': cannot start gnuplot', 3) end
  p:write(script)
  p:write('\n')
  local ok = p:close()
  local f = io.open(errfile, 'r')
  local msg = f and f:read('a') or ''
  if f then f:close() end
  os.remove(errfile)
  if not ok then
    msg = msg:gsub('%s+$', ''):gsub('^%s+', '')
    error('gnuplot.' .. who .. ': gnuplot failed: ' .. (msg ~= '' and msg or 'no message'), 0)
  end
end

---------------------------------------------------------------------------------------
-- figures

local function settingsscript(fig)
  local out = {}
  for _, s in ipairs(fig.settings) do out[#out + 1] = s.cmd end
  return table.concat(out, '\n')
end

local function plotscript(fig)
  if not fig.plot then return '' end
  return (fig.plot.pre ~= '' and fig.plot.pre .. '\n' or '') .. fig.plot.cmd .. '\n' .. fig.plot.data
end

local function dumbsize(fig)
  return fig.width, fig.height
end

-- the whole script that draws fig into its terminal (output given for files)
local function fullscript(fig, output)
  local parts = { 'reset' }
  if fig.kind == 'file' then
    -- cairo draws long curves slowly (20 s for 100000 points): libgd's png then
    local big = fig.bigterm and fig.plot and fig.plot.npoints > 10000
    parts[#parts + 1] = 'set terminal ' .. (big and fig.bigterm or fig.term)
    parts[#parts + 1] = 'set output ' .. quote(output or fig.path)
  elseif fig.kind == 'dumb' then
    local w, h = dumbsize(fig)
    parts[#parts + 1] = string.format('set terminal dumb size %d,%d nofeed%s', w, h,
      fig.color and ' ansi' or ' mono')
    if output then parts[#parts + 1] = 'set output ' .. quote(output) end
  else
    parts[#parts + 1] = string.format('set terminal %s %d', fig.term, fig.n)
  end
  local s = settingsscript(fig)
  if s ~= '' then parts[#parts + 1] = s end
  local p = plotscript(fig)
  if p ~= '' then parts[#parts + 1] = p end
  if output or fig.kind == 'file' then parts[#parts + 1] = 'unset output' end
  return table.concat(parts, '\n') .. '\n'
end

local function windowsend(fig, text)
  if not fig.pipe then
    local exe = findexe()
    fig.pipe = io.popen(shquote(exe) .. ' -persist >/dev/null', 'w')
    if not fig.pipe then error('gnuplot: cannot start gnuplot', 3) end
  end
  fig.pipe:write(text, '\n')
  fig.pipe:flush()
end

local function istty()
  local ok = os.execute('test -t 1')
  return ok == true
end

-- imagesc in a dumb figure: gnuplot's dumb terminal draws no images, so the matrix is
-- drawn here with a ramp of characters (cells averaged when it is larger than the figure)
local RAMP = ' .:-=+*#%@'

local function textimage(fig)
  local im = fig.plot.image
  local rows, cols, v = im.rows, im.cols, im.values
  local lo, hi = math.huge, -math.huge
  for _, x in ipairs(v) do
    if x == x then lo, hi = math.min(lo, x), math.max(hi, x) end
  end
  local title
  for _, st in ipairs(fig.settings) do if st.key == 'title' then title = st.text end end
  local W = fig.width - 2
  local H = fig.height - 3 - (title and 1 or 0)
  local cw = cols * 2 <= W and 2 or 1
  local oc, orows = math.min(cols, W // cw), math.min(rows, H)
  local out = {}
  if title then
    local pad = math.max(0, (oc * cw + 2 - #title) // 2)
    out[#out + 1] = string.rep(' ', pad) .. title
  end
  local border = '+' .. string.rep('-', oc * cw) .. '+'
  out[#out + 1] = border
  for r = 1, orows do
    local r0, r1 = (r - 1) * rows // orows + 1, r * rows // orows
    local line = { '|' }
    for c = 1, oc do
      local c0, c1 = (c - 1) * cols // oc + 1, c * cols // oc
      local sum, n = 0, 0
      for i = r0, r1 do
        for j = c0, c1 do
          local x = v[(i - 1) * cols + j]
          if x == x then sum, n = sum + x, n + 1 end
        end
      end
      local ch = ' '
      if n > 0 then
        local t = hi > lo and (sum / n - lo) / (hi - lo) or 0.5
        local k = math.floor(t * (#RAMP - 1) + 0.5) + 1
        ch = RAMP:sub(k, k)
      end
      line[#line + 1] = string.rep(ch, cw)
    end
    line[#line + 1] = '|'
    out[#out + 1] = table.concat(line)
  end
  out[#out + 1] = border
  out[#out + 1] = string.format('%.4g %s %.4g  (%dx%d)', lo, RAMP, hi, rows, cols)
  return table.concat(out, '\n') .. '\n'
end

local function dumbrender(fig, who)
  if not fig.plot then return end
  if fig.plot.image then
    local text = textimage(fig)
    fig.text = text
    io.write(text)
    io.stdout:flush()
    return
  end
  local tmp = os.tmpname()
  local ok, err = pcall(runscript, fullscript(fig, tmp), who)
  local f = io.open(tmp, 'r')
  local text = f and f:read('a') or ''
  if f then f:close() end
  os.remove(tmp)
  if not ok then error(err, 0) end
  text = text:gsub('^\f', '')       -- the page feed gnuplot writes even with nofeed
  fig.text = text
  io.write(text)
  if text:sub(-1) ~= '\n' then io.write('\n') end
  io.stdout:flush()
end

-- draws fig again: after a new plot, or at plotflush
local function render(fig, who)
  if fig.kind == 'file' then
    if fig.plot then runscript(fullscript(fig), who or 'plotflush') end
    fig.dirty = false
  elseif fig.kind == 'dumb' then
    dumbrender(fig, who or 'plotflush')
  else
    windowsend(fig, fullscript(fig))
    fig.dirty = false
  end
end

local function flushfile(fig)
  if fig and fig.kind == 'file' and fig.dirty then render(fig) end
end

local function newfigure(n, kind, term, path)
  local fig = { n = n, kind = kind, term = term, path = path, settings = {}, plot = nil }
  if kind == 'dumb' then
    local cols, rows = 80, 25
    local tty = istty()
    if tty then
      local p = io.popen('stty size </dev/tty 2>/dev/null')
      local r, c = (p and p:read('a') or ''):match('(%d+)%s+(%d+)')
      if p then p:close() end
      if r and tonumber(r) > 0 and tonumber(c) > 0 then rows, cols = tonumber(r), tonumber(c) end
    end
    fig.width = math.max(20, math.min(cols - 1, 120))
    fig.height = math.max(10, math.min(rows - 1, 24))
    local nc = os.getenv('NO_COLOR')
    fig.color = tty and (nc == nil or nc == '')
  end
  return fig
end

local function nextnumber()
  local n = 0
  for k in pairs(state.figures) do if k > n then n = k end end
  return n + 1
end

local function setcurrent(n)
  if state.current and state.current ~= n then flushfile(state.figures[state.current]) end
  state.current = n
end

local function checkn(fname, n, i)
  if n ~= nil and math.type(n) ~= 'integer' then
    if type(n) == 'number' and n == math.floor(n) then return math.tointeger(n) end
    argerror(fname, i or 1, 'figure number expected, got ' .. typename(n))
  end
  if n and n < 1 then argerror(fname, i or 1, 'figure number must be positive, got ' .. n) end
  return n
end

local function autokind()
  findexe()
  local t = state.defaultterm
  if t == 'dumb' then return 'dumb', 'dumb' end
  if t then return 'window', t end
  local w = haswindow()
  if w then return 'window', w end
  return 'dumb', 'dumb'
end

-- gnuplot.figure([n]): makes figure n current (a new one when n is not given or does
-- not exist yet: a window when there is a display, else the terminal); returns n
function gnuplot.figure(n)
  n = checkn('figure', n)
  if n and state.figures[n] then
    setcurrent(n)
    local fig = state.figures[n]
    if fig.kind == 'window' then windowsend(fig, 'set terminal ' .. fig.term .. ' ' .. n .. '\nraise') end
    return n
  end
  n = n or nextnumber()
  local kind, term = autokind()
  state.figures[n] = newfigure(n, kind, term)
  setcurrent(n)
  return n
end

-- gnuplot.dumbfigure([n][, width, height]): a figure drawn as text in the terminal
function gnuplot.dumbfigure(n, width, height)
  n = checkn('dumbfigure', n)
  if width ~= nil and (math.type(width) ~= 'integer' or width < 20) then
    argerror('dumbfigure', 2, 'width must be an integer >= 20')
  end
  if height ~= nil and (math.type(height) ~= 'integer' or height < 5) then
    argerror('dumbfigure', 3, 'height must be an integer >= 5')
  end
  findexe()
  n = n or nextnumber()
  if state.figures[n] then gnuplot.close(n) end
  local fig = newfigure(n, 'dumb', 'dumb')
  fig.width, fig.height = width or fig.width, height or fig.height
  state.figures[n] = fig
  setcurrent(n)
  return n
end

local function dirname(path)
  return path:match('^(.*)/[^/]*$')
end

local function filefigure(fname, path, n, term)
  if type(path) ~= 'string' or path == '' then
    argerror(fname, 1, 'file name expected, got ' .. typename(path))
  end
  n = checkn(fname, n, 2)
  local dir = dirname(path)
  if dir and dir ~= '' then
    local d = io.open(dir, 'r')
    if not d then error('gnuplot.' .. fname .. ": cannot write '" .. path .. "': the directory does not exist", 3) end
    d:close()
  end
  findexe()
  n = n or nextnumber()
  if state.figures[n] then gnuplot.close(n) end
  state.figures[n] = newfigure(n, 'file', term, path)
  setcurrent(n)
  return n
end

-- gnuplot.pngfigure(path[, n]), svgfigure, pdffigure, epsfigure: figures drawn into files
function gnuplot.pngfigure(path, n)
  local cairo = gnuplot.hasterm('pngcairo')
  local libgd = gnuplot.hasterm('png')
  n = filefigure('pngfigure', path, n, cairo and 'pngcairo size 800,600' or 'png size 800,600')
  if cairo and libgd then state.figures[n].bigterm = 'png size 800,600' end
  return n
end

function gnuplot.svgfigure(path, n)
  return filefigure('svgfigure', path, n, 'svg size 800,600')
end

function gnuplot.pdffigure(path, n)
  local term = gnuplot.hasterm('pdfcairo') and 'pdfcairo enhanced color'
    or gnuplot.hasterm('pdf') and 'pdf enhanced color'
  if not term then error('gnuplot.pdffigure: this gnuplot has no pdf terminal', 2) end
  return filefigure('pdffigure', path, n, term)
end

function gnuplot.epsfigure(path, n)
  return filefigure('epsfigure', path, n, 'postscript eps enhanced color')
end

local function current()
  if not state.current or not state.figures[state.current] then gnuplot.figure() end
  return state.figures[state.current]
end

-- gnuplot.plotflush([n]): draws the figure now (a file figure is complete on disk
-- when this returns; a dumb figure is printed again)
function gnuplot.plotflush(n)
  n = checkn('plotflush', n)
  local fig = n and state.figures[n] or (not n and state.current and state.figures[state.current])
  if not fig then return end
  if fig.kind == 'file' then
    render(fig)
  elseif fig.kind == 'dumb' then
    dumbrender(fig, 'plotflush')
  elseif fig.plot then
    windowsend(fig, 'refresh')
  end
end

-- gnuplot.close([n]): closes figure n (default the current one), writing its file
function gnuplot.close(n)
  n = checkn('close', n)
  n = n or state.current
  local fig = n and state.figures[n]
  if not fig then return end
  state.figures[n] = nil
  if state.current == n then state.current = nil end
  if fig.kind == 'file' and fig.dirty then render(fig) end
  if fig.pipe then
    fig.pipe:write('quit\n')
    fig.pipe:close()
    fig.pipe = nil
  end
end

function gnuplot.closeall()
  local ns = {}
  for n in pairs(state.figures) do ns[#ns + 1] = n end
  table.sort(ns)
  local firsterr
  for _, n in ipairs(ns) do
    local ok, err = pcall(gnuplot.close, n)
    if not ok and not firsterr then firsterr = err end
    state.figures[n] = nil
  end
  state.current = nil
  if firsterr then error(firsterr, 0) end
end

-- gnuplot.setterm(name): the terminal of new figures: a window terminal (qt, wxt, x11)
-- or 'dumb'; nil or 'auto' gives back the automatic choice
function gnuplot.setterm(name)
  if name == nil or name == 'auto' then state.defaultterm = nil; return end
  if type(name) ~= 'string' then argerror('setterm', 1, 'terminal name expected, got ' .. typename(name)) end
  if not gnuplot.hasterm(name) then
    error("gnuplot.setterm: this gnuplot has no '" .. name .. "' terminal", 2)
  end
  if name ~= 'dumb' then
    local ok = false
    for _, t in ipairs(WINDOW_TERMS) do if t == name then ok = true end end
    if not ok then
      error("gnuplot.setterm: '" .. name .. "' is not a window terminal; use pngfigure, "
        .. 'svgfigure, pdffigure or epsfigure for files, or dumb', 2)
    end
  end
  state.defaultterm = name
end

-- gnuplot.script([n]): the gnuplot script that draws figure n (default: the current)
function gnuplot.script(n)
  n = checkn('script', n)
  local fig = state.figures[n or state.current or -1]
  if not fig then return nil end
  return fullscript(fig)
end

---------------------------------------------------------------------------------------
-- settings: each replaces the earlier one of the same key (raw commands too, when equal)

local function setting(key, cmd, text)
  local fig = current()
  for i = #fig.settings, 1, -1 do
    if fig.settings[i].key == key then table.remove(fig.settings, i) end
  end
  fig.settings[#fig.settings + 1] = { key = key, cmd = cmd, text = text }
  if fig.kind == 'file' then
    fig.dirty = fig.plot ~= nil       -- drawn at plotflush, close, ...
  elseif fig.kind == 'window' then    -- a dumb figure prints it at plotflush
    windowsend(fig, cmd)
    if fig.plot then windowsend(fig, 'refresh') end
  end
end

local function label(fname, key)
  return function(text)
    if text == nil then text = '' end
    if type(text) ~= 'string' and type(text) ~= 'number' then
      argerror(fname, 1, 'string expected, got ' .. typename(text))
    end
    setting(key, 'set ' .. key .. ' ' .. quote(text) .. ' noenhanced', tostring(text))
  end
end

gnuplot.title = label('title', 'title')
gnuplot.xlabel = label('xlabel', 'xlabel')
gnuplot.ylabel = label('ylabel', 'ylabel')
gnuplot.zlabel = label('zlabel', 'zlabel')

function gnuplot.grid(on)
  setting('grid', on and 'set grid' or 'unset grid')
end

-- gnuplot.logscale(on): logarithmic y axis
function gnuplot.logscale(on)
  if on == 'off' then on = false end
  setting('logscale', on and 'set logscale y' or 'unset logscale y')
end

function gnuplot.movelegend(h, v)
  local hs = { left = true, right = true, center = true }
  local vs = { top = true, bottom = true, middle = true, center = true }
  if not hs[h] then argerror('movelegend', 1, "'left', 'right' or 'center' expected, got " .. tostring(h)) end
  if v ~= nil and not vs[v] then argerror('movelegend', 2, "'top', 'bottom' or 'middle' expected, got " .. tostring(v)) end
  setting('key', 'set key ' .. h .. ' ' .. (v == 'middle' and 'center' or v or 'top'))
end

-- gnuplot.axis{xmin, xmax, ymin, ymax} (a bound may be '' or nil: automatic),
-- or 'auto', 'equal' / 'image', 'fill'
function gnuplot.axis(a)
  if a == 'auto' then
    setting('size', 'set size noratio')
    setting('xrange', 'set autoscale x')
    setting('yrange', 'set autoscale y')
  elseif a == 'equal' or a == 'image' then
    setting('size', 'set size ratio -1')
  elseif a == 'fill' then
    setting('size', 'set size noratio')
  elseif type(a) == 'table' then
    local names = { 'xmin', 'xmax', 'ymin', 'ymax' }
    local v = {}
    for i = 1, 4 do
      local x = a[i]
      if x == nil then x = a[names[i]] end
      if x == '' then x = nil end
      if x ~= nil and type(x) ~= 'number' then
        argerror('axis', 1, names[i] .. ' must be a number or empty, got ' .. typename(x))
      end
      v[i] = x and string.format('%.17g', x) or '*'
    end
    setting('xrange', 'set xrange [' .. v[1] .. ':' .. v[2] .. ']')
    setting('yrange', 'set yrange [' .. v[3] .. ':' .. v[4] .. ']')
  else
    argerror('axis', 1, "{xmin, xmax, ymin, ymax}, 'auto', 'equal', 'image' or 'fill' expected, got " .. typename(a))
  end
end

-- gnuplot.raw(cmd): any gnuplot command, kept as a setting of the current figure
function gnuplot.raw(cmd)
  if type(cmd) ~= 'string' then argerror('raw', 1, 'string expected, got ' .. typename(cmd)) end
  -- checked now, so that a mistake is reported here and not kept in the figure
  if current().kind ~= 'window' then
    runscript("set terminal dumb\nset output '/dev/null'\n" .. cmd, 'raw')
  end
  setting('raw:' .. cmd, cmd)
end

---------------------------------------------------------------------------------------
-- plots

-- the numbers of a tensor as a Lua list (row-major)
local function values(t)
  t = t:double():contiguous()
  return t:view(t:nElement()):totable()
end


local STYLES = {
  [''] = 'with lines', ['-'] = 'with lines', lines = 'with lines',
  ['+'] = 'with points', points = 'with points',
  ['.'] = 'with dots', dots = 'with dots',
  ['+-'] = 'with linespoints', ['-+'] = 'with linespoints', linespoints = 'with linespoints',
  ['|'] = 'with impulses', impulses = 'with impulses', boxes = 'with boxes',
  ['~'] = 'smooth csplines', csplines = 'smooth csplines',
}

local function style(fname, i, f)
  local s = STYLES[f]
  if s then return s end
  local w = f:match('^~([%d%.eE%-]+)$')
  if w and tonumber(w) then return 'smooth acsplines', tonumber(w) end
  if f:match('^with ') or f:match('^smooth ') or f:match('^using ') then return f end
  argerror(fname, i, "unknown line style '" .. f .. "' (use '-', '+', '.', '+-', '|', '~' or 'with ...')")
end

-- one curve: [legend,] x [, y] [, style]  ->  legend, x (list), ys (lists), style
local function curve(fname, t, i)
  local legend, x, y, f
  local k = 1
  if type(t[k]) == 'string' then legend = t[k]; k = k + 1 end
  if istensor(t[k]) then x = t[k]; k = k + 1
  else
    argerror(fname, i, 'expected [name,] tensor [, tensor] [, style], got ' .. typename(t[k]) .. ' where a tensor should be')
  end
  if istensor(t[k]) then y = t[k]; k = k + 1 end
  if type(t[k]) == 'string' then f = t[k]; k = k + 1 end
  if t[k] ~= nil then
    argerror(fname, i, 'expected [name,] tensor [, tensor] [, style], got an extra ' .. typename(t[k]))
  end
  local function size(v) return table.concat(v:size():totable(), 'x') end
  if x:dim() == 0 or x:nElement() == 0 then argerror(fname, i, 'the tensor is empty') end
  if not y then
    if x:dim() == 1 then
      y = x
      x = torch.DoubleTensor(y:size(1))
      for j = 1, y:size(1) do x[j] = j end
    elseif x:dim() == 2 and x:size(2) >= 2 then
      y = x:narrow(2, 2, x:size(2) - 1)
      x = x:select(2, 1)
    else
      argerror(fname, i, 'a vector or an Nx2 matrix expected, got a tensor of size ' .. size(x))
    end
  end
  if x:dim() ~= 1 then argerror(fname, i, 'x must be a vector, got a tensor of size ' .. size(x)) end
  if y:dim() ~= 1 and y:dim() ~= 2 then argerror(fname, i, 'y must be a vector or a matrix, got a tensor of size ' .. size(y)) end
  if y:size(1) ~= x:size(1) then
    argerror(fname, i, 'x and y have different sizes (' .. size(x) .. ' and ' .. size(y) .. ')')
  end
  local ys = {}
  if y:dim() == 1 then ys[1] = values(y)
  else for c = 1, y:size(2) do ys[c] = values(y:select(2, c)) end end
  return legend or '', values(x), ys, f or ''
end

local function setplot(who, fig, pre, cmd, data, image)
  local _, lines = data:gsub('\n', '')
  local before = fig.plot
  fig.plot = { pre = pre, cmd = cmd, data = data, image = image, npoints = lines }
  local ok, err = pcall(render, fig, who)
  if not ok then fig.plot = before; error(err, 0) end   -- a plot gnuplot rejects is not kept
end

local function plotcurves(fname, curves, pre)
  local heads, data = {}, {}
  for i, c in ipairs(curves) do
    local legend, x, ys, f = c[1], c[2], c[3], c[4]
    local s, weight = style(fname, c[5], f)
    heads[#heads + 1] = "'-' title " .. quote(legend) .. ' noenhanced ' .. s
    for j = 1, #x do
      local row = { fmt(x[j]) }
      for _, ycol in ipairs(ys) do row[#row + 1] = fmt(ycol[j]) end
      if weight then row[#row + 1] = fmt(weight) end
      data[#data + 1] = table.concat(row, ' ')
    end
    data[#data + 1] = 'e'
  end
  local fig = current()
  setplot(fname, fig, pre or '', 'plot ' .. table.concat(heads, ', '), table.concat(data, '\n'))
end

-- gnuplot.plot(y), plot(x, y), plot(x, y, style), plot('name', x, y, style),
-- plot({'name', x, y, style}, {...}, ...) or plot{{...}, {...}}
function gnuplot.plot(...)
  local args = table.pack(...)
  if args.n == 0 then error("bad argument #1 to 'gnuplot.plot' (a tensor or a table of curves expected, got no value)", 2) end
  local curves = {}
  if type(args[1]) == 'table' and not istensor(args[1]) then
    local list = args
    if type(args[1][1]) == 'table' and not istensor(args[1][1]) then list = args[1]; list.n = #list end
    for i = 1, list.n do
      if type(list[i]) ~= 'table' or istensor(list[i]) then
        argerror('plot', i, 'a table {[name,] x [, y] [, style]} expected, got ' .. typename(list[i]))
      end
      local l, x, ys, f = curve('plot', list[i], i)
      curves[#curves + 1] = { l, x, ys, f, i }
    end
  else
    for i = 1, args.n do
      if args[i] ~= nil and type(args[i]) ~= 'string' and not istensor(args[i]) then
        argerror('plot', i, 'tensor or string expected, got ' .. typename(args[i]))
      end
    end
    local l, x, ys, f = curve('plot', args, 1)
    curves[1] = { l, x, ys, f, 1 }
  end
  plotcurves('plot', curves)
end

-- gnuplot.bar([x,] y): bars
function gnuplot.bar(x, y)
  if not istensor(x) then argerror('bar', 1, 'tensor expected, got ' .. typename(x)) end
  if y ~= nil and not istensor(y) then argerror('bar', 2, 'tensor expected, got ' .. typename(y)) end
  local l, xs, ys, f = curve('bar', { x, y }, 1)
  plotcurves('bar', { { l, xs, ys, 'boxes', 1 } },
    'set style fill solid 0.5 border\nset boxwidth 0.9 relative')
end

-- gnuplot.hist(t[, bins=100[, min, max]]): the histogram of the elements of t (between
-- min and max: by default the smallest and largest element); returns Torch7's
-- histc table: {raw = counts, bins, binwidth, [i] = {val = centre, nb = count}, max, min}
function gnuplot.hist(t, bins, min, max)
  if not istensor(t) then argerror('hist', 1, 'tensor expected, got ' .. typename(t)) end
  if t:nElement() == 0 then argerror('hist', 1, 'the tensor is empty') end
  bins = bins or 100
  if math.type(bins) ~= 'integer' then
    if type(bins) == 'number' and bins == math.floor(bins) then bins = math.tointeger(bins)
    else argerror('hist', 2, 'number of bins expected, got ' .. typename(bins)) end
  end
  if bins < 1 then argerror('hist', 2, 'the number of bins must be positive') end
  if min ~= nil and type(min) ~= 'number' then argerror('hist', 3, 'number expected, got ' .. typename(min)) end
  if max ~= nil and type(max) ~= 'number' then argerror('hist', 4, 'number expected, got ' .. typename(max)) end
  local d = t:double()
  min = min or d:min()
  max = max or d:max()
  if max < min then argerror('hist', 4, 'max is below min') end
  if max == min then min, max = min - 0.5, max + 0.5 end
  local counts = torch.histc(d, bins, min, max)
  local width = (max - min) / bins
  local h = { raw = counts, bins = bins, binwidth = width }
  local centres = torch.DoubleTensor(bins)
  local c = values(counts)
  local mx, mn = 1, 1
  for i = 1, bins do
    centres[i] = min + (i - 0.5) * width
    h[i] = { val = centres[i], nb = c[i] }
    if c[i] > c[mx] then mx = i end
    if c[i] < c[mn] then mn = i end
  end
  h.max, h.min = mx, mn
  local _, xs, ys = curve('hist', { centres, counts:double() }, 1)
  plotcurves('hist', { { '', xs, ys, 'boxes', 1 } },
    string.format('set style fill solid 0.5 border\nset boxwidth %.17g absolute', width))
  return h
end

-- gnuplot.imagesc(m[, 'gray'|'color']): the matrix as an image, one cell per element
function gnuplot.imagesc(m, palette)
  if not istensor(m) then argerror('imagesc', 1, 'tensor expected, got ' .. typename(m)) end
  if m:dim() ~= 2 or m:nElement() == 0 then
    argerror('imagesc', 1, 'a matrix expected, got a tensor with ' .. m:dim() .. ' dimensions')
  end
  palette = palette or 'gray'
  if palette ~= 'gray' and palette ~= 'color' then
    argerror('imagesc', 2, "'gray' or 'color' expected, got " .. tostring(palette))
  end
  local rows, cols = m:size(1), m:size(2)
  local v = values(m)
  local data = {}
  for i = 1, rows do
    local row = {}
    for j = 1, cols do row[j] = fmt(v[(i - 1) * cols + j]) end
    data[i] = table.concat(row, ' ')
  end
  data[#data + 1] = 'e'
  local pre = table.concat({
    'set palette ' .. (palette == 'gray' and 'gray' or 'rgbformulae 7,5,15'),
    string.format('set xrange [-0.5:%g] noreverse', cols - 0.5),
    string.format('set yrange [-0.5:%g] reverse', rows - 0.5),
    'set size ratio -1',
  }, '\n')
  setplot('imagesc', current(), pre, "plot '-' matrix with image notitle", table.concat(data, '\n'),
    { rows = rows, cols = cols, values = v })
end

local function splotvars(fname, t, i)
  local k, legend = 1, ''
  if type(t[1]) == 'string' then legend = t[1]; k = 2 end
  local x, y, z = t[k], t[k + 1], t[k + 2]
  for j, v in ipairs({ x, y, z }) do
    if v ~= nil and not istensor(v) then argerror(fname, i, 'tensor expected, got ' .. typename(v)) end
  end
  if x == nil then argerror(fname, i, 'a matrix expected') end
  if y == nil and z == nil then
    z = x
    if z:dim() ~= 2 then argerror(fname, i, 'z must be a matrix, got ' .. z:dim() .. ' dimensions') end
    x = torch.DoubleTensor(z:size(1), z:size(2))
    y = torch.DoubleTensor(z:size(1), z:size(2))
    for r = 1, z:size(1) do x:select(1, r):fill(r) end
    for c = 1, z:size(2) do y:select(2, c):fill(c) end
  elseif z == nil then
    argerror(fname, i, 'x, y and z matrices expected')
  end
  if x:dim() ~= 2 or y:dim() ~= 2 or z:dim() ~= 2 then
    argerror(fname, i, 'x, y and z must be matrices')
  end
  if not (x:isSameSizeAs(z) and y:isSameSizeAs(z)) then
    argerror(fname, i, 'x, y and z must have the same size')
  end
  return legend, x, y, z
end

-- gnuplot.splot(z), splot(x, y, z), splot({'name', x, y, z}, ...): surfaces
function gnuplot.splot(...)
  local args = table.pack(...)
  if args.n == 0 then error("bad argument #1 to 'gnuplot.splot' (a matrix expected, got no value)", 2) end
  local list = { args }
  if type(args[1]) == 'table' and not istensor(args[1]) then
    list = args
    if type(args[1][1]) == 'table' and not istensor(args[1][1]) then list = args[1] end
  end
  local heads, data = {}, {}
  for i, t in ipairs(list) do
    if type(t) ~= 'table' then argerror('splot', i, 'a table {[name,] x, y, z} expected, got ' .. typename(t)) end
    local legend, x, y, z = splotvars('splot', t, i)
    heads[#heads + 1] = "'-' title " .. quote(legend) .. ' noenhanced with lines'
    local xv, yv, zv = values(x), values(y), values(z)
    local cols = z:size(2)
    for r = 1, z:size(1) do
      for c = 1, cols do
        local k = (r - 1) * cols + c
        data[#data + 1] = fmt(xv[k]) .. ' ' .. fmt(yv[k]) .. ' ' .. fmt(zv[k])
      end
      data[#data + 1] = ''
    end
    data[#data + 1] = 'e'
  end
  local pre = 'set hidden3d\nset contour base\nset cntrparam levels auto'
  setplot('splot', current(), pre, 'splot ' .. table.concat(heads, ', '), table.concat(data, '\n'))
end

-- gnuplot.scatter3(x, y, z) or scatter3({'name', x, y, z}, ...): 3D points
function gnuplot.scatter3(...)
  local args = table.pack(...)
  local list = { args }
  if type(args[1]) == 'table' and not istensor(args[1]) then list = args end
  local heads, data = {}, {}
  for i, t in ipairs(list) do
    local k, legend = 1, ''
    if type(t[1]) == 'string' then legend = t[1]; k = 2 end
    local x, y, z = t[k], t[k + 1], t[k + 2]
    if not (istensor(x) and istensor(y) and istensor(z)) then
      argerror('scatter3', i, 'three tensors x, y, z expected')
    end
    if x:dim() ~= 1 or not (x:isSameSizeAs(y) and x:isSameSizeAs(z)) then
      argerror('scatter3', i, 'x, y and z must be vectors of the same size')
    end
    heads[#heads + 1] = "'-' title " .. quote(legend) .. ' noenhanced with points'
    local xv, yv, zv = values(x), values(y), values(z)
    for j = 1, #xv do data[#data + 1] = fmt(xv[j]) .. ' ' .. fmt(yv[j]) .. ' ' .. fmt(zv[j]) end
    data[#data + 1] = 'e'
  end
  setplot('scatter3', current(), '', 'splot ' .. table.concat(heads, ', '), table.concat(data, '\n'))
end

-- gnuplot.figprint(path): the current figure drawn once more into a file (by suffix:
-- png, svg, pdf, eps)
function gnuplot.figprint(path)
  if type(path) ~= 'string' then argerror('figprint', 1, 'file name expected, got ' .. typename(path)) end
  local suffix = path:match('%.(%w+)$')
  local terms = {
    png = gnuplot.hasterm('pngcairo') and 'pngcairo size 800,600' or 'png size 800,600',
    svg = 'svg size 800,600', pdf = 'pdfcairo enhanced color',
    eps = 'postscript eps enhanced color',
  }
  if not terms[suffix] then argerror('figprint', 1, 'the name must end in .png, .svg, .pdf or .eps') end
  local fig = current()
  local copy = setmetatable({ kind = 'file', term = terms[suffix], path = path }, { __index = fig })
  runscript(fullscript(copy), 'figprint')
end

-- file figures not yet drawn are drawn when the program ends (lua_close)
gnuplot._sentinel = setmetatable({}, { __gc = function()
  for _, fig in pairs(state.figures) do
    pcall(flushfile, fig)
    if fig.pipe then pcall(fig.pipe.close, fig.pipe) end
  end
end })

_G.gnuplot = gnuplot   -- Torch7 scripts use the global after require 'gnuplot'
return gnuplot
