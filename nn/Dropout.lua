-- nn.Dropout([p, v1, inplace, stochasticInference]): zeroes each element with probability
-- p (0.5 by default) while training (Torch7's module). Version 2 (the default, v1 false)
-- scales the kept elements by 1/(1-p) in training and is the identity in evaluation;
-- v1 keeps them as they are in training and scales by (1-p) in evaluation. inplace writes
-- the result into the input when the input needs no gradient (under forward the output
-- is then a separate tensor on the graph holding the same values). stochasticInference keeps dropping in
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
  if type(self.p) ~= 'number' or not (self.p >= 0 and self.p < 1) then   -- (NaN fails both)
    error('nn.Dropout: illegal percentage ' .. tostring(self.p) .. ', must be 0 <= p < 1', 2)
  end
  self.noise = torch.Tensor()
end

function Dropout:updateOutput(input)
  if not torch.isTensor(input) then error(torch.typename(self) .. ': expected a tensor input, got ' .. type(input), 3) end
  if self.p > 0 and (self.train or self.stochastic_inference) then
    if self._recomputing and torch.isTensor(self.noise) and self.noise:isSameSizeAs(input)
       and self.noise:type() == input:type() then
      -- backward computing forward again (after clone, clearState ...): the same mask
      self.output = torch.cmul(input, self.noise)
      return self.output
    end
    local inplace = self.inplace and not (input.requiresGrad and torch.isGradEnabled())
    local ok, out, mask = pcall(torch.dropout, input, self.p, true, inplace and true or false, self.v2)
    if not ok then error(torch.typename(self) .. ': ' .. tostring(out), 3) end
    self.output, self.noise = out, mask
    -- in place under forward: the graph has a leaf sharing the input's data; the input
    -- itself (which does not require grad) is overwritten with the output, as in Torch7
    -- (the gradient needs only the mask, so the graph stays valid)
    local raw = self._inputRaw
    if self.inplace and not inplace and torch.isTensor(raw) and not raw.requiresGrad and not rawequal(raw, input) then
      torch.noGrad(function() raw:copy(out) end)
    end
  elseif not self.v2 and self.p > 0 then
    self.output = input * (1 - self.p)
  else
    self.output = input
  end
  return self.output
end

function Dropout:setp(p)
  if type(p) ~= 'number' or not (p >= 0 and p < 1) then
    error('nn.Dropout:setp: illegal percentage ' .. tostring(p) .. ', must be 0 <= p < 1', 2)
  end
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
