-- examples/autograd.lua: gradients with luatorch's autograd, three ways.
--   th examples/autograd.lua
torch.manualSeed(0)

-- 1. PyTorch style: raw tensors, loss:backward(), x.grad.
--    Fit y = 3 x1 - 2 x2 + 0.5 (plus noise) by gradient descent.
local n = 256
local X = torch.randn(n, 2)
local y = X * torch.Tensor{3, -2} + 0.5 + torch.randn(n) * 0.1
local w = torch.zeros(2, {requiresGrad = true})
local b = torch.zeros(1, {requiresGrad = true})
for step = 1, 200 do
  local pred = torch.mv(X, w) + b             -- b broadcasts over the n rows
  local loss = torch.pow(pred - y, 2):mean()  -- a 0-dim tensor that remembers its graph
  w:zeroGrad(); b:zeroGrad()
  loss:backward()
  w:add(-0.1, w.grad)                         -- updating a leaf is not recorded
  b:add(-0.1, b.grad)
  if step % 50 == 0 then print(string.format('step %3d  loss %.5f', step, loss:item())) end
end
print(string.format('w = (%.3f, %.3f), b = %.3f   (true: 3, -2, 0.5)', w[1], w[2], b[1]))

-- 2. torch-autograd style: a function of a parameter table, differentiated as a whole.
local autograd = require 'autograd'
local params = { W = torch.randn(4, 2) * 0.1, b = torch.zeros(4), v = torch.randn(4) * 0.1 }
local labels = torch.gt(X:select(2, 1), 0):float()         -- 1 where x1 > 0
local df = autograd(function(p, inputs, targets)
  local hidden = torch.tanh(inputs * p.W:t() + p.b)         -- n x 4
  local logits = torch.mv(hidden, p.v)
  local prob = torch.sigmoid(logits)
  local eps = 1e-6
  return -(torch.cmul(targets, torch.log(prob + eps)) +
           torch.cmul(1 - targets, torch.log(1 - prob + eps))):mean()
end)
for step = 1, 300 do
  local grads, loss = df(params, X, labels)
  for k, g in pairs(grads) do params[k]:add(-1.0, g) end
  if step % 100 == 0 then print(string.format('classifier step %3d  loss %.4f', step, loss)) end
end

-- 3. Higher derivatives: the gradient of a gradient.
local x = torch.Tensor{0.5, 1, 2}:setRequiresGrad()
local f = torch.pow(x, 3):sum()                              -- f = sum x^3
local g = torch.grad(f, x, nil, {createGraph = true})        -- 3 x^2, itself differentiable
local h = torch.grad(g:sum(), x)                             -- 6 x
print('d2/dx2 sum(x^3) at (0.5, 1, 2):', h[1], h[2], h[3])
