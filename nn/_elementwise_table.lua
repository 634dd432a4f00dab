-- nn._elementwise_table: the shared body of CAddTable, CMulTable, CMaxTable, CMinTable
-- (all the inputs combined pairwise with one recorded op) and CSubTable, CDivTable (pair:
-- input[1] op input[2]). The inputs must have the same size.
local nn = require 'nn'

local function sizestr(t) return table.concat(t:size():totable(), 'x') end

-- defines class `name` (a string such as 'nn.CAddTable') combining with op(a, b)
return function(name, op, pair)
  local least = pair and 2 or 1
  local cls, parent = torch.class(name, 'nn.Module')

  function cls:__init(ip)
    parent.__init(self)
    self.inplace = ip -- accepted for Torch7 compatibility; the result is always a new tensor
    self.gradInput = {}
  end

  function cls:updateOutput(input)
    if type(input) ~= 'table' or torch.isTensor(input) or #input < least then
      error(string.format('%s: expected a table of at least %d tensors, got %s', name, least, torch.type(input)), 3)
    end
    local first = input[1]
    for i = 1, #input do
      local t = input[i]
      if not torch.isTensor(t) then
        error(string.format('%s: input %d is a %s, expected a tensor', name, i, torch.type(t)), 3)
      end
      -- equal sizes, as Torch7's (a 3x2 tensor is not added to a 2x3 one by position)
      if not t:isSameSizeAs(first) then
        error(string.format('%s: input %d (%s) and input 1 (%s) differ in size (the sizes must be equal)',
                            name, i, sizestr(t), sizestr(first)), 3)
      end
    end
    local function shaped(t) return t end
    local out
    if pair then
      out = op(first, shaped(input[2]))
    else
      out = #input == 1 and first:clone() or first
      for i = 2, #input do out = op(out, shaped(input[i])) end
    end
    self.output = out
    return self.output
  end

  return cls
end
