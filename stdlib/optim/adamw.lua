-- optim.adamw(opfunc, x[, config[, state]]): Adam with decoupled weight decay
-- (Loshchilov and Hutter), as PyTorch's AdamW: x *= 1 - clr*weightDecay, then
-- x -= clr/(1 - beta1^t) * m / (sqrt(v)/sqrt(1 - beta2^t) + epsilon).
-- config: learningRate (1e-3), learningRateDecay (0), beta1 (0.9), beta2 (0.999),
-- epsilon (1e-8), weightDecay (1e-2). state: t, m, v, denom.
local optim = require 'optim'
local U = optim._util

function optim.adamw(opfunc, x, config, state)
  U.opfunc(opfunc, 'adamw')
  config, state = U.config(config, state, 'adamw')
  local lr = U.num(config, 'learningRate', 1e-3, 'adamw', 0)
  local lrd = U.num(config, 'learningRateDecay', 0, 'adamw', 0)
  local beta1 = U.num(config, 'beta1', 0.9, 'adamw', 0, 1)
  local beta2 = U.num(config, 'beta2', 0.999, 'adamw', 0, 1)
  local eps = U.num(config, 'epsilon', 1e-8, 'adamw', 0)
  local wd = U.num(config, 'weightDecay', 1e-2, 'adamw', 0)
  local xp = U.plain(x, 'adamw', nil, state)

  local fx, dfdx = opfunc(x)
  fx = U.number(fx, 'adamw')
  dfdx = U.grad(dfdx, xp, 'adamw')

  state.t = state.t or 0
  state.m = state.m or U.zerosLike(dfdx)
  state.v = state.v or U.zerosLike(dfdx)
  state.denom = state.denom or U.zerosLike(dfdx)

  local clr = lr / (1 + state.t * lrd)
  state.t = state.t + 1

  if wd ~= 0 then xp:mul(1 - clr * wd) end
  state.m:mul(beta1):add(1 - beta1, dfdx)
  state.v:mul(beta2):addcmul(1 - beta2, dfdx, dfdx)
  local bc1 = 1 - beta1 ^ state.t
  local bc2 = 1 - beta2 ^ state.t
  state.denom:copy(state.v):sqrt():div(math.sqrt(bc2)):add(eps)
  xp:addcdiv(-clr / bc1, state.m, state.denom)
  return x, {fx}
end
