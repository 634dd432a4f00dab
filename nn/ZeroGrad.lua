-- nn.ZeroGrad(): the identity forward, no gradient backward (gradInput is zero; Torch7's
-- ZeroGrad). The output (a tensor or a table of tensors) is detached from the graph.
local nn = require 'nn'
local ZeroGrad, parent = torch.class('nn.ZeroGrad', 'nn.Module')

local function detach(x)
  if torch.isTensor(x) then return x:detach() end
  if type(x) ~= 'table' then return x end
  local c = {}
  for k, v in pairs(x) do c[k] = detach(v) end
  return c
end

function ZeroGrad:updateOutput(input)
  self.output = detach(input)
  return self.output
end

return ZeroGrad
