-- nn.ClassNLLCriterion([weights[, sizeAverage[, ignoreIndex]]]): the negative log
-- likelihood of the target classes, input log-probabilities (C, or N x C), target 1-based
-- class indices (a number for one sample, or a tensor of N). weights (one per class) weigh
-- each sample by its class; a target equal to ignoreIndex (-100 by default) counts for
-- nothing. sizeAverage (true by default; read at each forward) divides by the sum of the
-- weights of the counted targets, else the losses are summed.
local nn = require 'nn'
local ClassNLLCriterion, parent = torch.class('nn.ClassNLLCriterion', 'nn.Criterion')

-- targets as the engine takes them: N x 1 tensors flattened; a number for a batch of one
-- sample (1 x C input, as Torch7's squeeze allowed) as a one-element tensor
function nn._classTargets(name, target, input)
  if torch.isTensor(target) then
    if target:dim() > 1 then
      -- an N x 1 (or 1 x N) column of classes is flattened; more is several targets a sample
      local big = 0
      for d = 1, target:dim() do if target:size(d) > 1 then big = big + 1 end end
      if big > 1 then
        error(string.format('%s: multi-target not supported (the target must hold one class per sample, ' ..
                            'a 1-D tensor; got %s)', name, table.concat(target:size():totable(), 'x')), 4)
      end
      target = target:reshape(target:nElement())
    end
    return target
  end
  if type(target) ~= 'number' then
    error(string.format('%s: the target must be a tensor of class indices or a number, got %s', name, type(target)), 4)
  end
  if input and input:dim() == 2 and input:size(1) == 1 then
    -- (on the input's device: a CUDA input takes CUDA targets)
    if input:type():find('^torch%.Cuda') then return input.new(1):type('torch.CudaLongTensor'):fill(target) end
    return torch.LongTensor{ target }
  end
  return target
end

function nn._checkWeights(name, weights)
  if weights ~= nil and not (torch.isTensor(weights) and weights:dim() == 1) then
    error(name .. ': weights must be a 1-D tensor (one weight per class)', 4)
  end
  return weights
end

function ClassNLLCriterion:__init(weights, sizeAverage, ignoreIndex)
  parent.__init(self)
  self.sizeAverage = sizeAverage == nil and true or sizeAverage
  self.weights = nn._checkWeights('nn.ClassNLLCriterion', weights)
  self.ignoreIndex = ignoreIndex or -100
end

function ClassNLLCriterion:updateOutput(input, target)
  local ok, loss = pcall(torch.nllLoss, input, nn._classTargets('nn.ClassNLLCriterion', target, input), {
    weight = self.weights, ignoreIndex = self.ignoreIndex,
    reduction = self.sizeAverage and 'mean' or 'sum' })
  if not ok then error(torch.typename(self) .. ': ' .. tostring(loss), 3) end
  return loss
end

return ClassNLLCriterion
