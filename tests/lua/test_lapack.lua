-- Linear systems and factorizations through LAPACK (tensor/lapack.c, bindings/lapack.c):
-- gesv, solve, trtrs, gels, inverse, potrf/potrs/potri, pstrf, cholesky, det, logdet,
-- slogdet. Identities on several sizes and conditionings in float and double, Torch7's
-- documented examples, the result-tensor and method forms, non-contiguous inputs, the
-- errors, and the gradients (gradcheck in double, and by hand).
local tester = torch.Tester()
local T = torch.TestSuite()

torch.manualSeed(11)

local types = {'torch.DoubleTensor', 'torch.FloatTensor'}
local function tol(tp, double, float) return tp == 'torch.DoubleTensor' and double or float end
local function eye(n, tp) return torch.eye(n):type(tp) end

-- an n x n matrix with condition number about `cond` (double): Q diag(s) R with Q, R
-- orthogonal (from QR-free Gram-Schmidt of random matrices) and s from 1 down to 1/cond
local function orth(n)
  local q = torch.randn(n, n):double()
  for j = 1, n do
    local c = q:select(2, j)
    for i = 1, j - 1 do c:add(-c:dot(q:select(2, i)), q:select(2, i)) end
    c:div(c:norm())
  end
  return q
end
local function conditioned(n, cond, tp)
  local s = torch.DoubleTensor(n)
  for i = 1, n do s[i] = n == 1 and 1 or cond ^ (-(i - 1) / (n - 1)) end
  return (orth(n) * torch.diag(s) * orth(n)):type(tp)
end
-- a well-conditioned general matrix and a symmetric positive-definite one
local function general(n, tp) return (torch.randn(n, n):double() + eye(n, 'torch.DoubleTensor') * n):type(tp) end
local function spd(n, tp)
  local m = torch.randn(n, n):double()
  return (m * m:t() + eye(n, 'torch.DoubleTensor') * n):type(tp)
end

-- the same matrix in three layouts: contiguous, transposed view, narrowed view
local function layouts(a)
  local t = a:t():clone():t()
  local big = a.new(a:size(1) + 2, a:size(2) + 3):zero()
  local nv = big:narrow(1, 2, a:size(1)):narrow(2, 3, a:size(2))
  nv:copy(a)
  return {contiguous = a, transposed = t, narrowed = nv}
end

local function maxdiff(a, b) return (a:double() - b:double()):abs():max() end

-- Torch7's documented examples (maths.md)
local docA = torch.Tensor({{6.80, -2.11, 5.66, 5.97, 8.23},
                           {-6.05, -3.30, 5.36, -4.44, 1.08},
                           {-0.45, 2.58, -2.70, 0.27, 9.04},
                           {8.32, 2.71, 4.35, -7.17, 2.14},
                           {-9.67, -5.14, -7.26, 6.08, -6.87}}):t():double()
local docB = torch.Tensor({{4.02, 6.19, -8.22, -7.57, -3.03},
                           {-1.56, 4.00, -8.67, 1.75, 2.86},
                           {9.81, -4.09, -4.57, -8.61, 8.99}}):t():double()

---------------------------------------------------------------------------------------
-- gesv / solve
---------------------------------------------------------------------------------------

function T.gesv_doc_example()
  local x, lu = torch.gesv(docB, docA)
  local want = torch.Tensor({{-0.8007, -0.3896, 0.9555}, {-0.6952, -0.5544, 0.2207},
                             {0.5939, 0.8422, 1.9006}, {1.3217, -0.1038, 5.3577},
                             {0.5658, 0.1057, 4.0406}}):double()
  tester:assertlt(maxdiff(x, want), 1e-4, 'Torch7 example solution')
  tester:assertlt(docB:dist(docA * x), 1e-12, 'A X = B')
  tester:asserteq(lu:size(1), 5)
  tester:asserteq(lu:stride(1), 1, 'LU is column-major')
  tester:asserteq(lu:stride(2), 5, 'LU is column-major')
  tester:asserteq(x:stride(1), 1, 'X is column-major')
  -- |det A| is the product of U's diagonal
  local p = 1
  for i = 1, 5 do p = p * lu[i][i] end
  tester:assertalmosteq(math.abs(p), math.abs(torch.det(docA)), 1e-8 * math.abs(p))
end

function T.gesv_identities()
  for _, tp in ipairs(types) do
    for _, n in ipairs{1, 2, 5, 17, 33} do
      for _, k in ipairs{1, 3} do
        for cname, cond in pairs{well = 10, ill = 1e4} do
          local a = conditioned(n, cond, tp)
          local b = torch.randn(n, k):type(tp)
          local a0, b0 = a:clone(), b:clone()
          local la, lb = layouts(a), layouts(b)
          for _, pair in ipairs{{'contiguous', 'contiguous'}, {'transposed', 'narrowed'},
                                {'narrowed', 'transposed'}} do
            local lname, bname = pair[1], pair[2]
            local al, bl = la[lname], lb[bname]
            do
              local x, lu = torch.gesv(bl, al)
              local what = string.format('%s n=%d k=%d %s A %s B %s', tp, n, k, cname, lname, bname)
              tester:asserteq(x:type(), tp, what .. ': type')
              tester:assert(x:isSameSizeAs(b) and lu:isSameSizeAs(a), what .. ': sizes')
              -- the residual, relative to the sizes involved
              local r = maxdiff(a:double() * x:double(), b) / (1 + torch.abs(a:double()):max() * torch.abs(x:double()):max())
              tester:assertlt(r, tol(tp, 1e-13, 2e-5) * n, what .. ': A X = B')
            end
          end
          tester:eq(a, a0, 0, 'A unchanged')
          tester:eq(b, b0, 0, 'B unchanged')
        end
      end
    end
  end
end

function T.gesv_vector_rhs()
  for _, tp in ipairs(types) do
    local a = general(6, tp)
    local b = torch.randn(6):type(tp)
    local x = torch.gesv(b, a)
    tester:asserteq(x:dim(), 1, 'a vector B gives a vector X')
    tester:asserteq(x:size(1), 6)
    tester:assertlt(maxdiff(torch.mv(a, x), b), tol(tp, 1e-12, 1e-4), tp .. ' A x = b')
    -- a strided vector
    local bs = torch.randn(12):type(tp):narrow(1, 1, 12):unfold(1, 1, 2):select(2, 1)
    local xs = torch.gesv(bs, a)
    tester:assertlt(maxdiff(torch.mv(a, xs), bs), tol(tp, 1e-12, 1e-4), tp .. ' strided b')
  end
