-- Gradients on the GPU against central finite differences, in float64 (torch.gradcheck
-- and torch.gradgradcheck perturb the CUDA inputs in place): one case per op family, so
-- that every backward formula and backward kernel of the CUDA paths is checked on its
-- own, not only against the CPU. Skipped (with the reason) where no GPU is present.
local tester = torch.Tester()
local ok, why = torch.cudaAvailable()
if not ok then
  tester.skipReason = 'no GPU: ' .. tostring(why)
  return tester
end
local T = torch.TestSuite()

local function G(...) return torch.randn(...):double():cuda():setRequiresGrad() end
local function check(f, inputs, what)
  local good, msg = torch.gradcheck(f, inputs)
  tester:assert(good, what .. ': ' .. tostring(msg))
end
local function check2(f, inputs, what)
  local good, msg = torch.gradgradcheck(function(...) return torch.enableGrad(f, ...) end, inputs)
  tester:assert(good, what .. ' (second order): ' .. tostring(msg))
end

function T.inputs_are_on_the_gpu()
  local x = G(3)
  tester:eq(x:type(), 'torch.CudaDoubleTensor', 'a CUDA float64 input')
  -- the perturbation goes through the GPU storage and leaves it as it was
  local before = x:clone()
  check(function(a) return torch.exp(a) end, { x }, 'exp')
  tester:eq(x:cpu(), before:cpu(), 0, 'the input is unchanged after the check')
end

function T.pointwise_and_broadcasting()
  local a, b, c = G(3, 4), G(4), G(3, 1)
  check(function(x, y) return torch.cmul(torch.sigmoid(x), y) end, { a, b }, 'sigmoid * broadcast')
  check(function(x, y, z) return torch.cdiv(x + z, torch.exp(y)) end, { a, b, c }, 'add/div broadcast both ways')
  check(function(x) return torch.pow(torch.abs(x) + 1, 1.5) end, { a }, 'pow of abs')
  check(function(x) return torch.tanh(x:t()) end, { a }, 'tanh of a transposed view')
  check2(function(x, y) return torch.cmul(torch.sin(x), y) end, { a, b }, 'sin * broadcast')
end

function T.reductions()
  local a = G(4, 5)
  check(function(x) return x:sum(2) end, { a }, 'sum over a dim')
  check(function(x) return x:mean(1) end, { a }, 'mean')
  check(function(x) return (x:max(2)) end, { a }, 'max over a dim')
  check(function(x) return x:std(2) end, { a }, 'std')
  check(function(x) return x:norm(2, 1) end, { a }, 'norm')
  check(function(x) return torch.logsumexp(x, 2) end, { a }, 'logsumexp')
  check(function(x) return torch.cumsum(x, 2) end, { a }, 'cumsum')
  check(function(x) return torch.cumprod(x, 1) end, { a }, 'cumprod')
  check(function(x) return x:prod() end, { G(5) }, 'whole-tensor prod')
  check2(function(x) return torch.logsumexp(x, 1) end, { a }, 'logsumexp')
end

function T.matrix_products()
  check(function(x, y) return torch.mm(x, y) end, { G(3, 4), G(4, 2) }, 'mm')
  check(function(x, y) return torch.bmm(x, y) end, { G(2, 3, 4), G(2, 4, 2) }, 'bmm')
  check(function(x, y) return torch.mv(x, y) end, { G(3, 4), G(4) }, 'mv')
  check(function(m, x, y) return torch.addmm(m, x, y) end, { G(3, 2), G(3, 4), G(4, 2) }, 'addmm')
  check2(function(x, y) return torch.mm(x, y) end, { G(2, 3), G(3, 2) }, 'mm')
end

function T.indexing_and_shapes()
  local a = G(4, 3)
  local ix = torch.LongTensor{3, 1, 3}:cuda()
  check(function(x) return x:index(1, ix) end, { a }, 'index with a repeated index')
  check(function(x) return x:gather(2, torch.LongTensor{{1, 3}, {2, 2}, {3, 1}, {1, 1}}:cuda()) end, { a }, 'gather')
  check(function(x) return x:maskedSelect(torch.ByteTensor{{1, 0, 1}, {0, 1, 1}, {1, 1, 0}, {0, 0, 1}}:cuda()) end,
        { a }, 'maskedSelect')
  check(function(x, y) return torch.cat({ x, y }, 1) end, { a, G(2, 3) }, 'cat')
  check(function(x) return (torch.sort(x, 2)) end, { a }, 'sort values')
  check(function(x) return (torch.topk(x, 2, 1, true)) end, { a }, 'topk values')
  check(function(x) return x:narrow(2, 2, 2):contiguous():view(-1) end, { a }, 'narrow, contiguous, view')
