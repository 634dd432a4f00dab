-- Numerics (tensor/numerics.c, bindings/numerics.c, the softmax/loss kernels): softmax,
-- log-softmax, logsumexp, cross-entropy and BCE against float64 references computed
-- stably here, forward and backward, for logits of +-1e4, +-88, 3e38, 1e-30 and mixed, in
-- float32 and float64, through the torch functions and the nn modules; isnan/isinf/
-- isfinite/hasNaN/hasInf on edge values, every kind of dtype and layout; anomaly mode
-- naming the op in forward and in backward, and doing nothing when off.
require 'nn'
local tester = torch.Tester()
local T = torch.TestSuite()

local nan, inf = 0 / 0, math.huge

-- the largest error of got (a tensor or a number) against the Lua array ref, relative to
-- max(1, |ref|); NaN where ref is finite counts as infinite
local function maxerr(got, ref)
  local v = type(got) == 'number' and { got } or got:double():contiguous():view(-1):totable()
  local e = 0
  for i = 1, #ref do
    local a, b = v[i], ref[i]
    local d = a == b and 0 or math.abs(a - b) / math.max(1, math.abs(b))
    if d ~= d then d = inf end
    if d > e then e = d end
  end
  return e
end
local function item(x) return type(x) == 'number' and x or x:item() end

-- log-softmax of the Lua array v in double, the stable way; returns it, its softmax and
-- logsumexp
local function ref_logsoftmax(v)
  local m = -inf
  for _, x in ipairs(v) do if x > m then m = x end end
  local s = 0
  for _, x in ipairs(v) do s = s + math.exp(x - m) end
  local ls, sm = {}, {}
  for i, x in ipairs(v) do ls[i] = (x - m) - math.log(s); sm[i] = math.exp(ls[i]) end
  return ls, sm, m + math.log(s)
end

local cases = {
  { 1e4, 1e4 + 1, -1e4 }, { 88, 89, 90 }, { -88, -89, -1e4 }, { 1e-30, -1e-30, 0 },
  { 3e38, 3e38, 0 }, { -3e38, 0, 1 }, { 1e4, 1e4 + 0.5, 1e4 + 0.25 }, { -1e4, 1e4, 0 },
  { 100.5, 100, 99.75 },
}
-- float32: a few roundings of values of size 1; float64: the same at its precision
local tol = { ['torch.FloatTensor'] = 1e-6, ['torch.DoubleTensor'] = 1e-13 }

