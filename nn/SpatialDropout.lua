-- nn.SpatialDropout([p, stochasticInference]): zeroes whole planes: one draw per
-- (sample, plane) of a batch x nPlanes x H x W (or nPlanes x H x W) input, with
-- probability p (0.5 by default), while training (Torch7's module, which does not rescale
-- in training and multiplies by (1-p) in evaluation). The mask (self.noise, batch x
-- nPlanes x 1 x 1) comes from torch's generator; computed by torch.spatialDropout
-- (recorded: backward uses the same mask).
local nn = require 'nn'
local SpatialDropout, parent = torch.class('nn.SpatialDropout', 'nn.Module')

function SpatialDropout:__init(p, stochasticInference)
  parent.__init(self)
  self.p = p or 0.5
  self.train = true
  self.stochastic_inference = stochasticInference or false
  if type(self.p) ~= 'number' or self.p >= 1 or self.p < 0 then
    error('nn.SpatialDropout: illegal percentage, must be 0 <= p < 1', 2)
  end
  self.noise = torch.Tensor()
end

function SpatialDropout:updateOutput(input)
  local name = torch.typename(self)
  if not torch.isTensor(input) or (input:dim() ~= 3 and input:dim() ~= 4) then
    error(name .. ': Input must be 4D (nbatch, nfeat, h, w) or 3D (nfeat, h, w)', 3)
  end
  if self.train or self.stochastic_inference then
    local ok, out, mask = pcall(torch.spatialDropout, input, self.p, true, false, false)
    if not ok then error(name .. ': ' .. tostring(out), 3) end
    self.output, self.noise = out, mask
  elseif self.p > 0 then
    self.output = input * (1 - self.p)
  else
    self.output = input
  end
  return self.output
end

function SpatialDropout:setp(p)
  self.p = p
end

function SpatialDropout:clearState()
  self.noise = torch.Tensor()
  return parent.clearState(self)
end

function SpatialDropout:__tostring__()
  return string.format('%s(%f)', torch.type(self), self.p)
end

return SpatialDropout
