-- nn.MM([transA[, transB]]): the matrix product of the input table {A, B} (Torch7's MM):
-- A and B matrices, or batches of matrices (b x n x m and b x m x p); transA / transB
-- transpose A / B (their last two dimensions) first.
local nn = require 'nn'
local MM, parent = torch.class('nn.MM', 'nn.Module')

function MM:__init(transA, transB)
  parent.__init(self)
  self.transA = transA or false
  self.transB = transB or false
  self.gradInput = { torch.Tensor(), torch.Tensor() }
end

local function sizestr(t) return table.concat(t:size():totable(), 'x') end

function MM:updateOutput(input)
  if type(input) ~= 'table' or torch.isTensor(input) or #input ~= 2 then
    error('nn.MM: expected a table of two tensors {A, B}, got ' .. torch.type(input), 3)
  end
  local a, b = input[1], input[2]
  if not (torch.isTensor(a) and torch.isTensor(b)) or a:dim() ~= b:dim() or (a:dim() ~= 2 and a:dim() ~= 3) then
    error('nn.MM: expected two matrices or two batches of matrices (3-D)', 3)
  end
  local n = a:dim()
  if self.transA then a = a:transpose(n - 1, n) end
  if self.transB then b = b:transpose(n - 1, n) end
  if a:size(n) ~= b:size(n - 1) or (n == 3 and a:size(1) ~= b:size(1)) then
    error(string.format('nn.MM: size mismatch, A is %s, B is %s (after transA=%s, transB=%s)', sizestr(a), sizestr(b),
      tostring(self.transA), tostring(self.transB)), 3)
  end
  self.output = n == 2 and torch.mm(a, b) or torch.bmm(a, b)
  return self.output
end

return MM
