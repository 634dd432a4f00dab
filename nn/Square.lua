-- nn.Square(): output = input^2 elementwise (Torch7's Square).
local nn = require 'nn'
local Square, parent = torch.class('nn.Square', 'nn.Module')

function Square:updateOutput(input)
  if not torch.isTensor(input) then error('nn.Square: expected a tensor input, got ' .. torch.type(input), 3) end
  self.output = torch.cmul(input, input)
  return self.output
end

return Square
