-- nn.SpatialConvolution(nInputPlane, nOutputPlane, kW, kH[, dW, dH, padW, padH]): a 2-D
-- convolution over an input of nInputPlane x H x W (one sample) or batch x nInputPlane x
-- H x W, Torch7's module (note the width-first argument order). weight is
-- nOutputPlane x nInputPlane x kH x kW, bias nOutputPlane. The output has
-- (H + 2 padH - kH) / dH + 1 rows and (W + 2 padW - kW) / dW + 1 columns. Computed by
-- torch.conv2d (recorded for autograd, so backward comes from the graph).
local nn = require 'nn'
local SpatialConvolution, parent = torch.class('nn.SpatialConvolution', 'nn.Module')

local function check_int(name, v, min, what)
  if type(v) ~= 'number' or math.floor(v) ~= v or v < min then
    error(string.format('%s: %s must be an integer >= %d, got %s', name, what, min, tostring(v)), 4)
  end
end

function SpatialConvolution:__init(nInputPlane, nOutputPlane, kW, kH, dW, dH, padW, padH)
  parent.__init(self)
  local name = torch.typename(self)
  dW = dW or 1
  dH = dH or 1
  padW = padW or 0
  padH = padH or padW
  check_int(name, nInputPlane, 1, 'nInputPlane')
  check_int(name, nOutputPlane, 1, 'nOutputPlane')
  check_int(name, kW, 1, 'kW')
  check_int(name, kH, 1, 'kH')
  check_int(name, dW, 1, 'dW')
  check_int(name, dH, 1, 'dH')
  check_int(name, padW, 0, 'padW')
  check_int(name, padH, 0, 'padH')
  self.nInputPlane = nInputPlane
  self.nOutputPlane = nOutputPlane
  self.kW, self.kH = kW, kH
  self.dW, self.dH = dW, dH
  self.padW, self.padH = padW, padH
  self.weight = torch.Tensor(nOutputPlane, nInputPlane, kH, kW)
  self.bias = torch.Tensor(nOutputPlane)
  self.gradWeight = torch.Tensor(nOutputPlane, nInputPlane, kH, kW):zero()
  self.gradBias = torch.Tensor(nOutputPlane):zero()
  self:reset()
  self:_linkGrads()
end

function SpatialConvolution:noBias()
  self.bias, self.gradBias = nil, nil
  return self
end

-- Torch7's default: uniform in [-1/sqrt(kW*kH*nInputPlane), 1/sqrt(kW*kH*nInputPlane)];
-- reset(stdv): uniform in [-stdv*sqrt(3), stdv*sqrt(3)]
function SpatialConvolution:reset(stdv)
  if stdv then
    stdv = stdv * math.sqrt(3)
  else
    stdv = 1 / math.sqrt(self.kW * self.kH * self.nInputPlane)
  end
  torch.noGrad(function()
    self.weight:uniform(-stdv, stdv)
    if self.bias then self.bias:uniform(-stdv, stdv) end
  end)
  return self
end

function SpatialConvolution:updateOutput(input)
  local name = torch.typename(self)
  if not torch.isTensor(input) then
    error(string.format('%s: expected a tensor input, got %s', name, type(input)), 3)
  end
  local d = input:dim()
  if d ~= 3 and d ~= 4 then
    error(string.format('%s: expected a 3-D (nInputPlane x H x W) or 4-D (batch x nInputPlane x H x W) input, got a %d-D tensor',
                        name, d), 3)
  end
  local planes = input:size(d - 2)
  if planes ~= self.nInputPlane then
    error(string.format('%s: input has %d planes, expected %d (nInputPlane)', name, planes, self.nInputPlane), 3)
  end
  local h, w = input:size(d - 1), input:size(d)
  if h + 2 * self.padH < self.kH or w + 2 * self.padW < self.kW then
    error(string.format('%s: input of %dx%d (padded %dx%d) is smaller than the kernel %dx%d', name, h, w,
                        h + 2 * self.padH, w + 2 * self.padW, self.kH, self.kW), 3)
  end
  self.output = torch.conv2d(input, self.weight, self.bias,
                             { stride = { self.dH, self.dW }, padding = { self.padH, self.padW } })
  return self.output
end

function SpatialConvolution:__tostring__()
  local s = string.format('%s(%d -> %d, %dx%d', torch.typename(self), self.nInputPlane, self.nOutputPlane,
                          self.kW, self.kH)
  if self.dW ~= 1 or self.dH ~= 1 or self.padW ~= 0 or self.padH ~= 0 then
    s = s .. string.format(', %d,%d', self.dW, self.dH)
  end
  if self.padW ~= 0 or self.padH ~= 0 then
    s = s .. ', ' .. self.padW .. ',' .. self.padH
  end
  if self.bias then return s .. ')' end
  return s .. ') without bias'
end

return SpatialConvolution
