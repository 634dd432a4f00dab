-- nn.Narrow(dimension, offset[, length]): input:narrow(dimension, offset, length), length
-- 1 by default (Torch7's Narrow). A negative dimension counts from the end; a negative
-- length -k gives n - offset + 2 - k elements (-1: up to the end); a negative offset
-- gives the first n - length elements (Torch7's rule).
local nn = require 'nn'
local Narrow, parent = torch.class('nn.Narrow', 'nn.Module')

function Narrow:__init(dimension, offset, length)
  parent.__init(self)
  if type(dimension) ~= 'number' or type(offset) ~= 'number' then
    error('nn.Narrow(dimension, offset, length): expected numbers', 2)
  end
  self.dimension = dimension
  self.index = offset
  self.length = length or 1
end

function Narrow:updateOutput(input)
  if not torch.isTensor(input) then error('nn.Narrow: expected a tensor input, got ' .. torch.type(input), 3) end
  local dim = self.dimension < 0 and input:dim() + self.dimension + 1 or self.dimension
  if dim < 1 or dim > input:dim() then
    error(string.format('nn.Narrow: dimension %d out of range for a %d-D input', self.dimension, input:dim()), 3)
  end
  local n = input:size(dim)
  -- Torch7's rule (torch/nn Narrow.lua): a negative length -k ends k - 1 elements before
  -- the end (-1: up to the last element); a negative offset takes the first
  -- n - length elements (the value of the offset beyond its sign is not used)
  local index, length = self.index, self.length
  if length < 0 then length = n - index + length + 2 end
  if index < 0 then
    index = 1
    length = n - length
  end
  if index < 1 or length < 0 or index + length - 1 > n then
    error(string.format('nn.Narrow: offset %d and length %d out of range for dimension %d of size %d',
      self.index, self.length, dim, n), 3)
  end
  self.output = input:narrow(dim, index, length)
  return self.output
end


return Narrow
