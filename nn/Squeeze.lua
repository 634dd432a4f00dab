-- nn.Squeeze([dim[, numInputDims]]): removes the singleton dimension dim, or every
-- singleton dimension (Torch7's Squeeze). With numInputDims, an input of numInputDims + 1
-- dimensions is a batch: dim counts after the batch dimension, and a batch of one keeps
-- its batch dimension.
local nn = require 'nn'
local Squeeze, parent = torch.class('nn.Squeeze', 'nn.Module')

function Squeeze:__init(dim, numInputDims)
  parent.__init(self)
  if dim ~= nil and not (type(dim) == 'number' and math.tointeger(dim)) then
    error(string.format('nn.Squeeze: dim must be an integer, got %s', torch.type(dim)), 2)
  end
  self.dim = dim
  self:setNumInputDims(numInputDims)
end

function Squeeze:setNumInputDims(numInputDims)
  if numInputDims ~= nil and not (type(numInputDims) == 'number' and math.tointeger(numInputDims)) then
    error(string.format('nn.Squeeze: numInputDims must be an integer, got %s', torch.type(numInputDims)), 2)
  end
  self.numInputDims = numInputDims
  return self
end

function Squeeze:updateOutput(input)
  if not torch.isTensor(input) then error('nn.Squeeze: expected a tensor input, got ' .. torch.type(input), 3) end
  local dim = self.dim
  local addone = false
  if self.numInputDims and input:dim() == (self.numInputDims + 1) then
    if dim then
      dim = dim + 1
    elseif input:size(1) == 1 then
      addone = true -- a batch of one sample
    end
  end
  if dim and (dim < 1 or dim > input:dim()) then
    error(string.format('nn.Squeeze: dimension %d out of range for a %d-D input', dim, input:dim()), 3)
  end
  local out = dim and input:squeeze(dim) or input:squeeze()
  if addone then out = out:unsqueeze(1) end
  self.output = out
  return self.output
end

return Squeeze