function T.softmax_family_stable()
  for typ, tl in pairs(tol) do
    for ci, c in ipairs(cases) do
      local x = torch.Tensor(c):type(typ)
      local v = x:double():totable()   -- the values as stored
      local ls, sm, lse = ref_logsoftmax(v)
      local what = typ .. ' case ' .. ci
      tester:assertle(maxerr(torch.logSoftmax(x, 1), ls), tl, what .. ' logSoftmax')
      tester:assertle(maxerr(torch.softmax(x, 1), sm), tl, what .. ' softmax')
      tester:assertle(maxerr(x:logsumexp(1), { lse }), tl, what .. ' logsumexp')
      tester:assertle(maxerr(x:view(1, 3):logSoftmax(2), ls), tl, what .. ' logSoftmax over dim 2')
      -- a column (inner stride 3) runs the strided kernel
      local col = x:view(3, 1):expand(3, 2):contiguous()
      tester:assertle(maxerr(torch.logSoftmax(col, 1):select(2, 2), ls), tl, what .. ' strided logSoftmax')
      for t = 1, 3 do
        tester:assertle(maxerr(item(torch.crossEntropy(x, t)), { -ls[t] }), tl, what .. ' crossEntropy')
      end
      -- backward: log-softmax with a one-hot gradient, softmax, logsumexp, cross-entropy
      local g = {}
      for i = 1, 3 do g[i] = (i == 2 and 1 or 0) - sm[i] end
      local xr = x:clone():setRequiresGrad(true)
      torch.logSoftmax(xr, 1):narrow(1, 2, 1):sum():backward()
      tester:assertle(maxerr(xr.grad, g), tl, what .. ' logSoftmax backward')
      local xs = x:clone():setRequiresGrad(true)
      torch.softmax(xs, 1):narrow(1, 1, 1):sum():backward()
      local gs = {}
      for i = 1, 3 do gs[i] = sm[1] * ((i == 1 and 1 or 0) - sm[i]) end
      tester:assertle(maxerr(xs.grad, gs), tl, what .. ' softmax backward')
      local xl = x:clone():setRequiresGrad(true)
      xl:logsumexp(1):sum():backward()
      tester:assertle(maxerr(xl.grad, sm), tl, what .. ' logsumexp backward')
      local xa = x:view(1, 3):clone():setRequiresGrad(true)
      xa:logsumexp():backward()   -- over all elements
      tester:assertle(maxerr(xa.grad, sm), tl, what .. ' whole logsumexp backward')
      local xc = x:clone():setRequiresGrad(true)
      torch.crossEntropy(xc, 3):backward()
      local gc = {}
      for i = 1, 3 do gc[i] = sm[i] - (i == 3 and 1 or 0) end
      tester:assertle(maxerr(xc.grad, gc), tl, what .. ' crossEntropy backward')
      -- nn: LogSoftMax + ClassNLLCriterion, CrossEntropyCriterion, SoftMax
      local batch = x:view(1, 3)
      local lsm, nll = nn.LogSoftMax():type(typ), nn.ClassNLLCriterion():type(typ)
      local out = lsm:forward(batch)
      tester:assertle(maxerr(out, ls), tl, what .. ' nn.LogSoftMax')
      local tgt = torch.LongTensor{ 2 }
      tester:assertle(maxerr(nll:forward(out, tgt), { -ls[2] }), tl, what .. ' nn.ClassNLLCriterion')
      local gi = lsm:backward(batch, nll:backward(out, tgt))
      local gnll = {}   -- d(-ls[2])/dx
      for i = 1, 3 do gnll[i] = -g[i] end
      tester:assertle(maxerr(gi, gnll), tl, what .. ' LogSoftMax+ClassNLL backward')
      local ce = nn.CrossEntropyCriterion():type(typ)
      tester:assertle(maxerr(ce:forward(batch, tgt), { -ls[2] }), tl, what .. ' nn.CrossEntropyCriterion')
      tester:assertle(maxerr(ce:backward(batch, tgt), gnll), tl, what .. ' CrossEntropyCriterion backward')
      local smm = nn.SoftMax():type(typ)
      tester:assertle(maxerr(smm:forward(batch), sm), tl, what .. ' nn.SoftMax')
    end
  end
end

function T.softmax_edges()
  -- a line of -inf gives NaN (PyTorch); a -inf among finite values is an exact 0
  local x = torch.Tensor{ -inf, -inf }
  tester:assert(torch.softmax(x, 1):hasNaN(), 'softmax of all -inf is NaN')
  local y = torch.softmax(torch.Tensor{ -inf, 0 }, 1)
  tester:asserteq(y[1], 0, 'exp(-inf) is 0')
  tester:asserteq(y[2], 1, 'the rest is 1')
  tester:asserteq(torch.logSoftmax(torch.Tensor{ -inf, 0 }, 1)[1], -inf, 'log-softmax keeps -inf')
  tester:asserteq(torch.Tensor{ -inf, -inf }:logsumexp(), -inf, 'logsumexp of all -inf')
  tester:asserteq(torch.Tensor{ 1, inf }:logsumexp(), inf, 'logsumexp with +inf')
  -- many equal huge logits: exactly uniform
  local u = torch.softmax(torch.FloatTensor(1000):fill(3e38), 1)
  tester:assertle(maxerr(u, { 1e-3 }), 1e-9, 'uniform softmax of 3e38')
end

