-- nn.Bilinear(inputSize1, inputSize2, outputSize[, bias]): y_k = x1' W_k x2 + b_k for the
-- input table {x1, x2} of two batches (batch x inputSize1, batch x inputSize2); weight is
-- outputSize x inputSize1 x inputSize2 (Torch7's Bilinear; bias true by default). reset:
-- uniform in [-1/sqrt(inputSize1), 1/sqrt(inputSize1)].
local nn = require 'nn'
local Bilinear, parent = torch.class('nn.Bilinear', 'nn.Module')

function Bilinear:__init(inputSize1, inputSize2, outputSize, bias)
  parent.__init(self)
  for i, v in ipairs { inputSize1, inputSize2, outputSize } do
    if type(v) ~= 'number' or v < 1 then
      error('nn.Bilinear(inputSize1, inputSize2, outputSize, bias): size ' .. i .. ' must be a positive number', 2)
    end
  end
  if bias == nil then bias = true end
  self.weight = torch.Tensor(outputSize, inputSize1, inputSize2)
  self.gradWeight = torch.Tensor(outputSize, inputSize1, inputSize2):zero()
  if bias then
    self.bias = torch.Tensor(outputSize)
    self.gradBias = torch.Tensor(outputSize):zero()
  end
  self.gradInput = { torch.Tensor(), torch.Tensor() }
  self:reset()
  self:_linkGrads()
end

function Bilinear:reset(stdv)
  if stdv ~= nil and (type(stdv) ~= 'number' or stdv <= 0) then
    error('nn.Bilinear:reset: the standard deviation must be a positive number', 2)
  end
  stdv = stdv and stdv * math.sqrt(3) or 1 / math.sqrt(self.weight:size(2))
  torch.noGrad(function()
    self.weight:uniform(-stdv, stdv)
    if self.bias then self.bias:uniform(-stdv, stdv) end
  end)
  return self
end

function Bilinear:updateOutput(input)
  local K, I, J = self.weight:size(1), self.weight:size(2), self.weight:size(3)
  if type(input) ~= 'table' or torch.isTensor(input) or #input ~= 2 or not torch.isTensor(input[1])
     or not torch.isTensor(input[2]) then
    error('nn.Bilinear: expected a table of two tensors {x1, x2}', 3)
  end
  local x1, x2 = input[1], input[2]
  if x1:dim() ~= 2 or x2:dim() ~= 2 or x1:size(1) ~= x2:size(1) or x1:size(2) ~= I or x2:size(2) ~= J then
    error(string.format('nn.Bilinear: expected inputs of batch x %d and batch x %d, got %s and %s', I, J,
      table.concat(x1:size():totable(), 'x'), table.concat(x2:size():totable(), 'x')), 3)
  end
  local n = x1:size(1)
  -- x1 (n x I) times W as I x (K J), then the products with x2 summed over J
  local wt = self.weight:transpose(1, 2):contiguous():view(I, K * J)
  local t = torch.mm(x1, wt):view(n, K, J)
  local out = torch.sum(torch.cmul(t, x2:contiguous():view(n, 1, J):expand(n, K, J)), 3):view(n, K)
  if self.bias then out = torch.add(out, self.bias:view(1, K):expand(n, K)) end
  self.output = out
  return self.output
end

function Bilinear:__tostring__()
  return torch.type(self) .. string.format('(%dx%d -> %d) %s', self.weight:size(2), self.weight:size(3),
    self.weight:size(1), (self.bias == nil and ' without bias' or ''))
end

return Bilinear
