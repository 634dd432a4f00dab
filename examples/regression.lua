-- examples/regression.lua: fits a noisy curve, y = sin(x) + noise over [-3, 3], with a
-- small MLP in the autograd style (crit(net(x), y):backward() and the optim.Adam object),
-- prints the loss every so often, then plots the data and the fit with gnuplot: as text
-- in the terminal by default, or into a PNG file with -png.
--   th examples/regression.lua [-n 200] [-hidden 32] [-steps 1000] [-lr 0.01] [-png fit.png]
--   th examples/regression.lua -h        (the options)
require 'nn'
require 'optim'

local cmd = torch.CmdLine()
cmd:text('Fit y = sin(x) + noise with a 1-H-H-1 Tanh MLP (autograd style, optim.Adam)')
cmd:text()
cmd:text('Options')
cmd:option('-n', 200, 'data points, evenly spaced over [-3, 3]')
cmd:option('-noise', 0.1, 'standard deviation of the noise')
cmd:option('-hidden', 32, 'hidden units per layer')
cmd:option('-steps', 1000, 'Adam steps (full batch)')
cmd:option('-lr', 0.01, 'learning rate')
cmd:option('-every', 100, 'print the loss every this many steps')
cmd:option('-seed', 1, 'random seed')
cmd:option('-png', '', 'write the plot into this PNG file instead of the terminal')
cmd:option('-noplot', false, 'do not plot')
local opt = cmd:parse(arg or {})
torch.manualSeed(opt.seed)

-- the data: n x 1 inputs and targets (a batch of n one-feature examples)
local x = torch.linspace(-3, 3, opt.n):view(opt.n, 1)
local y = torch.sin(x) + torch.randn(opt.n, 1) * opt.noise

local net = nn.Sequential()
net:add(nn.Linear(1, opt.hidden)):add(nn.Tanh())
net:add(nn.Linear(opt.hidden, opt.hidden)):add(nn.Tanh())
net:add(nn.Linear(opt.hidden, 1))
local crit = nn.MSECriterion()

-- the autograd style: the call forms build a graph, backward fills the parameters' .grad
local adam = optim.Adam(net:parameters(), { lr = opt.lr })
local loss
for step = 1, opt.steps do
  adam:zeroGrad()
  loss = crit(net(x), y)            -- a 0-dim tensor on the graph
  loss:backward()
  adam:step()
  if step % opt.every == 0 or step == opt.steps then
    print(string.format('step %5d  loss %.5f', step, loss:item()))
  end
end
print(string.format('final loss %.5f  (noise variance %.5f)', loss:item(), opt.noise ^ 2))

if opt.noplot then return end

-- the plot: data as points, the fit as a line
local yhat = torch.noGrad(function() return net:forward(x) end)
local gnuplot = require 'gnuplot'
local ok, err = pcall(function()
  if opt.png ~= '' then gnuplot.pngfigure(opt.png) else gnuplot.dumbfigure() end
end)
if not ok then
  print('no plot: ' .. tostring(err))
  return
end
gnuplot.title('y = sin(x) + noise, and the MLP fit')
gnuplot.xlabel('x')
gnuplot.ylabel('y')
gnuplot.movelegend('left', 'top')
gnuplot.plot({'data', x:view(-1), y:view(-1), '+'}, {'fit', x:view(-1), yhat:view(-1), '-'})
gnuplot.close()                     -- a file figure is complete on disk once closed
if opt.png ~= '' then print('plot written to ' .. opt.png) end
