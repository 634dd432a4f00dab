-- nn.NarrowTable(offset[, length]): the sub-table input[offset .. offset + length - 1]
-- (length 1 by default; Torch7's NarrowTable).
local nn = require 'nn'
local NarrowTable, parent = torch.class('nn.NarrowTable', 'nn.Module')

function NarrowTable:__init(offset, length)
  parent.__init(self)
  if type(offset) ~= 'number' then error('nn.NarrowTable(offset, length): expected an offset number', 2) end
  self.offset = offset
  self.length = length or 1
  self.output = {}
  self.gradInput = {}
end

function NarrowTable:updateOutput(input)
  if type(input) ~= 'table' or torch.isTensor(input) then
    error('nn.NarrowTable: expected a table input, got ' .. torch.type(input), 3)
  end
  if self.offset < 1 or self.length < 0 or self.offset + self.length - 1 > #input then
    error(string.format('nn.NarrowTable: offset %d and length %d out of range for a table of %d elements',
      self.offset, self.length, #input), 3)
  end
  local out = {}
  for i = 1, self.length do out[i] = input[self.offset + i - 1] end
  self.output = out
  return out
end

return NarrowTable
