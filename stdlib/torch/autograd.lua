-- torch.gradcheck, torch.gradgradcheck and torch.Function: the Lua side of autograd.
-- The engine (graph, backward, formulas) is C; see `man 3 torch`, AUTOGRAD.
local torch = require 'torch.core'

local function as_list(x, what, fname)
  if torch.isTensor(x) then return { x }, true end
  if type(x) ~= 'table' then
    error(string.format("%s: %s must be a tensor or a table of tensors, got %s", fname, what, type(x)), 3)
  end
  for i, t in ipairs(x) do
    if not torch.isTensor(t) and type(t) ~= 'number' then
      error(string.format("%s: %s[%d] must be a tensor, got %s", fname, what, i, type(t)), 3)
    end
  end
  return x, false
end

-- the storage positions (1-based) of every element of t, in row-major order
local function positions(t)
  local pos, n = {}, t:nElement()
  if n == 0 then return pos end
  local nd, size, stride = t:dim(), {}, {}
  for d = 1, nd do size[d], stride[d] = t:size(d), t:stride(d) end
  local idx = {}
  for d = 1, nd do idx[d] = 1 end
  local base = t:storageOffset()
  for _ = 1, n do
    local off = base
    for d = 1, nd do off = off + (idx[d] - 1) * stride[d] end
    pos[#pos + 1] = off
    for d = nd, 1, -1 do
      idx[d] = idx[d] + 1
      if idx[d] <= size[d] then break end
      idx[d] = 1
    end
  end
  return pos
end

local function outputs_of(f, inputs)
  local out = f(table.unpack(inputs))
  if type(out) == 'number' then return { out } end
  local list = as_list(out, 'the function\'s result', 'gradcheck')
  return list
end

-- torch.gradcheck(f, inputs[, eps[, tol]]): compares the gradients backward computes for
-- f(inputs...) (a tensor, or a table of tensors) with central finite differences, along a
-- random direction of the output: d/dx sum(v * f(x)). Inputs that require grad are
-- checked (use DoubleTensors: float32 differences are too coarse). Returns true, or
-- false and a message naming the first mismatch.
function torch.gradcheck(f, inputs, eps, tol)
  if type(f) ~= 'function' then error("gradcheck: f must be a function, got " .. type(f), 2) end
  local ins = as_list(inputs, 'inputs', 'gradcheck')
  eps = eps or 1e-6
  tol = tol or 1e-5
  local outs = outputs_of(f, ins)
  local vs = {}
  -- an output without history (a number, or a tensor that does not require grad) does
  -- not depend on the inputs as far as backward knows: its analytic gradient is zero,
  -- and the finite differences must agree
  local live, live_vs = {}, {}
  for i, o in ipairs(outs) do
    if type(o) == 'number' then
      vs[i] = torch.randn(1):double()
    else
      vs[i] = torch.randn(o:nElement()):typeAs(o):viewAs(o)
      if o.requiresGrad then live[#live + 1] = o; live_vs[#live_vs + 1] = vs[i] end
    end
  end
  local wrt = {}
  for _, x in ipairs(ins) do if x.requiresGrad then wrt[#wrt + 1] = x end end
  if #wrt == 0 then return false, "gradcheck: no input requires grad" end
  local analytic
  if #live > 0 then analytic = torch.grad(live, wrt, live_vs)
  else
    analytic = {}
    for k, x in ipairs(wrt) do analytic[k] = torch.zeros(x:nElement()):double() end
  end
  local function objective()
    return torch.noGrad(function()
      -- without grad, whole-tensor reductions give numbers: take them as 0-dim results
      local out = f(table.unpack(ins))
      local os = type(out) == 'number' and { out } or as_list(out, "the function's result", 'gradcheck')
      local s = 0
      for i, o in ipairs(os) do
        if type(o) == 'number' then s = s + o * vs[i]:double():sum()
        else s = s + torch.cmul(o:double(), vs[i]:double():viewAs(o)):sum() end
      end
      return s
    end)
  end
  for k, x in ipairs(wrt) do
    -- the elements are perturbed in x's storage: directly on the CPU, through a 1-D
    -- tensor over the whole storage on a GPU (a GPU storage has no element access)
    local st = x:storage()
    if x:type():find('Cuda') then st = x.new(st) end
    local pos = positions(x)
    local num = torch.DoubleTensor(#pos)
    for j, p in ipairs(pos) do
      local orig = st[p]
      st[p] = orig + eps
      local fp = objective()
      st[p] = orig - eps
      local fm = objective()
      st[p] = orig
      num[j] = (fp - fm) / (2 * eps)
    end
    local ana = analytic[k]:contiguous():double():view(-1)
    if ana:nElement() ~= #pos then
      return false, string.format("gradcheck: input %d: the gradient has %d elements, the input %d",
                                  k, ana:nElement(), #pos)
    end
    for j = 1, #pos do
      local a, n = ana[j], num[j]
      if not (math.abs(a - n) <= tol + tol * math.abs(n)) then
        return false, string.format("gradcheck: input %d, element %d: backward gives %.10g, finite differences %.10g",
                                    k, j, a, n)
      end
    end
  end
  return true
end

-- torch.gradgradcheck(f, inputs[, eps[, tol]]): gradcheck of the gradients themselves
-- (computed with createGraph), so second derivatives are checked.
function torch.gradgradcheck(f, inputs, eps, tol)
  local ins = as_list(inputs, 'inputs', 'gradgradcheck')
  local outs = outputs_of(f, ins)
  local vs = {}
  for i, o in ipairs(outs) do vs[i] = torch.randn(o:nElement()):typeAs(o):viewAs(o) end
  local function g(...)
    local xs = { ... }
    -- gradcheck evaluates its function under noGrad; the inner gradient needs a graph
    return torch.enableGrad(function()
      local wrt = {}
      for _, x in ipairs(xs) do if x.requiresGrad then wrt[#wrt + 1] = x end end
      local os = outputs_of(f, xs)
      return torch.grad(os, wrt, vs, { createGraph = true })
    end)
  end
  return torch.gradcheck(g, ins, eps, tol)
end

-- torch.Function{forward = function(ctx, ...) ... end, backward = function(ctx, gradOutput) ... end
--                [, name = 'MyOp']}
-- A custom op: forward computes the result (nothing inside it is recorded); backward
-- returns one gradient (or nil) per tensor argument of forward, in order. ctx is a table
-- shared by the two (ctx:save(...) / ctx.saved keep tensors for backward).
-- ctx:save keeps tensors without their history (detached aliases: the output can be
-- saved without a reference cycle through the graph) and checks at backward that they
-- were not modified in place since.
local Ctx = {}
Ctx.__index = Ctx
function Ctx:save(...)
  local n = select('#', ...)
  local saved, versions = {}, {}
  for i = 1, n do
    local v = select(i, ...)
    if torch.isTensor(v) then
      versions[i] = torch._version(v)
      v = v:detach()
    end
    saved[i] = v
  end
  self.saved, self._versions = saved, versions
end
local function check_saved(ctx, name)
  local versions = rawget(ctx, '_versions')
  if not versions then return end
  for i, v in pairs(versions) do
    if torch._version(ctx.saved[i]) ~= v then
      error(string.format("%s: the tensor %d saved with ctx:save was modified in place after the call " ..
                          "(clone it before modifying it)", name, i), 0)
    end
  end
end
function torch.Function(def)
  if type(def) ~= 'table' or type(def.forward) ~= 'function' or type(def.backward) ~= 'function' then
    error("torch.Function: expected {forward = function(ctx, ...), backward = function(ctx, gradOutput)}", 2)
  end
  local name = def.name or 'FunctionBackward'
  local fn = {}
  function fn.apply(...)
    local ctx = setmetatable({}, Ctx)
    local args = table.pack(...)
    local results = table.pack(torch.noGrad(def.forward, ctx, ...))
    local out = results[1]
    if not torch.isTensor(out) then
      error("torch.Function: forward must return a tensor, got " .. type(out), 2)
    end
    if results.n > 1 then
      error("torch.Function: forward returned " .. results.n .. " values; a torch.Function has one output " ..
            "(return a table-free single tensor, e.g. torch.cat of the results)", 2)
    end
    local tensors = {}
    for i = 1, args.n do
      if torch.isTensor(args[i]) then tensors[#tensors + 1] = args[i] end
    end
    local is_arg = false
    for i = 1, args.n do if rawequal(args[i], out) then is_arg = true end end
    if is_arg or out.requiresGrad then out = out:detach() end
    torch._recordFunction(out, tensors, function(g)
      check_saved(ctx, name)
      return def.backward(ctx, g)
    end, name)
    return out
  end
  return setmetatable(fn, { __call = function(_, ...) return fn.apply(...) end })
end

return true
