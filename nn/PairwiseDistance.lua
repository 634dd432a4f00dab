-- nn.PairwiseDistance(p): the p-norm distance ||a - b||_p between the two tensors of the
-- input table {a, b} (Torch7's PairwiseDistance): vectors give a 1-element tensor,
-- batches (n x d) a vector of n. (The gradient is undefined where a = b.)
local nn = require 'nn'
local PairwiseDistance, parent = torch.class('nn.PairwiseDistance', 'nn.Module')

function PairwiseDistance:__init(p)
  parent.__init(self)
  if type(p) ~= 'number' or p <= 0 then error('nn.PairwiseDistance(p): expected a positive norm, got ' .. tostring(p), 2) end
  self.norm = p
  self.gradInput = { torch.Tensor(), torch.Tensor() }
end

function PairwiseDistance:updateOutput(input)
  if type(input) ~= 'table' or torch.isTensor(input) or #input ~= 2 then
    error('nn.PairwiseDistance: expected a table of two tensors, got ' .. torch.type(input), 3)
  end
  local a, b = input[1], input[2]
  if not (torch.isTensor(a) and torch.isTensor(b)) or not a:isSameSizeAs(b) or a:dim() < 1 or a:dim() > 2 then
    error('nn.PairwiseDistance: expected two vectors or two matrices (batch x d) of the same size', 3)
  end
  if a:dim() == 1 then a, b = a:view(1, -1), b:view(1, -1) end
  self.output = torch.norm(torch.csub(a, b), self.norm, 2):view(a:size(1))
  return self.output
end

return PairwiseDistance
