-- optim.checkgrad(opfunc, x[, eps]): compares opfunc's gradient with central
-- differences of step eps (1e-7) on every element of x (Torch7's). Returns
-- |dC - dC_est| / |dC + dC_est| (norms), dC and dC_est. x is restored.
local torch = require 'torch'
local optim = require 'optim'
local U = optim._util

function optim.checkgrad(opfunc, x, eps)
  U.opfunc(opfunc, 'checkgrad')
  local xp = U.plain(x, 'checkgrad')
  eps = eps or 1e-7
  if type(eps) ~= 'number' or not (eps > 0) then
    error("optim.checkgrad: eps must be a number > 0, got " .. tostring(eps), 2)
  end
  local _, g = opfunc(x)
  local dC = U.grad(g, xp, 'checkgrad'):clone():contiguous():view(-1)
  local flat = xp:contiguous()
  local isView = torch.pointer(flat) == torch.pointer(xp)
  flat = flat:view(-1)
  local dC_est = dC.new():resizeAs(dC)
  for i = 1, flat:nElement() do
    local orig = flat[i]
    flat[i] = orig + eps
    if not isView then xp:copy(flat:viewAs(xp)) end
    local C1 = U.number((opfunc(x)), 'checkgrad')
    flat[i] = orig - eps
    if not isView then xp:copy(flat:viewAs(xp)) end
    local C2 = U.number((opfunc(x)), 'checkgrad')
    flat[i] = orig
    if not isView then xp:copy(flat:viewAs(xp)) end
    dC_est[i] = (C1 - C2) / (2 * eps)
  end
  local diff = (dC - dC_est):norm() / (dC + dC_est):norm()
  return diff, dC, dC_est
end
