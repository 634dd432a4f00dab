-- The autograd engine: accumulation, grad mode, retain/create graph, in-place checks,
-- hooks, torch.grad, torch.Function, the functional form, memory. The formulas of each
-- op family are checked in test_autograd_<family>.lua.
local tester = torch.Tester()
local T = torch.TestSuite()

local function D(...) return torch.randn(...):double() end
local function leaf(...) return D(...):setRequiresGrad() end

function T.leaf_flags_and_creation_options()
  local x = torch.randn(2, 3)
  tester:assert(not x.requiresGrad, 'a new tensor does not require grad')
  tester:assert(x:setRequiresGrad() == x, 'setRequiresGrad returns the tensor')
  tester:assert(x.requiresGrad and x:isLeaf() and x.gradFn == nil and x.grad == nil, 'leaf state')
  x.requiresGrad = false
  tester:assert(not x.requiresGrad, 'requiresGrad is assignable')
  tester:assert(torch.randn(2, {requiresGrad = true}).requiresGrad, 'randn option table')
  tester:assert(torch.zeros(2, 2, {requiresGrad = true}).requiresGrad, 'zeros option table')
  tester:assert(torch.DoubleTensor(3, {requiresGrad = true}).requiresGrad, 'constructor option table')
  tester:assertErrorPattern(function() torch.LongTensor(3):setRequiresGrad() end, 'floating%-point',
                            'integer tensors cannot require grad')
  local y = torch.cmul(x:setRequiresGrad(), x)
  tester:assert(y.requiresGrad and not y:isLeaf(), 'a result requires grad and is no leaf')
  tester:eq(tostring(y.gradFn), '<MulBackward>', 'gradFn prints its name')
  tester:eq(y.gradFn.name, 'MulBackward', 'gradFn.name')
  tester:assertErrorPattern(function() y.requiresGrad = false end, 'only leaf', 'non-leaf cannot stop requiring grad')
end

function T.backward_accumulates_and_zeroGrad_resets()
  local a, b = leaf(4), D(4)
  local y = torch.cmul(a, b)
  y:backward(torch.ones(4):double())
  tester:eq(a.grad, b, 1e-15, 'd(a*b)/da = b')
  local g = a.grad
  torch.cmul(a, b):backward(torch.ones(4):double())
  tester:eq(a.grad, b * 2, 1e-15, 'a second backward adds')
  tester:assert(torch.pointer(a.grad) == torch.pointer(g), 'accumulated in place: the same grad tensor')
  a:zeroGrad()
  tester:eq(a.grad, torch.zeros(4):double(), 0, 'zeroGrad fills zeros')
  a.grad = nil
  tester:assert(a.grad == nil, 'grad assignable to nil')
  tester:assertErrorPattern(function() a.grad = torch.zeros(3):double() end, 'size', 'a grad of another size is refused')
  -- a view of .grad stays valid across backwards (what getParameters relies on)
  a.grad = torch.zeros(4):double()
  local view = a.grad:narrow(1, 2, 2)
  torch.cmul(a, b):backward(torch.ones(4):double())
  tester:eq(view, b:narrow(1, 2, 2), 1e-15, 'a view of grad sees the accumulation')
end

function T.shared_inputs_and_diamonds()
  local x = leaf(3)
  local y = torch.cmul(x, x)            -- x used twice by one op
  y:backward(torch.ones(3):double())
  tester:eq(x.grad, x * 2, 1e-14, 'x*x')
  x.grad = nil
  local a = torch.cmul(x, x)
  local b = x + a                       -- a diamond: x reaches b two ways
  local c = torch.cmul(a, b)
  c:backward(torch.ones(3):double())
  -- c = x^2 (x + x^2) = x^3 + x^4, dc/dx = 3x^2 + 4x^3
  local x2 = torch.cmul(x, x):detach()
  tester:eq(x.grad, x2 * 3 + torch.cmul(x2, x:detach()) * 4, 1e-12, 'diamond')
end

function T.broadcast_gradients_sum_back()
  local a, b = leaf(3, 1), leaf(4)
  local y = a + b                      -- 3x4
  y:backward(torch.ones(3, 4):double())
  tester:eq(a.grad, torch.DoubleTensor(3, 1):fill(4), 0, 'summed over the broadcast columns')
  tester:eq(b.grad, torch.DoubleTensor(4):fill(3), 0, 'summed over the broadcast rows')
