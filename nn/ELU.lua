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

-- backward after an in-place forward: the input given holds the output y (Torch7's ELU
-- backward works from it), whose derivative is 1 where y > 0 and y + alpha elsewhere;
-- recorded as y times that slope plus a constant, so the values stay y
local function from_output(x, alpha)
  local slope, rest = torch.noGrad(function()
    local pos = x:gt(0):type(x:type())
    local d = torch.add(x, alpha):cmul(torch.mul(pos, -1):add(1)):add(pos)
    return d, torch.add(x, -1, torch.cmul(x, d))
  end)
  return torch.cmul(x, slope):add(rest)
end

function ELU:updateOutput(input)
  local alpha = self.alpha
  if self._recomputing and self._inplaceDone and torch.isTensor(input) and alpha > 0 then
    local ok, out = pcall(from_output, input, alpha)
    if not ok then error(torch.typename(self) .. ': ' .. tostring(out), 3) end
    self._inplaceDone = false
    self.output = out
    return out
  end
  local fresh = function(x) return torch.elu(x, alpha) end
  local into = function(r, x) return torch.elu(r, x, alpha) end
  -- in place only with alpha > 0 (the output's sign must tell which side x was on)
  if alpha <= 0 then into = function(_, x) return fresh(x) end end
  local ok, out = pcall(nn._inplace, self, input, fresh, into)
  if not ok then error(torch.typename(self) .. ': ' .. tostring(out), 3) end
  self.output = out
  return self.output
end

function ELU:__tostring__()
  return string.format('%s (alpha:%f)', torch.typename(self), self.alpha)
end

return ELU
