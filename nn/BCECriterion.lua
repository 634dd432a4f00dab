-- nn.BCECriterion([weights[, sizeAverage]]): the binary cross-entropy
-- -w (t log p + (1 - t) log(1 - p)) of probabilities p (logs clamped at -100); weights
-- broadcast against the input (one per feature of a batch); averaged when sizeAverage.
local nn = require 'nn'
local BCECriterion, parent = torch.class('nn.BCECriterion', 'nn.Criterion')

function BCECriterion:__init(weights, sizeAverage)
  parent.__init(self)
  if weights ~= nil and not torch.isTensor(weights) then
    error('nn.BCECriterion([weights[, sizeAverage]]): weights must be a tensor', 2)
  end
  self.weights = weights
  self.sizeAverage = sizeAverage == nil and true or sizeAverage
end

function BCECriterion:updateOutput(input, target)
  local ok, loss = pcall(torch.bceLoss, input, target, self.weights, self.sizeAverage and 'mean' or 'sum')
  if not ok then error(torch.typename(self) .. ': ' .. tostring(loss), 3) end
  return loss
end

return BCECriterion
