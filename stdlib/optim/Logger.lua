-- optim.Logger([filename[, timestamp]]): logs values during training to a text file,
-- one tab-separated line per add (Torch7's format: a header line of names, then numbers
-- as %11.4e, each field followed by a tab; flushed at each line), and plots them with
-- gnuplot.
--   logger = optim.Logger('train.log'); logger:setNames{'train loss', 'test loss'}
--   logger:add{0.5, 0.7}          -- or, without setNames, logger:add{['train loss'] = 0.5}
--   logger:style{'-', '-'}; logger:plot()
-- Without setNames the names are the keys of the first add, in sorted order.
-- timestamp appends -YYYY_MM_DD_HH:MM:SS to the file name. No filename: stdout.
local torch = require 'torch'
local optim = require 'optim'

local Logger = torch.class('optim.Logger', optim)

local function dirname(path)
  return path:match('^(.*)/[^/]*$')
end

function Logger:__init(filename, timestamp)
  if filename ~= nil then
    if type(filename) ~= 'string' then
      error("bad argument #1 to 'optim.Logger' (file name expected, got " .. type(filename) .. ")", 3)
    end
    self.name = filename
    local dir = dirname(filename)
    if dir and dir ~= '' then
      local h = io.open(dir, 'r')
      if h then h:close() else os.execute("mkdir -p '" .. dir:gsub("'", "'\\''") .. "'") end
    end
    if timestamp then filename = filename .. '-' .. os.date('%Y_%m_%d_%X') end
    local f, err = io.open(filename, 'w')
    if not f then error("optim.Logger: cannot open the log file: " .. tostring(err), 3) end
    self.file = f
    self.filename = filename
    self.epsfile = self.name .. '.eps'
  else
    self.file = io.stdout
    self.name = 'stdout'
    print('<Logger> warning: no path provided, logging to std out')
  end
  self.empty = true
  self.symbols = {}   -- position -> list of logged values
  self.styles = {}    -- position -> list of styles
  self.names = {}     -- position -> name
  self.idx = {}       -- name -> position
  self.nsymbols = 0
  self.figure = nil
  self.showPlot = true
  self.plotRawCmd = nil
  self.defaultStyle = '+'
  self.logscale = false
end

local function header(self, names)
  if not self.empty then
    error("optim.Logger: the names are already set (setNames once, before the first add)", 3)
  end
  self.empty = false
  self.nsymbols = #names
  for k, name in ipairs(names) do
    name = tostring(name)
    self.file:write(name .. '\t')
    self.names[k], self.idx[name] = name, k
    self.symbols[k] = {}
    self.styles[k] = { self.defaultStyle }
  end
  self.file:write('\n')
  self.file:flush()
end

-- logger:setNames{name1, name2, ...}: the columns; add then takes values in that order
function Logger:setNames(names)
  if type(names) ~= 'table' or #names == 0 then
    error("bad argument #1 to 'setNames' (a list of names expected)", 2)
  end
  header(self, names)
  return self
end

