-- Autograd of views, indexing, joining and splitting (tensor/grad_shape.c): gradcheck of
-- every op on several shapes, negative dims and non-contiguous inputs, hand-checked
-- values, second derivatives, the Lua indexing forms, index assignment (CopySlices), the
-- out/in-place policy and grad mode off.
local tester = torch.Tester()
local T = torch.TestSuite()

local function D(...) return torch.randn(...):double() end
local function leaf(...) return D(...):setRequiresGrad() end
-- a transposed (non-contiguous) leaf of size a x b
local function tleaf(a, b) return torch.randn(b, a):double():t():setRequiresGrad() end
local function L(t) return torch.LongTensor(t) end

local function check(f, inputs, what)
  local ok, msg = torch.gradcheck(f, inputs)
  tester:assert(ok, (what or '') .. ': ' .. tostring(msg))
end
-- second derivatives: f is made nonlinear (squared) so that its gradient depends on x
local function check2(f, inputs, what)
  local function sq(...) local y = f(...) return torch.cmul(y, y) end
  local ok, msg = torch.gradgradcheck(function(...) return torch.enableGrad(sq, ...) end, inputs)
  tester:assert(ok, (what or '') .. ' (second order): ' .. tostring(msg))
end
-- the gradient of sum(f(x) .* w) for a given w
local function grad_of(f, x, w)
  local y = f(x)
  return torch.grad(y, x, w or torch.ones(y:size()):double())
end
-- a non-leaf copy of x (its own memory, in the graph)
local function nonleaf(x) return torch.cmul(x, torch.ones(x:size()):double()) end

function T.views_gradcheck()
  for _, x in ipairs({ leaf(4, 3), tleaf(4, 3) }) do
    check(function(a) return a:narrow(1, 2, 2) end, { x }, 'narrow')
    check(function(a) return a:narrow(-1, 2, 2) end, { x }, 'narrow, negative dim')
    check(function(a) return a:narrow(2, 1, 0) end, { x }, 'narrow to nothing')
    check(function(a) return a:select(2, 2) end, { x }, 'select')
    check(function(a) return a:select(-2, 4) end, { x }, 'select, negative dim')
    check(function(a) return a:view(12) end, { x:contiguous():detach():setRequiresGrad() }, 'view')
    check(function(a) return a:view(2, -1) end, { x:contiguous():detach():setRequiresGrad() }, 'view -1')
    check(function(a) return a:reshape(6, 2) end, { x }, 'reshape (a copy when non-contiguous)')
    check(function(a) return a:reshape(2, 3, 2) end, { x }, 'reshape to 3-D')
    check(function(a) return a:t() end, { x }, 't')
    check(function(a) return a:transpose(1, 2) end, { x }, 'transpose')
    check(function(a) return a:transpose(-1, 1) end, { x }, 'transpose, negative dim')
    check(function(a) return a:view(4, 3, 1):permute(3, 1, 2) end, { x:contiguous():detach():setRequiresGrad() }, 'permute')
    check(function(a) return a:unsqueeze(2) end, { x }, 'unsqueeze')
    check(function(a) return a:unsqueeze(-1) end, { x }, 'unsqueeze, negative dim')
    check(function(a) return a:unsqueeze(1):squeeze() end, { x }, 'squeeze')
    check(function(a) return a:unsqueeze(3):squeeze(3) end, { x }, 'squeeze(dim)')
    check(function(a) return a:squeeze(1) end, { x }, 'squeeze of a dim that is not 1')
    check(function(a) return a:unfold(1, 2, 1) end, { x }, 'unfold, overlapping')
    check(function(a) return a:unfold(2, 2, 2) end, { x }, 'unfold, a window left out')
    check(function(a) return a:unfold(-2, 3, 1) end, { x }, 'unfold, negative dim')
    check(function(a) return a:sub(2, 3, 1, -1) end, { x }, 'sub')
  end
  check(function(a) return a:expand(4, 3) end, { leaf(1, 3) }, 'expand')
  check(function(a) return a:expand(2, 4, 3) end, { leaf(4, 1) }, 'expand, a new leading dim')
  check(function(a) return a:expand(5, -1) end, { leaf(1, 2) }, 'expand -1')
  check(function(a) return a:expandAs(D(3, 2, 4)) end, { leaf(2, 1) }, 'expandAs')
  check(function(a) return a:view(1):expand(3) end, { leaf(1) }, 'expand a 1-element tensor')
  check(function(a) return a:permute(2, 3, 1) end, { leaf(2, 3, 4):transpose(1, 3) }, 'permute, non-contiguous')
  check(function(a) return a:t() end, { leaf(5) }, 't of a vector')
  check(function(a) return a:unfold(1, 1, 1) end, { leaf(1) }, 'unfold, size-1 dim')
  check(function(a) return a:view(2, 2, 1, 2) end, { leaf(8) }, 'view with a size-1 dim')
  check(function(a) return a:viewAs(D(2, 3)) end, { leaf(6) }, 'viewAs')
  check(function(a) return a:unfold(3, 2, 1) end, { leaf(2, 3, 4):transpose(1, 2) }, 'unfold 3-D non-contiguous')
