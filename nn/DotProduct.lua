-- nn.DotProduct(): the dot product of the two tensors of the input table {a, b} (Torch7's
-- DotProduct): vectors give a 1-element tensor, batches (n x d) a vector of n.
local nn = require 'nn'
local DotProduct, parent = torch.class('nn.DotProduct', 'nn.Module')

function DotProduct:__init()
  parent.__init(self)
  self.gradInput = { torch.Tensor(), torch.Tensor() }
end

function DotProduct:updateOutput(input)
  if type(input) ~= 'table' or torch.isTensor(input) or #input ~= 2 then
    error('nn.DotProduct: expected a table of two tensors, got ' .. torch.type(input), 3)
  end
  local a, b = input[1], input[2]
  if not (torch.isTensor(a) and torch.isTensor(b)) or not a:isSameSizeAs(b) or a:dim() < 1 or a:dim() > 2 then
    error('nn.DotProduct: expected two vectors or two matrices (batch x d) of the same size', 3)
  end
  if a:dim() == 1 then a, b = a:view(1, -1), b:view(1, -1) end
  self.output = torch.sum(torch.cmul(a, b), 2):view(a:size(1))
  return self.output
end

return DotProduct
