-- nn.Padding(dim, pad[, nInputDim, value, index]): adds |pad| entries of value (0 by
-- default) along dimension dim (Torch7's module). pad < 0 pads before position index of
-- dim (index counts from the left, 1 by default: at the start); pad > 0 pads after,
-- index counting from the right (1: at the end). With nInputDim given, an input of
-- another dimensionality is a batch and dim is shifted by one. Made of narrow and cat
-- (recorded for autograd).
local nn = require 'nn'
local Padding, parent = torch.class('nn.Padding', 'nn.Module')

function Padding:__init(dim, pad, nInputDim, value, index)
  parent.__init(self)
  if type(dim) ~= 'number' or math.floor(dim) ~= dim or dim < 1 then
    error('nn.Padding: dim must be a positive integer, got ' .. tostring(dim), 2)
  end
  if type(pad) ~= 'number' or math.floor(pad) ~= pad then
    error('nn.Padding: pad must be an integer, got ' .. tostring(pad), 2)
  end
  self.value = value or 0
  self.index = index or 1
  self.dim = dim
  self.pad = pad
  self.nInputDim = nInputDim
end

function Padding:updateOutput(input)
  local name = torch.typename(self)
  if not torch.isTensor(input) then error(name .. ': expected a tensor input, got ' .. type(input), 3) end
  local dim = self.dim
  if self.nInputDim and input:dim() ~= self.nInputDim then dim = dim + 1 end
  if dim > input:dim() then
    error(string.format('%s: dim %d is out of range for a %d-D input', name, dim, input:dim()), 3)
  end
  local n = input:size(dim)
  local index, pad = self.index, self.pad
  if pad > 0 then index = n - index + 2 else pad = -pad end
  if index < 1 or index > n + 1 then
    error(string.format('%s: index %d is out of range for a dimension of size %d', name, self.index, n), 3)
  end
  if pad == 0 then
    self.output = input
    return self.output
  end
  local size = input:size()
  size[dim] = pad
  local fill = input.new(size):fill(self.value)
  local parts
  if index == 1 then
    parts = { fill, input }
  elseif index == n + 1 then
    parts = { input, fill }
  else
    parts = { input:narrow(dim, 1, index - 1), fill, input:narrow(dim, index, n - index + 1) }
  end
  self.output = torch.cat(parts, dim)
  return self.output
end

return Padding
