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
  -- f runs in the grad mode it ran in above, so that it sees what it saw there (with grad,
  -- 1-D * 1-D and whole-tensor reductions give 0-dim tensors; without, numbers); only
  -- the weighted sum of its results is computed without grad
  local function objective()
    local out = f(table.unpack(ins))
    return torch.noGrad(function()
      local os = type(out) == 'number' and { out } or as_list(out, "the function's result", 'gradcheck')
      local s = 0
      for i, o in ipairs(os) do
        if type(o) == 'number' then s = s + o * vs[i]:double():sum()
        else
          o = o:detach():double()
          s = s + torch.cmul(o, vs[i]:double():viewAs(o)):sum()
        end
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
    -- the inner gradient needs a graph, whatever the caller's grad mode
    return torch.enableGrad(function()
      local wrt = {}
      for _, x in ipairs(xs) do if x.requiresGrad then wrt[#wrt + 1] = x end end
      local os = outputs_of(f, xs)
      return torch.grad(os, wrt, vs, { createGraph = true })
    end)
  end
  return torch.gradcheck(g, ins, eps, tol)
end

-- torch.noGrad(f, ...) and torch.enableGrad(f, ...) inside a coroutine: f runs in a
-- coroutine of its own, so that it may yield (the C versions call it through lua_pcall, a
-- C-call boundary). Grad mode is f's mode while f runs and the caller's while f is
-- suspended (the caller's mode comes back at each yield, f's is set again at each
-- resume), as PyTorch's no_grad does for generators. Outside coroutines (nothing can
-- yield there) the C versions run directly.
local function grad_mode_call(mode, cfn, fname)
  local isyieldable, create, resume, yield = coroutine.isyieldable, coroutine.create, coroutine.resume, coroutine.yield
  local status, close, pack, unpack = coroutine.status, coroutine.close, table.pack, table.unpack
  local setGradEnabled = torch.setGradEnabled
  return function(f, ...)
    if type(f) ~= 'function' then
      error(string.format("bad argument #1 to '%s' (function expected, got %s)", fname, type(f)), 2)
    end
    if not isyieldable() then return cfn(f, ...) end
    local co = create(f)
    local args = pack(...)
    while true do
      local prev = setGradEnabled(mode)
      local r = pack(resume(co, unpack(args, 1, args.n)))
      setGradEnabled(prev)
      if not r[1] then
        close(co)   -- its to-be-closed variables
        error(r[2], 0)
      end
      if status(co) == 'dead' then return unpack(r, 2, r.n) end
      args = pack(yield(unpack(r, 2, r.n)))
    end
  end
end
torch.noGrad = grad_mode_call(false, torch.noGrad, 'torch.noGrad')
torch.enableGrad = grad_mode_call(true, torch.enableGrad, 'torch.enableGrad')

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
    -- which inputs need a gradient (flags, not the tensors: the node must not keep them)
    local needs = {}
    for i, t in ipairs(tensors) do needs[i] = t.requiresGrad end
    local nt = #tensors
    torch._recordFunction(out, tensors, function(g)
      check_saved(ctx, name)
      local r = table.pack(def.backward(ctx, g))
      -- PyTorch's rule: one gradient per input; a missing one would silently be no
      -- gradient at all. nil (or nothing, for an input that needs none) stays allowed.
      for i = r.n + 1, nt do
        if needs[i] then
          error(string.format("%s: backward returned %d gradient%s for %d tensor inputs, none for input %d, " ..
            "which requires grad (return one gradient or nil per tensor argument of forward, in order)",
            name, r.n, r.n == 1 and '' or 's', nt, i), 0)
        end
      end
      for i = nt + 1, r.n do
        if r[i] ~= nil then
          error(string.format("%s: backward returned %d gradients for %d tensor inputs " ..
            "(one gradient or nil per tensor argument of forward, in order)", name, r.n, nt), 0)
        end
      end
      return table.unpack(r, 1, math.min(r.n, nt))
    end, name)
    return out
  end
  return setmetatable(fn, { __call = function(_, ...) return fn.apply(...) end })
end

return true