end

function T.non_scalar_backward_needs_gradOutput()
  local y = torch.cmul(leaf(3), D(3))
  tester:assertErrorPattern(function() y:backward() end, 'one%-element output', 'clear error')
  tester:assertErrorPattern(function() y:backward(torch.ones(4):double()) end, 'gradOutput 1 has size 4', 'size checked')
  tester:assertErrorPattern(function() D(3):backward(torch.ones(3):double()) end, 'does not require grad',
                            'backward of a tensor without history')
  -- a one-element output needs no gradOutput
  local x = leaf(1)
  torch.cmul(x, x):backward()
  tester:eq(x.grad, x:detach() * 2, 1e-15, 'implicit gradient of one')
end

function T.grad_mode()
  local x = leaf(3)
  tester:assert(torch.isGradEnabled(), 'on by default')
  local y = torch.noGrad(function() return torch.cmul(x, x) end)
  tester:assert(not y.requiresGrad and y.gradFn == nil, 'noGrad records nothing')
  tester:assert(torch.isGradEnabled(), 'noGrad restores the mode')
  local ok = pcall(torch.noGrad, function() error('boom') end)
  tester:assert(not ok and torch.isGradEnabled(), 'restored after an error too')
  tester:eq(select(2, torch.noGrad(function(a, b) return a, b end, 1, 2)), 2, 'arguments and results pass through')
  local prev = torch.setGradEnabled(false)
  tester:assert(prev == true and not torch.isGradEnabled(), 'setGradEnabled returns the previous mode')
  tester:assert(not torch.cmul(x, x).requiresGrad, 'switched off')
  local z = torch.enableGrad(function() return torch.cmul(x, x) end)
  tester:assert(z.requiresGrad, 'enableGrad inside a no-grad region')
  torch.setGradEnabled(true)
end

function T.detach()
  local x = leaf(3)
  local y = torch.cmul(x, x)
  local d = y:detach()
  tester:assert(not d.requiresGrad and d.gradFn == nil, 'detached: no history')
  tester:assert(d:storage() == y:storage() or torch.pointer(d:storage()) == torch.pointer(y:storage()), 'shares the data')
  local z = torch.cmul(d, x)
  z:backward(torch.ones(3):double())
  tester:eq(x.grad, d, 1e-15, 'gradient stops at the detached tensor')
end

function T.retain_graph_and_freed_graph()
  local x = leaf(3)
  local y = torch.cmul(x, x)
  y:backward(torch.ones(3):double(), { retainGraph = true })
  y:backward(torch.ones(3):double())
  tester:eq(x.grad, x:detach() * 4, 1e-14, 'two backwards with retainGraph')
  tester:assertErrorPattern(function() y:backward(torch.ones(3):double()) end, 'retainGraph',
                            'a third backward through the freed graph is a clear error')
end

function T.inplace_change_of_a_saved_tensor_is_an_error()
  local x = leaf(3)
  local b = D(3)
  local y = torch.cmul(x, b)           -- saves b
  b:add(1)                             -- b changes after its use
  tester:assertErrorPattern(function() y:backward(torch.ones(3):double()) end, 'modified by an in%-place',
                            'version counter')
end

function T.inplace_policy()
  local w, g = leaf(3), D(3)
  local before = w:clone()
  w:add(-0.5, g)                       -- an optimizer step: a value update
  tester:assert(w:isLeaf() and w.gradFn == nil, 'the leaf stays a leaf')
  tester:eq(w:detach(), before:detach() - g * 0.5, 1e-15, 'and is updated')
  local other = leaf(3)
  tester:assertErrorPattern(function() w:add(other) end, 'leaf tensor that requires grad',
                            'a leaf cannot take a recorded result')
  -- in place on a non-leaf records
  local x = leaf(3)
  local y = torch.cmul(x, x)
  y:cmul(x)                            -- y = x^3
  y:backward(torch.ones(3):double())
  tester:eq(x.grad, torch.cmul(x, x):detach() * 3, 1e-12, 'in-place cmul on a non-leaf')
  -- a result tensor given as out takes the history
  local res = torch.DoubleTensor()
  local z = leaf(3)
  torch.cmul(res, z, z)
  tester:assert(res.requiresGrad and res.gradFn ~= nil, 'out tensor records')
  res:backward(torch.ones(3):double())
  tester:eq(z.grad, z:detach() * 2, 1e-14, 'through the out tensor')
  -- a recorded write into a view is refused; a view whose base was then modified in
  -- place is refused when used (its history would be stale)
  local base = torch.cmul(x, x)
  local view = base:narrow(1, 1, 2)
  tester:assertErrorPattern(function() torch.cmul(view, view, x:narrow(1, 1, 2)) end, 'view', 'write into a view')
  torch.cmul(base, base, x)
  tester:assertErrorPattern(function() local _ = view * 2 end, 'modified in place after the view', 'stale view')
  local fresh = base:narrow(1, 1, 2) * 2
  tester:assert(fresh.requiresGrad, 'a view taken again works')
