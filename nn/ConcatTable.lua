-- nn.ConcatTable(): every module gets the same input (a tensor or a table); the output
-- is the table of their outputs (Torch7's ConcatTable).
local nn = require 'nn'
local ConcatTable, parent = torch.class('nn.ConcatTable', 'nn.Container')

function ConcatTable:__init()
  parent.__init(self)
  self.output = {}
end

function ConcatTable:updateOutput(input)
  local out = {}
  for i, m in ipairs(self.modules) do
    out[i] = self:rethrowErrors(m, i, '_forward', input)
  end
  self.output = out
  return out
end

function ConcatTable:__tostring__()
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

return ConcatTable
