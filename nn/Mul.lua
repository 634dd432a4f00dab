-- nn.Mul(): output = w * input with one learnable scalar w (Torch7's Mul; weight and
-- gradWeight are 1-element tensors; reset: uniform in [-1, 1]).
local nn = require 'nn'
local Mul, parent = torch.class('nn.Mul', 'nn.Module')

function Mul:__init()
  parent.__init(self)
  self.weight = torch.Tensor(1)
  self.gradWeight = torch.Tensor(1):zero()
  self:reset()
  self:_linkGrads()
end

function Mul:reset(stdv)
  stdv = stdv and stdv * math.sqrt(3) or 1 / math.sqrt(self.weight:size(1))
  torch.noGrad(function() self.weight:uniform(-stdv, stdv) end)
  return self
end

function Mul:updateOutput(input)
  if not torch.isTensor(input) then error('nn.Mul: expected a tensor input, got ' .. torch.type(input), 3) end
  if input:dim() == 0 then
    self.output = torch.cmul(input, self.weight:view())
  else
    self.output = torch.cmul(input, self.weight)
  end
  return self.output
end

return Mul
