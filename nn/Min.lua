-- nn.Min(dimension[, nInputDims]): the minimum over dimension, which is removed
-- (unless the input is 1-D); Torch7's Min: dimension 1 by default, with nInputDims an
-- input of nInputDims + 1 dimensions is a batch, a negative dimension counts from the
-- end. The indices of the minima are kept in self._indices.
local nn = require 'nn'
local Min, parent = torch.class('nn.Min', 'nn.Module')

function Min:__init(dimension, nInputDims)
  parent.__init(self)
  self.dimension = dimension or 1
  self.nInputDims = nInputDims
end

function Min:_getPositiveDimension(input)
  local dimension = self.dimension
  if dimension < 0 then
    dimension = input:dim() + dimension + 1
  elseif self.nInputDims and input:dim() == (self.nInputDims + 1) then
    dimension = dimension + 1
  end
  return dimension
end

function Min:updateOutput(input)
  if not torch.isTensor(input) then error('nn.Min: expected a tensor input, got ' .. torch.type(input), 3) end
  local dim = self:_getPositiveDimension(input)
  if dim < 1 or dim > input:dim() then
    error(string.format('nn.Min: dimension %d out of range for a %d-D input', self.dimension, input:dim()), 3)
  end
  local values, indices = torch.min(input, dim)
  self._indices = indices
  if input:dim() > 1 then values = values:select(dim, 1) end
  self.output = values
  return self.output
end

return Min