end

function T.gesv_result_forms()
  local a, b = general(4, 'torch.DoubleTensor'), torch.randn(4, 2):double()
  local a0, b0 = a:clone(), b:clone()
  local xw, luw = torch.gesv(b, a)
  -- fresh result tensors: returned, column-major
  local rb, ra = torch.DoubleTensor(), torch.DoubleTensor()
  local x, lu = torch.gesv(rb, ra, b, a)
  tester:assert(x == rb and lu == ra, 'the result tensors are returned')
  tester:eq(rb, xw, 1e-14, 'resb holds X')
  tester:eq(ra, luw, 1e-14, 'resa holds LU')
  tester:asserteq(rb:stride(1), 1, 'resb column-major')
  tester:asserteq(rb:stride(2), 4, 'resb column-major')
  tester:eq(a, a0, 0, 'A unchanged')
  tester:eq(b, b0, 0, 'B unchanged')
  -- reused on a second call of the same sizes
  torch.gesv(rb, ra, b * 2, a)
  tester:eq(rb, xw * 2, 1e-13, 'reused resb')
  tester:asserteq(rb:stride(2), 4, 'still column-major')
  -- result tensors of the right size but another layout are written in place
  local big = torch.zeros(4, 5):double()
  local view = big:narrow(2, 2, 2)
  torch.gesv(view, torch.DoubleTensor(), b, a)
  tester:eq(big:narrow(2, 2, 2), xw, 1e-14, 'written through the view')
  tester:eq(big:select(2, 1), torch.zeros(4):double(), 0, 'the rest untouched')
  -- in place, Torch7's torch.gesv(b, a, b, a)
  local bb, aa = b:clone(), a:clone()
  torch.gesv(bb, aa, bb, aa)
  tester:eq(bb, xw, 1e-13, 'in place: b holds X')
  tester:eq(aa, luw, 1e-13, 'in place: a holds LU')
  -- method form: b:gesv(a) makes new tensors, rb:gesv(ra, b, a) fills them
  local xm = b:gesv(a)
  tester:eq(xm, xw, 1e-14, 'method form')
  tester:eq(b, b0, 0, 'method form leaves b alone')
  local r1, r2 = torch.DoubleTensor(), torch.DoubleTensor()
  local y = r1:gesv(r2, b, a)
  tester:assert(y == r1, 'method result form returns self')
  tester:eq(r1, xw, 1e-14)
  -- solve: PyTorch's torch.solve(B, A) -> X, LU
  local xs, lus = torch.solve(b, a)
  tester:eq(xs, xw, 0, 'solve = gesv')
  tester:eq(lus, luw, 0, 'solve LU')
end

function T.gesv_errors()
  local sing = torch.DoubleTensor{{1, 2, 3}, {2, 4, 7}, {1, 2, 5}}   -- rank 2: U(3,3) is 0
  local s2 = torch.DoubleTensor{{1, 0, 0}, {0, 1, 0}, {0, 0, 0}}
  tester:assertErrorPattern(function() torch.gesv(torch.ones(3, 1):double(), s2) end,
                            'torch%.gesv: the matrix A is singular %(U%(3,3%) is zero%)')
  tester:assertErrorPattern(function() torch.gesv(torch.ones(3):double(), sing) end, 'singular')
  tester:assertErrorPattern(function() torch.gesv(torch.ones(3):double(), torch.zeros(3, 3):double()) end,
                            'U%(1,1%) is zero')
  tester:assertErrorPattern(function() torch.gesv(torch.ones(3, 2):double(), torch.ones(3, 2):double()) end,
                            'torch%.gesv: A must be a square matrix')
  tester:assertErrorPattern(function() torch.gesv(torch.ones(4, 2):double(), torch.eye(3):double()) end,
                            'torch%.gesv: B of size 4x2 does not match A of size 3x3')
  tester:assertErrorPattern(function() torch.gesv(torch.ones(3, 2, 1):double(), torch.eye(3):double()) end,
                            'torch%.gesv: B must be a vector or a 2%-D matrix')
  tester:assertErrorPattern(function() torch.gesv(torch.ones(3, 2):double(), torch.ones(3):double()) end,
                            'torch%.gesv: A must be a 2%-D matrix')
  tester:assertErrorPattern(function() torch.gesv(torch.ones(3, 1):long(), torch.eye(3):long()) end,
                            'torch%.gesv: A must be a FloatTensor or DoubleTensor, got LongTensor')
  tester:assertErrorPattern(function() torch.gesv(torch.ones(3, 1):float(), torch.eye(3):double()) end,
                            'torch%.gesv: B is FloatTensor and A is DoubleTensor')
  tester:assertErrorPattern(function() torch.gesv(torch.FloatTensor(), torch.DoubleTensor(), torch.ones(3, 1):double(), torch.eye(3):double()) end,
                            'torch%.gesv: result tensor resb is FloatTensor, expected DoubleTensor')
  tester:assertErrorPattern(function() torch.gesv(torch.eye(3):double()) end, 'torch%.gesv')
  local same = torch.DoubleTensor()
  tester:assertErrorPattern(function() torch.gesv(same, same, torch.ones(3, 1):double(), torch.eye(3):double()) end,
                            'torch%.gesv: resb and resa must be different tensors')
  tester:assertErrorPattern(function() torch.solve(torch.ones(3):double(), s2) end, 'torch%.solve: the matrix A is singular')
end

---------------------------------------------------------------------------------------
-- trtrs
---------------------------------------------------------------------------------------

function T.trtrs_doc_example()
  local a = torch.Tensor({{6.80, -2.11, 5.66, 5.97, 8.23}, {0, -3.30, 5.36, -4.44, 1.08},
                          {0, 0, -2.70, 0.27, 9.04}, {0, 0, 0, -7.17, 2.14},
                          {0, 0, 0, 0, -6.87}}):double()
  local x = torch.trtrs(docB, a)
  local want = torch.Tensor({{-3.5416, -0.2514, 3.0847}, {4.2072, 2.0391, -4.5146},
                             {4.6399, 1.7804, -2.6077}, {1.1874, -0.3683, 0.8103},
                             {0.4410, -0.4163, -1.3086}}):double()
  tester:assertlt(maxdiff(x, want), 1e-4, 'Torch7 example')
  tester:assertlt(docB:dist(a * x), 1e-12)
