-- nn.CrossEntropyCriterion([weights[, sizeAverage[, ignoreIndex]]]): LogSoftMax and
-- ClassNLLCriterion in one (fused) step: input scores (C, or N x C), target 1-based class
-- indices; weights, ignoreIndex and sizeAverage as ClassNLLCriterion.
local nn = require 'nn'
require 'nn.ClassNLLCriterion'
local CrossEntropyCriterion, parent = torch.class('nn.CrossEntropyCriterion', 'nn.Criterion')

function CrossEntropyCriterion:__init(weights, sizeAverage, ignoreIndex)
  parent.__init(self)
  self.sizeAverage = sizeAverage == nil and true or sizeAverage
  self.weights = nn._checkWeights('nn.CrossEntropyCriterion', weights)
  self.ignoreIndex = ignoreIndex or -100
end

function CrossEntropyCriterion:updateOutput(input, target)
  local ok, loss = pcall(torch.crossEntropy, input, nn._classTargets('nn.CrossEntropyCriterion', target, input), {
    weight = self.weights, ignoreIndex = self.ignoreIndex,
    reduction = self.sizeAverage and 'mean' or 'sum' })
  if not ok then error(torch.typename(self) .. ': ' .. tostring(loss), 3) end
  return loss
end

return CrossEntropyCriterion
