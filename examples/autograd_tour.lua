-- examples/autograd_tour.lua: a short tour of luatorch's autograd, in six steps:
--   1. raw tensors: loss:backward() fills w.grad (PyTorch's way), a linear fit by hand
--   2. torch.grad(y, x): gradients returned, .grad untouched
--   3. createGraph: the gradient of a gradient (a second derivative)
--   4. a hook: t:registerHook(fn) sees (and may replace) the gradient flowing through t
--   5. torch.Function{forward=, backward=}: a custom op with its own backward, gradchecked
--   6. require 'autograd': torch-autograd's functional form, df(params, ...) -> grads, loss
-- Each step prints what it computed next to the value expected from calculus.
--   th examples/autograd_tour.lua [-steps 200] [-lr 0.1] [-seed 0]
--   th examples/autograd_tour.lua -h        (the options)
local cmd = torch.CmdLine()
cmd:text('A tour of autograd: backward, torch.grad, second derivatives, hooks,')
cmd:text('custom functions and the functional (torch-autograd) form')
cmd:text()
cmd:text('Options')
cmd:option('-n', 256, 'examples in the two small fits (steps 1 and 6)')
cmd:option('-steps', 200, 'gradient steps of the linear fit (step 1)')
cmd:option('-lr', 0.1, 'learning rate of the linear fit')
cmd:option('-csteps', 300, 'gradient steps of the classifier (step 6)')
cmd:option('-seed', 0, 'random seed')
local opt = cmd:parse(arg or {})
torch.manualSeed(opt.seed)

local function title(s) print('\n== ' .. s) end
local function vec(t)
  local parts = {}
  for i = 1, t:nElement() do parts[i] = string.format('%.4f', t[i]) end
  return '(' .. table.concat(parts, ', ') .. ')'
end

-- 1. PyTorch style: raw tensors, loss:backward(), w.grad.
--    Fit y = 3 x1 - 2 x2 + 0.5 (plus noise) by gradient descent.
title('1. raw tensors: loss:backward() fills .grad')
local n = opt.n
local X = torch.randn(n, 2)
local y = X * torch.Tensor{3, -2} + 0.5 + torch.randn(n) * 0.1
local w = torch.zeros(2, {requiresGrad = true})
local b = torch.zeros(1, {requiresGrad = true})
local loss
for step = 1, opt.steps do
  local pred = torch.mv(X, w) + b             -- b broadcasts over the n rows
  loss = torch.pow(pred - y, 2):mean()        -- a 0-dim tensor that remembers its graph
  w:zeroGrad(); b:zeroGrad()
  loss:backward()
  w:add(-opt.lr, w.grad)                      -- updating a leaf is not recorded
  b:add(-opt.lr, b.grad)
  if step % math.max(1, opt.steps // 4) == 0 then
    print(string.format('step %3d  loss %.5f', step, loss:item()))
  end
end
print(string.format('w = (%.3f, %.3f), b = %.3f   (true: 3, -2, 0.5)', w[1], w[2], b[1]))

-- 2. torch.grad: d/dx sum(exp(x) * sin(x)) = exp(x) (sin(x) + cos(x)), .grad left alone
title('2. torch.grad(y, x): the gradient returned, x.grad untouched')
local x = torch.Tensor{0, 0.5, 1}:setRequiresGrad()
local g = torch.grad(torch.cmul(torch.exp(x), torch.sin(x)):sum(), x)
local xd = x:detach()
print('torch.grad  ' .. vec(g))
print('expected    ' .. vec(torch.cmul(torch.exp(xd), torch.sin(xd) + torch.cos(xd))))
print('x.grad is ' .. tostring(x.grad))

-- 3. Higher derivatives: the gradient of a gradient.
title('3. createGraph: a second derivative')
x = torch.Tensor{0.5, 1, 2}:setRequiresGrad()
local f = torch.pow(x, 3):sum()                              -- f = sum x^3
g = torch.grad(f, x, nil, {createGraph = true})              -- 3 x^2, itself differentiable
local h = torch.grad(g:sum(), x)                             -- 6 x
print('d/dx   sum(x^3) at (0.5, 1, 2): ' .. vec(g:detach()) .. '   (3 x^2)')
print('d2/dx2 sum(x^3) at (0.5, 1, 2): ' .. vec(h) .. '   (6 x)')

-- 4. A hook on an intermediate tensor: look at the gradient, then clip it to [-1, 1]
title('4. a hook: seeing and replacing a gradient in flight')
x = torch.Tensor{-2, 0.5, 3}:setRequiresGrad()
local u = torch.cmul(x, x)                                   -- u = x^2
u:registerHook(function(grad)
  print('gradient reaching u   ' .. vec(grad) .. '   (d/du sum(u^2) = 2u)')
  return torch.clamp(grad, -1, 1)                            -- what flows on to x
end)
torch.pow(u, 2):sum():backward()
print('x.grad (clipped)      ' .. vec(x.grad) .. '   (2x * clamp(2x^2, -1, 1))')

-- 5. A custom op: softplus(x) = log(1 + e^x) with its own backward, the logistic sigmoid
title('5. torch.Function: a custom op with a hand-written backward')
local Softplus = torch.Function{
  name = 'SoftplusBackward',
  forward = function(ctx, t)
    ctx:save(t)
    return torch.log(torch.exp(t) + 1)
  end,
  backward = function(ctx, grad)
    local t = ctx.saved[1]
    return torch.cmul(grad, torch.sigmoid(t))
  end,
}
x = torch.Tensor{-1, 0, 2}:double():setRequiresGrad()
local s = Softplus(x)
print('softplus(x)  ' .. vec(s:detach()) .. '   grad_fn ' .. tostring(s.gradFn))
s:sum():backward()
print('x.grad       ' .. vec(x.grad) .. '   (sigmoid(x))')
print('gradcheck    ' .. tostring(torch.gradcheck(function(t) return Softplus(t) end, {x})))

-- 6. torch-autograd style: a function of a parameter table, differentiated as a whole.
title("6. require 'autograd': the functional form")
local autograd = require 'autograd'
local params = { W = torch.randn(4, 2) * 0.1, b = torch.zeros(4), v = torch.randn(4) * 0.1 }
local labels = torch.gt(X:select(2, 1), 0):float()          -- 1 where x1 > 0
local df = autograd(function(p, inputs, targets)
  local hidden = torch.tanh(inputs * p.W:t() + p.b)         -- n x 4
  local prob = torch.sigmoid(torch.mv(hidden, p.v))
  local eps = 1e-6
  return -(torch.cmul(targets, torch.log(prob + eps)) +
           torch.cmul(1 - targets, torch.log(1 - prob + eps))):mean()
end)
local closs
for step = 1, opt.csteps do
  local grads
  grads, closs = df(params, X, labels)
  for k, grad in pairs(grads) do params[k]:add(-1.0, grad) end
  if step % math.max(1, opt.csteps // 3) == 0 then
    print(string.format('classifier step %3d  loss %.4f', step, closs))
  end
end
local prob = torch.sigmoid(torch.mv(torch.tanh(X * params.W:t() + params.b), params.v))
local acc = torch.eq(torch.gt(prob, 0.5):float(), labels):float():mean()
print(string.format('classifier accuracy %.1f%%', acc * 100))
