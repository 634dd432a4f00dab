-- nn.FlattenTable(): a nested table of tensors flattened into one list, in depth-first
-- order (Torch7's FlattenTable); the output holds the input's tensors themselves.
local nn = require 'nn'
local FlattenTable, parent = torch.class('nn.FlattenTable', 'nn.Module')

function FlattenTable:__init()
  parent.__init(self)
  self.output = {}
  self.gradInput = {}
end

local function flatten(output, input)
  if torch.isTensor(input) then
    output[#output + 1] = input
  elseif type(input) == 'table' then
    for i = 1, #input do flatten(output, input[i]) end
  else
    error('nn.FlattenTable: expected tensors or tables of tensors, got ' .. torch.type(input), 4)
  end
end

function FlattenTable:updateOutput(input)
  if type(input) ~= 'table' or torch.isTensor(input) then
    error('nn.FlattenTable: expected a table input, got ' .. torch.type(input), 3)
  end
  local out = {}
  flatten(out, input)
  self.output = out
  return out
end

return FlattenTable
