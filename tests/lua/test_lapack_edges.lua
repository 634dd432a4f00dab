-- Edge cases of the LAPACK and signal functions (tensor/lapack*.c, tensor/signal.c) found
-- by an adversarial test: empty inputs to the full convolutions, result tensors that
-- share memory with each other or within themselves (expand's stride 0), rank-deficient
-- gels, a singular factor given to potrs, a non-finite pstrf tolerance, and batches too
-- large for a loop of LAPACK calls. Float and double throughout.
local tester = torch.Tester()
local T = torch.TestSuite()

torch.manualSeed(13)

local types = {'torch.DoubleTensor', 'torch.FloatTensor'}
local function tol(tp) return tp == 'torch.DoubleTensor' and 1e-10 or 1e-4 end
local function spd(n, tp)
  local a = torch.randn(n, n):double()
  return (a * a:t() + torch.eye(n):double() * n):type(tp)
end
local function maxdiff(a, b) return (a:double() - b:double()):abs():max() end
local SHARED = 'must be different tensors %(they share memory%)'
local STRIDE0 = 'has elements that share memory %(a stride of 0'

---------------------------------------------------------------------------------------
-- 1. the full convolutions of an empty input: zeros of the full size
---------------------------------------------------------------------------------------

function T.conv_full_empty_input()
  for _, tp in ipairs({'torch.DoubleTensor', 'torch.FloatTensor', 'torch.LongTensor',
                       'torch.IntTensor', 'torch.HalfTensor'}) do
    local k = torch.ones(2, 2):type(tp)
    for _, f in ipairs({torch.conv2, torch.xcorr2}) do
      local r = f(torch.Tensor(1, 0):type(tp), k, 'F')
      tester:eq(torch.type(r), tp, tp)
      tester:eq(r:size():totable(), {2, 1}, tp .. ' conv2 F size')
      tester:eq(r:double():abs():sum(), 0, tp .. ' conv2 F zeros')
      r = f(torch.Tensor(0, 0):type(tp), k, 'F')
      tester:eq(r:size():totable(), {1, 1}, tp .. ' 0x0 input')
      tester:eq(r:double():abs():sum(), 0)
    end
    -- 3-D: a kernel of size 1 along the empty dim (no padding there: an empty padded input)
    local r = torch.conv3(torch.Tensor(1, 1, 0):type(tp), torch.ones(1, 1, 1):type(tp), 'F')
    tester:eq(r:size():totable(), {1, 1, 0}, tp .. ' conv3 F, all empty')
    r = torch.xcorr3(torch.Tensor(1, 1, 0):type(tp), torch.ones(2, 2, 2):type(tp), 'F')
    tester:eq(r:size():totable(), {2, 2, 1}, tp .. ' xcorr3 F')
    tester:eq(r:double():abs():sum(), 0)
    -- planes (3-D input, 2-D convolutions): each plane empty
    r = torch.conv2(torch.Tensor(2, 3, 0):type(tp), torch.ones(2, 2, 2):type(tp), 'F')
    tester:eq(r:size():totable(), {2, 4, 1}, tp .. ' conv2 F of planes')
    tester:eq(r:double():abs():sum(), 0)
    r = torch.conv2(torch.Tensor(2, 3, 0):type(tp), torch.ones(4, 2, 2, 2):type(tp), 'F')
    tester:eq(r:size():totable(), {4, 4, 1}, tp .. ' conv2 F, matrix-vector form')
    tester:eq(r:double():abs():sum(), 0)
  end
  -- the gradient path: zero gradients of the inputs' shapes
  for _, tp in ipairs(types) do
    local x = torch.Tensor(1, 0):type(tp):setRequiresGrad()
    local k = torch.randn(2, 2):type(tp):setRequiresGrad()
    torch.conv2(x, k, 'F'):sum():backward()
    tester:eq(x.grad:size():totable(), {1, 0})
    tester:eq(k.grad:abs():sum(), 0, tp .. ' dk of an empty image')
    local x3 = torch.Tensor(1, 1, 0):type(tp):setRequiresGrad()
    local k3 = torch.randn(1, 1, 1):type(tp):setRequiresGrad()
    torch.conv3(x3, k3, 'F'):sum():backward()
    tester:eq(k3.grad:abs():sum(), 0)
  end
end

---------------------------------------------------------------------------------------
-- 2. result tensors that share memory with each other
---------------------------------------------------------------------------------------

function T.shared_results_are_errors()
  for _, tp in ipairs(types) do
    local a = torch.randn(3, 3):type(tp)
    local s = (a + a:t()):mul(0.5)
    local r = torch.Tensor():type(tp)
    tester:assertErrorPattern(function() torch.qr(r, r, a) end, 'torch%.qr: resq and resr ' .. SHARED)
    tester:assertErrorPattern(function() torch.svd(r, torch.Tensor():type(tp), r, a) end,
                              'torch%.svd: resu and resv ' .. SHARED)
    tester:assertErrorPattern(function() torch.svd(r, r, torch.Tensor():type(tp), a) end,
                              'torch%.svd: resu and ress ' .. SHARED)
    tester:assertErrorPattern(function() torch.symeig(r, r, s, 'V') end, 'torch%.symeig: rese and resv ' .. SHARED)
    tester:assertErrorPattern(function() torch.eig(r, r, a, 'V') end, 'torch%.eig: rese and resv ' .. SHARED)
    tester:assertErrorPattern(function() torch.geqrf(r, r, a) end, 'torch%.geqrf: resa and restau ' .. SHARED)
    tester:assertErrorPattern(function() torch.gesv(r, r, torch.randn(3, 1):type(tp), a) end,
                              'torch%.gesv: resb and resa ' .. SHARED)
    tester:assertErrorPattern(function() torch.trtrs(r, r, torch.randn(3, 1):type(tp), a) end,
                              'torch%.trtrs: resb and resa ' .. SHARED)
    tester:assertErrorPattern(function() torch.gels(r, r, torch.randn(3, 1):type(tp), a) end,
                              'torch%.gels: resb and resa ' .. SHARED)
    tester:assertErrorPattern(function() torch.pstrf(r, r, spd(3, tp)) end, 'torch%.pstrf: res and piv ' .. SHARED)
    tester:eq(r:nElement(), 0, 'nothing written')
    -- views of one storage that overlap in part: an error, nothing written
    local base = torch.zeros(30):type(tp)
    local u = base:narrow(1, 1, 9):view(3, 3)
    local sv = base:narrow(1, 7, 3)                 -- u's last column
    local v = base:narrow(1, 13, 9):view(3, 3)
    tester:assertErrorPattern(function() torch.svd(u, sv, v, a) end, 'torch%.svd: resu and ress ' .. SHARED)
    tester:assertErrorPattern(function() torch.svd(u, base:narrow(1, 10, 3), base:narrow(1, 12, 9):view(3, 3), a) end,
                              'torch%.svd: ress and resv ' .. SHARED)
    tester:eq(base:abs():sum(), 0, 'nothing written on an error')
    -- views of one storage apart from each other: fine, the right values
    local uu, ss, vv = torch.svd(u, base:narrow(1, 10, 3), v, a)
    tester:eq(uu, u)
    tester:assertle(maxdiff(uu * torch.diag(ss) * vv:t(), a), tol(tp) * 10, tp .. ' svd into disjoint views')
    local q, R = torch.qr(base:narrow(1, 1, 9):view(3, 3), base:narrow(1, 10, 9):view(3, 3), a)
    tester:assertle(maxdiff(q * R, a), tol(tp) * 10, tp .. ' qr into disjoint views')
    -- two views apart until one is resized over the other: an error too
    local big = torch.zeros(2):type(tp)
    local t1 = big:narrow(1, 1, 1)
    local t2 = big:narrow(1, 2, 1)
    tester:assertErrorPattern(function() torch.qr(t1, t2, a) end, 'torch%.qr: resq and resr ' .. SHARED)
  end
end

---------------------------------------------------------------------------------------
-- 3. result tensors whose elements share memory (a stride of 0)
---------------------------------------------------------------------------------------

function T.expanded_results_are_errors()
  for _, tp in ipairs(types) do
    local function ex(...) return torch.Tensor(1):type(tp):zero():expand(...) end
    local A = spd(3, tp)
    local b = torch.randn(3, 2):type(tp)
    tester:assertErrorPattern(function() torch.potrf(ex(3, 3), A) end, 'torch%.potrf: the result tensor res ' .. STRIDE0)
    tester:assertErrorPattern(function() torch.cholesky(ex(3, 3), A) end, 'torch%.cholesky: the result tensor res ' .. STRIDE0)
    tester:assertErrorPattern(function() torch.inverse(ex(3, 3), A) end, 'torch%.inverse: the result tensor res ' .. STRIDE0)
    tester:assertErrorPattern(function() torch.potri(ex(3, 3), torch.potrf(A)) end, 'torch%.potri: the result tensor res ' .. STRIDE0)
    tester:assertErrorPattern(function() torch.potrs(ex(3, 2), b, torch.potrf(A)) end, 'torch%.potrs: the result tensor res ' .. STRIDE0)
    local batch = torch.cat({A:view(1, 3, 3), A:view(1, 3, 3)}, 1)
    tester:assertErrorPattern(function() torch.inverse(ex(2, 3, 3), batch) end, 'torch%.inverse: the result tensor res ' .. STRIDE0)
    tester:assertErrorPattern(function() torch.gesv(ex(3, 2), torch.Tensor():type(tp), b, A) end,
                              'torch%.gesv: the result tensor resb ' .. STRIDE0)
    tester:assertErrorPattern(function() torch.gesv(torch.Tensor():type(tp), ex(3, 3), b, A) end,
                              'torch%.gesv: the result tensor resa ' .. STRIDE0)
    tester:assertErrorPattern(function() torch.svd(ex(3, 3), torch.Tensor():type(tp), torch.Tensor():type(tp), A) end,
                              'torch%.svd: the result tensor resu ' .. STRIDE0)
    tester:assertErrorPattern(function() torch.svd(torch.Tensor():type(tp), ex(3), torch.Tensor():type(tp), A) end,
                              'torch%.svd: the result tensor ress ' .. STRIDE0)
    tester:assertErrorPattern(function() torch.symeig(ex(3), torch.Tensor():type(tp), A, 'V') end,
                              'torch%.symeig: the result tensor rese ' .. STRIDE0)
    tester:assertErrorPattern(function() torch.symeig(torch.Tensor():type(tp), ex(3, 3), A, 'V') end,
                              'torch%.symeig: the result tensor resv ' .. STRIDE0)
    tester:assertErrorPattern(function() torch.pstrf(torch.Tensor():type(tp), torch.IntTensor(1):expand(3), A) end,
                              'torch%.pstrf: the result tensor piv ' .. STRIDE0)
    -- signal functions
    local x, k = torch.randn(4, 4):type(tp), torch.randn(2, 2):type(tp)
    tester:assertErrorPattern(function() torch.conv2(ex(5, 5), x, k, 'F') end, 'conv2: the result tensor res ' .. STRIDE0)
    tester:assertErrorPattern(function() torch.xcorr2(ex(3, 3), x, k) end, 'xcorr2: the result tensor res ' .. STRIDE0)
    tester:assertErrorPattern(function() torch.conv3(ex(1, 3, 3), x:view(1, 4, 4), k:view(1, 2, 2)) end,
                              'conv3: the result tensor res ' .. STRIDE0)
    tester:assertErrorPattern(function() torch.renorm(ex(4, 4), x, 2, 1, 1) end, 'renorm: the result tensor res ' .. STRIDE0)
    tester:assertErrorPattern(function() ex(4, 4):renorm(2, 1, 1) end, 'renorm: the result tensor res ' .. STRIDE0)
    tester:assertErrorPattern(function() torch.bhistc(ex(4, 5), x, 5) end, 'bhistc: the result tensor res ' .. STRIDE0)
    -- a result tensor of another shape is resized (contiguous) and is fine
    local e = ex(2, 2)
    local r = torch.conv2(e, x, k, 'F')
    tester:eq(r:size():totable(), {5, 5})
    tester:assertle(maxdiff(r, torch.conv2(x, k, 'F')), tol(tp) * 10, 'resized result')
    local f = torch.potrf(ex(2, 2), A)
    tester:assertle(maxdiff(f:t() * f, A), tol(tp) * 100, tp .. ' potrf into a resized result')
  end
end

---------------------------------------------------------------------------------------
-- 4. gels with a rank-deficient A
---------------------------------------------------------------------------------------

function T.gels_rank_deficient()
  local RANK = 'torch%.gels: A does not have full rank %(element %((%d),%d%) of its triangular factor is zero%)'
  for _, tp in ipairs(types) do
    for _, sz in ipairs({{3, 3}, {3, 2}, {2, 3}, {1, 1}}) do
      local b = torch.randn(sz[1], 2):type(tp)
      local ok, err = pcall(torch.gels, b, torch.zeros(sz[1], sz[2]):type(tp))
      tester:assert(not ok, tp .. ' zero A ' .. sz[1] .. 'x' .. sz[2] .. ' is an error')
      tester:assert(tostring(err):match(RANK) == '1', tostring(err))
      tester:assertErrorPattern(function() torch.gels(torch.randn(sz[1]):type(tp), torch.zeros(sz[1], sz[2]):type(tp)) end, RANK)
    end
    -- a zero column: R's second diagonal element is exactly zero
    local a = torch.Tensor({{1, 0}, {2, 0}, {3, 0}}):type(tp)
    local ok, err = pcall(torch.gels, torch.randn(3, 1):type(tp), a)
    tester:assert(not ok and tostring(err):match(RANK) == '2', tostring(err))
    ok, err = pcall(torch.gels, torch.randn(3, 1):type(tp), torch.Tensor({{0, 1}, {0, 2}, {0, 3}}):type(tp))
    tester:assert(not ok and tostring(err):match(RANK) == '1', tostring(err))
    -- nearly rank deficient (almost equal columns): no error (only an exact zero is detected)
    local d = torch.Tensor({{1, 1}, {2, 2}, {3, 3.001}}):type(tp)
    tester:assert(pcall(torch.gels, torch.randn(3, 1):type(tp), d), 'a nearly singular A is no error')
    -- full rank still solves
    local A = torch.randn(4, 2):type(tp)
    local X = torch.randn(2, 1):type(tp)
    local x = torch.gels(A * X, A)
    tester:assertle(maxdiff(x:narrow(1, 1, 2), X), tol(tp) * 100, tp .. ' gels full rank')
  end
end

---------------------------------------------------------------------------------------
-- 5. potrs with a zero on the factor's diagonal
---------------------------------------------------------------------------------------

function T.potrs_singular_factor()
  for _, tp in ipairs(types) do
    for _, uplo in ipairs({'U', 'L'}) do
      local c = torch.potrf(spd(3, tp), uplo)
      c[2][2] = 0
      local b = torch.randn(3, 2):type(tp)
      tester:assertErrorPattern(function() torch.potrs(b, c, uplo) end,
                                'torch%.potrs: the Cholesky factor is singular %(chol%(2,2%) is zero%)')
      tester:assertErrorPattern(function() torch.potrs(b:select(2, 1), c, uplo) end, 'torch%.potrs: the Cholesky factor is singular')
      -- the same kind of error as potri's for the same input
      tester:assertErrorPattern(function() torch.potri(c, uplo) end, 'torch%.potri: the Cholesky factor is singular %(chol%(2,2%) is zero%)')
    end
    -- a good factor still solves
    local A = spd(3, tp)
    local X = torch.randn(3, 2):type(tp)
    tester:assertle(maxdiff(torch.potrs(A * X, torch.potrf(A)), X), tol(tp) * 100, tp .. ' potrs')
  end
end

---------------------------------------------------------------------------------------
-- 6. pstrf's tolerance
---------------------------------------------------------------------------------------

function T.pstrf_tolerance()
  for _, tp in ipairs(types) do
    local A = spd(4, tp)
    for _, t in ipairs({0 / 0, math.huge, -math.huge}) do
      tester:assertErrorPattern(function() torch.pstrf(A, 'U', t) end, 'torch%.pstrf: tol must be a finite number')
    end
    for _, t in ipairs({-1, -0.5, 0, 1e-3}) do   -- negative: LAPACK's default (Torch7's -1)
      local r, piv = torch.pstrf(A, 'U', t)
      local p = piv:long()
      tester:assertle(maxdiff(r:t() * r, A:index(1, p):index(2, p)), tol(tp) * 100, tp .. ' pstrf tol ' .. t)
    end
  end
