-- nn.Euclidean(inputSize, outputSize): y_j = || w_j - x ||, the distances from the input
-- to outputSize learnable centres w_j (the columns of weight, inputSize x outputSize);
-- input a vector or a batch (batch x inputSize) (Torch7's Euclidean). reset: uniform in
-- [-1/sqrt(inputSize), 1/sqrt(inputSize)]. (The gradient is undefined where x = w_j.)
local nn = require 'nn'
local Euclidean, parent = torch.class('nn.Euclidean', 'nn.Module')

function Euclidean:__init(inputSize, outputSize)
  parent.__init(self)
  if type(inputSize) ~= 'number' or type(outputSize) ~= 'number' or inputSize < 1 or outputSize < 1 then
    error('nn.Euclidean(inputSize, outputSize): expected positive sizes', 2)
  end
  self.weight = torch.Tensor(inputSize, outputSize)
  self.gradWeight = torch.Tensor(inputSize, outputSize):zero()
  self:reset()
  self:_linkGrads()
end

function Euclidean:reset(stdv)
  stdv = stdv and stdv * math.sqrt(3) or 1 / math.sqrt(self.weight:size(1))
  torch.noGrad(function() self.weight:uniform(-stdv, stdv) end)
  return self
end

function Euclidean:updateOutput(input)
  local inputSize, outputSize = self.weight:size(1), self.weight:size(2)
  if not torch.isTensor(input) then error('nn.Euclidean: expected a tensor input, got ' .. torch.type(input), 3) end
  if input:dim() == 1 and input:size(1) == inputSize then
    local d = torch.csub(input:view(inputSize, 1):expand(inputSize, outputSize), self.weight)
    self.output = torch.norm(d, 2, 1):view(outputSize)
  elseif input:dim() == 2 and input:size(2) == inputSize then
    local n = input:size(1)
    local d = torch.csub(input:contiguous():view(n, inputSize, 1):expand(n, inputSize, outputSize),
      self.weight:view(1, inputSize, outputSize):expand(n, inputSize, outputSize))
    self.output = torch.norm(d, 2, 2):view(n, outputSize)
  else
    error(string.format('nn.Euclidean: expected an input of %d or batch x %d, got %s', inputSize, inputSize,
      table.concat(input:size():totable(), 'x')), 3)
  end
  return self.output
end

return Euclidean
