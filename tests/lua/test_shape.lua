-- Joining and splitting (bindings/shape.c): cat, stack, split, chunk, repeatTensor, flip, roll;
-- ranges and eye (bindings/random.c).
local tester = torch.Tester()
local T = torch.TestSuite()

local function same(a, b, msg) tester:eq(a, b, 0, msg) end

function T.cat_two_tensors_default_last_dim()
  local a = torch.Tensor{{1, 2}, {3, 4}}
  local b = torch.Tensor{{5}, {6}}
  same(torch.cat(a, b), torch.Tensor{{1, 2, 5}, {3, 4, 6}}, 'default: the last dimension')
  same(torch.cat(a, torch.Tensor{{7, 8}}, 1), torch.Tensor{{1, 2}, {3, 4}, {7, 8}})
  same(torch.cat(torch.ones(3), torch.zeros(2)), torch.Tensor{1, 1, 1, 0, 0})
  -- Torch7: two vectors along dimension 2 make columns
  same(torch.cat(torch.Tensor{1, 2, 3}, torch.Tensor{4, 5, 6}, 2), torch.Tensor{{1, 4}, {2, 5}, {3, 6}})
  same(torch.cat(a, a, -1), torch.Tensor{{1, 2, 1, 2}, {3, 4, 3, 4}}, 'negative dim')
  tester:assertErrorPattern(function() torch.cat(a, torch.Tensor{{1, 2, 3}}, 1) end, 'cat')
  tester:assertErrorPattern(function() torch.cat(a, b, 0) end, 'out of range')
end

function T.cat_tables_results_and_types()
  local parts = {torch.Tensor{1}, torch.Tensor{2, 3}, torch.Tensor(), torch.Tensor{4}}
  same(torch.cat(parts), torch.Tensor{1, 2, 3, 4}, 'empty tensors skipped')
  local res = torch.Tensor()
  local r = torch.cat(res, parts, 1)
  tester:assert(r == res, 'returns the result tensor')
  same(res, torch.Tensor{1, 2, 3, 4})
  local x = torch.Tensor{1, 2}
  local r2 = torch.cat(x, x, torch.Tensor{3})             -- res form, res is an input
  tester:assert(r2 == x)
  same(x, torch.Tensor{1, 2, 3})
  local y = torch.Tensor{1, 2}
  same(y:cat(torch.Tensor{9}), torch.Tensor{1, 2, 9}, 'a:cat(b) returns a new tensor')
  same(y, torch.Tensor{1, 2})
  local l = torch.cat(torch.LongTensor{1}, torch.DoubleTensor{2.5})
  tester:eq(torch.type(l), 'torch.DoubleTensor')
  same(l, torch.DoubleTensor{1, 2.5})
  local m = torch.Tensor{{1, 2, 3}, {4, 5, 6}}
  same(torch.cat({m:t(), m:t():narrow(1, 2, 1)}, 1), torch.Tensor{{1, 4}, {2, 5}, {3, 6}, {2, 5}})
  tester:assertErrorPattern(function() torch.cat({}) end, 'non%-empty')
  tester:assertErrorPattern(function() torch.cat({m, 3}) end, 'not a tensor')
end

function T.stack()
  local a, b = torch.Tensor{1, 2}, torch.Tensor{3, 4}
  same(torch.stack({a, b}), torch.Tensor{{1, 2}, {3, 4}})
  same(torch.stack({a, b}, 2), torch.Tensor{{1, 3}, {2, 4}})
  same(torch.stack({a, b}, -1), torch.Tensor{{1, 3}, {2, 4}})
  local res = torch.LongTensor()
  torch.stack(res, {a, b}, 1)
  same(res, torch.LongTensor{{1, 2}, {3, 4}})
  tester:assertErrorPattern(function() torch.stack({a, torch.Tensor{1, 2, 3}}) end, 'same size')
  tester:assertErrorPattern(function() torch.stack({a, b}, 3) end, 'out of range')
end

