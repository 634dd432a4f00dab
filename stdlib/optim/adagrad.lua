-- optim.adagrad(opfunc, x[, config[, state]]): AdaGrad (Duchi et al.), Torch7's.
-- config: learningRate (1e-3), learningRateDecay (0), weightDecay (0). state:
-- evalCounter, paramVariance (the sum of squared gradients), paramStd.
-- The step is x -= clr * dfdx / (sqrt(paramVariance) + 1e-10).
local optim = require 'optim'
local U = optim._util

function optim.adagrad(opfunc, x, config, state)
  U.opfunc(opfunc, 'adagrad')
  config, state = U.config(config, state, 'adagrad')
  local lr = U.num(config, 'learningRate', 1e-3, 'adagrad', 0)
  local lrd = U.num(config, 'learningRateDecay', 0, 'adagrad', 0)
  local wd = U.num(config, 'weightDecay', 0, 'adagrad', 0)
  state.evalCounter = state.evalCounter or 0
  local nevals = state.evalCounter
  local xp = U.plain(x, 'adagrad', nil, state)

  local fx, dfdx = opfunc(x)
  fx = U.number(fx, 'adagrad')
  dfdx = U.grad(dfdx, xp, 'adagrad')

  if wd ~= 0 then dfdx:add(wd, xp) end

  local clr = lr / (1 + nevals * lrd)
  if not state.paramVariance then
    state.paramVariance = U.zerosLike(dfdx)
    state.paramStd = xp.new():resizeAs(dfdx)
  end
  state.paramVariance:addcmul(1, dfdx, dfdx)
  state.paramStd:resizeAs(state.paramVariance):copy(state.paramVariance):sqrt()
  xp:addcdiv(-clr, dfdx, state.paramStd:add(1e-10))

  state.evalCounter = state.evalCounter + 1
  return x, {fx}
end
