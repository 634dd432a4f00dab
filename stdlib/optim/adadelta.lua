-- optim.adadelta(opfunc, x[, config[, state]]): ADADELTA (Zeiler), Torch7's.
-- config: rho (0.9), eps (1e-6), weightDecay (0). state: evalCounter, paramVariance
-- (the leaky mean of squared gradients), paramStd, delta, accDelta (the leaky mean of
-- squared steps). The step is delta = sqrt(accDelta + eps) / sqrt(paramVariance + eps)
-- * dfdx; x -= delta.
local optim = require 'optim'
local U = optim._util

function optim.adadelta(opfunc, x, config, state)
  U.opfunc(opfunc, 'adadelta')
  config, state = U.config(config, state, 'adadelta')
  local rho = U.num(config, 'rho', 0.9, 'adadelta', 0, 1)
  local eps = U.num(config, 'eps', 1e-6, 'adadelta', 0)
  local wd = U.num(config, 'weightDecay', 0, 'adadelta', 0)
  state.evalCounter = state.evalCounter or 0
  local xp = U.plain(x, 'adadelta', nil, state)

  local fx, dfdx = opfunc(x)
  fx = U.number(fx, 'adadelta')
  dfdx = U.grad(dfdx, xp, 'adadelta')

  if wd ~= 0 then dfdx:add(wd, xp) end

  if not state.paramVariance then
    state.paramVariance = U.zerosLike(dfdx)
    state.paramStd = U.zerosLike(dfdx)
    state.delta = U.zerosLike(dfdx)
    state.accDelta = U.zerosLike(dfdx)
  end
  state.paramVariance:mul(rho):addcmul(1 - rho, dfdx, dfdx)
  state.paramStd:resizeAs(state.paramVariance):copy(state.paramVariance):add(eps):sqrt()
  state.delta:resizeAs(state.paramVariance):copy(state.accDelta):add(eps):sqrt()
    :cdiv(state.paramStd):cmul(dfdx)
  xp:add(-1, state.delta)
  state.accDelta:mul(rho):addcmul(1 - rho, state.delta, state.delta)

  state.evalCounter = state.evalCounter + 1
  return x, {fx}
end
