-- optim.lswolfe(opfunc, x, t, d, f, g, gtd[, options]): a line search from x along d
-- satisfying the strong Wolfe conditions (Torch7's, after minFunc): a bracketing phase
-- then a zoom phase with cubic interpolation. t: the first step, f/g/gtd: f, df/dx and
-- the slope g.d at x. options: c1 (1e-4, sufficient decrease), c2 (0.9, curvature),
-- tolX (1e-9), maxIter (20), verbose. Leaves x at x + t*d and returns
-- f(x), df/dx, x, t, the number of function evaluations.
local optim = require 'optim'
local U = optim._util

function optim.lswolfe(opfunc, x, t, d, f, g, gtd, options)
  U.opfunc(opfunc, 'lswolfe')
  options = options or {}
  local c1 = U.num(options, 'c1', 1e-4, 'lswolfe', 0)
  local c2 = U.num(options, 'c2', 0.9, 'lswolfe', 0)
  local tolX = U.num(options, 'tolX', 1e-9, 'lswolfe', 0)
  local maxIter = U.num(options, 'maxIter', 20, 'lswolfe', 0)
  local verbose = options.verbose and function(...) print('<optim.lswolfe> ', ...) end
    or function() end
  local abs, min = math.abs, math.min
  local xp = U.plain(x, 'lswolfe')
  d = U.plain(d, 'lswolfe', 'd')
  f = U.number(f, 'lswolfe')
  g = U.grad(g, xp, 'lswolfe')

  local function eval()
    local fn, gn = opfunc(x)
    fn = U.number(fn, 'lswolfe')
    gn = U.grad(gn, xp, 'lswolfe')
    return fn, gn, gn:dot(d)
  end

  local g0 = g:clone()   -- g may be a buffer that opfunc overwrites
  local x_init = xp:clone()
  xp:add(t, d)
  local f_new, g_new, gtd_new = eval()
  local lsFuncEval = 1

  -- bracket an interval containing a point satisfying the Wolfe criteria
  local LSiter, t_prev, done = 0, 0, false
  local f_prev, g_prev, gtd_prev = f, g0, gtd
  local bracket, bracketF, bracketG
  while LSiter < maxIter do
    if f_new > f + c1 * t * gtd or (LSiter > 1 and f_new >= f_prev) then
      bracket, bracketF, bracketG = { t_prev, t }, { f_prev, f_new }, { g_prev, g_new:clone() }
      break
    elseif abs(gtd_new) <= -c2 * gtd then
      bracket, bracketF, bracketG = { t }, { f_new }, { g_new:clone() }
      done = true
      break
    elseif gtd_new >= 0 then
      bracket, bracketF, bracketG = { t_prev, t }, { f_prev, f_new }, { g_prev, g_new:clone() }
      break
    end
    -- extrapolate
    local tmp = t_prev
    t_prev = t
    local minStep = t + 0.01 * (t - tmp)
    local maxStep = t * 10
    t = optim.polyinterp({ { tmp, f_prev, gtd_prev }, { t, f_new, gtd_new } }, minStep, maxStep)
    f_prev, g_prev, gtd_prev = f_new, g_new:clone(), gtd_new
    xp:copy(x_init):add(t, d)
    f_new, g_new, gtd_new = eval()
    lsFuncEval = lsFuncEval + 1
    LSiter = LSiter + 1
  end
  if LSiter == maxIter then
    bracket, bracketF, bracketG = { 0, t }, { f, f_new }, { g0, g_new:clone() }
  end

  -- zoom: refine the bracket until a point satisfies the criteria
  local insufProgress = false
  while not done and LSiter < maxIter do
    local LOpos = (bracketF[2] < bracketF[1]) and 2 or 1
    local HIpos = 3 - LOpos
    local f_LO = bracketF[LOpos]
    t = optim.polyinterp({ { bracket[1], bracketF[1], bracketG[1]:dot(d) },
                           { bracket[2], bracketF[2], bracketG[2]:dot(d) } })
    local bmax, bmin = math.max(bracket[1], bracket[2]), math.min(bracket[1], bracket[2])
    if min(bmax - t, t - bmin) / (bmax - bmin) < 0.1 then
      if insufProgress or t >= bmax or t <= bmin then
        if abs(t - bmax) < abs(t - bmin) then t = bmax - 0.1 * (bmax - bmin)
        else t = bmin + 0.1 * (bmax - bmin) end
        insufProgress = false
      else
        insufProgress = true
      end
    else
      insufProgress = false
    end

    xp:copy(x_init):add(t, d)
    f_new, g_new, gtd_new = eval()
    lsFuncEval = lsFuncEval + 1
    LSiter = LSiter + 1
    if f_new > f + c1 * t * gtd or f_new >= f_LO then
      -- not enough decrease, or not below the lowest point: the new high end
      bracket[HIpos], bracketF[HIpos], bracketG[HIpos] = t, f_new, g_new:clone()
    else
      if abs(gtd_new) <= -c2 * gtd then
        done = true
      elseif gtd_new * (bracket[HIpos] - bracket[LOpos]) >= 0 then
        -- the old low end becomes the high end
        bracket[HIpos], bracketF[HIpos], bracketG[HIpos] = bracket[LOpos], bracketF[LOpos], bracketG[LOpos]
      end
      bracket[LOpos], bracketF[LOpos], bracketG[LOpos] = t, f_new, g_new:clone()
    end
    if not done and abs((bracket[1] - bracket[2]) * gtd_new) < tolX then break end
  end
  if LSiter == maxIter then verbose('reached max number of iterations') end

  local LOpos = (bracketF[2] and bracketF[2] < bracketF[1]) and 2 or 1
  t, f_new, g_new = bracket[LOpos], bracketF[LOpos], bracketG[LOpos]
  xp:copy(x_init):add(t, d)
  return f_new, g_new, x, t, lsFuncEval
end