end

---------------------------------------------------------------------------------------
-- 7. batches too large for a loop of LAPACK calls
---------------------------------------------------------------------------------------

function T.huge_batches()
  for _, tp in ipairs(types) do
    local one = torch.Tensor(1, 1, 1):type(tp):fill(1)
    local BATCH = 'A has a batch dimension %(dim 1%) of size 1099511627776, above what a batch of LAPACK calls takes'
    tester:assertErrorPattern(function() torch.inverse(one:expand(2 ^ 40, 3, 3)) end, 'torch%.inverse: ' .. BATCH)
    tester:assertErrorPattern(function() torch.det(one:expand(2 ^ 40, 3, 3)) end, 'torch%.det: ' .. BATCH)
    tester:assertErrorPattern(function() torch.cholesky(one:expand(2 ^ 40, 3, 3)) end, 'torch%.cholesky: ' .. BATCH)
    tester:assertErrorPattern(function() torch.gesv(one:expand(2 ^ 40, 3, 1), one:expand(2 ^ 40, 3, 3)) end,
                              'torch%.gesv: ' .. BATCH)
    -- no dim too large, but too many matrices in all
    tester:assertErrorPattern(function() torch.inverse(torch.Tensor(1, 1, 1, 1):type(tp):expand(2 ^ 20, 2 ^ 20, 2, 2)) end,
                              'torch%.inverse: A of size 1048576x1048576x2x2 is a batch of more than %d+ matrices')
    -- a matrix dimension too large still says so
    tester:assertErrorPattern(function() torch.inverse(torch.Tensor(1, 1):type(tp):expand(2 ^ 31, 2)) end,
                              'torch%.inverse: A has a dimension of size 2147483648, above what LAPACK takes')
  end
