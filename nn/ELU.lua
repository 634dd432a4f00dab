-- nn.ELU([alpha[, ip]]): y = x > 0 ? x : alpha (exp(x) - 1) (alpha 1 by default).
local nn = require 'nn'
local ELU, parent = torch.class('nn.ELU', 'nn.Module')

function ELU:__init(alpha, ip)
  parent.__init(self)
  if alpha and type(alpha) ~= 'number' then error('nn.ELU(alpha[, inplace]): a number expected', 2) end
  if ip and type(ip) ~= 'boolean' then error('nn.ELU: the in-place flag must be a boolean', 2) end
  self.alpha = alpha or 1
  self.inplace = ip or false
end

function ELU:updateOutput(input)
  -- (the in-place flag is accepted; the output is a new tensor: ELU is not idempotent, so
  -- a backward that computes forward again from an overwritten input would be wrong)
  local ok, out = pcall(torch.elu, input, self.alpha)
  if not ok then error(torch.typename(self) .. ': ' .. tostring(out), 3) end
  self.output = out
  return self.output
end

function ELU:__tostring__()
  return string.format('%s (alpha:%f)', torch.typename(self), self.alpha)
end

return ELU
