-- nn.ReLU([ip]): y = max(0, x) (Torch7's: a Threshold(0, 0)). ip: the output is written
-- into the input and shares its storage (nn._inplace in Module.lua).
local nn = require 'nn'
require 'nn.Threshold'
local ReLU, parent = torch.class('nn.ReLU', 'nn.Threshold')

function ReLU:__init(ip)
  parent.__init(self, 0, 0, ip)
end

function ReLU:updateOutput(input)
  local ok, out = pcall(nn._inplace, self, input, torch.relu,
                        function(r, x) return torch.relu(r, x) end)
  if not ok then error(torch.typename(self) .. ': ' .. tostring(out), 3) end
  self.output = out
  return self.output
end

return ReLU