-- float32 lines longer than a vector and than the exp chunk (1,024), of lengths that are
-- not multiples of 8: softmax, log-softmax and logsumexp against a float64 loop, with
-- -inf, a large spread and a NaN line
function T.softmax_long_float_lines()
  for _, n in ipairs{ 5, 13, 1024, 2500 } do
    local x = torch.FloatTensor(3, n)
    for i = 1, 3 do
      for j = 1, n do x[i][j] = ((i * 31 + j * 7919) % 997) / 997 * 40 - 20 end
    end
    x[2][math.min(n, 1030)] = -inf
    x[3][n] = 0 / 0
    local xd = x:double()
    for i = 1, 2 do
      local mx, s = -inf, 0
      for j = 1, n do mx = math.max(mx, xd[i][j]) end
      for j = 1, n do s = s + math.exp(xd[i][j] - mx) end
      local lse = mx + math.log(s)
      local sm, ls = torch.softmax(x, 2)[i]:double(), torch.logSoftmax(x, 2)[i]:double()
      local err, lerr = 0, 0
      for j = 1, n do
        local r = math.exp(xd[i][j] - lse)
        err = math.max(err, math.abs(sm[j] - r) / math.max(r, 1e-30))
        if xd[i][j] > -inf then lerr = math.max(lerr, math.abs(ls[j] - (xd[i][j] - lse))) end
      end
      local what = string.format('n=%d row %d', n, i)
      tester:assertle(err, 2e-5, what .. ': float32 softmax relative error')
      tester:assertle(lerr, 1e-5 * (1 + math.abs(lse)), what .. ': float32 log-softmax')
      tester:eq(x:logsumexp(2)[i][1], lse, 1e-6 * (1 + math.abs(lse)), what .. ': float32 logsumexp')
      if i == 2 and n >= 1030 then
        tester:asserteq(sm[1030], 0, what .. ': softmax of -inf is 0')
        tester:asserteq(ls[1030], -inf, what .. ': log-softmax of -inf is -inf')
      end
    end
    tester:assert(torch.softmax(x, 2)[3]:hasNaN() and x:logsumexp(2)[3][1] ~= x:logsumexp(2)[3][1],
                  'n=' .. n .. ': a NaN line stays NaN')
  end
end

-- BCE of probabilities: logs clamped at -100 (forward), p(1-p) at 1e-12 (backward)
function T.bce_stable()
  local ps = { 0, 1, 1e-30, 0.5, 1 - 1e-7, 1e-7 }
  local ts = { 0, 1, 0.3 }
  for typ, tl in pairs(tol) do
    for _, p0 in ipairs(ps) do
      for _, t in ipairs(ts) do
        local p = torch.DoubleTensor{ p0 }:type(typ)
        local pv = p:double()[1]
        local tt = torch.DoubleTensor{ t }:type(typ)
        t = tt:double()[1]   -- the target as stored
        local lp, l1p = math.max(math.log(pv), -100), math.max(math.log(1 - pv), -100)
        local ref = -(t * lp + (1 - t) * l1p)
        local what = string.format('%s p=%g t=%g', typ, p0, t)
        local loss = item(torch.bceLoss(p, tt))
        tester:assert(loss == loss and loss < inf, what .. ': finite loss')
        tester:assertle(maxerr(loss, { ref }), tl * 10, what .. ': loss')
        local pr = p:clone():setRequiresGrad(true)
        torch.bceLoss(pr, tt):backward()
        local gref = (pv - t) / math.max(pv * (1 - pv), 1e-12)
        tester:assert(not pr.grad:hasNaN() and not pr.grad:hasInf(), what .. ': finite gradient')
        tester:assertle(math.abs(pr.grad[1] - gref) / math.max(1, math.abs(gref)), 1e-5, what .. ': gradient')
        -- nn.BCECriterion
        local crit = nn.BCECriterion():type(typ)
        local l2 = crit:forward(p, tt)
        tester:assertle(maxerr(l2, { ref }), tl * 10, what .. ': nn.BCECriterion')
        local gi = crit:backward(p, tt)
        tester:assert(not gi:hasNaN() and not gi:hasInf(), what .. ': nn.BCECriterion gradient finite')
      end
    end
  end
end

-- BCE with logits: (1 - t) x + lw softplus(-x), lw = 1 + (pw - 1) t; d/dx = (1 - t) - lw sigmoid(-x)
function T.bce_with_logits_stable()
  local function softplus(z) return z > 0 and z + math.log(1 + math.exp(-z)) or math.log(1 + math.exp(z)) end
  local function sigmoid(z) return z >= 0 and 1 / (1 + math.exp(-z)) or math.exp(z) / (1 + math.exp(z)) end
  local xs = { 1e4, -1e4, 88, -88, 1e-30, -1e-30, 0, 30, -30 }
  for typ, tl in pairs(tol) do
    for _, x0 in ipairs(xs) do
      for _, t in ipairs{ 0, 1, 0.3 } do
        for _, pw in ipairs{ 1, 3 } do
          local x = torch.DoubleTensor{ x0 }:type(typ)
          local xv = x:double()[1]
          local tt, pwt = torch.DoubleTensor{ t }:type(typ), torch.DoubleTensor{ pw }:type(typ)
          t = tt:double()[1]
          local lw = 1 + (pw - 1) * t
          local ref = (1 - t) * xv + lw * softplus(-xv)
          local gref = (1 - t) - lw * sigmoid(-xv)
          local what = string.format('%s x=%g t=%g pw=%g', typ, x0, t, pw)
          tester:assertle(maxerr(item(torch.bceWithLogits(x, tt, nil, pwt)), { ref }), tl * 10, what .. ': loss')
          local xr = x:clone():setRequiresGrad(true)
          torch.bceWithLogits(xr, tt, nil, pwt):backward()
          tester:assertle(maxerr(xr.grad, { gref }), tl * 10, what .. ': gradient')
          local crit = nn.BCEWithLogitsCriterion(nil, true, pwt):type(typ)
          tester:assertle(maxerr(crit:forward(x, tt), { ref }), tl * 10, what .. ': nn loss')
          tester:assertle(maxerr(crit:backward(x, tt), { gref }), tl * 10, what .. ': nn gradient')
        end
      end
    end
  end