end

function T.trtrs_options()
  for _, tp in ipairs(types) do
    for _, n in ipairs{1, 4, 9} do
      local full = general(n, tp)
      local b = torch.randn(n, 2):type(tp)
      for _, uplo in ipairs{'U', 'L'} do
        for _, trans in ipairs{'N', 'T'} do
          for _, diag in ipairs{'N', 'U'} do
            -- only the uplo triangle is read, and with diag 'U' not even its diagonal
            local tri = uplo == 'U' and torch.triu(full) or torch.tril(full)
            if diag == 'U' then tri = tri - torch.diag(torch.diag(tri)) + eye(n, tp) end
            local op = trans == 'T' and tri:t() or tri
            for lname, al in pairs(layouts(full)) do
              local x = torch.trtrs(b, al, uplo, trans, diag)
              tester:assertlt(maxdiff(op * x, b), tol(tp, 1e-11, 1e-3),
                              string.format('%s n=%d %s%s%s %s', tp, n, uplo, trans, diag, lname))
            end
          end
        end
      end
    end
  end
  -- the result forms and the copy of A
  local a = torch.triu(general(3, 'torch.DoubleTensor'))
  local b = torch.randn(3):double()
  local rb, ra = torch.DoubleTensor(), torch.DoubleTensor()
  local x, ac = torch.trtrs(rb, ra, b, a, 'U')
  tester:assert(x == rb and ac == ra, 'result tensors returned')
  tester:eq(ra, a, 0, 'resa holds A')
  tester:assertlt(maxdiff(torch.mv(a, rb), b), 1e-12)
  tester:eq(b:trtrs(a), rb, 1e-14, 'method form')
end

function T.trtrs_errors()
  local a = torch.DoubleTensor{{1, 2, 3}, {0, 1, 5}, {0, 0, 0}}
  tester:assertErrorPattern(function() torch.trtrs(torch.ones(3):double(), a) end,
                            'torch%.trtrs: the triangular matrix A is singular %(A%(3,3%) is zero%)')
  tester:assertNoError(function() torch.trtrs(torch.ones(3):double(), a, 'U', 'N', 'U') end,
                       'a unit diagonal is not read')
  tester:assertErrorPattern(function() torch.trtrs(torch.ones(3):double(), a, 'X') end, 'uplo must be')
  tester:assertErrorPattern(function() torch.trtrs(torch.ones(3):double(), a, 'U', 'C') end, 'trans must be')
  tester:assertErrorPattern(function() torch.trtrs(torch.ones(3):double(), a, 'U', 'N', 5) end, 'diag must be')
  tester:assertErrorPattern(function() torch.trtrs(torch.ones(3):int(), a:int()) end, 'FloatTensor or DoubleTensor')
end

---------------------------------------------------------------------------------------
-- gels
---------------------------------------------------------------------------------------

function T.gels_doc_example()
  local a = torch.Tensor({{1.44, -9.96, -7.55, 8.34, 7.08, -5.45},
                          {-7.84, -0.28, 3.24, 8.09, 2.52, -5.70},
                          {-4.39, -3.24, 6.27, 5.28, 0.74, -1.19},
                          {4.53, 3.83, -6.64, 2.06, -2.47, 4.70}}):t():double()
  local b = torch.Tensor({{8.58, 8.26, 8.48, -5.28, 5.72, 8.93},
                          {9.35, -4.43, -0.70, -0.26, -7.36, -2.52}}):t():double()
  local x = torch.gels(b, a)
  local want = torch.Tensor({{-0.4506, 0.2497}, {-0.8492, -0.9020}, {0.7066, 0.6323},
                             {0.1289, 0.1351}, {13.1193, -7.4922}, {-4.8214, -7.1361}}):double()
  tester:assertlt(maxdiff(x, want), 1e-4, 'Torch7 example')
  local res = b:dist(a * x:narrow(1, 1, 4))
  tester:assertalmosteq(res, 17.390200628863, 1e-6, 'residual (Torch7 example)')
  tester:assertalmosteq(math.sqrt(x:narrow(1, 5, 2):clone():pow(2):sum()), res, 1e-10, 'residual from the extra rows')
end

function T.gels_least_squares()
  for _, tp in ipairs(types) do
    for _, s in ipairs{{6, 4}, {10, 3}, {5, 5}, {30, 7}} do
      local m, n = s[1], s[2]
      local a = torch.randn(m, n):type(tp)
      local b = torch.randn(m, 2):type(tp)
      for lname, al in pairs(layouts(a)) do
        local x = torch.gels(b, al)
        tester:asserteq(x:size(1), m, 'x has max(m, n) rows')
        local sol = x:narrow(1, 1, n)
        local r = (a:double() * sol:double() - b:double())
        -- the residual is orthogonal to A's columns (the normal equations)
        tester:assertlt((a:double():t() * r):abs():max(), tol(tp, 1e-11, 1e-3),
                        string.format('%s %dx%d %s: A^T (A x - b) = 0', tp, m, n, lname))
        if m > n then
          local rn = math.sqrt(torch.pow(x:double():narrow(1, n + 1, m - n), 2):sum(1):sum())
          tester:assertalmosteq(rn, r:norm(), tol(tp, 1e-10, 1e-3), 'residual norm from the extra rows')
        end
      end
      -- a vector right-hand side
      local xv = torch.gels(b:select(2, 1), a)
      tester:asserteq(xv:dim(), 1)
      tester:assertlt(maxdiff(xv:narrow(1, 1, n), torch.gels(b, a):select(2, 1):narrow(1, 1, n)), tol(tp, 1e-12, 1e-4))
    end
  end
end

