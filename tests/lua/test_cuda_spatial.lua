-- The CUDA paths of the spatial family (tensor/nn_conv.c, tensor/nn_spatial.c,
-- tensor/cuda/spatial.cu): convolutions (forward, transposed, weight and bias gradients),
-- pooling, up-sampling, padding, batch normalization, dropout, embedding and the nn modules,
-- each compared with the CPU, forward and backward. Skipped (with the reason) where no GPU
-- is present.
require 'nn'
local tester = torch.Tester()
local ok, why = torch.cudaAvailable()
if not ok then
  tester.skipReason = 'no GPU: ' .. tostring(why)
  return tester
end
local T = torch.TestSuite()

local function tol_of(t)
  local tp = t:type()
  if tp:find('Double') then return 1e-10 end
  if tp:find('Half') or tp:find('BFloat') then return 3e-2 end
  return 2e-4
end
-- max |gpu - cpu| relative to the size of cpu's values
local function close(gpu, cpu, what, tol)
  tester:assert(gpu:type():find('Cuda') ~= nil, what .. ': result on the GPU')
  local g, c = gpu:detach():cpu():double(), cpu:detach():double()
  tester:eq(g:size(), c:size(), 0, what .. ': size')
  if c:nElement() == 0 then return end
  local scale = math.max(1, torch.abs(c):max())
  local err = torch.abs(g - c):max() / scale
  tester:assert(err <= (tol or tol_of(cpu)), what .. string.format(' (err %g)', err))
end

