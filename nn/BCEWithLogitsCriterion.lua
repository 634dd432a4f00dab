-- nn.BCEWithLogitsCriterion([weights[, sizeAverage[, posWeight]]]): BCECriterion of
-- sigmoid(x), computed stably from the scores x; posWeight weighs the positive targets
-- (one per class, broadcast against the input).
local nn = require 'nn'
local BCEWithLogitsCriterion, parent = torch.class('nn.BCEWithLogitsCriterion', 'nn.Criterion')

function BCEWithLogitsCriterion:__init(weights, sizeAverage, posWeight)
  parent.__init(self)
  if (weights ~= nil and not torch.isTensor(weights)) or (posWeight ~= nil and not torch.isTensor(posWeight)) then
    error('nn.BCEWithLogitsCriterion([weights[, sizeAverage[, posWeight]]]): weights must be tensors', 2)
  end
  self.weights = weights
  self.posWeight = posWeight
  self.sizeAverage = sizeAverage == nil and true or sizeAverage
end

function BCEWithLogitsCriterion:updateOutput(input, target)
  local ok, loss = pcall(torch.bceWithLogits, input, target, self.weights, self.posWeight, self.sizeAverage and 'mean' or 'sum')
  if not ok then error(torch.typename(self) .. ': ' .. tostring(loss), 3) end
  return loss
end

return BCEWithLogitsCriterion
