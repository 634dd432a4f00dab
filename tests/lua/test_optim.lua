-- optim: Torch7's optimizers (first steps against hand-computed numbers, convergence,
-- state reuse), the object form on tensors that require grad, the learning-rate
-- schedules, Logger's file, ConfusionMatrix's counts, and bad configurations.
local optim = require 'optim'
local tester = torch.Tester()
local T = torch.TestSuite()

-- f(x) = 0.5 x'Ax - b'x with A = [3 1; 1 2], b = (1, 1): df/dx = Ax - b, minimum at
-- x* = A^-1 b = (0.2, 0.4), f(x*) = -0.3. From x0 = (1, -1): f = 1.5, df/dx = (1, -2).
local A = torch.DoubleTensor{{3, 1}, {1, 2}}
local b = torch.DoubleTensor{1, 1}
local xstar = torch.DoubleTensor{0.2, 0.4}
local function quad(x)
  local Ax = torch.mv(A, x)
  return 0.5 * x:dot(Ax) - b:dot(x), Ax - b
end
local function x0() return torch.DoubleTensor{1, -1} end
local function V(a, c) return torch.DoubleTensor{a, c} end

-- Rosenbrock's function, minimum 0 at (1, 1)
local function rosenbrock(x)
  local u, v = x[1], x[2]
  local fx = (1 - u) ^ 2 + 100 * (v - u * u) ^ 2
  return fx, torch.DoubleTensor{-2 * (1 - u) - 400 * u * (v - u * u), 200 * (v - u * u)}
end

local function steps(name, config, n, state)
  local x = x0()
  local fs = {}
  for i = 1, n do
    local _, fx = optim[name](quad, x, config, state)
    fs[i] = fx[1]
  end
  return x, fs
end

function T.sgd_first_steps()
  local x, fs = steps('sgd', {learningRate = 0.1}, 1)
  tester:eq(x, V(0.9, -0.8), 1e-15, 'x1 = x0 - 0.1*(1, -2)')
  tester:eq(fs[1], 1.5, 1e-15, 'f before the step')
  x, fs = steps('sgd', {learningRate = 0.1}, 2)
  -- df/dx at (0.9, -0.8) = (0.9, -1.7)
  tester:eq(x, V(0.81, -0.63), 1e-15, 'x2')
  tester:eq(fs[2], 0.5 * (0.9 * 1.9 + 0.8 * 0.7) - 0.1, 1e-15, 'f(x1)')
end

