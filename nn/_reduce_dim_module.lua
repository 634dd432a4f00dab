-- nn._reduce_dim_module: the shared body of nn.Max and nn.Min (Torch7's): the extreme over
-- `dimension`, which is removed (unless the input is 1-D); dimension 1 by default, with
-- nInputDims an input of nInputDims+1 dimensions is a batch (the dimension shifts by one);
-- negative dimensions count from the end. The indices are kept in self._indices.
local nn = require 'nn'

-- defines class `name` ('nn.Max') reducing with reduce(input, dim) -> values, indices
return function(name, reduce)
  local cls, parent = torch.class(name, 'nn.Module')

  function cls:__init(dimension, nInputDims)
    parent.__init(self)
    self.dimension = dimension or 1
    self.nInputDims = nInputDims
  end

  function cls:_getPositiveDimension(input)
    local dimension = self.dimension
    if dimension < 0 then
      dimension = input:dim() + dimension + 1
    elseif self.nInputDims and input:dim() == (self.nInputDims + 1) then
      dimension = dimension + 1
    end
    return dimension
  end

  function cls:updateOutput(input)
    if not torch.isTensor(input) then error(name .. ': expected a tensor input, got ' .. torch.type(input), 3) end
    local dim = self:_getPositiveDimension(input)
    if dim < 1 or dim > input:dim() then
      error(string.format('%s: dimension %d out of range for a %d-D input', name, self.dimension, input:dim()), 3)
    end
    local values, indices = reduce(input, dim)
    self._indices = indices
    if input:dim() > 1 then values = values:select(dim, 1) end
    self.output = values
    return self.output
  end

  return cls
end
