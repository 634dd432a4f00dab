-- nn.AddConstant(scalar[, inplace]): output = input + scalar (Torch7's AddConstant; the
-- in-place flag is accepted, the output is a new tensor, as MulConstant's). The constant
-- may also be a tensor of the input's size (or one that broadcasts to it).
local nn = require 'nn'
local AddConstant, parent = torch.class('nn.AddConstant', 'nn.Module')

function AddConstant:__init(constant_scalar, ip)
  parent.__init(self)
  if type(constant_scalar) ~= 'number' and not torch.isTensor(constant_scalar) then
    error('nn.AddConstant(scalar, inplace): expected a number, got ' .. torch.type(constant_scalar), 2)
  end
  self.constant_scalar = constant_scalar
  if ip ~= nil and type(ip) ~= 'boolean' then error('nn.AddConstant: the in-place flag must be a boolean, got ' .. type(ip), 2) end
  self.inplace = ip or false
end

function AddConstant:updateOutput(input)
  if not torch.isTensor(input) then error('nn.AddConstant: expected a tensor input, got ' .. torch.type(input), 3) end
  local c = self.constant_scalar
  if torch.isTensor(c) and c:type() ~= input:type() then c = c:type(input:type()) end
  self.output = torch.add(input, c)
  return self.output
end

return AddConstant