function T.gels_least_norm()
  for _, tp in ipairs(types) do
    for _, s in ipairs{{3, 5}, {4, 9}, {1, 3}} do
      local m, n = s[1], s[2]
      local a = torch.randn(m, n):type(tp)
      local b = torch.randn(m, 2):type(tp)
      local x = torch.gels(b, a)
      tester:asserteq(x:size(1), n)
      tester:assertlt(maxdiff(a * x, b), tol(tp, 1e-12, 1e-4), tp .. ' A x = b exactly')
      -- the least-norm solution is A^T (A A^T)^-1 b
      local ad = a:double()
      local want = ad:t() * torch.gesv(b:double(), ad * ad:t())
      tester:assertlt(maxdiff(x, want), tol(tp, 1e-10, 1e-3), tp .. ' least norm')
    end
  end
  -- result forms
  local a, b = torch.randn(3, 5):double(), torch.randn(3, 1):double()
  local rb, ra = torch.DoubleTensor(), torch.DoubleTensor()
  local x, qr = torch.gels(rb, ra, b, a)
  tester:assert(x == rb and qr == ra, 'result tensors returned')
  tester:asserteq(ra:size(1), 3)
  tester:asserteq(ra:size(2), 5)
end

function T.gels_errors()
  local a = torch.DoubleTensor{{1, 0}, {2, 0}, {3, 0}}   -- rank 1: R(2,2) is exactly 0
  tester:assertErrorPattern(function() torch.gels(torch.ones(3):double(), a) end,
                            'torch%.gels: A does not have full rank')
  tester:assertErrorPattern(function() torch.gels(torch.ones(4):double(), torch.randn(3, 2):double()) end,
                            'torch%.gels: B of size 4 does not match A of size 3x2')
  tester:assertErrorPattern(function() torch.gels(torch.ones(3):short(), a:short()) end, 'FloatTensor or DoubleTensor')
end

---------------------------------------------------------------------------------------
-- inverse
---------------------------------------------------------------------------------------

function T.inverse_identities()
  for _, tp in ipairs(types) do
    for _, n in ipairs{1, 2, 5, 17, 40} do
      for cname, cond in pairs{well = 10, ill = tp == 'torch.DoubleTensor' and 1e8 or 1e3} do
        local a = conditioned(n, cond, tp)
        for lname, al in pairs(layouts(a)) do
          local y = torch.inverse(al)
          local err = maxdiff(a:double() * y:double(), torch.eye(n):double())
          tester:assertlt(err, tol(tp, 1e-15, 1e-6) * cond * n * 10,
                          string.format('%s n=%d %s %s: A inverse(A) = I (%g)', tp, n, cname, lname, err))
        end
      end
    end
  end
  -- by hand
  local y = torch.inverse(torch.DoubleTensor{{4, 7}, {2, 6}})
  tester:eq(y, torch.DoubleTensor{{0.6, -0.7}, {-0.2, 0.4}}, 1e-15, '2x2 by hand')
  -- forms: torch.inverse(y, x) and x:inverse()
  local x = general(4, 'torch.DoubleTensor')
  local res = torch.DoubleTensor()
  tester:assert(torch.inverse(res, x) == res, 'torch.inverse(res, x) returns res')
  tester:asserteq(res:stride(1), 1, 'column-major (Torch7)')
  tester:eq(res, x:inverse(), 0, 'method form')
  tester:eq(x:inverse():inverse(), x, 1e-12, 'inverse of the inverse')
  local xx = x:clone()
  torch.inverse(xx, xx)
  tester:eq(xx, res, 1e-14, 'in place')
  -- 0 x 0
  tester:asserteq(torch.inverse(torch.DoubleTensor(0, 0)):nElement(), 0)
end

function T.inverse_errors()
  tester:assertErrorPattern(function() torch.inverse(torch.DoubleTensor{{1, 2}, {2, 4}}) end,
                            'torch%.inverse: the matrix is singular %(U%(2,2%) is zero%)')
  tester:assertErrorPattern(function() torch.inverse(torch.randn(2, 3):double()) end,
                            'torch%.inverse: A must be a square matrix, got size 2x3')
  tester:assertErrorPattern(function() torch.inverse(torch.randn(3):double()) end, 'must be a 2%-D matrix')
  tester:assertErrorPattern(function() torch.inverse(torch.LongTensor{{1, 0}, {0, 1}}) end,
                            'torch%.inverse: A must be a FloatTensor or DoubleTensor, got LongTensor')
  tester:assertErrorPattern(function() torch.inverse(torch.ByteTensor(2, 2)) end, 'got ByteTensor')
end

---------------------------------------------------------------------------------------
-- Cholesky: potrf, potrs, potri, pstrf, cholesky
---------------------------------------------------------------------------------------

local docS = torch.Tensor({{1.2705, 0.9971, 0.4948, 0.1389, 0.2381},
                           {0.9971, 0.9966, 0.6752, 0.0686, 0.1196},
                           {0.4948, 0.6752, 1.1434, 0.0314, 0.0582},
                           {0.1389, 0.0686, 0.0314, 0.0270, 0.0526},
                           {0.2381, 0.1196, 0.0582, 0.0526, 0.3957}}):double()

function T.potrf_identities()
  for _, tp in ipairs(types) do
    for _, n in ipairs{1, 3, 8, 25} do
      local a = spd(n, tp)
      for lname, al in pairs(layouts(a)) do
        local u = torch.potrf(al)
        local l = torch.potrf(al, 'L')
        local what = string.format('%s n=%d %s', tp, n, lname)
        tester:eq(u, torch.triu(u), 0, what .. ': U is upper triangular')
        tester:eq(l, torch.tril(l), 0, what .. ': L is lower triangular')
        local scale = torch.abs(a):max()
        tester:assertlt(maxdiff(u:t() * u, a) / scale, tol(tp, 1e-14, 1e-6) * n, what .. ': U^T U = A')
        tester:assertlt(maxdiff(l * l:t(), a) / scale, tol(tp, 1e-14, 1e-6) * n, what .. ': L L^T = A')
        tester:assertlt(maxdiff(l, u:t()), tol(tp, 1e-12, 1e-4), what .. ': L = U^T')
        tester:assert(torch.diag(u):min() > 0, what .. ': positive diagonal')
      end
    end
  end
  -- Torch7's example (its printed A is rounded, so 3 digits)
  local u = torch.potrf(docS)
  tester:assertalmosteq(u[1][1], 1.1272, 1e-4)
  tester:assertalmosteq(u[1][2], 0.8846, 1e-4)
  tester:assertalmosteq(u[3][3], 0.7525, 1e-4)
  -- result form: torch.potrf(chol, A, 'L'), the method form
  local chol = torch.DoubleTensor()
  tester:assert(torch.potrf(chol, docS, 'L') == chol)
  tester:eq(chol, u:t(), 1e-14, 'potrf(res, A, L)')
  tester:eq(docS:potrf(), u, 0, 'method form')
