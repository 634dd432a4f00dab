-- nn.SplitTable(dimension[, nInputDims]): the table of the input's slices along dimension
-- (Torch7's SplitTable); with nInputDims, an input of nInputDims + 1 dimensions is a
-- batch and the split happens along dimension + 1; a negative dimension counts from the
-- end.
local nn = require 'nn'
local SplitTable, parent = torch.class('nn.SplitTable', 'nn.Module')

function SplitTable:__init(dimension, nInputDims)
  parent.__init(self)
  if type(dimension) ~= 'number' then
    error('nn.SplitTable(dimension, nInputDims): expected a dimension number, got ' .. type(dimension), 2)
  end
  self.dimension = dimension
  self.nInputDims = nInputDims
  self.output = {}
end

function SplitTable:_getPositiveDimension(input)
  local dimension = self.dimension
  if dimension < 0 then
    dimension = input:dim() + dimension + 1
  elseif self.nInputDims and input:dim() == (self.nInputDims + 1) then
    dimension = dimension + 1
  end
  return dimension
end

function SplitTable:updateOutput(input)
  if not torch.isTensor(input) then error('nn.SplitTable: expected a tensor input, got ' .. torch.type(input), 3) end
  local dim = self:_getPositiveDimension(input)
  if dim < 1 or dim > input:dim() then
    error(string.format('nn.SplitTable: dimension %d out of range for a %d-D input', self.dimension, input:dim()), 3)
  end
  local out = {}
  for i = 1, input:size(dim) do out[i] = input:select(dim, i) end
  self.output = out
  return out
end


return SplitTable
