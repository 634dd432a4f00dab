-- optim.adam(opfunc, x[, config[, state]]): Adam (Kingma and Ba), Torch7's form.
-- config: learningRate (1e-3), learningRateDecay (0), beta1 (0.9), beta2 (0.999),
-- epsilon (1e-8), weightDecay (0, added to the gradient as L2). state: t, m, v, denom.
-- The step is x -= clr * sqrt(1 - beta2^t) / (1 - beta1^t) * m / (sqrt(v) + epsilon).
local optim = require 'optim'
local U = optim._util

function optim.adam(opfunc, x, config, state)
  U.opfunc(opfunc, 'adam')
  config, state = U.config(config, state, 'adam')
  local lr = U.num(config, 'learningRate', 1e-3, 'adam', 0)
  local lrd = U.num(config, 'learningRateDecay', 0, 'adam', 0)
  local beta1 = U.num(config, 'beta1', 0.9, 'adam', 0, 1)
  local beta2 = U.num(config, 'beta2', 0.999, 'adam', 0, 1)
  local eps = U.num(config, 'epsilon', 1e-8, 'adam', 0)
  local wd = U.num(config, 'weightDecay', 0, 'adam', 0)
  local xp = U.plain(x, 'adam', nil, state)

  local fx, dfdx = opfunc(x)
  fx = U.number(fx, 'adam')
  dfdx = U.grad(dfdx, xp, 'adam')

  if wd ~= 0 then dfdx:add(wd, xp) end

  state.t = state.t or 0
  state.m = state.m or U.zerosLike(dfdx)
  state.v = state.v or U.zerosLike(dfdx)
  state.denom = state.denom or U.zerosLike(dfdx)

  local clr = lr / (1 + state.t * lrd)
  state.t = state.t + 1

  state.m:mul(beta1):add(1 - beta1, dfdx)
  state.v:mul(beta2):addcmul(1 - beta2, dfdx, dfdx)
  state.denom:copy(state.v):sqrt():add(eps)

  local bc1 = 1 - beta1 ^ state.t
  local bc2 = 1 - beta2 ^ state.t
  xp:addcdiv(-clr * math.sqrt(bc2) / bc1, state.m, state.denom)
  return x, {fx}
end
