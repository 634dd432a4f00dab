-- nn.SpatialAveragePooling(kW, kH[, dW, dH, padW, padH]): 2-D average pooling over an
-- input of nInputPlane x H x W or batch x nInputPlane x H x W (Torch7's module; width
-- first; the stride defaults to 1). :ceil()/:floor() round the output size;
-- count_include_pad (true by default, Torch7's) divides by the window's size within the
-- padded input, :setCountExcludePad() by the number of input elements in it. Computed by
-- torch.avgPool2d (recorded for autograd).
local nn = require 'nn'
local SpatialAveragePooling, parent = torch.class('nn.SpatialAveragePooling', 'nn.Module')

local function check_int(name, v, min, what)
  if type(v) ~= 'number' or math.floor(v) ~= v or v < min then
    error(string.format('%s: %s must be an integer >= %d, got %s', name, what, min, tostring(v)), 4)
  end
end

function SpatialAveragePooling:__init(kW, kH, dW, dH, padW, padH)
  parent.__init(self)
  local name = torch.typename(self)
  dW = dW or 1
  dH = dH or 1
  padW = padW or 0
  padH = padH or 0
  check_int(name, kW, 1, 'kW')
  check_int(name, kH, 1, 'kH')
  check_int(name, dW, 1, 'dW')
  check_int(name, dH, 1, 'dH')
  check_int(name, padW, 0, 'padW')
  check_int(name, padH, 0, 'padH')
  if padW > kW / 2 or padH > kH / 2 then
    error(string.format('%s: padding (%d,%d) must be at most half the kernel size (%dx%d)', name, padW, padH, kW, kH), 2)
  end
  self.kW, self.kH = kW, kH
  self.dW, self.dH = dW, dH
  self.padW, self.padH = padW, padH
  self.ceil_mode = false
  self.count_include_pad = true
  self.divide = true
end

function SpatialAveragePooling:ceil()
  self.ceil_mode = true
  return self
end

function SpatialAveragePooling:floor()
  self.ceil_mode = false
  return self
end

function SpatialAveragePooling:setCountIncludePad()
  self.count_include_pad = true
  return self
end

function SpatialAveragePooling:setCountExcludePad()
  self.count_include_pad = false
  return self
end

function SpatialAveragePooling:updateOutput(input)
  local name = torch.typename(self)
  if not torch.isTensor(input) or (input:dim() ~= 3 and input:dim() ~= 4) then
    error(string.format('%s: expected a 3-D (nInputPlane x H x W) or 4-D (batch x nInputPlane x H x W) input, got %s',
                        name, torch.isTensor(input) and (input:dim() .. '-D tensor') or type(input)), 3)
  end
  local ok, out = pcall(torch.avgPool2d, input, self.kW, self.kH, self.dW, self.dH, self.padW, self.padH,
                        self.ceil_mode, self.count_include_pad)
  if not ok then error(name .. ': ' .. tostring(out), 3) end
  -- Torch7's old `divide = false` gave sums instead of averages
  if self.divide == false then out = out * (self.kW * self.kH) end
  self.output = out
  return self.output
end

function SpatialAveragePooling:__tostring__()
  local s = string.format('%s(%dx%d, %d,%d', torch.type(self), self.kW, self.kH, self.dW, self.dH)
  if (self.padW or self.padH) and (self.padW ~= 0 or self.padH ~= 0) then
    s = s .. ', ' .. self.padW .. ',' .. self.padH
  end
  return s .. ')'
end

return SpatialAveragePooling
