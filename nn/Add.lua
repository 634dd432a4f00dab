-- nn.Add(inputSize[, scalar]): output = input + b with a learnable bias b of inputSize
-- (a number or a LongStorage of sizes), or one scalar bias when scalar is true (Torch7's
-- Add). A batch input (batch x inputSize) gets the same bias for every sample. reset:
-- uniform in [-1/sqrt(n), 1/sqrt(n)], n the bias's first size.
local nn = require 'nn'
local Add, parent = torch.class('nn.Add', 'nn.Module')

function Add:__init(inputSize, scalar)
  parent.__init(self)
  local size = inputSize
  if scalar then size = 1 end
  if not (type(size) == 'number' and size >= 1) and torch.typename(size) ~= 'torch.LongStorage' then
    error('nn.Add(inputSize, scalar): expected a positive size, got ' .. tostring(inputSize), 2)
  end
  self.scalar = scalar
  self.bias = torch.Tensor(size)
  self.gradBias = torch.Tensor(size):zero()
  self:reset()
  self:_linkGrads()
end

function Add:reset(stdv)
  stdv = stdv and stdv * math.sqrt(3) or 1 / math.sqrt(self.bias:size(1))
  torch.noGrad(function() self.bias:uniform(-stdv, stdv) end)
  return self
end

local function sizestr(t) return table.concat(t:size():totable(), 'x') end

function Add:updateOutput(input)
  if not torch.isTensor(input) then error('nn.Add: expected a tensor input, got ' .. torch.type(input), 3) end
  local b = self.bias
  if self.scalar then
    self.output = torch.add(input, input:dim() == 0 and b:view() or b)
  elseif input:isSameSizeAs(b) then
    self.output = torch.add(input, b)
  elseif input:nElement() == b:nElement() then
    self.output = torch.add(input, b:view(input:size()))
  elseif input:dim() >= 1 and input:nElement() == input:size(1) * b:nElement() then
    local n = input:size(1)
    self.output = torch.add(input:reshape(n, b:nElement()), b:view(1, b:nElement())):view(input:size())
  else
    error(string.format('nn.Add: input of size %s does not match the bias of size %s (or batch x that)',
      sizestr(input), sizestr(b)), 3)
  end
  return self.output
end

return Add