end

function T.potrs_potri()
  for _, tp in ipairs(types) do
    for _, n in ipairs{1, 4, 12} do
      local a = spd(n, tp)
      local b = torch.randn(n, 3):type(tp)
      for _, uplo in ipairs{'U', 'L'} do
        local c = torch.potrf(a, uplo)
        local x = torch.potrs(b, c, uplo)
        tester:assertlt(maxdiff(a * x, b), tol(tp, 1e-12, 1e-4), tp .. ' potrs ' .. uplo .. ': A X = B')
        local xv = torch.potrs(b:select(2, 2), c, uplo)
        tester:asserteq(xv:dim(), 1)
        tester:assertlt(maxdiff(xv, x:select(2, 2)), tol(tp, 1e-13, 1e-5), 'vector right-hand side')
        local inv = torch.potri(c, uplo)
        tester:eq(inv, inv:t(), 0, tp .. ' potri ' .. uplo .. ': symmetric')
        tester:assertlt(maxdiff(inv * a, torch.eye(n)), tol(tp, 1e-12, 1e-4), tp .. ' potri ' .. uplo .. ': inverse')
      end
    end
  end
  -- Torch7's example: potri against inverse
  local chol = torch.potrf(docS)
  tester:assertlt(torch.potri(chol):dist(torch.inverse(docS)), 1e-9)
  local res = torch.DoubleTensor()
  tester:assert(torch.potrs(res, torch.ones(5, 2):double(), chol) == res, 'potrs(res, ...)')
  tester:assertlt(maxdiff(docS * res, torch.ones(5, 2)), 1e-10)
  tester:assertErrorPattern(function() torch.potrs(torch.ones(4):double(), chol) end,
                            'torch%.potrs: B of size 4 does not match chol of size 5x5')
  tester:assertErrorPattern(function() torch.potri(torch.zeros(3, 3):double()) end,
                            'torch%.potri: the Cholesky factor is singular')
end

function T.potrf_errors()
  local notpd = torch.DoubleTensor{{1, 2}, {2, 1}}
  tester:assertErrorPattern(function() torch.potrf(notpd) end,
                            'torch%.potrf: the matrix is not positive definite %(its leading minor of order 2')
  tester:assertErrorPattern(function() torch.cholesky(-torch.eye(3):double()) end,
                            'torch%.cholesky: the matrix is not positive definite %(its leading minor of order 1')
  tester:assertErrorPattern(function() torch.potrf(torch.eye(2):double(), 'X') end, "uplo must be 'U' or 'L'")
  tester:assertErrorPattern(function() torch.potrf(torch.randn(2, 3):double()) end, 'must be a square matrix')
  tester:assertErrorPattern(function() torch.potrf(torch.eye(2):int()) end, 'got IntTensor')
end

function T.pstrf()
  for _, tp in ipairs(types) do
    for _, n in ipairs{1, 4, 10} do
      local a = spd(n, tp)
      for _, uplo in ipairs{'U', 'L'} do
        local r, piv = torch.pstrf(a, uplo)
        tester:asserteq(piv:type(), 'torch.IntTensor', 'pivots are an IntTensor')
        tester:eq(piv:clone():sort(), torch.range(1, n):int(), 0, 'pivots are a permutation (1-based)')
        local ap = a:index(1, piv:long()):index(2, piv:long())
        local prod = uplo == 'U' and r:t() * r or r * r:t()
        tester:assertlt(maxdiff(prod, ap) / torch.abs(a):max(), tol(tp, 1e-14, 1e-6) * n,
                        string.format('%s n=%d %s: P^T A P = factors', tp, n, uplo))
        tester:eq(r, uplo == 'U' and torch.triu(r) or torch.tril(r), 0, 'triangular')
      end
    end
  end
  -- the largest diagonal element is pivoted first
  local a = torch.DoubleTensor{{1, 0, 0}, {0, 9, 0}, {0, 0, 4}}
  local r, piv = torch.pstrf(a)
  tester:eq(piv, torch.IntTensor{2, 3, 1}, 0, 'pivot order')
  tester:eq(torch.diag(r), torch.DoubleTensor{3, 2, 1}, 1e-15, 'diagonal')
  -- result forms
  local rr, pp = torch.DoubleTensor(), torch.IntTensor()
  local r2, p2 = torch.pstrf(rr, pp, a)
  tester:assert(r2 == rr and p2 == pp, 'result tensors returned')
  tester:eq(pp, piv, 0)
  tester:assertErrorPattern(function() torch.pstrf(rr, torch.LongTensor(), a) end, 'must be a CPU IntTensor, got LongTensor')
  -- rank deficient
  tester:assertErrorPattern(function() torch.pstrf(torch.DoubleTensor{{1, 1}, {1, 1}}) end,
                            'torch%.pstrf: the matrix is rank deficient or not positive semidefinite %(computed rank 1 of 2%)')
end

function T.cholesky()
  for _, tp in ipairs(types) do
    local a = spd(6, tp)
    local l = torch.cholesky(a)
    tester:eq(l, torch.tril(l), 0, 'lower by default (PyTorch)')
    tester:eq(l, torch.potrf(a, 'L'), 0, 'equals potrf L')
    local u = torch.cholesky(a, true)
    tester:eq(u, torch.potrf(a, 'U'), 0, 'upper = true')
    tester:assertlt(maxdiff(l * l:t(), a) / torch.abs(a):max(), tol(tp, 1e-14, 1e-6) * 6)
    tester:eq(a:cholesky(), l, 0, 'method form')
    local res = a.new()
    tester:assert(torch.cholesky(res, a) == res, 'result form')
    tester:eq(res, l, 0)
  end
  tester:assertErrorPattern(function() torch.cholesky(torch.eye(2):double(), 'U') end, 'boolean expected')
end

---------------------------------------------------------------------------------------
-- det, logdet, slogdet
---------------------------------------------------------------------------------------

