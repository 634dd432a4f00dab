-- nn.Linear(inputSize, outputSize[, bias]): y = W x + b (Torch7's Linear), on one sample
-- (a vector of inputSize) or a batch (nBatch x inputSize).
local nn = require 'nn'
local Linear, parent = torch.class('nn.Linear', 'nn.Module')

function Linear:__init(inputSize, outputSize, bias)
  parent.__init(self)
  if type(inputSize) ~= 'number' or type(outputSize) ~= 'number' or inputSize < 1 or outputSize < 1 then
    error(string.format('nn.Linear: expected positive sizes (inputSize, outputSize), got %s, %s',
                        tostring(inputSize), tostring(outputSize)), 2)
  end
  self.weight = torch.Tensor(outputSize, inputSize)
  self.gradWeight = torch.Tensor(outputSize, inputSize):zero()
  if bias ~= false then
    self.bias = torch.Tensor(outputSize)
    self.gradBias = torch.Tensor(outputSize):zero()
  end
  self:reset()
  self:_linkGrads()
end

function Linear:noBias()
  self.bias, self.gradBias = nil, nil
  return self
end

-- Torch7's default: uniform in [-1/sqrt(inputSize), 1/sqrt(inputSize)]
function Linear:reset(stdv)
  stdv = stdv and stdv * math.sqrt(3) or 1 / math.sqrt(self.weight:size(2))
  torch.noGrad(function()
    self.weight:uniform(-stdv, stdv)
    if self.bias then self.bias:uniform(-stdv, stdv) end
  end)
  return self
end

function Linear:updateOutput(input)
  local nin = self.weight:size(2)
  if input:dim() == 1 then
    if input:size(1) ~= nin then
      error(string.format('nn.Linear: input has %d features, expected %d', input:size(1), nin), 3)
    end
    if self.bias then
      self.output = torch.addmv(self.bias, self.weight, input)
    else
      self.output = torch.mv(self.weight, input)
    end
  elseif input:dim() == 2 then
    if input:size(2) ~= nin then
      error(string.format('nn.Linear: input has %d features, expected %d', input:size(2), nin), 3)
    end
    if self.bias then
      self.output = torch.addmm(self.bias, input, self.weight:t())
    else
      self.output = torch.mm(input, self.weight:t())
    end
  else
    error(string.format('nn.Linear: expected a vector or a matrix (batch x %d), got a %d-D tensor', nin, input:dim()), 3)
  end
  return self.output
end

function Linear:__tostring__()
  return string.format('nn.Linear(%d -> %d)%s', self.weight:size(2), self.weight:size(1),
                       self.bias and '' or ' without bias')
end

return Linear
