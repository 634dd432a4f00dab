-- Bad input found by fuzzing under ASan/UBSan: each of these once crashed th, read or
-- wrote outside a buffer, or hit undefined behaviour. Each must now be a clear error (or a
-- correct result), never a crash.
local tester = torch.Tester()
local T = torch.TestSuite()

local function rejects(f, pattern) tester:assertErrorPattern(f, pattern) end

function T.size_and_stride_overflow()
  rejects(function() local t = torch.Tensor(torch.FloatStorage(4), 1, (1 << 62) + 1, 4); t[1e9] = 1 end, 'too large')
  rejects(function() torch.Tensor(torch.LongStorage{2^62 + 1024}, torch.LongStorage{4}) end, 'fit in memory')
  rejects(function() torch.Tensor():set(torch.FloatStorage(4096), 1, torch.LongStorage{2^62 + 1024}, torch.LongStorage{4}) end, 'too large')
  rejects(function() torch.Tensor(4):view((1 << 62) + 1, 4) end, 'more elements')
  rejects(function() torch.Tensor(4):reshape((1 << 62) + 1, 4) end, 'more elements')
  rejects(function() torch.Tensor(3):narrow(1, 2, math.maxinteger) end, 'out of bounds')
  rejects(function() torch.Tensor(1):expand(2^62, 3) end, 'too large')
end

function T.result_forms_check_every_tensor()
  rejects(function() torch.cross(torch.Tensor(3), 1, torch.Tensor(3)) end, 'tensor expected')
  rejects(function() torch.lerp(torch.Tensor(3), nil, torch.Tensor(3), 0.5) end, 'tensor expected')
end

function T.empty_tensor_is_not_a_scalar()
  rejects(function() torch.Tensor(3):maskedFill(torch.ByteTensor(), 1) end, 'mask')
  rejects(function() local t = torch.Tensor(3); t[torch.ByteTensor()] = 1 end, 'mask')
  rejects(function() torch.where(torch.ByteTensor(3):fill(1), torch.Tensor(), 1) end, 'empty tensor')
  rejects(function() torch.cross(torch.Tensor(3):fill(1), torch.Tensor()) end, 'empty tensor')
  rejects(function() torch.Tensor(torch.FloatStorage(1), 1, torch.LongStorage{}):bernoulli(torch.DoubleTensor()) end, 'empty')
  tester:eq(torch.clamp(torch.Tensor(), 0, 1):nElement(), 0)
  tester:eq(torch.Tensor():double():nElement(), 0)
  tester:eq(torch.Tensor():clone():dim(), 0)
end

function T.bernoulli_error_path()
  rejects(function() torch.FloatTensor(100):bernoulli(torch.FloatTensor(100):fill(2)) end, 'got 2')
end

function T.numbers_that_are_not_integers()
  local t = torch.Tensor(3)
  rejects(function() return t[math.huge] end, 'not an integer')
  rejects(function() return t[0 / 0] end, 'not an integer')
  rejects(function() return t[1e300] end, 'not an integer')
  rejects(function() t:expand(-math.huge) end, 'integer')
  rejects(function() torch.Tensor(2.5) end, 'integer')
end

function T.limits()
  rejects(function() torch.Tensor(1):expand(2^40):totable() end, 'too many')
  rejects(function() torch.histc(torch.DoubleTensor{1e308, -1e308, 0}) end, 'not finite')
  tester:eq(torch.ByteStorage(''):string(), '')
end

-- error messages name functions as users call them: torch.x, never through another
-- module table that happens to hold torch (torch.File.x, torch.safetensors.x)
function T.error_messages_name_torch_functions()
  for _, f in ipairs{'crossEntropy', 'gradcheck', 'zeros', 'mm'} do
    local _, msg = pcall(torch[f], {})
    tester:assert(not tostring(msg):find('torch%.%a+%.' .. f), f .. ': ' .. tostring(msg))
  end
  for name, v in pairs(package.loaded) do
    tester:assert(v ~= torch or name == 'torch', 'package.loaded.' .. name .. ' is not torch')
  end
end

-- the metatables' __gc/__close called by hand on other values leave those values alone
-- (they used to free an io file's FILE* as if it were a tensor)
function T.gc_metamethods_on_foreign_values()
  local f = io.tmpfile()
  for _, mt in ipairs{getmetatable(torch.FloatTensor(2)), getmetatable(torch.FloatStorage(2))} do
    for _, v in ipairs{f, 5, 'x', {}, io.stdout} do
      tester:assert(pcall(mt.__gc, v), 'no error')
    end
  end
  f:write('abc'); f:seek('set'); tester:eq(f:read('a'), 'abc', 'the file still works')
  f:close()
  -- and on a tensor it releases only that tensor's reference: a view keeps the data
  local t = torch.FloatTensor{1, 2, 3}
  local v = t:narrow(1, 2, 2)
  getmetatable(t).__gc(t)
  collectgarbage()
  tester:eq(v, torch.FloatTensor{2, 3}, 0)
end

-- bad arguments to nn constructors, updateParameters and optim.sgd are errors that name
-- the module or function and the argument (they were "attempt to compare string with
-- number" and the like, found by the API fuzzer)
function T.nn_optim_argument_errors_name_the_function()
  require 'nn'
  require 'optim'
  rejects(function() nn.Sum('x') end, 'nn.Sum: dimension must be an integer')
  rejects(function() nn.Sum(1, 'y') end, 'nn.Sum: nInputDims must be an integer')
  rejects(function() nn.Squeeze('a') end, 'nn.Squeeze: dim must be an integer')
  rejects(function() nn.Squeeze(1, {}) end, 'nn.Squeeze: numInputDims must be an integer')
  rejects(function() nn.Linear(2, 2):updateParameters('x') end, 'nn.Linear:updateParameters: learningRate must be a number')
  rejects(function() optim.sgd(function(x) return 0, x:clone() end, torch.randn(2), {learningRates = 5}) end,
          'optim.sgd: config.learningRates must be a tensor')
  rejects(function() optim.sgd(function(x) return 0, x:clone() end, torch.randn(2), {weightDecays = 'w'}) end,
          'optim.sgd: config.weightDecays must be a tensor')
  -- integral floats are still dimensions
  tester:eq(nn.Sum(2.0):forward(torch.ones(2, 3)), torch.Tensor{3, 3}, 0)
  tester:eq(nn.Squeeze(2.0):forward(torch.ones(2, 1)):dim(), 1)
end

tester:add(T)
return tester
