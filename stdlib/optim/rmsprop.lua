-- optim.rmsprop(opfunc, x[, config[, state]]): RMSprop (Tieleman and Hinton), Torch7's.
-- config: learningRate (1e-2), alpha (0.99), epsilon (1e-8), weightDecay (0),
-- initialMean (0, the first value of m). state: m (the leaky mean of squared
-- gradients), tmp. The step is x -= lr * dfdx / (sqrt(m) + epsilon).
local optim = require 'optim'
local U = optim._util

function optim.rmsprop(opfunc, x, config, state)
  U.opfunc(opfunc, 'rmsprop')
  config, state = U.config(config, state, 'rmsprop')
  local lr = U.num(config, 'learningRate', 1e-2, 'rmsprop', 0)
  local alpha = U.num(config, 'alpha', 0.99, 'rmsprop', 0, 1)
  local eps = U.num(config, 'epsilon', 1e-8, 'rmsprop', 0)
  local wd = U.num(config, 'weightDecay', 0, 'rmsprop', 0)
  local mfill = U.num(config, 'initialMean', 0, 'rmsprop', 0)
  local xp = U.plain(x, 'rmsprop', nil, state)

  local fx, dfdx = opfunc(x)
  fx = U.number(fx, 'rmsprop')
  dfdx = U.grad(dfdx, xp, 'rmsprop')

  if wd ~= 0 then dfdx:add(wd, xp) end

  if not state.m then
    state.m = xp.new():resizeAs(dfdx):fill(mfill)
    state.tmp = xp.new():resizeAs(dfdx)
  end
  state.m:mul(alpha):addcmul(1 - alpha, dfdx, dfdx)
  state.tmp:copy(state.m):sqrt():add(eps)
  xp:addcdiv(-lr, dfdx, state.tmp)
  return x, {fx}
end