end

function T.torch_grad()
  local a, b = leaf(3), leaf(3)
  local y = torch.cmul(a, b)
  local gs = torch.grad(y, { a, b }, torch.ones(3):double())
  tester:eq(gs[1], b:detach(), 1e-15, 'd/da')
  tester:eq(gs[2], a:detach(), 1e-15, 'd/db')
  tester:assert(a.grad == nil and b.grad == nil, 'torch.grad leaves .grad alone')
  local ga = torch.grad(torch.cmul(a, a), a, torch.ones(3):double())
  tester:assert(torch.isTensor(ga), 'a single input gives a single tensor')
  tester:eq(ga, a:detach() * 2, 1e-15, 'value')
  local c = leaf(2)
  local unused = torch.grad(torch.cmul(a, a), { a, c }, torch.ones(3):double())
  tester:eq(unused[2], torch.zeros(2):double(), 0, 'an unused input gets zeros')
  -- a non-leaf input
  local h = torch.cmul(a, a)
  local out = torch.cmul(h, b)
  local gh = torch.grad(out, h, torch.ones(3):double())
  tester:eq(gh, b:detach(), 1e-15, 'gradient at a non-leaf')
  tester:assertErrorPattern(function() torch.grad(out, D(3), torch.ones(3):double()) end, 'does not require grad',
                            'inputs must require grad')
end

function T.create_graph_second_derivative()
  local x = leaf(4)
  local y = torch.cmul(torch.cmul(x, x), x)        -- x^3
  local g = torch.grad(y, x, torch.ones(4):double(), { createGraph = true })
  tester:assert(g.requiresGrad, 'a gradient with history')
  tester:eq(g, torch.cmul(x, x):detach() * 3, 1e-12, '3x^2')
  local g2 = torch.grad(g, x, torch.ones(4):double())
  tester:eq(g2, x:detach() * 6, 1e-12, '6x')
  -- backward with createGraph leaves a differentiable .grad
  local z = leaf(3)
  torch.cmul(z, torch.cmul(z, z)):backward(torch.ones(3):double(), { createGraph = true })
  tester:assert(z.grad.requiresGrad, 'grad has history')
  local gg = torch.grad(z.grad, z, torch.ones(3):double())
  tester:eq(gg, z:detach() * 6, 1e-12, 'through .grad')
end

function T.hooks()
  local x = leaf(3)
  local seen
  x:registerHook(function(g) seen = g:clone() end)
  local y = torch.cmul(x, x)
  local h = y:registerHook(function(g) return g * 2 end)
  tester:assert(h == y, 'registerHook returns the tensor')
  y:backward(torch.ones(3):double())
  tester:eq(x.grad, x:detach() * 4, 1e-14, 'a non-leaf hook replaced the gradient')
  tester:eq(seen, x:detach() * 4, 1e-14, 'a leaf hook saw the final gradient')
  local z = torch.cmul(x, x)
  z:registerHook(function() error('hook failed') end)
  tester:assertErrorPattern(function() z:backward(torch.ones(3):double()) end, 'hook failed', 'errors in hooks surface')
  local w = torch.cmul(x, x)
  w:registerHook(function() return torch.ones(5):double() end)
  tester:assertErrorPattern(function() w:backward(torch.ones(3):double()) end, 'size', 'a wrong-sized hook result')
  tester:assertErrorPattern(function() D(3):registerHook(function() end) end, 'does not require grad', 'needs grad')
end

