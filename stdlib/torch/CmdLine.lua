-- torch.CmdLine: Torch7's command-line parser (cmdline.md).
--
--   local cmd = torch.CmdLine()
--   cmd:text('Training a simple network')
--   cmd:option('-seed', 123, 'initial random seed')     -- the default's type is the option's
--   cmd:option('-cuda', false, 'use the GPU')           -- booleans toggle: -cuda
--   cmd:argument('data', 'the data file')
--   local params = cmd:parse(arg)                       -- {seed=123, cuda=false, data=...}
--
-- -h, -help and --help print the help and exit (cmd:help(arg, false) returns the text
-- without printing it). log(file, params) copies everything `print` writes into a log
-- file from then on; string(prefix, params, ignore) names an experiment's folder.
local torch = require 'torch.core'

local CmdLine = torch.class('torch.CmdLine', torch)

local function strip(key) return (key:match('^%-*(.*)$')) end
local function pad(s, n) return s .. string.rep(' ', n - #s) end

function CmdLine:__init(argseparator, keyseparator)
  self.argseparator = argseparator or ','
  self.keyseparator = keyseparator or '='
  self.options = {}
  self.arguments = {}
  self.helplines = {}
  self.dateformat = nil
  self.silentio = false
end

-- prints the message and the help on stderr, exits with status 1
function CmdLine:error(msg)
  io.stderr:write('\n', msg, '\n\n')
  self:help(nil, io.stderr)
  os.exit(1)
end

-- option(name, default, help [, type]): name starts with '-'; the type of the value is
-- the default's ('number', 'string' or 'boolean') unless given
function CmdLine:option(key, default, help, kind)
  if type(key) ~= 'string' or key:sub(1, 1) ~= '-' then
    error("bad argument #1 to 'option' (option name starting with '-' expected, got "
      .. (type(key) == 'string' and ("'" .. key .. "'") or type(key)) .. ')', 2)
  end
  kind = kind or (default == nil and 'string') or type(default)
  if kind ~= 'number' and kind ~= 'string' and kind ~= 'boolean' then
    error("bad argument #4 to 'option' (option type must be number, string or boolean, got "
      .. tostring(kind) .. ')', 2)
  end
  if default ~= nil and type(default) ~= kind then
    error('option ' .. key .. ' has a default of the wrong type (' .. type(default) .. ', '
      .. kind .. ' expected)', 2)
  end
  if self.options[key] then error('duplicated option ' .. key, 2) end
  local o = {key = key, default = default, help = help, type = kind, isoption = true}
  self.options[key] = o
  self.helplines[#self.helplines + 1] = o
end

-- argument(name, help [, type]): a positional argument, required, in declaration order
function CmdLine:argument(key, help, kind)
  if type(key) ~= 'string' then
    error("bad argument #1 to 'argument' (string expected, got " .. type(key) .. ')', 2)
  end
  for _, a in ipairs(self.arguments) do
    if a.key == key then error('duplicated argument ' .. key, 2) end
  end
  local a = {key = key, help = help, type = kind}
  self.arguments[#self.arguments + 1] = a
  self.helplines[#self.helplines + 1] = a
end

-- text([string]): a line of the help
function CmdLine:text(txt)
  if txt ~= nil and type(txt) ~= 'string' then
    error("bad argument #1 to 'text' (string expected, got " .. type(txt) .. ')', 2)
  end
  self.helplines[#self.helplines + 1] = txt or ''
end

-- the table of default values
function CmdLine:default()
  local params = {}
  for key, o in pairs(self.options) do params[strip(key)] = o.default end
  return params
end

function CmdLine:__readOption__(params, arg, i)
  local key = arg[i]
  local option = self.options[key]
  local inline
  if not option then
    -- PyTorch habits: --name and -name=value
    local k, v = key:match('^(%-+[^=]+)=(.*)$')
    if k then key, inline = k, v end
    option = self.options[key] or self.options['-' .. strip(key)]
    if not option then self:error('unknown option ' .. arg[i]) end
  end
  local name = strip(option.key)
  if option.type == 'boolean' then
    if inline ~= nil then
      if inline == 'true' or inline == '1' then params[name] = true
      elseif inline == 'false' or inline == '0' then params[name] = false
      else self:error('invalid value for option ' .. option.key .. ' (should be true or false)') end
    else
      params[name] = not option.default
    end
    return 1
  end
  local value, used = inline, 1
  if value == nil then
    value, used = arg[i + 1], 2
    if value == nil then self:error('missing argument for option ' .. option.key) end
  end
  if option.type == 'number' then
    local n = tonumber(value)
    if n == nil then
      self:error('invalid type for option ' .. option.key .. ' (should be number)')
    end
    -- '-batch 1e3' for an integer default stays an integer
    if math.type(option.default) == 'integer' then n = math.tointeger(n) or n end
    value = n
  end
  params[name] = value
  return used
end

function CmdLine:__readArgument__(params, arg, i, n)
  local argument = self.arguments[n]
  local value = arg[i]
  if not argument then self:error('invalid argument: ' .. value) end
  if argument.type == 'number' then
    local v = tonumber(value)
    if v == nil then
      self:error('invalid argument type for argument ' .. argument.key .. ' (should be number)')
    end
    value = v
  elseif argument.type and argument.type ~= 'string' then
    self:error('invalid argument type for argument ' .. argument.key .. ' (should be '
      .. argument.type .. ')')
  end
  params[strip(argument.key)] = value
  return 1
end

-- parse([arg]): the table of option and argument values (arg defaults to the global arg)
function CmdLine:parse(arg)
  arg = arg or _G.arg or {}
  if type(arg) ~= 'table' then
    error("bad argument #1 to 'parse' (table expected, got " .. type(arg) .. ')', 2)
  end
  local params = self:default()
  local i, n = 1, 0
  while i <= #arg do
    local a = arg[i]
    if a == '-h' or a == '-help' or a == '--help' then
      self:help(arg)
      os.exit(0)
    end
    if type(a) == 'string' and a:sub(1, 1) == '-' and #a > 1 and not tonumber(a) then
      i = i + self:__readOption__(params, arg, i)
    else
      n = n + 1
      i = i + self:__readArgument__(params, arg, i, n)
    end
  end
  if n < #self.arguments then
    self:error('not enough arguments (' .. n .. ' given, ' .. #self.arguments .. ' expected)')
  end
  return params
end

-- help([arg [, file]]): prints the usage line, then the text, options and arguments in
-- the order declared, to `file` (default io.output(); false: print nothing); returns
-- the text
function CmdLine:help(arg, out)
  local lines = {}
  local usage = 'Usage: '
  if type(arg) == 'table' and arg[0] then usage = usage .. tostring(arg[0]) .. ' ' end
  usage = usage .. '[options]'
  for _, a in ipairs(self.arguments) do usage = usage .. ' <' .. strip(a.key) .. '>' end
  lines[1] = usage
  local width = 0
  for _, h in ipairs(self.helplines) do
    if type(h) == 'table' then
      local w = h.isoption and #h.key or #strip(h.key) + 2
      if w > width then width = w end
    end
  end
  for _, h in ipairs(self.helplines) do
    if type(h) == 'table' then
      local s
      if h.isoption then
        s = '  ' .. pad(h.key, width)
        if h.help then s = s .. '  ' .. h.help end
        s = s .. ' [' .. tostring(h.default) .. ']'
      else
        s = '  ' .. pad('<' .. strip(h.key) .. '>', width)
        if h.help then s = s .. '  ' .. h.help end
      end
      lines[#lines + 1] = s
    else
      lines[#lines + 1] = h
    end
  end
  local text = table.concat(lines, '\n') .. '\n'
  if out ~= false then
    out = out or io.output()
    out:write(text)
    out:flush()
  end
  return text
end

-- string(prefix, params, ignore): prefix followed by the arguments and the options that
-- differ from their defaults, as "prefix,arg=v,opt=v" (options sorted; booleans t/f)
function CmdLine:string(prefix, params, ignore)
  prefix = prefix or ''
  ignore = ignore or {}
  local args, opts = {}, {}
  for k, v in pairs(params) do
    if not ignore[k] then
      local o = self.options['-' .. k] or self.options['--' .. k]
      if o then
        if v ~= o.default or ignore[k] == false then
          if type(v) == 'boolean' then v = v and 't' or 'f' end
          opts[#opts + 1] = k .. self.keyseparator .. tostring(v)
        end
      else
        for n, a in ipairs(self.arguments) do
          if strip(a.key) == k then args[n] = k .. self.keyseparator .. tostring(v) end
        end
      end
    end
  end
  table.sort(opts)
  local parts = {}
  for n = 1, #self.arguments do if args[n] then parts[#parts + 1] = args[n] end end
  for _, o in ipairs(opts) do parts[#parts + 1] = o end
  local str = table.concat(parts, self.argseparator)
  if str == '' then return prefix end
  return prefix .. self.argseparator .. str
end

-- silent(): log() writes to the log file only, not to the screen
function CmdLine:silent()
  self.silentio = true
end

-- addTime([name] [, format]): prefix every line of the log file with the date (os.date
-- format, default '%F %T') and [name]
function CmdLine:addTime(name, format)
  format = format or '%F %T'
  if type(format) ~= 'string' then
    error("bad argument #2 to 'addTime' (string expected, got " .. type(format) .. ')', 2)
  end
  self.dateformat = format
  self.datename = name and ('[' .. tostring(name) .. ']: ') or ' '
end

-- the print functions log() installed, each mapped to the print it writes to the screen
local logprints = setmetatable({}, {__mode = 'k'})

-- log(file, params): from now on `print` also writes to `file` (a name or an open file);
-- then prints the start time and the parameters. A second log() replaces the first.
function CmdLine:log(file, params)
  if type(file) ~= 'string' and io.type(file) ~= 'file' then
    error("bad argument #1 to 'log' (file name or open file expected, got " .. type(file) .. ')', 2)
  end
  if params ~= nil and type(params) ~= 'table' then
    error("bad argument #2 to 'log' (table expected, got " .. type(params) .. ')', 2)
  end
  local f = io.type(file) == 'file' and file or io.open(file, 'w')
  local dir = not f and file:match('^(.*)/[^/]*$')
  if dir and dir ~= '' then
    -- Torch7 scripts log into params.rundir .. '/log': make the folder if it is missing
    os.execute("mkdir -p '" .. dir:gsub("'", "'\\''") .. "' 2>/dev/null")
    f = io.open(file, 'w')
  end
  if not f then error("log: cannot open '" .. tostring(file) .. "' for writing", 2) end
  self.logfile = f
  local screen = logprints[print] or print
  local cmd = self
  local function logprint(...)
    if not cmd.silentio then screen(...) end
    local n = select('#', ...)
    local parts = {...}
    for i = 1, n do parts[i] = tostring(parts[i]) end
    local line = table.concat(parts, '\t', 1, n)
    if cmd.dateformat then line = os.date(cmd.dateformat) .. cmd.datename .. line end
    f:write(line, '\n')
    f:flush()
  end
  logprints[logprint] = screen
  _G.print = logprint
  print('[program started on ' .. os.date() .. ']')
  print('[command line arguments]')
  if params then
    local keys = {}
    for k in pairs(params) do keys[#keys + 1] = k end
    table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
    for _, k in ipairs(keys) do print(k, params[k]) end
  end
  print('[----------------------]')
end
