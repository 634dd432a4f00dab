-- nn.MaskedSelect(): input[1]:maskedSelect(input[2]) for the input table {tensor, mask}
-- (a ByteTensor or BoolTensor of the tensor's size): the selected elements as a vector
-- (Torch7's MaskedSelect). The mask gets no gradient.
local nn = require 'nn'
local MaskedSelect, parent = torch.class('nn.MaskedSelect', 'nn.Module')

function MaskedSelect:__init()
  parent.__init(self)
  self.gradInput = { torch.Tensor(), torch.ByteTensor() }
end

function MaskedSelect:updateOutput(input)
  if type(input) ~= 'table' or torch.isTensor(input) or not torch.isTensor(input[1]) or not torch.isTensor(input[2]) then
    error('nn.MaskedSelect: expected a table {tensor, mask}', 3)
  end
  local t, mask = input[1], input[2]
  local ok, r = pcall(t.maskedSelect, t, mask)
  if not ok then error('nn.MaskedSelect: ' .. tostring(r), 3) end
  self.output = r
  return self.output
end

return MaskedSelect
