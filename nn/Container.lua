-- nn.Container: a module holding others in self.modules (Torch7's Container).
local nn = require 'nn'
local Container, parent = torch.class('nn.Container', 'nn.Module')

function Container:__init(...)
  parent.__init(self, ...)
  self.modules = {}
end

function Container:add(module)
  if type(module) ~= 'table' or not torch.isTypeOf(module, 'nn.Module') then
    error(torch.typename(self) .. ':add: expected an nn module, got ' .. (torch.typename(module) or type(module)), 2)
  end
  table.insert(self.modules, module)
  return self
end

function Container:get(index)
  return self.modules[index]
end

function Container:size()
  return #self.modules
end

function Container:insert(module, index)
  index = index or (#self.modules + 1)
  if index < 1 or index > #self.modules + 1 then
    error(string.format('%s:insert: index %d out of range (1 to %d)', torch.typename(self), index, #self.modules + 1), 2)
  end
  table.insert(self.modules, index, module)
  return self
end

function Container:remove(index)
  index = index or #self.modules
  if index < 1 or index > #self.modules then
    error(string.format('%s:remove: index %d out of range (1 to %d)', torch.typename(self), index, #self.modules), 2)
  end
  return table.remove(self.modules, index)
end

-- the children's parameters, concatenated
function Container:parameters()
  local w, gw = {}, {}
  for _, m in ipairs(self.modules) do
    local mw, mgw = m:parameters()
    if mw then
      for i = 1, #mw do
        w[#w + 1] = mw[i]
        gw[#gw + 1] = mgw[i]
      end
    end
  end
  return w, gw
end

function Container:zeroGradParameters()
  for _, m in ipairs(self.modules) do m:zeroGradParameters() end
end

function Container:updateParameters(lr)
  for _, m in ipairs(self.modules) do m:updateParameters(lr) end
end

return Container