end

function T.masks()
  local vals = { 1, nan, inf, -inf, -0.0, 3e38, 1e-45 }
  local want_nan = { 0, 1, 0, 0, 0, 0, 0 }
  local want_inf = { 0, 0, 1, 1, 0, 0, 0 }
  local want_fin = { 1, 0, 0, 0, 1, 1, 1 }
  for _, typ in ipairs{ 'torch.FloatTensor', 'torch.DoubleTensor', 'torch.HalfTensor', 'torch.BFloat16Tensor' } do
    local t = torch.DoubleTensor(vals):type(typ)
    local half = typ:find('Half') ~= nil   -- 3e38 overflows to inf in float16
    want_inf[6], want_fin[6] = half and 1 or 0, half and 0 or 1
    tester:assertTableEq(t:isnan():double():totable(), want_nan, typ .. ' isnan')
    tester:assertTableEq(torch.isinf(t):double():totable(), want_inf, typ .. ' isinf')
    tester:assertTableEq(torch.isfinite(t):double():totable(), want_fin, typ .. ' isfinite')
    tester:asserteq(torch.typename(t:isnan()), 'torch.ByteTensor', typ .. ' a ByteTensor, as the comparisons')
    tester:asserteq(t:hasNaN(), true, typ .. ' hasNaN')
    tester:asserteq(t:hasInf(), true, typ .. ' hasInf')
    local fin = t:narrow(1, 5, 3)   -- -0, 3e38 (inf in half), 1e-45
    tester:asserteq(fin:hasNaN(), false, typ .. ' no NaN')
    tester:asserteq(fin:hasInf(), half, typ .. ' Inf only where the type overflows')
  end
  for _, typ in ipairs{ 'torch.LongTensor', 'torch.IntTensor', 'torch.ShortTensor', 'torch.CharTensor',
                        'torch.ByteTensor', 'torch.BoolTensor' } do
    local t = torch.LongTensor{ 0, 1, 1, 0 }:type(typ)
    tester:assertTableEq(t:isnan():double():totable(), { 0, 0, 0, 0 }, typ .. ' isnan')
    tester:assertTableEq(t:isinf():double():totable(), { 0, 0, 0, 0 }, typ .. ' isinf')
    tester:assertTableEq(t:isfinite():double():totable(), { 1, 1, 1, 1 }, typ .. ' isfinite')
    tester:asserteq(t:hasNaN(), false, typ .. ' hasNaN')
    tester:asserteq(t:hasInf(), false, typ .. ' hasInf')
  end
  -- layouts: transposed and expanded views, 0-dim, empty; a result tensor (BoolTensor)
  local m = torch.Tensor{ { 1, nan }, { inf, 2 } }
  tester:assertTableEq(m:t():isnan():double():totable(), { { 0, 0 }, { 1, 0 } }, 'transposed isnan')
  tester:assertTableEq(m:t():isinf():double():totable(), { { 0, 1 }, { 0, 0 } }, 'transposed isinf')
  tester:asserteq(m:select(2, 1):hasInf(), true, 'strided column hasInf')
  tester:asserteq(m:select(2, 1):hasNaN(), false, 'strided column hasNaN')
  tester:asserteq(torch.Tensor{ nan }:view(1, 1):expand(3, 4):hasNaN(), true, 'expanded')
  tester:asserteq(torch.Tensor(0):hasNaN(), false, 'empty')
  tester:asserteq(torch.Tensor():isnan():nElement(), 0, 'empty isnan')
  tester:asserteq(torch.Tensor{ inf }:view(torch.LongStorage()):hasInf(), true, '0-dim')
  local res = torch.BoolTensor(1)
  local r = torch.isnan(res, m)
  tester:assert(r == res, 'res form returns res')
  tester:asserteq(torch.typename(res), 'torch.BoolTensor', 'res keeps its type')
  tester:assertTableEq(res:double():totable(), { { 0, 1 }, { 0, 0 } }, 'res values')
  -- large: the parallel scan finds a NaN in the last element, and none elsewhere
  local big = torch.FloatTensor(200000):fill(1)
  tester:asserteq(big:hasNaN(), false, 'large finite')
  big[200000] = nan
  tester:asserteq(big:hasNaN(), true, 'large, NaN last')
  tester:asserteq(big:hasInf(), false, 'large, no Inf')
  big[7] = -inf
  tester:asserteq(big:hasInf(), true, 'large, -inf')
  tester:asserteq(big:isnan():sum(), 1, 'large isnan count')
  -- a tensor that requires grad: masks and checks record nothing
  local w = torch.Tensor{ 1, nan }:setRequiresGrad(true)
  tester:asserteq(w:isnan().requiresGrad, false, 'mask has no history')
  tester:asserteq(w:hasNaN(), true, 'hasNaN of a leaf')
  -- bad arguments
  tester:assertErrorPattern(function() torch.isnan('x') end, 'isnan', 'isnan of a string')
  tester:assertErrorPattern(function() torch.hasNaN(3) end, 'hasNaN', 'hasNaN of a number')
