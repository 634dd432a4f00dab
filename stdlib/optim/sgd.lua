-- optim.sgd(opfunc, x[, config[, state]]): stochastic gradient descent (Torch7's).
-- config: learningRate (1e-3), learningRateDecay (0), weightDecay (0), weightDecays
-- (a tensor of per-element decays), momentum (0), dampening (= momentum), nesterov
-- (false), learningRates (a tensor of per-element rates). state: evalCounter, dfdx (the
-- momentum buffer), decayParameters, deltaParameters. Returns x, {f(x before the step)}.
local optim = require 'optim'
local U = optim._util

function optim.sgd(opfunc, x, config, state)
  U.opfunc(opfunc, 'sgd')
  config, state = U.config(config, state, 'sgd')
  local lr = U.num(config, 'learningRate', 1e-3, 'sgd', 0)
  local lrd = U.num(config, 'learningRateDecay', 0, 'sgd', 0)
  local wd = U.num(config, 'weightDecay', 0, 'sgd', 0)
  local mom = U.num(config, 'momentum', 0, 'sgd', 0)
  local damp = U.num(config, 'dampening', mom, 'sgd')
  local nesterov = config.nesterov or false
  local lrs, wds = config.learningRates, config.weightDecays
  for name, v in pairs { learningRates = lrs, weightDecays = wds } do
    if v ~= nil and not torch.isTensor(v) then
      error(string.format('optim.sgd: config.%s must be a tensor of per-element values, got %s', name, torch.type(v)), 2)
    end
  end
  if nesterov and (mom <= 0 or damp ~= 0) then
    error("optim.sgd: Nesterov momentum requires a momentum and zero dampening", 2)
  end
  state.evalCounter = state.evalCounter or 0
  local nevals = state.evalCounter
  local xp = U.plain(x, 'sgd', nil, state)
  for name, v in pairs { learningRates = lrs, weightDecays = wds } do
    if v ~= nil and v:nElement() ~= xp:nElement() then
      error(string.format('optim.sgd: config.%s has %d elements but x has %d (one value per element of x expected)',
                          name, v:nElement(), xp:nElement()), 2)
    end
  end

  local fx, dfdx = opfunc(x)
  fx = U.number(fx, 'sgd')
  dfdx = U.grad(dfdx, xp, 'sgd')

  -- weight decay, one for all or one per element
  if wd ~= 0 then
    dfdx:add(wd, xp)
  elseif wds then
    state.decayParameters = state.decayParameters or xp.new():resizeAs(dfdx)
    state.decayParameters:copy(wds):cmul(xp)
    dfdx:add(state.decayParameters)
  end

  -- momentum: the first step's buffer is the gradient itself
  if mom ~= 0 then
    if not state.dfdx then
      state.dfdx = dfdx.new():resizeAs(dfdx):copy(dfdx)
    else
      state.dfdx:mul(mom):add(1 - damp, dfdx)
    end
    if nesterov then dfdx:add(mom, state.dfdx) else dfdx = state.dfdx end
  end

  local clr = lr / (1 + nevals * lrd)
  if lrs then
    state.deltaParameters = state.deltaParameters or xp.new():resizeAs(dfdx)
    state.deltaParameters:copy(lrs):cmul(dfdx)
    xp:add(-clr, state.deltaParameters)
  else
    xp:add(-clr, dfdx)
  end

  state.evalCounter = state.evalCounter + 1
  return x, {fx}
end
