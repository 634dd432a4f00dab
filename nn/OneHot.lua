-- nn.OneHot(outputSize): class indices (1..outputSize, a tensor of any shape) as one-hot
-- vectors: the output has the input's sizes plus one of outputSize (Torch7's OneHot). The
-- output type follows module:type() (FloatTensor by default); no gradient flows back.
local nn = require 'nn'
local OneHot, parent = torch.class('nn.OneHot', 'nn.Module')

function OneHot:__init(outputSize)
  parent.__init(self)
  if type(outputSize) ~= 'number' or outputSize < 1 then
    error('nn.OneHot(outputSize): expected a positive size, got ' .. tostring(outputSize), 2)
  end
  self.outputSize = outputSize
end

function OneHot:updateOutput(input)
  if not torch.isTensor(input) then error('nn.OneHot: expected a tensor of indices, got ' .. torch.type(input), 3) end
  local idx = input:long()
  if idx:nElement() > 0 and (idx:min() < 1 or idx:max() > self.outputSize) then
    error(string.format('nn.OneHot: indices must be in 1..%d, got %d..%d', self.outputSize, idx:min(), idx:max()), 3)
  end
  local n = idx:nElement()
  local proto = (self.output and torch.isTensor(self.output)) and self.output or torch.Tensor()
  local out = torch.noGrad(function()
    local o = proto.new(n, self.outputSize):zero()
    -- (the indices go to the output's device: a CudaLongTensor after :cuda())
    local ix = o:type():find('^torch%.Cuda') and idx:type('torch.CudaLongTensor') or idx
    if n > 0 then o:scatter(2, ix:contiguous():view(n, 1), 1) end
    return o
  end)
  local sz = input:size():totable()
  sz[#sz + 1] = self.outputSize
  self.output = out:view(table.unpack(sz))
  return self.output
end

return OneHot
