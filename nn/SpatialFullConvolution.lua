-- nn.SpatialFullConvolution(nInputPlane, nOutputPlane, kW, kH[, dW, dH, padW, padH, adjW, adjH]):
-- the transposed ("full", "deconvolution") 2-D convolution, Torch7's module. weight is
-- nInputPlane x nOutputPlane x kH x kW, bias nOutputPlane. The output has
-- (H - 1) dH - 2 padH + kH + adjH rows and (W - 1) dW - 2 padW + kW + adjW columns;
-- adjW/adjH must be smaller than dW/dH. The input may also be a table {input, target}:
-- the output then takes target's last two sizes (adj computed from them), as in Torch7.
-- Computed by torch.convTranspose2d (recorded for autograd).
local nn = require 'nn'
local SpatialFullConvolution, parent = torch.class('nn.SpatialFullConvolution', 'nn.Module')

local function check_int(name, v, min, what)
  if type(v) ~= 'number' or math.floor(v) ~= v or v < min then
    error(string.format('%s: %s must be an integer >= %d, got %s', name, what, min, tostring(v)), 4)
  end
end

function SpatialFullConvolution:__init(nInputPlane, nOutputPlane, kW, kH, dW, dH, padW, padH, adjW, adjH)
  parent.__init(self)
  local name = torch.typename(self)
  dW, dH = dW or 1, dH or 1
  padW, padH = padW or 0, padH or 0
  adjW, adjH = adjW or 0, adjH or 0
  check_int(name, nInputPlane, 1, 'nInputPlane')
  check_int(name, nOutputPlane, 1, 'nOutputPlane')
  check_int(name, kW, 1, 'kW')
  check_int(name, kH, 1, 'kH')
  check_int(name, dW, 1, 'dW')
  check_int(name, dH, 1, 'dH')
  check_int(name, padW, 0, 'padW')
  check_int(name, padH, 0, 'padH')
  check_int(name, adjW, 0, 'adjW')
  check_int(name, adjH, 0, 'adjH')
  if adjW > dW - 1 or adjH > dH - 1 then
    error(string.format('%s: adjW and adjH must be smaller than dW and dH (got adj %d,%d with stride %d,%d)',
                        name, adjW, adjH, dW, dH), 2)
  end
  self.nInputPlane = nInputPlane
  self.nOutputPlane = nOutputPlane
  self.kW, self.kH = kW, kH
  self.dW, self.dH = dW, dH
  self.padW, self.padH = padW, padH
  self.adjW, self.adjH = adjW, adjH
  self.weight = torch.Tensor(nInputPlane, nOutputPlane, kH, kW)
  self.bias = torch.Tensor(nOutputPlane)
  self.gradWeight = torch.Tensor(nInputPlane, nOutputPlane, kH, kW):zero()
  self.gradBias = torch.Tensor(nOutputPlane):zero()
  self:reset()
  self:_linkGrads()
end

function SpatialFullConvolution:noBias()
  self.bias, self.gradBias = nil, nil
  return self
end

-- Torch7's default: uniform in [-1/sqrt(kW*kH*nInputPlane), 1/sqrt(kW*kH*nInputPlane)]
function SpatialFullConvolution:reset(stdv)
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

function SpatialFullConvolution:updateOutput(input)
  local name = torch.typename(self)
  local adjW, adjH = self.adjW, self.adjH
  if type(input) == 'table' and not torch.isTensor(input) then
    -- {input, target}: the output takes target's spatial size
    local target = input[2]
    input = input[1]
    if not torch.isTensor(input) or not torch.isTensor(target) then
      error(name .. ': a table input must be {input, targetTensor}', 3)
    end
    local td = target:dim()
    local d = input:dim()
    if d < 3 or td < 2 then error(name .. ': a table input must be {input, targetTensor}', 3) end
    local tH, tW = target:size(td - 1), target:size(td)
    adjH = tH - ((input:size(d - 1) - 1) * self.dH - 2 * self.padH + self.kH)
    adjW = tW - ((input:size(d) - 1) * self.dW - 2 * self.padW + self.kW)
    if adjH < 0 or adjW < 0 or adjH >= self.dH or adjW >= self.dW then
      error(string.format('%s: the target size %dx%d cannot be reached from this input', name, tH, tW), 3)
    end
  end
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
  self.output = torch.convTranspose2d(input, self.weight, self.bias,
                                      { stride = { self.dH, self.dW }, padding = { self.padH, self.padW },
                                        outputPadding = { adjH, adjW } })
  return self.output
end

function SpatialFullConvolution:__tostring__()
  local s = string.format('%s(%d -> %d, %dx%d', torch.typename(self), self.nInputPlane, self.nOutputPlane,
                          self.kW, self.kH)
  if self.dW ~= 1 or self.dH ~= 1 or self.padW ~= 0 or self.padH ~= 0 then
    s = s .. string.format(', %d,%d', self.dW, self.dH)
  end
  if self.padW ~= 0 or self.padH ~= 0 then
    s = s .. ', ' .. self.padW .. ',' .. self.padH
  end
  if self.adjW ~= 0 or self.adjH ~= 0 then
    s = s .. ', ' .. self.adjW .. ',' .. self.adjH
  end
  if self.bias then return s .. ')' end
  return s .. ') without bias'
end

return SpatialFullConvolution
