-- nn.Bottle(module[, nInputDim[, nOutputDim]]): applies a module written for
-- nInputDim-dimensional input (2 by default: batch x features) to input with more
-- dimensions, by folding the leading dimensions into one batch dimension and unfolding
-- the output (nOutputDim dimensions, nInputDim by default) again (Torch7's Bottle).
local nn = require 'nn'
local Bottle, parent = torch.class('nn.Bottle', 'nn.Container')

function Bottle:__init(module, nInputDim, nOutputDim)
  parent.__init(self)
  self.nInputDim = nInputDim or 2
  self.nOutputDim = nOutputDim or self.nInputDim
  self.dimDelta = self.nInputDim - self.nOutputDim
  self.modules[1] = module
end

function Bottle:updateOutput(input)
  if not torch.isTensor(input) then error('nn.Bottle: expected a tensor input, got ' .. torch.type(input), 3) end
  local idim = input:dim()
  if idim < self.nInputDim then
    error(string.format('nn.Bottle: the input has %d dimensions, expected at least %d', idim, self.nInputDim), 3)
  end
  if idim == self.nInputDim then
    self.output = self:rethrowErrors(self.modules[1], 1, '_forward', input)
    return self.output
  end
  local sz = input:size():totable()
  local lead = {}
  local nb = 1
  for i = 1, idim - self.nInputDim + 1 do lead[i] = sz[i]; nb = nb * sz[i] end
  local rest = { nb }
  for i = idim - self.nInputDim + 2, idim do rest[#rest + 1] = sz[i] end
  local x = input:isContiguous() and input or input:contiguous()
  local y = self:rethrowErrors(self.modules[1], 1, '_forward', x:view(table.unpack(rest)))
  if not torch.isTensor(y) or y:dim() ~= self.nOutputDim then
    error(string.format('nn.Bottle: the module gave %s, expected %d dimensions', torch.isTensor(y) and
      (y:dim() .. ' dimensions') or torch.type(y), self.nOutputDim), 3)
  end
  local osz = y:size():totable()
  local out = {}
  for i = 1, #lead do out[i] = lead[i] end
  for i = 2, #osz do out[#out + 1] = osz[i] end
  local yc = y:isContiguous() and y or y:contiguous()
  self.output = yc:view(table.unpack(out))
  return self.output
end


return Bottle
