-- nn.Exp(): output = exp(input) elementwise (Torch7's Exp).
local nn = require 'nn'
local Exp, parent = torch.class('nn.Exp', 'nn.Module')

function Exp:updateOutput(input)
  if not torch.isTensor(input) then error('nn.Exp: expected a tensor input, got ' .. torch.type(input), 3) end
  nn._checkFloatInput(self, input)
  self.output = torch.exp(input)
  return self.output
end

return Exp
