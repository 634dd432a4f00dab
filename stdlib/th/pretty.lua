-- th.pretty: how the REPL prints results. Loaded by th on the first result it prints.
--
-- Tables print nested, with sorted keys (the array part first, in order), at most
-- `depth` levels deep (deeper tables show as {...}), at most `items` entries each (then
-- "..."), and a table met again inside itself as <cycle>. A short table fits on one line.
-- Tensors, nn modules and other values with __tostring print through it. Colours (ANSI)
-- only when asked for: th asks when stdout is a terminal and NO_COLOR is unset.
local M = {}

M.depth = 3      -- levels of nested tables shown
M.items = 50     -- entries shown per table
M.width = 78     -- a table on one line when it fits in this

local colours = {
  number = '\27[36m', string = '\27[32m', key = '\27[1m', boolean = '\27[35m',
  ['nil'] = '\27[35m', other = '\27[2m', reset = '\27[0m',
}

local keywords = {}
for w in ([[and break do else elseif end false for function goto if in local nil not or
  repeat return then true until while]]):gmatch('%a+') do keywords[w] = true end

local function isident(s)
  return type(s) == 'string' and s:match('^[%a_][%w_]*$') ~= nil and not keywords[s]
end
M.isident = isident

local escapes = {['\n'] = '\\n', ['\r'] = '\\r', ['\t'] = '\\t', ['"'] = '\\"', ['\\'] = '\\\\',
  ['\0'] = '\\0'}
local function quote(s)
  return '"' .. s:gsub('[%c"\\]', function(c)
    return escapes[c] or string.format('\\%03d', c:byte())
  end) .. '"'
end
M.quote = quote

local function paint(opts, kind, s)
  if not opts.color then return s end
  return (colours[kind] or colours.other) .. s .. colours.reset
end

-- the text of a value with __tostring (tensors, modules, classes), or nil
local function metastring(v)
  local mt = debug.getmetatable(v)
  if mt and rawget(mt, '__tostring') ~= nil then
    return tostring(v)
  end
end

local function torchmod()
  return rawget(_G, 'torch') or package.loaded.torch
end

-- the name of a class's constructor table (nn.Linear, torch.FloatTensor), or nil
local function classname(v)
  if type(v) ~= 'table' then return nil end
  local mt = getmetatable(v)    -- a constructor's __metatable: its class
  if type(mt) == 'table' and rawget(mt, '__constructor') == v and type(rawget(mt, '__typename')) == 'string' then
    return mt.__typename
  end
  if type(rawget(v, '__typename')) == 'string' and rawget(v, '__metatable_of_instances') then
    return v.__typename
  end
end

local function istensor(v)
  local torch = torchmod()
  return type(torch) == 'table' and type(torch.isTensor) == 'function' and torch.isTensor(v)
end

