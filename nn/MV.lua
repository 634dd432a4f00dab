-- nn.MV([trans]): the matrix-vector product of the input table {M, v} (Torch7's MV): M a
-- matrix and v a vector, or batches (b x m x n and b x n); trans transposes M first.
local nn = require 'nn'
local MV, parent = torch.class('nn.MV', 'nn.Module')

function MV:__init(trans)
  parent.__init(self)
  self.trans = trans or false
  self.gradInput = { torch.Tensor(), torch.Tensor() }
end

local function sizestr(t) return table.concat(t:size():totable(), 'x') end

function MV:updateOutput(input)
  if type(input) ~= 'table' or torch.isTensor(input) or #input ~= 2 then
    error('nn.MV: expected a table of two tensors {M, v}, got ' .. torch.type(input), 3)
  end
  local M, v = input[1], input[2]
  if not (torch.isTensor(M) and torch.isTensor(v)) or M:dim() ~= v:dim() + 1 or (M:dim() ~= 2 and M:dim() ~= 3) then
    error('nn.MV: expected a matrix and a vector, or a batch of matrices (3-D) and a batch of vectors (2-D)', 3)
  end
  local n = M:dim()
  if self.trans then M = M:transpose(n - 1, n) end
  if M:size(n) ~= v:size(n - 1) or (n == 3 and M:size(1) ~= v:size(1)) then
    error(string.format('nn.MV: size mismatch, M is %s, v is %s', sizestr(M), sizestr(v)), 3)
  end
  if n == 2 then
    self.output = torch.mv(M, v)
  else
    local b = M:size(1)
    self.output = torch.bmm(M, v:contiguous():view(b, v:size(2), 1)):view(b, M:size(2))
  end
  return self.output
end

return MV