function T.sgd_momentum_dampening_nesterov()
  -- momentum 0.9, dampening = momentum (Torch7's default): buf = g0, then 0.9*buf + 0.1*g1
  local x = steps('sgd', {learningRate = 0.1, momentum = 0.9}, 2)
  tester:eq(x, V(0.801, -0.603), 1e-15, 'momentum with dampening')
  -- dampening 0: buf = 0.9*(1, -2) + (0.9, -1.7) = (1.8, -3.5)
  x = steps('sgd', {learningRate = 0.1, momentum = 0.9, dampening = 0}, 2)
  tester:eq(x, V(0.72, -0.45), 1e-15, 'momentum without dampening')
  -- nesterov: step 1 g + 0.9*buf = (1.9, -3.8) -> (0.81, -0.62); g1 = (0.81, -1.43),
  -- buf = (1.71, -3.23), g1 + 0.9*buf = (2.349, -4.337)
  local state = {}
  x = steps('sgd', {learningRate = 0.1, momentum = 0.9, dampening = 0, nesterov = true}, 1, state)
  tester:eq(x, V(0.81, -0.62), 1e-15, 'nesterov step 1')
  x = x0()
  state = {}
  local cfg = {learningRate = 0.1, momentum = 0.9, dampening = 0, nesterov = true}
  optim.sgd(quad, x, cfg, state)
  optim.sgd(quad, x, cfg, state)
  tester:eq(x, V(0.5751, -0.1863), 1e-14, 'nesterov step 2')
  tester:eq(state.dfdx, V(1.71, -3.23), 1e-14, 'state.dfdx is the momentum buffer')
  tester:eq(state.evalCounter, 2, 0, 'evalCounter')
end

function T.sgd_weight_decay_and_lr_decay()
  local x = steps('sgd', {learningRate = 0.1, weightDecay = 0.5}, 1)
  tester:eq(x, V(0.85, -0.75), 1e-15, 'weightDecay adds 0.5*x to the gradient')
  -- per-element decays (0, 1): gradient (1, -2) + (0, -1)
  x = steps('sgd', {learningRate = 0.1, weightDecays = V(0, 1)}, 1)
  tester:eq(x, V(0.9, -0.7), 1e-15, 'weightDecays')
  -- learningRateDecay 0.5: clr = 0.1, then 0.1/1.5
  x = steps('sgd', {learningRate = 0.1, learningRateDecay = 0.5}, 2)
  tester:eq(x, V(0.84, -0.8 + 1.7 / 15), 1e-15, 'learningRateDecay')
  -- per-element learning rates (1, 0.5)
  x = steps('sgd', {learningRate = 0.1, learningRates = V(1, 0.5)}, 1)
  tester:eq(x, V(0.9, -0.9), 1e-15, 'learningRates')
end

function T.sgd_state_reuse()
  -- config alone keeps the state (Torch7): two calls equal one run of two steps
  local cfg = {learningRate = 0.1, momentum = 0.9}
  local x = x0()
  optim.sgd(quad, x, cfg)
  optim.sgd(quad, x, cfg)
  tester:eq(x, V(0.801, -0.603), 1e-15, 'state kept in config')
  tester:eq(cfg.evalCounter, 2, 0, 'config.evalCounter')
  -- a separate state table: config is left alone
  local cfg2, st = {learningRate = 0.1, momentum = 0.9}, {}
  x = x0()
  optim.sgd(quad, x, cfg2, st)
  optim.sgd(quad, x, cfg2, st)
  tester:eq(x, V(0.801, -0.603), 1e-15, 'state in state')
  tester:assert(cfg2.evalCounter == nil and cfg2.dfdx == nil, 'config untouched')
  tester:assert(st.dfdx ~= nil, 'state.dfdx')
end

function T.adam_first_steps()
  -- step 1: m = 0.1 g, v = 0.001 g^2, x -= lr*sqrt(0.001)/0.1 * m/(sqrt(v) + eps)
  local x = steps('adam', {learningRate = 0.1}, 1)
  local r = math.sqrt(0.001)
  local x1 = {1 - r * 0.1 / (r + 1e-8), -1 + r * 0.2 / (2 * r + 1e-8)}
  tester:eq(x, V(x1[1], x1[2]), 1e-15, 'adam step 1')
  tester:eq(x, V(0.9, -0.9), 1e-6, 'about lr*sign(g)')
  -- step 2: g1 = A x1 - b (about (0.8, -1.9))
  local st = {}
  x = x0()
  optim.adam(quad, x, {learningRate = 0.1}, st)
  optim.adam(quad, x, {learningRate = 0.1}, st)
  local g1 = {3 * x1[1] + x1[2] - 1, x1[1] + 2 * x1[2] - 1}
  tester:eq(g1[1], 0.8, 1e-6, 'g1 about 0.8')
  local m = {0.9 * 0.1 + 0.1 * g1[1], 0.9 * -0.2 + 0.1 * g1[2]}
  local v = {0.999 * 0.001 + 0.001 * g1[1] ^ 2, 0.999 * 0.004 + 0.001 * g1[2] ^ 2}
  local ss = 0.1 * math.sqrt(1 - 0.999 ^ 2) / (1 - 0.9 ^ 2)
  local function x2(step)
    return V(x1[1] - step * m[1] / (math.sqrt(v[1]) + 1e-8), x1[2] - step * m[2] / (math.sqrt(v[2]) + 1e-8))
  end
  tester:eq(x, x2(ss), 1e-14, 'adam step 2')
  tester:eq(st.t, 2, 0, 'state.t')
  tester:eq(st.m, V(m[1], m[2]), 1e-15, 'state.m')
  tester:eq(st.v, V(v[1], v[2]), 1e-15, 'state.v')
  -- weightDecay 1: g = (1, -2) + (1, -1) = (2, -3): still about lr*sign
  x = steps('adam', {learningRate = 0.1, weightDecay = 1}, 1)
  tester:eq(x, V(0.9, -0.9), 1e-6, 'adam weightDecay')
  -- learningRateDecay: the second step uses lr/(1 + lrd)
  local st2 = {}
  local xa = x0()
  optim.adam(quad, xa, {learningRate = 0.1, learningRateDecay = 1}, st2)
  optim.adam(quad, xa, {learningRate = 0.1, learningRateDecay = 1}, st2)
  tester:eq(xa, x2(ss / 2), 1e-14, 'adam learningRateDecay')
end

function T.adamw_decoupled_decay()
  -- x *= 1 - 0.1*0.1, then x -= lr/0.1 * m/(sqrt(v)/sqrt(0.001) + eps) = 0.1*sign(g)
  local x = steps('adamw', {learningRate = 0.1, weightDecay = 0.1}, 1)
  tester:eq(x, V(0.99 - 0.1 / (1 + 1e-8), -0.99 + 0.2 / (2 + 1e-8)), 1e-15, 'adamw step 1')
  x = steps('adamw', {learningRate = 0.1}, 1)
  tester:eq(x, V(0.999 - 0.1, -0.999 + 0.1), 1e-7, 'default weightDecay 1e-2')
end

function T.rmsprop_first_steps()
  local x = steps('rmsprop', {learningRate = 0.01}, 1)
  -- m = 0.01 g^2 = (0.01, 0.04): x -= 0.01 * g/(sqrt(m) + 1e-8)
  tester:eq(x, V(1 - 0.01 / (0.1 + 1e-8), -1 + 0.02 / (0.2 + 1e-8)), 1e-15, 'rmsprop step 1')
  x = steps('rmsprop', {learningRate = 0.01}, 2)
  -- g1 = (0.8, -1.9), m = (0.0163, 0.0757)
  local x1 = {1 - 0.01 / (0.1 + 1e-8), -1 + 0.02 / (0.2 + 1e-8)}
  local g1 = {3 * x1[1] + x1[2] - 1, x1[1] + 2 * x1[2] - 1}
  local m = {0.99 * 0.01 + 0.01 * g1[1] ^ 2, 0.99 * 0.04 + 0.01 * g1[2] ^ 2}
  tester:eq(m[1], 0.0163, 1e-8, 'hand value m1')
  tester:eq(x, V(x1[1] - 0.01 * g1[1] / (math.sqrt(m[1]) + 1e-8), x1[2] - 0.01 * g1[2] / (math.sqrt(m[2]) + 1e-8)),
            1e-15, 'rmsprop step 2')
  -- weightDecay and alpha
  x = steps('rmsprop', {learningRate = 0.01, alpha = 0.5, weightDecay = 1}, 1)
  -- g = (2, -3), m = 0.5 g^2, step = 0.01 * g / (|g|/sqrt(2))
  tester:eq(x, V(1 - 0.01 * math.sqrt(2), -1 + 0.01 * math.sqrt(2)), 1e-8, 'rmsprop alpha, weightDecay')
end

function T.adagrad_first_steps()
  local x = steps('adagrad', {learningRate = 0.1}, 1)
  tester:eq(x, V(1 - 0.1 / (1 + 1e-10), -1 + 0.2 / (2 + 1e-10)), 1e-15, 'adagrad step 1')
  x = steps('adagrad', {learningRate = 0.1}, 2)
  -- g1 = (0.8, -1.9) (up to 1e-10), variance (1.64, 7.61)
  tester:eq(x, V(0.9 - 0.1 * 0.8 / math.sqrt(1.64), -0.9 + 0.1 * 1.9 / math.sqrt(7.61)), 1e-9, 'adagrad step 2')
  -- learningRateDecay 1: the second step uses 0.05
  x = steps('adagrad', {learningRate = 0.1, learningRateDecay = 1}, 2)
  tester:eq(x, V(0.9 - 0.05 * 0.8 / math.sqrt(1.64), -0.9 + 0.05 * 1.9 / math.sqrt(7.61)), 1e-9, 'adagrad lr decay')
  x = steps('adagrad', {learningRate = 0.1, weightDecay = 1}, 1)
  tester:eq(x, V(0.9, -0.9), 1e-9, 'adagrad weightDecay: g = (2, -3)')
end

function T.adadelta_first_steps()
  local st = {}
  local x = x0()
  optim.adadelta(quad, x, {rho = 0.9, eps = 1e-6}, st)
  -- paramVariance = 0.1 g^2; delta = sqrt(eps)/sqrt(0.1 g^2 + eps) * g
  local d1 = 1e-3 / math.sqrt(0.1 + 1e-6) * 1
  local d2 = 1e-3 / math.sqrt(0.4 + 1e-6) * -2
  tester:eq(x, V(1 - d1, -1 - d2), 1e-15, 'adadelta step 1')
  tester:eq(st.accDelta, V(0.1 * d1 * d1, 0.1 * d2 * d2), 1e-20, 'accDelta')
  tester:eq(st.paramVariance, V(0.1, 0.4), 1e-15, 'paramVariance')
  -- step 2
  local x1 = {1 - d1, -1 - d2}
  local g = {3 * x1[1] + x1[2] - 1, x1[1] + 2 * x1[2] - 1}
  local pv = {0.09 + 0.1 * g[1] ^ 2, 0.36 + 0.1 * g[2] ^ 2}
  local e1 = math.sqrt(0.1 * d1 * d1 + 1e-6) / math.sqrt(pv[1] + 1e-6) * g[1]
  local e2 = math.sqrt(0.1 * d2 * d2 + 1e-6) / math.sqrt(pv[2] + 1e-6) * g[2]
  optim.adadelta(quad, x, {rho = 0.9, eps = 1e-6}, st)
  tester:eq(x, V(x1[1] - e1, x1[2] - e2), 1e-15, 'adadelta step 2')
  tester:eq(st.evalCounter, 2, 0, 'evalCounter')
end

function T.first_order_methods_converge()
  local cases = {
    {'sgd', {learningRate = 0.2}, 300},
    {'sgd', {learningRate = 0.1, momentum = 0.5, dampening = 0, nesterov = true}, 300},
    {'adam', {learningRate = 0.05}, 1000},
    {'adamw', {learningRate = 0.05, weightDecay = 0}, 1000},
    {'rmsprop', {learningRate = 0.01}, 1000},
    {'adagrad', {learningRate = 0.5}, 1000},
    {'adadelta', {rho = 0.99, eps = 1e-5}, 1000},
  }
  for _, c in ipairs(cases) do
    local x = x0()
    local fx
    for _ = 1, c[3] do _, fx = optim[c[1]](quad, x, c[2]) end
    tester:eq(x, xstar, 1e-3, c[1] .. ' reaches the minimum')
    tester:eq(fx[1], -0.3, 1e-5, c[1] .. ' f at the minimum')
  end
end

function T.lbfgs_first_steps()
  -- iteration 1: d = -g = (-1, 2), t = min(1, 1/|g|_1) = 1/3: x1 = (2/3, -1/3), f = 2/9;
  -- iteration 2: s = (-1/3, 2/3), y = g1 - g0 = (-1/3, 1), Hdiag = y's/y'y = 0.7, the
  -- two-loop recursion gives d = (-25/42, 29/42): x2 = (1/14, 5/14) (not evaluated: last)
  local x = x0()
  local st = {}
  local _, fh, nEval = optim.lbfgs(quad, x, {maxIter = 2}, st)
  tester:eq(x, V(1 / 14, 5 / 14), 1e-14, 'x after two iterations')
  tester:eq(#fh, 2, 0, 'two values of f')
  tester:eq(fh[1], 1.5, 1e-15, 'f(x0)')
  tester:eq(fh[2], 2 / 9, 1e-15, 'f(x1)')
  tester:eq(nEval, 2, 0, 'evaluations')
  tester:eq(st.Hdiag, 0.7, 1e-15, 'Hdiag')
  tester:eq(st.nIter, 2, 0, 'state.nIter')
  tester:eq(st.funcEval, 2, 0, 'state.funcEval')
  -- state reuse: another call continues from the kept history and converges
  local fh2
  for _ = 1, 5 do _, fh2 = optim.lbfgs(quad, x, {maxIter = 10, tolFun = 1e-12, tolX = 1e-16}, st) end
  tester:eq(x, xstar, 1e-9, 'continued calls converge')
  tester:eq(fh2[#fh2], -0.3, 1e-12, 'f at the minimum')
end

function T.lbfgs_converges()
  local x = x0()
  local _, fh = optim.lbfgs(quad, x, {maxIter = 100, tolFun = 1e-10, tolX = 1e-16})
  tester:eq(x, xstar, 1e-8, 'quadratic, fixed steps')
  tester:assert(fh[#fh] < fh[1], 'f decreases')
  x = x0()
  optim.lbfgs(quad, x, {maxIter = 100, tolFun = 1e-10, tolX = 1e-16, lineSearch = optim.lswolfe})
  tester:eq(x, xstar, 1e-8, 'quadratic, Wolfe line search')
  -- Rosenbrock from (-1.2, 1)
  x = V(-1.2, 1)
  local _, fr = optim.lbfgs(rosenbrock, x, {maxIter = 200, lineSearch = optim.lswolfe})
  tester:eq(x, V(1, 1), 1e-4, 'Rosenbrock, line search')
  tester:assert(fr[#fr] < 1e-8, 'Rosenbrock minimum value')
  x = V(-1.2, 1)
  local st = {}
  for _ = 1, 100 do optim.lbfgs(rosenbrock, x, {maxIter = 50, learningRate = 0.5, tolFun = 1e-9}, st) end
  tester:eq(x, V(1, 1), 1e-4, 'Rosenbrock, fixed steps over many calls')
end

function T.lswolfe_wolfe_conditions()
  -- from x0 along -g: the returned step satisfies the strong Wolfe conditions
  local x = x0()
  local f, g = quad(x)
  local d = -g
  local gtd = g:dot(d)
  local fn, gn, xr, t, nev = optim.lswolfe(quad, x, 1, d, f, g, gtd)
  tester:assert(xr == x, 'returns x')
  tester:eq(x, x0() + d * t, 1e-14, 'x = x0 + t*d')
  local fx, gx = quad(x)
  tester:eq(fn, fx, 1e-14, 'f at the new x')
  tester:eq(gn, gx, 1e-14, 'g at the new x')
  tester:assert(fn <= f + 1e-4 * t * gtd, 'sufficient decrease')
  tester:assert(math.abs(gn:dot(d)) <= -0.9 * gtd, 'curvature')
  tester:assert(nev >= 1, 'evaluations counted')
  -- the exact minimiser along d for a quadratic is t = g'g / d'Ad = 5/7
  local f1, g1 = quad(x0() + d)
  tester:eq(optim.polyinterp({{0, f, gtd}, {1, f1, g1:dot(d)}}), 5 / 7, 1e-12, 'polyinterp of a quadratic is exact')
end

function T.polyinterp_cases()
  -- cubic through (0, 0, -1) and (2, 2/3*... ): f(t) = t^3/3 - t has its minimum at 1
  local function f(t) return t ^ 3 / 3 - t end
  local function g(t) return t * t - 1 end
  tester:eq(optim.polyinterp({{0, f(0), g(0)}, {2, f(2), g(2)}}), 1, 1e-12, 'closed form')
  tester:eq(optim.polyinterp(torch.DoubleTensor{{2, f(2), g(2)}, {0, f(0), g(0)}}), 1, 1e-12, 'tensor points, any order')
  local t, fmin = optim.polyinterp({{0, f(0), g(0)}, {2, f(2), g(2)}}, 0, 3)
  tester:eq(t, 1, 1e-12, 'bounded')
  tester:eq(fmin, -2 / 3, 1e-12, 'the cubic at its minimum')
  tester:eq(optim.polyinterp({{0, f(0), g(0)}, {2, f(2), g(2)}}, 1.5, 3), 1.5, 1e-12, 'a bound when the minimum is outside')
end

function T.cg_converges()
  local x = x0()
  local _, fh, nev = optim.cg(quad, x, {maxEval = 50})
  tester:eq(x, xstar, 1e-8, 'quadratic')
  tester:eq(fh[1], 1.5, 1e-15, 'f[1] is f(x0)')
  tester:eq(fh[#fh], -0.3, 1e-12, 'f[#f] at the minimum')
  for i = 2, #fh do tester:assert(fh[i] <= fh[i - 1], 'f decreases') end
  tester:assert(nev <= 50, 'within maxEval')
  x = V(0, 0)
  local st = {}
  local _, fr = optim.cg(rosenbrock, x, {maxEval = 200}, st)
  tester:eq(x, V(1, 1), 1e-4, 'Rosenbrock')
  tester:assert(fr[#fr] < 1e-8, 'Rosenbrock value')
  tester:assert(torch.isTensor(st.s) and torch.isTensor(st.df1), 'buffers kept in state')
end

function T.getParameters_views_and_leaves()
  -- x's storage is updated in place: a view taken before stays valid
  local x = torch.DoubleTensor{1, -1, 7}
  local p = x:narrow(1, 1, 2)
  local view = x:narrow(1, 1, 1)
  optim.sgd(quad, p, {learningRate = 0.1})
  tester:eq(view[1], 0.9, 1e-15, 'a view sees the update')
  tester:eq(x[3], 7, 0, 'the rest is untouched')
  -- x a leaf that requires grad, df/dx from autograd
  local w = x0():setRequiresGrad()
  local function feval(wv)
    w.grad = nil
    local loss = (torch.mv(A, wv) * 0.5 - b):dot(wv)
    local l = (torch.cmul(torch.mv(A, wv), wv) * 0.5):sum() - (torch.cmul(b, wv)):sum()
    l:backward()
    return l, w.grad
  end
  for _ = 1, 300 do optim.sgd(feval, w, {learningRate = 0.2}) end
  tester:assert(w.requiresGrad and w:isLeaf(), 'still a leaf requiring grad')
  tester:eq(w:detach(), xstar, 1e-6, 'sgd on a leaf with autograd gradients')
  local w2 = x0():setRequiresGrad()
  optim.lbfgs(function(wv)
    w2.grad = nil
    local l = (torch.cmul(torch.mv(A, wv), wv) * 0.5):sum() - (torch.cmul(b, wv)):sum()
    l:backward()
    return l, w2.grad
  end, w2, {maxIter = 50, tolFun = 1e-10, tolX = 1e-16, lineSearch = optim.lswolfe})
  tester:eq(w2:detach(), xstar, 1e-6, 'lbfgs on a leaf, loss a tensor')
  -- a gradient that itself requires grad is detached
  local x3 = x0()
  optim.sgd(function(xx) local _, g = quad(xx); return 1.5, g:clone():setRequiresGrad() end, x3, {learningRate = 0.1})
  tester:eq(x3, V(0.9, -0.8), 1e-15, 'df/dx requiring grad')
  tester:assert(not x3.requiresGrad, 'x does not pick up requiresGrad')
end

-- the object form: loss = sum((w - target)^2), gradient 2(w - target)
local target = torch.DoubleTensor{1, 2}
local function train(opt, w, n)
  for _ = 1, n do
    opt:zeroGrad()
    local loss = ((w - target) ^ 2):sum()
    loss:backward()
    opt:step()
  end
end

function T.object_SGD()
  local w = torch.zeros(2):double():setRequiresGrad()
  local opt = optim.SGD(w, {lr = 0.1})
  train(opt, w, 1)
  tester:eq(w:detach(), V(0.2, 0.4), 1e-15, 'step 1')
  train(opt, w, 1)
  tester:eq(w:detach(), V(0.36, 0.72), 1e-15, 'step 2')
  tester:eq(w.grad, V(-1.6, -3.2), 1e-15, '.grad is left as computed')
  tester:assert(w:isLeaf() and w.requiresGrad, 'w stays a leaf')
  -- momentum 0.9: buf = g0 = (-2, -4), then 0.9*buf + g1, g1 = 2*((0.2, 0.4) - target)
  w = torch.zeros(2):double():setRequiresGrad()
  opt = optim.SGD({w}, {lr = 0.1, momentum = 0.9})
  train(opt, w, 2)
  tester:eq(w:detach(), V(0.2 + 0.1 * (1.8 + 1.6), 0.4 + 0.1 * (3.6 + 3.2)), 1e-15, 'momentum')
  -- nesterov: p -= lr*(g + 0.9*buf)
  w = torch.zeros(2):double():setRequiresGrad()
  opt = optim.SGD(w, {lr = 0.1, momentum = 0.9, nesterov = true})
  train(opt, w, 1)
  tester:eq(w:detach(), V(0.38, 0.76), 1e-15, 'nesterov step 1')
  -- weightDecay 0.5 at w = (1, 1): g = (0, -2) + (0.5, 0.5)
  w = torch.ones(2):double():setRequiresGrad()
  opt = optim.SGD(w, {lr = 0.1, weightDecay = 0.5})
  train(opt, w, 1)
  tester:eq(w:detach(), V(0.95, 1.15), 1e-15, 'weightDecay')
  -- converges; opt.lr is writable
  w = torch.zeros(2):double():setRequiresGrad()
  opt = optim.SGD(w, {lr = 0.1, momentum = 0.5})
  opt.lr = 0.2
  tester:eq(opt.lr, 0.2, 0, 'lr writable')
  train(opt, w, 100)
  tester:eq(w:detach(), target, 1e-8, 'SGD converges')
end

function T.object_adaptive_methods()
  -- Adam step 1 moves each weight by lr*sign(g); so does AdamW (decay 0) and Adagrad
  local w = torch.zeros(2):double():setRequiresGrad()
  train(optim.Adam(w, {lr = 0.1}), w, 1)
  tester:eq(w:detach(), V(0.1, 0.1), 1e-8, 'Adam step 1')
  w = torch.ones(2):double():setRequiresGrad()
  train(optim.AdamW(w, {lr = 0.1, weightDecay = 0.5}), w, 1)
  -- w *= 1 - 0.05, then -0.1*sign((0, -2)): element 1 has g = 0
  tester:eq(w:detach(), V(0.95, 1.05), 1e-8, 'AdamW step 1')
  w = torch.zeros(2):double():setRequiresGrad()
  train(optim.Adagrad(w, {lr = 0.1}), w, 1)
  tester:eq(w:detach(), V(0.1, 0.1), 1e-9, 'Adagrad step 1')
  w = torch.zeros(2):double():setRequiresGrad()
  train(optim.RMSprop(w, {lr = 0.01}), w, 1)
  -- sq = 0.01 g^2: step lr*g/(0.1|g|) = 0.1
  tester:eq(w:detach(), V(0.1, 0.1), 1e-8, 'RMSprop step 1')
  -- Adam step 2 (PyTorch's formula), element 1: g0 = -2, g1 = 2*(0.1 - 1) = -1.8
  w = torch.zeros(2):double():setRequiresGrad()
  local opt = optim.Adam(w, {betas = {0.9, 0.999}, lr = 0.1})
  train(opt, w, 2)
  local m = 0.9 * -0.2 + 0.1 * -1.8
  local v = 0.999 * 0.004 + 0.001 * 3.24
  local e = 0.1 * (1 - 1e-8 / (2 + 1e-8)) - 0.1 / (1 - 0.81) * m / (math.sqrt(v) / math.sqrt(1 - 0.999 ^ 2) + 1e-8)
  tester:eq(w[1], e, 1e-10, 'Adam step 2')
  -- all converge
  local cases = {
    {optim.Adam, {lr = 0.05}, 600}, {optim.AdamW, {lr = 0.05, weightDecay = 0}, 600},
    {optim.RMSprop, {lr = 0.01}, 600}, {optim.RMSprop, {lr = 0.01, momentum = 0.5, centered = true}, 600},
    {optim.Adagrad, {lr = 0.5}, 600},
  }
  for i, c in ipairs(cases) do
    w = torch.zeros(2):double():setRequiresGrad()
    train(c[1](w, c[2]), w, c[3])
    tester:eq(w:detach(), target, 1e-3, 'case ' .. i .. ' converges')
  end
end

function T.object_list_zeroGrad_closure()
  local a = torch.zeros(2):double():setRequiresGrad()
  local c = torch.zeros(3):double():setRequiresGrad()
  local opt = optim.SGD({a, c}, {lr = 0.25})
  local function closure()
    opt:zeroGrad()
    local loss = ((a - 1) ^ 2):sum() + ((c + 2) ^ 2):sum()
    loss:backward()
    return loss
  end
  local loss = opt:step(closure)
  tester:eq(loss:item(), 2 + 12, 1e-12, 'step returns the closure loss')
  tester:eq(a:detach(), torch.DoubleTensor{0.5, 0.5}, 1e-15, 'first parameter')
  tester:eq(c:detach(), torch.DoubleTensor{-1, -1, -1}, 1e-15, 'second parameter')
  opt:zeroGrad()
  tester:eq(a.grad, torch.zeros(2):double(), 0, 'zeroGrad')
  tester:eq(c.grad, torch.zeros(3):double(), 0, 'zeroGrad on every parameter')
  -- a parameter without .grad is skipped
  local d = torch.ones(2):double():setRequiresGrad()
  local opt2 = optim.Adam({a, d}, {lr = 0.1})
  opt2:zeroGrad();
  ((a - 1) ^ 2):sum():backward()
  opt2:step()
  tester:eq(d:detach(), torch.ones(2):double(), 0, 'no grad: untouched')
  tester:assert(tostring(opt):find('optim.SGD', 1, true), 'prints its name')
  tester:assert(torch.isTypeOf(opt, 'optim.Optimizer'), 'an optim.Optimizer')
end

function T.schedules()
  local w = torch.zeros(2):setRequiresGrad()
  local opt = optim.SGD(w, {lr = 0.1})
  local s = optim.StepLR(opt, 2, 0.5)
  tester:eq(s:getLR(), 0.1, 0, 'StepLR at epoch 0')
  local expect = {0.1, 0.05, 0.05, 0.025, 0.025}
  for i = 1, 5 do
    s:step()
    tester:eq(opt.lr, expect[i], 1e-15, 'StepLR epoch ' .. i)
    tester:eq(s:getLR(), expect[i], 1e-15, 'getLR epoch ' .. i)
  end
  opt = optim.Adam(w, {lr = 0.1})
  s = optim.ExponentialLR(opt, 0.9)
  for _ = 1, 3 do s:step() end
  tester:eq(opt.lr, 0.1 * 0.9 ^ 3, 1e-15, 'ExponentialLR')
  s:step(10)
  tester:eq(opt.lr, 0.1 * 0.9 ^ 10, 1e-15, 'step(epoch)')
  opt = optim.SGD(w, {lr = 0.1})
  s = optim.CosineAnnealingLR(opt, 10, 0.01)
  local lrs = {}
  for i = 1, 10 do lrs[i] = s:step() end
  tester:eq(lrs[5], 0.055, 1e-15, 'Cosine halfway')
  tester:eq(lrs[10], 0.01, 1e-15, 'Cosine at tMax: etaMin')
  tester:eq(lrs[1], 0.01 + 0.09 * (1 + math.cos(math.pi / 10)) / 2, 1e-15, 'Cosine epoch 1')
  opt = optim.SGD(w, {lr = 1})
  s = optim.StepLR(opt, 3)
  s:step(); s:step(); s:step()
  tester:eq(opt.lr, 0.1, 1e-15, 'StepLR default gamma 0.1')
  tester:assertErrorPattern(function() optim.StepLR(opt, 0) end, 'StepLR.*stepSize', 'bad stepSize')
  tester:assertErrorPattern(function() optim.ExponentialLR({}, 0.5) end, 'ExponentialLR', 'not an optimizer')
  tester:assertErrorPattern(function() optim.CosineAnnealingLR(opt, -1) end, 'CosineAnnealingLR.*tMax', 'bad tMax')
end

local tmpdir = os.getenv('TMPDIR') or '/tmp'
local function readfile(path)
  local f = assert(io.open(path, 'r'))
  local s = f:read('a')
  f:close()
  return s
end

function T.logger_file()
  local path = string.format('%s/luatorch_optim_%d/sub/train.log', tmpdir, math.random(1, 1e9))
  local log = optim.Logger(path)
  log:setNames{'train loss', 'test acc'}
  log:add{0.5, 12.25}
  -- read after each add: lines are flushed
  tester:eq(readfile(path), 'train loss\ttest acc\t\n 5.0000e-01\t 1.2250e+01\t\n', 'header and first line')
  log:add{-1e-3, 'n/a'}
  tester:eq(readfile(path), 'train loss\ttest acc\t\n 5.0000e-01\t 1.2250e+01\t\n-1.0000e-03\tn/a\t\n',
            'numbers as %11.4e, strings as they are')
  tester:eq(log.symbols[1], {0.5, -1e-3}, 0, 'values kept for plotting')
  tester:assertErrorPattern(function() log:add{{}} end, 'Logger.*numbers and strings', 'a table is refused')
  tester:assertErrorPattern(function() log:add{bogus = 1} end, "unknown symbol 'bogus'", 'unknown name')
  log:close()
  os.remove(path)
  -- named values without setNames: the names in sorted order
  local path2 = string.format('%s/luatorch_optim_log_%d.log', tmpdir, math.random(1, 1e9))
  local log2 = optim.Logger(path2)
  log2:add{['b'] = 2, ['a'] = 1}
  log2:add{['a'] = 3, ['b'] = 4}
  log2:style{a = '-', b = {'+', '-'}}
  tester:eq(readfile(path2), 'a\tb\t\n 1.0000e+00\t 2.0000e+00\t\n 3.0000e+00\t 4.0000e+00\t\n', 'named values')
  tester:eq(log2.styles[2], {'+', '-'}, 0, 'styles')

  -- plot: an error naming gnuplot when it is missing, else gnuplot.plot gets the series
  local saved, savedPre = package.loaded.gnuplot, package.preload.gnuplot
  package.loaded.gnuplot = nil
  package.preload.gnuplot = function() error("module 'gnuplot' not found") end
  tester:assertErrorPattern(function() log2:plot() end, 'gnuplot', 'plot without gnuplot')
  local calls = {}
  package.preload.gnuplot = nil
  package.loaded.gnuplot = {
    plot = function(p) calls[#calls + 1] = p end,
    figure = function(n) return n or 1 end,
    epsfigure = function() return 2 end,
    title = function() end, grid = function() end, plotflush = function() end, close = function() end,
  }
  log2:display(false)
  log2:plot()
  tester:eq(#calls, 1, 0, 'plotted once (to the eps file; display off)')
  local p = calls[1]
  tester:eq(#p, 3, 0, 'one curve per style')
  tester:eq(p[1][1], 'a', 'curve name')
  tester:eq(p[1][2], torch.DoubleTensor{1, 3}, 0, 'curve values')
  tester:eq(p[1][3], '-', 'curve style')
  tester:eq(p[3][2], torch.DoubleTensor{2, 4}, 0, 'second symbol')
  log2:display(true)
  calls = {}
  log2:plot('b')
  tester:eq(#calls, 2, 0, 'shown and written')
  tester:eq(#calls[1], 2, 0, 'only b')
  package.loaded.gnuplot, package.preload.gnuplot = saved, savedPre
  log2:close()
  os.remove(path2)
  os.remove(path2 .. '.eps')
  -- timestamp: the date is appended to the file name
  local base = string.format('%s/luatorch_optim_ts_%d.log', tmpdir, math.random(1, 1e9))
  local log3 = optim.Logger(base, true)
  tester:eq(log3.filename:sub(1, #base + 1), base .. '-', 'timestamped name')
  tester:assert(log3.filename:sub(#base + 2):match('^%d%d%d%d_%d%d_%d%d_%d%d:%d%d:%d%d$'), 'YYYY_MM_DD_HH:MM:SS')
  log3:add{x = 1}
  log3:close()
  tester:eq(readfile(log3.filename), 'x\t\n 1.0000e+00\t\n', 'timestamped file written')
  os.remove(log3.filename)
  tester:assert(rawget(_G, 'optim') == optim, "require 'optim' sets the global optim")
end

function T.confusion_matrix()
  local c = optim.ConfusionMatrix({'cat', 'dog', 'bird'})
  c:add(torch.DoubleTensor{0.1, 0.7, 0.2}, 2)   -- scores: dog, correct
  c:add(1, 1)                                  -- indices
  c:add(3, 1)
  c:batchAdd(torch.DoubleTensor{{0.9, 0, 0}, {0, 0.2, 0.5}, {0, 1, 0}}, torch.LongTensor{3, 3, 2})
  c:add(2, 0)                                  -- target 0: missing, ignored
  local mat = torch.LongTensor{{1, 0, 1}, {0, 2, 0}, {1, 0, 1}}
  tester:eq(c.mat, mat, 0, 'counts (rows: targets)')
  c:updateValids()
  tester:eq(c.totalValid, 4 / 6, 1e-12, 'totalValid')
  tester:eq(c.valids, torch.FloatTensor{0.5, 1, 0.5}, 1e-7, 'per-class accuracy')
  tester:eq(c.averageValid, 2 / 3, 1e-7, 'averageValid')
  tester:eq(c.unionvalids[1], 1 / 3, 1e-7, 'unionvalids')
  local s = tostring(c)
  local expect = 'ConfusionMatrix:\n' ..
    '[[       1       0       1]   50.000% \t[class: cat]\n' ..
    ' [       0       2       0]   100.000% \t[class: dog]\n' ..
    ' [       1       0       1]]  50.000% \t[class: bird]\n'
  tester:eq(s:sub(1, #expect), expect, 'printed matrix')
  tester:assert(s:find(' + global correct: 66.666666666667%', 1, true), 'global correct line')
  tester:assert(s:find(' + average row correct: 66.66666', 1, true), 'average row line')
  -- a number of classes; one-hot targets; zero
  local c2 = optim.ConfusionMatrix(2)
  c2:batchAdd(torch.LongTensor{1, 2, 2}, torch.DoubleTensor{{1, 0}, {1, 0}, {0, 1}})
  tester:eq(c2.mat, torch.LongTensor{{1, 1}, {0, 1}}, 0, 'one-hot targets')
  tester:assert(not tostring(c2):find('class:'), 'no class names printed')
  c2:zero()
  tester:eq(c2.mat:sum(), 0, 0, 'zero')
  tester:eq(c2.totalValid, 0, 0, 'zero resets totalValid')
  -- bad input
  tester:assertErrorPattern(function() c:add(4, 1) end, 'ConfusionMatrix.*prediction 4 out of range', 'prediction range')
  tester:assertErrorPattern(function() c:add(1, 7) end, 'ConfusionMatrix.*target 7 out of range', 'target range')
  tester:assertErrorPattern(function() c:add(torch.zeros(5), 1) end, 'ConfusionMatrix.*5 elements', 'score size')
  tester:assertErrorPattern(function() c:batchAdd(torch.zeros(2, 3), torch.LongTensor{1}) end,
                            'ConfusionMatrix.*2 predictions for 1 targets', 'batch sizes')
  tester:assertErrorPattern(function() optim.ConfusionMatrix('x') end, 'ConfusionMatrix', 'bad constructor')
end

function T.bad_config_names_the_function()
  local x = x0()
  local cases = {
    {'sgd', {learningRate = -1}, 'optim.sgd: invalid learningRate'},
    {'sgd', {momentum = -0.5}, 'optim.sgd: invalid momentum'},
    {'sgd', {momentum = 0.9, nesterov = true}, 'optim.sgd: Nesterov'},
    {'sgd', {learningRate = 'a'}, 'optim.sgd: config.learningRate must be a number'},
    {'adam', {learningRate = -1e-3}, 'optim.adam: invalid learningRate'},
    {'adam', {beta1 = 1.5}, 'optim.adam: invalid beta1'},
    {'adamw', {weightDecay = -1}, 'optim.adamw: invalid weightDecay'},
    {'rmsprop', {alpha = 2}, 'optim.rmsprop: invalid alpha'},
    {'adagrad', {learningRate = -1}, 'optim.adagrad: invalid learningRate'},
    {'adadelta', {rho = 1.5}, 'optim.adadelta: invalid rho'},
    {'lbfgs', {learningRate = 0}, 'optim.lbfgs: invalid learningRate'},
    {'lbfgs', {lineSearch = 3}, 'optim.lbfgs: config.lineSearch must be a function'},
    {'cg', {maxEval = -5}, 'optim.cg: invalid maxEval'},
  }
  for _, c in ipairs(cases) do
    tester:assertErrorPattern(function() optim[c[1]](quad, x, c[2]) end, c[3]:gsub('%p', '%%%0'), c[3])
  end
  tester:eq(x, x0(), 0, 'x untouched by refused calls')
  tester:assertErrorPattern(function() optim.sgd(nil, x) end, "bad argument #1 to 'optim.sgd'", 'opfunc')
  tester:assertErrorPattern(function() optim.adam(quad, x, 3) end, "bad argument #3 to 'optim.adam'", 'config')
  tester:assertErrorPattern(function() optim.sgd(function() return 1 end, x) end, 'optim.sgd: opfunc must return',
                            'no gradient')
  tester:assertErrorPattern(function() optim.sgd(function() return 1, torch.zeros(5):double() end, x) end,
                            'optim.sgd: df/dx has 5 elements, x has 2', 'gradient size')
  local w = torch.zeros(2):setRequiresGrad()
  tester:assertErrorPattern(function() optim.SGD(w, {lr = -1}) end, 'optim.SGD: invalid learning rate', 'SGD lr')
  tester:assertErrorPattern(function() optim.Adam(w, {lr = -1}) end, 'optim.Adam: invalid learning rate', 'Adam lr')
  tester:assertErrorPattern(function() optim.Adam(w, {betas = {1, 0.9}}) end, 'optim.Adam: invalid beta1', 'Adam betas')
  tester:assertErrorPattern(function() optim.AdamW(w, {lrr = 1}) end, "optim.AdamW: unknown option 'lrr'", 'typo')
  tester:assertErrorPattern(function() optim.RMSprop(w, {alpha = -1}) end, 'optim.RMSprop: invalid alpha', 'alpha')
  tester:assertErrorPattern(function() optim.Adagrad(w, {lrDecay = -1}) end, 'optim.Adagrad: invalid lrDecay', 'lrDecay')
  tester:assertErrorPattern(function() optim.SGD(w, {momentum = 0, nesterov = true}) end, 'optim.SGD: Nesterov', 'nesterov')
  tester:assertErrorPattern(function() optim.SGD(torch.zeros(2), {}) end, 'optim.SGD: parameter 1 does not require grad',
                            'params must require grad')
  tester:assertErrorPattern(function() optim.SGD({}, {}) end, 'optim.SGD: the parameter list is empty', 'empty list')
  tester:assertErrorPattern(function() optim.SGD(w, {lr = 'x'}) end, 'optim.SGD: option lr must be a number', 'lr type')
end

function T.nag_adamax_asgd_checkgrad()
  -- nag: v = 0, x1 = x0 - 0.1 g0 = (0.9, -0.8), v = (-0.1, 0.2); step 2 looks ahead to
  -- x1 + 0.9 v = (0.81, -0.62), g there (0.81, -1.43), v = 0.9 v - 0.1 g
  local st = {}
  local x = x0()
  optim.nag(quad, x, {learningRate = 0.1}, st)
  tester:eq(x, V(0.9, -0.8), 1e-15, 'nag step 1')
  optim.nag(quad, x, {learningRate = 0.1}, st)
  tester:eq(x, V(0.729, -0.477), 1e-15, 'nag step 2')
  tester:eq(st.dfdx, V(-0.171, 0.323), 1e-15, 'nag velocity')
  -- adamax: u = |g|, step lr/(1 - 0.9) * 0.1 g/|g| = lr*sign(g)
  x = steps('adamax', {learningRate = 0.1}, 1)
  tester:eq(x, V(0.9, -0.9), 1e-15, 'adamax step 1')
  -- asgd with lambda 0 (plain SGD steps) and averaging from t0 = 0: after three steps
  -- the average of x2 = (0.81, -0.63) and x3 = (0.73, -0.485)
  local ax
  x, st = x0(), {}
  for _ = 1, 3 do _, _, ax = optim.asgd(quad, x, {eta0 = 0.1, lambda = 0, t0 = 0}, st) end
  tester:eq(x, V(0.73, -0.485), 1e-15, 'asgd x3')
  tester:eq(ax, V(0.77, -0.5575), 1e-15, 'asgd average')
  -- convergence
  for _, c in ipairs{{'nag', {learningRate = 0.1}}, {'adamax', {learningRate = 0.02}}} do
    x = x0()
    for _ = 1, 1000 do optim[c[1]](quad, x, c[2]) end
    tester:eq(x, xstar, 1e-3, c[1] .. ' converges')
  end
  tester:assertErrorPattern(function() optim.nag(quad, x0(), {momentum = 0}) end, 'optim.nag: invalid momentum',
                            'nag needs a momentum')
  -- checkgrad: exact gradient, a wrong one, a non-contiguous x left unchanged
  local diff = optim.checkgrad(quad, x0())
  tester:assert(diff < 1e-6, 'checkgrad of the right gradient')
  local bad = optim.checkgrad(function(xx) local f, g = quad(xx); return f, g * 2 end, x0())
  tester:assert(bad > 0.1, 'checkgrad of a wrong gradient')
  local m = torch.DoubleTensor{{1, 5}, {-1, 6}}
  local col = m:select(2, 1)
  tester:assert(optim.checkgrad(quad, col) < 1e-6, 'checkgrad on a non-contiguous x')
  tester:eq(m, torch.DoubleTensor{{1, 5}, {-1, 6}}, 0, 'x restored')
end

-- XOR with a 2-4-1 tanh network whose parameters are views of one flat leaf (the
-- getParameters layout): gradients by autograd, steps by optim, 100% accuracy
function T.xor_learnt()
  local X = torch.DoubleTensor{{0, 0}, {0, 1}, {1, 0}, {1, 1}}
  local Y = torch.DoubleTensor{0, 1, 1, 0}
  local H = 4
  local function net(p)
    local W1 = p:narrow(1, 1, 2 * H):view(2, H)
    local b1 = p:narrow(1, 2 * H + 1, H)
    local W2 = p:narrow(1, 3 * H + 1, H)
    local b2 = p:narrow(1, 4 * H + 1, 1)
    local h = torch.tanh(torch.mm(X, W1) + b1:view(1, H):expand(4, H))
    return torch.mv(h, W2) + b2:expand(4)
  end
  local cases = {
    {'sgd', {learningRate = 0.1, momentum = 0.9, dampening = 0}, 500},
    {'adam', {learningRate = 0.05}, 500},
    {'lbfgs', {maxIter = 200, lineSearch = optim.lswolfe}, 1},
  }
  for k, c in ipairs(cases) do
    torch.manualSeed(k)
    local p = (torch.randn(5 * H + 1):double() * 0.5):setRequiresGrad()
    local function feval()
      p.grad = nil
      local loss = ((net(p) - Y) ^ 2):mean()
      loss:backward()
      return loss, p.grad
    end
    local fx
    for _ = 1, c[3] do _, fx = optim[c[1]](feval, p, c[2]) end
    local out = torch.noGrad(net, p)
    local conf = optim.ConfusionMatrix({'false', 'true'})
    for i = 1, 4 do conf:add(out[i] > 0.5 and 2 or 1, Y[i] + 1) end
    conf:updateValids()
    tester:eq(conf.totalValid, 1, 0, c[1] .. ': XOR learnt')
    tester:assert(fx[#fx] < 1e-6, c[1] .. ': loss near 0')
  end
  -- the object form on separate parameter tensors
  torch.manualSeed(7)
  local W1 = (torch.randn(2, H):double() * 0.5):setRequiresGrad()
  local b1 = torch.zeros(H):double():setRequiresGrad()
  local W2 = (torch.randn(H):double() * 0.5):setRequiresGrad()
  local b2 = torch.zeros(1):double():setRequiresGrad()
  local function fwd()
    local h = torch.tanh(torch.mm(X, W1) + b1:view(1, H):expand(4, H))
    return torch.mv(h, W2) + b2:expand(4)
  end
  local opt = optim.Adam({W1, b1, W2, b2}, {lr = 0.05})
  for _ = 1, 500 do
    opt:step(function()
      opt:zeroGrad()
      local loss = ((fwd() - Y) ^ 2):mean()
      loss:backward()
      return loss
    end)
  end
  local out = torch.noGrad(fwd)
  local correct = 0
  for i = 1, 4 do if (out[i] > 0.5) == (Y[i] > 0.5) then correct = correct + 1 end end
  tester:eq(correct, 4, 0, 'Adam object form: XOR learnt')
end

tester:add(T)
return tester
