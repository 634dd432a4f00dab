-- torch.Generator (bindings/generator.c): generators as the optional first argument of
-- every random function, their seeds and state, independence, serialization; and
-- Walker's alias method (torch.multinomialAliasSetup / torch.multinomialAlias).
local tester = torch.Tester()
local T = torch.TestSuite()

local function same(a, b, msg) tester:eq(a, b, 0, msg) end

function T.generator_object()
  local g = torch.Generator()
  tester:eq(torch.type(g), 'torch.Generator')
  tester:eq(torch.typename(g), 'torch.Generator')
  tester:assert(tostring(g):find('torch.Generator', 1, true) ~= nil, tostring(g))
  tester:eq(torch.type(torch._gen), 'torch.Generator', 'the default generator as an object')
  -- a new generator is seeded (from /dev/urandom), below 2^53
  local s = torch.initialSeed(g)
  tester:eq(math.type(s), 'integer')
  tester:assert(s >= 0 and s < 2 ^ 53)
end

-- every random function draws the same numbers from a generator as from the default
-- generator given the same seed: the generator argument selects the stream, nothing else
function T.same_stream_as_default()
  local g = torch.Generator()
  local cases = {
    function(gen) return gen and torch.rand(gen, 7) or torch.rand(7) end,
    function(gen) return gen and torch.randn(gen, 2, 3) or torch.randn(2, 3) end,
    function(gen) return gen and torch.rand(torch.DoubleTensor(), gen, 5) or torch.rand(torch.DoubleTensor(), 5) end,
    function(gen) local t = torch.Tensor(6); return gen and t:uniform(gen, -2, 3) or t:uniform(-2, 3) end,
    function(gen) local t = torch.DoubleTensor(6); return gen and t:normal(gen, 1, 2) or t:normal(1, 2) end,
    function(gen) local t = torch.Tensor(6); return gen and t:logNormal(gen, 0, 0.5) or t:logNormal(0, 0.5) end,
    function(gen) local t = torch.Tensor(6); return gen and t:exponential(gen, 2) or t:exponential(2) end,
    function(gen) local t = torch.Tensor(6); return gen and t:cauchy(gen, 0, 1) or t:cauchy(0, 1) end,
    function(gen) local t = torch.Tensor(6); return gen and t:geometric(gen, 0.3) or t:geometric(0.3) end,
    function(gen) local t = torch.Tensor(6); return gen and t:bernoulli(gen, 0.4) or t:bernoulli(0.4) end,
    function(gen)
      local t, p = torch.Tensor(4), torch.Tensor{0.1, 0.5, 0.9, 0.5}
      return gen and t:bernoulli(gen, p) or t:bernoulli(p)
    end,
    function(gen) local t = torch.LongTensor(6); return gen and t:random(gen, 3, 9) or t:random(3, 9) end,
    function(gen) local t = torch.IntTensor(6); return gen and t:random(gen) or t:random() end,
    function(gen) local t = torch.Tensor(6); return gen and torch.uniform(t, gen) or torch.uniform(t) end,
    function(gen) return gen and torch.randperm(gen, 9) or torch.randperm(9) end,
    function(gen) return gen and torch.randperm(torch.LongTensor(), gen, 9) or torch.randperm(torch.LongTensor(), 9) end,
    function(gen)
      local p = torch.Tensor{{1, 2, 3}, {3, 0, 1}}
      return gen and torch.multinomial(gen, p, 5, true) or torch.multinomial(p, 5, true)
    end,
    function(gen)
      local p = torch.Tensor{1, 2, 3, 4}
      return gen and torch.multinomial(torch.LongTensor(), gen, p, 3) or torch.multinomial(torch.LongTensor(), p, 3)
    end,
    function(gen)
      local p = torch.Tensor{1, 2, 3, 4}
      return gen and p:multinomial(gen, 4) or p:multinomial(4)
    end,
    function(gen)
      return torch.Tensor{gen and torch.uniform(gen) or torch.uniform(), gen and torch.uniform(gen, 2, 3) or torch.uniform(2, 3),
        gen and torch.normal(gen) or torch.normal(), gen and torch.normal(gen, 1, 5) or torch.normal(1, 5),
        gen and torch.logNormal(gen) or torch.logNormal(), gen and torch.exponential(gen) or torch.exponential(),
        gen and torch.cauchy(gen) or torch.cauchy(), gen and torch.geometric(gen, 0.5) or torch.geometric(0.5),
        gen and torch.bernoulli(gen) or torch.bernoulli(), gen and torch.random(gen) or torch.random(),
        gen and torch.random(gen, 10) or torch.random(10), gen and torch.random(gen, -5, 5) or torch.random(-5, 5)}
    end,
    function(gen)
      local x = torch.ones(40)
      return gen and torch.dropout(x, gen, 0.5) or torch.dropout(x, 0.5)
    end,
  }
  for i, f in ipairs(cases) do
    torch.manualSeed(1234)
    local want = f(nil)
    torch.manualSeed(g, 1234)
    torch.manualSeed(99)   -- the default generator's state must not matter
    local got = f(g)
    same(got, want, 'case ' .. i)
  end