-- a tensor inside a table: its type and size, as on the last line of its printout
local function tensorsummary(t)
  local ok, s = pcall(function()
    local torch = torchmod()
    local sz = {}
    for i = 1, t:dim() do sz[i] = tostring(t:size(i)) end
    return string.format('[%s of size %s]', torch.typename(t) or type(t),
      #sz > 0 and table.concat(sz, 'x') or (t:nElement() == 0 and '0' or '[]'))
  end)
  return ok and s or tostring(t)
end

-- keys in printing order: 1..n of the array part, then numbers, strings, the rest
local kindorder = {number = 1, string = 2, boolean = 3}
local function sortedkeys(t)
  local n = 0
  while rawget(t, n + 1) ~= nil do n = n + 1 end
  local rest = {}
  for k in next, t do
    if not (math.type(k) == 'integer' and k >= 1 and k <= n) then rest[#rest + 1] = k end
  end
  table.sort(rest, function(a, b)
    local ta, tb = type(a), type(b)
    if ta ~= tb then return (kindorder[ta] or 4) < (kindorder[tb] or 4) end
    if ta == 'number' or ta == 'string' then return a < b end
    return tostring(a) < tostring(b)
  end)
  return n, rest
end

local render

local function keytext(k, opts)
  if isident(k) then return paint(opts, 'key', k) end
  if type(k) == 'string' then return '[' .. paint(opts, 'string', quote(k)) .. ']' end
  if type(k) == 'number' then return '[' .. paint(opts, 'number', tostring(k)) .. ']' end
  return '[' .. tostring(k) .. ']'
end

-- visible width of s (colour codes and continuation lines make it "long")
local function width(s)
  if s:find('\n') then return math.huge end
  return #s:gsub('\27%[[%d;]*m', '')
end

local function rendertable(t, opts, level, indent, seen)
  if seen[t] then return paint(opts, 'other', '<cycle>') end
  if next(t) == nil then return '{}' end
  if level > opts.depth then return '{...}' end
  seen[t] = true
  local n, rest = sortedkeys(t)
  local parts, packable, shown, total = {}, {}, 0, n + #rest
  local inner = indent .. '  '
  local function add(s, pack)
    shown = shown + 1
    parts[shown], packable[shown] = s, pack
  end
  for i = 1, n do
    if shown >= opts.items then break end
    local s = render(rawget(t, i), opts, level + 1, inner, seen)
    add(s, width(s) <= 24)
  end
  for _, k in ipairs(rest) do
    if shown >= opts.items then break end
    add(keytext(k, opts) .. ' = ' .. render(rawget(t, k), opts, level + 1, inner, seen), false)
  end
  seen[t] = nil
  if total > shown then
    add(paint(opts, 'other', string.format('... (%d more)', total - shown)), false)
  end
  local line = '{' .. table.concat(parts, ', ') .. '}'
  if width(line) + #indent <= opts.width then return line end
  -- several lines: short array items filled side by side, the rest one a line
  local lines, cur, curw = {}, nil, 0
  for i = 1, #parts do
    local w = width(parts[i])
    if packable[i] and cur and curw + 2 + w <= opts.width - #inner then
      cur = cur .. ', ' .. parts[i]
      curw = curw + 2 + w
    else
      if cur then lines[#lines + 1] = cur end
      cur, curw = parts[i], w
      if not packable[i] then lines[#lines + 1] = cur; cur = nil end
    end
  end
  if cur then lines[#lines + 1] = cur end
  return '{\n' .. inner .. table.concat(lines, ',\n' .. inner) .. '\n' .. indent .. '}'
end

-- render(v, opts, level, indent, seen): the text of v inside a printout
function render(v, opts, level, indent, seen)
  local tv = type(v)
  if tv == 'string' then return paint(opts, 'string', quote(v)) end
  if tv == 'number' then return paint(opts, 'number', tostring(v)) end
  if tv == 'boolean' or tv == 'nil' then return paint(opts, tv, tostring(v)) end
  if istensor(v) then return tensorsummary(v) end
  local class = classname(v)
  if class then return 'class ' .. class end
  local ok, s = pcall(metastring, v)
  if not ok then return paint(opts, 'other', '<__tostring error: ' .. tostring(s) .. '>') end
  if s ~= nil then    -- modules print on several lines: indent them
    s = tostring(s)
    return (s:gsub('\n', '\n' .. indent))
  end
  if tv == 'table' then return rendertable(v, opts, level, indent, seen) end
  return paint(opts, 'other', tostring(v))
end

local function options(o, fname, argn)
  if o ~= nil and type(o) ~= 'table' then
    error(string.format("bad argument #%d to '%s' (table of options expected, got %s)",
      argn, fname, type(o)), 3)
  end
  o = o or {}
  return {color = o.color or false, depth = o.depth or M.depth, items = o.items or M.items,
    width = o.width or M.width}
end

-- M.format(v[, opts]): the REPL's text for one result. Strings at the top are raw (as
-- print shows them); tensors and objects with __tostring as tostring gives them.
function M.format(v, opts)
  opts = options(opts, 'format', 2)
  local tv = type(v)
  if tv == 'string' then return v end
  if tv == 'table' and debug.getmetatable(v) == nil then
    return rendertable(v, opts, 1, '', {})
  end
  if classname(v) then return 'class ' .. classname(v) end
  if tv == 'table' then
    local ok, s = pcall(metastring, v)
    if ok and s ~= nil then return tostring(s) end
    if not ok then error(s, 0) end
    return rendertable(v, opts, 1, '', {})
  end
  if istensor(v) then return tostring(v) end
  if tv == 'number' or tv == 'boolean' or tv == 'nil' then return paint(opts, tv, tostring(v)) end
  return tostring(v)
end

-- M.results(opts, n, ...): prints a chunk's n results: nothing when all are nil; side by
-- side (tabs) when all are short, one per line when a table or userdata is among them.
function M.results(opts, n, ...)
  opts = options(opts, 'results', 1)
  if math.type(n) ~= 'integer' then
    error("bad argument #2 to 'results' (integer expected, got " .. type(n) .. ")", 2)
  end
  local vals = table.pack(...)
  local allnil, big = true, false
  for i = 1, n do
    local t = type(vals[i])
    if t ~= 'nil' then allnil = false end
    if t == 'table' or t == 'userdata' then big = true end
  end
  if allnil then return end
  local out = {}
  for i = 1, n do out[i] = M.format(vals[i], opts) end
  io.stdout:write(table.concat(out, big and '\n' or '\t'), '\n')
  io.stdout:flush()
end

return M
