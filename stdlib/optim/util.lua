-- Helpers the optimizers share: config checks that name the function, and the
-- plain (no-gradient) views of x and df/dx that all updates are written with.
local torch = require 'torch'
local optim = require 'optim'

local util = {}
optim._util = util

-- a number from opfunc's f (a 0-dim or one-element tensor is read out)
function util.number(f, fname)
  if type(f) == 'number' then return f end
  if torch.isTensor(f) then
    if f:nElement() ~= 1 then
      error(string.format("optim.%s: opfunc returned a loss tensor of %d elements (expected a number)",
        fname, f:nElement()), 3)
    end
    return f:item()
  end
  error(string.format("optim.%s: opfunc must return a number and a gradient tensor, got %s",
    fname, type(f)), 3)
end

-- x without autograd: updates through it change x's storage in place (getParameters
-- views stay valid) and are never recorded
--
-- x must be a floating tensor (an integer x would round every step away). With state,
-- the tensors kept in it from earlier calls (moments, buffers, config.learningRates ...)
-- must have x's number of elements: a state table belongs to one x.
function util.plain(x, fname, what, state)
  if not torch.isTensor(x) then
    error(string.format("optim.%s: %s must be a tensor, got %s", fname, what or 'x', torch.type(x)), 3)
  end
  local tp = x:type()
  if not (tp:find('Float') or tp:find('Double') or tp:find('Half') or tp:find('BFloat16') or tp == 'torch.CudaTensor') then
    error(string.format("optim.%s: %s must be a FloatTensor or DoubleTensor, got %s", fname, what or 'x',
                        (tp:gsub('^torch%.', ''))), 3)
  end
  if state then
    local keys = {}
    for k, v in pairs(state) do
      if torch.isTensor(v) and v:nElement() ~= x:nElement() then keys[#keys + 1] = tostring(k) end
    end
    if #keys > 0 then
      table.sort(keys)
      local k = keys[1]
      local from_config = k == 'learningRates' or k == 'weightDecays'
      error(string.format("optim.%s: %s.%s has %d elements but x has %d (%s)", fname,
                          from_config and 'config' or 'state', k, state[k]:nElement(), x:nElement(),
                          from_config and 'one value per element of x expected'
                            or 'a state table belongs to one x: give each x its own state'), 3)
    end
  end
  if x.requiresGrad then return x:detach() end
  return x
end

-- df/dx from opfunc, checked against x
function util.grad(g, x, fname)
  if not torch.isTensor(g) then
    error(string.format("optim.%s: opfunc must return f and df/dx (a tensor), got %s as df/dx",
      fname, torch.type(g)), 3)
  end
  if g:nElement() ~= x:nElement() then
    error(string.format("optim.%s: df/dx has %d elements, x has %d", fname, g:nElement(), x:nElement()), 3)
  end
  if g.requiresGrad then g = g:detach() end
  return g
end

function util.config(config, state, fname)
  if config ~= nil and type(config) ~= 'table' then
    error(string.format("bad argument #3 to 'optim.%s' (config table expected, got %s)", fname, type(config)), 3)
  end
  if state ~= nil and type(state) ~= 'table' then
    error(string.format("bad argument #4 to 'optim.%s' (state table expected, got %s)", fname, type(state)), 3)
  end
  config = config or {}
  return config, state or config
end

function util.opfunc(opfunc, fname)
  if type(opfunc) ~= 'function' and not (getmetatable(opfunc) or {}).__call then
    error(string.format("bad argument #1 to 'optim.%s' (function expected, got %s)", fname, type(opfunc)), 3)
  end
end

-- config.key as a number (default def) with lo <= v (or lo < v when open), v <= hi
function util.num(config, key, def, fname, lo, hi, open)
  local v = config[key]
  if v == nil then return def end
  if type(v) == 'string' and tonumber(v) then v = tonumber(v) end   -- CmdLine values
  if type(v) ~= 'number' then
    error(string.format("optim.%s: config.%s must be a number, got %s", fname, key, type(v)), 3)
  end
  if v ~= v or (lo and (open and v <= lo or v < lo)) or (hi and v > hi) then
    local range
    if lo and hi then range = string.format("in [%g, %g]", lo, hi)
    elseif open then range = string.format("> %g", lo)
    else range = string.format(">= %g", lo) end
    error(string.format("optim.%s: invalid %s %g (must be %s)", fname, key, v, range), 3)
  end
  return v
end

-- a zeroed tensor like t (same type and size), needing no gradient
function util.zerosLike(t)
  return t.new(t:size()):zero()
end

return util
