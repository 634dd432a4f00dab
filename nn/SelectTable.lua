-- nn.SelectTable(index): input[index] (a tensor or a table) from the input table; a
-- negative index counts from the end (Torch7's SelectTable). gradInput is a table like
-- the input with zeros except at index.
local nn = require 'nn'
local SelectTable, parent = torch.class('nn.SelectTable', 'nn.Module')

function SelectTable:__init(index)
  parent.__init(self)
  if type(index) ~= 'number' then error('nn.SelectTable(index): expected a number, got ' .. torch.type(index), 2) end
  self.index = index
  self.gradInput = {}
end

function SelectTable:updateOutput(input)
  if type(input) ~= 'table' or torch.isTensor(input) then
    error('nn.SelectTable: expected a table input, got ' .. torch.type(input), 3)
  end
  local index = self.index < 0 and #input + self.index + 1 or self.index
  if input[index] == nil then
    error(string.format('nn.SelectTable: index %d does not exist in the input table (of %d elements)',
      self.index, #input), 3)
  end
  self.output = input[index]
  return self.output
end

function SelectTable:__tostring__()
  return torch.type(self) .. '(' .. self.index .. ')'
end

return SelectTable
