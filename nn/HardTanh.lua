-- nn.HardTanh([min[, max[, ip]]]): y = min(max(x, min), max) (-1 and 1 by default).
local nn = require 'nn'
local HardTanh, parent = torch.class('nn.HardTanh', 'nn.Module')

function HardTanh:__init(min_value, max_value, ip)
  parent.__init(self)
  if (min_value and type(min_value) ~= 'number') or (max_value and type(max_value) ~= 'number') then
    error('nn.HardTanh([min[, max[, inplace]]]): numbers expected', 2)
  end
  if ip and type(ip) ~= 'boolean' then error('nn.HardTanh: the in-place flag must be a boolean', 2) end
  self.min_val = min_value or -1
  self.max_val = max_value or 1
  self.inplace = ip or false
  if self.max_val <= self.min_val then error('nn.HardTanh: max_value must be larger than min_value', 2) end
end

function HardTanh:updateOutput(input)
  local lo, hi = self.min_val, self.max_val
  local ok, out = pcall(nn._inplace, self, input,
                        function(x) return torch.hardtanh(x, lo, hi) end,
                        function(r, x) return torch.hardtanh(r, x, lo, hi) end)
  if not ok then error(torch.typename(self) .. ': ' .. tostring(out), 3) end
  self.output = out
  return self.output
end

return HardTanh
