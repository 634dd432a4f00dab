-- nn.Sqrt([eps]): output = sqrt(input) elementwise (Torch7's Sqrt; eps is kept in
-- self.eps as Torch7 does, which uses it nowhere in the forward pass).
local nn = require 'nn'
local Sqrt, parent = torch.class('nn.Sqrt', 'nn.Module')

function Sqrt:__init(b)
  parent.__init(self)
  self.eps = b or 0
end

function Sqrt:updateOutput(input)
  if not torch.isTensor(input) then error('nn.Sqrt: expected a tensor input, got ' .. torch.type(input), 3) end
  nn._checkFloatInput(self, input)
  self.output = torch.sqrt(input)
  return self.output
end

return Sqrt
