-- nn.GradientReversal([lambda]): the identity forward; backward multiplies the gradient
-- by -lambda (1 by default), as in domain-adversarial training (Torch7's
-- GradientReversal). setLambda(l) changes it.
local nn = require 'nn'
local GradientReversal, parent = torch.class('nn.GradientReversal', 'nn.Module')

function GradientReversal:__init(lambda)
  parent.__init(self)
  self.lambda = lambda or 1
end

function GradientReversal:setLambda(lambda)
  self.lambda = lambda
  return self
end

function GradientReversal:updateOutput(input)
  if not torch.isTensor(input) then
    error('nn.GradientReversal: expected a tensor input, got ' .. torch.type(input), 3)
  end
  -- x:detach() - lambda * (x - x:detach()): the value of x, the gradient -lambda
  local d = input:detach()
  self.output = torch.add(d, torch.mul(torch.csub(input, d), -self.lambda))
  return self.output
end

return GradientReversal
