-- nn.SpatialMaxPooling(kW, kH[, dW, dH, padW, padH]): 2-D max pooling over an input of
-- nInputPlane x H x W or batch x nInputPlane x H x W (Torch7's module; width first). The
-- stride defaults to the kernel size. :ceil() and :floor() choose how the output size is
-- rounded (floor by default). self.indices holds, after forward, the 1-based position of
-- each maximum within its H x W plane (a LongTensor). Computed by torch.maxPool2d
-- (recorded for autograd: backward sends each gradient to its maximum).
local nn = require 'nn'
local SpatialMaxPooling, parent = torch.class('nn.SpatialMaxPooling', 'nn.Module')

local function check_int(name, v, min, what)
  if type(v) ~= 'number' or math.floor(v) ~= v or v < min then
    error(string.format('%s: %s must be an integer >= %d, got %s', name, what, min, tostring(v)), 4)
  end
end

function SpatialMaxPooling:__init(kW, kH, dW, dH, padW, padH)
  parent.__init(self)
  local name = torch.typename(self)
  dW = dW or kW
  dH = dH or kH
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
  self.indices = torch.LongTensor()
end

function SpatialMaxPooling:ceil()
  self.ceil_mode = true
  return self
end

function SpatialMaxPooling:floor()
  self.ceil_mode = false
  return self
end

function SpatialMaxPooling:updateOutput(input)
  local name = torch.typename(self)
  if not torch.isTensor(input) or (input:dim() ~= 3 and input:dim() ~= 4) then
    error(string.format('%s: expected a 3-D (nInputPlane x H x W) or 4-D (batch x nInputPlane x H x W) input, got %s',
                        name, torch.isTensor(input) and (input:dim() .. '-D tensor') or type(input)), 3)
  end
  local ok, out, ix = pcall(torch.maxPool2d, input, self.kW, self.kH, self.dW, self.dH, self.padW, self.padH,
                            self.ceil_mode)
  if not ok then error(name .. ': ' .. tostring(out), 3) end
  self.output, self.indices = out, ix
  return self.output
end

function SpatialMaxPooling:clearState()
  self.indices = torch.LongTensor()
  return parent.clearState(self)
end

function SpatialMaxPooling:__tostring__()
  local s = string.format('%s(%dx%d, %d,%d', torch.type(self), self.kW, self.kH, self.dW, self.dH)
  if (self.padW or self.padH) and (self.padW ~= 0 or self.padH ~= 0) then
    s = s .. ', ' .. self.padW .. ',' .. self.padH
  end
  return s .. ')'
end

return SpatialMaxPooling