end

function T.view_grad_fns_and_values()
  local x = leaf(4, 3)
  tester:eq(x:narrow(1, 1, 2).gradFn.name, 'NarrowBackward', 'narrow')
  tester:eq(x[2].gradFn.name, 'SelectBackward', 'select (x[2])')
  tester:eq(x:view(12).gradFn.name, 'ViewBackward', 'view')
  tester:eq(x:t().gradFn.name, 'TransposeBackward', 't')
  tester:eq(x:unsqueeze(1).gradFn.name, 'UnsqueezeBackward', 'unsqueeze')
  tester:eq(x:unfold(1, 2, 1).gradFn.name, 'UnfoldBackward', 'unfold')
  tester:eq(x:view(1, 4, 3):expand(2, 4, 3).gradFn.name, 'ExpandBackward', 'expand')
  -- select gives a one-hot row
  local g = grad_of(function(a) return a:select(1, 3) end, x)
  local want = torch.zeros(4, 3):double()
  want[3]:fill(1)
  tester:eq(g, want, 0, 'select: a one-hot row')
  -- narrow: ones in the slice
  g = grad_of(function(a) return a:narrow(2, 2, 2) end, x, torch.DoubleTensor({{1, 2}, {3, 4}, {5, 6}, {7, 8}}))
  tester:eq(g, torch.DoubleTensor({{0, 1, 2}, {0, 3, 4}, {0, 5, 6}, {0, 7, 8}}), 0, 'narrow: the gradient in the slice')
  -- expand sums the copies
  local e = leaf(1, 3)
  g = grad_of(function(a) return a:expand(4, 3) end, e)
  tester:eq(g, torch.DoubleTensor({{4, 4, 4}}), 0, 'expand: summed over the copies')
  -- unfold: overlapping windows add up
  local u = leaf(5)
  g = grad_of(function(a) return a:unfold(1, 3, 1) end, u)
  tester:eq(g, torch.DoubleTensor({1, 2, 3, 2, 1}), 0, 'unfold: counts of windows per element')
  g = grad_of(function(a) return a:unfold(1, 2, 2) end, u)
  tester:eq(g, torch.DoubleTensor({1, 1, 1, 1, 0}), 0, 'unfold: the element no window reaches gets 0')
  -- transpose of a non-contiguous leaf
  local xt = tleaf(3, 2)
  local w = D(2, 3)
  g = grad_of(function(a) return a:t() end, xt, w)
  tester:eq(g, w:t(), 0, 'transpose: the gradient transposed back')
  tester:assert(g:isSameSizeAs(xt), 'the gradient has the input\'s size')
  -- the view's gradient reaches the leaf through backward
  local y = x:narrow(1, 2, 1)
  y:backward(torch.ones(1, 3):double())
  tester:eq(x.grad:sum(), 3, 0, 'backward through a view into .grad')
  tester:eq(x.grad[2], torch.ones(3):double(), 0, 'the row of the view')
end

function T.chained_views()
  local x = torch.randn(3, 4):double():t():setRequiresGrad()   -- 4 x 3, non-contiguous
  check(function(a) return a:t():narrow(1, 1, 2):view(-1) end, { x }, 'x:t():narrow(1,1,2):view(-1)')
  check(function(a) return a:narrow(1, 2, 3):t():select(1, 2):unsqueeze(1):expand(2, 3) end, { x }, 'narrow/t/select/unsqueeze/expand')
  check(function(a) return a[{ { 2, 4 }, 2 }]:view(3, 1):expand(3, 2):t() end, { x }, 'index/view/expand/t')
  check(function(a) return a:unfold(1, 2, 1):select(3, 2):narrow(2, 2, 2) end, { x }, 'unfold/select/narrow')
  local y = leaf(2, 3, 4)
  check(function(a) return a:transpose(1, 3):narrow(1, 2, 2):select(3, 1) end, { y }, '3-D chain')
end

