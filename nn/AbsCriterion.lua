-- nn.AbsCriterion([sizeAverage]): sum(|x - y|), divided by the number of elements when
-- sizeAverage (true by default).
local nn = require 'nn'
local AbsCriterion, parent = torch.class('nn.AbsCriterion', 'nn.Criterion')

function AbsCriterion:__init(sizeAverage)
  parent.__init(self)
  self.sizeAverage = sizeAverage == nil and true or sizeAverage
end

function AbsCriterion:updateOutput(input, target)
  local ok, loss = pcall(torch.l1Loss, input, target, self.sizeAverage and 'mean' or 'sum')
  if not ok then error(torch.typename(self) .. ': ' .. tostring(loss), 3) end
  return loss
end

return AbsCriterion
