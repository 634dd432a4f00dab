-- optim.cg(opfunc, x[, config[, state]]): nonlinear conjugate gradient
-- (Polack-Ribiere) with Rasmussen's line search (minimize.m: quadratic and cubic
-- interpolation/extrapolation under the Wolfe-Powell conditions), as Torch7's.
-- config: maxEval (maxIter*1.25, the limit that counts), maxIter (20, per line
-- search), rho (0.01), sig (0.5), int (0.1), ext (3.0), ratio (100). state keeps the
-- buffers (df0..df3, s, x0). Returns x, the table of f values (f[1] before, f[#f]
-- after), the number of evaluations.
local optim = require 'optim'
local U = optim._util

function optim.cg(opfunc, x, config, state)
  U.opfunc(opfunc, 'cg')
  config, state = U.config(config, state, 'cg')
  local rho = U.num(config, 'rho', 0.01, 'cg', 0)
  local sig = U.num(config, 'sig', 0.5, 'cg', 0)
  local int = U.num(config, 'int', 0.1, 'cg', 0)
  local ext = U.num(config, 'ext', 3.0, 'cg', 0)
  local maxIter = U.num(config, 'maxIter', 20, 'cg', 0)
  local ratio = U.num(config, 'ratio', 100, 'cg', 0)
  local maxEval = U.num(config, 'maxEval', maxIter * 1.25, 'cg', 0)
  local red = 1
  local xp = U.plain(x, 'cg', nil, state)

  local function eval()
    local fn, gn = opfunc(x)
    return U.number(fn, 'cg'), U.grad(gn, xp, 'cg')
  end

  local i, ls_failed = 0, 0
  local fx = {}
  local z1, z2, z3 = 0, 0, 0
  local d1, d2, d3 = 0, 0, 0
  local f1, f2, f3 = 0, 0, 0
  local tdf

  local df0 = (state.df0 or xp.new()):resizeAs(xp)
  local df1 = (state.df1 or xp.new()):resizeAs(xp)
  local df2 = (state.df2 or xp.new()):resizeAs(xp)
  local df3 = (state.df3 or xp.new()):resizeAs(xp)
  local s = (state.s or xp.new()):resizeAs(xp)      -- the search direction
  local x0 = (state.x0 or xp.new()):resizeAs(xp)
  local f0 = 0

  f1, tdf = eval()
  fx[#fx + 1] = f1
  df1:copy(tdf)
  i = i + 1
  s:copy(df1):mul(-1)
  d1 = -s:dot(s)         -- the slope
  z1 = red / (1 - d1)    -- the first step

  while i < math.abs(maxEval) do
    x0:copy(xp); f0 = f1; df0:copy(df1)
    xp:add(z1, s)
    f2, tdf = eval(); df2:copy(tdf)
    i = i + 1
    d2 = df2:dot(s)
    f3, d3, z3 = f1, d1, -z1   -- point 3 starts as point 1
    local m = math.min(maxIter, maxEval - i)
    local success = false
    local limit = -1

    while true do
      while (f2 > f1 + z1 * rho * d1 or d2 > -sig * d1) and m > 0 do
        -- too far or not enough decrease: interpolate back
        limit = z1
        if f2 > f1 then
          z2 = z3 - (0.5 * d3 * z3 * z3) / (d3 * z3 + f2 - f3)   -- quadratic fit
        else
          local A = 6 * (f2 - f3) / z3 + 3 * (d2 + d3)             -- cubic fit
          local B = 3 * (f3 - f2) - z3 * (d3 + 2 * d2)
          z2 = (math.sqrt(B * B - A * d2 * z3 * z3) - B) / A
        end
        if z2 ~= z2 or z2 == math.huge or z2 == -math.huge then z2 = z3 / 2 end
        z2 = math.max(math.min(z2, int * z3), (1 - int) * z3)
        z1 = z1 + z2
        xp:add(z2, s)
        f2, tdf = eval(); df2:copy(tdf)
        i = i + 1
        m = m - 1
        d2 = df2:dot(s)
        z3 = z3 - z2
      end
      -- a NaN loss or slope satisfies no comparison: count it as a failure, or the
      -- search would extrapolate until m runs out
      if f2 ~= f2 or d2 ~= d2 or f2 > f1 + z1 * rho * d1 or d2 > -sig * d1 then
        break                       -- failure
      elseif d2 > sig * d1 then
        success = true; break       -- Wolfe-Powell conditions hold
      elseif m <= 0 then
        break                       -- out of evaluations (m may be fractional: maxEval = maxIter * 1.25)
      end
      -- extrapolate with a cubic
      local A = 6 * (f2 - f3) / z3 + 3 * (d2 + d3)
      local B = 3 * (f3 - f2) - z3 * (d3 + 2 * d2)
      z2 = -d2 * z3 * z3 / (B + math.sqrt(B * B - A * d2 * z3 * z3))
      if z2 ~= z2 or z2 == math.huge or z2 == -math.huge or z2 < 0 then
        if limit < -0.5 then z2 = z1 * (ext - 1) else z2 = (limit - z1) / 2 end
      elseif limit > -0.5 and z2 + z1 > limit then
        z2 = (limit - z1) / 2
      elseif limit < -0.5 and z2 + z1 > z1 * ext then
        z2 = z1 * (ext - 1)
      elseif z2 < -z3 * int then
        z2 = -z3 * int
      elseif limit > -0.5 and z2 < (limit - z1) * (1 - int) then
        z2 = (limit - z1) * (1 - int)
      end
      f3 = f2; d3 = d2; z3 = -z2
      z1 = z1 + z2
      xp:add(z2, s)
      f2, tdf = eval(); df2:copy(tdf)
      i = i + 1
      m = m - 1
      d2 = df2:dot(s)
    end

    if success then
      f1 = f2
      fx[#fx + 1] = f1
      -- Polack-Ribiere direction
      local ss = (df2:dot(df2) - df2:dot(df1)) / df1:dot(df1)
      s:mul(ss):add(-1, df2)
      df3:copy(df1); df1:copy(df2); df2:copy(df3)
      d2 = df1:dot(s)
      if d2 > 0 then               -- not a descent direction: steepest descent
        s:copy(df1):mul(-1)
        d2 = -s:dot(s)
      end
      z1 = z1 * math.min(ratio, d1 / (d2 - 1e-320))
      d1 = d2
      ls_failed = 0
    else
      -- back to the last good point; give up after two failures in a row
      xp:copy(x0); f1 = f0; df1:copy(df0)
      if ls_failed == 1 or i > maxEval then break end
      df3:copy(df1); df1:copy(df2); df2:copy(df3)
      s:copy(df1):mul(-1)
      d1 = -s:dot(s)
      z1 = 1 / (1 - d1)
      ls_failed = 1
    end
  end
  state.df0, state.df1, state.df2, state.df3 = df0, df1, df2, df3
  state.x0, state.s = x0, s
  return x, fx, i
end
