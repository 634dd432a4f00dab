-- The helpers the scripts in tests/dist/ share (not a test: run.sh runs no file by this
-- name). Each script loads it from its own directory:
--   local here = debug.getinfo(1, 'S').source:match('^@(.*)/[^/]*$') or 'tests/dist'
--   local check, eq, errors = dofile(here .. '/util.lua')(rank, opts)
-- check(name, f): prints "ok NAME", or "not ok NAME: rank R: why" when f raises (the lines
--   run.sh counts; R is the rank given).
-- eq(a, b, what): a and b of the same size (and type, unless opts.any_type: b may then be
--   a CPU tensor holding the values expected of a CUDA one), values within opts.tol
--   (default 1e-5; 0: bitwise); small tensors are printed in the message.
-- errors(pat, f): f raises an error containing the plain text pat.
local torch = require 'torch'

return function(rank, opts)
  opts = opts or {}
  local tol = opts.tol or 1e-5
  local function check(name, f)
    local ok, err = pcall(f)
    if ok then print('ok ' .. name)
    else print(('not ok %s: rank %d: %s'):format(name, rank, tostring(err):gsub('\n', ' '))) end
    io.stdout:flush()
  end
  local function eq(a, b, what)
    what = what and what .. ': ' or ''
    if not torch.isTensor(a) or (not opts.any_type and a:type() ~= b:type()) or not a:isSameSizeAs(b) then
      error(what .. 'type/size differ: ' .. tostring(torch.typename(a)) .. ' vs ' .. torch.typename(b))
    end
    local diff = a:double():clone():add(-1, b:double()):abs():max()   -- :double() of a Double tensor is itself
    if not (diff <= tol) then
      local shown = a:nElement() <= 64 and '\n' .. tostring(a:double()) .. tostring(b:double()) or ''
      error(what .. 'values differ by up to ' .. diff .. shown)
    end
  end
  local function errors(pat, f)
    local ok, err = pcall(f)
    if ok then error('no error, expected ' .. pat) end
    if not tostring(err):find(pat, 1, true) then error('error "' .. tostring(err) .. '" lacks "' .. pat .. '"') end
  end
  return check, eq, errors
end
