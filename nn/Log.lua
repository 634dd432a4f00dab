-- nn.Log(): output = log(input) elementwise (Torch7's Log).
local nn = require 'nn'
local Log, parent = torch.class('nn.Log', 'nn.Module')

function Log:updateOutput(input)
  if not torch.isTensor(input) then error('nn.Log: expected a tensor input, got ' .. torch.type(input), 3) end
  nn._checkFloatInput(self, input)
  self.output = torch.log(input)
  return self.output
end

return Log
