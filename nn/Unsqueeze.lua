-- nn.Unsqueeze(pos[, numInputDims]): inserts a singleton dimension at pos (Torch7's
-- Unsqueeze). With numInputDims, leading dimensions beyond numInputDims are batch
-- dimensions and pos counts after them. (Torch7 also remembers the first input's
-- dimension count as numInputDims when none was given; here an unset numInputDims means
-- "no batch dimensions" for every input.)
local nn = require 'nn'
local Unsqueeze, parent = torch.class('nn.Unsqueeze', 'nn.Module')

function Unsqueeze:__init(pos, numInputDims)
  parent.__init(self)
  if type(pos) ~= 'number' then error('nn.Unsqueeze(pos, numInputDims): the position is not specified', 2) end
  self.pos = pos
  self:setNumInputDims(numInputDims)
end

function Unsqueeze:setNumInputDims(numInputDims)
  self.numInputDims = numInputDims
  return self
end

function Unsqueeze:_getActualPosition(input)
  local inputDim = input:dim()
  local numInputDims = self.numInputDims or inputDim
  local offsetDim = inputDim - numInputDims
  if offsetDim < 0 then
    error(string.format('nn.Unsqueeze: numInputDims (%d) must be <= input:dim() (%d)', numInputDims, inputDim), 4)
  end
  local actualPos = self.pos + offsetDim
  if actualPos < 1 or actualPos > inputDim + 1 then
    error(string.format('nn.Unsqueeze: invalid position %d: input:dim() is %d, numInputDims is %d',
      self.pos, inputDim, numInputDims), 4)
  end
  return actualPos
end

function Unsqueeze:updateOutput(input)
  if not torch.isTensor(input) then error('nn.Unsqueeze: expected a tensor input, got ' .. torch.type(input), 3) end
  self.output = input:unsqueeze(self:_getActualPosition(input))
  return self.output
end


return Unsqueeze
