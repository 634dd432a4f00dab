-- nn.KLDivCriterion([sizeAverage]): the Kullback-Leibler divergence of input
-- log-probabilities from target probabilities, sum(t (log t - x)) over t > 0, averaged
-- over the elements when sizeAverage (true by default).
local nn = require 'nn'
local KLDivCriterion, parent = torch.class('nn.KLDivCriterion', 'nn.Criterion')

function KLDivCriterion:__init(sizeAverage)
  parent.__init(self)
  self.sizeAverage = sizeAverage == nil and true or sizeAverage
end

function KLDivCriterion:updateOutput(input, target)
  local ok, loss = pcall(torch.klDiv, input, target, self.sizeAverage and 'mean' or 'sum')
  if not ok then error(torch.typename(self) .. ': ' .. tostring(loss), 3) end
  return loss
end

return KLDivCriterion