-- logger:add(values): a list (after setNames) or a table name -> value
function Logger:add(symbols)
  if type(symbols) ~= 'table' then
    error("bad argument #1 to 'add' (a table of values expected, got " .. type(symbols) .. ")", 2)
  end
  if self.empty then
    local names = {}
    for k in pairs(symbols) do names[#names + 1] = k end
    table.sort(names, function(a, b)
      if type(a) == type(b) and (type(a) == 'number' or type(a) == 'string') then return a < b end
      return type(a) == 'number'
    end)
    header(self, names)
  end
  -- the row, by position, checked before anything is written
  local row = {}
  for k, v in pairs(symbols) do
    local pos = self.idx[tostring(k)]
    if not pos and math.type(k) == 'integer' and k >= 1 and k <= self.nsymbols then pos = k end
    if not pos then error("optim.Logger: unknown symbol '" .. tostring(k) .. "'", 2) end
    if type(v) ~= 'number' and type(v) ~= 'string' then
      error("optim.Logger: can only log numbers and strings (got a " .. torch.type(v) .. " for '"
        .. self.names[pos] .. "')", 2)
    end
    row[pos] = v
  end
  for k = 1, self.nsymbols do
    local v = row[k]
    if v ~= nil then
      if type(v) == 'number' then self.file:write(string.format('%11.4e', v) .. '\t')
      else self.file:write(v .. '\t') end
      table.insert(self.symbols[k], v)
    end
  end
  self.file:write('\n')
  self.file:flush()
  return self
end

-- logger:style{name = '-', ...} or {'-', '+', ...} (by position); a style is a string
-- or a list of strings (one curve each): '-' lines, '+' points, '~' smooth, '|' impulses
function Logger:style(symbols)
  if type(symbols) ~= 'table' then
    error("bad argument #1 to 'style' (a table of styles expected)", 2)
  end
  for name, style in pairs(symbols) do
    local pos = self.idx[tostring(name)] or (math.type(name) == 'integer' and name) or nil
    if not pos then error("optim.Logger: unknown symbol '" .. tostring(name) .. "'", 2) end
    if type(style) == 'string' then
      self.styles[pos] = { style }
    elseif type(style) == 'table' then
      self.styles[pos] = style
    else
      error("optim.Logger: style should be a string or a table of strings", 2)
    end
  end
  return self
end

function Logger:setlogscale(state) self.logscale = state and true or false end
function Logger:display(state) self.showPlot = state and true or false end

function Logger:close()
  if self.file and self.file ~= io.stdout then self.file:close() end
  self.file = nil
end

-- logger:plot([name, ...]): the logged numbers of every symbol (or the named ones)
-- with more than one value, drawn with gnuplot.plot on the logger's figure (when
-- showPlot) and into <filename>.eps
function Logger:plot(...)
  local ok, gnuplot = pcall(require, 'gnuplot')
  if not ok or type(gnuplot) ~= 'table' or type(gnuplot.plot) ~= 'function' then
    error("optim.Logger:plot: plotting needs the gnuplot package, which is not available ("
      .. tostring(gnuplot):match('^[^\n]*') .. ")", 2)
  end
  local plots = {}
  local function plotsymbol(pos)
    local list = {}
    for _, v in ipairs(self.symbols[pos]) do
      if type(v) == 'number' then list[#list + 1] = v end
    end
    if #list > 1 then
      local y = torch.DoubleTensor(#list)
      for i, v in ipairs(list) do y[i] = v end
      for _, style in ipairs(self.styles[pos]) do
        plots[#plots + 1] = { self.names[pos], y, style }
      end
    end
  end
  local args = { ... }
  if #args == 0 then
    for pos = 1, self.nsymbols do plotsymbol(pos) end
  else
    for _, name in ipairs(args) do
      local pos = self.idx[tostring(name)]
      if not pos then error("optim.Logger:plot: unknown symbol '" .. tostring(name) .. "'", 2) end
      plotsymbol(pos)
    end
  end
  if #plots == 0 then return self end
  local function draw()
    if self.logscale then
      if gnuplot.logscale then gnuplot.logscale('on')
      elseif gnuplot.raw then gnuplot.raw('set logscale y') end
    end
    -- settings first: a terminal figure prints the plot the moment it is drawn
    if self.plotRawCmd and gnuplot.raw then gnuplot.raw(self.plotRawCmd) end
    if gnuplot.grid then gnuplot.grid(true) end
    if gnuplot.title then gnuplot.title('<Logger::' .. self.name .. '>') end
    gnuplot.plot(plots)
  end
  if self.showPlot then
    if gnuplot.figure then self.figure = gnuplot.figure(self.figure) end
    draw()
  end
  if self.epsfile and gnuplot.epsfigure then
    os.remove(self.epsfile)
    local fig = gnuplot.epsfigure(self.epsfile)
    draw()
    if gnuplot.plotflush then gnuplot.plotflush() end
    if gnuplot.close then gnuplot.close(fig) end
  end
  return self
end
