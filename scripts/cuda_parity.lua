-- scripts/cuda_parity.lua: calls every torch function and every tensor method with a
-- set of argument lists, once on CPU tensors and once on the same tensors moved to the
-- GPU (same seed before each), and reports where the two disagree: different values,
-- an error on one side only, or a result on the wrong device. A crash leaves the name of
-- the function being called as the last line of the progress file.
--   th scripts/cuda_parity.lua [-progress FILE] [-only NAME] [-after NAME] [-dev clone]
-- -after NAME starts after that function (to go on past one that crashed).
-- -dev clone compares the CPU with a CPU clone (a check of this script itself, no GPU).
-- Exit status 1 when anything disagrees.
local progress_file, only, after, devmode = nil, nil, nil, 'cuda'
do
  local i = 1
  while arg and arg[i] do
    if arg[i] == '-progress' then progress_file = arg[i + 1]; i = i + 2
    elseif arg[i] == '-only' then only = arg[i + 1]; i = i + 2
    elseif arg[i] == '-after' then after = arg[i + 1]; i = i + 2
    elseif arg[i] == '-dev' then devmode = arg[i + 1]; i = i + 2
    else error('cuda_parity: unknown option ' .. tostring(arg[i])) end
  end
end
if devmode == 'cuda' and not torch.cudaAvailable() then
  print('cuda_parity: no GPU (' .. select(2, torch.cudaAvailable()) .. ')')
  os.exit(0)
end
local todev = devmode == 'cuda' and function(t) return t:cuda() end or function(t) return t:clone() end
local progress = progress_file and assert(io.open(progress_file, 'w'))
local function note(s) if progress then progress:write(s, '\n'); progress:flush() end end

-- functions that touch files, global state or the process, or draw nothing comparable
local skip = {}
for n in ([[save load serialize deserialize setdefaulttensortype getdefaulttensortype
  setnumthreads getnumthreads include class Tester TestSuite CmdLine Timer DiskFile File
  MemoryFile PipeFile manualSeed seed initialSeed getRNGState setRNGState setheaptracking
  cudaAvailable cudaDeviceCount cudaSynchronize cuda cpu isTensor isStorage typename type
  getmetatable setmetatable factory pointer data cdata storage retain free _recordFunction
  _autogradLiveNodes _version gradcheck gradgradcheck Function Generator setDetectAnomaly
  new newindex apply map map2 sleep setTF32 emptyCache memoryStats memoryUsage setDevice
  setCacheLimit resetPeakMemoryStats
  getDevice deviceCount isAvailable synchronize totable tostring info hist plot
  setRequiresGrad requiresGrad backward grad gradFn register_hook registerHook hook
  readIDX writeIDX idx csv DataLoader Dataset]]):gmatch('%S+') do skip[n] = true end
-- Issue 11's functions run on CUDA (LAPACK through cuSOLVER, the signal functions, renorm,
-- bhistc, alias sampling) and are compared here, except: svd and symeig, whose vectors are
-- unique only up to sign (cuSOLVER's gesvd/syevd and OpenBLAS's gesdd/syevd may pick
-- differently; tests/lua/test_cuda_lapack_decomp.lua checks them by identities), and multinomialAlias,
-- which no argument list here can call (an integer output with a {J, q} state;
-- tests/lua/test_cuda_signal.lua checks it)
for n in ([[svd symeig multinomialAlias]]):gmatch('%S+') do skip[n] = true end

-- the argument pool: CPU masters, rebuilt for every call (methods change them in place)
local function pool()
  torch.manualSeed(11)
  local p = {}
  p.A = torch.rand(3, 4):add(0.1)
  p.A2 = torch.rand(3, 4):add(0.1)
  p.B = torch.rand(4):add(0.1)
  p.C = torch.rand(3, 1):add(0.1)
  p.D = torch.rand(3, 4):double():add(0.1)
  p.X = torch.rand(2, 3, 4):add(-0.5)
  p.M = torch.rand(4, 5)
  p.N = torch.rand(5, 3)
  p.S = torch.rand(4, 4):add(torch.eye(4):mul(4))
  p.V = torch.rand(4)
  p.V2 = torch.rand(4)
  p.L = torch.LongTensor{{3, 1, 2, 9}, {4, 4, 0, 1}, {7, 2, 2, 5}}
  p.idx = torch.LongTensor{3, 1, 2}
  p.gidx = torch.LongTensor{{1, 3, 2, 1}, {2, 2, 3, 1}, {3, 1, 1, 2}}
  p.mask = torch.rand(3, 4):gt(0.5)
  p.H = torch.rand(3, 4):add(0.1):half()
  p.T = torch.rand(4, 3):add(0.1):t()
  p.E = torch.Tensor()
  p.I = torch.rand(2, 3, 8, 8):add(-0.5)
  p.W = torch.rand(4, 3, 3, 3):add(-0.5)
  p.bias = torch.rand(4)
  return p
