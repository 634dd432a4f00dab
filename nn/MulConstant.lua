-- nn.MulConstant(scalar[, inplace]): output = input * scalar (Torch7's MulConstant; with
-- inplace the output is written into the input, as nn.ReLU(true) does: nn._inplace).
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
  local c = self.constant_scalar
  self.output = nn._inplace(self, input, function(x) return torch.mul(x, c) end,
                            function(r, x) return torch.mul(r, x, c) end)
  return self.output
end

return MulConstant
