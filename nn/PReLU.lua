-- nn.PReLU([nOutputPlane]): y = x > 0 ? x : a x with a learnt slope a: one shared slope
-- (no argument or 0), or one per input plane (dim 2 of a batch, dim 1 of a vector), as
-- Torch7. The slopes (self.weight) start at 0.25; self.gradWeight is their gradient.
local nn = require 'nn'
local PReLU, parent = torch.class('nn.PReLU', 'nn.Module')

function PReLU:__init(nOutputPlane)
  parent.__init(self)
  if nOutputPlane ~= nil and (type(nOutputPlane) ~= 'number' or nOutputPlane < 0) then
    error('nn.PReLU([nOutputPlane]): a number of planes (0 or more) expected', 2)
  end
  self.nOutputPlane = nOutputPlane or 0
  local n = self.nOutputPlane > 0 and self.nOutputPlane or 1
  self.weight = torch.Tensor(n):fill(0.25)
  self.gradWeight = torch.Tensor(n):zero()
  self:_linkGrads()
end

function PReLU:reset()
  torch.noGrad(function() self.weight:fill(0.25) end)
  return self
end

function PReLU:updateOutput(input)
  if self.nOutputPlane > 0 then
    local d = input:dim() > 1 and 2 or 1
    if input:dim() == 0 or input:size(d) ~= self.nOutputPlane then
      error(string.format('nn.PReLU: wrong number of input planes: expected %d in dimension %d, got %s',
                          self.nOutputPlane, d, input:dim() == 0 and 'none' or tostring(input:size(d))), 3)
    end
  end
  local ok, out = pcall(torch.prelu, input, self.weight)
  if not ok then error(torch.typename(self) .. ': ' .. tostring(out), 3) end
  self.output = out
  return self.output
end

return PReLU
