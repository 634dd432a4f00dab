-- nn.SoftPlus([beta[, threshold]]): y = log(1 + exp(beta x)) / beta, and y = x where
-- beta x > threshold (beta 1, threshold 20 by default).
local nn = require 'nn'
local SoftPlus, parent = torch.class('nn.SoftPlus', 'nn.Module')

function SoftPlus:__init(beta, threshold)
  parent.__init(self)
  if (beta and type(beta) ~= 'number') or (threshold and type(threshold) ~= 'number') then
    error('nn.SoftPlus([beta[, threshold]]): numbers expected', 2)
  end
  self.beta = beta or 1
  self.threshold = threshold or 20
  if self.beta == 0 then error('nn.SoftPlus: beta must not be 0', 2) end
end

function SoftPlus:updateOutput(input)
  local ok, out = pcall(torch.softplus, input, self.beta, self.threshold)
  if not ok then error(torch.typename(self) .. ': ' .. tostring(out), 3) end
  self.output = out
  return self.output
end

return SoftPlus