end

function T.independent()
  local g1, g2 = torch.Generator(), torch.Generator()
  torch.manualSeed(g1, 7)
  torch.manualSeed(g2, 7)
  torch.manualSeed(7)
  local a1 = torch.rand(g1, 8)    -- 8 floats: 2 whole Philox blocks, so the next fill continues
  -- draws from the default generator and from g2 leave g1 where it was
  torch.rand(100); torch.randn(g2, 33); torch.uniform(); torch.random(g2)
  local b1 = torch.rand(g1, 12)
  torch.manualSeed(g1, 7)
  local ref = torch.rand(g1, 20)
  same(torch.cat(a1, b1), ref, 'g1 unaffected by the others')
  -- g2 and the default generator: same seed, own streams
  torch.manualSeed(g2, 7)
  same(torch.rand(g2, 20), ref)
  torch.manualSeed(7)
  same(torch.rand(20), ref)
  tester:eq(torch.initialSeed(g1), 7)
  torch.manualSeed(g1, 8)
  tester:eq(torch.initialSeed(g1), 8)
  tester:eq(torch.initialSeed(g2), 7, "seeding g1 leaves g2's seed")
  tester:eq(torch.initialSeed(), 7, "and the default generator's")
  tester:ne(torch.rand(g1, 20), ref, 0.1, 'another seed, other numbers')
end

function T.seed_and_state()
  local g = torch.Generator()
  local s = torch.seed(g)
  tester:eq(math.type(s), 'integer')
  tester:eq(torch.initialSeed(g), s)
  local before = torch.initialSeed()
  torch.seed(g)
  tester:eq(torch.initialSeed(), before, 'seed(g) leaves the default generator')
  torch.manualSeed(g, 3)
  torch.normal(g)              -- leaves a cached Box-Muller value in g
  local st = torch.getRNGState(g)
  tester:eq(torch.type(st), 'torch.ByteTensor')
  local a = {torch.normal(g), torch.uniform(g)}
  local t = torch.randn(g, 5)
  tester:assert(torch.setRNGState(g, st) == st, 'setRNGState returns the state')
  tester:eq({torch.normal(g), torch.uniform(g)}, a)
  same(torch.randn(g, 5), t)
  -- a state moves between generators, the default one included
  torch.setRNGState(st)
  tester:eq(torch.normal(), a[1])
  local g2 = torch.Generator()
  torch.setRNGState(g2, st)
  tester:eq(torch.normal(g2), a[1])
  tester:assertErrorPattern(function() torch.setRNGState(g, torch.ByteTensor(3)) end, 'getRNGState')
  tester:assertErrorPattern(function() torch.manualSeed(g) end, 'manualSeed')
end

