-- autograd: the functional form of torch-autograd, on luatorch's engine.
--
--   local autograd = require 'autograd'
--   local df = autograd(function(params, x, y)
--     local h = torch.tanh(x * params.W + params.b)
--     return torch.pow(h - y, 2):sum()
--   end)
--   local grads, loss = df(params, x, y)   -- grads.W, grads.b; loss a number
--
-- f(params, ...) returns a one-element tensor (the loss), optionally followed by more
-- values, which df returns after the loss. params is a tensor or a nested table of
-- tensors; grads has its shape. The caller's tensors are not modified (no .grad fields
-- are touched): f sees leaves that share their data.
local torch = require 'torch'

local autograd = {}

-- a copy of the params structure with leaves requiring grad; list collects them. seen
-- maps each table (and tensor) already copied to its copy: a table reached twice (shared,
-- or a cycle such as p.self = p) is copied once, so cycles end and the copy keeps the
-- structure's sharing
local function leaves(p, list, seen)
  if torch.isTensor(p) then
    if seen[p] then return seen[p] end
    local l = p:detach()
    if not l:type():find('Float') and not l:type():find('Double') and not l:type():find('Half') then
      return p   -- integer tensors (indices, labels) pass through without gradients
    end
    l:setRequiresGrad(true)
    list[#list + 1] = l
    seen[p] = l
    return l
  elseif type(p) == 'table' then
    if seen[p] then return seen[p] end
    local c = {}
    seen[p] = c
    for k, v in pairs(p) do c[k] = leaves(v, list, seen) end
    return c
  end
  return p
end

-- the gradients, in the shape of params (seen as in leaves)
local function shape_like(p, lp, by_leaf, seen)
  if torch.isTensor(p) then
    return by_leaf[lp] or nil
  elseif type(p) == 'table' then
    if seen[p] then return seen[p] end
    local c = {}
    seen[p] = c
    for k, v in pairs(p) do c[k] = shape_like(v, lp[k], by_leaf, seen) end
    return c
  end
  return nil
end

local function differentiate(f, opts)
  if type(f) ~= 'function' then error("autograd: expected a function, got " .. type(f), 3) end
  opts = opts or {}
  return function(params, ...)
    local list = {}
    local lp = leaves(params, list, {})
    local results = table.pack(torch.enableGrad(f, lp, ...))
    local loss = results[1]
    if not torch.isTensor(loss) or loss:nElement() ~= 1 then
      error("autograd: the function must return a one-element tensor (the loss) first, got " ..
            (torch.isTensor(loss) and ('a tensor of ' .. loss:nElement() .. ' elements') or type(loss)), 2)
    end
    local grads = {}
    if #list > 0 then
      if not loss.requiresGrad then
        -- the loss does not depend on the params: zero gradients
        for i, l in ipairs(list) do grads[i] = torch.zeros(l:size()):typeAs(l) end
      else
        grads = torch.grad(loss, list, nil, { createGraph = opts.createGraph })
      end
    end
    local by_leaf = {}
    for i, l in ipairs(list) do by_leaf[l] = grads[i] end
    local g = shape_like(params, lp, by_leaf, {})
    return g, loss:item(), table.unpack(results, 2, results.n)
  end
end

-- anomaly mode (torch.setDetectAnomaly, bindings/numerics.c), under this module's names too
autograd.detectAnomaly = torch.detectAnomaly
autograd.setDetectAnomaly = torch.setDetectAnomaly
autograd.isAnomalyEnabled = torch.isAnomalyEnabled

return setmetatable(autograd, {
  __call = function(_, f, opts) return differentiate(f, opts) end,
})
