-- nn: Torch7's neural network package on luatorch's autograd engine.
-- Modules are classes (torch.class('nn.X', 'nn.Module')), one per file in this folder;
-- each is loaded the first time nn.X is used. Module.lua says how forward, backward and
-- the parameters work.
require 'torch'
local nn = rawget(_G, 'nn') or {}
_G.nn = nn
package.loaded.nn = nn

-- nn.X loads nn/X.lua on first use; unknown names stay nil
setmetatable(nn, {
  __index = function(t, k)
    if type(k) ~= 'string' or not k:match('^%u') then return nil end
    local found = package.searchpath('nn.' .. k, package.path)
    if not found then return nil end
    require('nn.' .. k)
    return rawget(t, k)
  end,
})

require 'nn.Module'
require 'nn.Criterion'
require 'nn.Container'
require 'nn.Sequential'
require 'nn.init_helpers'

return nn
