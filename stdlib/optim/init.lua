-- optim: Torch7's optimizers, x, {f} = optim.X(opfunc, x, config, state), where
-- opfunc(x) returns f(x) and df/dx; an object form for the autograd style
-- (optim.SGD(params, {lr=}) ... opt:step()) with learning-rate schedules; Logger and
-- ConfusionMatrix. `require 'optim'` also sets the global optim, as in Torch7.
local torch = require 'torch'

local optim = {}
package.loaded.optim = optim   -- the files below require 'optim' for this table
_G.optim = optim

for _, name in ipairs {
  'util', 'sgd', 'nag', 'asgd', 'adam', 'adamw', 'adamax', 'rmsprop', 'adagrad', 'adadelta',
  'polyinterp', 'lswolfe', 'lbfgs', 'cg', 'checkgrad',
  'Optimizer', 'LRScheduler', 'Logger', 'ConfusionMatrix',
} do
  require('optim.' .. name)
end

return optim
