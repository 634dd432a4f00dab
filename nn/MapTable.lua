-- nn.MapTable(module[, shared]): the same module applied to every element of the input
-- table; the output is the table of the results (Torch7's MapTable). With shared (the
-- default) every element goes through the one module (so its parameters are shared and
-- their gradients summed); with shared false, through independent clones.
local nn = require 'nn'
local MapTable, parent = torch.class('nn.MapTable', 'nn.Container')

function MapTable:__init(module, shared)
  parent.__init(self)
  self.shared = (shared == nil) and true or shared
  self.output = {}
  self.gradInput = {}
  if module then self:add(module) end
end

function MapTable:add(module)
  if self.module then error('nn.MapTable: a single module is required', 2) end
  parent.add(self, module)
  self.module = module
  return self
end

function MapTable:updateOutput(input)
  if not self.module then error('nn.MapTable: no module to map', 3) end
  if type(input) ~= 'table' or torch.isTensor(input) then
    error('nn.MapTable: expected a table input, got ' .. torch.type(input), 3)
  end
  local out = {}
  for i = 1, #input do
    local m = self.module
    if not self.shared then
      if not self.modules[i] then self.modules[i] = self.module:clone() end
      m = self.modules[i]
    end
    out[i] = self:rethrowErrors(m, i, '_forward', input[i])
  end
  self.output = out
  return out
end

-- the module applied to element i of the last input: Torch7 keeps one clone an element
-- (sharing the parameters); shared here, that is the one module for every element seen
function MapTable:get(index)
  if self.shared and self.module and math.type(index) == 'integer' and index >= 1
     and index <= math.max(#self.output, 1) then
    return self.module
  end
  return self.modules[index]
end

function MapTable:clearState()
  for i = 2, #self.modules do self.modules[i] = nil end
  return parent.clearState(self)
end

function MapTable:__tostring__()
  local tab, line, extlast = '  ', '\n', '      '
  local str = torch.type(self)
  if self.module then
    str = str .. ' {' .. line .. tab .. tostring(self.module):gsub(line, line .. tab .. extlast) .. line .. '}'
  else
    str = str .. ' { }'
  end
  return str
end

return MapTable