function T.det_values()
  local d = torch.det(torch.DoubleTensor{{1, 2}, {3, 4}})
  tester:asserteq(type(d), 'number', 'a number without grad')
  tester:assertalmosteq(d, -2, 1e-14, '2x2 by hand')
  tester:assertalmosteq(torch.det(torch.DoubleTensor{{2, 0, 1}, {1, 3, 2}, {1, 1, 2}}), 6, 1e-14, '3x3 by hand')
  tester:assertalmosteq(torch.det(torch.DoubleTensor{{0, 1, 0}, {0, 0, 1}, {1, 0, 0}}), 1, 0, 'cyclic permutation')
  tester:assertalmosteq(torch.det(torch.DoubleTensor{{0, 1}, {1, 0}}), -1, 0, 'swap')
  tester:asserteq(torch.det(torch.DoubleTensor{{1, 2}, {2, 4}}), 0, 'singular: exactly 0')
  tester:asserteq(torch.det(torch.DoubleTensor(0, 0)), 1, '0x0: 1')
  tester:assertalmosteq(torch.det(torch.FloatTensor{{1, 2}, {3, 4}}), -2, 1e-6, 'float')
  -- triangular: the product of the diagonal; det(AB) = det(A) det(B)
  for _, tp in ipairs(types) do
    local t = torch.triu(general(7, tp))
    local p = 1
    for i = 1, 7 do p = p * t[i][i] end
    tester:assertalmosteq(torch.det(t), p, tol(tp, 1e-12, 1e-5) * math.abs(p), tp .. ' triangular')
    local a, b = general(5, tp), general(5, tp)
    local dab = torch.det(a * b)
    tester:assertalmosteq(dab, torch.det(a) * torch.det(b), tol(tp, 1e-12, 1e-4) * math.abs(dab), tp .. ' det(AB)')
    tester:assertalmosteq(torch.det(a:t()), torch.det(a), tol(tp, 1e-12, 1e-4) * math.abs(dab), tp .. ' det(A^T)')
  end
end

function T.logdet_slogdet()
  local a = torch.DoubleTensor{{1, 2}, {3, 4}}
  local s, l = torch.slogdet(a)
  tester:asserteq(s, -1, 'sign')
  tester:assertalmosteq(l, math.log(2), 1e-15, 'log|det|')
  tester:assert(torch.logdet(a) ~= torch.logdet(a), 'logdet of a negative determinant is NaN')
  tester:asserteq(torch.logdet(torch.DoubleTensor{{1, 2}, {2, 4}}), -math.huge, 'singular: -inf')
  local s0, l0 = torch.slogdet(torch.DoubleTensor{{1, 2}, {2, 4}})
  tester:asserteq(s0, 0)
  tester:asserteq(l0, -math.huge)
  for _, tp in ipairs(types) do
    local m = spd(30, tp) * 10   -- det about 1e60 and up: the log is still exact
    local s2, l2 = torch.slogdet(m)
    tester:asserteq(s2, 1)
    tester:assertalmosteq(torch.logdet(m), l2, 0)
    local c = torch.potrf(m:double())
    local want = 2 * torch.log(torch.diag(c)):sum()
    tester:assertalmosteq(l2, want, tol(tp, 1e-10, 1e-2), tp .. ' logdet = 2 sum log diag(chol)')
  end
  tester:assertErrorPattern(function() torch.det(torch.randn(2, 3):double()) end, 'torch%.det: A must be a square matrix')
  tester:assertErrorPattern(function() torch.logdet(torch.LongTensor(2, 2)) end, 'torch%.logdet: A must be a FloatTensor')
  tester:assertErrorPattern(function() torch.slogdet(torch.ones(3):double()) end, 'torch%.slogdet: A must be a 2%-D matrix')
end

---------------------------------------------------------------------------------------
-- gradients
---------------------------------------------------------------------------------------

-- a fresh double leaf (t:double() of a DoubleTensor is t itself: cloned)
local function leaf(t) return t:double():clone():setRequiresGrad() end
-- a fresh double leaf that is a transposed (non-contiguous) view
local function tleaf(t) return t:double():t():clone():t():setRequiresGrad() end
local function check(f, inputs, what)
  local ok, msg = torch.gradcheck(f, inputs)
  tester:assert(ok, (what or '') .. ': ' .. tostring(msg))
end
local function gradgrad(f, inputs, what)
  local ok, msg = torch.gradgradcheck(function(...) return torch.enableGrad(f, ...) end, inputs)
  tester:assert(ok, (what or '') .. ': ' .. tostring(msg))
end
-- a 0-dim output lifted to one element for gradcheck
local function lift(f) return function(...) return f(...) + torch.zeros(1):double() end end
-- a symmetric positive-definite function of a free matrix (cholesky reads one triangle)
local function sym(x) return (x + x:t()) * 0.5 end

function T.grad_det_logdet_slogdet()
  for _, n in ipairs{1, 2, 4} do
    local a = general(n, 'torch.DoubleTensor')
    check(lift(function(x) return torch.det(x) end), {leaf(a)}, 'det n=' .. n)
    check(lift(function(x) return torch.logdet(x) end), {leaf(spd(n, 'torch.DoubleTensor'))}, 'logdet n=' .. n)
    check(lift(function(x) local _, l = torch.slogdet(x); return l end), {leaf(a)}, 'slogdet n=' .. n)
    check(lift(function(x) return torch.det(x) end), {tleaf(a)}, 'det of a transposed leaf')
  end
  -- by hand: d det / dA = det(A) A^-T
  local a = leaf(torch.DoubleTensor{{2, 1}, {1, 3}})
  local d = torch.det(a)
  tester:assert(torch.isTensor(d) and d:dim() == 0, 'a 0-dim tensor when recorded')
  tester:asserteq(d.gradFn.name, 'DetBackward')
  d:backward()
  tester:eq(a.grad, torch.DoubleTensor{{3, -1}, {-1, 2}}, 1e-14, 'det gradient = cofactors')
  local b = leaf(torch.DoubleTensor{{2, 1}, {1, 3}})
  torch.logdet(b):backward()
  tester:eq(b.grad, torch.DoubleTensor{{3, -1}, {-1, 2}} / 5, 1e-15, 'logdet gradient = A^-T')
  local c = leaf(torch.DoubleTensor{{0, 1}, {1, 0}})
  local s, l = torch.slogdet(c)
  tester:asserteq(s:item(), -1)
  tester:assert(not s.requiresGrad, 'the sign has no gradient')
  l:backward()
  tester:eq(c.grad, torch.DoubleTensor{{0, 1}, {1, 0}}, 1e-15, 'slogdet gradient = A^-T')
  -- at a singular matrix: the cofactors (computed by hand), through the SVD
  local sg = leaf(torch.DoubleTensor{{1, 2, 3}, {2, 4, 6}, {1, 0, 1}})
  local ds = torch.det(sg)
  tester:asserteq(ds:item(), 0)
  ds:backward()
  tester:eq(sg.grad, torch.DoubleTensor{{4, 4, -4}, {-2, -2, 2}, {0, 0, 0}}, 1e-12, 'singular: cofactors')
  local z1 = leaf(torch.DoubleTensor{{0}})
  torch.det(z1):backward()
  tester:eq(z1.grad, torch.DoubleTensor{{1}}, 1e-15, '1x1 zero: gradient 1')
  local z3 = leaf(torch.zeros(3, 3))
  torch.det(z3):backward()
  tester:eq(z3.grad, torch.zeros(3, 3):double(), 1e-15, 'rank 0: zero gradient')
  tester:assertErrorPattern(function() torch.logdet(leaf(torch.zeros(2, 2))):backward() end,
                            'torch%.logdet: backward: torch%.inverse: the matrix is singular')
  gradgrad(lift(function(x) return torch.det(x) end), {leaf(general(3, 'torch.DoubleTensor'))}, 'det second order')
  gradgrad(lift(function(x) return torch.logdet(x) end), {leaf(spd(3, 'torch.DoubleTensor'))}, 'logdet second order')
  -- noGrad: numbers
  tester:asserteq(type(torch.noGrad(function() return torch.det(a) end)), 'number')