function T.split_and_chunk_pieces()
  local x = leaf(7, 2)
  local parts = x:split(3)
  tester:eq(#parts, 3, 'three pieces')
  tester:eq(parts[1].gradFn.name, 'NarrowBackward', 'pieces are narrows')
  local gs = torch.grad({ parts[1], parts[3] }, { x }, { torch.ones(3, 2):double(), torch.ones(1, 2):double() * 5 })
  local want = torch.zeros(7, 2):double()
  want:narrow(1, 1, 3):fill(1)
  want[7]:fill(5)
  tester:eq(gs[1], want, 0, 'pieces used separately; the unused one gets 0')
  check(function(a) local p = a:split(2, 2) return torch.cmul(p[1], p[2]) end, { leaf(3, 4) }, 'split along dim 2')
  check(function(a) local p = a:chunk(3, 1) return torch.cat({ p[3], p[1] }, 1) end, { tleaf(6, 2) }, 'chunk')
  check(function(a) local p = torch.split(a, 2, -1) return p[2] end, { leaf(2, 5) }, 'torch.split, negative dim')
  check(function(a) return torch.chunk(a, 2)[2] end, { leaf(5) }, 'torch.chunk')
end

function T.cat_stack_gradcheck()
  local a, b, c = leaf(2, 3), tleaf(4, 3), D(1, 3)
  check(function(p, q) return torch.cat({ p, q }, 1) end, { a, b }, 'cat dim 1')
  check(function(p, q) return torch.cat(p, q, 1) end, { a, b }, 'cat(a, b, dim)')
  check(function(p, q) return torch.cat({ p:t(), q:t() }, -1) end, { a, b }, 'cat, negative dim')
  check(function(p, q) return torch.cat({ p, c, q }, 1) end, { a, b }, 'cat with an input that needs no grad')
  check(function(p) return torch.cat({ p, p, p }, 2) end, { a }, 'the same input three times')
  check(function(p, q) return torch.cat(p, q) end, { leaf(3), leaf(2) }, 'vectors, default dim')
  check(function(p, q) return torch.cat({ p, q }, 2) end, { leaf(3), leaf(3) }, 'vectors along dim 2 (Torch7)')
  check(function(p) return torch.cat({ torch.DoubleTensor(), p, torch.DoubleTensor() }, 1) end, { leaf(2, 2) }, 'empty inputs skipped')
  check(function(p) return p:cat(p:narrow(1, 1, 1), 1) end, { a }, 'the method form')
  -- gradients of cat: only the inputs that require grad get them
  local g = torch.grad(torch.cat({ a, c }, 1), a, D(3, 3))
  tester:assert(g:isSameSizeAs(a), 'a gradient of the input\'s size')
  tester:eq(torch.cat({ a, c }, 1).gradFn.name, 'CatBackward', 'CatBackward')
  -- integer inputs mixed in
  check(function(p) return torch.cat({ p, torch.LongTensor({ { 1, 2, 3 } }) }, 1) end, { a }, 'an integer input')
  -- stack
  check(function(p, q) return torch.stack({ p, q }) end, { a, leaf(2, 3) }, 'stack')
  check(function(p, q) return torch.stack({ p, q, p }, 2) end, { a, tleaf(2, 3) }, 'stack dim 2')
  check(function(p, q) return torch.stack({ p, q }, -1) end, { a, leaf(2, 3) }, 'stack, negative dim')
  local k = D(2, 3)
  check(function(p) return torch.stack({ p, k }, 3) end, { a }, 'stack with a constant')
  tester:eq(torch.stack({ a, a }).gradFn.name, 'StackBackward', 'StackBackward')
end

function T.repeat_flip_roll_gradcheck()
  local x, xt = leaf(2, 3), tleaf(2, 3)
  for _, v in ipairs({ x, xt }) do
    check(function(a) return a:repeatTensor(2, 3) end, { v }, 'repeatTensor')
    check(function(a) return a:repeatTensor(3, 1, 2) end, { v }, 'repeatTensor, a new leading dim')
    check(function(a) return a:flip(1) end, { v }, 'flip')
    check(function(a) return a:flip(1, 2) end, { v }, 'flip both dims')
    check(function(a) return a:flip(-1) end, { v }, 'flip, negative dim')
    check(function(a) return a:roll(1, 2) end, { v }, 'roll')
    check(function(a) return a:roll(-4, 1) end, { v }, 'roll, negative shift')
    check(function(a) return a:roll({ 1, 2 }, { 1, 2 }) end, { v }, 'roll several dims')
    check(function(a) return a:roll(2) end, { v }, 'roll flattened')
  end
  check(function(a) return a:repeatTensor(4) end, { leaf(1) }, 'repeat a 1-element vector')
  check(function(a) return a:repeatTensor(2, 2, 1) end, { leaf(3, 1, 2) }, 'repeat 3-D')
  local g = grad_of(function(a) return a:repeatTensor(3, 2) end, x)
  tester:eq(g, torch.ones(2, 3):double() * 6, 0, 'repeat: summed over the 6 copies')
  local w = torch.DoubleTensor({ 1, 2, 3, 4 })
  tester:eq(grad_of(function(a) return a:roll(1, 1) end, leaf(4), w), torch.DoubleTensor({ 2, 3, 4, 1 }), 0, 'roll back')
  tester:eq(grad_of(function(a) return a:flip(1) end, leaf(4), w), torch.DoubleTensor({ 4, 3, 2, 1 }), 0, 'flip back')
end

function T.index_gather_masked_select_gradcheck()
  for _, x in ipairs({ leaf(4, 3), tleaf(4, 3) }) do
    check(function(a) return a:index(1, L({ 3, 1, 3 })) end, { x }, 'index dim 1, repeated index')
    check(function(a) return a:index(2, L({ 2 })) end, { x }, 'index dim 2')
    check(function(a) return a:index(-1, L({ 3, 2, 1, 1 })) end, { x }, 'index, negative dim')
    check(function(a) return torch.index(a, 1, L({ 4 })) end, { x }, 'torch.index')
    check(function(a) return a:gather(1, L({ { 1, 2, 3 }, { 4, 4, 1 } })) end, { x }, 'gather dim 1')
    check(function(a) return a:gather(2, L({ { 1 }, { 3 }, { 2 } })) end, { x }, 'gather dim 2, a smaller index')
    check(function(a) return torch.gather(a, -1, L({ { 1, 1 }, { 2, 3 }, { 3, 2 }, { 1, 3 } })) end, { x }, 'torch.gather, negative dim')
    local mask = torch.gt(x:detach(), 0)
    check(function(a) return a:maskedSelect(mask) end, { x }, 'maskedSelect')
    check(function(a) return a:maskedSelect(torch.ByteTensor({ 1, 0, 1 })) end, { x }, 'maskedSelect, a broadcast mask')
    check(function(a) return a:maskedSelect(torch.ByteTensor(12):fill(1):view(2, 6)) end, { x }, 'maskedSelect, same count other shape')
  end
  check(function(a) return a:maskedSelect(torch.ByteTensor({ { 1 }, { 0 }, { 1 } })) end, { leaf(4) }, 'maskedSelect, input broadcast')
  check(function(a) return a:index(1, L({ 2, 2 })) end, { leaf(3) }, 'index a vector')
  local x = leaf(3, 2)
  local g = grad_of(function(a) return a:index(1, L({ 3, 3, 1 })) end, x)
  tester:eq(g, torch.DoubleTensor({ { 1, 1 }, { 0, 0 }, { 2, 2 } }), 0, 'index: a repeated row gets both')
  g = grad_of(function(a) return a:gather(2, L({ { 2, 2 }, { 1, 2 }, { 1, 1 } })) end, x)
  tester:eq(g, torch.DoubleTensor({ { 0, 2 }, { 1, 1 }, { 2, 0 } }), 0, 'gather: counts')
  tester:eq(x:index(1, L({ 1 })).gradFn.name, 'IndexSelectBackward', 'IndexSelectBackward')
  tester:eq(x:gather(1, L({ { 1, 1 } })).gradFn.name, 'GatherBackward', 'GatherBackward')
  tester:eq(x:maskedSelect(torch.gt(x:detach(), 0)).gradFn and x:maskedSelect(torch.gt(x:detach(), 0)).gradFn.name,
            'MaskedSelectBackward', 'MaskedSelectBackward')
  -- the index is saved (the bindings pass a 0-based copy): changing the user's index
  -- afterwards does not change the gradient
  local ix = L({ 1, 1 })
  local y = x:index(1, ix)
  ix[1] = 3
  tester:eq(torch.grad(y, x, torch.ones(2, 2):double()), torch.DoubleTensor({ { 2, 2 }, { 0, 0 }, { 0, 0 } }), 0,
            'the index as it was')
end

function T.inplace_index_writes_gradcheck()
  local x, s2, s3 = leaf(4, 3), leaf(2, 3), leaf(3, 3)
  local idx = L({ 4, 2 })
  check(function(a, s) return nonleaf(a):indexCopy(1, idx, s) end, { x, s2 }, 'indexCopy')
  check(function(a, s) return nonleaf(a):indexAdd(1, L({ 2, 2, 1 }), s) end, { x, s3 }, 'indexAdd, repeated index')
  check(function(a) return nonleaf(a):indexFill(2, L({ 1, 3 }), 7) end, { x }, 'indexFill')
  check(function(a, s) return nonleaf(a):indexCopy(2, L({ 3, 1 }), s) end, { x, tleaf(4, 2) }, 'indexCopy dim 2, non-contiguous src')
  local sidx = L({ { 2, 1, 4 }, { 3, 3, 1 } })
  check(function(a, s) return nonleaf(a):scatter(1, L({ { 2, 1, 4 }, { 3, 2, 1 } }), s) end, { x, s2 }, 'scatter')
  check(function(a, s) return nonleaf(a):scatterAdd(1, sidx, s) end, { x, s2 }, 'scatterAdd')
  check(function(a, s) return nonleaf(a):scatterAdd(1, L({ { 2 }, { 4 } }), s) end, { x, s3 }, 'scatterAdd, a src larger than the index')
  check(function(a, s) return nonleaf(a):scatter(2, L({ { 3 }, { 1 }, { 2 }, { 2 } }), s) end, { x, leaf(4, 2) }, 'scatter dim 2, larger src')
  check(function(a) return nonleaf(a):scatter(1, sidx, 0.5) end, { x }, 'scatter of a value')
  local mask = torch.ByteTensor({ { 1, 0, 1 }, { 0, 0, 1 }, { 1, 1, 1 }, { 0, 0, 0 } })
  check(function(a) return nonleaf(a):maskedFill(mask, 3) end, { x }, 'maskedFill')
  check(function(a) return nonleaf(a):maskedFill(torch.ByteTensor({ 0, 1, 0 }), 3) end, { x }, 'maskedFill, a broadcast mask')
  check(function(a, s) return nonleaf(a):maskedCopy(mask, s) end, { x, leaf(6) }, 'maskedCopy')
  check(function(a, s) return nonleaf(a):maskedCopy(mask, s) end, { x, leaf(3, 3) }, 'maskedCopy, a larger src')
  -- the destination may be a tensor that needs no grad: only src's gradient flows
  check(function(s) return torch.zeros(4, 3):double():indexCopy(1, idx, s) end, { s2 }, 'indexCopy into a constant')
  check(function(s) return torch.zeros(4, 3):double():scatterAdd(1, sidx, s) end, { s2 }, 'scatterAdd into a constant')
  check(function(s) return torch.zeros(4, 3):double():maskedCopy(mask, s) end, { leaf(6) }, 'maskedCopy into a constant')
  -- hand-checked
  local g = torch.grad(nonleaf(x):indexCopy(1, idx, s2), { x, s2 }, torch.ones(4, 3):double())
  tester:eq(g[1], torch.DoubleTensor({ { 1, 1, 1 }, { 0, 0, 0 }, { 1, 1, 1 }, { 0, 0, 0 } }), 0, 'indexCopy: the overwritten rows get 0')
  tester:eq(g[2], torch.ones(2, 3):double(), 0, 'indexCopy: src gets the written rows')
  g = torch.grad(nonleaf(x):maskedFill(mask, 0), x, torch.ones(4, 3):double())
  tester:eq(g, torch.eq(mask, 0):double(), 0, 'maskedFill: 0 where filled')
  tester:eq(nonleaf(x):indexAdd(1, idx, s2).gradFn.name, 'IndexAddBackward', 'IndexAddBackward')
  tester:eq(nonleaf(x):maskedCopy(mask, leaf(6)).gradFn.name, 'MaskedCopyBackward', 'MaskedCopyBackward')
end

function T.inplace_writes_policy()
  local x, s = leaf(4, 3), leaf(2, 3)
  -- into a leaf that requires grad, with a src that requires grad: an error naming the op
  tester:assertErrorPattern(function() x:indexCopy(1, L({ 1, 2 }), s) end, 'indexCopy: .*leaf', 'indexCopy into a leaf')
  tester:assertErrorPattern(function() x:maskedCopy(torch.gt(x:detach(), 0), s) end, 'maskedCopy: .*leaf', 'maskedCopy into a leaf')
  -- a value update of a leaf is plain
  local y = leaf(4, 3)
  y:indexFill(1, L({ 1 }), 0)
  y:maskedFill(torch.ByteTensor(4, 3):fill(1), 2)
  tester:assert(y:isLeaf() and y.gradFn == nil, 'fills into a leaf are plain updates')
  tester:eq(y, torch.DoubleTensor(4, 3):fill(2), 0, 'the values are written')
  y:indexAdd(1, L({ 1 }), D(1, 3))
  tester:assert(y:isLeaf(), 'indexAdd of a constant into a leaf')
  -- a write into a view is refused; a view whose base is then written is refused when used
  local z = nonleaf(x)
  local v = z:narrow(1, 1, 2)
  tester:assertErrorPattern(function() v:indexFill(1, L({ 1 }), 0) end, 'indexFill: .*view', 'a write into a view')
  z:indexFill(1, L({ 1 }), 0)
  tester:assertErrorPattern(function() local _ = v * 1 end, 'modified in place after the view', 'a stale view')
  -- grad mode off: nothing recorded
  local w = torch.noGrad(function() return nonleaf(x):indexCopy(1, L({ 1, 2 }), s) end)
  tester:assert(not w.requiresGrad, 'noGrad: indexCopy not recorded')
  -- integer tensors are unaffected
  local li = torch.LongTensor(3):zero():indexCopy(1, L({ 2 }), L({ 5 }))
  tester:eq(li, L({ 0, 5, 0 }), 0, 'integer indexCopy')
end

function T.lua_indexing_forms()
  local x = tleaf(4, 3)
  check(function(a) return a[2] end, { x }, 'x[2]')
  check(function(a) return a[-1] end, { x }, 'x[-1]')
  check(function(a) return a[{ 2, { 1, 3 } }] end, { x }, 'x[{2, {1,3}}]')
  check(function(a) return a[{ {}, 2 }] end, { x }, 'x[{{}, 2}]')
  check(function(a) return a[{ { 2, -1 }, { 2 } }] end, { x }, 'x[{{2,-1}, {2}}]')
  check(function(a) return a[{}] end, { x }, 'x[{}]')
  check(function(a) return a[{ {} }] end, { x }, 'x[{{}}]')
  check(function(a) return a[torch.gt(x:detach(), 0)] end, { x }, 'x[mask]')
  check(function(a) return a[L({ 4, 1 })] end, { x }, 'x[LongTensor]')
  check(function(a) return a:index(1, L({ 2, 3 })) end, { x }, 'x:index')
  check(function(a) return a:narrow(2, 2, 2) end, { x }, 'x:narrow')
  check(function(a) return a:select(1, 1) end, { x }, 'x:select')
  check(function(a) return a:contiguous():view(2, 6) end, { x }, 'x:view')
  check(function(a) return a:t() end, { x }, 'x:t()')
  check(function(a) return a:transpose(1, 2) end, { x }, 'x:transpose')
  check(function(a) return a[{ {}, { 1 } }]:expand(4, 5) end, { x }, 'x:expand')
  check(function(a) return a[{ {}, { 2 } }]:squeeze() end, { x }, 'x:squeeze()')
  check(function(a) return a:unsqueeze(1) end, { x }, 'x:unsqueeze')
  check(function(a, b) return torch.cat({ a, b }, 2) end, { x, leaf(4, 2) }, 'torch.cat')
  check(function(a, b) return torch.stack({ a, b }) end, { x, leaf(4, 3) }, 'torch.stack')
  -- x[i] of a vector is a number (Torch7), x[{i}] too; a view with x[{{i}}]
  local v = leaf(3)
  tester:eq(type(v[2]), 'number', 'an element is a number')
  check(function(a) return a[{ { 2 } }] end, { v }, 'x[{{2}}] of a vector')
  -- a 1-element squeeze gives a number (Torch7)
  tester:eq(type(leaf(1, 1):squeeze()), 'number', 'squeeze to a number')
  tester:eq(x[2].gradFn.name, 'SelectBackward', 'x[2] records')
  tester:eq(x[{ {}, 2 }].gradFn.name, 'SelectBackward', 'x[{{}, 2}] records')
  tester:eq(x[{ { 1, 2 } }].gradFn.name, 'NarrowBackward', 'x[{{1,2}}] records')
end

function T.index_assignment_records()
  local x = leaf(4, 3)
  -- into a non-leaf: recorded (CopySlices)
  check(function(a) local y = nonleaf(a); y[2] = 0; return y end, { x }, 'y[2] = 0')
  check(function(a) local y = nonleaf(a); y[{ 2, 3 }] = 5; return y end, { x }, 'y[{2,3}] = 5 (an element)')
  check(function(a) local y = nonleaf(a); y[{ {}, { 1, 2 } }] = 1; return y end, { x }, 'y[{{}, {1,2}}] = 1')
  check(function(a, b) local y = nonleaf(a); y[{ { 2, 3 } }] = b; return y end, { x, leaf(2, 3) }, 'y[{{2,3}}] = b')
  check(function(a, b) local y = nonleaf(a); y[{ {}, 2 }] = b; return y end, { x, leaf(2, 2) }, 'y[{{}, 2}] = b (same count, other shape)')
  check(function(a, b) local y = nonleaf(a); y[{ 1, { 2, 3 } }] = b; y[3] = 2; return y end, { x, tleaf(1, 2) }, 'two writes')
  check(function(b) local buf = torch.zeros(5, 3):double(); buf[{ { 2, 5 } }] = b; return buf end, { tleaf(4, 3) }, 'into a plain tensor')
  check(function(a, b) local y = nonleaf(a); y[{ {}, { 2, 3 } }] = torch.cmul(b, b); return y end, { x, leaf(4, 2) }, 'a computed value')
  check(function(a) local y = nonleaf(a); y[torch.LongStorage({ 2, 2 })] = 4; return y end, { x }, 'y[LongStorage] = v')
  check(function(a, b) local y = nonleaf(a); y[torch.gt(x:detach(), 0)] = 0; y[L({ 1 })] = b; return y end, { x, leaf(1, 3) },
        'y[mask] = 0, y[LongTensor] = b')
  local y = nonleaf(x)
  y[2] = 0
  tester:eq(y.gradFn.name, 'CopySlices', 'CopySlices')
  local g = torch.grad(y, x, torch.ones(4, 3):double())
  local want = torch.ones(4, 3):double()
  want[2]:zero()
  tester:eq(g, want, 0, 'the overwritten row gets 0')
  -- an element of a vector
  local v = leaf(3)
  local vy = nonleaf(v)
  vy[2] = 10
  tester:eq(vy[2], 10, 0, 'the value is written')
  tester:eq(torch.grad(vy, v, torch.ones(3):double()), torch.DoubleTensor({ 1, 0, 1 }), 0, 'the element gets 0')
  -- second order through an assignment
  check2(function(a, b) local z = nonleaf(a); z[{ {}, 2 }] = torch.cmul(b, b); return z end, { x, leaf(4) }, 'assignment')
end

function T.index_assignment_policy()
  local x = leaf(4, 3)
  -- a leaf's value: a plain update
  x[1] = 0
  x[{ 2, 2 }] = 3
  tester:eq(x[1], torch.zeros(3):double(), 0, 'the row is written')
  x[{ {}, 3 }] = D(4)
  tester:assert(x:isLeaf() and x.gradFn == nil, 'writes into a leaf are value updates')
  tester:eq(x[2][2], 3, 0, 'the element is written')
  -- a value with a history into a leaf: refused
  tester:assertErrorPattern(function() x[1] = torch.cmul(x[2], x[2]) end, 'index assignment: .*leaf',
                            'a recorded value into a leaf')
  -- into a view: refused with a clear message; the base itself records, and the view
  -- taken before that write is refused when used
  local y = nonleaf(x)
  local v = y:narrow(1, 1, 2)
  tester:assertErrorPattern(function() v[1] = 0 end, 'index assignment: .*view', 'a write into a view')
  y[3] = 0
  y[{ 3, 1 }] = 0
  tester:eq(y[3], torch.zeros(3):double(), 0, 'the base records the write')
  tester:assertErrorPattern(function() local _ = v + 1 end, 'modified in place after the view', 'a stale view')
  -- under noGrad: plain
  torch.noGrad(function() y[3] = 7 end)
  tester:eq(y[3], torch.DoubleTensor(3):fill(7), 0, 'noGrad: written')
  -- into an integer tensor, values only
  local li = torch.LongTensor(2, 2):zero()
  li[1] = 4
  tester:eq(li, L({ { 4, 4 }, { 0, 0 } }), 0, 'integer assignment')
end

function T.second_order()
  local x, xt = leaf(4, 3), tleaf(4, 3)
  check2(function(a) return a:narrow(1, 2, 2) end, { x }, 'narrow')
  check2(function(a) return a:select(2, 3) end, { xt }, 'select')
  check2(function(a) return a:unfold(1, 3, 1) end, { x }, 'unfold')
  check2(function(a) return a:index(1, L({ 2, 4, 2 })) end, { x }, 'index')
  check2(function(a) return a:gather(1, L({ { 1, 2, 3 }, { 4, 4, 1 } })) end, { xt }, 'gather')
  check2(function(a) return a:maskedSelect(torch.gt(x:detach(), 0)) end, { x }, 'maskedSelect')
  check2(function(a, b) return torch.cat({ a, b }, 1) end, { x, leaf(2, 3) }, 'cat')
  check2(function(a, b) return torch.stack({ a, b }, 2) end, { x, xt }, 'stack')
  check2(function(a) return a:expand(3, 4) end, { leaf(1, 4) }, 'expand')
  check2(function(a) return a:t():contiguous():view(-1) end, { x }, 'transpose/view')
  check2(function(a) return a:repeatTensor(2, 1) end, { x }, 'repeatTensor')
  check2(function(a) return a:flip(2):roll(1, 1) end, { x }, 'flip/roll')
  check2(function(a, s) return nonleaf(a):scatterAdd(1, L({ { 2 }, { 4 } }), s) end, { x, leaf(3, 3) }, 'scatterAdd')
  check2(function(a, s) return nonleaf(a):maskedCopy(torch.gt(x:detach(), 0), s) end, { x, leaf(12) }, 'maskedCopy')
  check2(function(a, s) return nonleaf(a):indexCopy(2, L({ 3 }), s) end, { x, leaf(4, 1) }, 'indexCopy')
  check2(function(a) return a:split(2)[2] end, { x }, 'split')
end

function T.out_forms()
  local a, b = leaf(2, 3), leaf(1, 3)
  local res = torch.DoubleTensor()
  torch.cat(res, { a, b }, 1)
  tester:assert(res.requiresGrad and res.gradFn.name == 'CatBackward', 'torch.cat(res, ...) records')
  tester:eq(torch.grad(res, { a, b }, torch.ones(3, 3):double())[2], torch.ones(1, 3):double(), 0, 'through res')
  local r2 = torch.DoubleTensor()
  torch.index(r2, a, 2, L({ 1, 1 }))
  tester:eq(torch.grad(r2, a, torch.ones(2, 2):double()), torch.DoubleTensor({ { 2, 0, 0 }, { 2, 0, 0 } }), 0,
            'torch.index(res, ...) records')
  -- a leaf requiring grad as the out tensor of a recorded op is refused
  local l = leaf(3, 3)
  tester:assertErrorPattern(function() torch.cat(l, { a, b }, 1) end, 'cat: .*leaf', 'cat into a leaf')
  -- cat writing into one of its inputs
  local y = nonleaf(a)
  torch.cat(y, { y, b }, 1)
  tester:eq(y:size(1), 3, 'resized')
  tester:eq(torch.grad(y, a, torch.ones(3, 3):double()), torch.ones(2, 3):double(), 0, 'cat into its own input')
  -- the result forms that re-point a tensor at a view do not record: a clear error
  local rv = torch.DoubleTensor()
  tester:assertErrorPattern(function() rv:view(a, 6) end, 'view: .*does not record', 'res:view(src)')
  tester:assertErrorPattern(function() rv:expand(b, 2, 3) end, 'expand: .*does not record', 'res:expand(src)')
  torch.noGrad(function() rv:view(a, 6) end)
  tester:eq(rv:nElement(), 6, 'under noGrad the result form works')
end

function T.grad_mode_off_records_nothing()
  local x = leaf(4, 3)
  torch.noGrad(function()
    for _, r in ipairs({ x:narrow(1, 1, 2), x[2], x:t(), x:view(12), x:expand(2, 4, 3), x:unsqueeze(1),
                         x:unfold(1, 2, 1), x:index(1, L({ 1 })), x:gather(1, L({ { 1, 1, 1 } })),
                         x[torch.gt(x, 0)], torch.cat({ x, x }), torch.stack({ x, x }), x:split(2)[1],
                         x:repeatTensor(2, 1), x:flip(1), x:roll(1, 1), x[{ {}, 2 }] }) do
      tester:assert(not r.requiresGrad, 'not recorded')
    end
  end)
  -- a tensor that needs no grad: nothing recorded either
  local c = D(4, 3)
  tester:assert(not c:narrow(1, 1, 2).requiresGrad and not torch.cat({ c, c }).requiresGrad, 'constants')
end

function T.edge_cases()
  -- size-1 dims, 0-dim results, empty tensors
  local s = leaf(1, 1)
  check(function(a) return a:select(1, 1) end, { s }, 'select to a vector of 1')
  check(function(a) return a:view(2, 1):select(1, 2):squeeze(1) end, { leaf(2) }, 'select to a 0-dim tensor')
  check(function(a) return a:view({}) end, { leaf(1) }, 'view to 0-dim')
  check(function(a) return a:view(1, 1):squeeze(1) end, { leaf(1) }, 'squeeze one dim')
  local e = leaf(0, 3)
  local n = e:narrow(2, 1, 2)
  tester:assert(n.requiresGrad, 'a view of an empty tensor records')
  local g = torch.grad(n, e, torch.zeros(0, 2):double())
  tester:eq(g:nElement(), 0, 'empty gradient')
  local cat0 = torch.cat({ e, leaf(1, 3) }, 1)
  tester:eq(cat0:size(1), 1, 'cat with an empty 2-D input')
  check(function(a) return torch.cat({ e, a }, 1) end, { leaf(2, 3) }, 'cat with an empty input')
  -- backward errors are Lua errors naming the op
  tester:assertErrorPattern(function() leaf(3):narrow(1, 3, 2) end, 'narrow', 'a bad narrow')
  tester:assertErrorPattern(function() leaf(3, 2):index(1, L({ 5 })) end, 'index', 'a bad index')
  tester:assertErrorPattern(function() torch.cat({ leaf(2, 2), leaf(3, 3) }, 1) end, 'cat', 'a bad cat')
  -- CUDA tensors are checked in test_cuda.lua; memory: graphs of views are freed
  collectgarbage()
  local before = torch._autogradLiveNodes and torch._autogradLiveNodes()
  for _ = 1, 50 do
    local x = leaf(4, 3)
    local y = x:t():narrow(1, 1, 2)
    y[{ 1, 1 }] = 0
    torch.cat({ y, x:t():index(1, L({ 1 })) }, 1):backward(torch.ones(3, 4):double())
  end
  collectgarbage()
  if before then tester:eq(torch._autogradLiveNodes(), before, 'no nodes left alive') end
end

-- the view formulas use device-neutral ops (zeros, copy, add, mul): the GPU gives the CPU's
-- gradients (cat, index and masks are CPU-only ops)
function T.cuda_views()
  if not torch.cudaAvailable() then tester:skip('no GPU') end
  local forms = {
    function(a) return a:narrow(1, 2, 2) end, function(a) return a:select(2, 3) end,
    function(a) return a[{ { 2, 3 }, 1 }] end, function(a) return a:t() end,
    function(a) return a:contiguous():view(20) end, function(a) return a:unsqueeze(2):squeeze(2) end,
    function(a) return a:unfold(2, 3, 1) end, function(a) return a:transpose(1, 2):unfold(1, 2, 2) end,
    function(a) local y = torch.cmul(a, a); y[{ 2, { 1, 3 } }] = 0; return y end,
    function(a) local y = torch.cmul(a, a); y[3] = a[1]; return y end,
  }
  for i, f in ipairs(forms) do
    local xcpu = leaf(4, 5)
    local xgpu = xcpu:detach():cuda():setRequiresGrad()
    local w = D(f(xcpu):size())
    local gcpu = torch.grad(f(xcpu), xcpu, w)
    local ggpu = torch.grad(f(xgpu), xgpu, w:cuda())
    tester:assert(ggpu:type():find('Cuda'), 'form ' .. i .. ': gradient on the GPU')
    tester:eq(ggpu:double():cpu(), gcpu, 1e-4, 'form ' .. i)
  end
end

tester:add(T)
return tester
