-- nn.Sum(dimension[, nInputDims[, sizeAverage[, squeeze]]]): the sum over dimension
-- (Torch7's Sum): dimension 1 by default; with nInputDims an input of nInputDims + 1
-- dimensions is a batch (sum over dimension + 1); negative dimensions count from the
-- end; sizeAverage divides by the dimension's size (the mean); squeeze (true by default)
-- removes the summed dimension unless the result is 1-D.
local nn = require 'nn'
local Sum, parent = torch.class('nn.Sum', 'nn.Module')

function Sum:__init(dimension, nInputDims, sizeAverage, squeeze)
  parent.__init(self)
  if dimension ~= nil and not (type(dimension) == 'number' and math.tointeger(dimension)) then
    error(string.format('nn.Sum: dimension must be an integer, got %s', torch.type(dimension)), 2)
  end
  if nInputDims ~= nil and not (type(nInputDims) == 'number' and math.tointeger(nInputDims)) then
    error(string.format('nn.Sum: nInputDims must be an integer, got %s', torch.type(nInputDims)), 2)
  end
  self.dimension = dimension or 1
  self.nInputDims = nInputDims
  self.sizeAverage = sizeAverage or false
  if squeeze ~= nil then
    if type(squeeze) ~= 'boolean' then error(torch.typename(self) .. ': squeeze has to be true or false', 2) end
    self.squeeze = squeeze
  else
    self.squeeze = true
  end
end

function Sum:_getPositiveDimension(input)
  local dimension = self.dimension
  if dimension < 0 then
    dimension = input:dim() + dimension + 1
  elseif self.nInputDims and input:dim() == (self.nInputDims + 1) then
    dimension = dimension + 1
  end
  if dimension < 1 or dimension > input:dim() then
    error(string.format('%s: dimension %d exceeds the input dimensions (%d)', torch.typename(self),
      self.dimension, input:dim()), 4)
  end
  return dimension
end

function Sum:updateOutput(input)
  if not torch.isTensor(input) then
    error(torch.typename(self) .. ': expected a tensor input, got ' .. torch.type(input), 3)
  end
  local dim = self:_getPositiveDimension(input)
  local out = torch.sum(input, dim)
  if self.sizeAverage then out = torch.div(out, input:size(dim)) end
  if (self.squeeze == nil or self.squeeze) and out:dim() > 1 then out = out:select(dim, 1) end
  self.output = out
  return self.output
end

return Sum
