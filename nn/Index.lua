-- nn.Index(dimension): input[1]:index(dimension, input[2]) for the input table
-- {tensor, LongTensor of indices} (Torch7's Index). The indices get no gradient.
local nn = require 'nn'
local Index, parent = torch.class('nn.Index', 'nn.Module')

function Index:__init(dimension)
  parent.__init(self)
  if type(dimension) ~= 'number' then error('nn.Index(dimension): expected a dimension number', 2) end
  self.dimension = dimension
  self.gradInput = { torch.Tensor(), torch.LongTensor() }
end

function Index:updateOutput(input)
  if type(input) ~= 'table' or torch.isTensor(input) or not torch.isTensor(input[1]) or not torch.isTensor(input[2]) then
    error('nn.Index: expected a table {tensor, LongTensor of indices}', 3)
  end
  local t, idx = input[1], input[2]
  local ok, r = pcall(t.index, t, self.dimension, idx)
  if not ok then error('nn.Index: ' .. tostring(r), 3) end
  self.output = r
  return self.output
end

return Index
