-- nn.MulConstant(scalar[, inplace]): output = input * scalar (Torch7's MulConstant; the
-- in-place flag is accepted, the output is a new tensor: a backward that computes forward
-- again from an input multiplied in place would multiply it twice).
local nn = require 'nn'
local MulConstant, parent = torch.class('nn.MulConstant', 'nn.Module')

function MulConstant:__init(constant_scalar, ip)
  parent.__init(self)
  if type(constant_scalar) ~= 'number' then
    error('nn.MulConstant(scalar, inplace): expected a number, got ' .. torch.type(constant_scalar), 2)
  end
  self.constant_scalar = constant_scalar
  if ip ~= nil and type(ip) ~= 'boolean' then error('nn.MulConstant: the in-place flag must be a boolean, got ' .. type(ip), 2) end
  self.inplace = ip or false
end

function MulConstant:updateOutput(input)
  if not torch.isTensor(input) then error('nn.MulConstant: expected a tensor input, got ' .. torch.type(input), 3) end
  self.output = torch.mul(input, self.constant_scalar)
  return self.output
end

return MulConstant