end

function T.convolution_and_pooling()
  local x, w, b = G(2, 2, 5, 5), G(3, 2, 3, 3), G(3)
  check(function(a, ww, bb) return torch.conv2d(a, ww, bb, { stride = 2, padding = 1 }) end, { x, w, b }, 'conv2d')
  check(function(a, ww) return torch.conv2d(a, ww, nil, { dilation = 2 }) end, { x, w }, 'dilated conv2d')
  check(function(a, ww) return torch.conv2d(a, ww, nil, { groups = 2, padding = 1 }) end, { G(1, 4, 4, 4), G(2, 2, 3, 3) },
        'grouped conv2d')
  check(function(a, ww) return torch.convTranspose2d(a, ww, nil, { stride = 2 }) end, { G(1, 3, 3, 3), G(3, 2, 3, 3) },
        'transposed conv2d')
  check(function(a) return (torch.maxPool2d(a, 2, 2, 2, 2)) end, { x }, 'max pooling')
  check(function(a) return torch.avgPool2d(a, 3, 3, 2, 2, 1, 1) end, { x }, 'average pooling')
  check(function(a) return torch.upsampleNearest2d(a, 2) end, { G(1, 2, 2, 3) }, 'upsampling')
  check2(function(a, ww) return torch.conv2d(a, ww) end, { G(1, 1, 4, 4), G(2, 1, 2, 2) }, 'conv2d')
end

function T.normalization_and_activations()
  local x, w, b = G(4, 3, 2, 2), G(3), G(3)
  check(function(a, ww, bb) return torch.batchNorm(a, nil, nil, ww, bb, true) end, { x, w, b }, 'batch norm (training)')
  local rm, rv = torch.randn(3):double():cuda(), torch.rand(3):double():add(0.5):cuda()
  check(function(a, ww) return torch.batchNorm(a, rm, rv, ww, b:detach(), false) end, { x, w }, 'batch norm (evaluation)')
  local a = G(3, 5)
  for _, f in ipairs{'relu', 'elu', 'gelu', 'silu', 'softplus'} do
    check(function(t) return torch[f](t) end, { a }, f)
  end
  check2(function(t) return torch.gelu(t) end, { a }, 'gelu')
  check(function(t) return torch.softmax(t, 2) end, { a }, 'softmax')
  check(function(t) return torch.logSoftmax(t, 1) end, { a }, 'logSoftmax over the first dim')
  check(function(t) return torch.softmax(t, 2) end, { G(2, 1500) }, 'softmax of long rows')
  check2(function(t) return torch.logSoftmax(t, 2) end, { a }, 'logSoftmax')
end

function T.losses()
  local x, y = G(4, 3), G(4, 3)
  local t = torch.LongTensor{3, 1, 2, 3}:cuda()
  local wt = torch.DoubleTensor{1, 2, 0.5}:cuda()
  check(function(a) return torch.nllLoss(torch.logSoftmax(a, 2), t) end, { x }, 'nll of logSoftmax')
  check(function(a) return torch.crossEntropy(a, t, { weight = wt }) end, { x }, 'weighted cross-entropy')
  check(function(a) return torch.crossEntropy(a, t, { ignoreIndex = 2, reduction = 'sum' }) end, { x },
        'cross-entropy with an ignored class')
  check(function(a, b) return torch.mseLoss(a, b) end, { x, y }, 'mse')
  local p = torch.rand(4, 3):double():cuda()
  check(function(a) return torch.bceWithLogits(a, p) end, { x }, 'bce with logits')
  check(function(a) return torch.bceLoss(torch.sigmoid(a), p) end, { x }, 'bce')
  check(function(a, b) return torch.smoothL1Loss(a, b) end, { x, y }, 'smooth L1')
end

function T.recurrent_cells_and_embedding()
  local B, I, H = 3, 4, 2
  local ins = { G(B, I), G(B, H), G(B, H), G(4 * H, I), G(4 * H, H), G(4 * H), G(4 * H) }
  check(function(...) local h, c = torch.lstmCell(...); return { h, c } end, ins, 'lstm cell')
  local gins = { G(B, I), G(B, H), G(3 * H, I), G(3 * H, H), G(3 * H), G(3 * H) }
  check(function(...) return torch.gruCell(...) end, gins, 'gru cell')
  local ix = torch.LongTensor{{2, 5}, {2, 1}}:cuda()
  check(function(w) return torch.embedding(w, ix) end, { G(5, 3) }, 'embedding with a repeated index')
end

tester:add(T)
return tester
