-- nn.Power(p): output = input^p elementwise (Torch7's Power).
local nn = require 'nn'
local Power, parent = torch.class('nn.Power', 'nn.Module')

function Power:__init(p)
  parent.__init(self)
  if type(p) ~= 'number' then error('nn.Power(p): expected a number, got ' .. torch.type(p), 2) end
  self.pow = p
end

function Power:updateOutput(input)
  if not torch.isTensor(input) then error('nn.Power: expected a tensor input, got ' .. torch.type(input), 3) end
  nn._checkFloatInput(self, input)
  self.output = torch.pow(input, self.pow)
  return self.output
end

return Power
