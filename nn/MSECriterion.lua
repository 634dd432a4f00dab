-- nn.MSECriterion([sizeAverage]): the squared error sum((x - y)^2), divided by the number
-- of elements when sizeAverage (true by default; read at each forward).
local nn = require 'nn'
local MSECriterion, parent = torch.class('nn.MSECriterion', 'nn.Criterion')

function MSECriterion:__init(sizeAverage)
  parent.__init(self)
  self.sizeAverage = sizeAverage == nil and true or sizeAverage
end

function MSECriterion:updateOutput(input, target)
  local ok, loss = pcall(torch.mseLoss, input, target, self.sizeAverage and 'mean' or 'sum')
  if not ok then error(torch.typename(self) .. ': ' .. tostring(loss), 3) end
  return loss
end

return MSECriterion
