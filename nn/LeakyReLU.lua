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
  local a = self.negval
  local fresh = function(x) return torch.leakyRelu(x, a) end
  local into = function(r, x) return torch.leakyRelu(r, x, a) end
  -- in place only with negval >= 0: the output's sign must tell which side x was on
  -- (backward after an in-place forward works from the output)
  if a < 0 then into = function(_, x) return fresh(x) end end
  local ok, out = pcall(nn._inplace, self, input, fresh, into)
  if not ok then error(torch.typename(self) .. ': ' .. tostring(out), 3) end
  self.output = out
  return self.output
end

return LeakyReLU
