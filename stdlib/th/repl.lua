-- th.repl: Tab completion and '?name' help for th. Loaded by th on the first Tab or '?'.
--
-- M.complete(line) takes the line up to the cursor and returns the start of the word
-- to replace (1-based), what kind of word it is ('name' or 'file') and the sorted list
-- of candidates (whole words). M.help(topic, prefix) prints the manual entries for a
-- name, read from the installed man pages, and returns true when it found any.
local M = {}

local keywords = {'and', 'break', 'do', 'else', 'elseif', 'end', 'false', 'for',
  'function', 'goto', 'if', 'in', 'local', 'nil', 'not', 'or', 'repeat', 'return', 'then',
  'true', 'until', 'while'}

local getmt = debug.getmetatable

-- ---- completion -----------------------------------------------------------

-- where line ends: nil outside strings and comments, or the position just after the
-- opening quote of the unfinished string literal it ends in, or false in a comment
local function openstring(line)
  local i, n = 1, #line
  while i <= n do
    local c = line:sub(i, i)
    if c == '"' or c == "'" then
      local j = i + 1
      while j <= n do
        local d = line:sub(j, j)
        if d == '\\' then j = j + 1
        elseif d == c then break end
        j = j + 1
      end
      if j > n then return i + 1 end
      i = j + 1
    elseif c == '[' and line:match('^%[=*%[', i) then
      local eq = line:match('^%[(=*)%[', i)
      local close = line:find(']' .. eq .. ']', i, true)
      if not close then return i + #eq + 2 end
      i = close + #eq + 2
    elseif c == '-' and line:sub(i + 1, i + 1) == '-' then
      local eq = line:match('^%-%-%[(=*)%[', i)
      if not eq then return false end
      local close = line:find(']' .. eq .. ']', i, true)
      if not close then return false end
      i = close + #eq + 2
    else
      i = i + 1
    end
  end
  return nil
end
M.openstring = openstring

