-- The nn engine ops of tensor/nn_spatial.c and their modules: torch.maxPool2d,
-- avgPool2d, upsampleNearest2d, pad2d, batchNorm, dropout/spatialDropout, embedding
-- (values against naive float64 references, gradcheck, createGraph through the linear
-- ops' backward, bad arguments) and nn.SpatialMaxPooling, SpatialAveragePooling,
-- SpatialUpSamplingNearest, SpatialZeroPadding, Padding, BatchNormalization,
-- SpatialBatchNormalization, Dropout, SpatialDropout, LookupTable (forward values,
-- gradInput and parameter gradients against finite differences and torch.grad, batch and
-- single samples, training/evaluate, __tostring, errors).
require 'nn'
local tester = torch.Tester()
local T = torch.TestSuite()

torch.manualSeed(11)

local function check(f, inputs, what)
  local ok, msg = torch.gradcheck(f, inputs)
  tester:assert(ok, (what or '') .. ': ' .. tostring(msg))
end

-- a number from a reduction (a 0-dim tensor when it is recorded)
local function num(v) return torch.isTensor(v) and v:item() or v end

local function close(a, b, tol, what)
  tester:assertTensorEq(a:double(), b:double(), tol or 1e-10, what)
end

-- a float64 4-D (or 3-D) input; t: a transposed (non-contiguous) one
local function input(t, ...)
  local sz = { ... }
  local n = #sz
  if t then
    sz[n - 1], sz[n] = sz[n], sz[n - 1]
    return torch.randn(table.unpack(sz)):double():transpose(n - 1, n)
  end
  return torch.randn(table.unpack(sz)):double()
end

local function errors(f, pattern, what)
  local ok, msg = pcall(f)
  tester:assert(not ok, (what or pattern) .. ': expected an error')
  if not ok and pattern then
    tester:assert(tostring(msg):find(pattern, 1, true) ~= nil,
                  (what or pattern) .. ': message "' .. tostring(msg) .. '" lacks "' .. pattern .. '"')
  end
end

-- (N, C, H, W) view of x (3-D inputs get N = 1)
local function as4(x)
  if x:dim() == 3 then return x:view(1, x:size(1), x:size(2), x:size(3)) end
  return x
end

local function outsize(n, k, d, p, ceil)
  local o
  if ceil then o = math.ceil((n + 2 * p - k) / d) + 1 else o = math.floor((n + 2 * p - k) / d) + 1 end
  if ceil and (o - 1) * d >= n + p then o = o - 1 end
  return o
end

-- naive pooling: max (with 1-based flat indices) or average
local function ref_pool(kind, x, kW, kH, dW, dH, padW, padH, ceil, cip)
  local x4 = as4(x)
  local N, C, H, W = x4:size(1), x4:size(2), x4:size(3), x4:size(4)
  local oH, oW = outsize(H, kH, dH, padH, ceil), outsize(W, kW, dW, padW, ceil)
  local y = torch.DoubleTensor(N, C, oH, oW)
  local ix = torch.LongTensor(N, C, oH, oW)
  for n = 1, N do for c = 1, C do for i = 1, oH do for j = 1, oW do
    local hs, ws = (i - 1) * dH - padH, (j - 1) * dW - padW
    local he, we = math.min(hs + kH, H + padH), math.min(ws + kW, W + padW)
    local pool = (he - hs) * (we - ws)
    hs, ws, he, we = math.max(hs, 0), math.max(ws, 0), math.min(he, H), math.min(we, W)
    if kind == 'max' then
      local best, bi = -math.huge, 0
      for h = hs, he - 1 do for w = ws, we - 1 do
        local v = x4[n][c][h + 1][w + 1]
        if v > best then best, bi = v, h * W + w + 1 end
      end end
      y[n][c][i][j], ix[n][c][i][j] = best, bi
    else
      local s = 0
      for h = hs, he - 1 do for w = ws, we - 1 do s = s + x4[n][c][h + 1][w + 1] end end
      y[n][c][i][j] = s / (cip and pool or (he - hs) * (we - ws))
    end
  end end end end
  if x:dim() == 3 then return y[1], ix[1] end
  return y, ix
end

local pool_cases = {
  -- kW, kH, dW, dH, padW, padH, ceil, H, W
  { 2, 2, 2, 2, 0, 0, false, 6, 7 },
  { 2, 2, 2, 2, 0, 0, true, 5, 7 },
  { 3, 3, 2, 2, 1, 1, false, 7, 6 },
  { 3, 3, 2, 2, 1, 1, true, 6, 6 },
  { 3, 2, 1, 2, 1, 0, true, 5, 4 },
  { 1, 3, 3, 1, 0, 1, true, 5, 5 },
}

---------------------------------------------------------------------------------------
-- pooling
---------------------------------------------------------------------------------------

function T.maxPool2d_values()
  for ci, c in ipairs(pool_cases) do
    for _, tr in ipairs { false, true } do
      for _, batch in ipairs { true, false } do
        local x = batch and input(tr, 2, 3, c[8], c[9]) or input(tr, 3, c[8], c[9])
        local y, ix = torch.maxPool2d(x, c[1], c[2], c[3], c[4], c[5], c[6], c[7])
        local ry, rix = ref_pool('max', x, table.unpack(c, 1, 7))
        local what = string.format('case %d tr %s batch %s', ci, tostring(tr), tostring(batch))
        close(y, ry, 0, what)
        tester:assert(torch.type(ix) == 'torch.LongTensor', 'indices are a LongTensor')
        tester:assert(ix:eq(rix):all(), what .. ': indices')
        -- float32 too
        local yf = torch.maxPool2d(x:float(), c[1], c[2], c[3], c[4], c[5], c[6], c[7])
        tester:assert(torch.type(yf) == 'torch.FloatTensor', 'float result')
        close(yf, ry:float():double(), 0, what .. ' float')
      end
    end
  end
  -- NaN wins (Torch7); a window of -inf points at its first element
  local xn = torch.DoubleTensor { { { 1, 0 / 0, 2, 3 }, { 4, 5, -math.huge, -math.huge }, { 0, 1, -math.huge, -math.huge } } }
  local yn, ixn = torch.maxPool2d(xn, 2, 2, 2, 1)
  tester:assert(yn[1][1][1] ~= yn[1][1][1], 'NaN propagates')
  tester:asserteq(ixn[1][1][1], 2, 'NaN index')
  tester:asserteq(yn[1][2][2], -math.huge, '-inf window')
  tester:asserteq(ixn[1][2][2], 7, '-inf window index: its first element')
  tester:asserteq(ixn[1][1][2], 4, 'first maximum')
  -- default stride = kernel
  local x = input(false, 1, 2, 4, 6)
  close(torch.maxPool2d(x, 2, 2), (ref_pool('max', x, 2, 2, 2, 2, 0, 0, false)), 0, 'default stride')
end

-- 2x2 stride-2 windows take their own kernel (tensor/nn_spatial.c maxpool2_*): the same
-- NaN, tie and -inf rules, and its backward (a direct scatter) the same sums
function T.maxPool2d_2x2_kernel()
  for _, tp in ipairs { 'torch.DoubleTensor', 'torch.FloatTensor' } do
    local nan = 0 / 0
    local x = torch.DoubleTensor { { { 1, nan, 3, 3, 9 }, { 4, 5, 3, 3, 9 },
                                     { -math.huge, -math.huge, 2, nan, 9 }, { -math.huge, -math.huge, nan, 1, 9 },
                                     { 9, 9, 9, 9, 9 } } }:type(tp)
    local y, ix = torch.maxPool2d(x, 2, 2, 2, 2)
    tester:eq(y:size():totable(), { 1, 2, 2 })
    tester:assert(y[1][1][1] ~= y[1][1][1], 'NaN wins')
    tester:asserteq(ix[1][1][1], 2, 'the NaN position')
    tester:asserteq(y[1][1][2], 3, 'tie value')
    tester:asserteq(ix[1][1][2], 3, 'a tie keeps the first')
    tester:asserteq(y[1][2][1], -math.huge, '-inf window')
    tester:asserteq(ix[1][2][1], 11, '-inf window: its first element')
    local yf, ixf = torch.maxPool2d(torch.DoubleTensor { { { nan, 7 }, { 8, 9 } } }:type(tp), 2, 2, 2, 2)
    tester:assert(yf[1][1][1] ~= yf[1][1][1], 'a NaN first in its window wins')
    tester:asserteq(ixf[1][1][1], 1, 'the first NaN position')
    tester:assert(y[1][2][2] ~= y[1][2][2], 'a later NaN')
    tester:asserteq(ix[1][2][2], 18, 'two NaNs: the last one (as the general kernel)')
    -- backward: every gradient lands on its window's maximum
    local xr = torch.randn(2, 3, 6, 8):type(tp):setRequiresGrad()
    local yr, ir = torch.maxPool2d(xr, 2, 2, 2, 2)
    local g = torch.randn(2, 3, 3, 4):type(tp)
    yr:backward(g)
    local want = torch.zeros(2, 3, 48):type(tp)
    want:scatterAdd(3, ir:view(2, 3, 12), g:view(2, 3, 12))
    tester:eq(xr.grad, want:view(2, 3, 6, 8), 0, tp .. ' gradient')
    -- the indices handed out are the caller's own copy: changing them changes nothing
    local xb = torch.DoubleTensor { { { 1, 2 }, { 3, 4 } } }:type(tp):setRequiresGrad()
    local yb, ib = torch.maxPool2d(xb, 2, 2, 2, 2)
    ib:fill(1)
    yb:backward(torch.ones(1, 1, 1):type(tp))
    tester:eq(xb.grad, torch.DoubleTensor { { { 0, 0 }, { 0, 1 } } }:type(tp), 0, 'still the maximum')
  end
end

function T.maxPool2d_grad()
  for ci, c in ipairs(pool_cases) do
    local x = input(ci % 2 == 0, 2, 2, c[8], c[9]):setRequiresGrad()
    check(function(a) return (torch.maxPool2d(a, table.unpack(c, 1, 7))) end, { x }, 'maxPool2d case ' .. ci)
  end
  local x3 = input(false, 2, 5, 5):setRequiresGrad()
  check(function(a) return (torch.maxPool2d(a, 3, 3, 2, 2, 1, 1)) end, { x3 }, 'maxPool2d 3-D')
  -- overlapping windows: a maximum seen by several windows gets all their gradients
  local x = torch.DoubleTensor { { { 0, 0, 0 }, { 0, 5, 0 }, { 0, 0, 0 } } }:setRequiresGrad()
  local y = torch.maxPool2d(x, 2, 2, 1, 1)
  y:backward(torch.ones(1, 2, 2):double())
  tester:asserteq(x.grad[1][2][2], 4, 'overlapping windows add')
  tester:asserteq(x.grad:sum(), 4, 'only the maximum')
  tester:asserteq(y.gradFn.name, 'MaxPool2DBackward', 'node name')
end

function T.avgPool2d_values()
  for ci, c in ipairs(pool_cases) do
    for _, cip in ipairs { true, false } do
      for _, batch in ipairs { true, false } do
        local x = batch and input(ci % 2 == 1, 2, 3, c[8], c[9]) or input(false, 3, c[8], c[9])
        local y = torch.avgPool2d(x, c[1], c[2], c[3], c[4], c[5], c[6], c[7], cip)
        local ry = ref_pool('avg', x, c[1], c[2], c[3], c[4], c[5], c[6], c[7], cip)
        close(y, ry, 1e-12, string.format('avg case %d cip %s batch %s', ci, tostring(cip), tostring(batch)))
        close(torch.avgPool2d(x:float(), c[1], c[2], c[3], c[4], c[5], c[6], c[7], cip), ry, 1e-5, 'float')
      end
    end
  end
  -- hand-computed: 2x2 of a 1..9 grid, pad 1, stride 2, counting the padding
  local x = torch.range(1, 9):double():view(1, 3, 3)
  local y = torch.avgPool2d(x, 2, 2, 2, 2, 1, 1)
  close(y, torch.DoubleTensor { { { 1 / 4, 5 / 4 }, { 11 / 4, 28 / 4 } } }, 1e-12, 'hand avg')
  close(torch.avgPool2d(x, 2, 2, 2, 2, 1, 1, false, false),
        torch.DoubleTensor { { { 1, 5 / 2 }, { 11 / 2, 7 } } }, 1e-12, 'hand avg exclude pad')
end

function T.avgPool2d_grad()
  for ci, c in ipairs(pool_cases) do
    for _, cip in ipairs { true, false } do
      local x = input(ci % 2 == 0, 2, 2, c[8], c[9]):setRequiresGrad()
      check(function(a) return torch.avgPool2d(a, c[1], c[2], c[3], c[4], c[5], c[6], c[7], cip) end, { x },
            'avgPool2d case ' .. ci)
    end
  end
end

-- the gradient of a linear op, differentiated again (createGraph) w.r.t. the incoming
-- gradient: its backward must itself be recorded
local function backward_of_linear(f, x, gshape, what)
  local v = torch.randn(table.unpack(gshape)):double():setRequiresGrad()
  check(function(vv)
    return torch.enableGrad(function()
      local y = f(x)
      return torch.grad({ y }, { x }, { vv }, { createGraph = true })[1]
    end)
  end, { v }, what)
end

function T.pool_createGraph()
  local x = input(false, 2, 3, 5, 6):setRequiresGrad()
  backward_of_linear(function(a) return (torch.maxPool2d(a, 2, 2)) end, x, { 2, 3, 2, 3 }, 'max')
  backward_of_linear(function(a) return torch.avgPool2d(a, 2, 2, 1, 1, 1, 1, true) end, x, { 2, 3, 6, 7 }, 'avg')
  backward_of_linear(function(a) return torch.pad2d(a, 1, -1, 2, 0) end, x, { 2, 3, 7, 6 }, 'pad2d')
  backward_of_linear(function(a) return torch.upsampleNearest2d(a, 2) end, x, { 2, 3, 10, 12 }, 'upsample')
end

function T.pool_errors()
  local x = torch.randn(2, 3, 5, 5)
  errors(function() torch.maxPool2d(torch.randn(5, 5), 2, 2) end, 'maxPool2d', '2-D input')
  errors(function() torch.maxPool2d(x, 0, 2) end, 'maxPool2d', 'kernel 0')
  errors(function() torch.maxPool2d(x, 2, 2, 0, 1) end, 'maxPool2d', 'stride 0')
  errors(function() torch.maxPool2d(x, 2, 2, 2, 2, 2, 0) end, 'half the kernel', 'padding too big')
  errors(function() torch.maxPool2d(x, 6, 2) end, 'smaller than the kernel', 'input too small')
  errors(function() torch.avgPool2d(x, 7, 7) end, 'avgPool2d', 'avg input too small')
  errors(function() torch.maxPool2d(x:long(), 2, 2) end, 'FloatTensor or DoubleTensor', 'integer input')
  errors(function() torch.maxPool2d('x', 2, 2) end, 'maxPool2d', 'not a tensor')
  errors(function() torch.avgPool2d(x, 2, 2, 1, 1, 0, 0, 'yes') end, 'avgPool2d', 'ceil not a boolean')
end

function T.half_types()
  local x = torch.randn(2, 3, 6, 6)
  for _, tp in ipairs { 'torch.HalfTensor', 'torch.BFloat16Tensor' } do
    local h = x:type(tp)
    local hf = h:float()
    local y = torch.maxPool2d(h, 2, 2)
    tester:asserteq(torch.type(y), tp, 'maxPool2d keeps ' .. tp)
    close(y:float(), torch.maxPool2d(hf, 2, 2), 0, 'maxPool2d ' .. tp)
    local a = torch.avgPool2d(h, 3, 3, 1, 1, 1, 1)
    tester:asserteq(torch.type(a), tp, 'avgPool2d keeps ' .. tp)
    close(a:float(), torch.avgPool2d(hf, 3, 3, 1, 1, 1, 1):type(tp):float(), 0, 'avgPool2d ' .. tp)
    local b = torch.batchNorm(h, nil, nil, nil, nil, true)
    tester:asserteq(torch.type(b), tp, 'batchNorm keeps ' .. tp)
    close(b:float(), torch.batchNorm(hf, nil, nil, nil, nil, true):type(tp):float(), 0, 'batchNorm ' .. tp)
    local hr = x:type(tp):setRequiresGrad()
    torch.maxPool2d(hr, 2, 2):sum():backward()
    tester:asserteq(torch.type(hr.grad), tp, 'gradient type')
    tester:asserteq(num(hr.grad:float():sum()), 2 * 3 * 3 * 3, 'gradient values')
  end
end

-- sizes above the threads' grain, against unfold-based references
function T.large_inputs()
  local x = torch.randn(8, 16, 32, 30):double()
  local u = x:unfold(3, 3, 2):unfold(4, 3, 2)   -- 8 x 16 x 15 x 14 x 3 x 3
  local flat = u:contiguous():view(8, 16, 15, 14, 9)
  local mx = flat:max(5):view(8, 16, 15, 14)
  close(torch.maxPool2d(x, 3, 3, 2, 2), mx, 0, 'large max')
  close(torch.avgPool2d(x, 3, 3, 2, 2), flat:mean(5):view(8, 16, 15, 14), 1e-12, 'large avg')
  local xr = x:clone():setRequiresGrad()
  local y = torch.maxPool2d(xr, 3, 3, 2, 2)
  y:backward(torch.ones(8, 16, 15, 14):double())
  tester:asserteq(num(xr.grad:sum()), 8 * 16 * 15 * 14, 'large max backward')
  local b = torch.batchNorm(x, nil, nil, nil, nil, true)
  local m = x:transpose(1, 2):contiguous():view(16, -1)
  local mean = m:mean(2)
  local var = m:var(2, true)
  local ref = (m - mean:expandAs(m)):cdiv((var + 1e-5):sqrt():expandAs(m))
  close(b:transpose(1, 2):contiguous():view(16, -1), ref, 1e-10, 'large batchNorm')
end

---------------------------------------------------------------------------------------
-- up-sampling and padding
---------------------------------------------------------------------------------------

function T.upsampleNearest2d()
  for _, batch in ipairs { true, false } do
    local x = batch and input(true, 2, 3, 4, 5) or input(false, 3, 4, 5)
    for _, s in ipairs { 1, 2, 3 } do
      local y = torch.upsampleNearest2d(x, s)
      local x4, y4 = as4(x), as4(y)
      tester:asserteq(y4:size(3), 4 * s, 'height')
      tester:asserteq(y4:size(4), 5 * s, 'width')
      local ok = true
      for n = 1, x4:size(1) do for c = 1, 3 do for i = 1, 4 * s do for j = 1, 5 * s do
        if y4[n][c][i][j] ~= x4[n][c][math.floor((i - 1) / s) + 1][math.floor((j - 1) / s) + 1] then ok = false end
      end end end end
      tester:assert(ok, 'upsample values scale ' .. s)
    end
    local xr = x:clone():setRequiresGrad()
    check(function(a) return torch.upsampleNearest2d(a, 2) end, { xr }, 'upsample grad')
  end
  errors(function() torch.upsampleNearest2d(torch.randn(3, 3), 2) end, 'upsampleNearest2d', '2-D')
  errors(function() torch.upsampleNearest2d(torch.randn(1, 3, 3), 0) end, 'upsampleNearest2d', 'scale 0')
end

function T.pad2d()
  local x = input(false, 2, 3, 4, 5)
  local cases = { { 1, 2, 0, 3 }, { -1, 0, 2, -2 }, { 0, 0, 0, 0 }, { -2, -2, -1, -1 }, { 3, -1, -3, 1 } }
  for _, p in ipairs(cases) do
    local l, r, t, b = table.unpack(p)
    for _, v in ipairs { 0, 2.5 } do
      local y = torch.pad2d(x, l, r, t, b, v)
      tester:asserteq(y:size(3), 4 + t + b, 'height')
      tester:asserteq(y:size(4), 5 + l + r, 'width')
      local ok = true
      for n = 1, 2 do for c = 1, 3 do for i = 1, y:size(3) do for j = 1, y:size(4) do
        local si, sj = i - t, j - l
        local want = (si >= 1 and si <= 4 and sj >= 1 and sj <= 5) and x[n][c][si][sj] or v
        if y[n][c][i][j] ~= want then ok = false end
      end end end end
      tester:assert(ok, string.format('pad2d values %d,%d,%d,%d value %g', l, r, t, b, v))
    end
    local xr = input(true, 3, 4, 5):setRequiresGrad()
    check(function(a) return torch.pad2d(a, l, r, t, b, 1) end, { xr }, 'pad2d grad')
  end
  errors(function() torch.pad2d(x, -3, -3, 0, 0) end, 'leaves nothing', 'crop everything')
  errors(function() torch.pad2d(x, 1, 1, 1) end, 'pad2d', 'missing pad')
end

---------------------------------------------------------------------------------------
-- batch normalization
---------------------------------------------------------------------------------------

-- reference: per channel statistics over every dim but 2, in float64
local function ref_bn(x, rm, rv, w, b, training, eps)
  local C = x:size(2)
  local y = x:clone():double()
  local means, vars = {}, {}
  for c = 1, C do
    local xc = x:select(2, c):double()
    local m, v
    if training then
      m = xc:sum() / xc:nElement()
      v = 0
      xc:apply(function(e) v = v + (e - m) ^ 2 end)
      v = v / xc:nElement()
    else
      m, v = rm[c], rv[c]
    end
    means[c], vars[c] = m, v
    local sc = (w and w[c] or 1) / math.sqrt(v + eps)
    local sh = (b and b[c] or 0)
    y:select(2, c):copy(xc:clone():add(-m):mul(sc):add(sh))
  end
  return y, means, vars
end

function T.batchNorm_values()
  for _, shape in ipairs { { 6, 4 }, { 3, 4, 5, 2 }, { 2, 3, 4 } } do
    local x = torch.randn(table.unpack(shape)):double():mul(3):add(1)
    local C = shape[2]
    local w, b = torch.rand(C):double(), torch.randn(C):double()
    for _, affine in ipairs { true, false } do
      local rm, rv = torch.zeros(C):double(), torch.ones(C):double()
      local ww, bb = affine and w or nil, affine and b or nil
      local y = torch.batchNorm(x, rm, rv, ww, bb, true, 0.1, 1e-5)
      local ry, means, vars = ref_bn(x, nil, nil, ww, bb, true, 1e-5)
      close(y, ry, 1e-10, 'training values')
      -- running statistics: 0.9 * init + 0.1 * batch (unbiased variance)
      local M = x:nElement() / C
      for c = 1, C do
        tester:assertalmosteq(rm[c], 0.1 * means[c], 1e-12, 'running mean')
        tester:assertalmosteq(rv[c], 0.9 + 0.1 * vars[c] * M / (M - 1), 1e-12, 'running var')
      end
      -- evaluation uses the running statistics
      local ye = torch.batchNorm(x, rm, rv, ww, bb, false, 0.1, 1e-5)
      close(ye, (ref_bn(x, rm, rv, ww, bb, false, 1e-5)), 1e-10, 'evaluation values')
      -- float32
      local yf = torch.batchNorm(x:float(), nil, nil, ww and ww:float(), bb and bb:float(), true)
      close(yf, ry, 1e-4, 'float32')
    end
  end
  -- non-contiguous input
  local x = torch.randn(5, 4, 3):double():transpose(2, 3)
  close(torch.batchNorm(x, nil, nil, nil, nil, true), (ref_bn(x, nil, nil, nil, nil, true, 1e-5)), 1e-10,
        'transposed input')
end

function T.batchNorm_running_two_steps()
  -- hand-computed: channel 1 batches {1, 3} then {2, 6}; momentum 0.5
  local rm, rv = torch.DoubleTensor { 0 }, torch.DoubleTensor { 1 }
  torch.batchNorm(torch.DoubleTensor { { 1 }, { 3 } }, rm, rv, nil, nil, true, 0.5, 0)
  -- mean 2, unbiased var 2: rm = 1, rv = 0.5 + 1 = 1.5
  tester:assertalmosteq(rm[1], 1, 1e-12, 'step 1 mean')
  tester:assertalmosteq(rv[1], 1.5, 1e-12, 'step 1 var')
  local y = torch.batchNorm(torch.DoubleTensor { { 2 }, { 6 } }, rm, rv, nil, nil, true, 0.5, 0)
  -- mean 4, unbiased var 8: rm = 2.5, rv = 0.75 + 4 = 4.75; y = (x - 4) / 2
  tester:assertalmosteq(rm[1], 2.5, 1e-12, 'step 2 mean')
  tester:assertalmosteq(rv[1], 4.75, 1e-12, 'step 2 var')
  close(y, torch.DoubleTensor { { -1 }, { 1 } }, 1e-12, 'step 2 output')
  -- evaluation: (x - 2.5) / sqrt(4.75)
  local ye = torch.batchNorm(torch.DoubleTensor { { 5 } }, rm, rv, nil, nil, false, 0.5, 0)
  tester:assertalmosteq(ye[1][1], 2.5 / math.sqrt(4.75), 1e-12, 'evaluation')
  tester:assertalmosteq(rm[1], 2.5, 0, 'evaluation leaves the running mean')
end

function T.batchNorm_grad()
  for _, shape in ipairs { { 5, 3 }, { 2, 3, 4, 3 } } do
    local C = shape[2]
    for _, training in ipairs { true, false } do
      local x = torch.randn(table.unpack(shape)):double():setRequiresGrad()
      local w = torch.rand(C):double():add(0.5):setRequiresGrad()
      local b = torch.randn(C):double():setRequiresGrad()
      local rm, rv = torch.randn(C):double(), torch.rand(C):double():add(0.5)
      local what = string.format('batchNorm %dD training %s', #shape, tostring(training))
      check(function(a, ww, bb)
        return torch.batchNorm(a, rm:clone(), rv:clone(), ww, bb, training)
      end, { x, w, b }, what)
      check(function(a) return torch.batchNorm(a, rm:clone(), rv:clone(), nil, nil, training) end, { x },
            what .. ' no affine')
      -- the plain kernel and the createGraph formula agree
      local g = torch.randn(table.unpack(shape)):double()
      local y1 = torch.batchNorm(x, rm:clone(), rv:clone(), w, b, training)
      local g1 = torch.grad({ y1 }, { x, w, b }, { g })
      local g2 = torch.enableGrad(function()
        local y2 = torch.batchNorm(x, rm:clone(), rv:clone(), w, b, training)
        return torch.grad({ y2 }, { x, w, b }, { g }, { createGraph = true })
      end)
      for i = 1, 3 do close(g1[i], g2[i]:detach(), 1e-10, what .. ' kernel vs formula ' .. i) end
    end
  end
  -- non-contiguous input and gradient
  local x = torch.randn(4, 3, 5):double():transpose(1, 3):contiguous():transpose(1, 3):setRequiresGrad()
  check(function(a) return torch.batchNorm(a, nil, nil, nil, nil, true) end, { x }, 'transposed')
end

function T.batchNorm_gradgrad()
  local x = torch.randn(3, 2, 2, 2):double():setRequiresGrad()
  local w = torch.rand(2):double():add(0.5):setRequiresGrad()
  local b = torch.randn(2):double()
  local ok, msg = torch.gradgradcheck(function(a, ww) return torch.batchNorm(a, nil, nil, ww, b, true) end, { x, w })
  tester:assert(ok, 'gradgrad training: ' .. tostring(msg))
  local x2 = torch.randn(6, 3):double():setRequiresGrad()
  ok, msg = torch.gradgradcheck(function(a) return torch.batchNorm(a, nil, nil, nil, nil, true) end, { x2 })
  tester:assert(ok, 'gradgrad N x C: ' .. tostring(msg))
  local rm, rv = torch.randn(2):double(), torch.rand(2):double():add(1)
  ok, msg = torch.gradgradcheck(function(a, ww) return torch.batchNorm(a, rm, rv, ww, b, false) end, { x, w })
  tester:assert(ok, 'gradgrad evaluation: ' .. tostring(msg))
end

function T.batchNorm_errors()
  local x = torch.randn(4, 3)
  errors(function() torch.batchNorm(torch.randn(4), nil, nil, nil, nil, true) end, 'batchNorm', '1-D')
  errors(function() torch.batchNorm(x, torch.zeros(2), torch.ones(2), nil, nil, true) end, 'running_mean', 'size')
  errors(function() torch.batchNorm(x, nil, nil, torch.ones(4), nil, true) end, 'weight', 'weight size')
  errors(function() torch.batchNorm(x, nil, nil, nil, nil, false) end, 'running', 'evaluation without stats')
  errors(function() torch.batchNorm(torch.randn(1, 3), nil, nil, nil, nil, true) end, 'more than one value',
         'batch of one')
  errors(function() torch.batchNorm(x, torch.zeros(3), nil, nil, nil, true) end, 'both', 'one running stat')
  errors(function() torch.batchNorm(x:long(), nil, nil, nil, nil, true) end, 'FloatTensor', 'integer input')
  errors(function() torch.batchNorm(x, nil, nil, nil, nil, true, 0.1, -1) end, 'eps', 'negative eps')
end

---------------------------------------------------------------------------------------
-- dropout
---------------------------------------------------------------------------------------

function T.dropout()
  local n = 20000
  for _, p in ipairs { 0.2, 0.5, 0.8 } do
    local x = torch.ones(n):double()
    local y, mask = torch.dropout(x, p)
    local zeroed = y:eq(0):sum() / n
    tester:assert(math.abs(zeroed - p) < 0.02, string.format('fraction zeroed %g for p %g', zeroed, p))
    tester:assertalmosteq(y:max(), 1 / (1 - p), 1e-12, 'scale')
    close(y, mask, 0, 'y is x * mask')
  end
  -- the same mask in backward
  local x = torch.randn(50, 40):double():setRequiresGrad()
  local y, mask = torch.dropout(x, 0.3)
  local g = torch.randn(50, 40):double()
  y:backward(g)
  close(x.grad, torch.cmul(g, mask), 0, 'backward uses the mask')
  check(function(a)
    torch.manualSeed(5)
    return (torch.dropout(a, 0.4))
  end, { torch.randn(6, 5):double():setRequiresGrad() }, 'dropout gradcheck')
  -- torch.manualSeed reproduces the mask
  torch.manualSeed(42)
  local _, m1 = torch.dropout(torch.ones(100), 0.5)
  torch.manualSeed(42)
  local _, m2 = torch.dropout(torch.ones(100), 0.5)
  close(m1, m2, 0, 'manualSeed reproduces')
  -- evaluation and p = 0: the input itself
  local z = torch.randn(3, 4)
  local e, em = torch.dropout(z, 0.5, false)
  tester:assert(e == z and em == nil, 'evaluation is the identity')
  tester:assert(torch.dropout(z, 0) == z, 'p = 0 is the identity')
  -- without scaling (Torch7's v1), and p = 1
  local u = torch.dropout(torch.ones(1000), 0.5, true, false, false)
  tester:asserteq(u:max(), 1, 'unscaled')
  tester:asserteq(torch.dropout(torch.ones(10), 1):sum(), 0, 'p = 1 drops all')
  -- in place
  local w = torch.ones(100)
  local r = torch.dropout(w, 0.5, true, true)
  tester:assert(r == w, 'in place returns the input')
  tester:assert(w:eq(0):sum() > 0 and w:eq(2):sum() > 0, 'in place changed the input')
  errors(function() torch.dropout(z, 1.5) end, 'dropout', 'p > 1')
  errors(function() torch.dropout(z:long(), 0.5) end, 'floating', 'integer input')
end

function T.spatialDropout()
  local x = torch.ones(8, 16, 3, 4):double()
  local y, mask = torch.spatialDropout(x, 0.5)
  tester:assert(mask:dim() == 4 and mask:size(3) == 1 and mask:size(4) == 1, 'one draw per plane')
  local ok = true
  for n = 1, 8 do for c = 1, 16 do
    local plane = y[n][c]
    if plane:max() ~= plane:min() then ok = false end
  end end
  tester:assert(ok, 'whole planes')
  tester:assert(y:eq(0):sum() > 0 and y:eq(2):sum() > 0, 'some dropped, the rest scaled')
  local x3 = torch.randn(4, 3, 3):double():setRequiresGrad()
  local y3, m3 = torch.spatialDropout(x3, 0.5)
  local g = torch.randn(4, 3, 3):double()
  y3:backward(g)
  close(x3.grad, torch.cmul(g, m3:expandAs(g)), 0, '3-D backward')
  errors(function() torch.spatialDropout(torch.randn(4, 5), 0.5) end, 'spatialDropout', '2-D input')
end

---------------------------------------------------------------------------------------
-- embedding
---------------------------------------------------------------------------------------

function T.embedding()
  local w = torch.randn(6, 4):double()
  local ix = torch.LongTensor { { 1, 6, 2 }, { 2, 2, 5 } }
  local y = torch.embedding(w, ix)
  tester:assert(y:dim() == 3 and y:size(1) == 2 and y:size(2) == 3 and y:size(3) == 4, 'shape')
  for i = 1, 2 do for j = 1, 3 do close(y[i][j], w[ix[i][j]], 0, 'rows') end end
  close(torch.embedding(w, torch.LongTensor { 3 }), w:narrow(1, 3, 1), 0, '1-D indices')
  close(torch.embedding(w, { 4, 1 }), w:index(1, torch.LongTensor { 4, 1 }), 0, 'a table of indices')
  -- repeated indices: gradients add up
  local wr = w:clone():setRequiresGrad()
  local out = torch.embedding(wr, ix)
  local g = torch.randn(2, 3, 4):double()
  out:backward(g)
  local want = torch.zeros(6, 4):double()
  for i = 1, 2 do for j = 1, 3 do want[ix[i][j]]:add(g[i][j]) end end
  close(wr.grad, want, 1e-12, 'repeated indices add')
  check(function(a) return torch.embedding(a, ix) end, { w:clone():setRequiresGrad() }, 'embedding gradcheck')
  errors(function() torch.embedding(w, torch.LongTensor { 7 }) end, 'out of range', 'index too big')
  errors(function() torch.embedding(w, torch.LongTensor { 0 }) end, 'out of range', 'index 0')
  errors(function() torch.embedding(torch.randn(6), torch.LongTensor { 1 }) end, 'embedding', '1-D weight')
  errors(function() torch.embedding(w, torch.randn(2)) end, 'LongTensor', 'float indices')
end

---------------------------------------------------------------------------------------
-- modules
---------------------------------------------------------------------------------------

-- gradInput and the parameter gradients of m at x: finite differences through
-- updateOutput (parameters perturbed in place), and Torch7-style backward against
-- torch.grad of the same computation
local function module_check(m, x, what, seed)
  local params = m:parameters() or {}
  local xr = x:clone():setRequiresGrad()
  local ins = { xr }
  for _, p in ipairs(params) do ins[#ins + 1] = p end
  check(function(a)
    if seed then torch.manualSeed(seed) end
    return m:updateOutput(a)
  end, ins, what .. ' finite differences')
  m:zeroGradParameters()
  if seed then torch.manualSeed(seed) end
  local y = m:forward(x)
  local go = torch.randn(y:size()):double()
  local gi = m:backward(x, go)
  if seed then torch.manualSeed(seed) end
  local y2 = m:updateOutput(xr)
  local gs = torch.grad({ y2 }, ins, { go })
  close(gi, gs[1], 1e-10, what .. ' gradInput')
  local _, grads = m:parameters()
  for i = 1, #params do close(grads[i], gs[i + 1], 1e-10, what .. ' gradient of parameter ' .. i) end
end

function T.SpatialMaxPooling_module()
  local m = nn.SpatialMaxPooling(3, 3, 2, 2, 1, 1):double()
  tester:asserteq(tostring(m), 'nn.SpatialMaxPooling(3x3, 2,2, 1,1)', 'tostring')
  tester:asserteq(tostring(nn.SpatialMaxPooling(2, 2)), 'nn.SpatialMaxPooling(2x2, 2,2)', 'tostring default stride')
  for _, batch in ipairs { true, false } do
    local x = batch and input(false, 2, 3, 6, 7) or input(true, 3, 6, 7)
    local y = m:forward(x)
    local ry, rix = ref_pool('max', x, 3, 3, 2, 2, 1, 1, false)
    close(y, ry, 0, 'values')
    tester:assert(m.indices:eq(rix):all(), 'indices field')
    module_check(m, x, 'SpatialMaxPooling batch ' .. tostring(batch))
  end
  m:ceil()
  local x = input(false, 1, 2, 6, 6)
  tester:asserteq(m:forward(x):size(3), 4, 'ceil mode')
  close(m.output, (ref_pool('max', x, 3, 3, 2, 2, 1, 1, true)), 0, 'ceil values')
  m:floor()
  tester:asserteq(m:forward(input(false, 1, 2, 6, 6)):size(3), 3, 'floor mode')
  tester:asserteq(m:forward(input(false, 1, 2, 4, 4)):size(3), 2, 'floor mode 4')
  errors(function() m:forward(torch.randn(5, 5):double()) end, 'nn.SpatialMaxPooling', '2-D input')
  errors(function() nn.SpatialMaxPooling(4, 4):forward(torch.randn(1, 3, 3)) end, 'nn.SpatialMaxPooling', 'too small')
  errors(function() nn.SpatialMaxPooling(2, 2, 1, 1, 2, 2) end, 'nn.SpatialMaxPooling', 'bad padding')
  errors(function() nn.SpatialMaxPooling(0, 2) end, 'kW', 'kernel 0')
end

function T.SpatialAveragePooling_module()
  local m = nn.SpatialAveragePooling(2, 3, 2, 1, 1, 1):double()
  tester:asserteq(tostring(m), 'nn.SpatialAveragePooling(2x3, 2,1, 1,1)', 'tostring')
  tester:asserteq(tostring(nn.SpatialAveragePooling(2, 2)), 'nn.SpatialAveragePooling(2x2, 1,1)', 'tostring default')
  for _, batch in ipairs { true, false } do
    local x = batch and input(true, 2, 3, 5, 6) or input(false, 3, 5, 6)
    close(m:forward(x), (ref_pool('avg', x, 2, 3, 2, 1, 1, 1, false, true)), 1e-12, 'values')
    module_check(m, x, 'SpatialAveragePooling batch ' .. tostring(batch))
  end
  m:ceil():setCountExcludePad()
  local x = input(false, 2, 3, 5, 6)
  close(m:forward(x), (ref_pool('avg', x, 2, 3, 2, 1, 1, 1, true, false)), 1e-12, 'ceil, exclude pad')
  module_check(m, x, 'SpatialAveragePooling ceil exclude pad')
  errors(function() m:forward(torch.randn(5):double()) end, 'nn.SpatialAveragePooling', '1-D input')
end

function T.SpatialUpSamplingNearest_module()
  local m = nn.SpatialUpSamplingNearest(2):double()
  tester:asserteq(tostring(m), 'nn.SpatialUpSamplingNearest', 'tostring')
  for _, x in ipairs { input(false, 2, 3, 3, 4), input(true, 3, 3, 4) } do
    close(m:forward(x), torch.upsampleNearest2d(x, 2), 0, 'values')
    module_check(m, x, 'SpatialUpSamplingNearest ' .. x:dim() .. '-D')
  end
  errors(function() nn.SpatialUpSamplingNearest(1.5) end, 'integer', 'fractional scale')
  errors(function() m:forward(torch.randn(3, 3):double()) end, 'nn.SpatialUpSamplingNearest', '2-D')
end

function T.SpatialZeroPadding_module()
  local m = nn.SpatialZeroPadding(1, -1, 2, 0):double()
  tester:asserteq(tostring(m), 'nn.SpatialZeroPadding(l=1, r=-1, t=2, b=0)', 'tostring')
  for _, x in ipairs { input(false, 2, 3, 3, 4), input(true, 3, 3, 4) } do
    close(m:forward(x), torch.pad2d(x, 1, -1, 2, 0), 0, 'values')
    module_check(m, x, 'SpatialZeroPadding ' .. x:dim() .. '-D')
  end
  local y = nn.SpatialZeroPadding(1):forward(torch.ones(1, 2, 2))
  tester:asserteq(y:size(2), 4, 'one pad for all sides')
  tester:asserteq(num(y:sum()), 4, 'zeros around')
  errors(function() nn.SpatialZeroPadding(-2):forward(torch.ones(1, 3, 3)) end, 'too small', 'crop all')
end

function T.Padding_module()
  local x = torch.DoubleTensor { 1, 2, 3 }
  close(nn.Padding(1, 2):forward(x), torch.DoubleTensor { 1, 2, 3, 0, 0 }, 0, 'after')
  close(nn.Padding(1, -2):forward(x), torch.DoubleTensor { 0, 0, 1, 2, 3 }, 0, 'before')
  close(nn.Padding(1, -1, nil, 9, 2):forward(x), torch.DoubleTensor { 1, 9, 2, 3 }, 0, 'before index 2')
  close(nn.Padding(1, 2, nil, 9, 2):forward(x), torch.DoubleTensor { 1, 2, 9, 9, 3 }, 0, 'after, index 2 from the right')
  -- nInputDim: a batch shifts the dim
  local m = nn.Padding(1, 1, 1, 7):double()
  close(m:forward(torch.DoubleTensor { { 1, 2 }, { 3, 4 } }), torch.DoubleTensor { { 1, 2, 7 }, { 3, 4, 7 } }, 0, 'batch')
  tester:asserteq(tostring(m), 'nn.Padding', 'tostring')
  module_check(nn.Padding(2, -2, 2, 1.5, 2):double(), input(false, 3, 4), 'Padding')
  module_check(nn.Padding(1, 3):double(), input(false, 3, 4), 'Padding after')
  errors(function() nn.Padding(3, 1):forward(torch.randn(2, 2)) end, 'nn.Padding', 'dim out of range')
end

function T.BatchNormalization_module()
  local m = nn.BatchNormalization(3)
  tester:asserteq(tostring(m), 'nn.BatchNormalization (2D) (3)', 'tostring')
  tester:assert(m.weight:min() >= 0 and m.weight:max() <= 1, 'weight uniform in [0, 1]')
  tester:asserteq(num(m.bias:abs():sum()), 0, 'bias zero')
  tester:assert(m.weight.requiresGrad and torch.pointer(m.weight.grad) == torch.pointer(m.gradWeight), 'weight.grad is gradWeight')
  m:double()
  local x = torch.randn(6, 3):double():mul(2):add(3)
  local y = m:forward(x)
  local ry, means, vars = ref_bn(x, nil, nil, m.weight, m.bias, true, 1e-5)
  close(y, ry, 1e-10, 'training values')
  for c = 1, 3 do
    tester:assertalmosteq(m.running_mean[c], 0.1 * means[c], 1e-12, 'running_mean')
    tester:assertalmosteq(m.running_var[c], 0.9 + 0.1 * vars[c] * 6 / 5, 1e-12, 'running_var')
  end
  module_check(m, x, 'BatchNormalization training')
  m:evaluate()
  local rm, rv = m.running_mean:clone(), m.running_var:clone()
  close(m:forward(x), (ref_bn(x, rm, rv, m.weight, m.bias, false, 1e-5)), 1e-10, 'evaluation values')
  module_check(m, x, 'BatchNormalization evaluate')
  close(m.running_mean, rm, 0, 'evaluation leaves the running stats')
  -- a single sample in evaluation
  local s = m:forward(x[2])
  tester:asserteq(s:dim(), 1, 'single sample')
  close(s, (ref_bn(x:narrow(1, 2, 1), rm, rv, m.weight, m.bias, false, 1e-5))[1], 1e-10, 'single sample values')
  m:training()
  errors(function() m:forward(x[1]) end, 'only mini-batch supported', 'single sample in training')
  errors(function() m:forward(torch.randn(4, 5):double()) end, 'got 5-feature tensor, expected 3', 'features')
  -- no affine
  local na = nn.BatchNormalization(3, 1e-3, 0.2, false):double()
  tester:assert(na.weight == nil and na:parameters() == nil, 'no parameters')
  close(na:forward(x), (ref_bn(x, nil, nil, nil, nil, true, 1e-3)), 1e-10, 'no affine values')
  for c = 1, 3 do tester:assertalmosteq(na.running_mean[c], 0.2 * means[c], 1e-12, 'momentum 0.2') end
  module_check(na, x, 'BatchNormalization no affine')
  errors(function() nn.BatchNormalization() end, 'dimensionality', 'no size')
  errors(function() nn.BatchNormalization(3, nil, nil, 'yes') end, 'affine', 'bad affine')
end

function T.SpatialBatchNormalization_module()
  local m = nn.SpatialBatchNormalization(4):double()
  tester:asserteq(tostring(m), 'nn.SpatialBatchNormalization (4D) (4)', 'tostring')
  local x = input(false, 3, 4, 3, 2)
  close(m:forward(x), (ref_bn(x, nil, nil, m.weight, m.bias, true, 1e-5)), 1e-10, 'training values')
  module_check(m, x, 'SpatialBatchNormalization training')
  -- running statistics after two steps against hand-computed numbers
  local s = nn.SpatialBatchNormalization(1, 0, 0.5, false):double()
  s:forward(torch.DoubleTensor { 1, 3, 5, 7 }:view(2, 1, 1, 2))  -- mean 4, unbiased var 20/3
  s:forward(torch.DoubleTensor { 0, 0, 0, 4 }:view(1, 1, 2, 2))  -- mean 1, unbiased var 4
  tester:assertalmosteq(s.running_mean[1], 0.5 * (0.5 * 4) + 0.5 * 1, 1e-12, 'running_mean after two steps')
  tester:assertalmosteq(s.running_var[1], 0.5 * (0.5 + 0.5 * 20 / 3) + 0.5 * 4, 1e-12, 'running_var after two steps')
  m:evaluate()
  local single = input(true, 4, 3, 2)
  local ys = m:forward(single)
  tester:asserteq(ys:dim(), 3, 'single sample in evaluation')
  close(ys, (ref_bn(single:view(1, 4, 3, 2), m.running_mean, m.running_var, m.weight, m.bias, false, 1e-5))[1],
        1e-10, 'single sample values')
  module_check(m, x, 'SpatialBatchNormalization evaluate')
  m:training()
  errors(function() m:forward(torch.randn(4, 3):double()) end, 'only mini-batch supported (4D tensor)', '2-D')
  -- float type: parameters and running stats follow
  local f = nn.SpatialBatchNormalization(2):float()
  tester:asserteq(torch.type(f:forward(torch.randn(2, 2, 3, 3)))    , 'torch.FloatTensor', 'float module')
  tester:asserteq(torch.type(f.running_mean), 'torch.FloatTensor', 'float running_mean')
end

function T.Dropout_module()
  local m = nn.Dropout(0.4)
  tester:asserteq(tostring(m), 'nn.Dropout(0.400000)', 'tostring')
  tester:asserteq(tostring(nn.Dropout()), 'nn.Dropout(0.500000)', 'default p')
  m:double()
  local x = torch.ones(200, 100):double()
  local y = m:forward(x)
  local zeroed = y:eq(0):sum() / x:nElement()
  tester:assert(math.abs(zeroed - 0.4) < 0.02, 'fraction zeroed ' .. zeroed)
  tester:assertalmosteq(num(y:max()), 1 / 0.6, 1e-12, 'inverted scaling')
  local g = torch.randn(200, 100):double()
  close(m:backward(x, g), torch.cmul(g, m.noise), 0, 'backward with the same mask')
  module_check(m, input(false, 4, 5), 'Dropout training', 17)
  m:evaluate()
  close(m:forward(x), x, 0, 'identity in evaluation')
  close(m:backward(x, g), g, 0, 'identity gradient in evaluation')
  m:training()
  -- v1: no scaling in training, (1-p) in evaluation
  local v1 = nn.Dropout(0.25, true):double()
  tester:asserteq(num(v1:forward(x):max()), 1, 'v1 training')
  v1:evaluate()
  close(v1:forward(x), x * 0.75, 1e-12, 'v1 evaluation')
  module_check(v1, input(false, 3, 4), 'Dropout v1 evaluate')
  -- inplace (the input needs no gradient): the input tensor itself
  local ip = nn.Dropout(0.5, false, true):double()
  local z = torch.ones(10, 10):double()
  torch.noGrad(function() ip:forward(z) end)
  tester:assert(z:eq(0):sum() > 0, 'inplace changed the input')
  -- stochastic inference
  local si = nn.Dropout(0.5, false, false, true):double():evaluate()
  tester:assert(si:forward(torch.ones(100):double()):eq(0):sum() > 0, 'stochastic inference')
  errors(function() nn.Dropout(1) end, 'illegal percentage', 'p = 1')
  errors(function() nn.Dropout(-0.1) end, 'illegal percentage', 'p < 0')
  -- in a network, through Sequential
  local net = nn.Sequential():add(nn.Linear(4, 3)):add(nn.Dropout(0.5)):double()
  local input = torch.randn(2, 4):double()
  local out = net:forward(input)
  tester:assert(out:dim() == 2, 'Sequential forward')
  local gi = net:backward(input, torch.randn(2, 3):double())
  tester:asserteq(gi:size(2), 4, 'Sequential backward')
end

function T.SpatialDropout_module()
  local m = nn.SpatialDropout(0.5):double()
  tester:asserteq(tostring(m), 'nn.SpatialDropout(0.500000)', 'tostring')
  local x = torch.ones(4, 8, 3, 3):double()
  local y = m:forward(x)
  tester:assert(m.noise:size(3) == 1 and m.noise:size(4) == 1, 'noise per plane')
  tester:asserteq(num(y:max()), 1, 'Torch7: no scaling in training')
  tester:assert(y:eq(0):sum() > 0, 'planes dropped')
  local g = torch.randn(4, 8, 3, 3):double()
  close(m:backward(x, g), torch.cmul(g, m.noise:expandAs(g)), 0, 'backward masks')
  module_check(m, input(false, 5, 3, 2), 'SpatialDropout 3-D', 23)
  m:evaluate()
  close(m:forward(x), x * 0.5, 0, 'evaluation scales by 1-p')
  errors(function() m:training():forward(torch.randn(3, 3):double()) end, 'Input must be 4D', '2-D')
end

function T.LookupTable_module()
  local m = nn.LookupTable(7, 3)
  tester:asserteq(tostring(m), 'nn.LookupTable', 'tostring')
  tester:assert(m.weight:size(1) == 7 and m.weight:size(2) == 3, 'weight size')
  tester:assert(math.abs(num(m.weight:mean())) < 1.5 and num(m.weight:std()) > 0.3, 'weight normal(0, 1)')
  m:double()
  local ix = torch.LongTensor { { 1, 3, 3 }, { 7, 1, 3 } }
  local y = m:forward(ix)
  tester:assert(y:dim() == 3 and y:size(3) == 3, 'batch x n x nOutput')
  for i = 1, 2 do for j = 1, 3 do close(y[i][j], m.weight[ix[i][j]], 0, 'rows') end end
  m:zeroGradParameters()
  local g = torch.randn(2, 3, 3):double()
  local gi = m:backward(ix, g)
  local want = torch.zeros(7, 3):double()
  for i = 1, 2 do for j = 1, 3 do want[ix[i][j]]:add(g[i][j]) end end
  close(m.gradWeight, want, 1e-12, 'repeated indices add up')
  tester:assert(gi:isSameSizeAs(ix) and gi:sum() == 0, 'gradInput: zeros of the input size')
  -- accumulation over two backward calls (Torch7)
  m:backward(ix, g)
  close(m.gradWeight, want * 2, 1e-12, 'accumulates')
  -- 1-D input, float indices
  close(m:forward(torch.LongTensor { 2, 5 }), m.weight:index(1, torch.LongTensor { 2, 5 }), 0, '1-D')
  close(m:forward(torch.DoubleTensor { 2, 5 }), m.weight:index(1, torch.LongTensor { 2, 5 }), 0, 'double indices')
  -- finite differences for the weight
  check(function(w) return m:updateOutput(ix) end, { m.weight }, 'LookupTable weight')
  -- autograd style: loss:backward() fills gradWeight too
  m:zeroGradParameters()
  m(ix):sum():backward()
  local cnt = torch.zeros(7, 3):double()
  for i = 1, 2 do for j = 1, 3 do cnt[ix[i][j]]:add(1) end end
  close(m.gradWeight, cnt, 0, 'loss:backward()')
  -- padding index gets no gradient
  local p = nn.LookupTable(5, 2):double():setPadding(2)
  p:zeroGradParameters()
  local py = p:forward(torch.LongTensor { 1, 2, 2, 4 })
  close(py[2], p.weight[2], 0, 'padding row value kept')
  p:backward(torch.LongTensor { 1, 2, 2, 4 }, torch.ones(4, 2):double())
  tester:asserteq(p.gradWeight[2]:abs():sum(), 0, 'padding row: no gradient')
  tester:asserteq(p.gradWeight[1]:sum(), 2, 'other rows')
  -- maxNorm renormalizes the rows used
  local r = nn.LookupTable(4, 3, 0, 1):double()
  torch.noGrad(function() r.weight:fill(2) end)
  r:forward(torch.LongTensor { 1, 3 })
  tester:assertalmosteq(num(r.weight[1]:norm()), 1, 1e-5, 'maxNorm row 1')
  tester:assertalmosteq(num(r.weight[2]:norm()), math.sqrt(12), 1e-12, 'unused row kept')
  errors(function() m:forward(torch.LongTensor { 8 }) end, 'out of range', 'index too big')
  errors(function() m:forward(torch.LongTensor(2, 2, 2):fill(1)) end, 'vector or matrix', '3-D input')
  errors(function() nn.LookupTable(0, 3) end, 'nIndex', 'bad size')
end

tester:add(T)
return tester
