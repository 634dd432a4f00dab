-- Edge cases of autograd, operators and serialization found by an adversarial test:
-- each once crashed th, failed where it should work, or silently gave a wrong result.
local tester = torch.Tester()
local T = torch.TestSuite()
local child = dofile((debug.getinfo(1, 'S').source:match('^@(.*)/[^/]*$') or 'tests/lua') .. '/child_th.lua')

-- a .. b .. c with tensors while the collector runs constantly: Lua 5.4.4 crashed when the
-- C __concat called back into Lua (luaL_tolstring -> __tostring). Run in a child th: a
-- crash must fail this test, not the runner. Several layouts (the crash depended on them).
function T.concat_chain_under_gc()
  if not child.th then return end
  local script = os.tmpname()
  local f = assert(io.open(script, 'w'))
  f:write([[
for _, k in ipairs{0, 5, 11} do
  local pad = {}
  for i = 1, k * 3 do pad[i] = {}; pad['k' .. i] = i end
  collectgarbage("incremental", 1, 100)
  for i = 1, 2000 do pcall(function() return torch.Tensor{1} .. torch.Tensor{2} .. torch.Tensor{3} end) end
  collectgarbage("generational")
end
print('survived')
]])
  f:close()
  local p = io.popen(string.format('timeout 120 %s %s 2>&1; echo "rc=$?"', child.shquote(child.th), child.shquote(script)))
  local out = p:read('a')
  p:close()
  os.remove(script)
  tester:assert(out:find('survived', 1, true) and out:find('rc=0', 1, true), 'th crashed: ' .. out)
end

function T.concat_text()
  tester:eq('loss ' .. torch.Tensor{1, 2}:double():setRequiresGrad():sum(), 'loss 3.0')
  tester:eq(torch.LongTensor{2, 3}:setRequiresGrad(false):sum() .. '', '5')
  tester:eq('a' .. torch.DoubleTensor(2, 3) .. 'b', 'a[torch.DoubleTensor of size 2x3]b')
  tester:eq(torch.FloatTensor() .. 1, '[torch.FloatTensor with no dimension]1')
  tester:assertErrorPattern(function() return torch.Tensor{1} .. {} end, 'concatenate a tensor with a table')
  tester:assertErrorPattern(function() return true .. torch.Tensor{1} end, 'concatenate a tensor with a boolean')
end

-- a 0-dim tensor (what 1-D * 1-D and reductions give under grad) is a scalar factor
function T.zero_dim_times_tensor()
  local x = torch.DoubleTensor{2}:setRequiresGrad(true)
  local y = (x * x) * x
  tester:eq(y:dim(), 1)
  tester:eq(y[1], 8)
  local v = torch.DoubleTensor{1, 2, 3}
  local s = (x * x) * v
  tester:eq(s:totable(), {4, 8, 12})
  tester:eq((v * (x * x)):totable(), {4, 8, 12})
  local m = torch.DoubleTensor(2, 2):fill(1)
  tester:eq((x:sum() * m):totable(), {{2, 2}, {2, 2}})
  -- the same values without grad (there 1-D * 1-D is a number)
  local xn = torch.DoubleTensor{2}
  tester:eq(((xn * xn) * xn)[1], 8)
  -- gradients
  local w = torch.randn(4):double():setRequiresGrad()
  tester:assert(torch.gradcheck(function(x, w) return (x * x) * w end, {x, w}))
  tester:assert(torch.gradcheck(function(x, w) return w * w:sum() end, {x, w}))
  tester:assert(torch.gradcheck(function(x, w) return (w * w) * (x * x) end, {x, w}))
  local a = torch.randn(3):double():setRequiresGrad()
  y = (a * a) * a   -- 0-dim * 1-D: 2|a|^2 a + |a|^2 (for sum: d/da = 2 a sum(a) + |a|^2)
  y:sum():backward()
  local expect = a:detach() * (2 * a:detach():sum()) + a:detach():dot(a:detach())
  tester:assertTensorEq(a.grad, expect, 1e-12)
end

