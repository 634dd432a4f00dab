-- bench/table.lua DIR [RESULTS.md]: the side-by-side table of `make bench` from the files
-- bench/run.sh leaves in DIR: lt.N and pt.N (bench/side.lua and bench/side_torch.py,
-- round N), ceil (OpenBLAS called directly, the plain C loop), extra (start-up and peak
-- RSS, both sides) and machine (a description). Each row is the median over the rounds;
-- "ratio" is luatorch's time over PyTorch's (below 1: luatorch is faster), and the target
-- is issue 8's. With a RESULTS.md path, the table replaces the block between the markers
-- "<!-- make bench -->" and "<!-- /make bench -->" there (appended when missing).
local dir, results = arg[1], arg[2]
assert(dir, 'usage: th bench/table.lua DIR [RESULTS.md]')

local function rows_of(path, into)
  local f = io.open(path)
  if not f then return false end
  for line in f:lines() do
    local name, v = line:match('^ROW\t([^\t]+)\t([^\t]+)')
    if name and tonumber(v) then
      into[name] = into[name] or {}
      table.insert(into[name], tonumber(v))
    end
  end
  f:close()
  return true
end
local function median(t)
  if not t or #t == 0 then return nil end
  table.sort(t)
  return t[(#t + 1) // 2]
end
local lt, pt, ceil, extra = {}, {}, {}, {}
for r = 1, 100 do
  local a = rows_of(dir .. '/lt.' .. r, lt)
  local b = rows_of(dir .. '/pt.' .. r, pt)
  if not a and not b then break end
end
rows_of(dir .. '/ceil', ceil)
rows_of(dir .. '/extra', extra)
local function m(t, k) return median(t[k]) end
-- machine(), and the block in RESULTS.md: bench/results_block.lua
local results_block = dofile((debug.getinfo(1, 'S').source:match('^@(.*)/[^/]*$') or 'bench') .. '/results_block.lua')
local function machine() return results_block.machine(dir) end

local function fmt_time(s)
  if not s then return '-' end
  if s < 1e-3 then return string.format('%.2f us', s * 1e6) end
  if s < 1 then return string.format('%.2f ms', s * 1e3) end
  return string.format('%.2f s', s)
end
-- rows: name, the target (ratio to PyTorch at most / at least, or to a ceiling)
local small, train = 0.2, nil
local spec = {
  {'start-up (th -e \'\' / python3 -c \'import torch\')', 'startup', max = 0.05},
  {'add, 4 floats', max = small}, {'mul, 4 floats', max = small}, {'sum, 4 floats', max = small},
  {'mm 4x4', max = small}, {'add, 4 floats, grad on', max = small}, {'tiny forward+backward', max = small},
  {'sgemm 64', ceil = 'cblas_sgemm 64', cmin = 0.95}, {'sgemm 256', ceil = 'cblas_sgemm 256', cmin = 0.95},
  {'sgemm 1024', ceil = 'cblas_sgemm 1024', cmin = 0.95}, {'sgemm 2048', ceil = 'cblas_sgemm 2048', cmin = 0.95},
  {'add 16M (into out)', ceil = 'C loop c = a + b, 16M', cmin = 0.85},
  {'add 16M (new result)', ceil = 'C loop c = a + b, 16M', cmin = 0.85},
  {'relu 16M', ceil = 'C loop c = a (streaming), 16M'}, {'exp 16M', max = 1 / 1.5, ceil = 'C loop c = a (streaming), 16M'},
  {'tanh 16M', max = 1 / 1.5, ceil = 'C loop c = a (streaming), 16M'}, {'sigmoid 16M', max = 1 / 1.5, ceil = 'C loop c = a (streaming), 16M'},
  {'sum 16M'}, {'softmax 4096x4096'},
  {'MLP 784-512-256-10 step, batch 64', max = 1 / 1.3}, {'LeNet-5 step, batch 64', max = 1.0},
  {'CNN 3x32x32 step, batch 64', max = 1.0}, {'char-LSTM step, seq 64, batch 32', max = 1 / 1.3},
  {'MLP batch-1 inference', max = 0.3, ceil = 'cblas_sgemv MLP 784-512-256-10'},
  {'peak RSS, MLP training (KiB)', 'rss', max = 0.2},
}
local out = {}
local function say(s) out[#out + 1] = s end
say('| workload | luatorch | PyTorch | ratio (time or size, ours / PyTorch) | ours / ceiling | target | met |')
say('| --- | --- | --- | --- | --- | --- | --- |')
local met, total = 0, 0
for _, r in ipairs(spec) do
  local name = r[1]
  local a, b
  if r[2] == 'startup' then a, b = m(extra, 'startup th'), m(extra, 'startup python')
  elseif r[2] == 'rss' then a, b = m(extra, 'rss th'), m(extra, 'rss python')
  else a, b = m(lt, name), m(pt, name) end
  local ratio = a and b and a / b
  local c = r.ceil and m(ceil, r.ceil)
  -- a ceiling is a time too: ours / ceiling as a speed fraction (ceiling time / ours)
  local cfrac = c and a and c / a
  local target, ok = '', nil
  if r.max then target = string.format('ratio <= %.2f', r.max); ok = ratio and ratio <= r.max end
  if r.cmin then target = string.format('>= %.2f of the ceiling', r.cmin); ok = cfrac and cfrac >= r.cmin end
  if ok ~= nil then total = total + 1; if ok then met = met + 1 end end
  local show = r[2] == 'rss' and function(v) return v and string.format('%d KiB', v) or '-' end or fmt_time
  say(string.format('| %s | %s | %s | %s | %s | %s | %s |', name, show(a), show(b),
                    ratio and string.format('%.2f', ratio) or '-', cfrac and string.format('%.2f', cfrac) or '',
                    target, ok == nil and '' or (ok and 'yes' or 'no')))
end
say('')
say(string.format('%d of %d targets met. %s', met, total, machine()))
local text = table.concat(out, '\n')
print(text)

if results then
  results_block.write(results, 'make bench', 'The latest `make bench` (luatorch and PyTorch side by side, CPU)', text)
end
