-- nn.Threshold(th, v[, ip]): y = x > th ? x : v (Torch7's; th defaults to 1e-6, v to 0).
-- ip (in place) writes into the input when it is not part of a graph being recorded.
local nn = require 'nn'
local Threshold, parent = torch.class('nn.Threshold', 'nn.Module')

function Threshold:__init(th, v, ip)
  parent.__init(self)
  self.threshold = th or 1e-6
  self.val = v or 0
  if (th and type(th) ~= 'number') or (v and type(v) ~= 'number') then
    error('nn.Threshold(threshold, value[, inplace]): numbers expected', 2)
  end
  self.inplace = ip or false
  if ip and type(ip) ~= 'boolean' then error('nn.Threshold: the in-place flag must be a boolean', 2) end
  self:validateParameters()
end

function Threshold:validateParameters()
  if self.inplace and self.val > self.threshold then
    error('nn.Threshold: in-place processing requires value (' .. self.val ..
          ') not exceed threshold (' .. self.threshold .. ')', 3)
  end
end

function Threshold:updateOutput(input)
  local ok, out = pcall(torch.threshold, input, self.threshold, self.val, self.inplace)
  if not ok then error(torch.typename(self) .. ': ' .. tostring(out), 3) end
  self.output = out
  return self.output
end

return Threshold
