-- nn.Tanh(): y = tanh(x).
local nn = require 'nn'
local Tanh, parent = torch.class('nn.Tanh', 'nn.Module')

function Tanh:updateOutput(input)
  nn._checkFloatInput(self, input)
  local ok, out = pcall(torch.tanh, input)
  if not ok then error(torch.typename(self) .. ': ' .. tostring(out), 3) end
  self.output = out
  return self.output
end

return Tanh
