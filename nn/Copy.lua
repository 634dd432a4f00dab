-- nn.Copy(intype, outtype[, forceCopy[, dontCast]]): the input converted to outtype (a
-- type name such as 'torch.FloatTensor'); gradients are converted back (Torch7's Copy).
-- When the types are equal the input is passed through, or copied with forceCopy.
-- dontCast: module:type() leaves the module's types alone.
local nn = require 'nn'
local Copy, parent = torch.class('nn.Copy', 'nn.Module')

function Copy:__init(intype, outtype, forceCopy, dontCast)
  intype = intype or torch.Tensor.__typename
  outtype = outtype or torch.Tensor.__typename
  self.dontCast = dontCast
  parent.__init(self)
  self.intype, self.outtype = intype, outtype
  self.forceCopy = forceCopy
end

function Copy:updateOutput(input)
  if not torch.isTensor(input) then error('nn.Copy: expected a tensor input, got ' .. torch.type(input), 3) end
  if input:type() == self.outtype then
    self.output = self.forceCopy and input:clone() or input
  else
    self.output = input:type(self.outtype)
  end
  return self.output
end

function Copy:type(type, memo)
  if type and self.dontCast then return self end
  return parent.type(self, type, memo)
end

return Copy
