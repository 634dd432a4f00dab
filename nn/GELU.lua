-- nn.GELU(): y = x Phi(x) (the exact form, with the error function).
local nn = require 'nn'
local GELU, parent = torch.class('nn.GELU', 'nn.Module')

function GELU:updateOutput(input)
  local ok, out = pcall(torch.gelu, input)
  if not ok then error(torch.typename(self) .. ': ' .. tostring(out), 3) end
  self.output = out
  return self.output
end

return GELU
