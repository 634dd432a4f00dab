-- The example scripts (examples/xor.lua, regression.lua, autograd_tour.lua), each run
-- as a child th process with small options: what they print (predictions, losses, the
-- values of the autograd tour), the PNG that regression.lua writes, and `-h`.
local tester = torch.Tester()
local T = torch.TestSuite()

-- child.run: a script run by a child th process (tests/lua/child_th.lua)
local child = dofile((debug.getinfo(1, 'S').source:match('^@(.*)/[^/]*$') or 'tests/lua') .. '/child_th.lua')
local shquote = child.shquote
if not child.th then return child.skip(tester, T, 'not run by th (the examples run in a child th process)') end

local function have_gnuplot()
  local p = io.popen('command -v gnuplot 2>/dev/null')
  local path = p:read('l')
  p:close()
  return path and path ~= ''
end

-- run(name, args[, env]) -> exit code, stdout and stderr together
local function run(name, args, env) return child.run('examples/' .. name, args, env) end

local function count(text, s)
  local n, i = 0, 1
  while true do
    local a, b = text:find(s, i, true)
    if not a then return n end
    n, i = n + 1, b + 1
  end
end

local function checkhelp(name, options)
  local code, text = run(name, '-h')
  tester:eq(code, 0, name .. ' -h exits 0')
  tester:assert(text:find('Usage: ', 1, true) and text:find(name, 1, true), name .. ' -h: ' .. text)
  for _, o in ipairs(options) do
    tester:assert(text:find('\n  ' .. o .. ' ', 1, true), name .. ' -h shows ' .. o .. ': ' .. text)
  end
  code, text = run(name, '-nosuchoption 1')
  tester:eq(code, 1, name .. ': an unknown option exits 1')
  tester:assert(text:find('unknown option -nosuchoption', 1, true), text)
end

function T.xor_learns_all_four()
  local code, text = run('xor.lua', '-epochs 300')
  tester:eq(code, 0, text)
  tester:assert(text:find('nn.Linear(2 -> 4)', 1, true), 'prints the network: ' .. text)
  tester:eq(count(text, 'accuracy: 100%'), 2, 'the manual loop and optim.sgd: ' .. text)
  tester:assert(text:find('manual loop:', 1, true) and text:find('optim.sgd:', 1, true), text)
  -- the eight prediction lines: each within 0.1 of its target
  local n = 0
  for a, b, yhat, t in text:gmatch('(%-?%d) xor +(%-?%d) %-> +(%-?[%d.]+)  %(target +(%-?%d)%)') do
    n = n + 1
    local want = (tonumber(a) == tonumber(b)) and -1 or 1
    tester:eq(tonumber(t), want, 'the XOR target of ' .. a .. ', ' .. b)
    tester:assert(math.abs(tonumber(yhat) - want) < 0.1, 'prediction ' .. yhat .. ' for ' .. t)
  end
  tester:eq(n, 8, 'four predictions, twice')
end

function T.xor_help()
  checkhelp('xor.lua', {'-hidden', '-epochs', '-lr', '-seed'})
end