end

-- runs f with anomaly mode set as given, restoring it (also when f fails)
local function with_anomaly(on, f, checkInf)
  local prev = torch.setDetectAnomaly(on, checkInf)
  local ok, err = pcall(f)
  torch.setDetectAnomaly(prev)
  if not ok then error(err, 0) end
end

function T.anomaly_forward()
  tester:asserteq(torch.isAnomalyEnabled(), false, 'off by default')
  with_anomaly(true, function()
    tester:asserteq(torch.isAnomalyEnabled(), true, 'on')
    local x = torch.Tensor{ -1, 2 }:setRequiresGrad(true)
    tester:assertErrorPattern(function() return torch.log(x) end,
      'anomaly: log produced NaN in forward', 'log of -1')
    tester:assertErrorPattern(function() return torch.div(x, torch.Tensor{ 0, 1 }) end,
      'anomaly: div produced Inf in forward', 'division by 0')
    -- a NaN that came in from outside the graph is said to have done so
    tester:assertErrorPattern(function() return torch.add(x, torch.Tensor{ nan, 1 }) end,
      'add produced NaN in forward %(its argument 2, which has no recorded history', 'NaN input')
    -- the nn ops: a module whose weight holds NaN
    local lin = nn.Linear(2, 2)
    lin.weight[1][1] = nan
    tester:assertErrorPattern(function() return lin:forward(torch.Tensor{ 1, 1 }) end,
      'anomaly: %a+ produced NaN in forward', 'nn.Linear with a NaN weight')
    tester:assertErrorPattern(function() return torch.logSoftmax(torch.Tensor{ -inf, -inf }:setRequiresGrad(true), 1) end,
      'anomaly: logSoftmax produced NaN', 'logSoftmax of all -inf')
    -- finite results pass, and the graph still works after an anomaly
    local y = torch.exp(x):sum()
    y:backward()
    tester:assertTensorEq(x.grad, torch.exp(torch.Tensor{ -1, 2 }), 1e-6, 'backward after an anomaly')
    -- printing a tensor that requires grad and holds NaN records nothing, so never trips
    local w = torch.Tensor{ nan }:setRequiresGrad(true)
    tester:assert(tostring(w):find('nan'), 'printing NaN in anomaly mode')
    -- ops that record nothing are not checked
    torch.noGrad(function() tester:assert(torch.log(x):hasNaN(), 'noGrad: not checked') end)
    tester:assert(torch.log(torch.Tensor{ -1 }):hasNaN(), 'no input requires grad: not checked')
  end)
  -- checkInf false: Inf passes, NaN does not
  with_anomaly(true, function()
    local x = torch.Tensor{ 1, 2 }:setRequiresGrad(true)
    local y = torch.div(x, torch.Tensor{ 0, 1 })
    tester:asserteq(y[1], inf, 'Inf allowed with checkInf false')
    tester:assertErrorPattern(function() return torch.mul(y, 0) end, 'anomaly: mul produced NaN', 'NaN still caught')
  end, false)
  tester:asserteq(torch.isAnomalyEnabled(), false, 'restored')