function T.serialize()
  local g = torch.Generator()
  torch.manualSeed(g, 11)
  torch.rand(g, 3)
  torch.normal(g)             -- a cached normal travels too
  local obj = {gen = g, again = g, x = 1}
  for _, mode in ipairs{'binary', 'ascii'} do
    local back = torch.deserialize(torch.serialize(obj, mode), mode)
    tester:eq(torch.type(back.gen), 'torch.Generator')
    tester:assert(back.gen == back.again, 'shared once')
    tester:assert(back.gen ~= g, 'a new generator')
    local st = torch.getRNGState(g)
    local want = {torch.normal(g), torch.rand(g, 4)}
    torch.setRNGState(g, st)
    tester:eq(torch.normal(back.gen), want[1], mode)
    same(torch.rand(back.gen, 4), want[2], mode)
  end
  local f = os.tmpname()
  torch.save(f, g)
  local h = torch.load(f)
  os.remove(f)
  same(torch.rand(h, 6), torch.rand(g, 6), 'torch.save/torch.load')
  -- a truncated state is an error, not a generator
  local s = torch.serialize(g)
  local bad = s:sub(1, #s - 30) .. string.pack('<i4', 3) .. 'abc'   -- a 3-byte state
  tester:assertErrorPattern(function() torch.deserialize(bad) end, 'Generator')
end

function T.bad_arguments()
  local g = torch.Generator()
  tester:assertErrorPattern(function() torch.rand(g, 'x') end, 'rand')
  tester:assertErrorPattern(function() torch.uniform(g, 2, 1) end, 'uniform')
  tester:assertErrorPattern(function() torch.IntTensor(3):uniform(g) end, 'uniform')
  -- a generator is not a tensor: misplaced ones are argument errors
  tester:assertError(function() torch.Tensor(3):uniform(0, g) end)
end

-- ---- alias method ----

-- the distribution a setup encodes: P(k) = (q[k] + sum over cells j aliased to k of (1 - q[j])) / K
local function alias_distribution(J, q)
  local K = J:size(1)
  local P = {}
  for k = 1, K do P[k] = q[k] end
  for j = 1, K do
    if J[j] ~= j then P[J[j]] = P[J[j]] + (1 - q[j]) end
  end
  for k = 1, K do P[k] = P[k] / K end
  return P
end

function T.alias_setup()
  local probs = torch.DoubleTensor{0.1, 0.2, 0.3, 0.4}
  local state = torch.multinomialAliasSetup(probs)
  tester:eq(torch.type(state), 'table')
  local J, q = state[1], state[2]
  tester:eq(torch.type(J), 'torch.LongTensor')
  tester:eq(torch.type(q), 'torch.DoubleTensor')
  -- hand-computed (Vose's pairing): K*p = .4 .8 1.2 1.6
  same(J, torch.LongTensor{4, 4, 3, 3})
  tester:eq(q, torch.DoubleTensor{0.4, 0.8, 1, 0.8}, 1e-12)
  -- weights need not sum to one; J in [1, K], q in [0, 1]; the encoded distribution is p
  torch.manualSeed(5)
  for _, K in ipairs{1, 2, 7, 50} do
    local w = torch.rand(K):add(0.01)
    w[1] = 0                    -- a category that never occurs
    if K == 1 then w[1] = 3 end
    local s = torch.multinomialAliasSetup(w)
    tester:eq(torch.type(s[2]), 'torch.FloatTensor', 'q has the type of probs')
    tester:assert(s[1]:min() >= 1 and s[1]:max() <= K, 'J in range')
    tester:assert(s[2]:min() >= 0 and s[2]:max() <= 1, 'q in [0, 1]')
    local P = alias_distribution(s[1], s[2]:double())
    local wd = w:double()
    local sum = wd:sum()
    for k = 1, K do tester:eq(P[k], wd[k] / sum, 1e-6, 'K=' .. K .. ' k=' .. k) end
  end
  -- a given state is refilled in place (Torch7)
  local s2 = torch.multinomialAliasSetup(torch.DoubleTensor{1, 1, 2}, state)
  tester:assert(s2 == state and s2[1] == J and s2[2] == q, 'state reused')
  tester:eq(J:size(1), 3)
  local P = alias_distribution(J, q)
  tester:eq(P, {0.25, 0.25, 0.5}, 1e-12)
  tester:assertErrorPattern(function() torch.multinomialAliasSetup(torch.Tensor(2, 2):fill(1)) end, '1%-D')
  tester:assertErrorPattern(function() torch.multinomialAliasSetup(torch.Tensor{1, -1}) end, 'non%-negative')
  tester:assertErrorPattern(function() torch.multinomialAliasSetup(torch.Tensor{0, 0}) end, 'sum')
  tester:assertErrorPattern(function() torch.multinomialAliasSetup(torch.Tensor()) end, 'multinomialAliasSetup')
  tester:assertErrorPattern(function() torch.multinomialAliasSetup(torch.LongTensor{1, 2}) end, 'floating')
end

function T.alias_draw()
  local probs = torch.DoubleTensor{0.05, 0.45, 0, 0.2, 0.3}
  local state = torch.multinomialAliasSetup(probs)
  torch.manualSeed(2024)
  local n = 200000
  local out = torch.LongTensor(n)
  tester:assert(torch.multinomialAlias(out, state) == out, 'returns output')
  local counts = {0, 0, 0, 0, 0}
  for _, v in ipairs(out:totable()) do counts[v] = counts[v] + 1 end
  -- fixed seed: deterministic; 6 standard deviations of a binomial as the tolerance
  for k = 1, 5 do
    local p = probs[k]
    local sd = math.sqrt(n * p * (1 - p))
    tester:assert(math.abs(counts[k] - n * p) <= 6 * sd + 1e-9,
      string.format('category %d: %d draws, expected %.0f', k, counts[k], n * p))
  end
  tester:eq(counts[3], 0, 'a zero-probability category never drawn')
  -- J, q as two arguments, a generator first or after the output, any shape
  local g = torch.Generator()
  torch.manualSeed(g, 1)
  local a = torch.multinomialAlias(g, torch.LongTensor(3, 4), state[1], state[2])
  tester:eq(a:size(1), 3)
  torch.manualSeed(g, 1)
  local b = torch.multinomialAlias(torch.LongTensor(12), g, state)
  same(a:view(12), b)
  torch.manualSeed(1)
  same(torch.multinomialAlias(torch.LongTensor(12), state), b, 'the default generator, same stream')
  -- Int output, non-contiguous output
  torch.manualSeed(1)
  local c = torch.IntTensor(12)
  torch.multinomialAlias(c, state)
  same(c:long(), b)
  local m = torch.LongTensor(4, 3)
  torch.manualSeed(1)
  torch.multinomialAlias(m:t(), state)
  same(m:t():contiguous():view(12), b, 'transposed output filled in row-major order')
  tester:assertErrorPattern(function() torch.multinomialAlias(torch.Tensor(3), state) end, 'integer')
  tester:assertErrorPattern(function() torch.multinomialAlias(torch.LongTensor(3), {state[1]}) end, 'multinomialAliasSetup')
  tester:assertErrorPattern(function() torch.multinomialAlias(torch.LongTensor(3), torch.LongTensor{9, 1}, torch.Tensor{1, 1}) end,
    'setup')
end

-- the draws read J and q where they are (any stride, Long J, float or double q) and
-- check only the cells they pick: the same samples from every form of the same setup
function T.alias_draw_in_place()
  local state = torch.multinomialAliasSetup(torch.DoubleTensor{0.05, 0.45, 0, 0.2, 0.3})
  local J, q = state[1], state[2]
  local function draw(...)
    torch.manualSeed(77)
    return torch.multinomialAlias(torch.LongTensor(50), ...)
  end
  local want = draw(J, q)
  -- strided views of the same entries
  local Jw, qw = torch.LongTensor(5, 2), torch.DoubleTensor(5, 3)
  Jw:select(2, 2):copy(J)
  qw:select(2, 3):copy(q)
  tester:assert(not Jw:select(2, 2):isContiguous())
  same(draw(Jw:select(2, 2), qw:select(2, 3)), want, 'strided J and q')
  same(draw(J, q:float()), want, 'float q')
  same(draw(J:int(), q), want, 'an IntTensor J (converted)')
  -- the output may be J itself: the draws read J as it was
  local Jself = J:clone()
  torch.manualSeed(77)
  torch.multinomialAlias(Jself, Jself, q)
  torch.manualSeed(77)
  same(Jself, torch.multinomialAlias(torch.LongTensor(5), J, q), 'output sharing J: J read before it is written')
  -- a uniform setup keeps every cell (q = 1): one draw returns the cell it picked, so a
  -- bad entry elsewhere is never read, and the same one in the picked cell is an error
  local K = 1000
  local s = torch.multinomialAliasSetup(torch.ones(K))
  tester:eq(s[2]:min(), 1)
  torch.manualSeed(3)
  local k = torch.multinomialAlias(torch.LongTensor(1), s)[1]
  local other = k % K + 1
  s[1][other] = K + 5
  s[2][other] = 7
  torch.manualSeed(3)
  tester:eq(torch.multinomialAlias(torch.LongTensor(1), s)[1], k, 'a bad cell not drawn is not read')
  s[1][k] = 0
  torch.manualSeed(3)
  local before = torch.getRNGState()
  tester:assertErrorPattern(function() torch.multinomialAlias(torch.LongTensor(1), s) end, 'not a setup')
  same(torch.getRNGState(), before, 'a failed draw leaves the generator where it was')
  s[1][k] = k
  s[2][k] = 1.5
  tester:assertErrorPattern(function() torch.multinomialAlias(torch.LongTensor(1), s) end, 'not a setup')
end

-- a failed refill of a given state (here J, a view, cannot grow) leaks none of the new
-- setup's tensors
function T.alias_setup_error_frees()
  local base = torch.LongStorage(8)
  local state = {torch.LongTensor(torch.LongStorage(base, 1, 2)), torch.DoubleTensor(2)}
  local probs = torch.rand(5000):double()
  collectgarbage()
  collectgarbage()
  local live = torch._memLive()
  for _ = 1, 3 do
    tester:assertError(function() torch.multinomialAliasSetup(probs, state) end)
  end
  collectgarbage()
  collectgarbage()
  tester:eq(torch._memLive(), live, 'nothing left behind')
end

-- with a GPU: a generator drives the CUDA fills with the same stream as the CPU's
-- (uniform and integer draws are exact arithmetic on both devices)
if torch.cudaAvailable() then
  function T.cuda_generator()
    local g1, g2 = torch.Generator(), torch.Generator()
    torch.manualSeed(g1, 21)
    torch.manualSeed(g2, 21)
    torch.manualSeed(4)
    local before = torch.getRNGState()
    local a = torch.CudaTensor(10):uniform(g1, -1, 1)
    local b = torch.FloatTensor(10):uniform(g2, -1, 1)
    same(a:float(), b)
    same(torch.CudaLongTensor(7):random(g1, 1, 100):long(), torch.LongTensor(7):random(g2, 1, 100),
      'generators advanced alike')
    same(torch.getRNGState(), before, 'the default generator untouched')
    -- alias sampling on the GPU draws as the CPU does (more in test_cuda_signal.lua)
    torch.manualSeed(g1, 5)
    torch.manualSeed(g2, 5)
    local p = torch.Tensor{0.1, 0.2, 0.3, 0.4}
    local gs, cs = torch.multinomialAliasSetup(p:cuda()), torch.multinomialAliasSetup(p)
    same(torch.multinomialAlias(g1, torch.CudaLongTensor(50), gs):long(),
      torch.multinomialAlias(g2, torch.LongTensor(50), cs), 'alias draws alike')
  end
end

-- With Lua's collector stopped, only heap tracking can collect: it runs a full collection
-- once the tensors' live memory has grown by max(64 MiB, what was live after the last one)
-- (bindings/init.c, ltb_account). Garbage tensors of 4 MiB each past that mark: with
-- tracking they are collected, without it every one is still held.
function T.heaptracking()
  local old = torch.setheaptracking(false)
  tester:eq(old, true, 'on by default')
  tester:eq(torch.setheaptracking(true), false)
  tester:assertErrorPattern(function() torch.setheaptracking('yes') end, 'setheaptracking')
  local function garbage_run(on)
    collectgarbage()
    torch.setheaptracking(true)
    local _ = torch.FloatTensor(1)   -- a tracked tensor: the collection mark follows memory down
    torch.setheaptracking(on)
    local weak = setmetatable({}, {__mode = 'v'})
    weak[1] = {}                     -- garbage: only a collection clears it
    local live = torch._memLive()
    local need = math.max(64 * 2 ^ 20, live) + 16 * 2 ^ 20
    local chunk = 4 * 2 ^ 20
    local n = math.ceil(need / chunk)
    for _ = 1, n do local _ = torch.FloatTensor(chunk // 4) end
    return weak[1] == nil, torch._memLive() - live, n * chunk
  end
  collectgarbage('stop')
  local ok, a, b, c = pcall(function()
    local off_collected, off_grown, made = garbage_run(false)
    local on_collected, on_grown = garbage_run(true)
    return {off_collected, off_grown, made}, on_collected, on_grown
  end)
  collectgarbage('restart')
  torch.setheaptracking(true)
  collectgarbage()
  tester:assert(ok, tostring(a))
  if not ok then return end
  tester:eq(a[1], false, 'tracking off: no collection')
  tester:assert(a[2] >= a[3], 'tracking off: every garbage tensor still held')
  tester:eq(b, true, 'tracking on: a collection')
  tester:assert(c < a[3], 'tracking on: garbage tensors freed')
end

tester:add(T)
return tester