end
local sigs = {
  {}, {'A'}, {'A', 'A2'}, {'A', 2}, {'A', 1}, {'A', 0.5}, {'A', -1}, {'A', 'B'}, {'A', 'C'},
  {'A', 1, 2}, {'A', 2, 1}, {'A', 1, 'idx'}, {'A', 2, 'idx'}, {'A', 1, 'gidx'}, {'A', 'mask'},
  {'A', 'mask', 2}, {'A', 1, true}, {'A', 2, true}, {'A', 'A2', 0.5}, {'A', 0.5, 'A2'},
  {'A', 'A2', 'C'}, {'A', 1, 'gidx', 'A2'}, {'A', 1, 'idx', 'A2'}, {'A', 1, 'idx', 7},
  {'A', 2, 1, 2}, {'A', 0, 1}, {'A', 4, 0, 1}, {'A', 0.2, 0.7},
  {'D'}, {'D', 2}, {'D', 1}, {'D', 'D'}, {'X'}, {'X', 3}, {'X', 2, true}, {'X', 1, 3}, {'X', 2, 3},
  {'M', 'N'}, {'M'}, {'S'}, {'S', 'S'}, {'V'}, {'V', 'V2'}, {'M', 'B'}, {'B', 'M'},
  {'M', 'M', 'N'}, {'S', 'V', 'V2'}, {'L'}, {'L', 2}, {'L', 1}, {'L', 'L'}, {'L', 3},
  {'mask'}, {'A', 'idx'}, {'A', 'idx', 'B'}, {'I'}, {'I', 1}, {'I', 2}, {'I', 'W'}, {'I', 'W', 'bias'},
  {'I', 'W', 'bias', 2, 2, 1, 1}, {'I', 2, 2}, {'I', 3, 3, 2, 2, 1, 1}, {'I', 'I'}, {'W', 'idx'}, {'H'}, {'H', 'H'}, {'H', 2}, {'T'}, {'T', 'A'}, {'T', 2}, {'E'}, {'E', 1},
}

local function devcopy(p)
  local q = {}
  for k, v in pairs(p) do q[k] = todev(v) end
  q.T = todev(p.T:t()):t()   -- the same (transposed) layout
  return q
end
-- results that are uninitialised memory: the call must not fail or crash, values aside
local novalues = {[':resize'] = true, [':resizeAs'] = true, ['torch.resize'] = true, ['torch.resizeAs'] = true}
local function build(sig, p)
  local a = {}
  for i, s in ipairs(sig) do
    if type(s) == 'string' then a[i] = p[s] else a[i] = s end
  end
  return a, #sig
end

