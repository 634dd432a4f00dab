-- optim.lbfgs(opfunc, x[, config[, state]]): limited-memory BFGS (Torch7's, after
-- minFunc). Runs up to maxIter iterations in one call. config: maxIter (20), maxEval
-- (maxIter*1.25), tolFun (1e-5, on the sum of |df/dx|), tolX (1e-9, on the step and on
-- the change of f), nCorrection (100, the history kept), learningRate (1, the step
-- with no line search, the first trial step with one), lineSearch (a function such
-- as optim.lswolfe; none: fixed steps), lineSearchOptions, verbose. state keeps the
-- history across calls (nIter, funcEval, d, t, old_dirs, old_stps, Hdiag, g_old,
-- f_old). Returns x, the table of f values (f[1] before, f[#f] after), the number of
-- evaluations.
local optim = require 'optim'
local U = optim._util

function optim.lbfgs(opfunc, x, config, state)
  U.opfunc(opfunc, 'lbfgs')
  config, state = U.config(config, state, 'lbfgs')
  local maxIter = U.num(config, 'maxIter', 20, 'lbfgs', 0)
  local maxEval = U.num(config, 'maxEval', maxIter * 1.25, 'lbfgs', 0)
  local tolFun = U.num(config, 'tolFun', 1e-5, 'lbfgs', 0)
  local tolX = U.num(config, 'tolX', 1e-9, 'lbfgs', 0)
  local nCorrection = U.num(config, 'nCorrection', 100, 'lbfgs', 1)
  local learningRate = U.num(config, 'learningRate', 1, 'lbfgs', 0, nil, true)
  local lineSearch = config.lineSearch
  if lineSearch ~= nil and type(lineSearch) ~= 'function' then
    error("optim.lbfgs: config.lineSearch must be a function (such as optim.lswolfe), got "
      .. type(lineSearch), 2)
  end
  local lineSearchOpts = config.lineSearchOptions
  local verbose = config.verbose and function(...) print('<optim.lbfgs> ', ...) end
    or function() end
  local abs, min = math.abs, math.min
  local xp = U.plain(x, 'lbfgs', nil, state)

  state.funcEval = state.funcEval or 0
  state.nIter = state.nIter or 0

  local function eval()
    local fn, gn = opfunc(x)
    return U.number(fn, 'lbfgs'), U.grad(gn, xp, 'lbfgs')
  end

  local f, g = eval()
  local f_hist = { f }
  local currentFuncEval = 1
  state.funcEval = state.funcEval + 1

  state.tmp1 = state.tmp1 or g.new():resizeAs(g)
  local tmp1 = state.tmp1
  if tmp1:copy(g):abs():sum() <= tolFun then
    verbose('optimality condition below tolFun')
    return x, f_hist, currentFuncEval
  end

  -- recycled buffers for the y's and s's
  state.dir_bufs = state.dir_bufs or {}
  state.stp_bufs = state.stp_bufs or {}
  local function pop(pool)
    return table.remove(pool) or g.new():resizeAs(g)
  end

  local d, t = state.d, state.t
  local old_dirs, old_stps = state.old_dirs, state.old_stps
  local Hdiag, g_old, f_old = state.Hdiag, state.g_old, state.f_old
  state.ro = state.ro or {}
  state.al = state.al or {}
  local ro, al = state.ro, state.al

  local nIter = 0
  while nIter < maxIter do
    nIter = nIter + 1
    state.nIter = state.nIter + 1

    -- the descent direction
    if state.nIter == 1 then
      d = g:clone():mul(-1)
      old_dirs, old_stps = {}, {}
      Hdiag = 1
    else
      local y = pop(state.dir_bufs):copy(g):add(-1, g_old)  -- g - g_old
      local s = pop(state.stp_bufs):copy(d):mul(t)          -- d*t
      local ys = y:dot(s)
      if ys > 1e-10 then
        if #old_dirs == nCorrection then   -- forget the oldest pair
          table.insert(state.dir_bufs, table.remove(old_dirs, 1))
          table.insert(state.stp_bufs, table.remove(old_stps, 1))
        end
        table.insert(old_dirs, s)
        table.insert(old_stps, y)
        Hdiag = ys / y:dot(y)
      else
        table.insert(state.dir_bufs, y)
        table.insert(state.stp_bufs, s)
      end

      -- the two-loop recursion: d = -H g
      local k = #old_dirs
      for i = 1, k do ro[i] = 1 / old_stps[i]:dot(old_dirs[i]) end
      local q = tmp1:copy(g):mul(-1)
      for i = k, 1, -1 do
        al[i] = old_dirs[i]:dot(q) * ro[i]
        q:add(-al[i], old_stps[i])
      end
      local r = d:copy(q):mul(Hdiag)
      for i = 1, k do
        local be_i = old_stps[i]:dot(r) * ro[i]
        r:add(al[i] - be_i, old_dirs[i])
      end
    end
    g_old = g_old or g:clone()
    g_old:copy(g)
    f_old = f

    -- the step
    local gtd = g:dot(d)
    if gtd > -tolX then break end   -- no descent along d

    if state.nIter == 1 then
      t = min(1, 1 / tmp1:copy(g):abs():sum()) * learningRate
    else
      t = learningRate
    end

    local lsFuncEval = 0
    if lineSearch then
      f, g, x, t, lsFuncEval = lineSearch(opfunc, x, t, d, f, g, gtd, lineSearchOpts)
      f = U.number(f, 'lbfgs')
      g = U.grad(g, xp, 'lbfgs')
      table.insert(f_hist, f)
    else
      xp:add(t, d)
      if nIter ~= maxIter then   -- the last step is not evaluated (stochastic use)
        f, g = eval()
        lsFuncEval = 1
        table.insert(f_hist, f)
      end
    end
    currentFuncEval = currentFuncEval + lsFuncEval
    state.funcEval = state.funcEval + lsFuncEval

    -- stopping tests
    if nIter == maxIter then verbose('reached max number of iterations'); break end
    if currentFuncEval >= maxEval then verbose('max nb of function evals'); break end
    if tmp1:copy(g):abs():sum() <= tolFun then verbose('optimality condition below tolFun'); break end
    if tmp1:copy(d):mul(t):abs():sum() <= tolX then verbose('step size below tolX'); break end
    if abs(f - f_old) < tolX then verbose('function value changing less than tolX'); break end
  end

  state.old_dirs, state.old_stps = old_dirs, old_stps
  state.Hdiag, state.g_old, state.f_old = Hdiag, g_old, f_old
  state.t, state.d = t, d
  return x, f_hist, currentFuncEval
end
