-- nn.JoinTable(dimension[, nInputDims]): the input table's tensors concatenated along
-- dimension (Torch7's JoinTable). With nInputDims, inputs of nInputDims + 1 dimensions
-- are batches and the join happens along dimension + 1; a negative dimension counts
-- from the end.
local nn = require 'nn'
local JoinTable, parent = torch.class('nn.JoinTable', 'nn.Module')

function JoinTable:__init(dimension, nInputDims)
  parent.__init(self)
  if type(dimension) ~= 'number' then
    error('nn.JoinTable(dimension, nInputDims): expected a dimension number, got ' .. type(dimension), 2)
  end
  self.size = torch.LongStorage()
  self.dimension = dimension
  self.gradInput = {}
  self.nInputDims = nInputDims
end

function JoinTable:_getPositiveDimension(input)
  local dimension = self.dimension
  if dimension < 0 then
    dimension = input[1]:dim() + dimension + 1
  elseif self.nInputDims and input[1]:dim() == (self.nInputDims + 1) then
    dimension = dimension + 1
  end
  return dimension
end

local function sizestr(t) return table.concat(t:size():totable(), 'x') end

function JoinTable:updateOutput(input)
  if type(input) ~= 'table' or torch.isTensor(input) or #input == 0 then
    error('nn.JoinTable: expected a non-empty table of tensors, got ' .. torch.type(input), 3)
  end
  for i = 1, #input do
    if not torch.isTensor(input[i]) then
      error(string.format('nn.JoinTable: input %d is a %s, expected a tensor', i, torch.type(input[i])), 3)
    end
  end
  local dim = self:_getPositiveDimension(input)
  local first = input[1]
  if dim < 1 or dim > first:dim() then
    error(string.format('nn.JoinTable: dimension %d out of range for inputs of size %s', self.dimension,
      sizestr(first)), 3)
  end
  for i = 2, #input do
    local t = input[i]
    local ok = t:dim() == first:dim()
    if ok then
      for d = 1, t:dim() do
        if d ~= dim and t:size(d) ~= first:size(d) then ok = false end
      end
    end
    if not ok then
      error(string.format('nn.JoinTable: input %d (%s) does not match input 1 (%s) outside dimension %d',
        i, sizestr(t), sizestr(first), dim), 3)
    end
  end
  self.output = torch.cat(input, dim)
  self.size = self.output:size()
  return self.output
end


return JoinTable
