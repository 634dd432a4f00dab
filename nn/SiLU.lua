-- nn.SiLU(): y = x sigmoid(x) (also called swish).
local nn = require 'nn'
local SiLU, parent = torch.class('nn.SiLU', 'nn.Module')

function SiLU:updateOutput(input)
  local ok, out = pcall(torch.silu, input)
  if not ok then error(torch.typename(self) .. ': ' .. tostring(out), 3) end
  self.output = out
  return self.output
end

return SiLU
