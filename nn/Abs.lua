-- nn.Abs(): output = |input| elementwise (Torch7's Abs).
local nn = require 'nn'
local Abs, parent = torch.class('nn.Abs', 'nn.Module')

function Abs:updateOutput(input)
  if not torch.isTensor(input) then error('nn.Abs: expected a tensor input, got ' .. torch.type(input), 3) end
  self.output = torch.abs(input)
  return self.output
end

return Abs
