-- nn.SoftMax(): softmax over the feature dimension, as Torch7: 1-D input over dim 1, 2-D
-- (batch x features) over dim 2, 3-D (features x h x w) over dim 1, 4-D (batch x features
-- x h x w) over dim 2.
local nn = require 'nn'
local SoftMax, parent = torch.class('nn.SoftMax', 'nn.Module')

local dims = { 1, 2, 1, 2 }
function nn._softmaxDim(name, input)
  local d = dims[input:dim()]
  if not d then
    error(string.format('%s: 1D, 2D, 3D or 4D tensor expected, got %dD', name, input:dim()), 4)
  end
  return d
end

function SoftMax:updateOutput(input)
  local ok, out = pcall(torch.softmax, input, nn._softmaxDim('nn.SoftMax', input))
  if not ok then error(torch.typename(self) .. ': ' .. tostring(out), 3) end
  self.output = out
  return self.output
end

return SoftMax
