-- nn.Jacobian: Torch7's helper for checking a module's gradients against finite
-- differences (nn.Jacobian.testJacobian(module, input) ...). Inputs and parameters are
-- tensors (of any strides); the Jacobians are DoubleTensors of
-- (elements of the input or parameter) x (elements of the output).
local nn = require 'nn'
local Jacobian = {}
nn.Jacobian = Jacobian

-- the storage positions of t's elements, in t's element order
local function positions(t)
  local pos, n = {}, t:dim()
  if t:nElement() == 0 then return pos end
  local sz, st = t:size():totable(), t:stride():totable()
  local idx = {}
  for d = 1, n do idx[d] = 1 end
  for _ = 1, t:nElement() do
    local off = t:storageOffset()
    for d = 1, n do off = off + (idx[d] - 1) * st[d] end
    pos[#pos + 1] = off
    for d = n, 1, -1 do
      idx[d] = idx[d] + 1
      if idx[d] <= sz[d] then break end
      idx[d] = 1
    end
  end
  return pos
end

local function check_tensor(t, name, fn)
  if not torch.isTensor(t) then
    error(string.format('nn.Jacobian.%s: %s must be a tensor, got %s', fn, name, torch.type(t)), 3)
  end
end

local function flat_double(t)
  return t:detach():contiguous():view(-1):double()
end

-- the Jacobian from module:backward: row i of the result is d output / d param[i]
-- (param nil: the input; then dparam is the gradient tensor to read)
function Jacobian.backward(module, input, param, dparam)
  check_tensor(input, 'input', 'backward')
  local doparam = param ~= nil
  local out = module:forward(input)
  check_tensor(out, 'the output', 'backward')
  local nout = out:nElement()
  local n = doparam and param:nElement() or input:nElement()
  local jac = torch.DoubleTensor(n, nout):zero()
  for i = 1, nout do
    local dout = out.new():resizeAs(out):zero()
    dout:view(-1)[i] = 1
    module:zeroGradParameters()
    local din = module:updateGradInput(input, dout)
    module:accGradParameters(input, dout)
    jac:select(2, i):copy(flat_double(doparam and dparam or din))
  end
  return jac
end

-- the Jacobian from central differences of module:forward, perturbing param (the input by
-- default) element by element
function Jacobian.forward(module, input, param, perturbation)
  check_tensor(input, 'input', 'forward')
  param = param or input
  perturbation = perturbation or 1e-6
  local out = torch.noGrad(function() return module:forward(input) end)
  local jac = torch.DoubleTensor(param:nElement(), out:nElement())
  torch.noGrad(function()
    local s = param:storage()
    for i, o in ipairs(positions(param)) do
      local orig = s[o]
      s[o] = orig - perturbation
      local outa = flat_double(module:forward(input)):clone()
      s[o] = orig + perturbation
      local outb = flat_double(module:forward(input)):clone()
      s[o] = orig
      jac:select(1, i):copy((outb - outa) / (2 * perturbation))
    end
  end)
  return jac
end

local function randomize(t, minval, maxval)
  torch.noGrad(function()
    t:copy(torch.rand(t:size()):mul(maxval - minval):add(minval))
  end)
end

-- the largest difference between the two Jacobians of the input, after filling the input
-- with uniform numbers in [minval, maxval] (-2, 2 by default)
function Jacobian.testJacobian(module, input, minval, maxval, perturbation)
  check_tensor(input, 'input', 'testJacobian')
  randomize(input, minval or -2, maxval or 2)
  local jf = Jacobian.forward(module, input, input, perturbation)
  local jb = Jacobian.backward(module, input)
  return (jf - jb):abs():max()
end

-- the same for a parameter and its gradient tensor (module.weight, module.gradWeight)
function Jacobian.testJacobianParameters(module, input, param, dparam, minval, maxval, perturbation)
  check_tensor(input, 'input', 'testJacobianParameters')
  check_tensor(param, 'param', 'testJacobianParameters')
  check_tensor(dparam, 'dparam', 'testJacobianParameters')
  minval, maxval = minval or -2, maxval or 2
  randomize(input, minval, maxval)
  randomize(param, minval, maxval)
  local jb = Jacobian.backward(module, input, param, dparam)
  local jf = Jacobian.forward(module, input, param, perturbation)
  return (jf - jb):abs():max()
end

-- a copy of the module (through torch.save/torch.load when they exist, else clone)
-- computes the same output and gradInput: returns the largest forward and backward
-- differences
function Jacobian.testIO(module, input, minval, maxval)
  check_tensor(input, 'input', 'testIO')
  minval, maxval = minval or -2, maxval or 2
  local inputclone = input:clone()
  module:forward(input)
  local go = torch.rand(module.output:size()):mul(maxval - minval):add(minval):typeAs(module.output)
  module:zeroGradParameters()
  module:updateGradInput(input, go)
  module:accGradParameters(input, go)
  local fo = flat_double(module.output):clone()
  local bo = flat_double(module.gradInput):clone()
  if module:clearState() ~= module then error('nn.Jacobian.testIO: clearState did not return the module', 2) end
  local m
  if torch.save and torch.load then
    local filename = os.tmpname()
    torch.save(filename, module)
    m = torch.load(filename)
    os.remove(filename)
  else
    m = module:clone()
  end
  m:forward(inputclone)
  m:zeroGradParameters()
  m:updateGradInput(inputclone, go)
  m:accGradParameters(inputclone, go)
  local errf = (fo - flat_double(m.output)):abs():max()
  local bo2 = flat_double(m.gradInput)
  local errb = bo:nElement() == 0 and 0 or (bo - bo2):abs():max()
  return errf, errb
end

return Jacobian
