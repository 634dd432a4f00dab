-- nn.Threshold(th, v[, ip]): y = x > th ? x : v (Torch7's; th defaults to 1e-6, v to 0).
-- ip (in place): Torch7's, the output is written into the input and shares its storage
-- (see nn._inplace in Module.lua for when the input keeps its values instead).
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
  self:validateParameters()   -- (Torch7's: inplace or val may have changed since __init)
  local th, v = self.threshold, self.val
  local ok, out = pcall(nn._inplace, self, input,
                        function(x) return torch.threshold(x, th, v) end,
                        function(r, x) return torch.threshold(r, x, th, v) end)
  if not ok then error(torch.typename(self) .. ': ' .. tostring(out), 3) end
  self.output = out
  return self.output
end

return Threshold
