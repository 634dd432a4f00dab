-- Utilities: torch.Timer, threads, torch.pointer (bindings/util.c), torch.class and the
-- type functions (class.lua), torch.CmdLine (CmdLine.lua), torch.Tester (Tester.lua).
local tester = torch.Tester()
local T = torch.TestSuite()

-- runs f with io.output going to a string; returns what was written
local function capture(f, ...)
  local path = os.tmpname()
  local file = io.open(path, 'w')
  local old = io.output()
  io.output(file)
  local ok, err = pcall(f, ...)
  io.output(old)
  file:close()
  local s = io.open(path):read('a')
  os.remove(path)
  if not ok then error(err, 0) end
  return s
end

local function busy(seconds)
  local t0 = os.clock()
  local x = 0
  while os.clock() - t0 < seconds do x = x + math.sin(x) end
  return x
end

---------------------------------------------------------------------------------------
-- Timer
---------------------------------------------------------------------------------------
function T.timer_counts_time()
  local t = torch.Timer()
  tester:eq(torch.type(t), 'torch.Timer')
  -- wall-clock time passes while the process sleeps
  os.execute('sleep 0.05')
  local a = t:time()
  tester:assertge(a.real, 0.045, 'real time elapsed')
  tester:assertlt(a.real, 5, 'in seconds')
  -- cpu time is what the process spends: compare with os.clock over a busy loop
  local c0, u0 = os.clock(), t:time()
  busy(0.03)
  local c1, u1 = os.clock(), t:time()
  local cpu = (u1.user + u1.sys) - (u0.user + u0.sys)
  tester:assertge(cpu, 0.5 * (c1 - c0) - 0.01, 'user+sys follows the cpu clock')
  tester:assertge(a.sys, 0)
  tester:assertge(u1.real, a.real, 'monotonic')
end

function T.timer_stop_resume_reset()
  local t = torch.Timer()
  busy(0.01)
  tester:eq(t:stop(), t, 'stop returns the timer')
  local s = t:time().real
  busy(0.01)
  tester:eq(t:time().real, s, 'a stopped timer does not count')
  tester:eq(t:resume(), t)
  busy(0.01)
  tester:assertgt(t:time().real, s, 'resumed timer counts on from the stored time')
  t:stop()
  tester:eq(t:reset(), t)
  tester:eq(t:time().real, 0, 'reset zeroes a stopped timer, which stays stopped')
  t:resume()
  t:reset()
  tester:assertlt(t:time().real, 0.01, 'reset restarts a running timer from zero')
  local r = t:time().real
  tester:eq(t:resume(), t, 'resuming a running timer does nothing (Torch7)')
  tester:assertge(t:time().real, r, 'and keeps its time')
  t:stop()
  r = t:time().real
  tester:eq(t:stop(), t, 'stopping a stopped timer does nothing (Torch7)')
  tester:eq(t:time().real, r, 'and keeps its time')
  tester:assertErrorPattern(function() t.time({}) end, 'torch.Timer expected')
  tester:assert(tostring(t):find('torch.Timer', 1, true))
end

---------------------------------------------------------------------------------------
-- threads, pointer
---------------------------------------------------------------------------------------
function T.numthreads()
  local n = torch.getnumthreads()
  tester:assertge(n, 1)
  torch.setnumthreads(2)
  tester:eq(torch.getnumthreads(), 2)
  torch.setnumthreads(1)
  tester:eq(torch.getnumthreads(), 1)
  -- work still right with one thread
  tester:eq((torch.Tensor(5000):fill(2) + 1)[4321], 3)
  torch.setnumthreads(n)
  tester:eq(torch.getnumthreads(), n)
  tester:assertErrorPattern(function() torch.setnumthreads(0) end, "setnumthreads.*between 1 and")
  tester:assertErrorPattern(function() torch.setnumthreads('many') end, "setnumthreads.*number expected")
end

function T.pointer()
  local a, b = {}, {}
  tester:eq(math.type(torch.pointer(a)), 'integer')
  tester:eq(torch.pointer(a), torch.pointer(a))
  tester:ne(torch.pointer(a), torch.pointer(b))
  local f = function() end
  tester:eq(torch.pointer(f), torch.pointer(f))
  local t = torch.Tensor(3)
  tester:eq(torch.pointer(t), torch.pointer(t))
  tester:ne(torch.pointer(t), torch.pointer(t:view(3)), 'a view is another tensor')
  tester:assert(torch.pointer(t:storage()) ~= 0)
  tester:assertErrorPattern(function() torch.pointer(3) end, "pointer.*got number")
  tester:assertErrorPattern(function() torch.pointer(nil) end, "pointer.*got nil")
end

