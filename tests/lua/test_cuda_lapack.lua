-- The CUDA paths of tensor/lapack.c: gesv, solve, trtrs, gels, inverse, potrf, potrs,
-- potri, pstrf, cholesky, det, logdet, slogdet on CudaTensor and CudaDoubleTensor, each
-- compared with the CPU (float and double; several sizes; batches; non-contiguous inputs;
-- the result-tensor forms; the errors of singular matrices; mixed devices), and the
-- gradients of det, logdet, slogdet, inverse, solve and cholesky (CUDA backward against
-- CPU backward). Skipped (with the reason) where no GPU is present.
local tester = torch.Tester()
local ok, why = torch.cudaAvailable()
if not ok then
  tester.skipReason = 'no GPU: ' .. tostring(why)
  return tester
end
local T = torch.TestSuite()

local types = {'torch.DoubleTensor', 'torch.FloatTensor'}
local function tol_of(tp)
  return tostring(tp):find('Double') and 1e-9 or 2e-4
end
-- the GPU result is on the GPU, of the CPU result's size and (relative to the size of the
-- CPU's values) close to it
local function close(gpu, cpu, what, tol)
  tester:assert(torch.isTensor(gpu) and gpu:type():find('Cuda') ~= nil, what .. ': result on the GPU')
  if not torch.isTensor(gpu) then return end
  local g, c = gpu:detach():cpu():double(), cpu:detach():double()
  tester:eq(g:size(), c:size(), 0, what .. ': size')
  if c:nElement() == 0 then return end
  local scale = math.max(1, torch.abs(c):max())
  local err = torch.abs(g - c):max() / scale
  tester:assert(err <= (tol or tol_of(cpu:type())), what .. string.format(' (err %g)', err))
end
-- a matrix result is column-major (strides {1, rows}) on both devices
local function colmajor(gpu, what)
  if gpu:dim() == 2 and gpu:size(1) > 1 and gpu:size(2) > 1 then
    tester:asserteq(gpu:stride(1), 1, what .. ': column-major')
    tester:asserteq(gpu:stride(2), gpu:size(1), what .. ': column-major')
  end
end
local function num_close(g, c, what, tol)
  tester:asserteq(type(g), 'number', what .. ': a number')
  if c ~= c then tester:assert(g ~= g, what .. ': NaN'); return end
  if c == -math.huge or c == math.huge then tester:asserteq(g, c, what); return end
  tester:assertalmosteq(g, c, (tol or 1e-9) * math.max(1, math.abs(c)), what)
end

local function general(n, tp)
  return (torch.randn(n, n):double() + torch.eye(n):double() * n):type(tp)
end
local function spd(n, tp)
  local m = torch.randn(n, n):double()
  return (m * m:t() + torch.eye(n):double() * n):type(tp)