function T.split_and_chunk()
  local t = torch.range(1, 10):view(5, 2)
  local s = t:split(2)
  tester:eq(#s, 3)
  same(s[1], torch.Tensor{{1, 2}, {3, 4}})
  same(s[3], torch.Tensor{{9, 10}})
  local cols = torch.split(t, 1, 2)
  tester:eq(#cols, 2)
  same(cols[2], torch.Tensor{{2}, {4}, {6}, {8}, {10}})
  local tbl = {'old', 'entries', 'x'}
  local r = torch.split(tbl, t, 4)
  tester:assert(r == tbl and #tbl == 2 and tbl[3] == nil, 'fills the given table')
  local c = t:chunk(2)
  tester:eq(#c, 2)
  tester:eq(c[1]:size(1), 3); tester:eq(c[2]:size(1), 2)
  tester:eq(#torch.chunk(t, 3, 2), 2, 'at most the dimension size')
  s[1]:fill(0)
  tester:eq(t[1][1], 0, 'pieces are views')
  tester:assertErrorPattern(function() t:split(0) end, 'positive')
  tester:assertErrorPattern(function() t:split(1, 3) end, 'out of range')
  tester:assertErrorPattern(function() t:chunk(0) end, 'positive')
end

function T.repeatTensor()
  local x = torch.Tensor{1, 2}
  same(x:repeatTensor(3, 2), torch.Tensor{{1, 2, 1, 2}, {1, 2, 1, 2}, {1, 2, 1, 2}})
  same(x, torch.Tensor{1, 2}, 'the method returns a new tensor')
  same(torch.repeatTensor(x, torch.LongStorage{2}), torch.Tensor{1, 2, 1, 2})
  local m = torch.IntTensor{{1, 2}, {3, 4}}
  same(m:t():repeatTensor(1, 2), torch.IntTensor{{1, 3, 1, 3}, {2, 4, 2, 4}})
  local r = m:repeatTensor(2, 1, 1)
  tester:eq(r:dim(), 3); tester:eq(r:size(1), 2); tester:eq(r:size(3), 2)
  same(r[2], m)
  local res = torch.IntTensor()
  torch.repeatTensor(res, m, 1, 2)
  same(res, torch.IntTensor{{1, 2, 1, 2}, {3, 4, 3, 4}})
  tester:assertErrorPattern(function() m:repeatTensor(2) end, 'repeatTensor')
end

function T.flip_and_roll()
  local t = torch.Tensor{{1, 2, 3}, {4, 5, 6}}
  same(t:flip(2), torch.Tensor{{3, 2, 1}, {6, 5, 4}})
  same(t:flip(1, 2), torch.Tensor{{6, 5, 4}, {3, 2, 1}})
  same(torch.flip(t, {1}), torch.Tensor{{4, 5, 6}, {1, 2, 3}})
  same(t:t():flip(1), torch.Tensor{{3, 6}, {2, 5}, {1, 4}}, 'transposed input')
  same(t, torch.Tensor{{1, 2, 3}, {4, 5, 6}}, 'flip returns a new tensor')
  tester:assertErrorPattern(function() t:flip(2, 2) end, 'twice')
  tester:assertErrorPattern(function() t:flip(3) end, 'out of range')
  same(t:roll(1, 2), torch.Tensor{{3, 1, 2}, {6, 4, 5}})
  same(t:roll(-1, 2), torch.Tensor{{2, 3, 1}, {5, 6, 4}})
  same(t:roll(1), torch.Tensor{{6, 1, 2}, {3, 4, 5}}, 'no dim: flattened')
  same(t:roll({1, 1}, {1, 2}), torch.Tensor{{6, 4, 5}, {3, 1, 2}})
  same(torch.roll(torch.LongTensor{1, 2, 3, 4}, 6, 1), torch.LongTensor{3, 4, 1, 2})
  tester:assertErrorPattern(function() t:roll(1, 3) end, 'out of range')
end

function T.range_arange()
  same(torch.range(2, 5), torch.Tensor{2, 3, 4, 5})
  tester:eq(torch.range(1, 3):type(), torch.getdefaulttensortype())
  tester:eq(torch.range(2, 5, 1.2), torch.Tensor{2, 3.2, 4.4}, 1e-6)
  same(torch.range(5, 1, -2), torch.Tensor{5, 3, 1})
  local res = torch.LongTensor()
  torch.range(res, 1, 4)
  same(res, torch.LongTensor{1, 2, 3, 4})
  same(torch.arange(4), torch.Tensor{0, 1, 2, 3})
  same(torch.arange(1, 2.5, 0.5), torch.Tensor{1, 1.5, 2})
  tester:assertErrorPattern(function() torch.range(1, 2, 0) end, 'step')
  tester:assertErrorPattern(function() torch.range(3, 1) end, 'inconsistent')
end

function T.linspace_logspace_eye()
  same(torch.linspace(0, 1, 5), torch.Tensor{0, 0.25, 0.5, 0.75, 1})
  tester:eq(torch.linspace(-1, 1):size(1), 100)
  local l = torch.DoubleTensor()
  torch.linspace(l, -1, 0.3, 7)
  tester:eq(l[7], 0.3); tester:eq(l[1], -1)
  tester:eq(torch.logspace(0, 2, 3), torch.Tensor{1, 10, 100}, 1e-4)
  tester:eq(torch.logspace(0, 3, 4, 2), torch.Tensor{1, 2, 4, 8}, 1e-6)
  same(torch.eye(2), torch.Tensor{{1, 0}, {0, 1}})
  same(torch.eye(2, 3), torch.Tensor{{1, 0, 0}, {0, 1, 0}})
  local b = torch.ByteTensor()
  torch.eye(b, 3)
  tester:eq(torch.type(b), 'torch.ByteTensor')
  same(b, torch.ByteTensor{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}})
  tester:assertErrorPattern(function() torch.eye(-1) end, 'non%-negative')
  tester:assertErrorPattern(function() torch.linspace(0, 1, -3) end, 'non%-negative')
end

tester:add(T)
return tester