---------------------------------------------------------------------------------------
-- torch.class and types
---------------------------------------------------------------------------------------
function T.class_basics()
  local M = {}
  local A = torch.class('testutil.A', M)
  tester:eq(M.A ~= nil, true, 'constructor placed in the module')
  function A:__init(x) self.x = x end
  function A:get() return self.x end
  local a = M.A(5)
  tester:eq(a:get(), 5)
  tester:eq(torch.type(a), 'testutil.A')
  tester:eq(torch.typename(a), 'testutil.A')
  tester:eq(torch.typename({}), nil)
  tester:eq(torch.type({}), 'table')
  tester:eq(torch.type(3), 'number')
  tester:eq(torch.type('s'), 'string')
  tester:eq(torch.type(nil), 'nil')
  tester:eq(torch.typename(M.A), nil, 'the constructor is not an instance')
  tester:eq(getmetatable(M.A), A, 'getmetatable(constructor) is the class')
  tester:eq(M.A.get, A.get, 'methods through the constructor')
  tester:eq(torch.getmetatable('testutil.A'), A)
  tester:eq(A.__typename, 'testutil.A')
  local b = A.new(7)
  tester:eq(b:get(), 7, 'mt.new constructs')
  tester:eq(torch.type(torch.factory('testutil.A')()), 'testutil.A')
  tester:eq(torch.factory('testutil.A')().x, nil, 'a factory object is empty')
  tester:eq(torch.factory('no.such.Class'), nil)
  tester:eq(torch.getmetatable('no.such.Class'), nil)
end

function T.class_inheritance()
  local M = {}
  local Base = torch.class('testutil.Base', M)
  function Base:__init(x) self.x = x end
  function Base:name() return 'base' end
  function Base:value() return self.x end
  local Child, parent = torch.class('testutil.Child', 'testutil.Base', M)
  tester:eq(parent, Base, 'the parent class is returned')
  function Child:__init(x, y) parent.__init(self, x); self.y = y end
  function Child:name() return 'child of ' .. parent.name(self) end
  local GrandChild = torch.class('testutil.GrandChild', 'testutil.Child', M)
  local c = M.Child(1, 2)
  tester:eq(c:name(), 'child of base')
  tester:eq(c:value(), 1, 'inherited method')
  tester:eq(c.y, 2)
  local g = M.GrandChild(3, 4)
  tester:eq(g:value(), 3, '__init inherited from the parent')
  tester:eq(g.y, 4)
  tester:assert(torch.isTypeOf(g, 'testutil.GrandChild'))
  tester:assert(torch.isTypeOf(g, 'testutil.Child'))
  tester:assert(torch.isTypeOf(g, M.Base), 'constructor as the type spec')
  tester:assert(torch.isTypeOf(g, 'Base'), 'a pattern matches part of the name')
  tester:assert(not torch.isTypeOf(M.Base(1), 'testutil.Child'))
  tester:assert(not torch.isTypeOf({}, 'testutil.Base'))
  tester:assert(not torch.isTypeOf(3, 'testutil.Base'))
  -- a method added to the parent later reaches the children
  function Base:late() return 'late' end
  tester:eq(g:late(), 'late')
  tester:assertErrorPattern(function() torch.class('testutil.Bad', 'testutil.NoSuchParent', M) end,
    'invalid parent class name testutil.NoSuchParent')
  tester:assertErrorPattern(function() torch.isTypeOf(g, 42) end, 'invalid type specification')
end

function T.class_naming()
  -- a dotted name goes into the loaded package of that name; no dot: a global
  tester:assertErrorPattern(function() torch.class('nosuchpackage.X') end,
    'nosuchpackage is an invalid module name')
  tester:assertErrorPattern(function() torch.class(42) end, '<class name>')
  local G = torch.class('TestUtilGlobalClass')
  tester:eq(type(rawget(_G, 'TestUtilGlobalClass')), 'table', 'constructor in _G')
  tester:eq(torch.type(TestUtilGlobalClass()), 'TestUtilGlobalClass')
  rawset(_G, 'TestUtilGlobalClass', nil)
  -- torch.X lands in the torch table
  torch.class('torch.TestUtilThing')
  tester:eq(torch.type(torch.TestUtilThing()), 'torch.TestUtilThing')
  torch.TestUtilThing = nil
  -- redefining keeps the class (reloading a script in the REPL)
  local M = {}
  local A1 = torch.class('testutil.Again', M)
  local A2 = torch.class('testutil.Again', M)
  tester:eq(A1, A2)
  tester:assertErrorPattern(function() M.Again() () end, 'no call operator')
  -- calling the metatable torch.class returned (a common slip) names the constructor
  local Sub = torch.class('testutil.AgainSub', 'testutil.Again', M)
  tester:assertErrorPattern(function() Sub() end, 'metatable of class testutil.AgainSub')
end