end

function T.grad_inverse()
  for _, n in ipairs{1, 3, 5} do
    check(function(x) return torch.inverse(x) end, {leaf(general(n, 'torch.DoubleTensor'))}, 'inverse n=' .. n)
  end
  check(function(x) return torch.inverse(x) end, {tleaf(general(4, 'torch.DoubleTensor'))}, 'transposed leaf')
  gradgrad(function(x) return torch.inverse(x) end, {leaf(general(3, 'torch.DoubleTensor'))}, 'inverse second order')
  -- by hand: 1x1, d(1/a) = -1/a^2
  local a = leaf(torch.DoubleTensor{{4}})
  torch.inverse(a):backward(torch.DoubleTensor{{1}})
  tester:eq(a.grad, torch.DoubleTensor{{-1 / 16}}, 1e-16, '1x1 by hand')
  tester:asserteq(torch.inverse(leaf(general(2, 'torch.DoubleTensor'))).gradFn.name, 'InverseBackward')
end

function T.grad_solve()
  for _, s in ipairs{{3, 1}, {4, 2}, {5, 0}} do
    local n, k = s[1], s[2]
    local A = general(n, 'torch.DoubleTensor')
    local B = k > 0 and torch.randn(n, k):double() or torch.randn(n):double()
    check(function(b, a) return (torch.gesv(b, a)) end, {leaf(B), leaf(A)}, 'gesv both n=' .. n)
    check(function(b) return (torch.gesv(b, A)) end, {leaf(B)}, 'gesv B only n=' .. n)
    check(function(a) return (torch.gesv(B, a)) end, {leaf(A)}, 'gesv A only n=' .. n)
    check(function(b, a) return (torch.solve(b, a)) end, {leaf(B), tleaf(A)}, 'solve n=' .. n)
  end
  gradgrad(function(b, a) return (torch.gesv(b, a)) end,
           {leaf(torch.randn(3, 2)), leaf(general(3, 'torch.DoubleTensor'))}, 'gesv second order')
  -- by hand: x = A^-1 b with A = 2I: dL/db = g / 2, dL/dA = -(g/2) x^T
  local a = leaf(torch.eye(2) * 2)
  local b = leaf(torch.Tensor{2, 4})
  local x = torch.gesv(b, a)
  tester:asserteq(x.gradFn.name, 'GesvBackward')
  x:backward(torch.DoubleTensor{1, 1})
  tester:eq(b.grad, torch.DoubleTensor{0.5, 0.5}, 1e-15, 'dB')
  tester:eq(a.grad, torch.DoubleTensor{{-0.5, -1}, {-0.5, -1}}, 1e-15, 'dA')
  -- the LU result has no history; it may not be an input that requires grad
  local _, lu = torch.gesv(b, a)
  tester:assert(not lu.requiresGrad, 'LU has no gradient')
  tester:assertErrorPattern(function() torch.gesv(torch.DoubleTensor(), a, b, a) end,
                            'torch%.gesv: the LU result tensor must not be an input')
end

function T.grad_cholesky()
  for _, n in ipairs{1, 3, 5} do
    local a = spd(n, 'torch.DoubleTensor')
    check(function(x) return torch.cholesky(sym(x)) end, {leaf(a)}, 'cholesky lower n=' .. n)
    check(function(x) return torch.cholesky(sym(x), true) end, {leaf(a)}, 'cholesky upper n=' .. n)
  end
  check(function(x) return torch.potrf(sym(x)) end, {leaf(spd(4, 'torch.DoubleTensor'))}, 'potrf U (the same gradient)')
  check(function(x) return torch.potrf(sym(x), 'L') end, {leaf(spd(4, 'torch.DoubleTensor'))}, 'potrf L')
  gradgrad(function(x) return torch.cholesky(sym(x)) end, {leaf(spd(3, 'torch.DoubleTensor'))}, 'cholesky second order')
  -- by hand: 1x1, d sqrt(a) = 1 / (2 sqrt(a))
  local a = leaf(torch.DoubleTensor{{9}})
  local l = torch.cholesky(a)
  tester:asserteq(l.gradFn.name, 'CholeskyBackward')
  l:backward(torch.DoubleTensor{{1}})
  tester:eq(a.grad, torch.DoubleTensor{{1 / 6}}, 1e-16, '1x1 by hand')
  -- the functions without a gradient give results without history
  local s4 = leaf(spd(3, 'torch.DoubleTensor'))
  tester:assert(not torch.potri(s4).requiresGrad, 'potri: no gradient')
  tester:assert(not torch.gels(torch.ones(3):double(), s4).requiresGrad, 'gels: no gradient')
  -- the gradient is symmetric
  local b = leaf(spd(4, 'torch.DoubleTensor'))
  torch.cholesky(b):sum():backward()
  tester:eq(b.grad, b.grad:t(), 1e-14, 'symmetric gradient')