function T.custom_function()
  local Cube = torch.Function{
    name = 'CubeBackward',
    forward = function(ctx, x) ctx:save(x) return torch.pow(x, 3) end,
    backward = function(ctx, g) local x = ctx.saved[1] return torch.cmul(g, torch.cmul(x, x) * 3) end,
  }
  local x = leaf(5)
  local y = Cube(x)
  tester:eq(tostring(y.gradFn), '<CubeBackward>', 'named node')
  local ok, msg = torch.gradcheck(function(t) return Cube(t) end, { x })
  tester:assert(ok, msg)
  local Bad = torch.Function{ forward = function(ctx, x) return x * 1 end, backward = function() return 'no' end }
  tester:assertErrorPattern(function() Bad(leaf(2)):backward(torch.ones(2):double()) end, 'tensor or nil', 'bad result')
  local Wrong = torch.Function{ forward = function(ctx, x) return x * 1 end,
                                backward = function() return torch.ones(7):double() end }
  tester:assertErrorPattern(function() Wrong(leaf(2)):backward(torch.ones(2):double()) end, 'size 7', 'wrong size')
  tester:assertErrorPattern(function() torch.Function{} end, 'forward', 'definition checked')
  -- forward returning its own input does not rewire that input
  local Id = torch.Function{ forward = function(ctx, x) return x end, backward = function(ctx, g) return g end }
  local a = leaf(2)
  local b = Id(a)
  tester:assert(a:isLeaf() and not b:isLeaf(), 'the input keeps its identity')
end

function T.functional_form()
  local autograd = require 'autograd'
  local W, bias, x = D(3, 4), D(3), D(4)
  local df = autograd(function(p, input)
    local h = torch.cmul(p.layer.W, p.layer.W) * 0.5
    return torch.cmul(h, h):sum() + torch.cmul(p.b, p.b):sum(), 'extra'
  end)
  local ok, grads, loss, extra = pcall(df, { layer = { W = W }, b = bias }, x)
  tester:assert(ok, tostring(grads))
  if not ok then return end
  tester:assert(type(loss) == 'number', 'the loss is a number')
  tester:eq(extra, 'extra', 'extra results follow')
  -- d/dW sum((W^2/2)^2) = W^3, d/db sum(b^2) = 2b
  tester:eq(grads.layer.W, torch.pow(W, 3), 1e-12, 'nested gradient')
  tester:eq(grads.b, bias * 2, 1e-12, 'gradient')
  tester:assert(not W.requiresGrad and W.grad == nil, 'the params are untouched')
  tester:assertErrorPattern(function() autograd(function() return D(3) end)({ D(2) }) end, 'one%-element',
                            'the loss must have one element')
end

-- a 10,000-step loop keeps the graph count and memory flat
function T.memory_flat()
  local function rss_kb()
    local f = io.open('/proc/self/status')
    if not f then return nil end
    local s = f:read('a')
    f:close()
    return tonumber(s:match('VmRSS:%s*(%d+)'))
  end
  local w = leaf(64)
  local x = D(64)
  local function step()
    local y = torch.cmul(torch.cmul(w, x) + w, x)
    y:backward(torch.ones(64):double())
  end
  step()   -- w now owns its gradient accumulator (one node, as long as w lives)
  collectgarbage()
  collectgarbage()
  local base = torch._autogradLiveNodes()
  for _ = 1, 10000 do step() end   -- warm-up: the allocator's caches fill
  collectgarbage()
  collectgarbage()
  local r1 = rss_kb()
  tester:eq(torch._autogradLiveNodes(), base, 'graphs freed after backward and collection')
  for _ = 1, 10000 do step() end
  collectgarbage()
  collectgarbage()
  local r2 = rss_kb()
  tester:eq(torch._autogradLiveNodes(), base, 'still no node left')
  if r1 and r2 and not torch._sanitized then   -- ASan's quarantine grows RSS by design
    tester:assert(r2 <= r1 * 1.1, string.format('RSS flat: %d kB then %d kB', r1, r2))
  end
  -- a deep chain frees without recursion
  local z = leaf(1)
  local c = z
  for _ = 1, 100000 do c = c + z end
  c:backward()
  tester:eq(z.grad[1], 100001, 'deep chain gradient')
  c, z = nil, nil
  collectgarbage()
  collectgarbage()
  tester:eq(torch._autogradLiveNodes(), base, 'the deep chain was freed')
end

tester:add(T)
return tester
