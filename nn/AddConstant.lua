-- nn.AddConstant(scalar[, inplace]): output = input + scalar (Torch7's AddConstant; with
-- inplace the output is written into the input, as nn.ReLU(true) does: nn._inplace). The
-- constant may also be a tensor of the input's size (or one that broadcasts to it).
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
  local fresh = function(x) return torch.add(x, c) end
  local into = function(r, x) return torch.add(r, x, c) end
  -- in place only when the sum has the input's size (a constant that broadcasts to it)
  if torch.isTensor(c) then
    local fits = c:dim() <= input:dim()
    for i = 1, fits and c:dim() or 0 do
      local cs, xs = c:size(c:dim() - i + 1), input:size(input:dim() - i + 1)
      if cs ~= 1 and cs ~= xs then fits = false end
    end
    if not fits then into = function(_, x) return fresh(x) end end
  end
  self.output = nn._inplace(self, input, fresh, into)
  return self.output
end

return AddConstant
