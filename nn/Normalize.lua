-- nn.Normalize(p[, eps]): each sample divided by its p-norm, (sum |x|^p + eps)^(1/p)
-- (Torch7's Normalize; eps 1e-10 by default; p = math.huge uses max |x| + eps). The input
-- is a vector or a batch (batch x d).
local nn = require 'nn'
local Normalize, parent = torch.class('nn.Normalize', 'nn.Module')

function Normalize:__init(p, eps)
  parent.__init(self)
  if type(p) ~= 'number' or p <= 0 then error('nn.Normalize(p, eps): p must be positive, got ' .. tostring(p), 2) end
  self.p = p
  self.eps = eps or 1e-10
end

function Normalize:updateOutput(input)
  if not torch.isTensor(input) or input:dim() < 1 or input:dim() > 2 then
    error('nn.Normalize: only 1-D or 2-D (batch x d) inputs are supported', 3)
  end
  nn._checkFloatInput(self, input)
  local x = input:dim() == 1 and input:view(1, -1) or input
  local norm
  if self.p == math.huge then
    norm = torch.add(torch.max(torch.abs(x), 2), self.eps)
  else
    local pw = self.p % 2 == 0 and torch.pow(x, self.p) or torch.pow(torch.abs(x), self.p)
    norm = torch.pow(torch.add(torch.sum(pw, 2), self.eps), 1 / self.p)
  end
  self.output = torch.cdiv(x, norm:expandAs(x)):viewAs(input)
  return self.output
end

function Normalize:__tostring__()
  if self.p % 1 == 0 then return string.format('%s(%d)', torch.type(self), math.tointeger(self.p)) end
  return string.format('%s(%f)', torch.type(self), self.p)
end

return Normalize
