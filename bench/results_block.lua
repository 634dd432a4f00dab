-- What bench/table.lua (make bench) and bench/dist_table.lua (make bench-dist) share,
-- loaded by each with dofile from its own directory:
--   results.machine(dir): the description in DIR/machine ('' when there is none);
--   results.write(path, marker, heading, text): puts text into the file at path as the
--     block between "<!-- MARKER -->" and "<!-- /MARKER -->", replacing that block where the
--     file has it, else appending it under "## HEADING"; the rest of the file is kept.
local results = {}

function results.machine(dir)
  local f = io.open(dir .. '/machine')
  if not f then return '' end
  local s = f:read('a')
  f:close()
  return (s:gsub('%s+$', ''))
end

function results.write(path, marker, heading, text)
  local f = io.open(path)
  local old = f and f:read('a') or ''
  if f then f:close() end
  local open, close = '<!-- ' .. marker .. ' -->', '<!-- /' .. marker .. ' -->'
  local block = open .. '\n' .. text .. '\n' .. close
  local function lit(s) return (s:gsub('%p', '%%%0')) end   -- s as a Lua pattern matching itself
  local s, e = old:find(lit(open) .. '.-' .. lit(close))
  local new
  if s then new = old:sub(1, s - 1) .. block .. old:sub(e + 1)
  else new = old .. '\n## ' .. heading .. '\n\n' .. block .. '\n' end
  local w = assert(io.open(path, 'w'))
  w:write(new)
  w:close()
end

return results
