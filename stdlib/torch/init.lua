-- torch: the tensor library. The C module torch.core holds the types and the ops;
-- the Lua files add what is better written in Lua (printing, classes, the tester,
-- the command line). `require 'torch'` works from th and from plain lua5.4.
local torch = require 'torch.core'
package.loaded.torch = torch

for _, name in ipairs { 'class', 'print', 'Tester', 'CmdLine', 'autograd', 'data', 'safetensors', 'File' } do
  local ok, err = pcall(require, 'torch.' .. name)
  if not ok and not tostring(err):find("module 'torch." .. name .. "' not found", 1, true) then
    error(err, 0)
  end
end

torch.version = '0.1.0'
-- torch.distributed: the distributed module (stdlib/distributed), loaded on first use
setmetatable(torch, { __index = function(t, k)
  if k == 'distributed' then return require 'distributed' end
end })
-- one name per function in error messages ('torch.zeros', not 'torch.core.zeros');
-- requiring torch.core again returns this same table
package.loaded['torch.core'] = nil
return torch