-- gradcheck runs f in the grad mode of its first evaluation: f may use what grad mode
-- returns (0-dim tensors) and return a Lua number or a 0-dim tensor
function T.gradcheck_functions_written_for_grad()
  local a = torch.randn(3):double():setRequiresGrad()
  tester:assert(torch.gradcheck(function(a) return (a * a):sum() end, {a}))
  tester:assert(torch.gradcheck(function(a) return a:dot(a) end, {a}))
  tester:assert(torch.gradgradcheck(function(a) return (a * a):sum() end, {a}))
  tester:assert(torch.isGradEnabled())
  local ok, msg = torch.gradcheck(function(a) return (a * a):sum() * torch.DoubleTensor{1} end, {a})
  tester:assert(ok, msg)
end

-- a torch.Function whose backward returns too few (or too many) gradients
function T.function_gradient_count()
  local F = torch.Function{forward = function(c, a, b) return a + b end, backward = function(c, g) return g end}
  local a, b = torch.randn(2):double():setRequiresGrad(), torch.randn(2):double():setRequiresGrad()
  tester:assertErrorPattern(function() F(a, b):sum():backward() end,
    'FunctionBackward: backward returned 1 gradient for 2 tensor inputs, none for input 2, which requires grad')
  -- missing for an input that needs no gradient: allowed
  a.grad = nil
  F(a, torch.randn(2):double()):sum():backward()
  tester:eq(a.grad:totable(), {1, 1})
  -- an explicit nil is allowed
  local G = torch.Function{forward = function(c, a, b) return a + b end, backward = function(c, g) return g, nil end}
  a.grad = nil
  G(a, b):sum():backward()
  tester:eq(a.grad:totable(), {1, 1})
  tester:eq(b.grad, nil)
  local H = torch.Function{name = 'Three', forward = function(c, a, b) return a + b end,
                           backward = function(c, g) return g, g, g end}
  tester:assertErrorPattern(function() H(a, b):sum():backward() end, 'Three: backward returned 3 gradients for 2 tensor inputs')
  -- non-tensor arguments take no gradient; a trailing nil for them is fine
  local K = torch.Function{forward = function(c, a, s) return a * s end, backward = function(c, g) return g * 2, nil end}
  a.grad = nil
  K(a, 2):sum():backward()
  tester:eq(a.grad:totable(), {2, 2})
end

-- autograd(f) on a params table with cycles and shared entries
function T.functional_cyclic_params()
  local autograd = require 'autograd'
  local p = {W = torch.ones(3):double()}
  p.self = p
  local g, loss = autograd(function(p) return p.W:sum() end)(p)
  tester:eq(loss, 3)
  tester:eq(g.W:totable(), {1, 1, 1})
  tester:assert(g.self == g, 'the gradients keep the cycle')
  -- one tensor under two names is one leaf: both entries get the whole gradient
  local W = torch.DoubleTensor{1, 2}
  local g2 = autograd(function(q) return q.a * q.b end)({a = W, b = W})
  tester:eq(g2.a:totable(), {2, 4})
  tester:eq(g2.b:totable(), {2, 4})
end