end
-- (*, n, n) with each matrix well conditioned
local function batch(tp, ...)
  local sz = {...}
  local n = sz[#sz]
  local t = torch.randn(...):double()
  local v = t:view(-1, n, n)
  for i = 1, v:size(1) do v[i]:add(torch.eye(n):double() * n) end
  return t:type(tp)
end
-- a transposed (non-contiguous) copy of a on the GPU, of a's values
local function tview(a) return a:t():clone():cuda():t() end
-- a narrowed (non-contiguous) copy on the GPU
local function nview(a)
  local big = a.new(a:size(1) + 1, a:size(2) + 2):zero()
  big:narrow(1, 2, a:size(1)):narrow(2, 2, a:size(2)):copy(a)
  return big:cuda():narrow(1, 2, a:size(1)):narrow(2, 2, a:size(2))
end
local function layouts(a) return {contiguous = a:cuda(), transposed = tview(a), narrowed = nview(a)} end

---------------------------------------------------------------------------------------

function T.gesv_solve()
  torch.manualSeed(1)
  for _, tp in ipairs(types) do
    for _, n in ipairs{1, 3, 8, 20} do
      for _, k in ipairs{1, 3} do
        local a, b = general(n, tp), torch.randn(n, k):type(tp)
        local xc, luc = torch.gesv(b, a)
        for lname, ag in pairs(layouts(a)) do
          local what = string.format('gesv %s n=%d k=%d %s', tp, n, k, lname)
          local xg, lug = torch.gesv(b:cuda(), ag)
          close(xg, xc, what .. ' X')
          close(lug, luc, what .. ' LU')
          colmajor(xg, what .. ' X')
          colmajor(lug, what .. ' LU')
        end
        local xs, lus = torch.solve(b:cuda(), a:cuda())
        close(xs, xc, 'solve X')
        close(lus, luc, 'solve LU')
      end
      -- a vector right-hand side, and no right-hand side at all
      local a, b = general(n, tp), torch.randn(n):type(tp)
      local xg = torch.gesv(b:cuda(), a:cuda())
      tester:asserteq(xg:dim(), 1, 'a vector B gives a vector X')
      close(xg, torch.gesv(b, a), 'gesv vector B')
      local _, lu0 = torch.gesv(torch.randn(n, 0):type(tp):cuda(), a:cuda())
      close(lu0, select(2, torch.gesv(torch.randn(n, 0):type(tp), a)), 'gesv with no right-hand side: LU')
    end
  end
  -- result tensors on the GPU: returned, filled; Torch7's in-place torch.gesv(b, a, b, a)
  local a, b = general(4, 'torch.DoubleTensor'), torch.randn(4, 2):double()
  local xc, luc = torch.gesv(b, a)
  local rb, ra = torch.CudaDoubleTensor(), torch.CudaDoubleTensor()
  local x, lu = torch.gesv(rb, ra, b:cuda(), a:cuda())
  tester:assert(x == rb and lu == ra, 'the result tensors are returned')
  close(rb, xc, 'resb')
  close(ra, luc, 'resa')
  colmajor(rb, 'resb')
  local bb, aa = b:cuda(), a:cuda()
  torch.gesv(bb, aa, bb, aa)
  close(bb, xc, 'in place: b holds X')
  close(aa, luc, 'in place: a holds LU')
  local xm = b:cuda():gesv(a:cuda())
  close(xm, xc, 'method form')
end

function T.trtrs()
  torch.manualSeed(2)
  for _, tp in ipairs(types) do
    for _, n in ipairs{1, 4, 9} do
      local a, b = general(n, tp), torch.randn(n, 2):type(tp)
      for _, uplo in ipairs{'U', 'L'} do
        for _, trans in ipairs{'N', 'T'} do
          for _, diag in ipairs{'N', 'U'} do
            local xc, ac = torch.trtrs(b, a, uplo, trans, diag)
            local xg, ag = torch.trtrs(b:cuda(), tview(a), uplo, trans, diag)
            local what = string.format('trtrs %s n=%d %s%s%s', tp, n, uplo, trans, diag)
            close(xg, xc, what .. ' X', tp:find('Double') and 1e-9 or 1e-3)
            close(ag, ac, what .. ' A copy', 0)
          end
        end
      end
    end
  end
  local a = torch.triu(general(3, 'torch.DoubleTensor'))
  local b = torch.randn(3):double()
  local rb, ra = torch.CudaDoubleTensor(), torch.CudaDoubleTensor()
  local x, ac = torch.trtrs(rb, ra, b:cuda(), a:cuda(), 'U')
  tester:assert(x == rb and ac == ra, 'result tensors returned')
  close(rb, (torch.trtrs(b, a, 'U')), 'trtrs result form')
end

function T.gels()
  torch.manualSeed(3)
  for _, tp in ipairs(types) do
    for _, s in ipairs{{6, 4}, {5, 5}, {3, 5}, {1, 3}} do
      local m, n = s[1], s[2]
      local a, b = torch.randn(m, n):type(tp), torch.randn(m, 2):type(tp)
      local xc, qc = torch.gels(b, a)
      for lname, ag in pairs(layouts(a)) do
        local what = string.format('gels %s %dx%d %s', tp, m, n, lname)
        local xg, qg = torch.gels(b:cuda(), ag)
        close(xg, xc, what .. ' X')
        close(qg, qc, what .. ' QR')
        colmajor(xg, what .. ' X')
      end
      close(torch.gels(b:select(2, 1):cuda(), a:cuda()), torch.gels(b:select(2, 1), a), 'gels vector B')
    end
  end
  local a, b = torch.randn(5, 3):double(), torch.randn(5, 1):double()
  local rb, ra = torch.CudaDoubleTensor(), torch.CudaDoubleTensor()
  local x, qr = torch.gels(rb, ra, b:cuda(), a:cuda())
  tester:assert(x == rb and qr == ra, 'gels result tensors returned')
  close(rb, (torch.gels(b, a)), 'gels result form')
end

function T.inverse()
  torch.manualSeed(4)
  for _, tp in ipairs(types) do
    for _, n in ipairs{1, 2, 5, 17} do
      local a = general(n, tp)
      local yc = torch.inverse(a)
      for lname, ag in pairs(layouts(a)) do
        local yg = torch.inverse(ag)
        close(yg, yc, string.format('inverse %s n=%d %s', tp, n, lname))
        colmajor(yg, 'inverse')
      end
    end
    local A = batch(tp, 2, 3, 4, 4)
    close(torch.inverse(A:cuda()), torch.inverse(A), 'batched inverse ' .. tp)
    close(torch.inverse(A:cuda():transpose(3, 4)), torch.inverse(A:transpose(3, 4)), 'batched inverse of a transposed view ' .. tp)
  end
  local x = general(4, 'torch.DoubleTensor')
  local res = torch.CudaDoubleTensor()
  tester:assert(torch.inverse(res, x:cuda()) == res, 'torch.inverse(res, x) returns res')
  close(res, torch.inverse(x), 'inverse result form')
  local xx = x:cuda()
  torch.inverse(xx, xx)
  close(xx, torch.inverse(x), 'inverse in place')
  tester:asserteq(torch.inverse(torch.CudaDoubleTensor(0, 0)):nElement(), 0, '0 x 0')
end

function T.cholesky_family()
  torch.manualSeed(5)
  for _, tp in ipairs(types) do
    for _, n in ipairs{1, 3, 8, 25} do
      local a, b = spd(n, tp), torch.randn(n, 3):type(tp)
      for _, uplo in ipairs{'U', 'L'} do
        local what = string.format('%s n=%d %s', tp, n, uplo)
        local cc = torch.potrf(a, uplo)
        for lname, ag in pairs(layouts(a)) do
          local cg = torch.potrf(ag, uplo)
          close(cg, cc, 'potrf ' .. what .. ' ' .. lname)
          colmajor(cg, 'potrf')
        end
        -- the other triangle is exactly zero on the GPU too
        local cg = torch.potrf(a:cuda(), uplo)
        local other = uplo == 'U' and torch.tril(cg:cpu(), -1) or torch.triu(cg:cpu(), 1)
        tester:asserteq(torch.abs(other):sum(), 0, 'potrf ' .. what .. ': the other triangle is zero')
        close(torch.potrs(b:cuda(), cg, uplo), torch.potrs(b, cc, uplo), 'potrs ' .. what)
        close(torch.potrs(b:select(2, 1):cuda(), cg, uplo), torch.potrs(b:select(2, 1), cc, uplo), 'potrs vector ' .. what)
        local ig = torch.potri(cg, uplo)
        close(ig, torch.potri(cc, uplo), 'potri ' .. what)
        tester:eq(ig:cpu(), ig:cpu():t(), 0, 'potri ' .. what .. ': exactly symmetric')
        -- pstrf (a CPU round trip under the hood): the same factor and pivots
        local rc, pc = torch.pstrf(a, uplo)
        local rg, pg = torch.pstrf(a:cuda(), uplo)
        close(rg, rc, 'pstrf ' .. what)
        tester:assert(pg:type():find('Cuda') ~= nil, 'pstrf pivots on the GPU')
        tester:eq(pg:cpu():long(), pc:long(), 0, 'pstrf pivots ' .. what)
      end
      close(torch.cholesky(a:cuda()), torch.cholesky(a), 'cholesky ' .. tp)
      close(torch.cholesky(a:cuda(), true), torch.cholesky(a, true), 'cholesky upper ' .. tp)
    end
    local S = batch(tp, 2, 3, 4, 4)
    S = torch.matmul(S, S:transpose(3, 4))
    close(torch.cholesky(S:cuda()), torch.cholesky(S), 'batched cholesky ' .. tp)
    close(torch.cholesky(S:cuda(), true), torch.cholesky(S, true), 'batched cholesky upper ' .. tp)
  end
  -- result forms
  local a = spd(4, 'torch.DoubleTensor')
  local res = torch.CudaDoubleTensor()
  tester:assert(torch.potrf(res, a:cuda(), 'L') == res, 'potrf(res, A, L)')
  close(res, torch.potrf(a, 'L'), 'potrf result form')
  local pr = torch.CudaDoubleTensor()
  tester:assert(torch.potri(pr, res, 'L') == pr, 'potri(res, chol, L)')
  close(pr, torch.inverse(a), 'potri result form = inverse', 1e-8)
  local xr = torch.CudaDoubleTensor()
  tester:assert(torch.potrs(xr, torch.ones(4, 2):double():cuda(), res, 'L') == xr, 'potrs(res, ...)')
  close(xr, torch.gesv(torch.ones(4, 2):double(), a), 'potrs result form', 1e-8)
  local rr, pp = torch.CudaDoubleTensor(), torch.CudaIntTensor()
  local r2, p2 = torch.pstrf(rr, pp, a:cuda())
  tester:assert(r2 == rr and p2 == pp, 'pstrf result tensors returned')
  tester:eq(pp:cpu(), select(2, torch.pstrf(a)), 0, 'pstrf pivots through the result tensor')
end

function T.det_logdet_slogdet()
  torch.manualSeed(6)
  for _, tp in ipairs(types) do
    local tol = tp:find('Double') and 1e-10 or 1e-4
    for _, n in ipairs{1, 2, 5, 12} do
      local a = general(n, tp)
      for lname, ag in pairs(layouts(a)) do
        local what = string.format('%s n=%d %s', tp, n, lname)
        num_close(torch.det(ag), torch.det(a), 'det ' .. what, tol)
        local sc, lc = torch.slogdet(a)
        local sg, lg = torch.slogdet(ag)
        num_close(sg, sc, 'slogdet sign ' .. what, 0)
        num_close(lg, lc, 'slogdet log ' .. what, tol)
        num_close(torch.logdet(ag), torch.logdet(a), 'logdet ' .. what, tol)
      end
    end
    -- a negative determinant (logdet NaN) and a singular matrix (0, -inf)
    local neg = torch.Tensor{{1, 2}, {3, 4}}:type(tp)
    num_close(torch.det(neg:cuda()), -2, 'det by hand', tol)
    tester:assert(torch.logdet(neg:cuda()) ~= torch.logdet(neg:cuda()), 'logdet of a negative determinant is NaN')
    local sing = torch.Tensor{{1, 2}, {2, 4}}:type(tp):cuda()
    tester:asserteq(torch.det(sing), 0, 'singular: det 0')
    tester:asserteq(torch.logdet(sing), -math.huge, 'singular: logdet -inf')
    local s0, l0 = torch.slogdet(sing)
    tester:asserteq(s0, 0)
    tester:asserteq(l0, -math.huge)
    tester:asserteq(torch.det(torch.Tensor(0, 0):type(tp):cuda()), 1, '0x0: 1')
    -- batches: one value per matrix, on the GPU
    local A = batch(tp, 2, 3, 4, 4)
    close(torch.det(A:cuda()), torch.det(A), 'batched det ' .. tp, tol)
    local sc, lc = torch.slogdet(A)
    local sg, lg = torch.slogdet(A:cuda())
    close(sg, sc, 'batched slogdet sign ' .. tp, 0)
    close(lg, lc, 'batched slogdet log ' .. tp, tol)
    local S = torch.matmul(A, A:transpose(3, 4))
    close(torch.logdet(S:cuda()), torch.logdet(S), 'batched logdet ' .. tp, tol)
  end
end

---------------------------------------------------------------------------------------
-- errors
---------------------------------------------------------------------------------------

function T.errors()
  local g = function(t) return t:double():cuda() end
  local s2 = g(torch.Tensor{{1, 0, 0}, {0, 1, 0}, {0, 0, 0}})
  tester:assertErrorPattern(function() torch.gesv(g(torch.ones(3, 1)), s2) end,
                            'torch%.gesv: the matrix A is singular %(U%(3,3%) is zero%)')
  tester:assertErrorPattern(function() torch.solve(g(torch.ones(3)), s2) end, 'torch%.solve: the matrix A is singular')
  tester:assertErrorPattern(function() torch.inverse(g(torch.Tensor{{1, 2}, {2, 4}})) end,
                            'torch%.inverse: the matrix is singular %(U%(2,2%) is zero%)')
  tester:assertErrorPattern(function() torch.trtrs(g(torch.ones(3)), g(torch.Tensor{{1, 2, 3}, {0, 1, 5}, {0, 0, 0}})) end,
                            'torch%.trtrs: the triangular matrix A is singular %(A%(3,3%) is zero%)')
  tester:assertErrorPattern(function() torch.gels(g(torch.ones(3)), g(torch.Tensor{{1, 0}, {2, 0}, {3, 0}})) end,
                            'torch%.gels: A does not have full rank')
  tester:assertErrorPattern(function() torch.potrf(g(torch.Tensor{{1, 2}, {2, 1}})) end,
                            'torch%.potrf: the matrix is not positive definite %(its leading minor of order 2')
  tester:assertErrorPattern(function() torch.cholesky(-torch.eye(3):double():cuda()) end,
                            'torch%.cholesky: the matrix is not positive definite %(its leading minor of order 1')
  tester:assertErrorPattern(function() torch.potri(g(torch.zeros(3, 3))) end, 'torch%.potri: the Cholesky factor is singular')
  tester:assertErrorPattern(function() torch.pstrf(g(torch.Tensor{{1, 1}, {1, 1}})) end,
                            'torch%.pstrf: the matrix is rank deficient or not positive semidefinite %(computed rank 1 of 2%)')
  local bad = torch.cat({torch.eye(3):double():view(1, 3, 3), torch.zeros(1, 3, 3):double()}, 1):cuda()
  tester:assertErrorPattern(function() torch.inverse(bad) end,
                            'torch%.inverse: the matrix is singular %(U%(%d+,%d+%) is zero%) in matrix %[2%] of the batch')
  tester:assertErrorPattern(function() torch.cholesky(-bad) end, 'not positive definite .* in matrix %[1%] of the batch')
  -- types and devices
  tester:assertErrorPattern(function() torch.inverse(torch.eye(3):long():cuda()) end,
                            'torch%.inverse: A must be a CudaTensor or CudaDoubleTensor, got LongTensor')
  tester:assertErrorPattern(function() torch.gesv(torch.ones(3, 1):double(), torch.eye(3):double():cuda()) end,
                            'torch%.gesv: B is on cpu and A is on cuda:%d+, expected one device')
  tester:assertErrorPattern(function() torch.gesv(torch.ones(2, 3, 1):double(), batch('torch.DoubleTensor', 2, 3, 3):cuda()) end,
                            'torch%.gesv: B is on cpu and A is on cuda')
  tester:assertErrorPattern(function() torch.potrs(torch.ones(3):double():cuda(), torch.eye(3):double()) end,
                            'torch%.potrs: B is on cuda:%d+ and chol is on cpu')
  tester:assertErrorPattern(function() torch.trtrs(torch.ones(3):cuda(), torch.eye(3)) end, 'torch%.trtrs: B is on cuda')
  tester:assertErrorPattern(function() torch.gels(torch.ones(3):cuda(), torch.eye(3)) end, 'torch%.gels: B is on cuda')
  tester:assertErrorPattern(function() torch.inverse(torch.DoubleTensor(), torch.eye(3):double():cuda()) end,
                            'torch%.inverse: result tensor res is on cpu, expected a tensor on cuda')
  tester:assertErrorPattern(function() torch.gesv(torch.DoubleTensor(), torch.CudaDoubleTensor(), g(torch.ones(3, 1)), g(torch.eye(3))) end,
                            'torch%.gesv: result tensor resb is on cpu')
  tester:assertErrorPattern(function() torch.pstrf(torch.CudaDoubleTensor(), torch.IntTensor(), g(torch.eye(3))) end,
                            'torch%.pstrf: the pivot result tensor must be a CudaIntTensor')
end

---------------------------------------------------------------------------------------
-- gradients: CUDA backward against CPU backward, same inputs and output gradients
---------------------------------------------------------------------------------------

-- f on CPU double leaves and on their GPU copies; the outputs and every input's gradient
-- compared (a 0-dim output: backward() with no gradient)
local function both(f, inputs, what)
  local ci, gi = {}, {}
  for i, t in ipairs(inputs) do
    ci[i] = t:clone():setRequiresGrad()
    gi[i] = t:cuda():setRequiresGrad()
  end
  local yc, yg = f(table.unpack(ci)), f(table.unpack(gi))
  close(yg, yc, what .. ' forward')
  if yc:dim() == 0 then
    yc:backward()
    yg:backward()
  else
    local go = torch.randn(yc:size()):double()
    yc:backward(go)
    yg:backward(go:cuda())
  end
  for i = 1, #inputs do
    tester:assert(gi[i].grad ~= nil, what .. ': gradient of input ' .. i)
    if gi[i].grad then close(gi[i].grad, ci[i].grad, what .. ' grad of input ' .. i) end
  end
end
local function sym(x) return (x + x:transpose(x:dim() - 1, x:dim())) * 0.5 end

function T.gradients()
  torch.manualSeed(7)
  local D = 'torch.DoubleTensor'
  for _, n in ipairs{1, 3, 5} do
    local a = general(n, D)
    both(function(x) return torch.det(x) end, {a}, 'det n=' .. n)
    both(function(x) return torch.logdet(x) end, {spd(n, D)}, 'logdet n=' .. n)
    both(function(x) local _, l = torch.slogdet(x); return l end, {a}, 'slogdet n=' .. n)
    both(function(x) return torch.inverse(x) end, {a}, 'inverse n=' .. n)
    both(function(b, x) return (torch.gesv(b, x)) end, {torch.randn(n, 2):double(), a}, 'gesv n=' .. n)
    both(function(b, x) return (torch.solve(b, x)) end, {torch.randn(n):double(), a}, 'solve vector n=' .. n)
    both(function(x) return torch.cholesky(sym(x)) end, {spd(n, D)}, 'cholesky n=' .. n)
    both(function(x) return torch.cholesky(sym(x), true) end, {spd(n, D)}, 'cholesky upper n=' .. n)
    both(function(x) return torch.potrf(sym(x), 'L') end, {spd(n, D)}, 'potrf L n=' .. n)
  end
  -- non-contiguous leaves' values through transposed views
  both(function(x) return torch.inverse(x:t()) end, {general(4, D)}, 'inverse of a transposed view')
  both(function(x) return torch.det(x:t()) end, {general(4, D)}, 'det of a transposed view')
  -- batches
  local A = batch(D, 2, 3, 3)
  both(function(x) return torch.inverse(x) end, {A}, 'batched inverse')
  both(function(x) return torch.det(x) end, {A}, 'batched det')
  both(function(x) local _, l = torch.slogdet(x); return l end, {A}, 'batched slogdet')
  both(function(x) return torch.logdet(torch.matmul(x, x:transpose(2, 3))) end, {A}, 'batched logdet')
  both(function(b, x) return (torch.solve(b, x)) end, {torch.randn(2, 3, 2):double(), A}, 'batched solve')
  local S = torch.matmul(A, A:transpose(2, 3))
  both(function(x) return torch.cholesky(sym(x)) end, {S}, 'batched cholesky')
  -- det at a singular matrix: the cofactors (an SVD on a CPU copy), by hand and vs the CPU
  local sg = torch.DoubleTensor{{1, 2, 3}, {2, 4, 6}, {1, 0, 1}}
  both(function(x) return torch.det(x) end, {sg}, 'det at a singular matrix')
  local x = sg:cuda():setRequiresGrad()
  torch.det(x):backward()
  close(x.grad, torch.DoubleTensor{{4, 4, -4}, {-2, -2, 2}, {0, 0, 0}}, 'singular: cofactors by hand', 1e-12)
  local Z = A:clone()
  Z[2]:zero()
  Z[2][1][1], Z[2][2][2] = 2, 3
  both(function(x) return torch.det(x) end, {Z}, 'batched det with a singular matrix')
  -- finite differences on the GPU (first and second order), in float64
  local function G(t) return t:cuda():setRequiresGrad() end
  local function lift(f) return function(...) return f(...) + torch.zeros(1):double():cuda() end end
  local function check(f, inputs, what)
    local good, msg = torch.gradcheck(f, inputs)
    tester:assert(good, what .. ': ' .. tostring(msg))
  end
  local function check2(f, inputs, what)
    local good, msg = torch.gradgradcheck(function(...) return torch.enableGrad(f, ...) end, inputs)
    tester:assert(good, what .. ' (second order): ' .. tostring(msg))
  end
  check(lift(function(x) return torch.det(x) end), {G(general(3, D))}, 'gradcheck det')
  check(lift(function(x) return torch.logdet(x) end), {G(spd(3, D))}, 'gradcheck logdet')
  check(function(x) return torch.inverse(x) end, {G(general(3, D))}, 'gradcheck inverse')
  check(function(b, x) return (torch.gesv(b, x)) end, {G(torch.randn(3, 2):double()), G(general(3, D))}, 'gradcheck gesv')
  check(function(x) return torch.cholesky(sym(x)) end, {G(spd(3, D))}, 'gradcheck cholesky')
  check2(lift(function(x) return torch.det(x) end), {G(general(3, D))}, 'det')
  check2(function(x) return torch.inverse(x) end, {G(general(3, D))}, 'inverse')
  check2(function(x) return torch.cholesky(sym(x)) end, {G(spd(3, D))}, 'cholesky')
  -- float on the GPU too
  local af = general(4, 'torch.FloatTensor')
  local xf = af:cuda():setRequiresGrad()
  torch.inverse(xf):sum():backward()
  local xc = af:clone():setRequiresGrad()
  torch.inverse(xc):sum():backward()
  close(xf.grad, xc.grad, 'float inverse gradient', 1e-3)
end

-- cuSOLVER is what runs here (unless switched off): a silent fall back to host copies
-- would pass every other test
function T.solver_in_use()
  local on, why = torch.cuda.solverAvailable()
  if os.getenv('LT_CUSOLVER') == 'none' then
    tester:assert(not on and tostring(why):find('LT_CUSOLVER=none') ~= nil, 'LT_CUSOLVER=none: host copies')
  else
    tester:assert(on, 'cuSOLVER in use: ' .. tostring(why))
  end
end

-- trtrs runs in IEEE float32 whatever setTF32 chose for products (trsm's blocks are
-- gemms: with TF32 the error would be near 1e-3), and leaves the setting as it was
function T.trtrs_ignores_tf32()
  torch.manualSeed(8)
  local n = 512
  local u = torch.potrf(spd(n, 'torch.DoubleTensor'))
  local b = torch.randn(n, 4):double()
  local ref = torch.trtrs(b, u)
  local was = torch.cuda.getTF32()
  torch.cuda.setTF32(true)
  local ok, x = pcall(torch.trtrs, b:float():cuda(), u:float():cuda())
  local still = torch.cuda.getTF32()
  torch.cuda.setTF32(was)
  tester:assert(ok, 'trtrs with TF32 on: ' .. tostring(x))
  tester:assert(still == true, 'trtrs leaves TF32 on')
  if ok then close(x, ref, 'float trtrs 512 with TF32 on', 1e-4) end
end

-- sizes where cuSOLVER's blocked code and workspaces are used (float64, against the CPU;
-- identities where the factors are unique only up to sign)
function T.large_matrices()
  torch.manualSeed(7)
  local n, tp = 300, 'torch.DoubleTensor'
  local a, s, b = general(n, tp), spd(n, tp), torch.randn(n, 3):double()
  local ga, gs, gb = a:cuda(), s:cuda(), b:cuda()
  close(torch.gesv(gb, ga), torch.gesv(b, a), 'gesv 300', 1e-8)
  close(torch.inverse(ga), torch.inverse(a), 'inverse 300', 1e-8)
  local u = torch.potrf(gs)
  close(u, torch.potrf(s), 'potrf 300', 1e-8)
  close(torch.potri(u), torch.potri(torch.potrf(s)), 'potri 300', 1e-8)
  close(torch.potrs(gb, u), torch.potrs(b, torch.potrf(s)), 'potrs 300', 1e-8)
  num_close(torch.logdet(gs), torch.logdet(s), 'logdet 300', 1e-10)
  close(torch.trtrs(gb, u), torch.trtrs(b, torch.potrf(s)), 'trtrs 300', 1e-8)
  local e, v = torch.symeig(gs, 'V')
  local ce = torch.symeig(s)
  close(e, ce, 'symeig 300 values', 1e-9)
  close(gs * v, v * torch.diag(e), 'symeig 300: A V = V diag(e)', 1e-8)
  for _, shape in ipairs{{300, 120}, {120, 300}} do
    local m = torch.randn(shape[1], shape[2]):double()
    local U, S, V = torch.svd(m:cuda())
    close(S, select(2, torch.svd(m)), 'svd ' .. shape[1] .. 'x' .. shape[2] .. ' values', 1e-9)
    close(U * torch.diag(S) * V:t(), m, 'svd ' .. shape[1] .. 'x' .. shape[2] .. ': U S V^T = A', 1e-9)
    local q, r = torch.qr(m:cuda())
    close(q * r, m, 'qr ' .. shape[1] .. 'x' .. shape[2] .. ': Q R = A', 1e-9)
    close(q:t() * q, torch.eye(q:size(2)):double(), 'qr: orthonormal columns', 1e-9)
  end
end

tester:add(T)
return tester
