-- optim.asgd(opfunc, x[, config[, state]]): averaged SGD (Bottou), Torch7's.
-- config: eta0 (1e-4), lambda (1e-4, decay), alpha (0.75), t0 (1e6, when averaging
-- starts). state: eta_t, mu_t, t, ax (the average). x *= 1 - lambda*eta_t;
-- x -= eta_t*dfdx; ax += mu_t*(x - ax); eta_t = eta0/(1 + lambda*eta0*t)^alpha;
-- mu_t = 1/max(1, t - t0). Returns x, {f}, ax.
local optim = require 'optim'
local U = optim._util

function optim.asgd(opfunc, x, config, state)
  U.opfunc(opfunc, 'asgd')
  config, state = U.config(config, state, 'asgd')
  local eta0 = U.num(config, 'eta0', 1e-4, 'asgd', 0)
  local lambda = U.num(config, 'lambda', 1e-4, 'asgd', 0)
  local alpha = U.num(config, 'alpha', 0.75, 'asgd', 0)
  local t0 = U.num(config, 't0', 1e6, 'asgd')
  state.eta_t = state.eta_t or eta0
  state.mu_t = state.mu_t or 1
  state.t = state.t or 0
  local xp = U.plain(x, 'asgd', nil, state)

  local fx, dfdx = opfunc(x)
  fx = U.number(fx, 'asgd')
  dfdx = U.grad(dfdx, xp, 'asgd')

  xp:mul(1 - lambda * state.eta_t)
  xp:add(-state.eta_t, dfdx)
  state.ax = state.ax or U.zerosLike(xp)
  state.tmp = state.tmp or U.zerosLike(xp)
  if state.mu_t ~= 1 then
    state.tmp:copy(xp):add(-1, state.ax):mul(state.mu_t)
    state.ax:add(state.tmp)
  else
    state.ax:copy(xp)
  end
  state.t = state.t + 1
  state.eta_t = eta0 / (1 + lambda * eta0 * state.t) ^ alpha
  state.mu_t = 1 / math.max(1, state.t - t0)
  return x, {fx}, state.ax
end
