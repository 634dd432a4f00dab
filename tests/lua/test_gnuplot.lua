-- gnuplot: file figures (PNG, SVG, PDF, EPS) complete on disk after plotflush/close,
-- dumb (text) figures captured from io.write, the data sent (gnuplot.script), argument
-- errors, the error when the program is missing, and optim.Logger:plot through it.
local tester = torch.Tester()
local T = torch.TestSuite()

local function have_gnuplot()
  local p = io.popen('command -v gnuplot 2>/dev/null')
  local path = p:read('l')
  p:close()
  return path and path ~= ''
end

if not have_gnuplot() then
  tester.skipReason = "the 'gnuplot' program is not installed (Debian: gnuplot-nox)"
  tester:add(T)
  return tester
end

local gnuplot = require 'gnuplot'
gnuplot.setterm('dumb')    -- never a window, whatever the display

local tmpdir
do
  local p = io.popen('mktemp -d /tmp/luatorch_gnuplot.XXXXXX')
  tmpdir = p:read('l')
  p:close()
end

local function readfile(path)
  local f = io.open(path, 'rb')
  if not f then return nil end
  local s = f:read('a')
  f:close()
  return s
end

-- runs f with io.write captured; returns the text written
local function capture(f, ...)
  local buf = {}
  local saved = io.write
  io.write = function(...)
    for _, s in ipairs({ ... }) do buf[#buf + 1] = tostring(s) end
    return io.stdout
  end
  local ok, err = pcall(f, ...)
  io.write = saved
  if not ok then error(err, 0) end
  return table.concat(buf)
end

local function errmsg(f, ...)
  local ok, err = pcall(f, ...)
  if ok then return nil end
  return tostring(err)
end

-- the inline data blocks of a script: a list of blocks, each a list of rows of numbers
local function datablocks(script)
  local blocks, cur = {}, nil
  local indata = false
  for line in script:gmatch('[^\n]*') do
    if line:match("^s?plot '%-'") then indata = true; cur = {}
    elseif indata and line == 'e' then
      blocks[#blocks + 1] = cur; cur = {}
    elseif indata and line:match('^[%d%-%.]') then
      local row = {}
      for v in line:gmatch('%S+') do row[#row + 1] = tonumber(v) end
      cur[#cur + 1] = row
    end
  end
  return blocks
end

function T.png_file_complete_after_plotflush()
  local path = tmpdir .. '/a.png'
  local n = gnuplot.pngfigure(path)
  tester:assert(math.type(n) == 'integer', 'pngfigure returns the figure number')
  gnuplot.plot(torch.linspace(0, 1, 50))
  gnuplot.title('png title')
  gnuplot.plotflush()
  local s = readfile(path)
  tester:assert(s ~= nil, 'the file exists')
  tester:eq(s:sub(1, 8), '\137PNG\r\n\26\n', 'PNG magic bytes')
  tester:assert(#s > 2000, 'a real image')
  gnuplot.close()
end

function T.svg_file_has_title_and_curves()
  local path = tmpdir .. '/b.svg'
  gnuplot.svgfigure(path)
  gnuplot.plot({ 'first curve', torch.Tensor{ 1, 3, 2 }, '-' }, { 'second curve', torch.Tensor{ 2, 1, 3 }, '+' })
  gnuplot.title('svg title text')
  gnuplot.xlabel('the x label')
  gnuplot.close()          -- close writes the file too
  local s = readfile(path)
  tester:assert(s ~= nil, 'the file exists')
  tester:assert(s:find('<svg', 1, true) ~= nil, 'an SVG document')
  tester:assert(s:find('svg title text', 1, true) ~= nil, 'the title is in the file')
  tester:assert(s:find('the x label', 1, true) ~= nil, 'the x label is in the file')
  tester:assert(s:find('first curve', 1, true) and s:find('second curve', 1, true), 'the legends')
end

function T.pdf_and_eps_files()
  local pdf, eps = tmpdir .. '/c.pdf', tmpdir .. '/d.eps'
  gnuplot.pdffigure(pdf)
  gnuplot.plot(torch.Tensor{ 1, 2, 3 }, torch.Tensor{ 1, 4, 9 })
  gnuplot.close()
  gnuplot.epsfigure(eps)
  gnuplot.plot(torch.Tensor{ 1, 2, 3 })
  gnuplot.close()
  tester:eq((readfile(pdf) or ''):sub(1, 5), '%PDF-', 'PDF magic')
  tester:eq((readfile(eps) or ''):sub(1, 10), '%!PS-Adobe', 'EPS header')
end

function T.imagesc_and_splot_files()
  local a, b, c = tmpdir .. '/img.png', tmpdir .. '/surf.png', tmpdir .. '/img2.svg'
  gnuplot.pngfigure(a)
  gnuplot.imagesc(torch.randn(8, 12), 'color')
  gnuplot.close()
  gnuplot.pngfigure(b)
  local z = torch.DoubleTensor(6, 7)
  for i = 1, 6 do for j = 1, 7 do z[i][j] = math.sin(i / 2) * math.cos(j / 3) end end
  gnuplot.splot(z)
  gnuplot.close()
  gnuplot.svgfigure(c)
  gnuplot.imagesc(torch.Tensor{ { 0, 1 }, { 2, 3 } })
  local script = gnuplot.script()
  gnuplot.close()
  tester:eq((readfile(a) or ''):sub(1, 4), '\137PNG', 'imagesc PNG')
  tester:eq((readfile(b) or ''):sub(1, 4), '\137PNG', 'splot PNG')
  tester:assert((readfile(c) or ''):find('<image', 1, true) ~= nil, 'imagesc SVG holds an image')
  tester:assert(script:find("plot '-' matrix with image", 1, true) ~= nil, 'matrix image command')
  tester:assert(script:find('\n0 1\n2 3\ne', 1, true) ~= nil, 'the matrix rows are sent')
  tester:assert(script:find('set palette gray', 1, true) ~= nil, 'gray palette by default')
end

function T.dumb_figure_prints_text_of_the_asked_size()
  local n = gnuplot.dumbfigure(nil, 60, 20)
  gnuplot.title('dumb title')
  local text = capture(gnuplot.plot, torch.Tensor{ 0, 10, 20, 30, 40 })
  tester:assert(text:find('dumb title', 1, true) ~= nil, 'the title is printed')
  for _, tick in ipairs({ '40', '30', '20', '10', '0' }) do
    tester:assert(text:find('%f[%d]' .. tick .. '%f[^%d]') ~= nil, 'y tick ' .. tick)
  end
  tester:assert(text:find('%*%*%*') ~= nil, 'the curve is drawn')
  local lines = {}
  for line in (text:gsub('\n$', '') .. '\n'):gmatch('([^\n]*)\n') do lines[#lines + 1] = line end
  tester:eq(#lines, 20, 'height 20')
  for i, line in ipairs(lines) do
    tester:assert(#line <= 60, 'line ' .. i .. ' within 60 columns')
  end
  tester:eq(#lines[4], 60, 'the frame fills the width')
  tester:assert(not text:find('\27', 1, true), 'no colour codes when not on a terminal')
  -- settings after a plot are drawn at plotflush
  gnuplot.xlabel('epochs here')
  local again = capture(gnuplot.plotflush)
  tester:assert(again:find('epochs here', 1, true) ~= nil, 'plotflush prints the label')
  gnuplot.close(n)
end

function T.imagesc_in_the_terminal_is_a_character_map()
  local n = gnuplot.dumbfigure(nil, 40, 12)
  gnuplot.title('img')
  local text = capture(gnuplot.imagesc, torch.Tensor{ { 0, 1 }, { 2, 3 } })
  tester:eq(text, ' img\n+----+\n|  --|\n|**@@|\n+----+\n0  .:-=+*#%@ 3  (2x2)\n', 'the map')
  -- larger than the figure: averaged cells, within its size
  local m = torch.DoubleTensor(50, 100)
  for i = 1, 50 do for j = 1, 100 do m[i][j] = j end end
  text = capture(gnuplot.imagesc, m)
  local lines = {}
  for line in text:gmatch('([^\n]*)\n') do lines[#lines + 1] = line end
  tester:assert(#lines <= 12, 'within the height')
  for _, line in ipairs(lines) do tester:assert(#line <= 40, 'within the width: ' .. line) end
  tester:eq(lines[3]:sub(1, 2), '| ', 'smallest on the left')
  tester:eq(lines[3]:sub(-2), '@|', 'largest on the right')
  gnuplot.close(n)
end

function T.automatic_figure_without_display_is_dumb()
  local d, w = os.getenv('DISPLAY') or '', os.getenv('WAYLAND_DISPLAY') or ''
  if (d ~= '' or w ~= '') and (gnuplot.hasterm('qt') or gnuplot.hasterm('wxt') or gnuplot.hasterm('x11')) then
    tester:skip('a display and a window terminal are here: figure() would open a window')
  end
  gnuplot.setterm()        -- the automatic choice
  local ok, err = pcall(function()
    local n = gnuplot.figure()
    local text = capture(gnuplot.plot, torch.Tensor{ 5, 6, 7 })
    tester:assert(text:find('+----', 1, true) ~= nil, 'a text plot is printed')
    tester:assert(gnuplot.script(n):find('set terminal dumb', 1, true) ~= nil, 'dumb terminal')
    tester:eq(gnuplot.figure(n), n, 'figure(n) selects an existing figure')
    gnuplot.close(n)
  end)
  gnuplot.setterm('dumb')
  if not ok then error(err, 0) end
end

function T.settings_after_a_plot_reach_the_file()
  local a, b, c = tmpdir .. '/late.svg', tmpdir .. '/other.svg', tmpdir .. '/print.svg'
  local n = gnuplot.svgfigure(a)
  gnuplot.plot(torch.Tensor{ 1, 2 })
  tester:assert((readfile(a) or ''):find('<svg', 1, true), 'a plot draws the file at once')
  gnuplot.title('late title')
  tester:assert(not (readfile(a) or ''):find('late title', 1, true), 'not drawn yet')
  gnuplot.svgfigure(b)     -- choosing another figure draws the first
  tester:assert((readfile(a) or ''):find('late title', 1, true), 'drawn when another figure is chosen')
  gnuplot.close()
  gnuplot.figure(n)
  gnuplot.ylabel('late label')
  gnuplot.figprint(c)
  tester:assert((readfile(c) or ''):find('late label', 1, true), 'figprint draws the current state')
  gnuplot.plotflush()
  tester:assert((readfile(a) or ''):find('late label', 1, true), 'plotflush draws it')
  gnuplot.close(n)
end

function T.hist_sends_the_counts()
  local n = gnuplot.dumbfigure()
  local h
  capture(function() h = gnuplot.hist(torch.Tensor{ 1, 1, 2, 3, 3, 3, 2.9 }, 4, 1, 3) end)
  tester:eq(h.bins, 4, 'bins')
  tester:eq(h.binwidth, 0.5, 'bin width')
  tester:eq(h.raw, torch.Tensor{ 2, 0, 1, 4 }:typeAs(h.raw), 'counts')
  tester:eq(h[4].nb, 4, 'count of the last bin')
  tester:eq(h.max, 4, 'the fullest bin')
  tester:eq(h[1].val, 1.25, 'centre of the first bin')
  local script = gnuplot.script()
  local blocks = datablocks(script)
  tester:eq(#blocks, 1, 'one data block')
  local want = { { 1.25, 2 }, { 1.75, 0 }, { 2.25, 1 }, { 2.75, 4 } }
  tester:eq(#blocks[1], 4, 'one row per bin')
  for i, row in ipairs(want) do
    tester:eq(blocks[1][i][1], row[1], 'centre ' .. i)
    tester:eq(blocks[1][i][2], row[2], 'count ' .. i)
  end
  tester:assert(script:find('with boxes', 1, true) ~= nil, 'drawn as boxes')
  -- default range: the smallest and largest element
  capture(function() h = gnuplot.hist(torch.Tensor{ 0, 10 }, 2) end)
  tester:eq(h.raw:sum(), 2, 'every element counted')
  tester:eq(h[1].val, 2.5, 'range from the data')
  gnuplot.close(n)
end

function T.curves_styles_and_settings_in_the_script()
  local n = gnuplot.dumbfigure()
  local x = torch.Tensor{ 1, 2, 3 }
  gnuplot.axis{ 0, 10, '', 5 }
  gnuplot.grid(true)
  gnuplot.movelegend('left', 'bottom')
  gnuplot.raw('set xtics 1')
  capture(gnuplot.plot, { 'lin', x, x, '-' }, { 'pts', x, x * 2, '+' }, { 'smooth', x, x * 3, '~' },
    { 'imp', x, '|' }, { x, x * 4, '+-' })
  local s = gnuplot.script()
  tester:assert(s:find("'-' title 'lin' noenhanced with lines", 1, true), 'lines')
  tester:assert(s:find("title 'pts' noenhanced with points", 1, true), 'points')
  tester:assert(s:find("title 'smooth' noenhanced smooth csplines", 1, true), 'smooth')
  tester:assert(s:find("title 'imp' noenhanced with impulses", 1, true), 'impulses')
  tester:assert(s:find("title '' noenhanced with linespoints", 1, true), 'linespoints, no name')
  tester:assert(s:find('set xrange [0:10]', 1, true), 'x range')
  tester:assert(s:find('set yrange [*:5]', 1, true), 'y range with an automatic bound')
  tester:assert(s:find('set grid', 1, true), 'grid')
  tester:assert(s:find('set key left bottom', 1, true), 'legend position')
  tester:assert(s:find('set xtics 1', 1, true), 'raw command kept')
  local blocks = datablocks(s)
  tester:eq(#blocks, 5, 'five data blocks')
  tester:eq(blocks[2][3][2], 6, 'y of the second curve')
  tester:eq(blocks[4][2][1], 2, 'x of a curve given y only')
  -- a title with quotes survives
  gnuplot.title("it's \"quoted\"")
  tester:assert(gnuplot.script():find("set title 'it''s \"quoted\"' noenhanced", 1, true), 'quoting')
  -- an Nx2 matrix is x and y
  capture(gnuplot.plot, torch.Tensor{ { 1, 5 }, { 2, 7 } })
  blocks = datablocks(gnuplot.script())
  tester:eq(blocks[1][2][1], 2, 'x from column 1')
  tester:eq(blocks[1][2][2], 7, 'y from column 2')
  gnuplot.close(n)
end

function T.splot_sends_the_grid()
  local n = gnuplot.dumbfigure()
  capture(gnuplot.splot, torch.Tensor{ { 1, 2, 3 }, { 4, 5, 6 } })
  local s = gnuplot.script()
  tester:assert(s:find("splot '-'", 1, true), 'splot')
  tester:assert(s:find('1 1 1\n1 2 2\n1 3 3\n\n2 1 4\n2 2 5\n2 3 6\n\ne', 1, true), 'rows separated by blank lines')
  gnuplot.close(n)
end

function T.bad_arguments()
  local n = gnuplot.dumbfigure()
  local e = errmsg(gnuplot.plot, torch.Tensor{ 1, 2, 3 }, torch.Tensor{ 1, 2 })
  tester:assert(e and e:find("'gnuplot.plot'", 1, true) and e:find('different sizes', 1, true), 'x/y sizes: ' .. tostring(e))
  e = errmsg(gnuplot.plot, 42)
  tester:assert(e and e:find("bad argument #1 to 'gnuplot.plot'", 1, true) and e:find('number'), 'a number: ' .. tostring(e))
  e = errmsg(gnuplot.plot, { 'name', 'not a tensor' })
  tester:assert(e and e:find("'gnuplot.plot'", 1, true), 'no tensor in a curve: ' .. tostring(e))
  e = errmsg(gnuplot.plot, { 'ok', torch.Tensor{ 1 } }, 7)
  tester:assert(e and e:find("bad argument #2 to 'gnuplot.plot'", 1, true), 'second curve: ' .. tostring(e))
  e = errmsg(gnuplot.plot)
  tester:assert(e and e:find("'gnuplot.plot'", 1, true), 'no argument: ' .. tostring(e))
  e = errmsg(gnuplot.plot, torch.Tensor{ 1, 2 }, 'zigzag')
  tester:assert(e and e:find('unknown line style', 1, true), 'bad style: ' .. tostring(e))
  e = errmsg(gnuplot.plot, torch.zeros(2, 2, 2))
  tester:assert(e and e:find("'gnuplot.plot'", 1, true), '3-d tensor: ' .. tostring(e))
  e = errmsg(gnuplot.hist, 'x')
  tester:assert(e and e:find("bad argument #1 to 'gnuplot.hist'", 1, true), 'hist: ' .. tostring(e))
  e = errmsg(gnuplot.hist, torch.Tensor{ 1 }, 0)
  tester:assert(e and e:find("bad argument #2 to 'gnuplot.hist'", 1, true), 'hist bins: ' .. tostring(e))
  e = errmsg(gnuplot.imagesc, torch.Tensor{ 1, 2 })
  tester:assert(e and e:find("bad argument #1 to 'gnuplot.imagesc'", 1, true), 'imagesc 1-d: ' .. tostring(e))
  e = errmsg(gnuplot.imagesc, torch.ones(2, 2), 'rainbow')
  tester:assert(e and e:find("bad argument #2 to 'gnuplot.imagesc'", 1, true), 'imagesc palette: ' .. tostring(e))
  e = errmsg(gnuplot.splot, torch.Tensor{ 1, 2 })
  tester:assert(e and e:find("'gnuplot.splot'", 1, true), 'splot vector: ' .. tostring(e))
  e = errmsg(gnuplot.axis, { 0, 'a', 1, 2 })
  tester:assert(e and e:find("bad argument #1 to 'gnuplot.axis'", 1, true), 'axis: ' .. tostring(e))
  e = errmsg(gnuplot.movelegend, 'up', 'top')
  tester:assert(e and e:find("bad argument #1 to 'gnuplot.movelegend'", 1, true), 'movelegend: ' .. tostring(e))
  e = errmsg(gnuplot.title, {})
  tester:assert(e and e:find("bad argument #1 to 'gnuplot.title'", 1, true), 'title: ' .. tostring(e))
  e = errmsg(gnuplot.pngfigure, tmpdir .. '/no/such/dir/x.png')
  tester:assert(e and e:find('directory does not exist', 1, true), 'missing directory: ' .. tostring(e))
  e = errmsg(gnuplot.pngfigure, 12)
  tester:assert(e and e:find("bad argument #1 to 'gnuplot.pngfigure'", 1, true), 'pngfigure: ' .. tostring(e))
  e = errmsg(gnuplot.raw, 'set nosuchoption')
  tester:assert(e and e:find('gnuplot.raw', 1, true) and e:lower():find('unrecognized option', 1, true), 'gnuplot error: ' .. tostring(e))
  tester:assert(not gnuplot.script():find('nosuchoption', 1, true), 'a rejected command is not kept')
  capture(gnuplot.plot, torch.Tensor{ 1, 5, 2, 6 }, '~0.5')
  e = errmsg(capture, gnuplot.plot, torch.Tensor{ 1, 2, 3 }, '~2')
  tester:assert(e and e:find('gnuplot.plot: gnuplot failed', 1, true) and e:find('4 points', 1, true), 'gnuplot rejects: ' .. tostring(e))
  tester:assert(gnuplot.script():find('\n4 6 0.5\ne', 1, true), 'the rejected plot is not kept')
  e = errmsg(gnuplot.setterm, 'nosuchterm')
  tester:assert(e and e:find('gnuplot.setterm', 1, true), 'setterm: ' .. tostring(e))
  e = errmsg(gnuplot.figure, 'one')
  tester:assert(e and e:find("bad argument #1 to 'gnuplot.figure'", 1, true), 'figure: ' .. tostring(e))
  gnuplot.close(n)
end

function T.missing_gnuplot_is_a_clear_error()
  local p = io.popen('readlink /proc/$PPID/exe')
  local th = p:read('l')
  p:close()
  if not th or not th:match('/th$') then tester:skip('not run by th') end
  local dir = th:match('^(.*)/bin/th$')
  p = io.popen('PATH=/nonexistent ' .. th .. [[ -e "local ok, e = pcall(require('gnuplot').plot, torch.ones(3)) print(ok, e)" 2>&1]])
  local out = p:read('a')
  p:close()
  tester:assert(dir ~= nil, 'th in a build tree')
  tester:assert(out:find('false', 1, true) ~= nil, 'plot fails: ' .. out)
  tester:assert(out:find("'gnuplot' program was not found", 1, true) ~= nil, 'names the program: ' .. out)
  tester:assert(out:find('gnuplot-nox', 1, true) ~= nil, 'names the Debian package: ' .. out)
end

-- a window figure, with a stand-in gnuplot that has a 'qt' terminal and logs its input
function T.window_figure_through_a_pipe()
  local p = io.popen('command -v gnuplot')
  local real = p:read('l')
  p:close()
  local fake, log = tmpdir .. '/fakegnuplot', tmpdir .. '/fake.log'
  local f = io.open(fake, 'w')
  f:write('#!/bin/sh\ncase "$*" in *GPVAL_TERMINALS*) echo "dumb png qt svg"; exit 0;; esac\n',
    'echo "args: $*" >> ' .. log .. '\ncat >> ' .. log .. '\n')
  f:close()
  os.execute('chmod +x ' .. fake)
  gnuplot.setgnuplotexe(fake)
  local ok, err = pcall(function()
    gnuplot.setterm('qt')
    local n = gnuplot.figure()
    gnuplot.plot({ 'w', torch.Tensor{ 3, 1, 2 }, '-' })
    gnuplot.title('window title')
    gnuplot.close(n)
  end)
  gnuplot.setgnuplotexe(real)
  gnuplot.setterm('dumb')
  if not ok then error(err, 0) end
  local s = readfile(log) or ''
  tester:assert(s:find('args: -persist', 1, true), 'gnuplot -persist: ' .. s)
  tester:assert(s:find('set terminal qt %d+\n'), 'the window terminal')
  tester:assert(s:find("plot '-' title 'w' noenhanced with lines\n1 3\n2 1\n3 2\ne\n", 1, true), 'plot and data')
  tester:assert(s:find("set title 'window title' noenhanced\nrefresh\n", 1, true), 'a title redraws')
  tester:assert(s:find('quit\n$'), 'close quits gnuplot')
end

function T.logger_plot_draws_the_curves()
  local optim = require 'optim'
  local log = tmpdir .. '/train.log'
  local logger = optim.Logger(log)
  logger:setNames{ 'train loss', 'test loss' }
  for i = 1, 10 do logger:add{ 1 / i, 1.5 / i } end
  logger:style{ '-', '-' }
  local text = capture(function() logger:plot() end)
  tester:assert(text:find('train loss', 1, true) and text:find('test loss', 1, true), 'the legends are printed')
  local eps = readfile(log .. '.eps')
  tester:assert(eps and eps:sub(1, 10) == '%!PS-Adobe', 'the EPS file is written')
  tester:assert(eps and eps:find('Logger::', 1, true), 'the EPS file has the title')
  logger:close()
  gnuplot.closeall()
end

function T.zz_cleanup()
  gnuplot.closeall()
  gnuplot.setterm()
  os.execute('rm -rf ' .. tmpdir)
  tester:assert(true)
end

tester:add(T)
return tester