-- torch.save/torch.load keep requiresGrad and .grad
function T.save_load_autograd_state()
  local w = torch.randn(3):double():setRequiresGrad()
  local v = torch.randn(3):double()
  ;(w * v):backward()
  local path = os.tmpname()
  for _, mode in ipairs{'binary', 'ascii'} do
    torch.save(path, {w = w, v = v, same = w}, mode)
    local o = torch.load(path, mode)
    tester:assert(o.w.requiresGrad, mode .. ': requiresGrad kept')
    tester:assert(o.w:isLeaf())
    tester:assert(not o.v.requiresGrad)
    tester:assertTensorEq(o.w.grad, v, 0)
    tester:assertTensorEq(o.w:detach(), w:detach(), 0)
    tester:assert(o.same == o.w)
  end
  -- without a grad; and a tensor that needs no grad is written as Torch7 writes it ('V 1')
  local u = torch.randn(2):double():setRequiresGrad()
  torch.save(path, u)
  local lu = torch.load(path)
  tester:assert(lu.requiresGrad and lu.grad == nil)
  torch.save(path, v)
  local f = io.open(path, 'rb')
  local bytes = f:read('a')
  f:close()
  tester:assert(bytes:find('V 1', 1, true) and not bytes:find('V 2', 1, true))
  -- training resumes after a load (optim.Adam over the loaded leaf)
  require 'optim'
  torch.save(path, {w = w})
  local w2 = torch.load(path).w
  local opt = optim.Adam({w2}, {lr = 0.1})
  opt:zeroGrad()
  torch.pow(w2, 2):sum():backward()
  opt:step()
  tester:assert((w2:detach() - w:detach()):abs():max() > 0)
  -- a damaged 'V 2' record is refused clearly: u's file ends with its int32 flags (1)
  torch.save(path, u)
  f = io.open(path, 'rb')
  bytes = f:read('a')
  f:close()
  tester:eq(bytes:sub(-4), string.pack('<i4', 1))
  f = io.open(path, 'wb')
  f:write(bytes:sub(1, -5) .. string.pack('<i4', 7))
  f:close()
  tester:assertErrorPattern(function() torch.load(path) end, 'torch.load: bad autograd flags 7 in a torch.DoubleTensor')
  os.remove(path)
end

function T.spatial_int_limits()
  require 'nn'
  local x = torch.randn(1, 4, 4)
  tester:assertErrorPattern(function() nn.SpatialMaxPooling(2, 2, 2^32 + 1, 2^32 + 1):forward(x) end,
    'expected an integer from 1 to 1073741824, got 4294967297')
  tester:assertErrorPattern(function() nn.SpatialMaxPooling(2, 2, 2^40, 2^40):forward(x) end,
    'got 1099511627776')
  tester:assertErrorPattern(function() nn.SpatialMaxPooling(2, 2, -3, 1):forward(x) end, 'got %-3')
end

-- torch.noGrad/enableGrad inside a coroutine: f may yield; grad mode is f's while it
-- runs and the caller's while it is suspended
function T.noGrad_yields()
  local log = {}
  local co = coroutine.wrap(function()
    local r1, r2 = torch.noGrad(function(a)
      log[#log + 1] = torch.isGradEnabled()
      local b = coroutine.yield(a + 1)
      log[#log + 1] = torch.isGradEnabled()
      return b * 2, 'x'
    end, 10)
    log[#log + 1] = torch.isGradEnabled()
    return r1, r2
  end)
  tester:eq(co(), 11)
  tester:eq(torch.isGradEnabled(), true, 'the caller keeps grad mode while f is suspended')
  local r1, r2 = co(5)
  tester:eq(r1, 10)
  tester:eq(r2, 'x')
  tester:eq(log, {false, false, true})
  -- enableGrad the other way round
  torch.setGradEnabled(false)
  local co2 = coroutine.wrap(function()
    return torch.enableGrad(function() coroutine.yield(torch.isGradEnabled()); return torch.isGradEnabled() end)
  end)
  tester:eq(co2(), true)
  tester:eq(torch.isGradEnabled(), false)
  tester:eq(co2(), true)
  torch.setGradEnabled(true)
  -- errors pass through and restore the mode
  tester:assertErrorPattern(function()
    coroutine.wrap(function() torch.noGrad(function() error('boom') end) end)()
  end, 'boom')
  tester:eq(torch.isGradEnabled(), true)
  tester:assertErrorPattern(function() torch.noGrad(3) end, "bad argument #1 to 'torch.noGrad' %(function expected")
  -- outside a coroutine a yield is still an error
  tester:assertErrorPattern(function() torch.noGrad(function() coroutine.yield() end) end, 'yield')
  -- recorded ops under noGrad in a coroutine record nothing
  local x = torch.randn(2):double():setRequiresGrad()
  local y = coroutine.wrap(function() return torch.noGrad(function() coroutine.yield(); return x * 2 end) end)
  y()
  tester:assert(not y().requiresGrad)
end

tester:add(T)
return tester
