-- th's REPL helpers written in Lua: completion candidates (th.repl.complete), help from
-- the man pages (th.repl.help/lookup) and the printing of results (th.pretty).
require 'nn'
require 'optim'
local repl = require 'th.repl'
local pretty = require 'th.pretty'
local tester = torch.Tester()
local T = torch.TestSuite()

-- the build (or install) prefix: <prefix>/share/lua/5.4/th/repl.lua
local prefix = package.searchpath('th.repl', package.path):match('^(.*)/share/lua/[^/]*/th/repl%.lua$')
local mandir = prefix .. '/share/man'

local function has(list, x)
  for _, v in ipairs(list) do if v == x then return true end end
  return false
end

local function complete(line)
  local start, kind, list = repl.complete(line)
  return list, start, kind
end

function T.complete_globals_and_keywords()
  local list, start, kind = complete('pri')
  tester:asserteq(start, 1, 'word starts the line')
  tester:asserteq(kind, 'name')
  tester:assertTableEq(list, {'print'}, 'print')
  list = complete('x = tor')
  tester:assert(has(list, 'torch'), 'torch after =')
  tester:assertTableEq(complete('func'), {'function'}, 'keyword')
  tester:assertTableEq(complete('whi'), {'while'}, 'keyword while')
  tester:assertTableEq(complete('repl_test_no_such_prefix'), {}, 'nothing')
  rawset(_G, '__repl_test_hidden', 1)
  tester:assert(not has(complete('__repl_test'), 'x'), 'only matches')
  tester:assert(not has(complete('print'), '__repl_test_hidden'), 'hidden without _')
  tester:assert(has(complete('__repl'), '__repl_test_hidden'), 'explicit __ prefix')
  rawset(_G, '__repl_test_hidden', nil)
end

