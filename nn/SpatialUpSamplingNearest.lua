-- nn.SpatialUpSamplingNearest(scale): nearest-neighbour up-sampling of the last two dims
-- of an input of nInputPlane x H x W or batch x nInputPlane x H x W by an integer factor
-- (the output is H*scale x W*scale; Torch7's module). Computed by torch.upsampleNearest2d
-- (recorded for autograd: the gradient sums each scale x scale block).
local nn = require 'nn'
local SpatialUpSamplingNearest, parent = torch.class('nn.SpatialUpSamplingNearest', 'nn.Module')

function SpatialUpSamplingNearest:__init(scale)
  parent.__init(self)
  if type(scale) ~= 'number' then
    error('nn.SpatialUpSamplingNearest: scale_factor must be a number, got ' .. type(scale), 2)
  end
  if scale < 1 then error('nn.SpatialUpSamplingNearest: scale_factor must be greater than 1', 2) end
  if math.floor(scale) ~= scale then error('nn.SpatialUpSamplingNearest: scale_factor must be integer', 2) end
  self.scale_factor = scale
end

function SpatialUpSamplingNearest:updateOutput(input)
  local name = torch.typename(self)
  if not torch.isTensor(input) or (input:dim() ~= 3 and input:dim() ~= 4) then
    error(name .. ': SpatialUpSamplingNearest only support 3D or 4D tensors', 3)
  end
  local ok, out = pcall(torch.upsampleNearest2d, input, self.scale_factor)
  if not ok then error(name .. ': ' .. tostring(out), 3) end
  self.output = out
  return self.output
end

return SpatialUpSamplingNearest
