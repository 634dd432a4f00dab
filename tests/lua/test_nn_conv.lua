-- Convolutions (tensor/nn_conv.c, bindings/nn_conv.c, nn/SpatialConvolution.lua,
-- nn/SpatialFullConvolution.lua, nn/SpatialConvolutionMM.lua): torch.conv2d and
-- torch.convTranspose2d against naive float64 loops (stride, padding, dilation, groups,
-- 1x1, non-square), batch and single sample, non-contiguous operands, float32, gradcheck
-- of input, weight and bias, gradgradcheck, errors; the nn modules' forward, backward,
-- reset and __tostring.
require 'nn'
local tester = torch.Tester()
local T = torch.TestSuite()

torch.manualSeed(11)

local function randd(...) return torch.randn(...):double() end
local function leaf(...) return randd(...):setRequiresGrad() end

-- opts as torch.conv2d takes them, from {sH, sW, pH, pW, dH, dW, G}
local function opts_of(c)
  return { stride = { c.sH or 1, c.sW or 1 }, padding = { c.pH or 0, c.pW or 0 },
           dilation = { c.dH or 1, c.dW or 1 }, groups = c.G or 1 }
end

-- y[n][k][oh][ow] = b[k] + sum x[n][g*Cg+c][(oh-1)sH - pH + (i-1)dH + 1][...] w[k][c][i][j]
local function naive_conv(x, w, b, c)
  local sH, sW, pH, pW, dH, dW, G = c.sH or 1, c.sW or 1, c.pH or 0, c.pW or 0, c.dH or 1, c.dW or 1, c.G or 1
  local N, H, W = x:size(1), x:size(3), x:size(4)
  local K, Cg, kH, kW = w:size(1), w:size(2), w:size(3), w:size(4)
  local Ho = (H + 2 * pH - dH * (kH - 1) - 1) // sH + 1
  local Wo = (W + 2 * pW - dW * (kW - 1) - 1) // sW + 1
  local y = torch.DoubleTensor(N, K, Ho, Wo)
  local Kg = K // G
  for n = 1, N do for k = 1, K do
    local gr = (k - 1) // Kg
    for oh = 1, Ho do for ow = 1, Wo do
      local s = b and b[k] or 0
      for ci = 1, Cg do for i = 1, kH do for j = 1, kW do
        local ih = (oh - 1) * sH - pH + (i - 1) * dH + 1
        local iw = (ow - 1) * sW - pW + (j - 1) * dW + 1
        if ih >= 1 and ih <= H and iw >= 1 and iw <= W then
          s = s + x[n][gr * Cg + ci][ih][iw] * w[k][ci][i][j]
        end
      end end end
      y[n][k][oh][ow] = s
    end end
  end end
  return y
end

-- the transposed convolution: every input element scattered through the kernel
local function naive_convT(x, w, b, c)
  local sH, sW, pH, pW, dH, dW, G = c.sH or 1, c.sW or 1, c.pH or 0, c.pW or 0, c.dH or 1, c.dW or 1, c.G or 1
  local oH, oW = c.oH or 0, c.oW or 0
  local N, Cin, H, W = x:size(1), x:size(2), x:size(3), x:size(4)
  local Cog, kH, kW = w:size(2), w:size(3), w:size(4)
  local Ho = (H - 1) * sH - 2 * pH + dH * (kH - 1) + 1 + oH
  local Wo = (W - 1) * sW - 2 * pW + dW * (kW - 1) + 1 + oW
  local y = torch.DoubleTensor(N, Cog * G, Ho, Wo):zero()
  local Cig = Cin // G
  for n = 1, N do for ci = 1, Cin do
    local gr = (ci - 1) // Cig
    for h = 1, H do for ww = 1, W do
      local v = x[n][ci][h][ww]
      for co = 1, Cog do for i = 1, kH do for j = 1, kW do
        local oh = (h - 1) * sH - pH + (i - 1) * dH + 1
        local ow = (ww - 1) * sW - pW + (j - 1) * dW + 1
        if oh >= 1 and oh <= Ho and ow >= 1 and ow <= Wo then
          local o = y[n][gr * Cog + co]
          o[oh][ow] = o[oh][ow] + v * w[ci][co][i][j]
        end
      end end end
    end end
  end end
  if b then
    for k = 1, Cog * G do y:select(2, k):add(b[k]) end
  end
  return y
end

-- {N, C, H, W, K, kH, kW, opts...}
local configs = {
  { name = 'plain 3x3', N = 2, C = 3, H = 6, W = 6, K = 4, kH = 3, kW = 3 },
  { name = 'stride 2', N = 2, C = 2, H = 7, W = 8, K = 3, kH = 3, kW = 3, sH = 2, sW = 2 },
  { name = 'padding 1,2', N = 1, C = 2, H = 5, W = 4, K = 2, kH = 3, kW = 3, pH = 1, pW = 2 },
  { name = 'dilation 2', N = 2, C = 2, H = 7, W = 7, K = 3, kH = 3, kW = 2, dH = 2, dW = 2, pH = 1 },
  { name = 'groups 2', N = 2, C = 4, H = 5, W = 5, K = 6, kH = 3, kW = 3, G = 2, pH = 1, pW = 1 },
  { name = 'groups 2 1x1', N = 2, C = 4, H = 3, W = 4, K = 2, kH = 1, kW = 1, G = 2 },
  { name = '1x1', N = 3, C = 3, H = 4, W = 5, K = 5, kH = 1, kW = 1 },
  { name = '1x1 stride 2', N = 2, C = 2, H = 5, W = 5, K = 3, kH = 1, kW = 1, sH = 2, sW = 2 },
  { name = 'non-square', N = 2, C = 2, H = 6, W = 9, K = 3, kH = 2, kW = 4, sH = 1, sW = 3, pH = 0, pW = 1 },
  { name = 'everything', N = 2, C = 4, H = 8, W = 7, K = 2, kH = 3, kW = 2, sH = 2, sW = 1, pH = 2, pW = 1,
    dH = 2, dW = 3, G = 2 },
  { name = 'kernel = padded input', N = 1, C = 1, H = 2, W = 3, K = 2, kH = 4, kW = 3, pH = 1 },
  -- depthwise (groups = planes in = planes out): a direct kernel of its own
  { name = 'depthwise', N = 2, C = 3, H = 6, W = 5, K = 3, kH = 3, kW = 2, G = 3, pH = 1, pW = 1, sW = 2 },
  { name = 'depthwise dilated', N = 1, C = 2, H = 7, W = 6, K = 2, kH = 2, kW = 3, G = 2, sH = 2, dH = 2, dW = 2,
    pW = 2 },
}