-- the value at a dotted path from the globals, or nil (indexing is protected: a lazy
-- loader such as nn's may run, an error gives nil)
local function resolve(path)
  local v = _G
  for seg in path:gmatch('[^.]+') do
    local tv = type(v)
    if tv ~= 'table' and tv ~= 'userdata' and tv ~= 'string' then return nil end
    local ok, r = pcall(function() return v[seg] end)
    if not ok or r == nil then return nil end
    v = r
  end
  return v
end

-- adds the string keys of t (and, for '.', of its __index tables up the chain)
local function addkeys(set, t, onlyfuncs)
  local guard = 0
  while type(t) == 'table' and guard < 20 do
    for k, v in next, t do
      if type(k) == 'string' and (not onlyfuncs or type(v) == 'function'
          or (type(v) == 'table' and getmt(v) and getmt(v).__call)) then
        set[k] = true
      end
    end
    local mt = getmt(t)
    local idx = mt and rawget(mt, '__index')
    if idx == t then idx = getmt(mt) end    -- a class: mt.__index == mt, parent above
    t = idx
    guard = guard + 1
  end
end

local dircache = {}

-- the names X with a file <dir of module>/X.lua, for packages that load their classes
-- on first use (nn.X loads nn/X.lua): upper-case names, as classes are named
local function lazynames(set, v, path)
  local mt = getmt(v)
  if not (mt and type(rawget(mt, '__index')) == 'function') then return end
  if package.loaded[path] ~= v then return end
  local dir = dircache[path]
  if dir == nil then
    dir = {}
    local file = package.searchpath(path, package.path)
    local folder = file and file:match('^(.*)/init%.lua$')
    if not folder then
      local probe = package.searchpath(path .. '.Module', package.path)
      folder = probe and probe:match('^(.*)/[^/]*$')
    end
    if folder then
      local p = io.popen("ls '" .. folder:gsub("'", "'\\''") .. "' 2>/dev/null")
      if p then
        for name in p:lines() do
          local x = name:match('^(%u[%w_]*)%.lua$')
          if x then dir[#dir + 1] = x end
        end
        p:close()
      end
    end
    dircache[path] = dir
  end
  for _, x in ipairs(dir) do set[x] = true end
end

local function istensor(v)
  local torch = rawget(_G, 'torch')
  return type(torch) == 'table' and type(torch.isTensor) == 'function' and torch.isTensor(v)
end

-- method names of v (after ':'): the __index chain, tensors' torch._methods, storages'
-- __methods, a class's methods and its parents'
local function methods(set, v)
  local torch = rawget(_G, 'torch')
  if istensor(v) and type(torch._methods) == 'table' then
    addkeys(set, torch._methods, true)
  end
  local mt = getmt(v)
  if mt and type(rawget(mt, '__methods')) == 'table' then addkeys(set, mt.__methods, true) end
  if type(v) == 'table' then addkeys(set, v, true) end
  if mt then
    local idx = rawget(mt, '__index')
    if type(idx) == 'table' then addkeys(set, idx, true) end
  end
end

local function fields(set, v, path)
  if type(v) == 'table' then
    addkeys(set, v, false)
    lazynames(set, v, path)
  elseif type(v) == 'userdata' then
    local mt = getmt(v)
    local idx = mt and rawget(mt, '__index')
    if type(idx) == 'table' then addkeys(set, idx, false) end
    if istensor(v) then
      for _, k in ipairs({'grad', 'requiresGrad'}) do set[k] = true end
    end
  end
end

local function sorted(set, prefix, front)
  local out, hidden = {}, prefix:sub(1, 1) ~= '_'
  for k in pairs(set) do
    if k:sub(1, #prefix) == prefix and k:match('^[%a_][%w_]*$')
        and not (hidden and k:sub(1, 1) == '_') then
      out[#out + 1] = front .. k
    end
  end
  table.sort(out)
  return out
end

local function files(word)
  local dir, base = word:match('^(.*/)([^/]*)$')
  if not dir then dir, base = '', word end
  local expanded = dir
  if dir:sub(1, 2) == '~/' then expanded = (os.getenv('HOME') or '~') .. dir:sub(2) end
  local p = io.popen("ls -a1p '" .. (expanded == '' and '.' or expanded):gsub("'", "'\\''")
    .. "' 2>/dev/null")
  local out = {}
  if p then
    for name in p:lines() do
      if name ~= './' and name ~= '../' and name:sub(1, #base) == base
          and (base:sub(1, 1) == '.' or name:sub(1, 1) ~= '.') then
        out[#out + 1] = dir .. (name:match('^(.*)/$') or name)
      end
    end
    p:close()
  end
  table.sort(out)
  return out
end

-- M.complete(line): start (1-based), kind, candidates for the word ending the line
function M.complete(line)
  if type(line) ~= 'string' then
    error("bad argument #1 to 'complete' (string expected, got " .. type(line) .. ")", 2)
  end
  local s = openstring(line)
  if s == false then return #line + 1, 'name', {} end
  if s then return s, 'file', files(line:sub(s)) end
  local word = line:match('[%w_.:]*$')
  local start = #line - #word + 1
  if word == '' then
    if line:match('^%s*$') then return start, 'indent', {'  '} end
    return start, 'name', {}
  end
  if word:match('^%d') or line:sub(1, start - 1):match('[%w_%]%)}\'"]$') then
    return start, 'name', {}
  end
  local set = {}
  local base, sep, prefix = word:match('^(.-)([.:])([%w_]*)$')
  if not base then                             -- a global or a keyword
    fields(set, _G, '_G')
    for _, k in ipairs(keywords) do set[k] = true end
    return start, 'name', sorted(set, word, '')
  end
  if base == '' or base:find(':', 1, true) or not base:match('^[%a_][%w_]*[%w_.]*$')
      or base:find('..', 1, true) or base:sub(-1) == '.' then
    return start, 'name', {}
  end
  local v = resolve(base)
  if v == nil then return start, 'name', {} end
  if sep == ':' then methods(set, v) else fields(set, v, base) end
  return start, 'name', sorted(set, prefix, base .. sep)
end

-- ---- help from the man pages ---------------------------------------------

local special = {['-'] = '-', ['e'] = '\\', ['&'] = '', ['|'] = '', ['^'] = '', [' '] = ' ',
  ['0'] = ' ', ['~'] = ' ', ['c'] = '', ['.'] = '.', ["'"] = "'", ['`'] = '`', ['\\'] = '\\'}
local named = {lq = '"', rq = '"', dq = '"', aq = "'", oq = "'", cq = "'", em = '--',
  en = '-', mu = 'x', bu = '*', ['<='] = '<=', ['>='] = '>=', co = '(c)', hy = '-',
  ti = '~', ha = '^', rs = '\\', pl = '+', mi = '-', eq = '=', ['->'] = '->', ['<-'] = '<-',
  ['**'] = '*', sq = '[]', de = 'deg', ['+-'] = '+-', ne = '!=', ['=='] = '=='}

-- plain text of one line of groff: fonts dropped, escapes turned into characters
local function plain(s)
  s = s:gsub('\\f%(..', ''):gsub('\\f%[[^%]]*%]', ''):gsub('\\f.', '')
  s = s:gsub('\\%*%(..', ''):gsub('\\%*.', '')
  s = s:gsub('\\%((..)', function(n) return named[n] or '' end)
  s = s:gsub('\\%[([^%]]*)%]', function(n) return named[n] or '' end)
  s = s:gsub('\\(.)', function(c) return special[c] or c end)
  return s
end
M.plain = plain

-- the words of a macro line, quotes honoured
local function args(s)
  local out = {}
  local i, n = 1, #s
  while i <= n do
    local c = s:sub(i, i)
    if c == ' ' or c == '\t' then i = i + 1
    elseif c == '"' then
      local j = i + 1
      local buf = {}
      while j <= n do
        local d = s:sub(j, j)
        if d == '"' then
          if s:sub(j + 1, j + 1) == '"' then buf[#buf + 1] = '"'; j = j + 2
          else break end
        else buf[#buf + 1] = d; j = j + 1 end
      end
      out[#out + 1] = table.concat(buf)
      i = j + 1
    else
      local j = s:find('[ \t]', i) or n + 1
      out[#out + 1] = s:sub(i, j - 1)
      i = j
    end
  end
  return out
end

-- text of a font macro line (.B .I .BI .BR ...): alternating fonts join without blanks
local function fontline(macro, rest)
  local a = args(rest)
  if macro == 'B' or macro == 'I' or macro == 'SM' or macro == 'SB' then
    return plain(table.concat(a, ' '))
  end
  return plain(table.concat(a))
end

-- the entries of one page: {tag = first line, body = {lines...}, section = ...}; the
-- body keeps paragraph breaks ('') and verbatim lines (prefixed with '\0')
local pagecache = {}
local function entries(path)
  if pagecache[path] then return pagecache[path] end
  local f = io.open(path)
  if not f then return nil end
  local list, cur, section, verbatim, tagnext = {}, nil, '', false, false
  local function text(s)
    if not cur then return end
    if tagnext then
      cur.tag = (cur.tag and cur.tag .. ' ' or '') .. s
      tagnext = false
      return
    end
    cur.body[#cur.body + 1] = verbatim and ('\0' .. s) or s
  end
  for raw in f:lines() do
    local macro, rest = raw:match('^[.\'](%a+)%s*(.-)%s*$')
    if raw:match('^[.\']\\"') or raw == '.' then
      -- a comment
    elseif macro == 'TP' then
      cur = {body = {}, section = section}
      list[#list + 1] = cur
      tagnext, verbatim = true, false
    elseif macro == 'SH' or macro == 'SS' then
      if macro == 'SH' then section = plain(table.concat(args(rest), ' ')) end
      cur = nil
    elseif macro == 'PP' or macro == 'LP' or macro == 'P' then
      cur = nil
    elseif macro == 'IP' or macro == 'sp' then
      if cur and #cur.body > 0 then cur.body[#cur.body + 1] = '' end
    elseif macro == 'EX' or macro == 'nf' then
      verbatim = true
      if cur and #cur.body > 0 then cur.body[#cur.body + 1] = '' end
    elseif macro == 'EE' or macro == 'fi' then
      verbatim = false
    elseif macro == 'br' then
      if cur then cur.body[#cur.body + 1] = '' end
    elseif macro and #macro <= 2 and macro:match('^[BIR][BIR]?$') or macro == 'SM' then
      text(fontline(macro, rest))
    elseif macro then
      -- .RS, .RE, .TH, .ad, .na ...: layout only
    else
      text(plain(raw))
    end
  end
  f:close()
  pagecache[path] = list
  return list
end
M.entries = entries

-- wraps the words of s at width, each line starting with indent
local function wrap(s, indent, width)
  local lines, line = {}, indent
  for w in s:gmatch('%S+') do
    if #line > #indent and #line + 1 + #w > width then
      lines[#lines + 1] = line
      line = indent .. w
    elseif #line > #indent then
      line = line .. ' ' .. w
    else
      line = line .. w
    end
  end
  if #line > #indent then lines[#lines + 1] = line end
  return table.concat(lines, '\n')
end

-- an entry as plain text: the tag, then the body filled to 78 columns, indented
function M.entrytext(e)
  local out, para = {e.tag or ''}, {}
  local function flush()
    if #para > 0 then out[#out + 1] = wrap(table.concat(para, ' '), '    ', 78) end
    para = {}
  end
  for _, l in ipairs(e.body) do
    if l:sub(1, 1) == '\0' then
      flush()
      out[#out + 1] = '      ' .. l:sub(2)
    elseif l == '' then
      flush()
    else
      para[#para + 1] = l
    end
  end
  flush()
  return table.concat(out, '\n')
end

local function escape(s) return (s:gsub('[%^%$%(%)%%%.%[%]%*%+%-%?]', '%%%0')) end

-- does the tag name `name` (not as part of a longer name)?
local function mentions(tag, name)
  local pat = escape(name)
  local i = 1
  while true do
    local s, e = tag:find(pat, i)
    if not s then return false end
    local before, after = tag:sub(s - 1, s - 1), tag:sub(e + 1, e + 1)
    local okbefore = s == 1 or not before:match('[%w_.:]') or name:match('^[.:]')
    if okbefore and not after:match('[%w_]') then return true end
    i = s + 1
  end
end
M.mentions = mentions

-- which page documents what `topic` names, and the strings to look for in its tags
local function targets(topic)
  local head, sep, last = topic:match('^(.-)([.:])([%w_]+)$')
  if not head then      -- a bare name: torch.X, X(...), t:X(...); not a global's
    if rawget(_G, topic) ~= nil then return {}, {} end
    return {'torch', 'nn', 'optim', 'gnuplot', 'distributed'}, {'torch.' .. topic, topic .. '(',
      ':' .. topic .. '('}
  end
  local root = head:match('^[%w_]+')
  if head == 'distributed' or head == 'torch.distributed' then   -- distributed(3) names them bare
    return {'distributed'}, {last .. '(', last .. '{', last}
  end
  if head == 'torch' or head == 'nn' or head == 'optim' or head == 'gnuplot' then
    local names = {topic}
    if head == 'torch' then names[2] = ':' .. last .. '(' end
    return {head == 'torch' and 'torch' or head}, names
  end
  if head:match('^nn%.') or head:match('^optim%.') then
    return {root}, {topic, ':' .. last .. '('}
  end
  -- a value: what is it? tensors are torch(3), nn objects nn(3) ...
  local v = resolve(head)
  local page = 'torch'
  if v ~= nil and not istensor(v) then
    local torch = rawget(_G, 'torch')
    local tn = type(torch) == 'table' and torch.typename and torch.typename(v)
    if type(tn) == 'string' then
      page = tn:match('^nn%.') and 'nn' or tn:match('^optim%.') and 'optim' or 'torch'
    end
  end
  return {page}, {sep .. last .. '(', sep .. last .. ' ', sep .. last}
end

-- M.lookup(topic, mandir): the matching entries, as plain text
function M.lookup(topic, mandir)
  if type(topic) ~= 'string' then
    error("bad argument #1 to 'lookup' (string expected, got " .. type(topic) .. ")", 2)
  end
  if type(mandir) ~= 'string' then
    error("bad argument #2 to 'lookup' (string expected, got " .. type(mandir) .. ")", 2)
  end
  local pages, names = targets(topic)
  local found = {}
  for _, page in ipairs(pages) do
    local list = entries(mandir .. '/man3/' .. page .. '.3')
    for _, e in ipairs(list or {}) do
      local tag = e.tag or ''
      for _, name in ipairs(names) do
        local hit
        if name:match('[%(% ]$') then hit = tag:find(name, 1, true)
          and mentions(tag, name:sub(1, -2))
        else hit = mentions(tag, name) end
        if hit then
          found[#found + 1] = {text = M.entrytext(e), page = page}
          break
        end
      end
    end
    if #found > 0 then break end
  end
  return found
end

-- M.help(topic, prefix): prints the manual's entries for topic; true when there were any
function M.help(topic, prefix)
  if type(topic) ~= 'string' then
    error("bad argument #1 to 'help' (string expected, got " .. type(topic) .. ")", 2)
  end
  topic = topic:gsub('%(%)$', '')    -- ?torch.mm() as ?torch.mm
  if topic == '' or not topic:match('^[%w_.:]+$') then return false end
  local found = M.lookup(topic, (prefix or '') .. '/share/man')
  if #found == 0 then return false end
  local limit = 4
  for i = 1, math.min(#found, limit) do
    io.stdout:write(found[i].text, '\n')
  end
  if #found > limit then
    io.stdout:write(string.format('(%d more entries)\n', #found - limit))
  end
  io.stdout:write(string.format('(man 3 %s)\n', found[1].page))
  io.stdout:flush()
  return true
end

return M
