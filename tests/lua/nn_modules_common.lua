-- What the tests/lua/test_nn_modules_*.lua files share (not a test itself: the runner
-- only runs test_*.lua). A test file loads it from its own directory with its tester:
--   local H = assert(loadfile((debug.getinfo(1, 'S').source:match('^@(.*)/[^/]*$') or 'tests/lua')
--     .. '/nn_modules_common.lua'))(tester)
-- H.jacobian(m, input, eps): the largest errors of module:backward's gradInput and
-- parameter gradients against central differences in float64 (a Torch7-style Jacobian
-- check); H.checkgrad(m, input, what, tol) asserts both below tol through the tester;
-- H.D(t): torch.Tensor(t) (double, the default type in those files); H.sizes(t): t's
-- sizes as a table; H.bw(m, x, g): forward, then backward (Torch7's order).
require 'nn'
local tester = ...   -- the test file's torch.Tester (checkgrad asserts through it)

local tensors_of = nn._tensorsOf

-- a structure like x (tensor or nested tables) with each tensor replaced by f(tensor)
local function map(x, f)
  if torch.isTensor(x) then return f(x) end
  local c = {}
  for k, v in pairs(x) do c[k] = map(v, f) end
  return c
end

local function D(t) return torch.Tensor(t) end -- double (the default type here)

---------------------------------------------------------------------------------------
-- the Jacobian helper
---------------------------------------------------------------------------------------

-- f(x) = sum_i <out_i, gout_i> for a random gradOutput; its central differences along
-- each input element and each parameter element against module:backward(x, gout).
-- Returns the largest error for the input and for the parameters.
local function jacobian(m, input, eps)
  eps = eps or 1e-6
  local out = m:forward(input)
  local gout = map(out, function(o) return torch.randn(o:size()):typeAs(o) end)
  local gouts = tensors_of(gout, {})
  m:zeroGradParameters()
  local gi = m:backward(input, gout)
  local ins = tensors_of(input, {})
  local gis = tensors_of(gi, {})
  local an = {}
  for i = 1, #ins do an[i] = gis[i] and gis[i]:clone() or nil end
  local params, gparams = m:parameters()
  params, gparams = params or {}, gparams or {}
  local anp = {}
  for i, g in ipairs(gparams) do anp[i] = g:clone() end
  local function f()
    return torch.noGrad(function()
      local o = m:forward(input)
      local s = 0
      for i, t in ipairs(tensors_of(o, {})) do s = s + torch.cmul(t:contiguous(), gouts[i]):sum() end
      return s
    end)
  end
  -- the storage positions of t's elements (any strides), in t's element order
  local function positions(t)
    local pos, n = {}, t:dim()
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
  local function fd(t)
    local g = torch.Tensor(t:nElement())
    torch.noGrad(function()
      local s = t:storage()
      for j, o in ipairs(positions(t)) do
        local v = s[o]
        s[o] = v + eps
        local fp = f()
        s[o] = v - eps
        local fm = f()
        s[o] = v
        g[j] = (fp - fm) / (2 * eps)
      end
    end)
    return g
  end
  local errIn, errParam = 0, 0
  if #gis ~= #ins then return math.huge, math.huge end
  for i, x in ipairs(ins) do
    local num = fd(x)
    local a = an[i]:contiguous():view(-1)
    errIn = math.max(errIn, (num - a):abs():max())
  end
  for i, p in ipairs(params) do
    local num = fd(p)
    errParam = math.max(errParam, (num - anp[i]:contiguous():view(-1)):abs():max())
  end
  return errIn, errParam
end

local function checkgrad(m, input, what, tol)
  tol = tol or 1e-6
  local ei, ep = jacobian(m, input)
  tester:assertlt(ei, tol, (what or tostring(m)) .. ': gradInput against finite differences')
  tester:assertlt(ep, tol, (what or tostring(m)) .. ': parameter gradients against finite differences')
end

local function sizes(t) return t:size():totable() end

-- Torch7 order: forward, then backward
local function bw(m, x, g)
  m:forward(x)
  return m:backward(x, g)
end

return {D = D, jacobian = jacobian, checkgrad = checkgrad, sizes = sizes, bw = bw}
