-- nn.CAddTable(): the sum of the input table's tensors (Torch7's CAddTable). The inputs must have the same
-- number of elements (later ones are viewed as the first one's shape).
local nn = require 'nn'
local CAddTable, parent = torch.class('nn.CAddTable', 'nn.Module')

function CAddTable:__init(ip)
  parent.__init(self)
  self.inplace = ip -- accepted for Torch7 compatibility; the result is always a new tensor
  self.gradInput = {}
end

local function sizestr(t) return table.concat(t:size():totable(), 'x') end

function CAddTable:updateOutput(input)
  if type(input) ~= 'table' or torch.isTensor(input) or #input < 1 then
    error('nn.CAddTable: expected a table of at least 1 tensors, got ' .. torch.type(input), 3)
  end
  local first = input[1]
  for i = 1, #input do
    local t = input[i]
    if not torch.isTensor(t) then
      error(string.format('nn.CAddTable: input %d is a %s, expected a tensor', i, torch.type(t)), 3)
    end
    if t:nElement() ~= first:nElement() then
      error(string.format('nn.CAddTable: input %d (%s) and input 1 (%s) differ in size', i, sizestr(t), sizestr(first)), 3)
    end
  end
  local function shaped(t)
    if t:isSameSizeAs(first) then return t end
    return t:reshape(first:size())
  end
  local out = #input == 1 and first:clone() or first
  for i = 2, #input do out = torch.add(out, shaped(input[i])) end
  self.output = out
  return self.output
end

return CAddTable
