-- optim.nag(opfunc, x[, config[, state]]): Nesterov's accelerated gradient in
-- Sutskever's form, Torch7's: x first moves by momentum*v, the gradient is taken there,
-- then v = momentum*v - clr*g and x -= clr*g. config: learningRate (1e-3),
-- learningRateDecay (0), weightDecay (0), momentum (0.9, must be > 0), learningRates.
-- state: evalCounter, dfdx (v), deltaParameters.
local optim = require 'optim'
local U = optim._util

function optim.nag(opfunc, x, config, state)
  U.opfunc(opfunc, 'nag')
  config, state = U.config(config, state, 'nag')
  local lr = U.num(config, 'learningRate', 1e-3, 'nag', 0)
  local lrd = U.num(config, 'learningRateDecay', 0, 'nag', 0)
  local wd = U.num(config, 'weightDecay', 0, 'nag', 0)
  local mom = U.num(config, 'momentum', 0.9, 'nag', 0, nil, true)
  local lrs = config.learningRates
  state.evalCounter = state.evalCounter or 0
  local nevals = state.evalCounter
  local xp = U.plain(x, 'nag', nil, state)

  if state.dfdx then xp:add(mom, state.dfdx) end   -- look ahead
  local fx, dfdx = opfunc(x)
  fx = U.number(fx, 'nag')
  dfdx = U.grad(dfdx, xp, 'nag')

  if wd ~= 0 then dfdx:add(wd, xp) end
  local clr = lr / (1 + nevals * lrd)
  if not state.dfdx then
    state.dfdx = U.zerosLike(dfdx)
  else
    state.dfdx:mul(mom)
  end
  if lrs then
    state.deltaParameters = state.deltaParameters or xp.new():resizeAs(dfdx)
    state.deltaParameters:copy(lrs):cmul(dfdx)
    xp:add(-clr, state.deltaParameters)
    state.dfdx:add(-clr, state.deltaParameters)
  else
    xp:add(-clr, dfdx)
    state.dfdx:add(-clr, dfdx)
  end
  state.evalCounter = state.evalCounter + 1
  return x, {fx}
end
