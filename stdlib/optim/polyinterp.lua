-- optim.polyinterp(points[, xminBound, xmaxBound]): the minimum of the cubic that
-- interpolates two points given with function and derivative values (minFunc's
-- polyinterp, as Torch7's). points: a 2x3 tensor or a table {{x1, f1, g1}, {x2, f2, g2}}.
-- Without bounds, the closed form (clamped to [x1, x2]); with bounds, the cubic's
-- critical points in [xminBound, xmaxBound], the bounds and the points are compared
-- and the lowest is returned (the midpoint of the bounds when none is valid).
-- Returns the position (and, with bounds, the cubic's value there).
local torch = require 'torch'
local optim = require 'optim'

local function rows(points)
  local p = {}
  if torch.isTensor(points) then
    if points:dim() ~= 2 or points:size(2) ~= 3 then
      error("optim.polyinterp: points must be an Nx3 tensor of (x, f, g) rows", 3)
    end
    for i = 1, points:size(1) do p[i] = { points[i][1], points[i][2], points[i][3] } end
  elseif type(points) == 'table' then
    for i, r in ipairs(points) do
      if type(r) ~= 'table' or #r ~= 3 then
        error("optim.polyinterp: points must be a list of {x, f, g} triplets", 3)
      end
      p[i] = { r[1], r[2], r[3] }
    end
  else
    error("bad argument #1 to 'optim.polyinterp' (tensor or table expected, got " .. type(points) .. ")", 3)
  end
  return p
end

-- solves the n x n system A z = b (Gaussian elimination, partial pivoting); nil if singular
local function solve(A, b, n)
  for c = 1, n do
    local piv, best = c, math.abs(A[c][c])
    for r = c + 1, n do
      if math.abs(A[r][c]) > best then piv, best = r, math.abs(A[r][c]) end
    end
    if best == 0 or best ~= best then return nil end
    A[c], A[piv] = A[piv], A[c]
    b[c], b[piv] = b[piv], b[c]
    for r = c + 1, n do
      local m = A[r][c] / A[c][c]
      for k = c, n do A[r][k] = A[r][k] - m * A[c][k] end
      b[r] = b[r] - m * b[c]
    end
  end
  local z = {}
  for r = n, 1, -1 do
    local s = b[r]
    for k = r + 1, n do s = s - A[r][k] * z[k] end
    z[r] = s / A[r][r]
  end
  return z
end

-- the real roots of c[1]*x^2 + c[2]*x + c[3] (coefficients below 1e-12 read as zero)
local function quadroots(c)
  local a, b, d = c[1], c[2], c[3]
  if math.abs(a) < 1e-12 then a = 0 end
  if math.abs(b) < 1e-12 then b = 0 end
  if math.abs(d) < 1e-12 then d = 0 end
  if a ~= 0 then
    local disc = b * b - 4 * a * d
    if disc < 0 then return {} end
    local s = math.sqrt(disc)
    return { (-b + s) / (2 * a), (-b - s) / (2 * a) }
  elseif b ~= 0 then
    return { -d / b }
  end
  return {}
end

function optim.polyinterp(points, xminBound, xmaxBound)
  local p = rows(points)
  local n = #p
  if n < 1 then error("optim.polyinterp: no points", 2) end

  -- the common case: cubic through two points, no bounds
  if n == 2 and not xminBound and not xmaxBound then
    local lo = (p[2][1] < p[1][1]) and 2 or 1
    local hi = 3 - lo
    local d1 = p[lo][3] + p[hi][3] - 3 * (p[lo][2] - p[hi][2]) / (p[lo][1] - p[hi][1])
    local d2 = math.sqrt(d1 * d1 - p[lo][3] * p[hi][3])
    if d2 == d2 then
      local t = p[hi][1] - (p[hi][1] - p[lo][1]) * ((p[hi][3] + d2 - d1) / (p[hi][3] - p[lo][3] + 2 * d2))
      return math.min(math.max(t, p[lo][1]), p[hi][1])
    end
    return (p[1][1] + p[2][1]) / 2
  end

  if n ~= 2 then
    error("optim.polyinterp: only two points are supported (got " .. n .. ")", 2)
  end
  local xmin, xmax = math.min(p[1][1], p[2][1]), math.max(p[1][1], p[2][1])
  xminBound = xminBound or xmin
  xmaxBound = xmaxBound or xmax

  -- the cubic a x^3 + b x^2 + c x + d matching both values and slopes
  local A, rhs = {}, {}
  for i = 1, 2 do
    local x = p[i][1]
    A[i] = { x ^ 3, x ^ 2, x, 1 }
    rhs[i] = p[i][2]
    A[2 + i] = { 3 * x ^ 2, 2 * x, 1, 0 }
    rhs[2 + i] = p[i][3]
  end
  local params = solve(A, rhs, 4)
  local minPos, fmin = (xminBound + xmaxBound) / 2, math.huge
  if not params then return minPos, fmin end
  for i = 1, 4 do if math.abs(params[i]) <= 1e-12 then params[i] = 0 end end
  local function polyval(x) return ((params[1] * x + params[2]) * x + params[3]) * x + params[4] end

  local cp = { xminBound, xmaxBound, p[1][1], p[2][1] }
  local dp = { 3 * params[1], 2 * params[2], params[3] }
  local finite = true
  for i = 1, 3 do if dp[i] ~= dp[i] or dp[i] == math.huge then finite = false end end
  if finite then
    for _, r in ipairs(quadroots(dp)) do cp[#cp + 1] = r end
  end
  for _, x in ipairs(cp) do
    if x >= xminBound and x <= xmaxBound then
      local f = polyval(x)
      if f < fmin then minPos, fmin = x, f end
    end
  end
  return minPos, fmin
end
