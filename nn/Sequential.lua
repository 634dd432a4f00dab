-- nn.Sequential: modules applied one after the other (Torch7's Sequential).
local nn = require 'nn'
local Sequential, parent = torch.class('nn.Sequential', 'nn.Container')

function Sequential:updateOutput(input)
  local current = input
  for i, m in ipairs(self.modules) do
    current = self:rethrowErrors(m, i, '_forward', current)
  end
  self.output = current
  return current
end

function Sequential:__tostring__()
  local tab, line, next = '  ', '\n', ' -> '
  local str = 'nn.Sequential {' .. line .. tab .. '[input'
  for i = 1, #self.modules do str = str .. next .. '(' .. i .. ')' end
  str = str .. next .. 'output]'
  for i, m in ipairs(self.modules) do
    str = str .. line .. tab .. '(' .. i .. '): ' .. tostring(m):gsub(line, line .. tab)
  end
  return str .. line .. '}'
end

return Sequential
