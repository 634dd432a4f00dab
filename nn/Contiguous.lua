-- nn.Contiguous(): the input as a contiguous tensor (the input itself when it already is;
-- Torch7's Contiguous).
local nn = require 'nn'
local Contiguous, parent = torch.class('nn.Contiguous', 'nn.Module')

function Contiguous:updateOutput(input)
  if not torch.isTensor(input) then error('nn.Contiguous: expected a tensor input, got ' .. torch.type(input), 3) end
  self.output = input:isContiguous() and input or input:contiguous()
  return self.output
end

return Contiguous
