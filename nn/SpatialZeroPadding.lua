-- nn.SpatialZeroPadding(pad_l[, pad_r, pad_t, pad_b]): pads the last two dims of a
-- nInputPlane x H x W or batch x nInputPlane x H x W input with zeros (negative pads crop;
-- omitted pads equal pad_l; Torch7's module). Computed by torch.pad2d (recorded).
local nn = require 'nn'
local SpatialZeroPadding, parent = torch.class('nn.SpatialZeroPadding', 'nn.Module')

function SpatialZeroPadding:__init(pad_l, pad_r, pad_t, pad_b)
  parent.__init(self)
  self.pad_l = pad_l
  self.pad_r = pad_r or self.pad_l
  self.pad_t = pad_t or self.pad_l
  self.pad_b = pad_b or self.pad_l
  for _, k in ipairs { 'pad_l', 'pad_r', 'pad_t', 'pad_b' } do
    local v = self[k]
    if type(v) ~= 'number' or math.floor(v) ~= v then
      error(string.format('nn.SpatialZeroPadding: %s must be an integer, got %s', k, tostring(v)), 2)
    end
  end
end

function SpatialZeroPadding:updateOutput(input)
  local name = torch.typename(self)
  if not torch.isTensor(input) or (input:dim() ~= 3 and input:dim() ~= 4) then
    error(name .. ': input must be 3 or 4-dimensional', 3)
  end
  local d = input:dim()
  local h = input:size(d - 1) + self.pad_t + self.pad_b
  local w = input:size(d) + self.pad_l + self.pad_r
  if w < 1 or h < 1 then error(name .. ': input is too small', 3) end
  local ok, out = pcall(torch.pad2d, input, self.pad_l, self.pad_r, self.pad_t, self.pad_b)
  if not ok then error(name .. ': ' .. tostring(out), 3) end
  self.output = out
  return self.output
end

function SpatialZeroPadding:__tostring__()
  return torch.type(self) ..
      string.format('(l=%d, r=%d, t=%d, b=%d)', self.pad_l, self.pad_r, self.pad_t, self.pad_b)
end

return SpatialZeroPadding
