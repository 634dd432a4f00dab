-- nn.Select(dimension, index): input:select(dimension, index); negative dimension and
-- index count from the end (Torch7's Select).
local nn = require 'nn'
local Select, parent = torch.class('nn.Select', 'nn.Module')

function Select:__init(dimension, index)
  parent.__init(self)
  if type(dimension) ~= 'number' or type(index) ~= 'number' then
    error('nn.Select(dimension, index): expected two numbers', 2)
  end
  self.dimension = dimension
  self.index = index
end

function Select:updateOutput(input)
  if not torch.isTensor(input) then error('nn.Select: expected a tensor input, got ' .. torch.type(input), 3) end
  local dim = self.dimension < 0 and input:dim() + self.dimension + 1 or self.dimension
  if dim < 1 or dim > input:dim() then
    error(string.format('nn.Select: dimension %d out of range for a %d-D input', self.dimension, input:dim()), 3)
  end
  local index = self.index < 0 and input:size(dim) + self.index + 1 or self.index
  if index < 1 or index > input:size(dim) then
    error(string.format('nn.Select: index %d out of range for dimension %d of size %d', self.index, dim,
      input:size(dim)), 3)
  end
  self.output = input:select(dim, index)
  return self.output
end


return Select
