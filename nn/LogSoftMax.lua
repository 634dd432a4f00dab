-- nn.LogSoftMax(): log-softmax over the feature dimension (the dims of nn.SoftMax).
local nn = require 'nn'
require 'nn.SoftMax'
local LogSoftMax, parent = torch.class('nn.LogSoftMax', 'nn.Module')

function LogSoftMax:updateOutput(input)
  local ok, out = pcall(torch.logSoftmax, input, nn._softmaxDim('nn.LogSoftMax', input))
  if not ok then error(torch.typename(self) .. ': ' .. tostring(out), 3) end
  self.output = out
  return self.output
end

return LogSoftMax