local function make(c, dtype)
  local x = torch.randn(c.N, c.C, c.H, c.W)
  local w = torch.randn(c.K, c.C // (c.G or 1), c.kH, c.kW)
  local b = torch.randn(c.K)
  if dtype ~= 'float' then x, w, b = x:double(), w:double(), b:double() end
  return x, w, b
end

---------------------------------------------------------------------------------------
-- conv2d values
---------------------------------------------------------------------------------------

function T.conv2d_values()
  for _, c in ipairs(configs) do
    local x, w, b = make(c)
    local ref = naive_conv(x, w, b, c)
    tester:eq(torch.conv2d(x, w, b, opts_of(c)), ref, 1e-12, c.name .. ': conv2d with bias')
    tester:eq(torch.conv2d(x, w, nil, opts_of(c)), naive_conv(x, w, nil, c), 1e-12, c.name .. ': no bias')
    -- float32 against the float64 reference
    local y32 = torch.conv2d(x:float(), w:float(), b:float(), opts_of(c))
    tester:asserteq(y32:type(), 'torch.FloatTensor', c.name .. ': float32 result type')
    tester:eq(y32:double(), ref, 1e-4, c.name .. ': float32')
  end
end

function T.conv2d_defaults_and_forms()
  local x, w, b = randd(2, 3, 5, 5), randd(4, 3, 3, 3), randd(4)
  local ref = naive_conv(x, w, b, {})
  tester:eq(torch.conv2d(x, w, b), ref, 1e-12, 'no opts')
  tester:eq(torch.conv2d(x, w, b, {}), ref, 1e-12, 'empty opts')
  tester:eq(torch.conv2d(x, w, nil), naive_conv(x, w, nil, {}), 1e-12, 'nil bias')
  tester:eq(torch.conv2d(x, w), naive_conv(x, w, nil, {}), 1e-12, 'no bias')
  tester:eq(torch.conv2d(x, w, { padding = 1 }), naive_conv(x, w, nil, { pH = 1, pW = 1 }), 1e-12,
            'opts in the bias position')
  tester:eq(torch.conv2d(x, w, b, { stride = 2, padding = { 1, 0 } }),
            naive_conv(x, w, b, { sH = 2, sW = 2, pH = 1 }), 1e-12, 'number and pair options')
end

function T.conv2d_single_sample()
  local x, w, b = randd(3, 6, 5), randd(2, 3, 3, 2), randd(2)
  local y = torch.conv2d(x, w, b, { padding = 1 })
  tester:asserteq(y:dim(), 3, 'a 3-D input gives a 3-D output')
  tester:eq(y, torch.conv2d(x:view(1, 3, 6, 5), w, b, { padding = 1 })[1], 1e-14, 'same as a batch of one')
  tester:eq(y, naive_conv(x:view(1, 3, 6, 5), w, b, { pH = 1, pW = 1 })[1], 1e-12, 'against the loop')
  -- gradients through the single-sample form
  local xl, wl, bl = leaf(2, 4, 4), leaf(3, 2, 2, 2), leaf(3)
  local ok, msg = torch.gradcheck(function(a, ww, bb) return torch.conv2d(a, ww, bb, { stride = 2, padding = 1 }) end,
                                  { xl, wl, bl })
  tester:assert(ok, 'single-sample gradcheck: ' .. tostring(msg))
end

function T.conv2d_non_contiguous()
  local c = { pH = 1, pW = 1, sH = 2, sW = 1 }
  -- input: transposed spatial dims; weight: a narrowed slice of a bigger tensor
  local xt = randd(2, 3, 7, 6):transpose(3, 4)
  tester:assert(not xt:isContiguous(), 'input is non-contiguous')
  local wbig = randd(4, 5, 3, 3)
  local w = wbig:narrow(2, 2, 3)
  tester:assert(not w:isContiguous(), 'weight is non-contiguous')
  local b = randd(8):narrow(1, 1, 8):unfold(1, 1, 2):select(2, 1)
  tester:asserteq(b:stride(1), 2, 'bias is strided')
  local y = torch.conv2d(xt, w, b, opts_of(c))
  tester:eq(y, naive_conv(xt:contiguous(), w:contiguous(), b:contiguous(), c), 1e-12, 'non-contiguous operands')
  -- an expanded (stride 0) input
  local xe = randd(1, 3, 4, 4):expand(3, 3, 4, 4)
  tester:eq(torch.conv2d(xe, w, b), naive_conv(xe:contiguous(), w:contiguous(), b:contiguous(), {}), 1e-12,
            'expanded input')
  -- gradients w.r.t. non-contiguous leaves
  local xl = randd(2, 2, 5, 4):transpose(3, 4):setRequiresGrad()
  local wl = randd(2, 3, 2, 2):narrow(2, 1, 2):setRequiresGrad()
  local ok, msg = torch.gradcheck(function(a, ww) return torch.conv2d(a, ww, nil, { padding = 1 }) end, { xl, wl })
  tester:assert(ok, 'gradcheck with non-contiguous leaves: ' .. tostring(msg))
end

-- the kernels' paths (samples over threads; one sample at a time with im2col over planes
-- in threads; one thread) give the same results, forward and backward
function T.conv2d_threading_paths()
  -- (48x40 planes: one sample's unfolded input is big enough for im2col in threads)
  local x, w, b = randd(4, 8, 48, 40), randd(4, 8, 3, 3), randd(4)
  local o = { padding = 1 }
  local function run()
    local xl, wl, bl = x:clone():setRequiresGrad(), w:clone():setRequiresGrad(), b:clone():setRequiresGrad()
    local y = torch.conv2d(xl, wl, bl, o)
    local g = torch.linspace(-1, 1, y:nElement()):double():viewAs(y)
    y:backward(g)
    return y:detach(), xl.grad, wl.grad, bl.grad
  end
  local y, gx, gw, gb = run()
  -- one sample at a time
  for n = 1, 4 do
    tester:eq(torch.conv2d(x[n], w, b, o), y[n], 1e-10, 'sample ' .. n .. ' alone')
  end
  -- spot checks against the loop on a corner of the output
  local corner = naive_conv(x:narrow(3, 1, 6):narrow(4, 1, 6), w, b, { pH = 1, pW = 1 })
  tester:eq(y:narrow(3, 1, 5):narrow(4, 1, 5), corner:narrow(3, 1, 5):narrow(4, 1, 5), 1e-10, 'corner values')
  local nt = torch.getnumthreads()
  torch.setnumthreads(1)
  local ok, y1, gx1, gw1, gb1 = pcall(run)
  torch.setnumthreads(nt)
  tester:assert(ok, 'one thread runs: ' .. tostring(y1))
  tester:eq(y1, y, 1e-10, 'one thread: output')
  tester:eq(gx1, gx, 1e-10, 'one thread: input gradient')
  tester:eq(gw1, gw, 1e-9, 'one thread: weight gradient')
  tester:eq(gb1, gb, 1e-9, 'one thread: bias gradient')
  -- the transposed convolution, a sample at a time and all together
  local ot = { padding = 1 }
  local yt = torch.convTranspose2d(y, w, nil, ot)
  tester:eq(yt[3], torch.convTranspose2d(y[3], w, nil, ot), 1e-10, 'transposed: one sample alone')
  -- depthwise (its direct kernel, in threads) against each plane alone (the gemm path)
  local wd, bd = randd(8, 1, 3, 3), randd(8)
  local od = { groups = 8, padding = 1, stride = { 2, 1 } }
  local xl, wl = x:clone():setRequiresGrad(), wd:clone():setRequiresGrad()
  local yd = torch.conv2d(xl, wl, bd, od)
  local gd = torch.linspace(-1, 1, yd:nElement()):double():viewAs(yd)
  yd:backward(gd)
  for c = 1, 8 do
    local xc, wc = x:narrow(2, c, 1):clone():setRequiresGrad(), wd:narrow(1, c, 1):clone():setRequiresGrad()
    local yc = torch.conv2d(xc, wc, bd:narrow(1, c, 1), { padding = 1, stride = { 2, 1 } })
    tester:eq(yd:narrow(2, c, 1), yc, 1e-10, 'depthwise plane ' .. c)
    yc:backward(gd:narrow(2, c, 1))
    tester:eq(xl.grad:narrow(2, c, 1), xc.grad, 1e-10, 'depthwise input gradient, plane ' .. c)
    tester:eq(wl.grad:narrow(1, c, 1), wc.grad, 1e-9, 'depthwise weight gradient, plane ' .. c)
  end
end

function T.conv2d_empty_batch()
  local y = torch.conv2d(torch.DoubleTensor(0, 3, 5, 5), randd(2, 3, 3, 3), randd(2))
  tester:asserteq(y:size(1), 0, 'empty batch')
  tester:asserteq(y:size(2), 2, 'empty batch: planes')
  tester:asserteq(y:size(3), 3, 'empty batch: rows')
  -- backward through an empty batch: zero gradients for the parameters
  local x, w, b = torch.DoubleTensor(0, 2, 5, 5):setRequiresGrad(), leaf(3, 2, 3, 3), leaf(3)
  torch.conv2d(x, w, b):backward(torch.DoubleTensor(0, 3, 3, 3))
  tester:asserteq(x.grad:size(1), 0, 'empty batch: input gradient')
  tester:eq(w.grad, torch.zeros(3, 2, 3, 3):double(), 0, 'empty batch: weight gradient')
  tester:eq(b.grad, torch.zeros(3):double(), 0, 'empty batch: bias gradient')
end

function T.conv2d_half()
  if not torch.HalfTensor then return end
  local x, w, b = torch.randn(1, 2, 4, 4), torch.randn(3, 2, 3, 3), torch.randn(3)
  local ok, y = pcall(torch.conv2d, x:type('torch.HalfTensor'), w:type('torch.HalfTensor'), b:type('torch.HalfTensor'))
  tester:assert(ok, 'half conv2d runs: ' .. tostring(y))
  if ok then
    tester:asserteq(y:type(), 'torch.HalfTensor', 'half result')
    tester:eq(y:double(), naive_conv(x:double(), w:double(), b:double(), {}), 0.1, 'half values')
  end
end

---------------------------------------------------------------------------------------
-- convTranspose2d values
---------------------------------------------------------------------------------------

local tconfigs = {
  { name = 'plain', N = 2, C = 3, H = 4, W = 4, K = 2, kH = 3, kW = 3 },
  { name = 'stride 2 pad 1 adj 1', N = 2, C = 2, H = 3, W = 4, K = 3, kH = 4, kW = 3, sH = 2, sW = 2, pH = 1,
    pW = 1, oH = 1, oW = 0 },
  { name = 'dilation groups', N = 1, C = 4, H = 3, W = 3, K = 4, kH = 2, kW = 3, dH = 2, dW = 1, G = 2, sH = 1,
    sW = 2, oW = 1 },
  { name = '1x1', N = 2, C = 3, H = 3, W = 2, K = 4, kH = 1, kW = 1 },
  { name = '1x1 groups', N = 2, C = 4, H = 2, W = 3, K = 6, kH = 1, kW = 1, G = 2 },
  { name = 'depthwise', N = 2, C = 3, H = 3, W = 4, K = 3, kH = 3, kW = 2, G = 3, sH = 2, sW = 1, pH = 1, oH = 1 },
}
-- here C is the input planes and K the output planes; weight C x K/G x kH x kW
local function tmake(c)
  local G = c.G or 1
  return randd(c.N, c.C, c.H, c.W), randd(c.C, c.K // G, c.kH, c.kW), randd(c.K)
end
local function topts(c)
  local o = opts_of(c)
  o.outputPadding = { c.oH or 0, c.oW or 0 }
  return o
end

function T.convTranspose2d_values()
  for _, c in ipairs(tconfigs) do
    local x, w, b = tmake(c)
    tester:eq(torch.convTranspose2d(x, w, b, topts(c)), naive_convT(x, w, b, c), 1e-12, c.name)
    tester:eq(torch.convTranspose2d(x, w, nil, topts(c)), naive_convT(x, w, nil, c), 1e-12, c.name .. ' no bias')
    tester:eq(torch.convTranspose2d(x:float(), w:float(), b:float(), topts(c)):double(), naive_convT(x, w, b, c),
              1e-4, c.name .. ' float32')
  end
  -- single sample
  local x, w, b = randd(2, 3, 3), randd(2, 3, 3, 3), randd(3)
  local y = torch.convTranspose2d(x, w, b, { stride = 2 })
  tester:asserteq(y:dim(), 3, 'single sample: 3-D result')
  tester:eq(y, naive_convT(x:view(1, 2, 3, 3), w, b, { sH = 2, sW = 2 })[1], 1e-12, 'single sample')
  -- non-contiguous input
  local xt = randd(2, 2, 4, 3):transpose(3, 4)
  tester:eq(torch.convTranspose2d(xt, w, b, { padding = 1 }), naive_convT(xt:contiguous(), w, b, { pH = 1, pW = 1 }),
            1e-12, 'non-contiguous input')
end

-- convTranspose2d is the adjoint of conv2d: <conv2d(x, W), y> = <x, convTranspose2d(y, W)>
function T.convTranspose2d_is_the_adjoint()
  for _, c in ipairs(configs) do
    local x, w = make(c)
    local o = opts_of(c)
    local y = torch.conv2d(x, w, nil, o)
    local g = randd(y:size())
    -- the output padding that brings the size back
    local H, W = c.H, c.W
    o.outputPadding = { H + 2 * (c.pH or 0) - (c.dH or 1) * (c.kH - 1) - 1 - (y:size(3) - 1) * (c.sH or 1),
                        W + 2 * (c.pW or 0) - (c.dW or 1) * (c.kW - 1) - 1 - (y:size(4) - 1) * (c.sW or 1) }
    local xt = torch.convTranspose2d(g, w, nil, o)
    tester:asserteq(xt:size(3), H, c.name .. ': rows come back')
    tester:asserteq(xt:size(4), W, c.name .. ': columns come back')
    tester:assertalmosteq(torch.cmul(y, g):sum(), torch.cmul(x, xt):sum(), 1e-9, c.name .. ': adjoint')
  end
end

---------------------------------------------------------------------------------------
-- gradients
---------------------------------------------------------------------------------------

local gconfigs = {
  { name = 'plain', N = 2, C = 2, H = 4, W = 4, K = 2, kH = 3, kW = 3 },
  { name = 'stride 2 padding', N = 2, C = 2, H = 5, W = 4, K = 2, kH = 2, kW = 3, sH = 2, sW = 2, pH = 1, pW = 1 },
  { name = 'dilation', N = 1, C = 2, H = 5, W = 5, K = 2, kH = 2, kW = 2, dH = 2, dW = 3 },
  { name = 'groups', N = 2, C = 4, H = 3, W = 3, K = 4, kH = 2, kW = 2, G = 2, pH = 1 },
  { name = '1x1', N = 2, C = 3, H = 3, W = 2, K = 2, kH = 1, kW = 1 },
  { name = 'odd leftover rows', N = 1, C = 1, H = 6, W = 5, K = 2, kH = 2, kW = 2, sH = 3, sW = 2 },
  { name = 'depthwise', N = 2, C = 2, H = 5, W = 4, K = 2, kH = 3, kW = 2, G = 2, sH = 2, pW = 1, dW = 2 },
}

function T.conv2d_gradcheck()
  for _, c in ipairs(gconfigs) do
    local x, w, b = make(c)
    x, w, b = x:setRequiresGrad(), w:setRequiresGrad(), b:setRequiresGrad()
    local o = opts_of(c)
    local ok, msg = torch.gradcheck(function(a, ww, bb) return torch.conv2d(a, ww, bb, o) end, { x, w, b })
    tester:assert(ok, c.name .. ': input, weight, bias: ' .. tostring(msg))
  end
  -- each one alone requiring grad
  local c = gconfigs[2]
  local x, w, b = make(c)
  local o = opts_of(c)
  local ok, msg = torch.gradcheck(function(a) return torch.conv2d(a, w, b, o) end, { x:clone():setRequiresGrad() })
  tester:assert(ok, 'input only: ' .. tostring(msg))
  ok, msg = torch.gradcheck(function(ww) return torch.conv2d(x, ww, b, o) end, { w:clone():setRequiresGrad() })
  tester:assert(ok, 'weight only: ' .. tostring(msg))
  ok, msg = torch.gradcheck(function(bb) return torch.conv2d(x, w, bb, o) end, { b:clone():setRequiresGrad() })
  tester:assert(ok, 'bias only: ' .. tostring(msg))
end

function T.conv2d_gradients_by_hand()
  -- one 1x1 kernel: dW = sum of x * g, dx = w * g, db = sum g
  local x = torch.DoubleTensor{{{{1, 2}, {3, 4}}}}:setRequiresGrad()
  local w = torch.DoubleTensor{{{{2}}}}:setRequiresGrad()
  local b = torch.DoubleTensor{0.5}:setRequiresGrad()
  local y = torch.conv2d(x, w, b)
  tester:asserteq(y.gradFn.name, 'Conv2dBackward', 'the node name')
  y:backward(torch.ones(1, 1, 2, 2):double())
  tester:eq(x.grad, torch.DoubleTensor{{{{2, 2}, {2, 2}}}}, 1e-14, 'dx')
  tester:eq(w.grad, torch.DoubleTensor{{{{10}}}}, 1e-14, 'dW')
  tester:eq(b.grad, torch.DoubleTensor{4}, 1e-14, 'db')
  -- only the tensors that require grad get gradients
  local x2 = randd(1, 2, 4, 4)
  local w2 = leaf(3, 2, 3, 3)
  torch.conv2d(x2, w2):sum():backward()
  tester:assert(x2.grad == nil, 'no gradient for an input that does not require grad')
  tester:assert(w2.grad ~= nil, 'weight gradient')
  -- grad mode off: nothing is recorded
  local y3 = torch.noGrad(function() return torch.conv2d(leaf(1, 2, 4, 4), w2) end)
  tester:assert(not y3.requiresGrad, 'noGrad: no history')
end

function T.convTranspose2d_gradcheck()
  for _, c in ipairs(tconfigs) do
    local x, w, b = tmake(c)
    x, w, b = x:setRequiresGrad(), w:setRequiresGrad(), b:setRequiresGrad()
    local o = topts(c)
    local ok, msg = torch.gradcheck(function(a, ww, bb) return torch.convTranspose2d(a, ww, bb, o) end, { x, w, b })
    tester:assert(ok, 'convTranspose2d ' .. c.name .. ': ' .. tostring(msg))
  end
end

-- (gradgradcheck evaluates its function under noGrad: the graph is made under enableGrad)
local function gradgrad(f, inputs, what)
  local ok, msg = torch.gradgradcheck(function(...) return torch.enableGrad(f, ...) end, inputs)
  tester:assert(ok, what .. ': ' .. tostring(msg))
end

function T.conv2d_gradgradcheck()
  local o = { stride = { 2, 1 }, padding = 1, dilation = { 1, 2 } }
  -- (the bias's gradient does not depend on any input: it has no second derivative)
  gradgrad(function(a, ww) return torch.conv2d(a, ww, nil, o) end, { leaf(2, 2, 4, 5), leaf(2, 2, 2, 2) }, 'conv2d')
  local b = leaf(2)
  gradgrad(function(a, ww) return torch.conv2d(a, ww, b, o) end, { leaf(1, 2, 3, 3), leaf(2, 2, 2, 2) },
           'conv2d with a bias')
  gradgrad(function(a, ww) return torch.conv2d(a, ww, nil, { groups = 2 }) end, { leaf(1, 4, 3, 3), leaf(2, 2, 2, 2) },
           'conv2d groups')
  gradgrad(function(a, ww) return torch.conv2d(a, ww, nil, { groups = 3, padding = 1, stride = { 1, 2 } }) end,
           { leaf(2, 3, 3, 4), leaf(3, 1, 2, 2) }, 'depthwise conv2d')
  local ot = { stride = 2, padding = 1, outputPadding = { 1, 0 } }
  gradgrad(function(a, ww) return torch.convTranspose2d(a, ww, b, ot) end,
           { leaf(1, 2, 3, 2), leaf(2, 2, 3, 3) }, 'convTranspose2d')
  gradgrad(function(a, ww) return torch.convTranspose2d(a, ww, nil, { groups = 2, dilation = 2 }) end,
           { leaf(1, 4, 2, 3), leaf(4, 1, 2, 2) }, 'convTranspose2d groups dilation')
  -- a derivative of the gradient norm (the usual double-backward use) and a third order
  local x, w = leaf(1, 1, 4, 4), leaf(1, 1, 2, 2)
  local y = torch.conv2d(x, w, nil, { padding = 1 })
  local gx = torch.grad({ y:pow(2):sum() }, { x }, nil, { createGraph = true })[1]
  tester:assert(gx.requiresGrad, 'createGraph: the gradient has a history')
  local gw = torch.grad({ gx:pow(2):sum() }, { w })[1]
  tester:asserteq(gw:nElement(), 4, 'd/dw of |dy/dx|^2')
  -- gradients whose incoming gradient depends on the inputs (every branch of the
  -- backward of the weight gradient and of the transposed convolution), checked
  -- against finite differences
  local o2 = { stride = 2, padding = 1 }
  local function gradw(a, ww)
    local yy = torch.conv2d(a, ww, nil, o2)
    return torch.grad({ yy:pow(2):sum() }, { ww }, nil, { createGraph = true })[1]
  end
  local function gradx(a, ww)
    local yy = torch.conv2d(a, ww, nil, o2)
    return torch.grad({ yy:pow(2):sum() }, { a }, nil, { createGraph = true })[1]
  end
  local ok, msg = torch.gradcheck(function(a, ww) return torch.enableGrad(gradw, a, ww) end,
                                  { leaf(2, 2, 5, 4), leaf(3, 2, 3, 2) })
  tester:assert(ok, 'd/d(x, w) of dL/dw: ' .. tostring(msg))
  ok, msg = torch.gradcheck(function(a, ww) return torch.enableGrad(gradx, a, ww) end,
                            { leaf(2, 2, 5, 4), leaf(3, 2, 3, 2) })
  tester:assert(ok, 'd/d(x, w) of dL/dx: ' .. tostring(msg))
end

function T.conv_graphs_are_freed()
  collectgarbage(); collectgarbage()
  local before = torch._autogradLiveNodes()
  do
    local x, w, b = leaf(2, 2, 5, 5), leaf(3, 2, 3, 3), leaf(3)
    local y = torch.convTranspose2d(torch.conv2d(x, w, b, { padding = 1 }), w, nil, { padding = 1 })
    local gx = torch.grad({ y:pow(2):sum() }, { x }, nil, { createGraph = true })[1]
    gx:sum():backward()
    x, w, b, y, gx = nil, nil, nil, nil, nil
  end
  collectgarbage(); collectgarbage()
  tester:asserteq(torch._autogradLiveNodes(), before, 'no graph node outlives its tensors')
end

---------------------------------------------------------------------------------------
-- errors
---------------------------------------------------------------------------------------

local function fails(f, pattern, what)
  local ok, err = pcall(f)
  tester:assert(not ok, what .. ': should fail')
  if not ok then
    tester:assert(tostring(err):find(pattern, 1, true) ~= nil,
                  what .. ': message "' .. tostring(err) .. '" should contain "' .. pattern .. '"')
  end
end

function T.conv2d_errors()
  local x, w, b = randd(2, 3, 5, 5), randd(4, 3, 3, 3), randd(4)
  fails(function() torch.conv2d(x, randd(4, 2, 3, 3)) end, 'conv2d', 'channel mismatch')
  fails(function() torch.conv2d(x, randd(4, 2, 3, 3)) end, 'planes', 'channel mismatch names planes')
  fails(function() torch.conv2d(randd(4, 5, 5), w) end, 'conv2d: input of size 4x5x5 has 4 planes',
        'a single sample: the message shows its size')
  fails(function() torch.conv2d(x, randd(4, 3, 6, 6)) end, 'larger than the padded input', 'kernel too large')
  fails(function() torch.conv2d(x, randd(4, 3, 8, 3), nil, { padding = 1 }) end, 'conv2d: the kernel',
        'kernel larger than padded input')
  fails(function() torch.conv2d(randd(5, 5), w) end, 'conv2d: input must be a 3-D', '2-D input')
  fails(function() torch.conv2d(randd(1, 2, 3, 5, 5), w) end, 'conv2d: input must be', '5-D input')
  fails(function() torch.conv2d(x, randd(4, 3, 3)) end, 'conv2d: weight must be a 4-D', '3-D weight')
  fails(function() torch.conv2d(x, w, randd(3)) end, 'conv2d: bias must be a 1-D tensor of size 4', 'bias size')
  fails(function() torch.conv2d(x, w:float()) end, 'conv2d: weight is FloatTensor but input is DoubleTensor',
        'mixed types')
  fails(function() torch.conv2d(x:long(), w:long()) end, 'conv2d: input must be a floating point', 'integer input')
  fails(function() torch.conv2d(x, w, b, { stride = 0 }) end, 'conv2d: stride must be positive', 'stride 0')
  fails(function() torch.conv2d(x, w, b, { padding = -1 }) end, 'conv2d: padding', 'negative padding')
  fails(function() torch.conv2d(x, w, b, { dilation = 0 }) end, 'conv2d: dilation', 'dilation 0')
  fails(function() torch.conv2d(randd(1, 4, 5, 5), randd(3, 2, 3, 3), nil, { groups = 2 }) end,
        'groups (2) must divide', 'groups not dividing the output planes')
  fails(function() torch.conv2d(randd(1, 3, 5, 5), randd(4, 1, 3, 3), nil, { groups = 2 }) end,
        'groups (2) must divide', 'groups not dividing the input planes')
  fails(function() torch.conv2d(x, w, b, { strides = 2 }) end, "unknown option 'strides'", 'unknown option')
  fails(function() torch.conv2d(x, w, b, { stride = 'a' }) end, "'conv2d'", 'bad option value names the function')
  fails(function() torch.conv2d(x, w, b, { stride = { 1, 2, 3 } }) end, 'opts.stride', 'a 3-entry pair')
  fails(function() torch.conv2d(x, w, b, { outputPadding = 1 }) end, "unknown option 'outputPadding'",
        'outputPadding is for convTranspose2d')
  fails(function() torch.conv2d(x, w, 'b') end, "'conv2d'", 'bias of the wrong type')
  fails(function() torch.conv2d(x) end, "'conv2d'", 'no weight')
  fails(function() torch.conv2d(x, w, b, 5) end, "'conv2d'", 'opts not a table')
end

function T.convTranspose2d_errors()
  local x, w = randd(1, 2, 3, 3), randd(2, 3, 3, 3)
  fails(function() torch.convTranspose2d(x, randd(3, 3, 3, 3)) end, 'convTranspose2d: input of size', 'plane mismatch')
  fails(function() torch.convTranspose2d(x, w, nil, { stride = 2, outputPadding = 2 }) end,
        'convTranspose2d: output padding', 'output padding >= stride')
  fails(function() torch.convTranspose2d(x, w, nil, { padding = 3 }) end, 'convTranspose2d: the output would be',
        'padding too large')
  fails(function() torch.convTranspose2d(randd(3, 3), w) end, 'convTranspose2d: input must be', '2-D input')
  fails(function() torch.convTranspose2d(x, w, randd(2)) end, 'convTranspose2d: bias', 'bias size')
end

---------------------------------------------------------------------------------------
-- nn modules
---------------------------------------------------------------------------------------

-- the module's backward (gradInput and parameter gradients) against torch.grad of
-- updateOutput, and against finite differences through a function of the parameters
local function check_module(m, x, what)
  local y = m:forward(x)
  local g = torch.randn(y:size()):typeAs(y)
  m:zeroGradParameters()
  local gi = m:backward(x, g)
  -- reference: torch.grad through a fresh forward
  local xl = x:clone():setRequiresGrad()
  local params = m:parameters()
  local out = torch.enableGrad(function() return m:updateOutput(xl) end)
  local wrt = { xl }
  for _, p in ipairs(params) do wrt[#wrt + 1] = p end
  local ref = torch.grad({ out }, wrt, { g })
  tester:eq(gi, ref[1], 1e-10, what .. ': gradInput')
  tester:eq(m.gradWeight, ref[2], 1e-10, what .. ': gradWeight')
  if m.bias then tester:eq(m.gradBias, ref[3], 1e-10, what .. ': gradBias') end
  -- finite differences of the module's output with respect to input and parameters
  local ok, msg = torch.gradcheck(function(a) return m:updateOutput(a) end, { x:clone():setRequiresGrad() })
  tester:assert(ok, what .. ': gradcheck of the input: ' .. tostring(msg))
  ok, msg = torch.gradcheck(function() return m:updateOutput(x) end, params)
  tester:assert(ok, what .. ': gradcheck of the parameters: ' .. tostring(msg))
  -- backward accumulates (Torch7), with a scale
  m:zeroGradParameters()
  m:forward(x)
  m:backward(x, g)
  m:backward(x, g, 0.5)
  tester:eq(m.gradWeight, ref[2] * 1.5, 1e-10, what .. ': accumulated gradWeight')
end

function T.SpatialConvolution_forward()
  local m = nn.SpatialConvolution(3, 4, 3, 2, 2, 1, 1, 0):double()   -- kW 3, kH 2, dW 2, dH 1, padW 1, padH 0
  tester:asserteq(m.weight:size(1), 4, 'weight nOutputPlane')
  tester:asserteq(m.weight:size(2), 3, 'weight nInputPlane')
  tester:asserteq(m.weight:size(3), 2, 'weight kH')
  tester:asserteq(m.weight:size(4), 3, 'weight kW')
  local x = randd(2, 3, 5, 6)
  local y = m:forward(x)
  local ref = naive_conv(x, m.weight:detach(), m.bias:detach(), { sH = 1, sW = 2, pH = 0, pW = 1 })
  tester:eq(y, ref, 1e-12, 'batch forward')
  tester:asserteq(y:size(3), 4, 'rows: (5 - 2) / 1 + 1')
  tester:asserteq(y:size(4), 3, 'columns: (6 + 2 - 3) / 2 + 1')
  local y1 = m:forward(x[2])
  tester:asserteq(y1:dim(), 3, 'single sample')
  tester:eq(y1, ref[2], 1e-12, 'single sample forward')
  -- padH defaults to padW (Torch7)
  local mp = nn.SpatialConvolution(1, 1, 3, 3, 1, 1, 2)
  tester:asserteq(mp.padH, 2, 'padH defaults to padW')
  -- the float default type
  local mf = nn.SpatialConvolution(2, 3, 3, 3)
  tester:asserteq(mf:forward(torch.randn(2, 5, 5)):type(), 'torch.FloatTensor', 'float module')
end

function T.SpatialConvolution_backward()
  local m = nn.SpatialConvolution(2, 3, 3, 2, 2, 1, 1, 1):double()
  check_module(m, randd(2, 2, 5, 4), 'SpatialConvolution batch')
  check_module(m, randd(2, 4, 5), 'SpatialConvolution single sample')
  local nb = nn.SpatialConvolution(2, 2, 2, 2):noBias():double()
  tester:assert(nb.bias == nil, 'noBias')
  check_module(nb, randd(1, 2, 3, 3), 'SpatialConvolution without bias')
  tester:eq(nb:forward(randd(1, 2, 3, 3)):size(2), 2, 'forward without bias')
end

function T.SpatialConvolution_reset_and_tostring()
  local m = nn.SpatialConvolution(3, 16, 5, 5, 1, 1, 2, 2)
  tester:asserteq(tostring(m), 'nn.SpatialConvolution(3 -> 16, 5x5, 1,1, 2,2)', 'tostring with padding')
  tester:asserteq(tostring(nn.SpatialConvolution(1, 6, 5, 5)), 'nn.SpatialConvolution(1 -> 6, 5x5)', 'tostring')
  tester:asserteq(tostring(nn.SpatialConvolution(1, 6, 3, 5, 2, 2)), 'nn.SpatialConvolution(1 -> 6, 3x5, 2,2)',
                  'tostring with stride')
  tester:asserteq(tostring(nn.SpatialConvolution(1, 6, 5, 5):noBias()),
                  'nn.SpatialConvolution(1 -> 6, 5x5) without bias', 'tostring without bias')
  local bound = 1 / math.sqrt(5 * 5 * 3)
  tester:assert(m.weight:abs():max() <= bound and m.bias:abs():max() <= bound, 'reset: within 1/sqrt(kW*kH*nIn)')
  tester:assert(m.weight:abs():max() > bound * 0.8, 'reset: spread over the range')
  m:reset(0.01)
  tester:assert(m.weight:abs():max() <= 0.01 * math.sqrt(3) + 1e-7, 'reset(stdv)')
  tester:assert(torch.pointer(m.weight.grad) == torch.pointer(m.gradWeight), 'weight.grad is gradWeight')
  tester:assert(m.weight.requiresGrad, 'weight requires grad')
  -- nn.SpatialConvolutionMM: the same module under Torch7's other name
  local mm = nn.SpatialConvolutionMM(3, 16, 5, 5, 1, 1, 2, 2)
  tester:asserteq(tostring(mm), 'nn.SpatialConvolutionMM(3 -> 16, 5x5, 1,1, 2,2)', 'MM tostring')
  tester:assert(torch.isTypeOf(mm, 'nn.SpatialConvolution'), 'MM is a SpatialConvolution')
  local x = torch.randn(2, 3, 6, 6)
  torch.noGrad(function()
    mm.weight:copy(m.weight)
    mm.bias:copy(m.bias)
  end)
  tester:eq(mm:forward(x), m:forward(x), 1e-6, 'MM forward = SpatialConvolution forward')
end

function T.SpatialConvolution_errors()
  local m = nn.SpatialConvolution(3, 4, 3, 3)
  fails(function() m:forward(torch.randn(2, 4, 5, 5)) end, 'nn.SpatialConvolution: input has 4 planes, expected 3',
        'plane mismatch')
  fails(function() m:forward(torch.randn(5, 5)) end, 'nn.SpatialConvolution: expected a 3-D', 'dims')
  fails(function() m:forward(torch.randn(3, 2, 2)) end, 'smaller than the kernel', 'too small')
  fails(function() nn.SpatialConvolution(3, 4, 0, 3) end, 'kW must be', 'kernel 0')
  fails(function() nn.SpatialConvolution(3, 4) end, 'kW must be', 'no kernel size')
end

function T.SpatialFullConvolution()
  local m = nn.SpatialFullConvolution(2, 3, 3, 4, 2, 2, 1, 1, 1, 0):double()  -- kW 3, kH 4, adjW 1
  tester:asserteq(m.weight:size(1), 2, 'weight nInputPlane')
  tester:asserteq(m.weight:size(2), 3, 'weight nOutputPlane')
  tester:asserteq(m.weight:size(3), 4, 'weight kH')
  local x = randd(2, 2, 3, 4)
  local y = m:forward(x)
  -- rows (3-1)*2 - 2 + 4 + 0 = 6, columns (4-1)*2 - 2 + 3 + 1 = 8
  tester:asserteq(y:size(3), 6, 'rows')
  tester:asserteq(y:size(4), 8, 'columns')
  local ref = naive_convT(x, m.weight:detach(), m.bias:detach(), { sH = 2, sW = 2, pH = 1, pW = 1, oH = 0, oW = 1 })
  tester:eq(y, ref, 1e-12, 'forward')
  tester:eq(m:forward(x[1]), ref[1], 1e-12, 'single sample')
  check_module(m, x, 'SpatialFullConvolution')
  check_module(m, x[2], 'SpatialFullConvolution single sample')
  -- {input, target}: the target's size sets adj
  local y2 = m:forward({ x, torch.zeros(2, 3, 7, 7) })
  tester:asserteq(y2:size(3), 7, 'target rows')
  tester:asserteq(y2:size(4), 7, 'target columns')
  local gi2 = m:backward({ x, torch.zeros(2, 3, 7, 7) }, torch.ones(2, 3, 7, 7):double())
  tester:assert(type(gi2) == 'table' and gi2[1]:isSameSizeAs(x), '{input, target}: gradInput[1]')
  tester:asserteq(tostring(nn.SpatialFullConvolution(3, 16, 4, 4, 2, 2, 1, 1, 1, 1)),
                  'nn.SpatialFullConvolution(3 -> 16, 4x4, 2,2, 1,1, 1,1)', 'tostring')
  tester:asserteq(tostring(nn.SpatialFullConvolution(3, 16, 4, 4)), 'nn.SpatialFullConvolution(3 -> 16, 4x4)',
                  'tostring plain')
  fails(function() nn.SpatialFullConvolution(3, 16, 4, 4, 2, 2, 1, 1, 2, 0) end, 'adjW and adjH', 'adj >= stride')
  local nb = nn.SpatialFullConvolution(2, 2, 2, 2):noBias():double()
  check_module(nb, randd(1, 2, 2, 3), 'SpatialFullConvolution without bias')
  local bound = 1 / math.sqrt(3 * 4 * 2)
  tester:assert(m.weight:abs():max() <= bound, 'reset bound')
end

function T.modules_in_a_network()
  -- conv -> full conv in a Sequential, Torch7 style backward
  local net = nn.Sequential()
  net:add(nn.SpatialConvolution(1, 2, 3, 3, 2, 2, 1, 1))
  net:add(nn.SpatialFullConvolution(2, 1, 3, 3, 2, 2, 1, 1, 1, 1))
  net:double()
  local x = randd(2, 1, 6, 6)
  local y = net:forward(x)
  tester:asserteq(y:size(3), 6, 'back to 6 rows')
  net:zeroGradParameters()
  local gi = net:backward(x, torch.ones(y:size()):double())
  tester:asserteq(gi:size(3), 6, 'gradInput size')
  tester:assert(net:get(1).gradWeight:abs():sum() > 0, 'gradients reached the first layer')
end

tester:add(T)
return tester
