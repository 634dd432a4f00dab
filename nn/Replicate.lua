-- nn.Replicate(nFeatures[, dim[, nDim]]): the input repeated nFeatures times along a new
-- dimension dim (1 by default), as an expanded view without copying (Torch7's Replicate);
-- with nDim, an input of more than nDim dimensions is a batch and dim is counted after
-- the batch dimension.
local nn = require 'nn'
local Replicate, parent = torch.class('nn.Replicate', 'nn.Module')

function Replicate:__init(nf, dim, ndim)
  parent.__init(self)
  if type(nf) ~= 'number' or nf < 1 then
    error('nn.Replicate(nFeatures, dim, nDim): nFeatures must be a positive number, got ' .. tostring(nf), 2)
  end
  self.nfeatures = nf
  self.dim = dim or 1
  self.ndim = ndim
  if self.dim <= 0 then error('nn.Replicate: can only replicate across positive integer dimensions', 2) end
end

function Replicate:updateOutput(input)
  if not torch.isTensor(input) then error('nn.Replicate: expected a tensor input, got ' .. torch.type(input), 3) end
  local batchOffset = (self.ndim and input:dim() > self.ndim) and 1 or 0
  local rdim = self.dim + batchOffset
  if rdim > input:dim() + 1 then
    error(string.format('nn.Replicate: not enough input dimensions (%d) to replicate along dimension %d',
      input:dim(), self.dim), 3)
  end
  local sz = input:size():totable()
  table.insert(sz, rdim, self.nfeatures)
  self.output = input:unsqueeze(rdim):expand(table.unpack(sz))
  return self.output
end

return Replicate
