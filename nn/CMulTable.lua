-- nn.CMulTable(): the elementwise product of the input table's tensors (Torch7's CMulTable). The inputs must have the same
-- number of elements (later ones are viewed as the first one's shape).
local nn = require 'nn'
local CMulTable, parent = torch.class('nn.CMulTable', 'nn.Module')

function CMulTable:__init(ip)
  parent.__init(self)
  self.inplace = ip -- accepted for Torch7 compatibility; the result is always a new tensor
  self.gradInput = {}
end

local function sizestr(t) return table.concat(t:size():totable(), 'x') end

function CMulTable:updateOutput(input)
  if type(input) ~= 'table' or torch.isTensor(input) or #input < 1 then
    error('nn.CMulTable: expected a table of at least 1 tensors, got ' .. torch.type(input), 3)
  end
  local first = input[1]
  for i = 1, #input do
    local t = input[i]
    if not torch.isTensor(t) then
      error(string.format('nn.CMulTable: input %d is a %s, expected a tensor', i, torch.type(t)), 3)
    end
    if t:nElement() ~= first:nElement() then
      error(string.format('nn.CMulTable: input %d (%s) and input 1 (%s) differ in size', i, sizestr(t), sizestr(first)), 3)
    end
  end
  local function shaped(t)
    if t:isSameSizeAs(first) then return t end
    return t:reshape(first:size())
  end
  local out = #input == 1 and first:clone() or first
  for i = 2, #input do out = torch.cmul(out, shaped(input[i])) end
  self.output = out
  return self.output
end

return CMulTable
