-- nn.CSubTable(): input[1] - input[2] (Torch7's CSubTable). The inputs must have the same
-- number of elements (later ones are viewed as the first one's shape).
local nn = require 'nn'
local CSubTable, parent = torch.class('nn.CSubTable', 'nn.Module')

function CSubTable:__init(ip)
  parent.__init(self)
  self.inplace = ip -- accepted for Torch7 compatibility; the result is always a new tensor
  self.gradInput = {}
end

local function sizestr(t) return table.concat(t:size():totable(), 'x') end

function CSubTable:updateOutput(input)
  if type(input) ~= 'table' or torch.isTensor(input) or #input < 2 then
    error('nn.CSubTable: expected a table of at least 2 tensors, got ' .. torch.type(input), 3)
  end
  local first = input[1]
  for i = 1, #input do
    local t = input[i]
    if not torch.isTensor(t) then
      error(string.format('nn.CSubTable: input %d is a %s, expected a tensor', i, torch.type(t)), 3)
    end
    if t:nElement() ~= first:nElement() then
      error(string.format('nn.CSubTable: input %d (%s) and input 1 (%s) differ in size', i, sizestr(t), sizestr(first)), 3)
    end
  end
  local function shaped(t)
    if t:isSameSizeAs(first) then return t end
    return t:reshape(first:size())
  end
  self.output = torch.csub(first, shaped(input[2]))
  return self.output
end

return CSubTable
