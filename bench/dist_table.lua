-- bench/dist_table.lua DIR [RESULTS.md]: the tables of `make bench-dist` from the ROW
-- lines bench/dist.sh collected in DIR/rows (bench/mpi_allreduce.c: `mpi`;
-- bench/dist_allreduce.lua paired: `api` and `inproc`; bench/dist_step.lua: `step`;
-- several interleaved rounds) and DIR/machine. Each figure is the
-- median over the rounds of each round's median. With a RESULTS.md path, the tables
-- replace the block between "<!-- make bench-dist -->" and "<!-- /make bench-dist -->"
-- there (appended when missing); `make bench`'s own block (bench/table.lua) is another one.
local dir, results = arg[1], arg[2]
assert(dir, 'usage: th bench/dist_table.lua DIR [RESULTS.md]')

local ar, step = {}, {}   -- ar[who][mb] = {medians}; step[net][what] = {medians}
local sizes, nets, batch = {}, {}, nil
for line in io.lines(dir .. '/rows') do
  local f = {}
  for x in line:gmatch('[^\t]+') do f[#f + 1] = x end
  if f[1] == 'ROW' and f[2] == 'step' then
    -- ROW step NET processes MODE median min
    local net, what = f[3], f[4] .. ' ' .. f[5]
    if not step[net] then step[net] = {}; nets[#nets + 1] = net end
    step[net][what] = step[net][what] or {}
    table.insert(step[net][what], tonumber(f[6]))
  elseif f[1] == 'ROW' then
    -- ROW who MB median min
    local who, mb = f[2], tonumber(f[3])
    ar[who] = ar[who] or {}
    if not ar[who][mb] then
      ar[who][mb] = {}
      if who == 'api' then sizes[#sizes + 1] = mb end
    end
    table.insert(ar[who][mb], tonumber(f[4]))
  elseif line:match('^BATCH') then
    batch = tonumber(line:match('%d+'))
  end
end
local function median(t)
  if not t or #t == 0 then return nil end
  local c = {}
  for i, v in ipairs(t) do c[i] = v end
  table.sort(c)
  return c[(#c + 1) // 2], #c
end
local function ms(s) return s and string.format('%.3f ms', s * 1e3) or '-' end
-- machine(), and the block in RESULTS.md: bench/results_block.lua
local results_block = dofile((debug.getinfo(1, 'S').source:match('^@(.*)/[^/]*$') or 'bench') .. '/results_block.lua')
local function machine() return results_block.machine(dir) end

local out = {}
local function say(s) out[#out + 1] = s end
say('allReduce of a contiguous FloatTensor (sum, in place) between 2 ranks, against MPI_Allreduce(MPI_IN_PLACE)')
say('called directly: in the same job on the same tensor, call for call in alternating order (bench/dist_ref.c),')
say('and as a program of its own on a malloc buffer (bench/mpi_allreduce.c). Ratio: MPI time / ours (target')
say('>= 0.9, judged on the same-job one: a job as a whole runs fast or slow with the load of the machine, so')
say('separate jobs differ by up to 2x at 1-4 MB). GB/s: message bytes / our time.')
say('')
say('| size | distributed.allReduce | MPI_Allreduce, same job | ratio | MPI_Allreduce, own program | ratio | ours GB/s | met |')
say('| --- | --- | --- | --- | --- | --- | --- | --- |')
table.sort(sizes)
local met, total, rounds = 0, 0, 0
for _, mb in ipairs(sizes) do
  local a, n = median(ar.api and ar.api[mb])
  local c = median(ar.inproc and ar.inproc[mb])
  local b = median(ar.mpi[mb])
  rounds = math.max(rounds, n or 0)
  local ratio, rprog = a and c and c / a, a and b and b / a
  local bytes = mb * 2 ^ 20
  local ok = ratio and ratio >= 0.9
  if ratio then total = total + 1; if ok then met = met + 1 end end
  local function f2(x) return x and string.format('%.2f', x) or '-' end
  say(string.format('| %g MB | %s | %s | %s | %s | %s | %s | %s |', mb, ms(a), ms(c), f2(ratio), ms(b), f2(rprog),
    a and string.format('%.2f', bytes / a / 1e9) or '-', ratio == nil and '' or (ok and 'yes' or 'no')))
end
say('')
say(string.format('Data-parallel training step (forward, backward, gradients averaged, optim.sgd), synthetic data, ' ..
  'batch %s per process, 1 thread per process:', batch or '?'))
say('')
say('| network | 1 process | 2 ranks | ratio (2 ranks / 1) | 2 ranks, no allReduceGradients | ratio | images/s, 1 → 2 ranks |')
say('| --- | --- | --- | --- | --- | --- | --- |')
local label = { cnn = "Fashion-MNIST example's conv net", mlp = 'MLP 784-512-256-10' }
for _, net in ipairs(nets) do
  local s = step[net]
  local one, two, bare = median(s['1 single']), median(s['2 reduce']), median(s['2 noreduce'])
  local r2 = one and two and two / one
  local rb = one and bare and bare / one
  say(string.format('| %s | %s | %s | %s | %s | %s | %s |', label[net] or net, ms(one), ms(two),
    r2 and string.format('%.2f', r2) or '-', ms(bare), rb and string.format('%.2f', rb) or '-',
    one and two and batch and string.format('%.0f → %.0f', batch / one, 2 * batch / two) or '-'))
end
say('')
say(string.format('%d of %d allReduce targets met; medians of %d interleaved rounds. %s', met, total, rounds, machine()))
local text = table.concat(out, '\n')
print(text)

if results then
  results_block.write(results, 'make bench-dist',
    'The latest `make bench-dist` (distributed: allReduce and the data-parallel step, CPU, MPI)', text)
end
