-- nn.SmoothL1Criterion([sizeAverage]): the Huber loss, 0.5 d^2 where |d| < 1, |d| - 0.5
-- elsewhere (d = x - y), averaged over the elements when sizeAverage (true by default).
local nn = require 'nn'
local SmoothL1Criterion, parent = torch.class('nn.SmoothL1Criterion', 'nn.Criterion')

function SmoothL1Criterion:__init(sizeAverage)
  parent.__init(self)
  self.sizeAverage = sizeAverage == nil and true or sizeAverage
end

function SmoothL1Criterion:updateOutput(input, target)
  local ok, loss = pcall(torch.smoothL1Loss, input, target, self.sizeAverage and 'mean' or 'sum', 1)
  if not ok then error(torch.typename(self) .. ': ' .. tostring(loss), 3) end
  return loss
end

return SmoothL1Criterion
