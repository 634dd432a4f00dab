-- torch.class and the type utilities (Torch7's utility.md): class, type, typename,
-- isTypeOf, getmetatable, setmetatable, newmetatable, factory, getconstructortable,
-- isequal. (torch.version is the library's version string here, not Torch7's function.)
--
-- A class is a metatable `mt` (mt.__index = mt, mt.__typename = name) whose own
-- metatable is the parent's, so methods are found up the chain. The name is bound
-- (in the module, or in the package named by the name's prefix, or globally) to a
-- constructor table: calling it makes an instance and runs __init; indexing it reads
-- the class's methods; getmetatable() on it gives the class metatable, as in Torch7.
local torch = require 'torch.core'

local rawget, rawset, type, select, pcall = rawget, rawset, type, select, pcall
local setmetatable, getmetatable = setmetatable, getmetatable
local rawmt = debug.getmetatable
local sfind, smatch = string.find, string.match

local classes = {}                         -- name -> class metatable
local isclass = setmetatable({}, {__mode = 'k'})  -- class metatable -> name
local generated = setmetatable({}, {__mode = 'k'}) -- our dispatch functions

-- the handler for `event` ("__add") of class mt: a user's "__add__" anywhere up the
-- chain, or a plain "__add" a class defined itself (not one of our dispatchers)
local function handler(mt, event, user)
  local m = mt
  while m do
    local h = rawget(m, user)
    if h ~= nil then return h end
    h = rawget(m, event)
    if h ~= nil and not generated[h] then return h end
    m = rawmt(m)
  end
end

local function nameof(x)
  local mt = rawmt(x)
  local n = mt and rawget(mt, '__typename')
  return type(n) == 'string' and n or type(x)
end

-- Metamethods every class gets; each forwards to the class's "__x__" method.
local function unary(event, fallback)
  local user = event .. '__'
  return function(self, ...)
    local mt = rawmt(self)
    local h = mt and handler(mt, event, user)
    if h then return h(self, ...) end
    return fallback(self, ...)
  end
end
local function binary(event, what, fallback)
  local user = event .. '__'
  return function(a, b)
    local mt = rawmt(a)
    if not (mt and isclass[mt]) then mt = rawmt(b) end
    local h = mt and handler(mt, event, user)
    if h then return h(a, b) end
    if fallback then return fallback(a, b) end
    error(string.format("both %s and %s have no %s operator", nameof(a), nameof(b), what), 2)
  end
end

local dispatch = {
  __tostring = function(self)   -- a class metatable prints as itself, not as an instance
    if isclass[self] then return 'class ' .. isclass[self] end
    local mt = rawmt(self)
    local h = mt and handler(mt, '__tostring', '__tostring__')
    if h then return h(self) end
    return nameof(self)
  end,
  __call = unary('__call', function(self)
    if isclass[self] then   -- the metatable torch.class returned, called as if a constructor
      error(string.format("attempt to call the metatable of class %s (construct with %s(...))",
        isclass[self], isclass[self]), 3)
    end
    error(nameof(self) .. ' has no call operator', 3)
  end),
  __unm = unary('__unm', function(self) error(nameof(self) .. ' has no negation operator', 3) end),
  __len = unary('__len', function(self) return rawlen(self) end),
  __add = binary('__add', 'addition'),
  __sub = binary('__sub', 'subtraction'),
  __mul = binary('__mul', 'multiplication'),
  __div = binary('__div', 'division'),
  __mod = binary('__mod', 'modulo'),
  __pow = binary('__pow', 'power'),
  __concat = binary('__concat', 'concat'),
  __lt = binary('__lt', 'less-than'),
  __le = binary('__le', 'less-equal'),
  __eq = binary('__eq', 'equality', rawequal),
}
for _, f in pairs(dispatch) do generated[f] = true end

-- Torch7's __index__/__newindex__ hooks: __index__(self, k) returns value, true when it
-- handled k. Installed the first time an instance of a class that has them is built,
-- so classes without them keep the fast table __index.
local function syncindex(mt)
  local ix = mt.__index__
  if ix and rawget(mt, '__index') == mt then
    rawset(mt, '__index', function(self, k)
      if not isclass[self] then
        local v, ok = ix(self, k)
        if ok then return v end
      end
      return mt[k]
    end)
  end
  local nx = mt.__newindex__
  if nx and rawget(mt, '__newindex') == nil then
    rawset(mt, '__newindex', function(self, k, v)
      if isclass[self] or not nx(self, k, v) then rawset(self, k, v) end
    end)
  end
end

-- the table a dotted name lives in: "nn.Linear" -> the nn package
local function package_of(name, module, level)
  if module ~= nil then
    if type(module) ~= 'table' then
      error("bad argument #3 to 'class' (module table expected, got " .. type(module) .. ")", level)
    end
    return module, smatch(name, '([^.]*)$')
  end
  local pkg, short = smatch(name, '^(.*)%.([^.]*)$')
  if not pkg then return _G, name end
  local t
  for part in string.gmatch(pkg, '[^.]+') do
    if t == nil then
      t = rawget(_G, part)
      if type(t) ~= 'table' then t = package.loaded[part] end
      if type(t) ~= 'table' and part == 'torch' then t = torch end
    else
      t = t[part]
    end
    if type(t) ~= 'table' then
      error(string.format("while creating metatable %s: bad argument #1 (%s is an invalid module name)",
        name, pkg), level)
    end
  end
  return t, short
end

local function lookup(name)
  local mt = classes[name]
  if mt then return mt end
  -- a package that loads its classes on first use (nn): touching the name loads it
  local pkg, short = smatch(name, '^([%w_]+)%.([%w_]+)$')
  local t = pkg and (rawget(_G, pkg) or package.loaded[pkg])
  if type(t) == 'table' and rawget(t, short) == nil and getmetatable(t) then
    pcall(function() return t[short] end)
    mt = classes[name]
    if mt then return mt end
  end
  mt = debug.getregistry()[name]           -- C types made with luaL_newmetatable
  if type(mt) == 'table' and rawget(mt, '__typename') == name then return mt end
  -- tensor and storage types: the metatable of an empty instance
  local short = smatch(name, '^torch%.(%w+)$')
  local ctor = short and (sfind(short, 'Tensor$') or sfind(short, 'Storage$')) and rawget(torch, short)
  if type(ctor) == 'table' and type(rawget(ctor, '__metatable_of_instances')) == 'table' then
    mt = rawget(ctor, '__metatable_of_instances')
    classes[name] = mt
    return mt
  end
  if ctor then
    local ok, x = pcall(ctor)
    mt = ok and rawmt(x)
    if mt then classes[name] = mt; return mt end
  end
  return nil
end

-- level: where errors point (the user's call of torch.class or torch.newmetatable)
local function newmeta(level, name, parentname, constructor, destructor, factory, module)
  level = level + 1
  -- names separated by dots, none empty ('', '.', '..', '.a', 'a.' are not names)
  if name == '' or sfind(name, '^%.') or sfind(name, '%.$') or sfind(name, '%.%.') then
    error(string.format("bad argument #1 to 'class' (invalid class name '%s': expected names "
      .. "separated by dots, such as 'Point' or 'nn.Point')", name), level)
  end
  local where, short = package_of(name, module, level + 1)
  -- (classes also caches what torch.getmetatable found for tensor and storage types:
  -- only a class made here counts as one that may be defined again)
  local mt = classes[name]
  if mt and not isclass[mt] then mt = nil end
  -- a class made here may be defined again (a script run twice keeps working), and a plain
  -- value of the user's is replaced as Torch7 did (Config = {...}; torch.class('Config'));
  -- what the system holds under that name is not: a loaded module (torch, math, io), a
  -- function (require, torch.zeros), a C object, anything in a module table (torch.X),
  -- a registered type (torch.FloatTensor)
  local held = rawget(where, short)
  if not mt and ((where == _G and package.loaded[short] ~= nil) or type(held) == 'function'
      or type(held) == 'userdata' or (held ~= nil and where ~= _G)
      or type(debug.getregistry()[name]) == 'table') then
    error(string.format("class %s already exists (the name holds a %s that is not a class "
      .. "made by torch.class)", name, type(rawget(where, short) or package.loaded[short] or {})), level)
  end
  if not mt then
    mt = {__typename = name, __version = 1}
    mt.__index = mt
    for k, f in pairs(dispatch) do mt[k] = f end
    classes[name] = mt
    isclass[mt] = name
  end
  if parentname ~= nil then
    local pmt = type(parentname) == 'string' and lookup(parentname)
      or type(parentname) == 'table' and getmetatable(parentname)
    if type(pmt) ~= 'table' or not isclass[pmt] then
      error(string.format("bad argument #2 to 'class' (invalid parent class name %s)",
        tostring(parentname)), level)
    end
    local old = rawmt(mt)
    if old and old ~= pmt then
      error(string.format("class %s has been already assigned a parent class", name), level)
    end
    local p = pmt
    while p do
      if p == mt then error("class " .. name .. " cannot inherit from itself", level) end
      p = rawmt(p)
    end
    setmetatable(mt, pmt)
  end
  if destructor then rawset(mt, '__gc', destructor) end
  if factory then rawset(mt, '__factory', factory) end
  local ctor = rawget(mt, '__constructor')
  if not ctor then
    ctor = setmetatable({}, {
      __index = mt,
      __newindex = function(_, k, v) rawset(mt, k, v) end,
      __call = function(_, ...)
        local new = rawget(mt, 'new')
        if not new then error('no constructor available for ' .. name, 2) end
        return new(...)
      end,
      __metatable = mt,
    })
    rawset(mt, '__constructor', ctor)
  end
  if constructor then rawset(mt, 'new', constructor) end
  where[short] = ctor
  return mt
end

-- torch.newmetatable(name, parentName, constructor, destructor, factory, module)
function torch.newmetatable(name, parentname, constructor, destructor, factory, module)
  if type(name) ~= 'string' then
    error("bad argument #1 to 'newmetatable' (string expected, got " .. type(name) .. ")", 2)
  end
  return newmeta(2, name, parentname, constructor, destructor, factory, module)
end

-- torch.class(name [, parentName] [, module]) -> class metatable, parent metatable
function torch.class(...)
  local n = select('#', ...)
  local name, parentname, module = ...
  -- (name, module): a table that is not a class constructor is the module
  if n == 2 and type(parentname) == 'table' and not isclass[getmetatable(parentname)] then
    module, parentname = parentname, nil
  end
  if type(name) ~= 'string' or n > 3 then
    error('<class name> [<parent class name>] [<module table>]', 2)
  end
  local mt
  local function new(...)
    local self = setmetatable({}, mt)
    local init = mt.__init
    if init then init(self, ...) end
    return self
  end
  local function factory() return setmetatable({}, mt) end
  -- a redefinition keeps the class (and its instances) and renews constructor/factory
  mt = newmeta(2, name, parentname, nil, nil, nil, module)
  rawset(mt, 'new', function(...) syncindex(mt); return new(...) end)
  rawset(mt, '__factory', factory)
  return mt, rawmt(mt)
end

-- torch.typename(x): the Torch class name of x, or nil
function torch.typename(x)
  local mt = rawmt(x)
  if mt then
    local n = rawget(mt, '__typename')
    if type(n) == 'string' then return n end
  end
  return nil
end

-- torch.type(x): the class name of x, or Lua's type(x)
function torch.type(x)
  local mt = rawmt(x)
  if mt then
    local n = rawget(mt, '__typename')
    if type(n) == 'string' then return n end
  end
  return type(x)
end

-- torch.isTypeOf(obj, spec): spec is a class name (a string.find pattern) or a
-- constructor; walks the class chain, so a subclass instance is of its parent's type
function torch.isTypeOf(obj, spec)
  if type(spec) ~= 'string' then
    local mt = getmetatable(spec)
    local n = type(mt) == 'table' and rawget(mt, '__typename')
    if not n and type(spec) == 'table' then n = rawget(spec, '__typename') end   -- torch.FloatTensor
    if not n and spec ~= nil then                -- other constructors the C side made
      for k, v in pairs(torch) do
        if rawequal(v, spec) and type(k) == 'string' then n = 'torch.' .. k; break end
      end
      if n == 'torch.Tensor' then n = torch.getdefaulttensortype and torch.getdefaulttensortype() or n end
    end
    if type(n) ~= 'string' then
      error("bad argument #2 to 'isTypeOf' (invalid type specification)", 2)
    end
    spec = n
  end
  local mt = rawmt(obj)
  while mt do
    local n = rawget(mt, '__typename')
    if type(n) == 'string' then
      if n == spec then return true end
      local ok, hit = pcall(sfind, n, spec)
      if ok and hit then return true end
    end
    mt = rawmt(mt)
  end
  return false
end

-- torch.getmetatable(name): the metatable of the Torch class `name`, or nil
function torch.getmetatable(name)
  if type(name) ~= 'string' then
    error("bad argument #1 to 'getmetatable' (string expected, got " .. type(name) .. ")", 2)
  end
  return lookup(name)
end

-- torch.setmetatable(t, name): make table t an instance of class `name`
function torch.setmetatable(t, name)
  if type(t) ~= 'table' then
    error("bad argument #1 to 'setmetatable' (table expected, got " .. type(t) .. ")", 2)
  end
  local mt = type(name) == 'string' and lookup(name)
  if not mt then error('unknown typename ' .. tostring(name), 2) end
  return setmetatable(t, mt)
end

-- torch.factory(name): a function returning an empty object of class `name`
function torch.factory(name)
  local mt = type(name) == 'string' and lookup(name)
  if not mt then return nil end
  local f = rawget(mt, '__factory')
  if f then return f end
  local short = smatch(name, '^torch%.(%w+)$')
  local ctor = short and rawget(torch, short)
  if ctor then return function() return ctor() end end
  return nil
end

function torch.getconstructortable(name)
  local mt = type(name) == 'string' and lookup(name)
  return mt and rawget(mt, '__constructor') or nil
end

-- torch.isequal(a, b): the same object (tables) or the same tensor (userdata)
function torch.isequal(a, b)
  local ta, tb = type(a), type(b)
  if ta == 'table' and tb == 'table' then return rawequal(a, b) end
  if ta == 'userdata' and tb == 'userdata' then
    if rawequal(a, b) then return true end
    return torch.pointer ~= nil and torch.pointer(a) == torch.pointer(b)
  end
  return false
end
