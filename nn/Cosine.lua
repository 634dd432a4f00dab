-- nn.Cosine(inputSize, outputSize): y_j = w_j . x / (||w_j|| ||x||), the cosine
-- similarity of the input (a vector or a batch x inputSize) with outputSize learnable
-- vectors w_j (the rows of weight, outputSize x inputSize); Torch7's Cosine, with 1e-12
-- added to the norms. reset: uniform in [-1/sqrt(outputSize), 1/sqrt(outputSize)].
local nn = require 'nn'
local Cosine, parent = torch.class('nn.Cosine', 'nn.Module')

function Cosine:__init(inputSize, outputSize)
  parent.__init(self)
  if type(inputSize) ~= 'number' or type(outputSize) ~= 'number' or inputSize < 1 or outputSize < 1 then
    error('nn.Cosine(inputSize, outputSize): expected positive sizes', 2)
  end
  self.weight = torch.Tensor(outputSize, inputSize)
  self.gradWeight = torch.Tensor(outputSize, inputSize):zero()
  self:reset()
  self:_linkGrads()
end

function Cosine:reset(stdv)
  stdv = stdv and stdv * math.sqrt(3) or 1 / math.sqrt(self.weight:size(1))
  torch.noGrad(function() self.weight:uniform(-stdv, stdv) end)
  return self
end

function Cosine:updateOutput(input)
  local outputSize, inputSize = self.weight:size(1), self.weight:size(2)
  if not torch.isTensor(input) then error('nn.Cosine: expected a tensor input, got ' .. torch.type(input), 3) end
  local x = input
  if x:dim() == 1 and x:size(1) == inputSize then
    x = x:view(1, inputSize)
  elseif not (x:dim() == 2 and x:size(2) == inputSize) then
    error(string.format('nn.Cosine: expected an input of %d or batch x %d, got %s', inputSize, inputSize,
      table.concat(input:size():totable(), 'x')), 3)
  end
  local n = x:size(1)
  local wn = torch.add(torch.norm(self.weight, 2, 2), 1e-12):view(1, outputSize) -- 1 x out
  local xn = torch.add(torch.norm(x, 2, 2), 1e-12)                                -- n x 1
  local dots = torch.mm(x, self.weight:t())                                       -- n x out
  local out = torch.cdiv(dots, torch.cmul(xn:expand(n, outputSize), wn:expand(n, outputSize)))
  self.output = input:dim() == 1 and out:view(outputSize) or out
  return self.output
end

return Cosine