end

function T.anomaly_backward()
  with_anomaly(true, function()
    -- sqrt'(0) is Inf
    local y = torch.Tensor{ 0, 4 }:setRequiresGrad(true)
    local s = torch.sqrt(y):sum()
    tester:assertErrorPattern(function() s:backward() end,
      'anomaly: the backward of sqrt %(SqrtBackward%) produced Inf in its gradient for argument 1', 'sqrt at 0')
    -- d(a/b)/db = -a/b^2 overflows float32 while a/b does not
    local a = torch.FloatTensor{ 1 }:setRequiresGrad(true)
    local b = torch.FloatTensor{ 1e-30 }:setRequiresGrad(true)
    local q = torch.div(a, b):sum()
    tester:assertErrorPattern(function() q:backward() end,
      'anomaly: the backward of div %(DivBackward%) produced Inf in its gradient for argument 2', 'div')
    -- through nn: the gradient of a module's backward
    local m = nn.Sqrt()
    local inp = torch.Tensor{ 0, 1 }
    m:forward(inp)
    tester:assertErrorPattern(function() m:backward(inp, torch.Tensor{ 1, 1 }) end,
      'anomaly: the backward of sqrt', 'nn.Sqrt backward at 0')
    -- a finite backward passes
    local z = torch.Tensor{ 1, 4 }:setRequiresGrad(true)
    torch.sqrt(z):sum():backward()
    tester:assertTensorEq(z.grad, torch.Tensor{ 0.5, 0.25 }, 1e-7, 'finite backward')
  end)
  -- under createGraph the formulas' own ops say where they ran
  with_anomaly(true, function()
    local x = torch.Tensor{ 0 }:setRequiresGrad(true)
    local y = torch.pow(x, 0.5):sum()
    local ok, err = pcall(function() return torch.grad(y, { x }, nil, { createGraph = true }) end)
    tester:assert(not ok and tostring(err):find('anomaly:', 1, true), 'createGraph: caught (' .. tostring(err) .. ')')
  end)
end

function T.anomaly_off()
  tester:asserteq(torch.isAnomalyEnabled(), false, 'off')
  -- the same computations produce NaN/Inf silently
  local x = torch.Tensor{ -1, 0 }:setRequiresGrad(true)
  local l = torch.log(x)
  tester:assert(l:hasNaN() and l:hasInf(), 'NaN and Inf pass when off')
  local y = torch.Tensor{ 0, 4 }:setRequiresGrad(true)
  torch.sqrt(y):sum():backward()
  tester:asserteq(y.grad[1], inf, 'Inf gradient passes when off')
  -- setDetectAnomaly returns the previous mode; detectAnomaly restores it, also on error
  tester:asserteq(torch.setDetectAnomaly(true), false, 'previous: off')
  tester:asserteq(torch.setDetectAnomaly(false), true, 'previous: on')
  local r1, r2 = torch.detectAnomaly(function(a, b)
    tester:asserteq(torch.isAnomalyEnabled(), true, 'on inside detectAnomaly')
    return a + b, 'x'
  end, 1, 2)
  tester:asserteq(r1, 3, 'results returned')
  tester:asserteq(r2, 'x', 'all results')
  tester:asserteq(torch.isAnomalyEnabled(), false, 'off again')
  tester:assertErrorPattern(function()
    torch.detectAnomaly(function() return torch.log(torch.Tensor{ -1 }:setRequiresGrad(true)) end)
  end, 'anomaly: log produced NaN', 'detectAnomaly raises')
  tester:asserteq(torch.isAnomalyEnabled(), false, 'off after an error')
  local autograd = require 'autograd'
  tester:asserteq(autograd.detectAnomaly, torch.detectAnomaly, 'autograd.detectAnomaly')
  tester:assertErrorPattern(function() torch.setDetectAnomaly(1) end, 'setDetectAnomaly', 'bad mode')
  tester:assertErrorPattern(function() torch.detectAnomaly(1) end, 'detectAnomaly', 'bad function')
end

tester:add(T)
return tester
