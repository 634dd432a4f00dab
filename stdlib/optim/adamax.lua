-- optim.adamax(opfunc, x[, config[, state]]): AdaMax, Adam with the infinity norm
-- (Kingma and Ba, section 7), Torch7's. config: learningRate (2e-3), beta1 (0.9), beta2
-- (0.999), epsilon (1e-38), weightDecay (0). state: t, m, u. u = max(beta2*u, |g| +
-- epsilon); x -= learningRate/(1 - beta1^t) * m/u.
local optim = require 'optim'
local U = optim._util

function optim.adamax(opfunc, x, config, state)
  U.opfunc(opfunc, 'adamax')
  config, state = U.config(config, state, 'adamax')
  local lr = U.num(config, 'learningRate', 2e-3, 'adamax', 0)
  local beta1 = U.num(config, 'beta1', 0.9, 'adamax', 0, 1)
  local beta2 = U.num(config, 'beta2', 0.999, 'adamax', 0, 1)
  local eps = U.num(config, 'epsilon', 1e-38, 'adamax', 0)
  local wd = U.num(config, 'weightDecay', 0, 'adamax', 0)
  local xp = U.plain(x, 'adamax', nil, state)

  local fx, dfdx = opfunc(x)
  fx = U.number(fx, 'adamax')
  dfdx = U.grad(dfdx, xp, 'adamax')

  if wd ~= 0 then dfdx:add(wd, xp) end

  state.t = (state.t or 0) + 1
  state.m = state.m or U.zerosLike(dfdx)
  state.u = state.u or U.zerosLike(dfdx)
  state.tmp = state.tmp or U.zerosLike(dfdx)
  state.m:mul(beta1):add(1 - beta1, dfdx)
  state.tmp:copy(dfdx):abs():add(eps)
  state.u:mul(beta2):cmax(state.tmp)
  xp:addcdiv(-lr / (1 - beta1 ^ state.t), state.m, state.u)
  return x, {fx}
end
