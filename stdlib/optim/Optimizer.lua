-- The object form, for the autograd style (PyTorch's torch.optim):
--   local opt = optim.Adam(params, {lr = 1e-3})
--   opt:zeroGrad(); loss:backward(); opt:step()
-- params: a tensor or a list of tensors that require grad; their .grad fields hold
-- the gradients (a parameter without .grad is skipped). Options are fields of the
-- object (opt.lr is read and written by the schedules). Updates run under
-- torch.noGrad, in place, and never modify .grad. Classes: optim.SGD, optim.Adam,
-- optim.AdamW, optim.RMSprop, optim.Adagrad, all subclasses of optim.Optimizer.
local torch = require 'torch'
local optim = require 'optim'

local Optimizer = torch.class('optim.Optimizer', optim)

-- other spellings accepted in option tables
local aliases = { learningRate = 'lr', weight_decay = 'weightDecay', epsilon = 'eps',
                  lr_decay = 'lrDecay', learningRateDecay = 'lrDecay' }

-- defaults: option -> default value (false for booleans); self:_check() validates.
-- Errors are raised at level 4: the user's call (optim.X(...) -> new -> X.__init -> here).
function Optimizer:__init(params, config, name, defaults)
  name = name or 'Optimizer'
  self.name = name
  local list
  if torch.isTensor(params) then
    list = { params }
  elseif type(params) == 'table' then
    list = {}
    for i, p in ipairs(params) do list[i] = p end
  else
    error(string.format("bad argument #1 to 'optim.%s' (a tensor or a list of tensors expected, got %s)",
      name, torch.type(params)), 4)
  end
  if #list == 0 then error(string.format("optim.%s: the parameter list is empty", name), 4) end
  for i, p in ipairs(list) do
    if not torch.isTensor(p) then
      error(string.format("optim.%s: parameter %d is a %s, not a tensor", name, i, torch.type(p)), 4)
    end
    if not p.requiresGrad then
      error(string.format("optim.%s: parameter %d does not require grad (call p:setRequiresGrad())", name, i), 4)
    end
  end
  -- the same tensor twice would be stepped twice a step (PyTorch refuses it too)
  local where = {}
  for i, p in ipairs(list) do
    local key = torch.pointer(p)
    if where[key] then
      error(string.format("optim.%s: parameters %d and %d are the same tensor (each parameter may appear once)",
                          name, where[key], i), 4)
    end
    where[key] = i
  end
  self.params = list
  self.state = {}
  for i = 1, #list do self.state[i] = {} end
  self.stepCount = 0

  if config ~= nil and type(config) ~= 'table' then
    error(string.format("bad argument #2 to 'optim.%s' (options table expected, got %s)", name, type(config)), 4)
  end
  for k, v in pairs(defaults or {}) do self[k] = v end
  for k, v in pairs(config or {}) do
    local key = aliases[k] or k
    if key == 'betas' and type(v) == 'table' and defaults.beta1 then
      self.beta1, self.beta2 = v[1], v[2]
    elseif defaults[key] == nil then
      error(string.format("optim.%s: unknown option '%s'", name, tostring(k)), 4)
    else
      self[key] = v
    end
  end
  for k, def in pairs(defaults or {}) do
    local v = self[k]
    if type(def) == 'boolean' then
      self[k] = v and true or false
    elseif type(v) ~= 'number' or v ~= v then
      error(string.format("optim.%s: option %s must be a number, got %s", name, k, tostring(v)), 4)
    end
  end
  local err = self:_check()
  if err then error(string.format("optim.%s: %s", name, err), 4) end
end

function Optimizer:_check()
  if self.lr < 0 then return "invalid learning rate " .. self.lr .. " (must be >= 0)" end
  if self.weightDecay and self.weightDecay < 0 then
    return "invalid weightDecay " .. self.weightDecay .. " (must be >= 0)"
  end
end

-- sets every parameter's .grad to zeros (those that have one)
function Optimizer:zeroGrad()
  for _, p in ipairs(self.params) do
    local g = p.grad
    if g then g:zero() end
  end
  return self
end

-- opt:step([closure]): closure (run with grad mode on) recomputes the loss and the
-- gradients and returns the loss; step updates the parameters and returns that loss
function Optimizer:step(closure)
  local loss
  if closure ~= nil then
    if type(closure) ~= 'function' then
      error(string.format("bad argument #1 to 'step' (function expected, got %s)", type(closure)), 2)
    end
    loss = torch.enableGrad(closure)
  end
  self.stepCount = self.stepCount + 1
  torch.noGrad(function()
    for i, p in ipairs(self.params) do
      local g = p.grad
      if g then self:_update(p, g:detach(), self.state[i]) end
    end
  end)
  return loss
end

function Optimizer:__tostring__()
  local keys = {}
  for k, v in pairs(self) do
    if type(v) == 'number' or type(v) == 'boolean' then
      if k ~= 'stepCount' then keys[#keys + 1] = k end
    end
  end
  table.sort(keys)
  local parts = {}
  for _, k in ipairs(keys) do parts[#parts + 1] = k .. '=' .. tostring(self[k]) end
  return string.format('optim.%s(%d parameters; %s)', self.name, #self.params, table.concat(parts, ', '))
end

-- SGD with momentum (PyTorch's): g += weightDecay*p; buf = momentum*buf +
-- (1-dampening)*g (buf = g at the first step); g = g + momentum*buf (nesterov) or buf;
-- p -= lr*g. Options: lr (1e-3), momentum (0), dampening (0), weightDecay (0), nesterov.
local SGD = torch.class('optim.SGD', 'optim.Optimizer', optim)
function SGD:__init(params, config)
  Optimizer.__init(self, params, config, 'SGD',
    { lr = 1e-3, momentum = 0, dampening = 0, weightDecay = 0, nesterov = false })
end
function SGD:_check()
  local e = Optimizer._check(self)
  if e then return e end
  if self.momentum < 0 then return "invalid momentum " .. self.momentum .. " (must be >= 0)" end
  if self.nesterov and (self.momentum <= 0 or self.dampening ~= 0) then
    return "Nesterov momentum requires a momentum and zero dampening"
  end
end
function SGD:_update(p, g, st)
  if self.weightDecay ~= 0 then g = torch.add(g, self.weightDecay, p) end
  if self.momentum ~= 0 then
    if not st.momentumBuffer then
      st.momentumBuffer = g:clone()
    else
      st.momentumBuffer:mul(self.momentum):add(1 - self.dampening, g)
    end
    if self.nesterov then g = torch.add(g, self.momentum, st.momentumBuffer)
    else g = st.momentumBuffer end
  end
  p:add(-self.lr, g)
end

-- Adam (PyTorch's): m, v the moving averages of g and g^2; p -= lr/(1-beta1^t) * m /
-- (sqrt(v)/sqrt(1-beta2^t) + eps). Options: lr (1e-3), betas {0.9, 0.999} (or beta1,
-- beta2), eps (1e-8), weightDecay (0, added to g).
local Adam = torch.class('optim.Adam', 'optim.Optimizer', optim)
local function adamDefaults(wd)
  return { lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay = wd }
end
function Adam:__init(params, config)
  Optimizer.__init(self, params, config, 'Adam', adamDefaults(0))
end
function Adam:_check()
  local e = Optimizer._check(self)
  if e then return e end
  if self.beta1 < 0 or self.beta1 >= 1 then return "invalid beta1 " .. self.beta1 .. " (must be in [0, 1))" end
  if self.beta2 < 0 or self.beta2 >= 1 then return "invalid beta2 " .. self.beta2 .. " (must be in [0, 1))" end
  if self.eps < 0 then return "invalid eps " .. self.eps .. " (must be >= 0)" end
end
function Adam:_adam(p, g, st)
  st.step = (st.step or 0) + 1
  st.m = st.m or g.new(g:size()):zero()
  st.v = st.v or g.new(g:size()):zero()
  st.m:mul(self.beta1):add(1 - self.beta1, g)
  st.v:mul(self.beta2):addcmul(1 - self.beta2, g, g)
  local bc1 = 1 - self.beta1 ^ st.step
  local bc2 = 1 - self.beta2 ^ st.step
  st.denom = st.denom or g.new(g:size())
  st.denom:copy(st.v):sqrt():div(math.sqrt(bc2)):add(self.eps)
  p:addcdiv(-self.lr / bc1, st.m, st.denom)
end
function Adam:_update(p, g, st)
  if self.weightDecay ~= 0 then g = torch.add(g, self.weightDecay, p) end
  self:_adam(p, g, st)
end

-- AdamW (PyTorch's): p *= 1 - lr*weightDecay, then Adam's step without decay in g.
-- Options as Adam, weightDecay 1e-2.
local AdamW = torch.class('optim.AdamW', 'optim.Adam', optim)
function AdamW:__init(params, config)
  Optimizer.__init(self, params, config, 'AdamW', adamDefaults(1e-2))
end
function AdamW:_update(p, g, st)
  if self.weightDecay ~= 0 then p:mul(1 - self.lr * self.weightDecay) end
  self:_adam(p, g, st)
end

-- RMSprop (PyTorch's): sq = alpha*sq + (1-alpha)*g^2; avg = sqrt(sq) + eps (centered:
-- sqrt(sq - mean(g)^2) + eps); p -= lr*g/avg, or with momentum buf = momentum*buf +
-- g/avg, p -= lr*buf. Options: lr (1e-2), alpha (0.99), eps (1e-8), weightDecay (0),
-- momentum (0), centered (false).
local RMSprop = torch.class('optim.RMSprop', 'optim.Optimizer', optim)
function RMSprop:__init(params, config)
  Optimizer.__init(self, params, config, 'RMSprop',
    { lr = 1e-2, alpha = 0.99, eps = 1e-8, weightDecay = 0, momentum = 0, centered = false })
end
function RMSprop:_check()
  local e = Optimizer._check(self)
  if e then return e end
  if self.alpha < 0 or self.alpha > 1 then return "invalid alpha " .. self.alpha .. " (must be in [0, 1])" end
  if self.eps < 0 then return "invalid eps " .. self.eps .. " (must be >= 0)" end
  if self.momentum < 0 then return "invalid momentum " .. self.momentum .. " (must be >= 0)" end
end
function RMSprop:_update(p, g, st)
  if self.weightDecay ~= 0 then g = torch.add(g, self.weightDecay, p) end
  st.sq = st.sq or g.new(g:size()):zero()
  st.sq:mul(self.alpha):addcmul(1 - self.alpha, g, g)
  st.avg = st.avg or g.new(g:size())
  if self.centered then
    st.gavg = st.gavg or g.new(g:size()):zero()
    st.gavg:mul(self.alpha):add(1 - self.alpha, g)
    st.avg:copy(st.sq):addcmul(-1, st.gavg, st.gavg):sqrt():add(self.eps)
  else
    st.avg:copy(st.sq):sqrt():add(self.eps)
  end
  if self.momentum > 0 then
    st.buf = st.buf or g.new(g:size()):zero()
    st.buf:mul(self.momentum):addcdiv(1, g, st.avg)
    p:add(-self.lr, st.buf)
  else
    p:addcdiv(-self.lr, g, st.avg)
  end
end

-- Adagrad (PyTorch's): sum += g^2; p -= clr*g/(sqrt(sum) + eps) with clr = lr/(1 +
-- (t-1)*lrDecay). Options: lr (1e-2), lrDecay (0), weightDecay (0),
-- initialAccumulatorValue (0), eps (1e-10).
local Adagrad = torch.class('optim.Adagrad', 'optim.Optimizer', optim)
function Adagrad:__init(params, config)
  Optimizer.__init(self, params, config, 'Adagrad',
    { lr = 1e-2, lrDecay = 0, weightDecay = 0, initialAccumulatorValue = 0, eps = 1e-10 })
end
function Adagrad:_check()
  local e = Optimizer._check(self)
  if e then return e end
  if self.lrDecay < 0 then return "invalid lrDecay " .. self.lrDecay .. " (must be >= 0)" end
  if self.initialAccumulatorValue < 0 then
    return "invalid initialAccumulatorValue " .. self.initialAccumulatorValue .. " (must be >= 0)"
  end
  if self.eps < 0 then return "invalid eps " .. self.eps .. " (must be >= 0)" end
end
function Adagrad:_update(p, g, st)
  st.step = (st.step or 0) + 1
  if self.weightDecay ~= 0 then g = torch.add(g, self.weightDecay, p) end
  local clr = self.lr / (1 + (st.step - 1) * self.lrDecay)
  st.sum = st.sum or g.new(g:size()):fill(self.initialAccumulatorValue)
  st.sum:addcmul(1, g, g)
  st.std = st.std or g.new(g:size())
  st.std:copy(st.sum):sqrt():add(self.eps)
  p:addcdiv(-clr, g, st.std)
end