function T.class_operators()
  local M = {}
  local V = torch.class('testutil.Vec', M)
  function V:__init(x) self.x = x end
  function V:__tostring__() return 'Vec(' .. self.x .. ')' end
  function V:__add__(o) return M.Vec(self.x + (type(o) == 'number' and o or o.x)) end
  function V:__eq__(o) return self.x == o.x end
  function V:__lt__(o) return self.x < o.x end
  function V:__len__() return self.x end
  function V:__call__(y) return self.x * y end
  function V:__unm__() return M.Vec(-self.x) end
  local a, b = M.Vec(1), M.Vec(2)
  tester:eq(tostring(a), 'Vec(1)')
  tester:eq((a + b).x, 3)
  tester:eq((a + 5).x, 6)
  tester:assert(a == M.Vec(1))
  tester:assert(a < b)
  tester:eq(#b, 2)
  tester:eq(b(10), 20)
  tester:eq((-b).x, -2)
  -- subclasses inherit the operators
  local W = torch.class('testutil.Vec2', 'testutil.Vec', M)
  tester:eq(tostring(M.Vec2(4)), 'Vec(4)')
  tester:eq(tostring(W), 'class testutil.Vec2', 'a class metatable is not an instance')
  -- a class without them: the type name, rawlen, identity, errors
  local P = torch.class('testutil.Plain', M)
  local p = M.Plain()
  tester:eq(tostring(p), 'testutil.Plain')
  tester:eq(#p, 0)
  tester:assert(p ~= M.Plain())
  tester:assertErrorPattern(function() return p + p end, 'no addition operator')
  tester:assertErrorPattern(function() return p < p end, 'no less%-than operator')
  tester:assertErrorPattern(function() return p() end, 'testutil.Plain has no call operator')
  -- Torch7's __index__ / __newindex__ hooks
  local I = torch.class('testutil.Indexed', M)
  function I:__init() self.store = {} end
  function I:__index__(k)
    if type(k) == 'number' then return self.store[k] or 0, true end
    return nil, false
  end
  function I:__newindex__(k, v)
    if type(k) == 'number' then self.store[k] = v; return true end
    return false
  end
  function I:size() return #self.store end
  local i = M.Indexed()
  i[1] = 10
  tester:eq(i[1], 10)
  tester:eq(i[2], 0)
  tester:eq(i:size(), 1, 'methods still found')
  i.field = 'f'
  tester:eq(rawget(i, 'field'), 'f')
  W = nil
end

function T.tensor_types()
  local t = torch.FloatTensor(2)
  tester:eq(torch.type(t), 'torch.FloatTensor')
  tester:eq(torch.typename(torch.LongTensor()), 'torch.LongTensor')
  tester:eq(torch.type(torch.DoubleStorage(2)), 'torch.DoubleStorage')
  tester:eq(torch.typename(torch.FloatTensor), nil)
  tester:assert(torch.isTypeOf(t, 'torch.FloatTensor'))
  tester:assert(torch.isTypeOf(t, torch.FloatTensor))
  tester:assert(torch.isTypeOf(t, 'torch.*Tensor'))
  tester:assert(not torch.isTypeOf(t, torch.DoubleTensor))
  tester:eq(torch.getmetatable('torch.FloatTensor'), getmetatable(t))
  tester:eq(torch.getmetatable('torch.ByteStorage'), getmetatable(torch.ByteStorage()))
  tester:eq(torch.getmetatable('torch.Timer'), getmetatable(torch.Timer()))
  tester:assert(torch.isequal(t, t))
  tester:assert(not torch.isequal(t, t:view(2)))
  local a = {}
  tester:assert(torch.isequal(a, a))
  tester:assert(not torch.isequal(a, {}))
  tester:assert(not torch.isequal(1, 1))
  local obj = torch.setmetatable({}, 'torch.Tester')
  tester:eq(torch.type(obj), 'torch.Tester')
  tester:assertErrorPattern(function() torch.setmetatable({}, 'no.Such') end, 'unknown typename')
  tester:assertErrorPattern(function() torch.getmetatable(3) end, "getmetatable.*string expected")
end

---------------------------------------------------------------------------------------
-- CmdLine
---------------------------------------------------------------------------------------
local function newcmd()
  local cmd = torch.CmdLine()
  cmd:text()
  cmd:text('Training a simple network')
  cmd:text()
  cmd:text('Options')
  cmd:option('-seed', 123, 'initial random seed')
  cmd:option('-booloption', false, 'boolean option')
  cmd:option('-stroption', 'mystring', 'string option')
  cmd:option('-lr', 0.1, 'learning rate')
  cmd:text()
  -- errors raise instead of exiting the process
  function cmd:error(msg) error('cmdline: ' .. msg, 0) end
  return cmd
end

function T.cmdline_defaults_and_options()
  local cmd = newcmd()
  tester:eq(cmd:parse({}), {seed = 123, booloption = false, stroption = 'mystring', lr = 0.1})
  local p = cmd:parse({'-seed', '456', '-stroption', 'mycustomstring', '-booloption', '-lr', '-1e-3'})
  tester:eq(p, {seed = 456, booloption = true, stroption = 'mycustomstring', lr = -1e-3})
  tester:eq(math.type(p.seed), 'integer')
  -- a boolean option toggles its default
  local c2 = newcmd()
  c2:option('-verbose', true, 'talk')
  tester:eq(c2:parse({'-verbose'}).verbose, false)
  -- PyTorch habits
  tester:eq(cmd:parse({'--seed', '7'}).seed, 7)
  tester:eq(cmd:parse({'-seed=8', '--booloption=true'}), {seed = 8, booloption = true,
    stroption = 'mystring', lr = 0.1})
end

function T.cmdline_arguments()
  local cmd = newcmd()
  cmd:argument('data', 'the data file')
  cmd:argument('epochs', 'how many', 'number')
  local p = cmd:parse({'-seed', '1', 'train.t7', '30'})
  tester:eq(p.data, 'train.t7')
  tester:eq(p.epochs, 30)
  tester:assertErrorPattern(function() cmd:parse({'train.t7'}) end, 'not enough arguments')
  tester:assertErrorPattern(function() cmd:parse({'a', '1', 'extra'}) end, 'invalid argument: extra')
  tester:assertErrorPattern(function() cmd:parse({'a', 'x'}) end, 'argument epochs %(should be number%)')
end

function T.cmdline_errors()
  local cmd = newcmd()
  tester:assertErrorPattern(function() cmd:parse({'-nope'}) end, 'unknown option %-nope')
  tester:assertErrorPattern(function() cmd:parse({'-seed'}) end, 'missing argument for option %-seed')
  tester:assertErrorPattern(function() cmd:parse({'-seed', 'abc'}) end,
    'invalid type for option %-seed %(should be number%)')
  tester:assertErrorPattern(function() cmd:option('seed', 1, 'x') end, "starting with '%-'")
  tester:assertErrorPattern(function() cmd:option('-seed', 1, 'x') end, 'duplicated option %-seed')
  tester:assertErrorPattern(function() cmd:option('-t', 1, 'x', 'string') end, 'wrong type')
  -- the default error handler: message and help on stderr, exit status 1
  local plain = torch.CmdLine()
  plain:option('-n', 1, 'a number')
  local path = os.tmpname()
  local f = io.open(path, 'w')
  local stderr, exit = io.stderr, os.exit
  io.stderr = f
  os.exit = function(code) error({exit = code}, 0) end
  local ok, e = pcall(plain.parse, plain, {'-x'})
  io.stderr, os.exit = stderr, exit
  f:close()
  local text = io.open(path):read('a')
  os.remove(path)
  tester:assert(not ok and type(e) == 'table')
  tester:eq(e.exit, 1)
  tester:assert(text:find('unknown option -x', 1, true), 'message on stderr')
  tester:assert(text:find('Usage:', 1, true), 'help on stderr')
end

function T.cmdline_help()
  local cmd = newcmd()
  cmd:argument('data', 'the data file')
  local text = capture(function() cmd:help({[0] = 'train.lua'}) end)
  local expected = table.concat({
    'Usage: train.lua [options] <data>',
    '',
    'Training a simple network',
    '',
    'Options',
    '  -seed        initial random seed [123]',
    '  -booloption  boolean option [false]',
    '  -stroption   string option [mystring]',
    '  -lr          learning rate [0.1]',
    '',
    '  <data>       the data file',
    ''}, '\n')
  tester:eq(text, expected)
  -- -h prints the help and exits with status 0
  local exit = os.exit
  os.exit = function(code) error({exit = code}, 0) end
  local ok, e
  local out = capture(function() ok, e = pcall(cmd.parse, cmd, {'-h'}) end)
  os.exit = exit
  tester:assert(not ok and type(e) == 'table' and e.exit == 0, '-h exits 0')
  tester:assert(out:find('Usage:', 1, true), '-h prints the usage')
end

function T.cmdline_string()
  local cmd = newcmd()
  cmd:argument('data', 'the data')
  local p = cmd:parse({'-seed', '456', '-stroption', 'mycustomstring', 'd1'})
  tester:eq(cmd:string('experiment', p, {data = true}), 'experiment,seed=456,stroption=mycustomstring')
  tester:eq(cmd:string('experiment', p, {}), 'experiment,data=d1,seed=456,stroption=mycustomstring')
  tester:eq(cmd:string('experiment', cmd:parse({'x'}), {data = true}), 'experiment')
  tester:eq(cmd:string('e', cmd:parse({'x', '-booloption'}), {dir = true, data = true}), 'e,booloption=t')
end

function T.cmdline_log()
  local cmd = newcmd()
  local p = cmd:parse({'-seed', '456'})
  local path = os.tmpname()
  local oldprint = print
  cmd:silent()
  cmd:log(path, p)
  print('hello', 42)
  cmd:addTime('proj', '%Y')
  print('stamped')
  _G.print = oldprint
  cmd.logfile:close()
  local text = io.open(path):read('a')
  os.remove(path)
  local lines = {}
  for l in text:gmatch('[^\n]+') do lines[#lines + 1] = l end
  tester:assert(lines[1]:match('^%[program started on .+%]$'), 'start line')
  tester:eq(lines[2], '[command line arguments]')
  tester:eq({table.unpack(lines, 3, 6)}, {'booloption\tfalse', 'lr\t0.1', 'seed\t456', 'stroption\tmystring'})
  tester:eq(lines[7], '[----------------------]')
  tester:eq(lines[8], 'hello\t42')
  tester:eq(lines[9], os.date('%Y') .. '[proj]: stamped')
  tester:eq(#lines, 9)
end

function T.cmdline_types()
  local cmd = newcmd()
  cmd:argument('n', 'a count', 'number')
  local p = cmd:parse({'-stroption', '42', '-seed', '1e3', '-lr', '1e3', '-5'})
  tester:eq(p.stroption, '42', 'a string option keeps its text')
  tester:eq(math.type(p.seed), 'integer', 'an integer default converts 1e3 to an integer')
  tester:eq(p.seed, 1000)
  tester:eq(math.type(p.lr), 'float')
  tester:eq(p.n, -5, 'a negative number is an argument, not an option')
  tester:eq(cmd:parse({'-seed', '0x10', '3'}).seed, 16)
  tester:assertErrorPattern(function() cmd:parse({'-lr=fast', '1'}) end,
    'invalid type for option %-lr %(should be number%)')
  tester:assertErrorPattern(function() cmd:parse({'-booloption=maybe', '1'}) end,
    'invalid value for option %-booloption')
  -- a flag given twice toggles twice (Torch7: it sets the opposite of the default)
  tester:eq(cmd:parse({'-booloption', '-booloption', '1'}).booloption, true)
  tester:assertErrorPattern(function() cmd:parse('-seed 1') end,
    "bad argument #1 to 'parse' %(table expected, got string%)")
  tester:assertErrorPattern(function() cmd:text(42) end,
    "bad argument #1 to 'text' %(string expected, got number%)")
  tester:assertErrorPattern(function() cmd:option('-x', {}, 'a table') end,
    "option type must be number, string or boolean")
  tester:assertErrorPattern(function() cmd:argument(3) end, "bad argument #1 to 'argument'")
  tester:assertErrorPattern(function() cmd:argument('n') end, 'duplicated argument n')
  -- an option without a default is a string option defaulting to nil
  local c2 = torch.CmdLine()
  c2:option('-name', nil, 'a name')
  tester:eq(c2:parse({}), {})
  tester:eq(c2:parse({'-name', 'x'}), {name = 'x'})
end

function T.cmdline_help_text()
  local cmd = newcmd()
  cmd:argument('data', 'the data file')
  local printed
  local text
  printed = capture(function() text = cmd:help(nil, false) end)
  tester:eq(printed, '', 'help(arg, false) prints nothing')
  local l = {}
  for line in (text .. ''):gmatch('([^\n]*)\n') do l[#l + 1] = line end
  tester:eq(l[1], 'Usage: [options] <data>')
  tester:eq(l[6], '  -seed        initial random seed [123]')
  tester:eq(l[7], '  -booloption  boolean option [false]')
  tester:eq(l[11], '  <data>       the data file')
  tester:eq(#l, 11)
  -- printing returns the same text
  local again
  printed = capture(function() again = cmd:help({[0] = 'x.lua'}) end)
  tester:eq(printed, again)
  tester:eq(again, text:gsub('^Usage: ', 'Usage: x.lua '), nil)
end

function T.cmdline_log_twice()
  local oldprint = print
  local screen = {}
  _G.print = function(...) screen[#screen + 1] = table.concat({...}, ' ') end
  local cmd = torch.CmdLine()
  local a, b = os.tmpname(), os.tmpname()
  cmd:log(a)
  print('one')
  local c2 = torch.CmdLine()
  c2:log(b, {x = 1})
  print('two')
  local p2 = print
  _G.print = oldprint
  cmd.logfile:close(); c2.logfile:close()
  local ta, tb = io.open(a):read('a'), io.open(b):read('a')
  os.remove(a); os.remove(b)
  tester:assert(ta:find('\none\n', 1, true))
  tester:assert(not ta:find('two', 1, true), 'the second log replaces the first')
  tester:assert(tb:find('\nx\t1\n', 1, true), 'the parameters')
  tester:assert(tb:find('\ntwo\n', 1, true))
  local n = 0
  for _, s in ipairs(screen) do if s == 'two' then n = n + 1 end end
  tester:eq(n, 1, 'printed once on the screen')
  tester:assert(p2 ~= oldprint)
  tester:assertErrorPattern(function() cmd:log(42) end,
    "bad argument #1 to 'log' %(file name or open file expected, got number%)")
  tester:assertErrorPattern(function() cmd:log(os.tmpname(), 'x') end,
    "bad argument #2 to 'log' %(table expected, got string%)")
  local notdir = os.tmpname()   -- a file, so no folder can be made under it
  tester:assertErrorPattern(function() cmd:log(notdir .. '/sub/log.txt') end, 'cannot open')
  os.remove(notdir)
  tester:eq(print, oldprint, 'a failed log leaves print alone')
  -- the folder of the log file is made when missing (Torch7 scripts log into rundir/log)
  local dir = os.tmpname()
  os.remove(dir)
  local c3 = torch.CmdLine()
  c3:silent()
  c3:log(dir .. '/run/log', {lr = 0.1})
  _G.print = oldprint
  c3.logfile:close()
  tester:assert(io.open(dir .. '/run/log'):read('a'):find('lr\t0.1', 1, true), 'written in the new folder')
  os.execute("rm -r '" .. dir .. "'")
end

function T.cmdline_script_exit_status()
  -- in a real th process: -h prints the help and exits 0; an unknown option exits 1
  local th = arg and arg[-1]
  if not th or not th:find('th$') then return end
  local script = os.tmpname()
  local f = io.open(script, 'w')
  f:write([[
local cmd = torch.CmdLine()
cmd:text('A test script')
cmd:option('-lr', 0.1, 'learning rate')
cmd:option('-cuda', false, 'use the GPU')
cmd:argument('data', 'the data')
local opt = cmd:parse(arg)
print(opt.lr, opt.cuda, opt.data)
]])
  f:close()
  local function run(args)
    local out = os.tmpname()
    local ok, how, code = os.execute(th .. ' ' .. script .. ' ' .. args .. ' >' .. out .. ' 2>&1')
    local text = io.open(out):read('a')
    os.remove(out)
    return code, text
  end
  local code, text = run('-h')
  tester:eq(code, 0)
  tester:assert(text:find('Usage: ' .. script .. ' [options] <data>', 1, true), text)
  tester:assert(text:find('A test script', 1, true))
  tester:assert(text:find('  -lr     learning rate [0.1]', 1, true), text)
  code, text = run('-lr 0.5 -cuda d.t7')
  tester:eq(code, 0)
  tester:eq(text, '0.5\ttrue\td.t7\n')
  code, text = run('-lr x d.t7')
  tester:eq(code, 1)
  tester:assert(text:find('invalid type for option -lr (should be number)', 1, true), text)
  code, text = run('-lrate 1 d.t7')
  tester:eq(code, 1)
  tester:assert(text:find('unknown option -lrate', 1, true), text)
  os.remove(script)
end

---------------------------------------------------------------------------------------
-- Tester (a tester checking a tester)
---------------------------------------------------------------------------------------
-- runs `suite` (a table of tests) in a fresh quiet tester; returns its output and counts
local function inner(build)
  local t = torch.Tester()
  local S = torch.TestSuite()
  build(t, S)
  t:add(S)
  t:setQuiet(true):setLabel('inner')
  local p, f, s
  local out = capture(function() p, f, s = t:runCounts() end)
  return out, p, f, s
end

function T.tester_counts()
  local out, p, f, s = inner(function(t, S)
    function S.ok() t:eq(1, 1); t:assert(true) end
    function S.fails() t:eq(1, 2) end
    function S.raises() error('boom') end
    function S.skips() t:skip('not here') end
    function S.fails_twice() t:assert(false, 'first'); t:assert(false, 'second') end
  end)
  tester:eq({p, f, s}, {1, 3, 1})
  tester:assert(out:find('FAIL inner:fails\n', 1, true))
  tester:assert(out:find('FAIL inner:raises\n', 1, true))
  tester:assert(out:find('ERROR: [^\n]*boom'))
  tester:assert(out:find('SKIP inner:skips (not here)', 1, true))
  -- each failing assertion: file:line of the call in the test, the message
  local file = debug.getinfo(1, 'S').short_src
  tester:assert(out:find(file .. ':%d+: first: BOOL violation'), out)
  tester:assert(out:find(file .. ':%d+: second: BOOL violation'), out)
  tester:assert(not out:find('inner:ok', 1, true), 'passing tests are quiet')
end

function T.tester_tensor_comparisons()
  local a = torch.Tensor{{1, 2}, {3, 4}}
  local t = torch.Tester()
  local function check(ok, ...) t._cur = {nasserts = 0, failures = {}}; local r = ok(...); t._cur = nil; return r end
  tester:eq(check(t.eq, t, a, a:clone()), true)
  tester:eq(check(t.eq, t, a, a:double()), true, 'types may differ: compared as float64')
  tester:eq(check(t.eq, t, a, torch.LongTensor{{1, 2}, {3, 4}}), true)
  tester:eq(check(t.eq, t, a, torch.Tensor{{1, 2}, {3, 4.5}}), false)
  tester:eq(check(t.eq, t, a, torch.Tensor{{1, 2}, {3, 4.5}}, 0.6), true, 'within tolerance')
  tester:eq(check(t.eq, t, a, torch.Tensor{{1, 2}, {3, 4.5}}, 'msg', 0.6), true, 'message and tolerance swapped')
  tester:eq(check(t.eq, t, a, torch.Tensor{1, 2, 3, 4}), false, 'sizes must match')
  tester:eq(check(t.eq, t, a:t(), torch.Tensor{{1, 3}, {2, 4}}), true, 'transposed view')
  tester:eq(check(t.ne, t, a, torch.Tensor{{1, 2}, {3, 5}}), true)
  tester:eq(check(t.ne, t, a, a), false)
  tester:eq(check(t.assertTensorEq, t, a, a:double(), 1e-12), true)
  tester:eq(check(t.assertTensorNe, t, a, a + 1, 0.5), true)
  tester:eq(check(t.assertTensorEq, t, a, 3), false, 'both must be tensors')
  -- NaN equals NaN, infinities equal themselves
  local n = torch.DoubleTensor{0 / 0, math.huge, 1}
  tester:eq(check(t.eq, t, n, n:clone()), true)
  tester:eq(check(t.eq, t, n, torch.DoubleTensor{1, math.huge, 1}), false)
  -- a one-element tensor against a number
  tester:eq(check(t.eq, t, torch.Tensor{3}, 3), true)
  tester:eq(check(t.eq, t, 3, torch.Tensor{3}:squeeze()), true)
  -- tables holding tensors, deep
  tester:eq(check(t.eq, t, {2, torch.Tensor{1, 2}}, {2, torch.Tensor{1, 2.001}}, 0.01), true)
  tester:eq(check(t.eq, t, {x = {y = 1}}, {x = {y = 2}}), false)
  tester:eq(check(t.eq, t, {1, 2}, {1, 2, 3}), false)
  tester:eq(check(t.assertTableEq, t, {1, {2}}, {1, {2}}), true)
  tester:eq(check(t.assertTableNe, t, {1, {2}}, {1, {3}}), true)
  -- storages
  tester:eq(check(t.eq, t, torch.FloatStorage{1, 2}, torch.FloatStorage{1, 2}), true)
  tester:eq(check(t.eq, t, torch.FloatStorage{1, 2}, torch.FloatStorage{1, 3}), false)
end

function T.tester_messages()
  local out = inner(function(t, S)
    function S.tensor() t:eq(torch.Tensor{{1, 2}, {3, 4}}, torch.DoubleTensor{{1, 2}, {3, 7}}, 0.5) end
    function S.sizes() t:eq(torch.Tensor(2, 3), torch.Tensor(3, 2)) end
    function S.nested() t:eq({a = {b = {1, 2}}}, {a = {b = {1, 5}}}) end
    function S.order() t:assertlt(3, 2, 'three < two') end
    function S.pattern() t:assertErrorPattern(function() error('abc') end, 'xyz') end
  end)
  tester:assert(out:find('max diff=3 at (2,2) (got 4, expected 7), tolerance=0.5', 1, true), out)
  tester:assert(out:find('sizes differ: 2x3 vs 3x2', 1, true), out)
  tester:assert(out:find('at .a.b[2]: got 2, expected 5', 1, true), out)
  tester:assert(out:find('three < two: LT(<) violation: a=3, b=2', 1, true), out)
  tester:assert(out:find('does not match "xyz"', 1, true), out)
end

function T.tester_errors_and_asserts()
  local t = torch.Tester()
  local function check(ok, ...) t._cur = {nasserts = 0, failures = {}}; local r = ok(...); t._cur = nil; return r end
  tester:eq(check(t.assertError, t, function() error('x') end), true)
  tester:eq(check(t.assertError, t, function() end), false)
  tester:eq(check(t.assertNoError, t, function() end), true)
  tester:eq(check(t.assertNoError, t, function() error('x') end), false)
  tester:eq(check(t.assertErrorMsg, t, function() error('exact message') end, 'exact message'), true)
  tester:eq(check(t.assertErrorMsg, t, function() error('exact message', 0) end, 'exact message'), true)
  tester:eq(check(t.assertErrorMsg, t, function() error('other') end, 'exact message'), false)
  tester:eq(check(t.assertErrorPattern, t, function() error("bad argument #1 to 'f'") end, "to 'f'"), true)
  tester:eq(check(t.assertErrorPattern, t, function() error('x (y') end, '(y'), true, 'literal fallback')
  tester:eq(check(t.assertErrorObj, t, function() error({code = 3}) end, function(e) return e.code == 3 end), true)
  tester:eq(check(t.assertlt, t, 1, 2), true)
  tester:eq(check(t.assertgt, t, 1, 2), false)
  tester:eq(check(t.assertle, t, 2, 2), true)
  tester:eq(check(t.assertge, t, 1, 2), false)
  tester:eq(check(t.asserteq, t, 'a', 'a'), true)
  tester:eq(check(t.assertne, t, {}, {}), true, 'different tables are ~=')
  tester:eq(check(t.assertalmosteq, t, 1, 1 + 1e-9, 1e-6), true)
  tester:eq(check(t.assertalmosteq, t, 1, 1.1), false)
  tester:eq(check(t.assert, t, nil), false)
end

function T.tester_run_selection()
  local ran = {}
  local t = torch.Tester()
  local S = torch.TestSuite()
  function S.alpha() ran[#ran + 1] = 'alpha' end
  function S.beta() ran[#ran + 1] = 'beta' end
  function S.alphabet() ran[#ran + 1] = 'alphabet' end
  t:add(S)
  t:add(function() ran[#ran + 1] = 'single' end, 'single')
  t:add(function(name) ran[#ran + 1] = 'setUp:' .. name end, '_setUp')
  t:setQuiet(true)
  local p, f = 0, 0
  capture(function() p, f = t:runCounts('^alpha') end)
  tester:eq(ran, {'setUp:alpha', 'alpha', 'setUp:alphabet', 'alphabet'}, 'pattern, definition order')
  tester:eq({p, f}, {2, 0})
  ran = {}
  capture(function() p, f = t:runCounts({'beta', 'single'}) end)
  tester:eq(ran, {'setUp:beta', 'beta', 'setUp:single', 'single'})
  ran = {}
  t:disable('beta')
  local s
  capture(function() p, f, s = t:runCounts() end)
  tester:eq({p, f, s}, {3, 0, 1}, 'disabled tests are skipped')
  tester:assertErrorPattern(function() t:add(function() end, 'alpha') end, 'already exists')
  tester:assertErrorPattern(function() function S.alpha() end end, 'Test alpha is already defined')
  tester:assertErrorPattern(function() t:add(42) end, 'function or a table')
  tester:eq(torch.type(S), 'torch.TestSuite')
end

function T.tester_verbose_output()
  local t = torch.Tester()
  local S = torch.TestSuite()
  function S.good() t:assert(true) end
  function S.bad() t:eq(1, 2, 'one is not two') end
  t:add(S)
  local out = capture(function() t:runCounts() end)
  local lines = {}
  for l in out:gmatch('[^\n]*') do lines[#lines + 1] = l end
  tester:eq(lines[1], 'Running 2 tests')
  tester:eq(#lines[2], 80)
  tester:assert(lines[2]:find('^1/2 good %.+ %[PASS%]$'), lines[2])
  tester:assert(lines[3]:find('^2/2 bad %.+ %[FAIL%]$'), lines[3])
  tester:eq(lines[4], 'Completed 2 asserts in 2 tests with 1 failure and 0 errors')
  tester:assert(out:find('one is not two: EQ(==) violation: got 1, expected 2', 1, true), out)
end

function T.tester_setup_errors_and_orphans()
  local t = torch.Tester()
  t:add(function() error('setup broke') end, '_setUp')
  t:add(function() end, 'a')
  t:setQuiet(true)
  local p, f
  local out = capture(function() p, f = t:runCounts() end)
  tester:eq({p, f}, {0, 1}, 'an error in _setUp fails the test')
  tester:assert(out:find('setup broke', 1, true))
  -- an assertion outside a running test fails the next run
  local t2 = torch.Tester()
  local stderr = io.stderr
  local path = os.tmpname()
  io.stderr = io.open(path, 'w')
  t2:assert(false, 'outside')
  io.stderr:close()
  io.stderr = stderr
  os.remove(path)
  t2:setQuiet(true)
  capture(function() p, f = t2:runCounts() end)
  tester:eq({p, f}, {0, 1})
end

function T.run_raises_when_a_test_fails()
  local t = torch.Tester()
  local S = torch.TestSuite()
  function S.bad() t:assert(false, 'deliberate') end
  t:add(S)
  t:setQuiet(true)
  local ok, err
  local out = capture(function() ok, err = pcall(t.run, t) end)
  tester:assert(not ok, 'run() raises when a test fails (Torch7)')
  tester:assert(tostring(err):find('An error was found while running tests', 1, true), tostring(err))
  local t2 = torch.Tester()
  local S2 = torch.TestSuite()
  function S2.good() t2:assert(true) end
  t2:add(S2)
  t2:setQuiet(true)
  local p
  capture(function() p = t2:run() end)
  tester:eq(p, 1)
end

tester:add(T)
return tester