-- the printed losses, in order, and the final one
local function losses(text)
  local l = {}
  for v in text:gmatch('step +%d+  loss ([%d.]+)') do l[#l + 1] = tonumber(v) end
  return l, tonumber(text:match('final loss ([%d.]+)'))
end

function T.regression_fits_the_curve()
  local code, text = run('regression.lua', '-steps 400 -noplot')
  tester:eq(code, 0, text)
  local l, final = losses(text)
  tester:eq(#l, 4, 'a loss every 100 steps: ' .. text)
  tester:assert(final and final < 0.02, 'final loss near the noise variance 0.01: ' .. text)
  tester:assert(l[1] and final < l[1], 'the loss went down')
  tester:assert(not text:find('data', 1, true), '-noplot: no plot')
end

function T.regression_plots()
  if not have_gnuplot() then tester:skip("the 'gnuplot' program is not installed") end
  local png = os.tmpname() .. '.png'
  local code, text = run('regression.lua', '-steps 50 -every 25 -png ' .. shquote(png))
  tester:eq(code, 0, text)
  tester:eq(#losses(text), 2, text)
  tester:assert(text:find('plot written to ' .. png, 1, true), text)
  local f = io.open(png, 'rb')
  tester:assert(f ~= nil, 'the PNG exists')
  if f then
    local data = f:read('a')
    f:close()
    tester:eq(data:sub(1, 8), '\137PNG\r\n\26\n', 'a PNG file')
    tester:assert(#data > 1000, 'with a plot in it')
  end
  os.remove(png)
  os.remove((png:gsub('%.png$', '')))
  -- by default, a text plot in the terminal: the title, the legend, the axes
  code, text = run('regression.lua', '-steps 50 -every 50')
  tester:eq(code, 0, text)
  tester:assert(text:find('y = sin(x) + noise, and the MLP fit', 1, true), text)
  tester:assert(text:find('data', 1, true) and text:find('fit', 1, true), 'legend: ' .. text)
  tester:assert(text:find('+-----', 1, true), 'a frame drawn in text: ' .. text)
end

function T.regression_without_gnuplot()
  local code, text = run('regression.lua', '-steps 20 -every 10', 'PATH=/nonexistent')
  tester:eq(code, 0, 'no gnuplot is not an error: ' .. text)
  tester:assert(text:find('final loss', 1, true), text)
  tester:assert(text:find("no plot: gnuplot: the 'gnuplot' program was not found", 1, true), text)
end

function T.regression_help()
  checkhelp('regression.lua', {'-n', '-hidden', '-steps', '-lr', '-png', '-noplot'})
end

-- the values after a label, as numbers: "label (1.0000, 2.0000)"
local function values(text, label)
  local i = text:find(label, 1, true)
  if not i then return nil end
  local inside = text:match('^%s*%(([^)]*)%)', i + #label)
  if not inside then return nil end
  local v = {}
  for s in inside:gmatch('[^,%s]+') do v[#v + 1] = tonumber(s) end
  return v
end

local function near(got, want, tol, msg)
  tester:assert(got ~= nil and #got == #want, msg .. ': ' .. tostring(got and #got))
  if not got then return end
  for i = 1, #want do
    tester:assert(got[i] and math.abs(got[i] - want[i]) <= tol,
      string.format('%s [%d]: %s, expected %s', msg, i, tostring(got[i]), tostring(want[i])))
  end
end

function T.autograd_tour_values()
  local code, text = run('autograd_tour.lua', '-steps 150 -csteps 200')
  tester:eq(code, 0, text)
  for i = 1, 6 do
    tester:assert(text:find('\n== ' .. i .. '. ', 1, true), 'step ' .. i .. ' shown')
  end
  -- 1. the linear fit
  local w1, w2, b = text:match('w = %((%-?[%d.]+), (%-?[%d.]+)%), b = (%-?[%d.]+)')
  near({tonumber(w1), tonumber(w2), tonumber(b)}, {3, -2, 0.5}, 0.05, 'linear fit')
  -- 2. torch.grad: exp(x) (sin x + cos x) at 0, 0.5, 1; .grad untouched
  local want = {}
  for i, x in ipairs({0, 0.5, 1}) do want[i] = math.exp(x) * (math.sin(x) + math.cos(x)) end
  near(values(text, 'torch.grad  '), want, 1e-4, 'torch.grad')
  tester:assert(text:find('x.grad is nil', 1, true), 'torch.grad leaves .grad alone')
  -- 3. first and second derivatives of sum x^3 at 0.5, 1, 2
  near(values(text, 'd/dx   sum(x^3) at (0.5, 1, 2):'), {0.75, 3, 12}, 1e-4, '3 x^2')
  near(values(text, 'd2/dx2 sum(x^3) at (0.5, 1, 2):'), {3, 6, 12}, 1e-4, '6 x')
  -- 4. the hook saw 2u = 2x^2 and clipped it to [-1, 1]
  near(values(text, 'gradient reaching u'), {8, 0.5, 18}, 1e-4, 'hook input')
  near(values(text, 'x.grad (clipped)'), {-4, 0.5, 6}, 1e-4, 'clipped gradient')
  -- 5. softplus and its hand-written backward
  local sp, sg = {}, {}
  for i, x in ipairs({-1, 0, 2}) do
    sp[i], sg[i] = math.log(1 + math.exp(x)), 1 / (1 + math.exp(-x))
  end
  near(values(text, 'softplus(x)'), sp, 1e-4, 'softplus')
  tester:assert(text:find('grad_fn <SoftplusBackward>', 1, true), 'the named node')
  near(values(text, 'x.grad      '), sg, 1e-4, 'sigmoid')
  tester:assert(text:find('gradcheck    true', 1, true), 'gradcheck passes')
  -- 6. the functional form trains the classifier
  local acc = tonumber(text:match('classifier accuracy ([%d.]+)%%'))
  tester:assert(acc and acc >= 95, 'classifier accuracy: ' .. tostring(acc))
end

function T.autograd_tour_help()
  checkhelp('autograd_tour.lua', {'-n', '-steps', '-lr', '-csteps', '-seed'})
end

tester:add(T)
return tester
