-- nn.Sigmoid(): y = 1 / (1 + exp(-x)).
local nn = require 'nn'
local Sigmoid, parent = torch.class('nn.Sigmoid', 'nn.Module')

function Sigmoid:updateOutput(input)
  nn._checkFloatInput(self, input)
  local ok, out = pcall(torch.sigmoid, input)
  if not ok then error(torch.typename(self) .. ': ' .. tostring(out), 3) end
  self.output = out
  return self.output
end

return Sigmoid