end

---------------------------------------------------------------------------------------
-- batches (PyTorch's leading batch dimensions): inverse, det/logdet/slogdet, cholesky
-- and potrf, solve/gesv
---------------------------------------------------------------------------------------

local function batch(tp, ...)
  local sz = {...}
  local n = sz[#sz]
  local t = torch.randn(...):double()
  local e = torch.eye(n):double() * n
  local v = t:view(-1, n, n)
  for i = 1, v:size(1) do v[i]:add(e) end
  return t:type(tp)
end

function T.batched()
  for _, tp in ipairs(types) do
    local A = batch(tp, 2, 3, 4, 4)
    local inv = torch.inverse(A)
    local B = torch.randn(2, 3, 4, 2):type(tp)
    local X, LU = torch.solve(B, A)
    local d, l = torch.det(A), torch.logdet(torch.matmul(A, A:transpose(3, 4)))
    local sg, la = torch.slogdet(A)
    local S = torch.matmul(A, A:transpose(3, 4))
    local L, U = torch.cholesky(S), torch.cholesky(S, true)
    tester:assert(inv:isSameSizeAs(A) and X:isSameSizeAs(B) and LU:isSameSizeAs(A), 'sizes')
    tester:asserteq(d:dim(), 2, 'one determinant per matrix')
    for i = 1, 2 do
      for j = 1, 3 do
        local a = A[i][j]
        local what = string.format('%s [%d,%d]', tp, i, j)
        tester:eq(inv[i][j], torch.inverse(a), tol(tp, 1e-14, 1e-5), what .. ' inverse')
        tester:eq(X[i][j], (torch.gesv(B[i][j], a)), tol(tp, 1e-14, 1e-5), what .. ' solve')
        local dd = torch.det(a)
        tester:assertalmosteq(d[i][j], dd, tol(tp, 1e-12, 1e-5) * math.abs(dd), what .. ' det')
        tester:assertalmosteq(sg[i][j], dd < 0 and -1 or 1, 0, what .. ' sign')
        tester:assertalmosteq(la[i][j], math.log(math.abs(dd)), tol(tp, 1e-12, 1e-5), what .. ' log|det|')
        tester:assertalmosteq(l[i][j], 2 * math.log(math.abs(dd)), tol(tp, 1e-11, 1e-4), what .. ' logdet')
        tester:eq(L[i][j], torch.potrf(S[i][j], 'L'), tol(tp, 1e-13, 1e-5), what .. ' cholesky')
        tester:eq(U[i][j], torch.potrf(S[i][j]), tol(tp, 1e-13, 1e-5), what .. ' cholesky upper')
      end
    end
  end
  -- errors name the matrix of the batch
  local bad = torch.cat({torch.eye(3):double():view(1, 3, 3), torch.zeros(1, 3, 3):double()}, 1)
  tester:assertErrorPattern(function() torch.inverse(bad) end,
                            'torch%.inverse: the matrix is singular %(U%(1,1%) is zero%) in matrix %[2%] of the batch')
  tester:assertErrorPattern(function() torch.cholesky(-bad) end, 'not positive definite .* in matrix %[1%] of the batch')
  tester:assertErrorPattern(function() torch.det(torch.randn(2, 3, 4):double()) end, 'A must be a batch of square matrices')
  tester:assertErrorPattern(function() torch.solve(torch.randn(3, 3, 1):double(), torch.randn(2, 3, 3):double()) end,
                            'torch%.solve: B of size 3x3x1 does not match the batch A of size 2x3x3')
  -- gradients of batches
  local A = batch('torch.DoubleTensor', 2, 3, 3)
  check(function(x) return torch.inverse(x) end, {leaf(A:clone())}, 'batched inverse')
  check(function(x) return torch.det(x) end, {leaf(A:clone())}, 'batched det')
  check(function(x) local _, l = torch.slogdet(x); return l end, {leaf(A:clone())}, 'batched slogdet')
  check(function(x) return torch.logdet(torch.matmul(x, x:transpose(2, 3))) end, {leaf(A:clone())}, 'batched logdet')
  check(function(b, x) return (torch.solve(b, x)) end, {leaf(torch.randn(2, 3, 2)), leaf(A:clone())}, 'batched solve')
  local S = torch.matmul(A, A:transpose(2, 3))
  check(function(x) return torch.cholesky((x + x:transpose(2, 3)) * 0.5) end, {leaf(S:clone())}, 'batched cholesky')
  check(function(x) return torch.cholesky((x + x:transpose(2, 3)) * 0.5, true) end, {leaf(S:clone())}, 'batched cholesky upper')
  local Z = A:clone()
  Z[2]:zero()
  Z[2][1][1], Z[2][2][2] = 2, 3   -- rank 2: a singular matrix in the batch
  local z = leaf(Z)
  torch.det(z):sum():backward()
  tester:eq(z.grad[2], torch.DoubleTensor{{0, 0, 0}, {0, 0, 0}, {0, 0, 6}}, 1e-12, 'singular matrix of a batch: cofactors')
  tester:eq(z.grad[1], torch.inverse(A[1]):t() * torch.det(A[1]), 1e-12, 'the other matrix: det A^-T')
end

---------------------------------------------------------------------------------------
-- the manual (REPL help)
---------------------------------------------------------------------------------------

function T.help_entries()
  local ok, repl = pcall(require, 'th.repl')
  local path = ok and package.searchpath('th.repl', package.path)
  local prefix = path and path:match('^(.*)/share/lua/[^/]*/th/repl%.lua$')
  if not prefix then tester:skip('th.repl or the built man pages not found') end
  for _, name in ipairs{'gesv', 'solve', 'trtrs', 'gels', 'inverse', 'potrf', 'potrs', 'potri',
                        'pstrf', 'cholesky', 'det', 'logdet', 'slogdet'} do
    local found = repl.lookup('torch.' .. name, prefix .. '/share/man')
    tester:assert(found[1] and found[1].text:find('torch.' .. name .. '(', 1, true),
                  'torch(3) documents torch.' .. name)
  end
end

---------------------------------------------------------------------------------------
-- devices: CUDA tensors (results on the GPU, mixed-device errors) are tested against the
-- CPU in tests/lua/test_cuda_lapack.lua
---------------------------------------------------------------------------------------

tester:add(T)
return tester
