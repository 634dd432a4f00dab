-- nn.ParallelTable(): module i is applied to input[i]; the output is the table of the
-- results (Torch7's ParallelTable). Extra input elements are ignored, as in Torch7.
local nn = require 'nn'
local ParallelTable, parent = torch.class('nn.ParallelTable', 'nn.Container')

function ParallelTable:__init()
  parent.__init(self)
  self.output = {}
  self.gradInput = {}
end

function ParallelTable:updateOutput(input)
  if type(input) ~= 'table' or torch.isTensor(input) then
    error('nn.ParallelTable: expected a table of inputs, got ' .. torch.type(input), 3)
  end
  if #input < #self.modules then
    error(string.format('nn.ParallelTable: the input table has %d elements, expected %d (one per module)',
      #input, #self.modules), 3)
  end
  local out = {}
  for i, m in ipairs(self.modules) do
    out[i] = self:rethrowErrors(m, i, '_forward', input[i])
  end
  self.output = out
  return out
end

function ParallelTable:__tostring__()
  local tab, line, next, lastNext = '  ', '\n', '  |`-> ', '   `-> '
  local ext, extlast, last = '  |    ', '       ', '   ... -> '
  local str = torch.type(self) .. ' {' .. line .. tab .. 'input'
  for i = 1, #self.modules do
    local s = tostring(self.modules[i])
    if i == #self.modules then
      str = str .. line .. tab .. lastNext .. '(' .. i .. '): ' .. s:gsub(line, line .. tab .. extlast)
    else
      str = str .. line .. tab .. next .. '(' .. i .. '): ' .. s:gsub(line, line .. tab .. ext)
    end
  end
  return str .. line .. tab .. last .. 'output' .. line .. '}'
end

return ParallelTable
