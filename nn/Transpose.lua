-- nn.Transpose({d1, d2}, {d3, d4}, ...): the input with each pair of dimensions swapped
-- in turn, as a contiguous tensor (Torch7's Transpose); setNumInputDims(n) makes the
-- dimensions count within the last n (leading ones are batch dimensions).
local nn = require 'nn'
local Transpose, parent = torch.class('nn.Transpose', 'nn.Module')

function Transpose:__init(...)
  parent.__init(self)
  self.permutations = { ... }
  for i, p in ipairs(self.permutations) do
    if type(p) ~= 'table' or type(p[1]) ~= 'number' or type(p[2]) ~= 'number' then
      error('nn.Transpose: argument ' .. i .. ' must be a pair of dimensions {d1, d2}', 2)
    end
  end
  self.numInputDims = nil
end

function Transpose:setNumInputDims(numInputDims)
  self.numInputDims = numInputDims
  return self
end

function Transpose:updateOutput(input)
  if not torch.isTensor(input) then error('nn.Transpose: expected a tensor input, got ' .. torch.type(input), 3) end
  local offset = self.numInputDims and input:dim() - self.numInputDims or 0
  local x = input
  for _, perm in ipairs(self.permutations) do
    local a, b = perm[1] + offset, perm[2] + offset
    if a < 1 or a > x:dim() or b < 1 or b > x:dim() then
      error(string.format('nn.Transpose: dimensions {%d, %d} out of range for a %d-D input', perm[1], perm[2],
        x:dim()), 3)
    end
    x = x:transpose(a, b)
  end
  self.output = x:contiguous()
  return self.output
end


return Transpose