local isT = torch.isTensor
local hasdev = false   -- whether the call at hand had a tensor argument
-- conversions to CPU types (Torch7's t:float() ...) return CPU tensors by design
local tocpu = {}
for n in ('byte char short int long float double half bfloat16 bool cpu'):gmatch('%S+') do tocpu[':' .. n] = true end
local current = ''
local function same(x, y, path)
  if isT(x) ~= isT(y) then return false, path .. ': tensor on one side only' end
  if isT(x) then
    if devmode == 'cuda' and hasdev and not tocpu[current] and not y:type():find('Cuda') and x:nElement() > 0 then
      return false, path .. ': GPU call returned ' .. y:type()
    end
    if x:dim() ~= y:dim() or x:nElement() ~= y:nElement() then
      return false, path .. ': sizes differ'
    end
    for d = 1, x:dim() do if x:size(d) ~= y:size(d) then return false, path .. ': sizes differ' end end
    if x:nElement() == 0 then return true end
    -- copies (the arguments are compared again after the results; nothing here may change them)
    local a, b = x:double():clone(), y:cpu():double():clone()
    local nan_a, nan_b = a:ne(a), b:ne(b)
    if not nan_a:equal(nan_b) then return false, path .. ': NaN in different places' end
    local eq = a:eq(b)   -- equal infinities too
    a[nan_a] = 0; b[nan_b] = 0; a[eq] = 0; b[eq] = 0
    local diff = torch.abs(a - b):max()
    local scale = math.max(1, torch.abs(a):max())
    local tol = (x:type():find('Half') or x:type():find('BFloat')) and 1e-2 or
                x:type():find('Double') and 1e-9 or 2e-5
    if diff ~= diff or diff > tol * scale then
      return false, string.format('%s: values differ by %.3g', path, diff)
    end
    return true
  elseif type(x) == 'number' and type(y) == 'number' then
    if x == y or (x ~= x and y ~= y) then return true end
    if math.abs(x - y) <= 1e-5 * math.max(1, math.abs(x)) then return true end
    return false, string.format('%s: %.9g vs %.9g', path, x, y)
  elseif type(x) == 'table' and type(y) == 'table' then
    for k, v in pairs(x) do
      local ok, why = same(v, y[k], path .. '.' .. tostring(k))
      if not ok then return ok, why end
    end
    return true
  else
    if type(x) ~= type(y) then return false, path .. ': ' .. type(x) .. ' vs ' .. type(y) end
    if type(x) == 'boolean' or type(x) == 'string' then
      if x ~= y and not (type(x) == 'string' and x:gsub('Cuda', '') == y:gsub('Cuda', '')) then
        return false, path .. ': ' .. tostring(x) .. ' vs ' .. tostring(y)
      end
    end
    return true
  end
end

local function sigtext(sig)
  local t = {}
  for i, s in ipairs(sig) do t[i] = tostring(s) end
  return '(' .. table.concat(t, ', ') .. ')'
end

local results = {mismatch = {}, gpu_error = {}, gpu_only = {}}
local calls, agree, gradcalls = 0, 0, 0
local function try(label, get)
  for _, sig in ipairs(sigs) do
    local pc = pool()
    local pg = devcopy(pc)
    local ac, nc = build(sig, pc)
    local ag, ng = build(sig, pg)
    local fc, fg = get(ac), get(ag)
    if fc and fg then
      note(label .. sigtext(sig))
      current = label
      hasdev = false
      for i = 1, nc do if isT(ac[i]) then hasdev = true end end
      torch.manualSeed(5)
      local rc = table.pack(pcall(fc, table.unpack(ac, 1, nc)))
      torch.manualSeed(5)
      local rg = table.pack(pcall(fg, table.unpack(ag, 1, ng)))
      if devmode == 'cuda' then torch.cudaSynchronize() end
      calls = calls + 1
      local key = label .. sigtext(sig)
      if rc[1] and not rg[1] then
        results.gpu_error[#results.gpu_error + 1] = key .. ': ' .. tostring(rg[2])
      elseif rg[1] and not rc[1] then
        results.gpu_only[#results.gpu_only + 1] = key .. ': CPU said ' .. tostring(rc[2])
      elseif rc[1] then
        local ok, why = true, nil
        for i = 2, novalues[label] and 1 or math.max(rc.n, rg.n) do
          ok, why = same(rc[i], rg[i], 'result ' .. (i - 1))
          if not ok then break end
        end
        if ok and not novalues[label] then
          for i = 1, nc do  -- arguments changed in place must agree too
            if isT(ac[i]) then
              ok, why = same(ac[i], ag[i], 'argument ' .. i)
              if not ok then break end
            end
          end
        end
        if ok then agree = agree + 1
        else results.mismatch[#results.mismatch + 1] = key .. ': ' .. why end
        -- gradients: the first argument requiring grad, the sum of the first result
        if ok and isT(rc[2]) and isT(ac[1]) and rc[2]:type():find('Float') and ac[1]:type():find('Float')
           and rc[2]:nElement() > 0 then
          local function grad_of(p, f)
            local a, n = build(sig, p)
            a[1]:setRequiresGrad()
            torch.manualSeed(5)
            local okc, out = pcall(f, table.unpack(a, 1, n))
            if not okc or not isT(out) or not out.requiresGrad then return nil end
            local okb, err = pcall(function() out:sum():backward() end)
            if not okb then return false, err end
            return a[1].grad
          end
          local gc = grad_of(pool(), fc)
          if gc then
            local gg, err = grad_of(devcopy(pool()), fg)
            if not gg then
              results.gpu_error[#results.gpu_error + 1] = key .. ' backward: ' .. tostring(err)
            else
              gradcalls = gradcalls + 1
              local gok, gwhy = same(gc, gg, 'gradient')
              if not gok then results.mismatch[#results.mismatch + 1] = key .. ': ' .. gwhy end
            end
          end
        end
      end
    end
  end
end

local names = {}
for k, v in pairs(torch) do
  if type(v) == 'function' and not skip[k] and not k:match('^_') then names[#names + 1] = 'torch.' .. k end
end
for k, v in pairs(torch._methods) do
  if type(v) == 'function' and not skip[k] and not k:match('^_') then names[#names + 1] = ':' .. k end
end
table.sort(names)
for _, name in ipairs(names) do
  if (not only or name:find(only, 1, true)) and (not after or name > after) then
    if name:sub(1, 1) == ':' then
      local m = name:sub(2)
      try(name, function(a)
        local self = a[1]
        if not isT(self) then return nil end
        local f = self[m]
        return type(f) == 'function' and f or nil
      end)
    else
      local f = torch[name:sub(7)]
      try(name, function() return f end)
    end
  end
end

-- nn modules and criterions: output, gradInput and parameter gradients, CPU against GPU
local modules = {
  {'Linear', function() return nn.Linear(4, 3) end, 'A'},
  {'Linear (no bias)', function() return nn.Linear(4, 3, false) end, 'A'},
  {'Bilinear', function() return nn.Bilinear(4, 4, 2) end, {'A', 'A2'}},
  {'Cosine', function() return nn.Cosine(4, 3) end, 'A'},
  {'Euclidean', function() return nn.Euclidean(4, 3) end, 'A'},
  {'CMul', function() return nn.CMul(4) end, 'A'},
  {'Add', function() return nn.Add(4) end, 'A'},
  {'Mul', function() return nn.Mul() end, 'A'},
  {'PReLU', function() return nn.PReLU(3) end, 'I3'},
  {'Normalize', function() return nn.Normalize(2) end, 'A'},
  {'Padding', function() return nn.Padding(2, 2) end, 'A'},
  {'ReLU', function() return nn.ReLU() end, 'X'},
  {'Tanh', function() return nn.Tanh() end, 'X'},
  {'Sigmoid', function() return nn.Sigmoid() end, 'X'},
  {'ELU', function() return nn.ELU() end, 'X'},
  {'GELU', function() return nn.GELU() end, 'X'},
  {'SiLU', function() return nn.SiLU() end, 'X'},
  {'LeakyReLU', function() return nn.LeakyReLU(0.1) end, 'X'},
  {'SoftPlus', function() return nn.SoftPlus() end, 'X'},
  {'HardTanh', function() return nn.HardTanh() end, 'X'},
  {'Threshold', function() return nn.Threshold(0.1, -1) end, 'X'},
  {'Abs', function() return nn.Abs() end, 'X'},
  {'Exp', function() return nn.Exp() end, 'X'},
  {'Square', function() return nn.Square() end, 'X'},
  {'Sqrt', function() return nn.Sqrt() end, 'A'},
  {'Log', function() return nn.Log() end, 'A'},
  {'Power', function() return nn.Power(3) end, 'X'},
  {'SoftMax', function() return nn.SoftMax() end, 'A'},
  {'LogSoftMax', function() return nn.LogSoftMax() end, 'A'},
  {'Sum', function() return nn.Sum(2) end, 'X'},
  {'Mean', function() return nn.Mean(1) end, 'X'},
  {'Max', function() return nn.Max(2) end, 'X'},
  {'Min', function() return nn.Min(3) end, 'X'},
  {'Transpose', function() return nn.Transpose({1, 2}) end, 'X'},
  {'View', function() return nn.View(6, 4) end, 'X'},
  {'Replicate', function() return nn.Replicate(3) end, 'A'},
  {'Narrow', function() return nn.Narrow(2, 2, 2) end, 'A'},
  {'Select', function() return nn.Select(1, 2) end, 'X'},
  {'JoinTable', function() return nn.JoinTable(1) end, {'A', 'A2'}},
  {'CAddTable', function() return nn.CAddTable() end, {'A', 'A2'}},
  {'CMulTable', function() return nn.CMulTable() end, {'A', 'A2'}},
  {'CDivTable', function() return nn.CDivTable() end, {'A', 'A2'}},
  {'CMaxTable', function() return nn.CMaxTable() end, {'A', 'A2'}},
  {'PairwiseDistance', function() return nn.PairwiseDistance(2) end, {'A', 'A2'}},
  {'CosineDistance', function() return nn.CosineDistance() end, {'A', 'A2'}},
  {'DotProduct', function() return nn.DotProduct() end, {'A', 'A2'}},
  {'MM', function() return nn.MM() end, {'M3', 'N3'}},
  {'BatchNormalization', function() return nn.BatchNormalization(4) end, 'A'},
  {'SpatialConvolution', function() return nn.SpatialConvolution(3, 4, 3, 3, 2, 2, 1, 1) end, 'I'},
  {'SpatialConvolutionMM', function() return nn.SpatialConvolutionMM(3, 4, 3, 3) end, 'I'},
  {'SpatialFullConvolution', function() return nn.SpatialFullConvolution(3, 2, 3, 3, 2, 2, 1, 1, 1, 1) end, 'I'},
  {'SpatialMaxPooling', function() return nn.SpatialMaxPooling(3, 3, 2, 2, 1, 1) end, 'I'},
  {'SpatialMaxPooling ceil', function() return nn.SpatialMaxPooling(3, 3, 2, 2):ceil() end, 'I'},
  {'SpatialAveragePooling', function() return nn.SpatialAveragePooling(2, 2, 2, 2) end, 'I'},
  {'SpatialBatchNormalization', function() return nn.SpatialBatchNormalization(3) end, 'I'},
  {'SpatialUpSamplingNearest', function() return nn.SpatialUpSamplingNearest(2) end, 'I'},
  {'SpatialZeroPadding', function() return nn.SpatialZeroPadding(1, 2, -1, 1) end, 'I'},
  {'Dropout', function() return nn.Dropout(0.3) end, 'X'},
  {'SpatialDropout', function() return nn.SpatialDropout(0.3) end, 'I'},
  {'LookupTable', function() return nn.LookupTable(10, 4) end, 'L1'},
  {'LSTM', function() return nn.LSTM(4, 5) end, 'Q'},
  {'GRU', function() return nn.GRU(4, 5) end, 'Q'},
  {'RNN', function() return nn.RNN(4, 5) end, 'Q'},
  {'Sequential MLP', function()
    return nn.Sequential():add(nn.Linear(4, 8)):add(nn.Tanh()):add(nn.Linear(8, 3)):add(nn.LogSoftMax())
  end, 'A'},
}
local criterions = {
  {'MSECriterion', function() return nn.MSECriterion() end, 'A', 'A2'},
  {'AbsCriterion', function() return nn.AbsCriterion() end, 'A', 'A2'},
  {'SmoothL1Criterion', function() return nn.SmoothL1Criterion() end, 'A', 'A2'},
  {'BCECriterion', function() return nn.BCECriterion() end, 'P', 'Y'},
  {'BCEWithLogitsCriterion', function() return nn.BCEWithLogitsCriterion() end, 'A', 'Y'},
  {'ClassNLLCriterion', function() return nn.ClassNLLCriterion() end, 'A', 'idx'},
  {'ClassNLLCriterion weights', function() return nn.ClassNLLCriterion(torch.Tensor{1, 2, 0.5, 3}) end, 'A', 'idx'},
  {'CrossEntropyCriterion', function() return nn.CrossEntropyCriterion() end, 'A', 'idx'},
  {'KLDivCriterion', function() return nn.KLDivCriterion() end, 'A', 'P'},
  {'MarginCriterion', function() return nn.MarginCriterion() end, 'A', 'Y'},
  {'MultiMarginCriterion', function() return nn.MultiMarginCriterion() end, 'A', 'idx'},
  {'CosineEmbeddingCriterion', function() return nn.CosineEmbeddingCriterion(0.1) end, {'A', 'A2'}, 'pm'},
}
local function mpool()
  local p = pool()
  p.I3 = torch.rand(2, 3, 5, 5):add(-0.5)
  p.M3 = torch.rand(2, 3, 4)
  p.N3 = torch.rand(2, 4, 5)
  p.L1 = torch.LongTensor{{1, 4, 9}, {10, 4, 2}}
  p.Q = torch.rand(6, 3, 4):add(-0.5)
  p.P = torch.rand(3, 4):mul(0.9):add(0.05)
  p.Y = torch.rand(3, 4):gt(0.5):float()
  p.pm = torch.Tensor{1, -1, 1}
  return p
end
local function pick(p, spec)
  if type(spec) == 'table' then
    local t = {}
    for i, k in ipairs(spec) do t[i] = p[k] end
    return t
  end
  return p[spec]
end
local function grads_of(m)
  local _, gp = m:parameters()
  return gp or {}
end
local function module_case(name, make, run)
  if only and not name:find(only, 1, true) then return end
  note('nn.' .. name)
  local ok, why = pcall(function()
    torch.manualSeed(3)
    local mc = make()
    local mg = mc:clone()
    if devmode == 'cuda' then mg:cuda() end
    local pc = mpool()
    local pg = devcopy(pc)
    for k, v in pairs(pc) do if not pg[k] then pg[k] = todev(v) end end
    torch.manualSeed(9)
    local rc = table.pack(pcall(run, mc, pc))
    torch.manualSeed(9)
    local rg = table.pack(pcall(run, mg, pg))
    if devmode == 'cuda' then torch.cudaSynchronize() end
    calls = calls + 1
    if rc[1] and not rg[1] then
      results.gpu_error[#results.gpu_error + 1] = 'nn.' .. name .. ': ' .. tostring(rg[2])
      return
    elseif not rc[1] then
      if rg[1] then results.gpu_only[#results.gpu_only + 1] = 'nn.' .. name .. ': CPU said ' .. tostring(rc[2]) end
      return
    end
    hasdev = true
    current = 'nn.' .. name
    local a, b = rc[2], rg[2]
    for k, v in pairs(a) do
      local same_ok, w = same(v, b[k], k)
      if not same_ok then
        results.mismatch[#results.mismatch + 1] = 'nn.' .. name .. ': ' .. w
        return
      end
    end
    agree = agree + 1
  end)
  if not ok then results.gpu_error[#results.gpu_error + 1] = 'nn.' .. name .. ' (harness): ' .. tostring(why) end
end
if nn == nil then require 'nn' end
for _, c in ipairs(modules) do
  module_case(c[1], c[2], function(m, p)
    local x = pick(p, c[3])
    m:training()
    local out = m:forward(x)
    local go
    if torch.isTensor(out) then go = out:clone():fill(1):mul(0.5) else go = {} for i, o in ipairs(out) do go[i] = o:clone():fill(0.5) end end
    m:zeroGradParameters()
    local gi = m:backward(x, go)
    local r = {output = out, gradInput = torch.isTensor(gi) and gi or gi[1], gradParams = grads_of(m)}
    m:evaluate()
    r.evalOutput = m:forward(x)
    return r
  end)
end
for _, c in ipairs(criterions) do
  module_case(c[1], c[2], function(m, p)
    local x, y = pick(p, c[3]), pick(p, c[4])
    local loss = m:forward(x, y)
    local gi = m:backward(x, y)
    return {loss = loss, gradInput = torch.isTensor(gi) and gi or gi[1]}
  end)
end
note('done')

local function list(title, t)
  print(string.format('## %s (%d)', title, #t))
  table.sort(t)
  for _, s in ipairs(t) do print('- ' .. s:gsub('\n.*', '')) end
end
print(string.format('cuda_parity: %d calls, %d agree; %d gradients compared', calls, agree, gradcalls))
list('values differ', results.mismatch)
list('error on the GPU only', results.gpu_error)
list('error on the CPU only', results.gpu_only)
os.exit((#results.mismatch + #results.gpu_error + #results.gpu_only) == 0 and 0 or 1)