end

---------------------------------------------------------------------------------------
-- the same on a GPU (when one is here): gels there is lt_gels_qr (geqrf, ormqr and a
-- triangular solve that reports nothing), whose own check finds the zero diagonal
---------------------------------------------------------------------------------------

function T.cuda_edges()
  if not torch.cudaAvailable() then return end
  local RANK = 'torch%.gels: A does not have full rank %(element %(1,1%) of its triangular factor is zero%)'
  for _, tp in ipairs({'torch.CudaTensor', 'torch.CudaDoubleTensor'}) do
    for _, sz in ipairs({{3, 3}, {3, 2}, {2, 3}}) do
      tester:assertErrorPattern(function() torch.gels(torch.randn(sz[1], 2):type(tp), torch.zeros(sz[1], sz[2]):type(tp)) end, RANK)
    end
    local c = torch.potrf(spd(3, 'torch.DoubleTensor'))
    c[2][2] = 0
    c = c:type(tp)
    tester:assertErrorPattern(function() torch.potrs(torch.randn(3, 1):type(tp), c) end,
                              'torch%.potrs: the Cholesky factor is singular %(chol%(2,2%) is zero%)')
    local r = torch.Tensor():type(tp)
    tester:assertErrorPattern(function() torch.qr(r, r, torch.randn(3, 3):type(tp)) end, 'torch%.qr: resq and resr ' .. SHARED)
    tester:assertErrorPattern(function() torch.potrf(torch.Tensor(1):type(tp):expand(3, 3), spd(3, tp)) end,
                              'torch%.potrf: the result tensor res ' .. STRIDE0)
    local e = torch.conv2(torch.Tensor(1, 0):type(tp), torch.ones(2, 2):type(tp), 'F')
    tester:eq(e:size():totable(), {2, 1})
    tester:eq(e:double():abs():sum(), 0)
  end
end

tester:add(T)
return tester
