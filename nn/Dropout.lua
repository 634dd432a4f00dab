-- nn.Dropout([p, v1, inplace, stochasticInference]): zeroes each element with probability
-- p (0.5 by default) while training (Torch7's module). Version 2 (the default, v1 false)
-- scales the kept elements by 1/(1-p) in training and is the identity in evaluation;
-- v1 keeps them as they are in training and scales by (1-p) in evaluation. inplace writes
-- into the input when the input needs no gradient. stochasticInference keeps dropping in
-- evaluation. The mask (self.noise) is drawn from torch's generator (torch.manualSeed
-- reproduces it); computed by torch.dropout (recorded: backward uses the same mask).
local nn = require 'nn'
local Dropout, parent = torch.class('nn.Dropout', 'nn.Module')

function Dropout:__init(p, v1, inplace, stochasticInference)
  parent.__init(self)
  self.p = p or 0.5
  self.train = true
  self.inplace = inplace
  self.stochastic_inference = stochasticInference or false
  -- version 2 scales output during training instead of evaluation
  self.v2 = not v1
  if type(self.p) ~= 'number' or self.p >= 1 or self.p < 0 then
    error('nn.Dropout: illegal percentage, must be 0 <= p < 1', 2)
  end
  self.noise = torch.Tensor()
end

function Dropout:updateOutput(input)
  if not torch.isTensor(input) then error(torch.typename(self) .. ': expected a tensor input, got ' .. type(input), 3) end
  if self.p > 0 and (self.train or self.stochastic_inference) then
    local inplace = self.inplace and not (input.requiresGrad and torch.isGradEnabled())
    local ok, out, mask = pcall(torch.dropout, input, self.p, true, inplace and true or false, self.v2)
    if not ok then error(torch.typename(self) .. ': ' .. tostring(out), 3) end
    self.output, self.noise = out, mask
  elseif not self.v2 and self.p > 0 then
    self.output = input * (1 - self.p)
  else
    self.output = input
  end
  return self.output
end

function Dropout:setp(p)
  self.p = p
end

function Dropout:clearState()
  self.noise = torch.Tensor()
  return parent.clearState(self)
end

function Dropout:__tostring__()
  return string.format('%s(%f)', torch.type(self), self.p)
end

return Dropout