-- f(inputs...) on the CPU and on the GPU (same values), forward and backward with the same
-- output gradient; outputs and every input's gradient compared. inputs: CPU tensors (the
-- ones requiring grad get grads compared); prep(t): how the GPU copy is derived
local function both(f, inputs, what, tol, prep)
  local ci, gi = {}, {}
  for i, t in ipairs(inputs) do
    if torch.isTensor(t) then
      local c = t:clone()
      local g = t:cuda()
      if prep then c, g = prep(c, i), prep(g, i) end
      if t.requiresGrad then
        c = c:detach():setRequiresGrad(); g = g:detach():setRequiresGrad()
      end
      ci[i], gi[i] = c, g
    else
      ci[i], gi[i] = t, t
    end
  end
  local yc = f(table.unpack(ci, 1, #inputs))
  local yg = f(table.unpack(gi, 1, #inputs))
  close(yg, yc, what .. ' forward', tol)
  if yc.requiresGrad then
    local go = torch.randn(yc:size()):type(yc:type())
    yc:backward(go)
    yg:backward(go:cuda())
    for i = 1, #inputs do
      if torch.isTensor(ci[i]) and ci[i].grad then
        tester:assert(gi[i].grad ~= nil, what .. ': gradient of input ' .. i)
        if gi[i].grad then close(gi[i].grad, ci[i].grad, what .. ' grad of input ' .. i, tol) end
      end
    end
  end
  return yc, yg
end

local function leafd(...) return torch.randn(...):double():setRequiresGrad() end
local function leaff(...) return torch.randn(...):float():setRequiresGrad() end

function T.conv2d_matches_cpu()
  torch.manualSeed(1)
  local cases = {
    {N = 7, C = 4, K = 6, H = 11, W = 9, k = 3, o = {stride = 2, padding = 1}},
    {N = 1, C = 4, K = 6, H = 12, W = 10, k = 3, o = {dilation = 2, padding = {2, 1}}},
    {N = 7, C = 4, K = 6, H = 9, W = 9, k = 3, o = {groups = 2, padding = 1}},
    {N = 3, C = 6, K = 6, H = 8, W = 7, k = 3, o = {groups = 6, stride = {1, 2}, padding = 1}},  -- depthwise
    {N = 7, C = 5, K = 3, H = 6, W = 5, k = 1, o = {}},                                          -- 1x1 direct
    {N = 2, C = 5, K = 4, H = 6, W = 5, k = 1, o = {stride = 2}},
    {N = 7, C = 3, K = 8, H = 13, W = 12, k = 5, o = {padding = 2, stride = 2}},
    {N = 1, C = 3, K = 2, H = 5, W = 5, k = 5, o = {}},
  }
  for _, mk in ipairs{leafd, leaff} do
    for ci, c in ipairs(cases) do
      local G = c.o.groups or 1
      local x, w, b = mk(c.N, c.C, c.H, c.W), mk(c.K, c.C // G, c.k, c.k), mk(c.K)
      local what = string.format('conv2d case %d %s', ci, x:type())
      both(function(x, w, b) return torch.conv2d(x, w, b, c.o) end, {x, w, b}, what)
      both(function(x, w) return torch.conv2d(x, w, nil, c.o) end, {x, w}, what .. ' no bias')
    end
  end
  -- non-contiguous input and weight
  local x = leafd(2, 3, 9, 8)
  local w = leafd(4, 3, 3, 3)
  both(function(x, w) return torch.conv2d(x:transpose(3, 4), w:transpose(3, 4), nil, {padding = 1}) end,
       {x, w}, 'conv2d transposed views')
  both(function(x, w) return torch.conv2d(x:narrow(2, 2, 2), w:narrow(2, 1, 2), nil, {stride = 2}) end,
       {x, w}, 'conv2d narrowed views')
  -- one sample (3-D)
  both(function(x, w) return torch.conv2d(x, w, nil, {padding = 1}) end, {leafd(3, 7, 6), leafd(2, 3, 3, 3)},
       'conv2d 3-D input')
  -- an empty batch: an empty output, a zero weight gradient
  both(function(x, w, b) return torch.conv2d(x, w, b, {padding = 1}) end, {leafd(0, 3, 5, 5), leafd(2, 3, 3, 3), leafd(2)},
       'conv2d empty batch')
  -- half through float32
  local xh, wh = torch.randn(2, 3, 8, 8):half(), torch.randn(4, 3, 3, 3):half()
  close(torch.conv2d(xh:cuda(), wh:cuda(), nil, {padding = 1}), torch.conv2d(xh, wh, nil, {padding = 1}),
        'conv2d half', 3e-2)
end

function T.conv_transpose2d_matches_cpu()
  torch.manualSeed(2)
  local cases = {
    {N = 7, C = 4, K = 6, H = 5, W = 6, k = 3, o = {stride = 2, padding = 1, outputPadding = 1}},
    {N = 1, C = 4, K = 4, H = 6, W = 5, k = 3, o = {dilation = 2, groups = 2}},
    {N = 3, C = 5, K = 3, H = 6, W = 5, k = 1, o = {}},
    {N = 2, C = 3, K = 2, H = 4, W = 4, k = 5, o = {stride = 3, padding = 2}},
  }
  for _, mk in ipairs{leafd, leaff} do
    for ci, c in ipairs(cases) do
      local G = c.o.groups or 1
      local x, w, b = mk(c.N, c.C, c.H, c.W), mk(c.C, c.K // G, c.k, c.k), mk(c.K)
      local what = string.format('convTranspose2d case %d %s', ci, x:type())
      both(function(x, w, b) return torch.convTranspose2d(x, w, b, c.o) end, {x, w, b}, what)
    end
  end
  both(function(x, w) return torch.convTranspose2d(x:transpose(3, 4), w, nil, {stride = 2}) end,
       {leafd(2, 3, 5, 4), leafd(3, 2, 3, 3)}, 'convTranspose2d transposed view')
end

function T.conv_large_batch_chunks()
  -- enough columns to use several blocks; a batch of 33 images of 64x64
  torch.manualSeed(3)
  local x, w, b = leaff(33, 8, 64, 64), leaff(16, 8, 3, 3), leaff(16)
  both(function(x, w, b) return torch.conv2d(x, w, b, {padding = 1}) end, {x, w, b}, 'conv2d big batch', 1e-3)
end

function T.conv_second_order()
  -- conv2d's backward is made of the three ops: double backward on the GPU too
  torch.manualSeed(4)
  local function f(x, w)
    local y = torch.conv2d(x, w, nil, {padding = 1, stride = 2})
    return torch.grad({ y:pow(2):sum() }, { x }, nil, { createGraph = true })[1]
  end
  both(f, {leafd(2, 2, 5, 5), leafd(3, 2, 3, 3)}, 'conv2d double backward')
end

function T.maxPool2d_matches_cpu()
  torch.manualSeed(5)
  local cases = {
    {3, 3, 2, 2, 1, 1, true}, {2, 2, 2, 2, 0, 0, false}, {3, 2, 1, 2, 1, 0, false},
    {3, 3, 2, 2, 0, 0, true}, {1, 1, 1, 1, 0, 0, false},
  }
  for _, mk in ipairs{leafd, leaff} do
    for ci, c in ipairs(cases) do
      local x = mk(3, 4, 11, 10)
      local what = string.format('maxPool2d case %d %s', ci, x:type())
      local yc, yg = both(function(x) return (torch.maxPool2d(x, table.unpack(c))) end, {x}, what, 0)
      local _, ic = torch.maxPool2d(x:detach(), table.unpack(c))
      local _, ig = torch.maxPool2d(x:detach():cuda(), table.unpack(c))
      tester:eq(ig:cpu(), ic, 0, what .. ' indices')
    end
  end
  -- ties (the first maximum), NaN and -inf, 3-D input, non-contiguous input
  local x = torch.Tensor(2, 6, 6):fill(1)
  x[1][2][3] = 0 / 0
  x[2]:fill(-math.huge)
  local yc, ic = torch.maxPool2d(x, 3, 3, 2, 2, 1, 1, true)
  local yg, ig = torch.maxPool2d(x:cuda(), 3, 3, 2, 2, 1, 1, true)
  tester:eq(ig:cpu(), ic, 0, 'maxPool2d tie and NaN indices')
  tester:assert(yg:cpu():ne(yg:cpu()):sum() == yc:ne(yc):sum(), 'maxPool2d NaN propagates')
  both(function(x) return (torch.maxPool2d(x:transpose(3, 4), 2, 2)) end, {leafd(2, 3, 8, 6)},
       'maxPool2d transposed view', 0)
  -- half through float32
  local xh = torch.randn(2, 3, 8, 8):half()
  close(torch.maxPool2d(xh:cuda(), 2, 2), torch.maxPool2d(xh, 2, 2), 'maxPool2d half', 0)
  -- more than 65535 planes (a 1-D grid of outputs), one element per window
  both(function(x) return (torch.maxPool2d(x, 2, 2)) end, {leaff(70000, 2, 3)}, 'maxPool2d 70000 planes', 0)
  both(function(x) return (torch.maxPool2d(x, 1, 1)) end, {leaff(1, 1, 1, 1)}, 'maxPool2d one element', 0)
end

function T.avgPool2d_matches_cpu()
  torch.manualSeed(6)
  local cases = {
    {3, 3, 2, 2, 1, 1, true, true}, {3, 3, 2, 2, 1, 1, true, false}, {2, 2, 2, 2, 0, 0, false, true},
    {3, 2, 1, 2, 1, 1, false, false}, {5, 5, 3, 3, 2, 2, true, false},
  }
  for _, mk in ipairs{leafd, leaff} do
    for ci, c in ipairs(cases) do
      local x = mk(2, 3, 11, 13)
      both(function(x) return torch.avgPool2d(x, table.unpack(c)) end, {x},
           string.format('avgPool2d case %d %s', ci, x:type()))
    end
  end
  both(function(x) return torch.avgPool2d(x:transpose(3, 4), 3, 3, 2, 2, 1, 1, true, false) end,
       {leafd(2, 3, 8, 7)}, 'avgPool2d transposed view')
  -- a big one: several blocks, a 3-D input
  both(function(x) return torch.avgPool2d(x, 2, 2) end, {leaff(16, 128, 128)}, 'avgPool2d big')
end

function T.upsample_and_pad()
  torch.manualSeed(7)
  both(function(x) return torch.upsampleNearest2d(x, 3) end, {leafd(2, 3, 4, 5)}, 'upsampleNearest2d')
  both(function(x) return torch.upsampleNearest2d(x:transpose(3, 4), 2) end, {leaff(2, 3, 4, 5)},
       'upsampleNearest2d transposed view')
  both(function(x) return torch.pad2d(x, 1, 2, 3, 0, 0.5) end, {leafd(2, 3, 4, 5)}, 'pad2d')
  both(function(x) return torch.pad2d(x, -1, 2, 1, -2) end, {leaff(2, 3, 6, 5)}, 'pad2d crop')
end

function T.batchNorm_matches_cpu()
  torch.manualSeed(8)
  for _, mk in ipairs{leafd, leaff} do
    for _, shape in ipairs{{7, 5, 6, 4}, {16, 3}, {4, 6, 50}, {2, 3, 33, 40}, {8, 2, 100, 90}} do
      local x = mk(table.unpack(shape)) * 2 + 1
      x = x:detach():setRequiresGrad()
      local C = shape[2]
      local w, b = mk(C), mk(C)
      for _, training in ipairs{true, false} do
        local rmc, rvc = torch.randn(C):type(x:type()), torch.rand(C):type(x:type()) + 0.5
        local rmg, rvg = rmc:cuda(), rvc:cuda()
        local calls = 0
        local what = string.format('batchNorm %s %s training=%s', x:type(), table.concat(shape, 'x'),
                                   tostring(training))
        both(function(x, w, b)
          calls = calls + 1
          local rm, rv = calls == 1 and rmc or rmg, calls == 1 and rvc or rvg
          return torch.batchNorm(x, rm, rv, w, b, training, 0.1, 1e-5)
        end, {x, w, b}, what)
        close(rmg, rmc, what .. ' running mean')
        close(rvg, rvc, what .. ' running var (unbiased)')
      end
    end
  end
  -- many channels (one block each)
  both(function(x, w, b) return torch.batchNorm(x, nil, nil, w, b, true) end, {leaff(4, 70000), leaff(70000), leaff(70000)},
       'batchNorm 70000 channels')
  -- no affine parameters, no running stats, a non-contiguous input
  both(function(x) return torch.batchNorm(x:transpose(1, 2), nil, nil, nil, nil, true) end,
       {leafd(5, 4, 3, 3)}, 'batchNorm bare')
  -- half input through float32
  local xh = torch.randn(4, 3, 5, 5):half()
  close(torch.batchNorm(xh:cuda(), nil, nil, nil, nil, true), torch.batchNorm(xh, nil, nil, nil, nil, true),
        'batchNorm half', 3e-2)
end

function T.dropout_same_mask_as_cpu()
  local x = torch.randn(64, 33)
  for _, spatial in ipairs{false, true} do
    local f = spatial and torch.spatialDropout or torch.dropout
    local xin = spatial and x:view(4, 16, 3, 11) or x
    torch.manualSeed(9)
    local yc, mc = f(xin, 0.3)
    torch.manualSeed(9)
    local yg, mg = f(xin:cuda(), 0.3)
    close(mg, mc, 'dropout mask spatial=' .. tostring(spatial), 0)
    close(yg, yc, 'dropout output spatial=' .. tostring(spatial))
  end
  -- its gradient: the mask again
  torch.manualSeed(9)
  local xc = x:clone():setRequiresGrad()
  local yc = torch.dropout(xc, 0.5)
  yc:sum():backward()
  torch.manualSeed(9)
  local xg = x:cuda():setRequiresGrad()
  local yg = torch.dropout(xg, 0.5)
  yg:sum():backward()
  close(xg.grad, xc.grad, 'dropout gradient', 0)
end

function T.embedding_matches_cpu()
  torch.manualSeed(10)
  local ix = torch.LongTensor{{1, 3, 3, 5}, {5, 5, 2, 1}}   -- repeated indices
  for _, mk in ipairs{leafd, leaff} do
    both(function(w, i) return torch.embedding(w, i) end, {mk(6, 4), ix}, 'embedding ' .. mk(1):type())
  end
  tester:assertErrorPattern(function() torch.embedding(torch.randn(6, 4):cuda(), torch.LongTensor{1, 7}:cuda()) end,
                            'out of range', 'embedding bad index on the GPU')
  local okm = pcall(torch.embedding, torch.randn(6, 4):cuda(), torch.LongTensor{1, 2})
  tester:assert(not okm, 'embedding: weight on the GPU, indices on the CPU is an error')
end

function T.mixed_devices_are_errors()
  local x, w = torch.randn(1, 2, 5, 5), torch.randn(3, 2, 3, 3)
  tester:assertError(function() torch.conv2d(x:cuda(), w) end, 'conv2d: input on the GPU, weight on the CPU')
  tester:assertError(function() torch.conv2d(x:cuda(), w:cuda(), torch.randn(3)) end, 'conv2d: bias on the CPU')
  tester:assertError(function() torch.batchNorm(x:cuda(), torch.zeros(2), torch.ones(2), nil, nil, true) end,
                     'batchNorm: running stats on the CPU')
end

-- an nn module on the CPU and its :cuda() copy (float32): outputs and gradients
local function module_check(m, x, what, tol)
  local mg = m:clone():cuda()
  local yc = m:forward(x)
  local yg = mg:forward(x:cuda())
  close(yg, yc, what .. ' output', tol)
  local go = torch.randn(yc:size()):float()
  m:zeroGradParameters(); mg:zeroGradParameters()
  local gc = m:backward(x, go)
  local gg = mg:backward(x:cuda(), go:cuda())
  close(gg, gc, what .. ' gradInput', tol)
  local pc, gpc = m:parameters()
  local pg, gpg = mg:parameters()
  for i = 1, #(gpc or {}) do close(gpg[i], gpc[i], what .. ' gradParameter ' .. i, tol) end
  return m, mg
end

function T.nn_modules_after_cuda()
  torch.manualSeed(11)
  local x = torch.randn(7, 3, 12, 12):float()
  module_check(nn.SpatialConvolution(3, 8, 3, 3, 2, 2, 1, 1):float(), x, 'SpatialConvolution')
  module_check(nn.SpatialMaxPooling(3, 3, 2, 2, 1, 1):float(), x, 'SpatialMaxPooling', 0)
  module_check(nn.SpatialMaxPooling(2, 2):ceil():float(), x:narrow(3, 1, 11), 'SpatialMaxPooling ceil', 0)
  local bn, bng = module_check(nn.SpatialBatchNormalization(3):float(), x, 'SpatialBatchNormalization')
  close(bng.running_mean, bn.running_mean, 'SpatialBatchNormalization running_mean')
  close(bng.running_var, bn.running_var, 'SpatialBatchNormalization running_var')
  bn:evaluate(); bng:evaluate()
  close(bng:forward(x:cuda()), bn:forward(x), 'SpatialBatchNormalization evaluation')
  local net = nn.Sequential()
    :add(nn.SpatialConvolution(3, 4, 5, 5, 1, 1, 2, 2))
    :add(nn.SpatialBatchNormalization(4))
    :add(nn.ReLU())
    :add(nn.SpatialMaxPooling(2, 2, 2, 2))
  module_check(net:float(), x, 'conv-bn-relu-pool')
end

tester:add(T)
return tester
