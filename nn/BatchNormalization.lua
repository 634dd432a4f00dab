-- nn.BatchNormalization(nOutput[, eps, momentum, affine]): batch normalization of a
-- batch x nOutput input (Torch7's module). In training (self.train, the default) each
-- feature is normalized with the batch's mean and (biased) variance, and running_mean /
-- running_var are updated: running = (1 - momentum) * running + momentum * batch (the
-- unbiased variance). In evaluation (:evaluate()) the running statistics are used, and a
-- single sample (nOutput) is accepted. y = (x - mean) / sqrt(var + eps) * weight + bias,
-- weight and bias learnt unless affine is false (weight starts uniform in [0, 1), bias 0:
-- Torch7's reset). eps 1e-5, momentum 0.1 by default. Computed by torch.batchNorm
-- (recorded for autograd). nn.SpatialBatchNormalization is the same over
-- batch x nOutput x H x W.
local nn = require 'nn'
local BN, parent = torch.class('nn.BatchNormalization', 'nn.Module')

-- expected dimension of input
BN.nDim = 2

function BN:__init(nOutput, eps, momentum, affine)
  parent.__init(self)
  local name = torch.typename(self)
  if type(nOutput) ~= 'number' or math.floor(nOutput) ~= nOutput or nOutput < 0 then
    error(name .. ': missing argument #1: dimensionality of input (a positive integer)', 2)
  end
  if nOutput == 0 then
    error(name .. ': to set affine=false call BatchNormalization(nOutput, eps, momentum, false)', 2)
  end
  if affine ~= nil then
    if type(affine) ~= 'boolean' then error(name .. ': affine has to be true/false', 2) end
    self.affine = affine
  else
    self.affine = true
  end
  self.eps = eps or 1e-5
  self.train = true
  self.momentum = momentum or 0.1
  self.running_mean = torch.zeros(nOutput)
  self.running_var = torch.ones(nOutput)
  if self.affine then
    self.weight = torch.Tensor(nOutput)
    self.bias = torch.Tensor(nOutput)
    self.gradWeight = torch.Tensor(nOutput):zero()
    self.gradBias = torch.Tensor(nOutput):zero()
  end
  self:reset()
  self:_linkGrads()
end

function BN:reset()
  torch.noGrad(function()
    if self.weight then self.weight:uniform() end
    if self.bias then self.bias:zero() end
    self.running_mean:zero()
    self.running_var:fill(1)
  end)
  return self
end

function BN:checkInputDim(input)
  local name = torch.typename(self)
  if not torch.isTensor(input) then error(name .. ': expected a tensor input, got ' .. type(input), 4) end
  local iDim = input:dim()
  if not (iDim == self.nDim or (iDim == self.nDim - 1 and self.train == false)) then
    error(string.format('%s: only mini-batch supported (%dD tensor), got %dD tensor instead', name,
                        self.nDim, iDim), 4)
  end
  local featDim = (iDim == self.nDim - 1) and 1 or 2
  if input:size(featDim) ~= self.running_mean:nElement() then
    error(string.format('%s: got %d-feature tensor, expected %d', name, input:size(featDim),
                        self.running_mean:nElement()), 4)
  end
end

function BN:updateOutput(input)
  self:checkInputDim(input)
  -- the statistics and parameters have the module's type (:double() ...); an input of
  -- another type is an error, as in Linear (never a silent result of the input's type)
  local own = self.weight or self.running_mean
  if input:type() ~= own:type() then
    error(string.format('%s: the input is a %s but the module is %s (convert one with :type())',
                        torch.typename(self), input:type(), own:type()), 3)
  end
  local x, single = input, input:dim() == self.nDim - 1
  if single then x = input:unsqueeze(1) end
  local rm, rv = self.running_mean, self.running_var
  if self._recomputing then rm, rv = rm:clone(), rv:clone() end   -- backward's forward again: no second update
  local ok, out = pcall(torch.batchNorm, x, rm, rv, self.weight, self.bias,
                        self.train ~= false, self.momentum, self.eps)
  if not ok then error(torch.typename(self) .. ': ' .. tostring(out), 2) end
  if single then out = out:select(1, 1) end
  self.output = out
  return self.output
end

function BN:__tostring__()
  return string.format('%s (%dD) (%d)', torch.type(self), self.nDim, self.running_mean:nElement())
end

return BN
