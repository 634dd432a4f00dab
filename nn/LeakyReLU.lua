-- nn.LeakyReLU([negval[, ip]]): y = x > 0 ? x : negval x (negval 1/100 by default).
local nn = require 'nn'
local LeakyReLU, parent = torch.class('nn.LeakyReLU', 'nn.Module')

function LeakyReLU:__init(negval, ip)
  parent.__init(self)
  if negval and type(negval) ~= 'number' then error('nn.LeakyReLU(negval[, inplace]): a number expected', 2) end
  if ip and type(ip) ~= 'boolean' then error('nn.LeakyReLU: the in-place flag must be a boolean', 2) end
  self.negval = negval or 1 / 100
  self.inplace = ip or false
end

function LeakyReLU:updateOutput(input)
  -- (the in-place flag is accepted; the output is a new tensor, as ELU's)
  local ok, out = pcall(torch.leakyRelu, input, self.negval)
  if not ok then error(torch.typename(self) .. ': ' .. tostring(out), 3) end
  self.output = out
  return self.output
end

return LeakyReLU
