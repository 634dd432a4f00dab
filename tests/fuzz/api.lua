-- The API fuzzer's worker: th tests/fuzz/api.lua --seed S --from A --to B [--progress FILE]
--                          th tests/fuzz/api.lua --seed S --call I [--print]
--
-- Call number I of seed S is a small Lua program, made only from S and I (never from
-- what ran before): it builds random arguments (tensors of every dtype and shape, views,
-- NaN/Inf, numbers near the limits, strings, tables, nil, booleans, functions) and calls
-- one function or method of torch, nn or optim with them. Each program runs under pcall:
-- a Lua error is the expected outcome of bad input. A crash, a hang or a sanitizer report
-- is a bug; tests/fuzz/run.lua runs this file in child processes to catch those.
--
-- Before each call the program's text is written to the progress file, so the driver can
-- print the call that killed a child. `--call I --print` prints the program; without
-- --print it runs just that call (a crash then shows in the foreground). `--errors 1`
-- prints each Lua error a batch raised (to review the messages, or the fuzzer's aim).
torch = torch or require 'torch'
nn = nn or require 'nn'
optim = optim or require 'optim'

local M = {}

---------------------------------------------------------------------------------------
-- A small deterministic generator (splitmix64 on Lua 5.4's wrapping integers), kept
-- apart from math.random and torch's generator so that nothing a call does can shift it.
local state = 0
local function reseed(seed, call)
  state = (seed * 0x9E3779B97F4A7C15 + call * 0xBF58476D1CE4E5B9) ~ 0x2545F4914F6CDD1D
end
local function nextint()
  state = state + 0x9E3779B97F4A7C15
  local z = state
  z = (z ~ (z >> 30)) * 0xBF58476D1CE4E5B9
  z = (z ~ (z >> 27)) * 0x94D049BB133111EB
  return z ~ (z >> 31)
end
local function rand(n) return (nextint() >> 1) % n + 1 end   -- 1..n
local function chance(p) return (nextint() >> 11) * (1.0 / (1 << 53)) < p end
local function pick(list) return list[rand(#list)] end

---------------------------------------------------------------------------------------
-- What gets called

local TYPES = { 'Byte', 'Char', 'Short', 'Int', 'Long', 'Float', 'Double', 'Half', 'BFloat16', 'Bool' }
local FLOATS = { 'Float', 'Double', 'Half', 'BFloat16' }
local CONVERT = { Byte = 'byte', Char = 'char', Short = 'short', Int = 'int', Long = 'long',
  Float = 'float', Double = 'double', Half = 'half', BFloat16 = 'bfloat16', Bool = 'bool' }

-- Functions that block, touch the world outside a temporary directory, end the
-- process, or change what later calls in the same child see (so a finding would not
-- reproduce from its one call). Each is named with why.
local SKIP_TORCH = {
  CmdLine = 'parses arg and may call os.exit',
  Tester = 'runs test suites and prints',
  class = 'redefines global classes (would leak into later calls)',
  newmetatable = 'registers global classes',
  setmetatable = 'changes the class of any table',
  setnumthreads = 'a huge count starts that many OpenMP threads (resource use, not a bug)',
}
local SKIP_DATA = { fashionMnist = 'downloads', fashionMnistDir = 'a path' }

local function sorted_keys(t, want)
  local ks = {}
  for k, v in pairs(t) do
    if type(k) == 'string' and want(k, v) then ks[#ks + 1] = k end
  end
  table.sort(ks)
  return ks
end

-- (names starting with _ are internal helpers, not API)
local TORCH_FUNCS = sorted_keys(torch, function(k, v)
  return type(v) == 'function' and not SKIP_TORCH[k] and not k:match('^_')
end)
local TENSOR_METHODS = sorted_keys(torch._methods, function(_, v) return type(v) == 'function' end)
local CUDA_FUNCS = sorted_keys(torch.cuda, function(_, v) return type(v) == 'function' end)
local DATA_FUNCS = sorted_keys(torch.data, function(k, v) return type(v) == 'function' and not SKIP_DATA[k] end)
local STORAGE_METHODS = {}
for _, m in ipairs { 'size', 'resize', 'fill', 'copy', 'string', 'totable', 'elementSize',
  'type', 'float', 'double', 'byte', 'long', 'tensor', 'clone', 'data', 'storage', 'pointer' } do
  if torch.FloatStorage(1)[m] then STORAGE_METHODS[#STORAGE_METHODS + 1] = m end
end

-- nn's classes load lazily: list them from the files next to nn/init.lua
local NN_CLASSES = {}
do
  local init = package.searchpath('nn', package.path)
  local dir = init and init:match('^(.*)/init%.lua$')
  local p = dir and io.popen('ls "' .. dir .. '" 2>/dev/null')
  if p then
    for f in p:lines() do
      local name = f:match('^(%u[%w_]*)%.lua$')
      if name and name ~= 'Jacobian' then NN_CLASSES[#NN_CLASSES + 1] = name end
    end
    p:close()
  end
  table.sort(NN_CLASSES)
end
local OPTIM_FUNCS = { 'sgd', 'adam', 'adamw', 'adagrad', 'adadelta', 'adamax', 'asgd', 'nag',
  'rmsprop', 'lbfgs', 'cg' }
local OPTIM_CLASSES = { 'SGD', 'Adam', 'AdamW', 'RMSprop', 'Adagrad' }
local OPTIM_KEYS = { 'learningRate', 'lr', 'learningRateDecay', 'weightDecay', 'momentum',
  'dampening', 'nesterov', 'beta1', 'beta2', 'betas', 'epsilon', 'eps', 'alpha', 'maxIter',
  'maxEval', 'tolFun', 'tolX', 'nCorrection', 'lineSearch', 'rho', 'lambda', 't0',
  'learningRates', 'weightDecays', 'amsgrad', 'maximize', 'centered' }

---------------------------------------------------------------------------------------
-- Argument generators: each returns the text of a Lua expression. The text is what
-- runs, so a printed program reproduces exactly.

local NUMBERS = { '0', '1', '-1', '2', '3', '0.5', '-2.5', '1e-300', '1e300', '-1e300',
  'math.huge', '-math.huge', '0/0', 'math.maxinteger', 'math.mininteger', '2^31', '2^31-1',
  '-2^31', '2^32', '2^53', '2^63', '-2^63', '255', '256', '-129', '65504', '70000', '1e6',
  '2^62', '4.9e-324', '-0.0', '1.5', '100', '-100' }
local STRINGS = { "''", "'abc'", "'torch.FloatTensor'", "'torch.DoubleTensor'", "'torch.ByteTensor'",
  "'torch.CudaTensor'", "'float'", "'sum'", "'max'", "'\\0'", "string.rep('x', 1000)",
  "'%s%s%n%d'", "'nan'", "'1'", "'cuda'", "'mean'", "'none'", "'fro'", "'inf'", "'a.b.c'",
  "'torch.LongStorage'", "'nn.Linear'", "'\\xff\\xfe'", "'  2  '", "'-1'" }
local FUNCTIONS = { 'function() end', 'function(...) return ... end', "function() error('boom') end",
  'function(x) return x end', 'function(x) return 0/0 end', "function() return 'str' end",
  'function(x, y) return (x or 0) + (y or 0) end', 'function() return {} end',
  'function() return torch.Tensor(2) end' }

local G -- the program being built: G.lines, G.nvar, G.shape (a shared base shape)

local function var(expr)
  G.nvar = G.nvar + 1
  local name = 'a' .. G.nvar
  G.lines[#G.lines + 1] = 'local ' .. name .. ' = ' .. expr
  return name
end

local function small_int()
  local r = rand(20)
  if r <= 12 then return tostring(rand(4)) end            -- 1..4: dims, sizes
  if r <= 14 then return tostring(rand(3) - 2) end        -- -1, 0, 1
  if r <= 16 then return tostring(-rand(5)) end
  return pick(NUMBERS)
end

local function sizes_text(shape) return table.concat(shape, ', ') end

-- a shape: mostly the call's base shape (so arguments often fit each other), else fresh
local function gen_shape()
  if G.shape and chance(0.6) then
    local s = {}
    for i = 1, #G.shape do s[i] = G.shape[i] end
    if #s > 0 and chance(0.2) then s[rand(#s)] = 1 end          -- broadcastable
    if chance(0.1) then table.remove(s, 1) end                   -- one dim less
    return s
  end
  if chance(0.03) then
    -- now and then a larger one (up to ~130k elements): the kernels' OpenMP paths
    return pick { { 70000 }, { 300, 200 }, { 2, 3, 150, 140 }, { 4, 16, 32, 64 }, { 513, 257 } }
  end
  local nd = pick { 0, 1, 1, 2, 2, 2, 3, 3, 4, 5 }
  local s = {}
  local numel = 1
  for i = 1, nd do
    local n = chance(0.08) and 0 or rand(5)
    if numel * math.max(n, 1) > 600 then n = 1 end              -- cap the element count
    s[i] = n
    numel = numel * math.max(n, 1)
  end
  return s
end

local function fill_text(ty)
  local r = rand(12)
  if r <= 5 then return ':uniform(-3, 3)' end
  if r == 6 then return ':normal(0, 100)' end
  if r == 7 then return ':fill(' .. pick { '0/0', 'math.huge', '-math.huge', '1e300', '-1e38', '65536', '2^31', '-1' } .. ')' end
  if r == 8 then return ':random(-5, 5)' end
  if r == 9 then return '' end                                    -- zeros
  if r == 10 then return ':uniform(-3, 3):apply(function(x) return x > 2 and 0/0 or x < -2 and math.huge or x end)' end
  if r == 11 then return ':fill(1)' end
  return ':bernoulli(0.5)'
end

-- a tensor expression of dtype `ty` with the given shape: filled through a double
-- tensor (saturating conversion gives the integer types their limits), then viewed
local function gen_tensor(ty, shape)
  ty = ty or pick(TYPES)
  shape = shape or gen_shape()
  local nd = #shape
  if nd == 0 then
    if chance(0.5) then return 'torch.' .. ty .. 'Tensor()' end  -- empty, no dims
    -- a 0-dim scalar
    return 'torch.' .. ty .. 'Tensor(torch.' .. ty .. 'Storage(1):fill(' .. pick { '1', '2', '-1', '0/0', 'math.huge', '0' } .. '), 1, torch.LongStorage{})'
  end
  local view = rand(10)
  local base, tail = shape, ''
  if view == 1 and nd >= 2 then                               -- transposed
    local d = rand(nd - 1) + 1
    base = {}
    for i = 1, nd do base[i] = shape[i] end
    base[1], base[d] = shape[d], shape[1]
    tail = ':transpose(1, ' .. d .. ')'
  elseif view == 2 then                                       -- narrowed: offset and gaps
    local d = rand(nd)
    base = {}
    for i = 1, nd do base[i] = shape[i] end
    base[d] = shape[d] + 2
    tail = ':narrow(' .. d .. ', 2, ' .. shape[d] .. ')'
  elseif view == 3 and nd < 5 then                            -- a selected slice
    base = { 3 }
    for i = 1, nd do base[i + 1] = shape[i] end
    tail = ':select(1, ' .. rand(3) .. ')'
  elseif view == 4 then                                       -- expanded: zero strides
    base = {}
    for i = 1, nd do base[i] = chance(0.5) and 1 or shape[i] end
    tail = ':expand(' .. sizes_text(shape) .. ')'
  elseif view == 5 and nd >= 2 then                           -- permuted
    base, tail = {}, ''
    local perm = {}
    for i = 1, nd do perm[i] = nd + 1 - i end
    for i = 1, nd do base[i] = shape[perm[i]] end
    tail = ':permute(' .. sizes_text(perm) .. ')'
  end
  local make = 'torch.DoubleTensor(' .. sizes_text(base) .. ')' .. fill_text(ty)
  if ty ~= 'Double' then make = make .. ':' .. CONVERT[ty] .. '()' end
  local e = make .. tail
  if (ty == 'Float' or ty == 'Double') and chance(0.1) then
    e = '(' .. e .. '):clone():setRequiresGrad(true)'
  end
  return e
end

-- an index tensor: LongTensor values mostly inside 1..n
local function gen_index(shape, n)
  shape = shape or { rand(4) }
  n = n or rand(4)
  local lo, hi = 1, n
  if chance(0.15) then lo, hi = -2, n + 2 end
  return 'torch.LongTensor(' .. sizes_text(shape) .. '):random(' .. lo .. ', ' .. math.max(lo, hi) .. ')'
end

local gen_value

local function gen_table(depth)
  local r = rand(9)
  if r == 1 then return '{}' end
  if r == 2 then return '{' .. small_int() .. ', ' .. small_int() .. ', ' .. small_int() .. '}' end
  if r == 3 then return '{{1, 2}, {3, 4}}' end
  if r == 4 then return '{1, {2}}' end
  if r == 5 then return '{' .. gen_value(depth + 1) .. ', ' .. gen_value(depth + 1) .. '}' end
  if r == 6 then return '{0/0, math.huge, -1}' end
  if r == 7 then return 'torch.LongStorage{' .. small_int() .. ', ' .. small_int() .. '}' end
  if r == 8 then return '{' .. pick { 'dim', 'size', 'lr', 'keepdim', 'p', 'x' } .. ' = ' .. gen_value(depth + 1) .. '}' end
  return '{' .. small_int() .. ', nil, ' .. small_int() .. '}'
end

function gen_value(depth)
  depth = depth or 0
  local r = rand(100)
  if r <= 40 and depth < 2 then return gen_tensor() end
  if r <= 62 then return small_int() end
  if r <= 68 then return pick(NUMBERS) end
  if r <= 73 then return pick(STRINGS) end
  if r <= 79 and depth < 2 then return gen_table(depth) end
  if r <= 82 then return 'nil' end
  if r <= 85 then return pick { 'true', 'false' } end
  if r <= 88 then return pick(FUNCTIONS) end
  if r <= 91 then return gen_index() end
  if r <= 94 then return 'torch.' .. pick(TYPES) .. 'Storage(' .. rand(6) - 1 .. ')' end
  if r <= 96 and depth < 2 then return 'torch.' .. pick(TYPES) .. 'Tensor(' .. gen_table(depth + 1) .. ')' end
  if r <= 98 then
    local ty = pick(TYPES)
    return 'torch.Cuda' .. (ty == 'Float' and '' or ty) .. 'Tensor(' .. rand(3) .. ')'
  end
  return 'torch.Generator and torch.Generator() or {}'
end

-- arguments: the first is usually a tensor of the base shape; later ones are variables
-- an earlier tensor variable again, or a view of it: results that alias their inputs
local function gen_alias()
  local v = 'a' .. rand(G.nvar)
  return pick { v, v, '(torch.isTensor(' .. v .. ') and ' .. v .. ':dim() >= 2 and ' .. v .. ':t() or ' .. v .. ')',
    '(torch.isTensor(' .. v .. ') and ' .. v .. ':nElement() > 1 and ' .. v .. ':view(-1):narrow(1, 2, ' .. v .. ':nElement() - 1) or ' .. v .. ')',
    '(torch.isTensor(' .. v .. ') and ' .. v .. ':dim() >= 1 and ' .. v .. ':select(1, 1) or ' .. v .. ')' }
end

local function gen_args(n, first_tensor)
  local args = {}
  for i = 1, n do
    local e
    if i == 1 and first_tensor then e = gen_tensor()
    elseif G.nvar > 0 and chance(0.15) then e = gen_alias()
    elseif rand(3) == 1 then e = gen_tensor(G.dtype)                 -- same dtype, fits
    else e = gen_value() end
    args[i] = (e:find('^torch%.') or e:find('^%(')) and var(e) or e
  end
  return args
end

---------------------------------------------------------------------------------------
-- Call kinds

local function argc() return pick { 0, 1, 1, 2, 2, 2, 3, 3, 3, 4, 5 } end

local function call_torch()
  local f = pick(TORCH_FUNCS)
  local args = gen_args(argc(), chance(0.8))
  return 'torch.' .. f .. '(' .. table.concat(args, ', ') .. ')'
end

local function call_method()
  local self = var(gen_tensor())
  local m = pick(TENSOR_METHODS)
  local args = gen_args(argc(), false)
  return self .. ':' .. m .. '(' .. table.concat(args, ', ') .. ')'
end

local function call_operator()
  local a = var(gen_tensor())
  local b = gen_args(1, false)[1]
  local r = rand(14)
  if r == 1 then return a .. ' + ' .. b end
  if r == 2 then return b .. ' - ' .. a end
  if r == 3 then return a .. ' * ' .. b end
  if r == 4 then return a .. ' / ' .. b end
  if r == 5 then return a .. ' % ' .. b end
  if r == 6 then return a .. ' ^ ' .. b end
  if r == 7 then return '-' .. a end
  if r == 8 then return '#' .. a end
  if r == 9 then return 'tostring(' .. a .. ')' end
  if r == 10 then return a .. ' == ' .. b end
  if r == 11 then return a .. '[' .. b .. ']' end
  if r == 12 then
    local k = chance(0.5) and b or gen_table(0)
    return 'function() ' .. a .. '[' .. k .. '] = ' .. gen_value(1) .. ' end'
  end
  if r == 13 then return a .. ' .. ' .. b end
  return a .. ' < ' .. b
end

local function call_storage()
  local ty = pick(TYPES)
  local r = rand(4)
  local ctor
  if r == 1 then ctor = 'torch.' .. ty .. 'Storage(' .. small_int() .. ')'
  elseif r == 2 then ctor = 'torch.' .. ty .. 'Storage(' .. gen_table(0) .. ')'
  elseif r == 3 then ctor = 'torch.' .. ty .. 'Storage(' .. pick(STRINGS) .. ')'
  else ctor = 'torch.' .. ty .. 'Storage(' .. table.concat(gen_args(argc(), false), ', ') .. ')' end
  local s = var(ctor)
  if chance(0.3) then
    -- a tensor over the storage with random offset, sizes and strides
    return 'torch.' .. ty .. 'Tensor(' .. s .. ', ' .. small_int() .. ', ' .. gen_table(0) .. ', ' .. gen_table(0) .. ')'
  end
  return s .. ':' .. pick(STORAGE_METHODS) .. '(' .. table.concat(gen_args(argc(), false), ', ') .. ')'
end

local function call_constructor()
  local ty = (chance(0.1) and 'Cuda' or '') .. pick(TYPES)
  if ty == 'CudaFloat' then ty = 'Cuda' end
  return 'torch.' .. ty .. 'Tensor(' .. table.concat(gen_args(argc(), false), ', ') .. ')'
end

local function call_cuda()
  if chance(0.5) then
    return 'torch.cuda.' .. pick(CUDA_FUNCS) .. '(' .. table.concat(gen_args(argc(), false), ', ') .. ')'
  end
  local t = var(gen_tensor())
  return t .. ':' .. pick { 'cuda', 'cpu', 'type' } .. '(' .. (chance(0.5) and "'torch.Cuda" .. pick(TYPES) .. "Tensor'" or '') .. ')'
end

local function call_data()
  return 'torch.data.' .. pick(DATA_FUNCS) .. '(' .. table.concat(gen_args(argc(), false), ', ') .. ')'
end

-- the methods of a class and of its parents
local function class_methods(obj)
  local names, seen = {}, {}
  local C = getmetatable(obj)
  local depth = 0
  while type(C) == 'table' and depth < 10 do
    for k, v in pairs(C) do
      if type(k) == 'string' and type(v) == 'function' and not k:match('^_') and not seen[k] then
        seen[k] = true
        names[#names + 1] = k
      end
    end
    C = getmetatable(C)
    depth = depth + 1
  end
  table.sort(names)
  return names
end

local METHOD_CACHE = {}

-- nn: make a module with random (mostly small) sizes, run it forward and backward on a
-- random input, then maybe call one more of its methods
local function call_nn()
  local cls = pick(NN_CLASSES)
  local ctor = {}
  for i = 1, pick { 0, 1, 2, 2, 3, 4 } do
    ctor[i] = chance(0.75) and small_int() or gen_value(1)
  end
  if cls == 'Sequential' or cls == 'Concat' or cls == 'ConcatTable' or cls == 'Parallel'
    or cls == 'ParallelTable' or cls == 'MapTable' or cls == 'Bottle' then
    local inner = pick(NN_CLASSES)
    local m = var('nn.' .. cls .. '(' .. table.concat(ctor, ', ') .. ')')
    G.lines[#G.lines + 1] = m .. ':add(nn.' .. inner .. '(' .. small_int() .. ', ' .. small_int() .. '))'
  else
    var('nn.' .. cls .. '(' .. table.concat(ctor, ', ') .. ')')
  end
  local m = 'a' .. G.nvar
  local input
  if chance(0.15) then input = '{' .. var(gen_tensor(pick(FLOATS))) .. ', ' .. var(gen_tensor(pick(FLOATS))) .. '}'
  else input = var(gen_tensor(chance(0.8) and pick { 'Float', 'Double' } or nil)) end
  local iscrit = cls:match('Criterion$')
  local r = rand(10)
  if iscrit then
    local target = chance(0.3) and var(gen_index(G.shape and #G.shape > 0 and { G.shape[1] } or nil))
      or var(gen_tensor(pick { 'Float', 'Double' }))
    if r <= 4 then return m .. ':forward(' .. input .. ', ' .. target .. ')' end
    if r <= 8 then
      G.lines[#G.lines + 1] = m .. ':forward(' .. input .. ', ' .. target .. ')'
      return m .. ':backward(' .. input .. ', ' .. target .. ')'
    end
  else
    if r <= 4 then return m .. ':forward(' .. input .. ')' end
    if r <= 8 then
      G.lines[#G.lines + 1] = 'local out = ' .. m .. ':forward(' .. input .. ')'
      local go = chance(0.8) and "(torch.isTensor(out) and out:clone():uniform(-1, 1) or out)" or gen_value(1)
      return m .. ':backward(' .. input .. ', ' .. go .. ')'
    end
  end
  -- another method of the module (needs the instance, so it is made here once)
  local ok, obj = pcall(function() return nn[cls] end)
  local methods = METHOD_CACHE[cls]
  if not methods then
    methods = { 'forward', 'backward', 'parameters', 'zeroGradParameters', 'updateParameters', 'clone',
      'float', 'double', 'half', 'training', 'evaluate', 'reset', 'type', 'getParameters', 'clearState' }
    if ok and obj then
      local inst_ok, inst = pcall(obj)
      if inst_ok and type(inst) == 'table' then methods = class_methods(inst) end
    end
    METHOD_CACHE[cls] = methods
  end
  if #methods == 0 then return m .. ':forward(' .. input .. ')' end
  return m .. ':' .. pick(methods) .. '(' .. table.concat(gen_args(argc(), false), ', ') .. ')'
end

local function optim_config()
  local parts = {}
  for i = 1, rand(4) - 1 do
    local k = pick(OPTIM_KEYS)
    if k == 'maxIter' or k == 'maxEval' then
      -- bounded: a huge iteration count is a long run the caller asked for, not a hang
      parts[i] = k .. ' = ' .. pick { '0', '1', '2', '2.5', '-1', '0/0', "'x'", '3' }
    else
      parts[i] = k .. ' = ' .. (chance(0.6) and pick { '0', '0.1', '1', '-1', '0.9', '1e-8', '0/0', 'math.huge', '2', 'true' } or gen_value(1))
    end
  end
  return '{' .. table.concat(parts, ', ') .. '}'
end

local function call_optim()
  local ty = pick { 'Float', 'Double', 'Double', pick(TYPES) }
  local shape = gen_shape()
  local x = var(gen_tensor(ty, shape))
  if chance(0.3) then
    -- the object form: parameters that require grad with a .grad
    local p = var('torch.' .. ty .. 'Tensor(' .. sizes_text(#shape > 0 and shape or { 2 }) .. '):uniform(-1, 1):setRequiresGrad(true)')
    G.lines[#G.lines + 1] = 'pcall(function() ' .. p .. '.grad = ' .. gen_tensor(chance(0.8) and ty or nil, chance(0.8) and shape or nil) .. ' end)'
    local o = var('optim.' .. pick(OPTIM_CLASSES) .. '(' .. (chance(0.8) and p or gen_value(1)) .. ', ' .. optim_config() .. ')')
    return 'function() ' .. o .. ':step() ' .. o .. ':' .. pick { 'step', 'zeroGrad', 'step' } .. '() end'
  end
  local g = var(chance(0.8) and gen_tensor(chance(0.8) and ty or nil, chance(0.8) and shape or nil) or gen_value(1))
  local loss = pick { '1', '0/0', 'math.huge', '-1', '0', "'x'", 'nil', '(' .. x .. ':sum())' }
  local f = var('function(p) return ' .. loss .. ', ' .. g .. ' end')
  local st = var(optim_config())
  local name = pick(OPTIM_FUNCS)
  local n = rand(3)
  return 'function() for i = 1, ' .. n .. ' do optim.' .. name .. '(' .. f .. ', ' .. x .. ', ' .. st .. ', ' .. st .. ') end end'
end

local function call_autograd()
  -- a random op on tensors that require grad, then backward through it
  local ty = pick { 'Float', 'Double' }
  local a = var(gen_tensor(ty) .. ':clone():setRequiresGrad(true)')
  local op = pick(TENSOR_METHODS)
  local args = gen_args(rand(3) - 1, false)
  G.lines[#G.lines + 1] = 'local y = ' .. a .. ':' .. op .. '(' .. table.concat(args, ', ') .. ')'
  return 'function() if torch.isTensor(y) then (y:nElement() == 1 and y or y:sum()):backward() end return ' .. a .. '.grad end'
end

-- ops with sizes, kernels, strides, steps and counts as arguments: small 4-D inputs with
-- parameters that are often valid, sometimes zero, negative or huge
local EXTREME = { '0', '-1', '-2', '2^31', '2^40', 'math.maxinteger', 'math.mininteger', '0.5', '0/0', '1e300' }
local function param()
  if chance(0.8) then return tostring(rand(3)) end
  return pick(EXTREME)
end
local function call_sized()
  local ty = pick { 'Float', 'Double', 'Float', pick(TYPES) }
  local x = var(gen_tensor(ty, { rand(2), rand(3), rand(5) + 1, rand(5) + 1 }))
  local r = rand(16)
  if r == 1 then
    local w = var(gen_tensor(ty, { rand(3), rand(3), rand(3), rand(3) }))
    return 'torch.conv2d(' .. x .. ', ' .. w .. ', ' .. (chance(0.5) and 'nil' or var(gen_tensor(ty, { rand(3) }))) ..
      ', ' .. param() .. ', ' .. param() .. ', ' .. param() .. ', ' .. param() .. ')'
  end
  if r == 2 then
    local w = var(gen_tensor(ty, { rand(3), rand(3), rand(3), rand(3) }))
    return 'torch.convTranspose2d(' .. x .. ', ' .. w .. ', nil, ' .. param() .. ', ' .. param() .. ', ' .. param() .. ', ' .. param() .. ')'
  end
  if r == 3 then return 'torch.maxPool2d(' .. x .. ', ' .. param() .. ', ' .. param() .. ', ' .. param() .. ', ' .. param() .. ', ' .. param() .. ', ' .. param() .. ')' end
  if r == 4 then return 'torch.avgPool2d(' .. x .. ', ' .. param() .. ', ' .. param() .. ', ' .. param() .. ', ' .. param() .. ', ' .. param() .. ', ' .. param() .. ')' end
  if r == 5 then return 'torch.pad2d(' .. x .. ', ' .. param() .. ', ' .. param() .. ', ' .. param() .. ', ' .. param() .. ')' end
  if r == 6 then return 'torch.upsampleNearest2d(' .. x .. ', ' .. param() .. ')' end
  if r == 7 then return x .. ':unfold(' .. param() .. ', ' .. param() .. ', ' .. param() .. ')' end
  if r == 8 then return x .. ':narrow(' .. param() .. ', ' .. param() .. ', ' .. param() .. ')' end
  if r == 9 then return 'torch.' .. pick { 'topk', 'kthvalue', 'roll', 'cumsum', 'cumprod', 'flip', 'tril', 'triu', 'diag', 'chunk', 'split', 'histc', 'multinomial', 'repeatTensor', 'logsumexp', 'softmax', 'logSoftmax', 'norm', 'renorm', 'std', 'var', 'median', 'mode', 'sort', 'max', 'min', 'sum', 'prod', 'mean', 'argmax', 'squeeze', 'unsqueeze', 'select', 'transpose' } ..
    '(' .. x .. ', ' .. param() .. ', ' .. param() .. ', ' .. param() .. ')'
  end
  if r == 10 then return 'torch.' .. pick { 'linspace', 'logspace', 'range', 'arange', 'randperm', 'eye', 'zeros', 'ones', 'rand', 'randn', 'full' } ..
    '(' .. param() .. ', ' .. param() .. ', ' .. param() .. ')'
  end
  if r == 11 then
    local idx = var(gen_index({ rand(4) }, rand(4)))
    return x .. ':' .. pick { 'index', 'indexFill', 'indexCopy', 'indexAdd', 'gather', 'scatter', 'scatterAdd' } .. '(' .. param() .. ', ' .. idx .. ', ' .. gen_value(1) .. ')'
  end
  if r == 12 then
    -- a view over a storage with explicit sizes and strides, some of them too large
    local st = var('torch.' .. ty .. 'Storage(' .. rand(30) .. ')')
    return 'torch.' .. ty .. 'Tensor(' .. st .. ', ' .. param() .. ', torch.LongStorage{' .. param() .. ', ' .. param() .. '}, torch.LongStorage{' .. param() .. ', ' .. param() .. '})'
  end
  if r == 13 then return x .. ':' .. pick { 'view', 'reshape', 'resize', 'expand', 'repeatTensor', 'permute' } .. '(' .. param() .. ', ' .. param() .. ', ' .. param() .. ')' end
  if r == 14 then return 'torch.' .. pick { 'embedding', 'dropout', 'spatialDropout', 'batchNorm', 'elu', 'leakyRelu', 'hardtanh', 'threshold', 'softplus', 'prelu', 'crossEntropy', 'nllLoss', 'klDiv' } ..
    '(' .. x .. ', ' .. gen_value(1) .. ', ' .. param() .. ', ' .. param() .. ')'
  end
  if r == 15 then
    return 'torch.' .. pick { 'lstmCell', 'gruCell' } .. '(' .. table.concat(gen_args(rand(6), false), ', ') .. ')'
  end
  local a = var(gen_tensor(ty, { rand(3), rand(3) }))
  return 'torch.' .. pick { 'mm', 'addmm', 'bmm', 'baddbmm', 'addbmm', 'mv', 'addmv', 'addr', 'ger', 'dot', 'matmul', 'cross', 'trace', 'dist' } ..
    '(' .. a .. ', ' .. table.concat(gen_args(rand(3), false), ', ') .. ')'
end

-- metamethods called directly (getmetatable(t).__gc(t) and the like, as Lua code may),
-- then the object used again: a freed or closed tensor must raise errors, not crash
local META = { '__gc', '__close', '__index', '__newindex', '__len', '__tostring', '__concat',
  '__unm', '__add', '__eq', '__lt', '__le', '__call', '__mod', '__pow' }
local function call_meta()
  local obj = var(chance(0.7) and gen_tensor() or 'torch.' .. pick(TYPES) .. 'Storage(' .. rand(4) .. ')')
  local mm = pick(META)
  local args = gen_args(rand(3) - 1, false)
  G.lines[#G.lines + 1] = 'local mm = getmetatable(' .. (chance(0.8) and obj or gen_value(1)) .. ')'
  G.lines[#G.lines + 1] = 'pcall(function() return type(mm) == "table" and mm.' .. mm .. '(' ..
    table.concat({ obj, table.unpack(args) }, ', ') .. ') end)'
  if chance(0.3) then G.lines[#G.lines + 1] = 'pcall(function() return type(mm) == "table" and mm.' .. mm .. '(' .. obj .. ') end)' end
  if obj:find('Storage') or chance(0.3) then
    return 'function() return ' .. obj .. '[1], #' .. obj .. ', tostring(' .. obj .. ') end'
  end
  return obj .. ':' .. pick(TENSOR_METHODS) .. '(' .. table.concat(gen_args(argc(), false), ', ') .. ')'
end

-- several calls on the same few tensors and their views, each under pcall, so that one
-- call's changes (resize, set, in-place ops, autograd) meet the next one's reads
local MUTATORS = { 'resize', 'set', 'resizeAs', 'zero', 'fill', 'copy', 'add', 'mul', 'transpose',
  'narrow', 'select', 'view', 'expand', 'squeeze', 'unsqueeze', 'indexFill', 'maskedFill', 'clamp',
  'setRequiresGrad', 'backward', 'detach', 'storage', 'contiguous', 'apply', 'uniform', 'scatter' }
local function call_chain()
  local ty = pick { 'Float', 'Double', pick(TYPES) }
  local a = var(gen_tensor(ty))
  local b = var(chance(0.5) and (a .. ':t()') or gen_tensor(ty))
  local st = var('torch.' .. ty .. 'Storage(' .. rand(12) - 1 .. ')')
  for _ = 1, rand(5) do
    local obj = pick { a, b, 'a' .. rand(G.nvar) }
    local m = chance(0.6) and pick(MUTATORS) or pick(TENSOR_METHODS)
    local args = chance(0.2) and { st, small_int(), gen_table(0) } or gen_args(argc(), false)
    local line = 'pcall(function() return ' .. obj .. ':' .. m .. '(' .. table.concat(args, ', ') .. ') end)'
    if chance(0.4) then
      G.nvar = G.nvar + 1
      line = 'local _, a' .. G.nvar .. ' = ' .. line
    end
    G.lines[#G.lines + 1] = line
  end
  if chance(0.3) then G.lines[#G.lines + 1] = 'collectgarbage()' end
  local last = 'a' .. rand(G.nvar)
  return last .. ':' .. pick(TENSOR_METHODS) .. '(' .. table.concat(gen_args(argc(), false), ', ') .. ')'
end

-- the program for call `call` of `seed`: text, and the kind of call
function M.program(seed, call)
  reseed(seed, call)
  G = { lines = {}, nvar = 0 }
  G.shape = gen_shape()
  G.dtype = pick(TYPES)
  local kinds = {
    { 30, call_torch }, { 30, call_method }, { 8, call_operator }, { 5, call_storage },
    { 5, call_constructor }, { 2, call_cuda }, { 1, call_data }, { 12, call_nn },
    { 4, call_optim }, { 3, call_autograd }, { 12, call_sized }, { 3, call_meta }, { 10, call_chain },
  }
  local total = 0
  for _, k in ipairs(kinds) do total = total + k[1] end
  local r = rand(total)
  local body
  for _, k in ipairs(kinds) do
    if r <= k[1] then body = k[2](); break end
    r = r - k[1]
  end
  local lines = { string.format('-- fuzz seed %d call %d', seed, call),
    string.format('torch.manualSeed(%d)', (seed * 1000003 + call) % 2147483647) }
  for _, l in ipairs(G.lines) do lines[#lines + 1] = l end
  if body:find('^function%(%)') then
    lines[#lines + 1] = 'return (' .. body .. ')()'
  else
    lines[#lines + 1] = 'return ' .. body
  end
  return table.concat(lines, '\n') .. '\n'
end

-- runs one program under pcall; a clean error is fine. Returns ok, and the error text.
local ENV = setmetatable({}, { __index = _G })
local default_type = torch.getdefaulttensortype()
function M.run(code)
  local chunk, err = load(code, '=fuzz', 't', ENV)
  if not chunk then return false, 'syntax: ' .. err end   -- a fuzzer bug
  local ok, res = pcall(chunk)
  if ok and torch.isTensor(res) and res:nElement() <= 1e6 then
    -- use the result too: print it, reduce it (catches views with bad strides). Not a
    -- result of 2^40 elements over a few bytes (zero strides): summing it takes hours.
    ok, res = pcall(function() local _ = tostring(res); return res:nElement() > 0 and res:double():sum() end)
  end
  -- undo the global switches a call may have flipped, so later calls see the defaults
  torch.setdefaulttensortype(default_type)
  torch.setGradEnabled(true)
  if torch.setDetectAnomaly then torch.setDetectAnomaly(false) end
  return true, (not ok) and tostring(res) or nil
end

---------------------------------------------------------------------------------------
-- command line
if arg and arg[0] and arg[0]:match('api%.lua$') then
  local opts = { seed = 1, from = 1, to = 100 }
  local i = 1
  while i <= #arg do
    local a = arg[i]
    if a == '--print' then opts.print = true
    elseif a:match('^%-%-') then opts[a:sub(3)] = arg[i + 1]; i = i + 1 end
    i = i + 1
  end
  local seed = math.tointeger(tonumber(opts.seed)) or error('--seed: an integer expected')
  if opts.call then
    local code = M.program(seed, math.tointeger(tonumber(opts.call)))
    if opts.print then io.write(code) return end
    io.write(code)
    local _, err = M.run(code)
    print(err and ('-- error: ' .. err) or '-- ok')
    return
  end
  local from, to = math.tointeger(tonumber(opts.from)), math.tointeger(tonumber(opts.to))
  local progress = opts.progress and io.open(opts.progress, 'w')
  local errs = 0
  for c = from, to do
    local code = M.program(seed, c)
    if progress then
      progress:seek('set')
      progress:write(code, '--END--\n')
      progress:flush()
    end
    local _, err = M.run(code)
    if err then errs = errs + 1 end
    if opts.errors and err then io.write('call ', c, ': ', err:gsub('\n', ' '):sub(1, 200), '\n') end
    if c % 50 == 0 then collectgarbage() end
  end
  collectgarbage()
  io.write(string.format('DONE %d calls, %d raised errors\n', to - from + 1, errs))
end

return M
