-- nn.init: weight initialisation helpers (PyTorch's names in camelCase); each fills the
-- tensor in place (without recording) and returns it.
local nn = require 'nn'
local init = {}

-- fan in and out of a weight: Linear out x in, convolutions out x in x kH x kW
local function fans(t)
  if t:dim() < 2 then error('nn.init: fan in and out need a tensor of at least 2 dimensions', 3) end
  local receptive = 1
  for d = 3, t:dim() do receptive = receptive * t:size(d) end
  return t:size(2) * receptive, t:size(1) * receptive
end

local function gain_of(nonlinearity, param)
  if nonlinearity == nil or nonlinearity == 'linear' or nonlinearity == 'sigmoid' then return 1 end
  if nonlinearity == 'tanh' then return 5 / 3 end
  if nonlinearity == 'relu' then return math.sqrt(2) end
  if nonlinearity == 'leakyRelu' or nonlinearity == 'leaky_relu' then
    local s = param or 0.01
    return math.sqrt(2 / (1 + s * s))
  end
  error('nn.init: unknown nonlinearity ' .. tostring(nonlinearity), 3)
end
init.calculateGain = function(nonlinearity, param) return gain_of(nonlinearity, param) end

local function fill(t, f)
  if not torch.isTensor(t) then error('nn.init: expected a tensor, got ' .. type(t), 3) end
  torch.noGrad(f)
  return t
end

function init.uniform(t, a, b) return fill(t, function() t:uniform(a or 0, b or 1) end) end
function init.normal(t, mean, std) return fill(t, function() t:normal(mean or 0, std or 1) end) end
function init.constant(t, v) return fill(t, function() t:fill(v) end) end
function init.zeros(t) return fill(t, function() t:zero() end) end
function init.ones(t) return fill(t, function() t:fill(1) end) end
function init.xavierUniform(t, gain)
  local fin, fout = fans(t)
  local a = (gain or 1) * math.sqrt(6 / (fin + fout))
  return fill(t, function() t:uniform(-a, a) end)
end
function init.xavierNormal(t, gain)
  local fin, fout = fans(t)
  return fill(t, function() t:normal(0, (gain or 1) * math.sqrt(2 / (fin + fout))) end)
end
function init.kaimingUniform(t, a, mode, nonlinearity)
  local fin, fout = fans(t)
  local fan = mode == 'fanOut' and fout or fin
  local bound = gain_of(nonlinearity or 'leakyRelu', a or 0) * math.sqrt(3 / fan)
  return fill(t, function() t:uniform(-bound, bound) end)
end
function init.kaimingNormal(t, a, mode, nonlinearity)
  local fin, fout = fans(t)
  local fan = mode == 'fanOut' and fout or fin
  return fill(t, function() t:normal(0, gain_of(nonlinearity or 'leakyRelu', a or 0) / math.sqrt(fan)) end)
end

nn.init = init
return init
