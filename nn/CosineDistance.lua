-- nn.CosineDistance(): the cosine similarity a.b / (||a|| ||b||) of the two tensors of the
-- input table {a, b} (Torch7's CosineDistance, which adds 1e-12 to the squared norms):
-- vectors give a 1-element tensor, batches (n x d) a vector of n.
local nn = require 'nn'
local CosineDistance, parent = torch.class('nn.CosineDistance', 'nn.Module')

function CosineDistance:__init()
  parent.__init(self)
  self.gradInput = { torch.Tensor(), torch.Tensor() }
end

function CosineDistance:updateOutput(input)
  if type(input) ~= 'table' or torch.isTensor(input) or #input ~= 2 then
    error('nn.CosineDistance: expected a table of two tensors, got ' .. torch.type(input), 3)
  end
  local a, b = input[1], input[2]
  if not (torch.isTensor(a) and torch.isTensor(b)) or not a:isSameSizeAs(b) or a:dim() < 1 or a:dim() > 2 then
    error('nn.CosineDistance: expected two vectors or two matrices (batch x d) of the same size', 3)
  end
  if a:dim() == 1 then a, b = a:view(1, -1), b:view(1, -1) end
  local w1 = torch.sum(torch.cmul(a, b), 2)
  local w2 = torch.add(torch.sum(torch.cmul(a, a), 2), 1e-12)
  local w3 = torch.add(torch.sum(torch.cmul(b, b), 2), 1e-12)
  self.output = torch.cdiv(w1, torch.sqrt(torch.cmul(w2, w3))):view(a:size(1))
  return self.output
end

return CosineDistance
