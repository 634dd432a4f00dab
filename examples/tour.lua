-- A short tour of luatorch's tensors: run with `th examples/tour.lua` (or `make demo`).
print('luatorch ' .. torch.version .. ' -- a tour of tensors')

local function section(title) print('\n== ' .. title .. ' ==') end

section('creating')
local a = torch.Tensor{{1, 2, 3}, {4, 5, 6}}
print(a)
print(torch.zeros(2, 3))
print(torch.range(1, 5))
print(torch.eye(3))

section('views share memory')
local row = a[2]            -- the second row, a view
row:fill(0)
print(a)
print(a:t())                -- transpose, no copy
print(a:view(3, 2))
print(a[{{}, {2, 3}}])      -- all rows, columns 2 to 3

section('arithmetic and broadcasting')
local x = torch.Tensor{{1}, {2}, {3}}   -- 3x1
local y = torch.Tensor{10, 20}          -- 2
print(x + y)                            -- 3x2
print((x * 2):pow(2))

section('reductions')
local m = torch.Tensor{{1, 5, 2}, {7, 3, 9}}
print(string.format('sum %g, mean %g, max %g', m:sum(), m:mean(), m:max()))
local vals, idx = m:max(2)
print('row maxima and where they are:')
print(vals)
print(idx)

section('matrix products')
local A = torch.Tensor{{1, 2}, {3, 4}}
local v = torch.Tensor{1, 1}
print(A * A)
print(A * v)
print('dot product v.v = ' .. v * v)

section('random numbers with a seed')
torch.manualSeed(42)
local r1 = torch.rand(3)
torch.manualSeed(42)
local r2 = torch.rand(3)
print(r1)
print('same after reseeding:', torch.equal(r1, r2))

section('sorting and masks')
local s = torch.Tensor{3, 1, 4, 1, 5, 9, 2, 6}
local sorted, order = s:sort()
print(sorted:view(1, -1))
print(order:view(1, -1))
print(s[s:gt(3)]:view(1, -1))

section('types')
print(torch.Tensor{1.7, -2.2}:long())
print(torch.Tensor{1, 2}:double():type())
