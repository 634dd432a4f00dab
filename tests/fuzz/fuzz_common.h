/* fuzz_common.h: what the file-reader fuzz harnesses (tests/fuzz/fuzz_<reader>.c) share.
 *
 * Each harness defines FUZZ_READER (a Lua chunk that returns function(path) calling the
 * real reader on a file) and FUZZ_PREFIX (what every error message of that reader must
 * begin with), then includes this file. One lua_State is made at start-up with the
 * source tree's stdlib/ and nn/ on package.path and torch.core linked in statically
 * (engine and bindings compiled with clang's sanitizers); each input is written to a
 * temporary file and read back through the reader.
 *
 * A finding is anything but a clean load or a clean refusal: a crash or sanitizer report,
 * a hang (libFuzzer's -timeout), too much memory (-rss_limit_mb, -malloc_limit_mb), or a
 * Lua error that does not start with FUZZ_PREFIX (a Lua runtime error inside the reader,
 * such as "attempt to index a nil value", is a bug: the user gets no clear message).
 * What loads is walked and every tensor in it is summed, so a view reaching past its
 * storage is read and reported by AddressSanitizer (and a BoolTensor must hold 0 or 1).
 *
 * The Lua interpreter itself is not instrumented, so a line hook gives libFuzzer the
 * coverage of Lua code: each (chunk, previous line, line) step bumps a counter in the
 * __libfuzzer_extra_counters section, which libFuzzer reads as extra features. */
#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef FUZZ_ROOT
#error "FUZZ_ROOT (the source tree, holding stdlib/ and nn/) must be defined"
#endif

int luaopen_torch_core(lua_State *L);

#define LUA_COUNTERS (1 << 16)
__attribute__((section("__libfuzzer_extra_counters"), used))
static uint8_t lua_counters[LUA_COUNTERS];
static uintptr_t lua_prev_loc;

static void line_hook(lua_State *L, lua_Debug *ar) {
  if (!lua_getinfo(L, "S", ar)) return;
  /* the chunk's name string lives as long as its function: its address names the file */
  uintptr_t loc = ((uintptr_t)ar->source * 2654435761u) ^ ((uintptr_t)ar->currentline * 40503u);
  loc &= LUA_COUNTERS - 1;
  uint8_t *c = &lua_counters[(loc ^ lua_prev_loc) & (LUA_COUNTERS - 1)];
  if (*c < 255) (*c)++;
  lua_prev_loc = loc >> 1;
}

static lua_State *FL;
static int reader_ref, touch_ref;
static char fuzz_path[64];

/* walks what a reader returned (tables, objects, tensors; loops and depth bounded) and
 * sums every tensor, so each element of each view is read once */
static const char touch_lua[] =
  "local torch = require 'torch'\n"
  "local function walk(x, seen, depth)\n"
  "  if depth > 50 or seen[x] then return end\n"
  "  if torch.isTensor(x) then\n"
  "    seen[x] = true\n"
  "    if x:nElement() > 0 and not x:type():find('Cuda') then\n"
  "      local d = x:double()\n"
  "      d:sum()\n"
  "      if x:type() == 'torch.BoolTensor' and (d:gt(1):any() or d:lt(0):any()) then\n"
  "        error('a BoolTensor holds values other than 0 and 1', 0)\n"
  "      end\n"
  "    end\n"
  "  elseif type(x) == 'table' then\n"
  "    seen[x] = true\n"
  "    for k, v in next, x do walk(k, seen, depth + 1); walk(v, seen, depth + 1) end\n"
  "  end\n"
  "end\n"
  "return function(...) local n = select('#', ...); local seen = {}\n"
  "  for i = 1, n do walk((select(i, ...)), seen, 0) end end\n";

static int load_chunk(lua_State *L, const char *code, const char *name) {
  if (luaL_loadbuffer(L, code, strlen(code), name) != LUA_OK || lua_pcall(L, 0, 1, 0) != LUA_OK) {
    fprintf(stderr, "fuzz: cannot set up %s: %s\n", name, lua_tostring(L, -1));
    abort();
  }
  return luaL_ref(L, LUA_REGISTRYINDEX);
}

static void remove_input(void) { unlink(fuzz_path); }

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc; (void)argv;
  /* stderr warnings of the readers (a CUDA tensor loaded on the CPU) are expected */
  FL = luaL_newstate();
  luaL_openlibs(FL);
  lua_getglobal(FL, "package");
  lua_pushstring(FL, FUZZ_ROOT "/stdlib/?.lua;" FUZZ_ROOT "/stdlib/?/init.lua;"
                 FUZZ_ROOT "/?/init.lua");
  lua_setfield(FL, -2, "path");
  lua_pushstring(FL, "");
  lua_setfield(FL, -2, "cpath");   /* only the statically linked torch.core */
  lua_getfield(FL, -1, "preload");
  lua_pushcfunction(FL, luaopen_torch_core);
  lua_setfield(FL, -2, "torch.core");
  lua_pop(FL, 2);
  touch_ref = load_chunk(FL, touch_lua, "=fuzz_touch");
  reader_ref = load_chunk(FL, FUZZ_READER, "=fuzz_reader");
  /* a private file per process (libFuzzer's -jobs/-fork run several) */
  const char *tmp = getenv("TMPDIR");
  snprintf(fuzz_path, sizeof fuzz_path, "%.40s/fuzzin_XXXXXX", tmp && *tmp ? tmp : "/tmp");
  int fd = mkstemp(fuzz_path);
  if (fd < 0) { perror("fuzz: mkstemp"); abort(); }
  close(fd);
  atexit(remove_input);
  lua_sethook(FL, line_hook, LUA_MASKLINE, 0);
  return 0;
}

/* the message without a leading "chunk:line: " (error(msg, level) adds the caller's) */
static const char *strip_location(const char *msg) {
  const char *c = strstr(msg, ": ");
  if (!c) return msg;
  const char *d = c;
  while (d > msg && d[-1] >= '0' && d[-1] <= '9') d--;
  if (d == c || d == msg || d[-1] != ':') return msg;
  for (const char *p = msg; p < d - 1; p++)
    if (*p == ' ') return msg;
  return c + 2;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static int runs;
  runs++;
  FILE *f = fopen(fuzz_path, "wb");
  if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0) {
    perror("fuzz: writing the input file");
    abort();
  }
  lua_State *L = FL;
  lua_settop(L, 0);
  lua_rawgeti(L, LUA_REGISTRYINDEX, touch_ref);
  lua_rawgeti(L, LUA_REGISTRYINDEX, reader_ref);
  lua_pushstring(L, fuzz_path);
  lua_prev_loc = 0;
  if (lua_pcall(L, 1, LUA_MULTRET, 0) != LUA_OK) {
    const char *msg = lua_tostring(L, -1);
    if (!msg || strncmp(strip_location(msg), FUZZ_PREFIX, strlen(FUZZ_PREFIX)) != 0) {
      fprintf(stderr, "fuzz: the reader failed without a clear error (expected a message starting '%s'):\n  %s\n",
              FUZZ_PREFIX, msg ? msg : lua_typename(L, lua_type(L, -1)));
      abort();
    }
  } else if (lua_pcall(L, lua_gettop(L) - 1, 0, 0) != LUA_OK) {
    /* the loaded result could not be read back: a broken tensor */
    fprintf(stderr, "fuzz: reading back what loaded failed: %s\n", lua_tostring(L, -1));
    abort();
  }
  lua_settop(L, 0);
  if (runs % 64 == 0) lua_gc(L, LUA_GCCOLLECT, 0);
  else lua_gc(L, LUA_GCSTEP, 0);
  return 0;
}