function T.complete_fields()
  local list, start = complete('y = torch.ze')
  tester:asserteq(start, 5, 'the word after "y = "')
  tester:assertTableEq(list, {'torch.zero', 'torch.zeros', 'torch.zerosLike'}, 'torch.ze')
  tester:assertTableEq(complete('math.fl'), {'math.floor'}, 'math.fl')
  tester:assertTableEq(complete('string.up'), {'string.upper'}, 'string.up')
  local list2 = complete('torch.')
  tester:assert(#list2 > 100, 'all of torch')
  tester:assert(not has(list2, 'torch._methods'), 'underscore names hidden')
  tester:assert(has(complete('torch._'), 'torch._methods'), 'unless asked for')
  tester:assertTableEq(complete('io.stdout:wr'), {'io.stdout:write'}, 'userdata methods')
  tester:assertTableEq(complete('no_such_global.x'), {}, 'unknown base')
  tester:assertTableEq(complete('3.1'), {}, 'a number')
end

function T.complete_nested_and_lazy_nn()
  -- nn.X files not loaded yet are offered too (nn loads nn/X.lua on first use)
  local list = complete('nn.Spat')
  for _, x in ipairs({'nn.SpatialConvolution', 'nn.SpatialMaxPooling', 'nn.SpatialBatchNormalization'}) do
    tester:assert(has(list, x), x)
  end
  for _, x in ipairs(list) do
    tester:assert(x:match('^nn%.Spatial'), 'only the prefix: ' .. x)
  end
  tester:assert(not has(complete('nn.'), 'nn.init_helpers'), 'helper files are not classes')
  rawset(_G, 'repl_test_cfg', {model = {layers = {first = 1, second = 2}}})
  tester:assertTableEq(complete('repl_test_cfg.model.layers.f'), {'repl_test_cfg.model.layers.first'}, 'three levels')
  tester:assertTableEq(complete('repl_test_cfg.model.x.y'), {}, 'a missing level')
  tester:assertTableEq(complete('repl_test_cfg..m'), {}, 'bad path')
  rawset(_G, 'repl_test_cfg', nil)
  -- class tables: methods through the class chain
  local lin = complete('nn.Linear.forw')
  tester:assertTableEq(lin, {'nn.Linear.forward'}, 'class method from nn.Module')
end

function T.complete_methods()
  rawset(_G, 'repl_test_t', torch.ones(2, 3))
  local list = complete('repl_test_t:vi')
  tester:assertTableEq(list, {'repl_test_t:view', 'repl_test_t:viewAs'}, 'tensor methods')
  tester:assert(has(complete('repl_test_t:'), 'repl_test_t:size'), 'all tensor methods')
  tester:assert(has(complete('repl_test_t.'), 'repl_test_t.grad'), 'tensor fields')
  rawset(_G, 'repl_test_t', nil)
  rawset(_G, 'repl_test_net', nn.Sequential():add(nn.Linear(2, 3)))
  tester:assertTableEq(complete('repl_test_net:forw'), {'repl_test_net:forward'}, 'module method')
  tester:assert(has(complete('repl_test_net:'), 'repl_test_net:add'), 'Sequential:add')
  tester:assert(has(complete('repl_test_net:'), 'repl_test_net:zeroGradParameters'), 'from nn.Module')
  tester:assert(has(complete('repl_test_net.'), 'repl_test_net.modules'), 'module fields')
  tester:assert(not has(complete('repl_test_net:'), 'repl_test_net:modules'), 'a field is no method')
  rawset(_G, 'repl_test_net', nil)
  rawset(_G, 'repl_test_s', 'text')
  tester:assertTableEq(complete('repl_test_s:up'), {'repl_test_s:upper'}, 'string methods')
  rawset(_G, 'repl_test_s', nil)
  tester:assertTableEq(complete('print:x'), {}, 'a function has no methods')
  tester:assertTableEq(complete('a.b:c.d'), {}, 'colon then dot')
end

function T.complete_files_in_strings()
  local dir = os.tmpname()
  os.remove(dir)
  os.execute("mkdir -p '" .. dir .. "/sub'")
  io.open(dir .. '/alpha.txt', 'w'):close()
  io.open(dir .. '/alps.lua', 'w'):close()
  io.open(dir .. '/.hidden', 'w'):close()
  local line = 'f = io.open("' .. dir .. '/al'
  local list, start, kind = complete(line)
  tester:asserteq(kind, 'file', 'in a string')
  tester:asserteq(start, #'f = io.open("' + 1, 'word starts after the quote')
  tester:assertTableEq(list, {dir .. '/alpha.txt', dir .. '/alps.lua'}, 'files')
  tester:assertTableEq(complete("x = '" .. dir .. "/s"), {dir .. '/sub'}, 'a directory, single quotes')
  tester:assert(not has(complete('"' .. dir .. '/'), dir .. '/.hidden'), 'dot files hidden')
  tester:assert(has(complete('"' .. dir .. '/.'), dir .. '/.hidden'), 'unless asked for')
  tester:asserteq(select(2, complete('"done" .. tor')), 11, 'after a closed string')
  tester:assert(has(complete('"done" .. tor'), 'torch'), 'names after a closed string')
  tester:assertTableEq(complete('x = "a\\"b'), {}, 'escaped quote stays in the string')
  tester:asserteq(select(3, complete('x = "a\\"b')), 'file')
  tester:assertTableEq(complete('x = 1 -- tor'), {}, 'nothing in a comment')
  tester:asserteq(select(3, complete('s = [[' .. dir .. '/alp')), 'file', 'long string')
  os.execute("rm -rf '" .. dir .. "'")
end

function T.complete_indent_and_errors()
  local list, start, kind = complete('   ')
  tester:asserteq(kind, 'indent', 'Tab on a blank line indents')
  tester:assertTableEq(list, {'  '})
  tester:asserteq(start, 4)
  tester:assertErrorPattern(function() repl.complete(nil) end,
    "bad argument #1 to 'complete' %(string expected, got nil%)", 'complete(nil)')
end

function T.openstring()
  tester:asserteq(repl.openstring('x = 1'), nil)
  tester:asserteq(repl.openstring('x = "ab'), 6)
  tester:asserteq(repl.openstring("x = 'a' .. 'b"), 13)
  tester:asserteq(repl.openstring('x = [==[a'), 9)
  tester:asserteq(repl.openstring('x = [==[a]==] y'), nil)
  tester:asserteq(repl.openstring('-- "x'), false)
  tester:asserteq(repl.openstring('--[[ c ]] "x'), 12)
end

function T.help_text_from_man_pages()
  local found = repl.lookup('nn.Linear', mandir)
  tester:assert(#found >= 1, 'nn.Linear has an entry')
  tester:asserteq(found[1].page, 'nn')
  local text = found[1].text
  tester:assert(text:find('^nn%.Linear%(inputSize, outputSize%[, bias%]%)\n'), 'tag line: ' .. text)
  tester:assert(not text:find('\\f', 1, true) and not text:find('\n%.'), 'no groff left')
  found = repl.lookup('torch.mm', mandir)
  tester:assert(found[1] and found[1].text:find('Matrix product', 1, true), 'torch.mm')
  found = repl.lookup('t:view', mandir)
  tester:assert(found[1] and found[1].text:find('^t:view%(sizes%.%.%.%)'), 't:view')
  found = repl.lookup('anything:view', mandir)
  tester:assert(found[1] and found[1].text:find('^t:view'), 'any tensor name: view')
  found = repl.lookup('optim.sgd', mandir)
  tester:asserteq(found[1] and found[1].page, 'optim', 'optim.sgd')
  for _, topic in ipairs {'distributed.allReduceGradients', 'torch.distributed.allReduceGradients', 'allReduceGradients'} do
    found = repl.lookup(topic, mandir)
    tester:assert(found[1] and found[1].page == 'distributed' and
      found[1].text:find('^allReduceGradients%(net'), topic .. ': ' .. tostring(found[1] and found[1].text))
  end
  found = repl.lookup('distributed.init', mandir)
  tester:assert(found[1] and found[1].text:find('^init{backend='), 'distributed.init')
  tester:asserteq(#repl.lookup('nn.NoSuchModule', mandir), 0, 'nothing')
  tester:asserteq(#repl.lookup('string', mandir), 0, 'a Lua global keeps its description')
  tester:asserteq(#repl.lookup('torch.mm', '/nonexistent'), 0, 'no man pages: nothing')
  tester:assertErrorPattern(function() repl.lookup(1, mandir) end,
    "bad argument #1 to 'lookup'", 'lookup(1)')
  tester:assertErrorPattern(function() repl.lookup('x') end,
    "bad argument #2 to 'lookup'", 'lookup without mandir')
end

function T.help_groff_to_text()
  tester:asserteq(repl.plain('\\fBtorch.mm\\fR(\\fIa\\fR) \\- \\(lqx\\(rq \\e'), 'torch.mm(a) - "x" \\')
  tester:assert(repl.mentions('torch.mm(a)  ,  a:mm(b)', 'torch.mm'))
  tester:assert(not repl.mentions('torch.mmx(a)', 'torch.mm'), 'not a prefix of a longer name')
  tester:assert(not repl.mentions('xtorch.mm(a)', 'torch.mm'))
  tester:assert(repl.mentions('a:mm(b)', ':mm'))
  -- a page of our own: .TP entries, fonts, verbatim blocks
  local path = os.tmpname()
  local f = io.open(path, 'w')
  f:write('.TH X 3\n.SH FUNCTIONS\n.TP\n.BI "foo.bar(" "a, b" ")"\nDoes \\fBthings\\fR\nwell.\n',
    '.RS\n.EX\nfoo.bar(1, 2)\n.EE\n.RE\n.TP\n.B foo.baz\nOther.\n.PP\nNot in an entry.\n')
  f:close()
  local list = repl.entries(path)
  os.remove(path)
  tester:asserteq(#list, 2, 'two entries')
  tester:asserteq(list[1].tag, 'foo.bar(a, b)')
  tester:asserteq(repl.entrytext(list[1]), 'foo.bar(a, b)\n    Does things well.\n      foo.bar(1, 2)')
  tester:asserteq(repl.entrytext(list[2]), 'foo.baz\n    Other.')
end

function T.help_prints()
  local path = os.tmpname()
  local old = io.output()
  local f = io.open(path, 'w')
  local stdout = io.stdout
  -- help writes to io.stdout: swap it for a file while it runs
  local ok, printed = pcall(function()
    io.stdout = f
    return repl.help('nn.Linear', prefix) and repl.help('torch.mm()', prefix)
  end)
  io.stdout = stdout
  f:close()
  io.output(old)
  local text = io.open(path):read('a')
  os.remove(path)
  tester:assert(ok and printed, 'help printed: ' .. tostring(printed))
  tester:assert(text:find('nn.Linear(inputSize', 1, true) and text:find('(man 3 nn)', 1, true), text)
  tester:assert(text:find('Matrix product', 1, true), '?torch.mm() as ?torch.mm')
  tester:asserteq(repl.help('', prefix), false, 'empty topic')
  tester:assertErrorPattern(function() repl.help(nil) end, "bad argument #1 to 'help'", 'help(nil)')
  tester:asserteq(repl.help('not a name', prefix), false)
end

function T.pretty_nesting_and_order()
  tester:asserteq(pretty.format({}), '{}')
  tester:asserteq(pretty.format({1, 2, 3}), '{1, 2, 3}')
  tester:asserteq(pretty.format({b = 2, a = 1, 'x', [10] = true}),
    '{"x", [10] = true, a = 1, b = 2}', 'array, numbers, then sorted strings')
  tester:asserteq(pretty.format({['a key'] = 1, ['end'] = 2}), '{["a key"] = 1, ["end"] = 2}')
  tester:asserteq(pretty.format({s = 'a\nb"c'}), '{s = "a\\nb\\"c"}', 'strings quoted')
  tester:asserteq(pretty.format({a = {b = {1, 2}}}), '{a = {b = {1, 2}}}')
  local long = {}
  for i = 1, 12 do long['key' .. string.format('%02d', i)] = i * 1000 end
  local s = pretty.format({cfg = long})
  tester:assert(s:find('^{\n  cfg = {\n    key01 = 1000,\n    key02 = 2000,\n'), s)
  tester:assert(s:find('\n  }\n}$'), s)
  tester:asserteq(pretty.format('raw'), 'raw', 'a string result prints raw')
  tester:asserteq(pretty.format(3), '3')
  tester:asserteq(pretty.format(nil), 'nil')
end

function T.pretty_cycles_depth_items()
  local t = {name = 'root'}
  t.self = t
  tester:asserteq(pretty.format(t), '{name = "root", self = <cycle>}')
  local a, b = {}, {}
  a.b, b.a = b, a
  tester:asserteq(pretty.format(a), '{b = {a = <cycle>}}')
  local shared = {1}
  tester:asserteq(pretty.format({shared, shared}), '{{1}, {1}}', 'shared is not a cycle')
  local deep = {l1 = {l2 = {l3 = {l4 = {}}}}}
  tester:asserteq(pretty.format(deep), '{l1 = {l2 = {l3 = {...}}}}', 'three levels')
  tester:asserteq(pretty.format(deep, {depth = 1}), '{l1 = {...}}')
  tester:asserteq(pretty.format({l1 = {l2 = {l3 = {}}}}), '{l1 = {l2 = {l3 = {}}}}', 'empty is {}')
  local many = {}
  for i = 1, 60 do many[i] = i end
  local s = pretty.format(many)
  local tail = '50,\n  ... (10 more)\n}'
  tester:asserteq(s:sub(-#tail), tail)
  tester:asserteq(pretty.format({1, 2, 3, 4}, {items = 2}), '{1, 2, ... (2 more)}')
end

function T.pretty_tensors_modules_colours()
  local x = torch.Tensor{{1, 2}, {3, 4}}
  tester:asserteq(pretty.format(x), tostring(x), 'a tensor as Torch7 prints it')
  tester:asserteq(pretty.format({w = x}), '{w = [torch.FloatTensor of size 2x2]}')
  local m = nn.Linear(3, 2)
  tester:asserteq(pretty.format(m), 'nn.Linear(3 -> 2)', 'a module through __tostring')
  tester:asserteq(pretty.format({m}), '{nn.Linear(3 -> 2)}')
  tester:asserteq(pretty.format(nn.Linear), 'class nn.Linear', 'a class')
  tester:asserteq(pretty.format({torch.FloatTensor}), '{class torch.FloatTensor}')
  local bad = setmetatable({}, {__tostring = function() error('no text', 0) end})
  tester:asserteq(pretty.format({bad}), '{<__tostring error: no text>}', 'inside a table')
  tester:assertErrorPattern(function() pretty.format(bad) end, 'no text', 'a result: the error')
  local c = pretty.format({1, 'a', k = true}, {color = true})
  tester:assert(c:find('\27[36m1\27[0m', 1, true), 'numbers coloured')
  tester:assert(c:find('\27[32m"a"\27[0m', 1, true), 'strings coloured')
  tester:assert(c:find('\27[1mk\27[0m', 1, true), 'keys coloured')
  local plain = pretty.format({1, 'a', k = true}, {color = false})
  tester:assert(not plain:find('\27', 1, true), 'no colour codes when off')
  tester:asserteq(plain, '{1, "a", k = true}')
  tester:assertErrorPattern(function() pretty.format(1, 'red') end,
    "bad argument #2 to 'format' %(table of options expected, got string%)", 'bad opts')
  tester:assertErrorPattern(function() pretty.results({}, 'x') end,
    "bad argument #2 to 'results'", 'bad count')
end

function T.pretty_results_line()
  local path = os.tmpname()
  local f = io.open(path, 'w')
  local stdout = io.stdout
  local ok, err = pcall(function()
    io.stdout = f
    pretty.results({}, 3, 'a', 2, nil)
    pretty.results({}, 2, nil, nil)
    pretty.results({}, 2, {1}, 5)
  end)
  io.stdout = stdout
  f:close()
  local text = io.open(path):read('a')
  os.remove(path)
  tester:assert(ok, tostring(err))
  tester:asserteq(text, 'a\t2\tnil\n{1}\n5\n', 'side by side, nothing for nils, one a line with tables')
end

tester:add(T)
return tester
