/* th.c: the luatorch interpreter: script runner and readline REPL.
 * Modelled on Lua 5.4's lua.c: same options, same 'arg' table, same exit status,
 * incomplete-chunk detection for multi-line input, "return <line>" to print
 * expression values, and a SIGINT handler that sets a hook so a running chunk
 * stops with an error instead of killing the process. On top of lua.c: module
 * paths found from the executable's own location, `torch` preloaded, persistent
 * history, Ctrl-C clearing the line at the prompt, Tab completion, '?' help from the
 * man pages, results printed by th.pretty, short tracebacks. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>

#include <readline/readline.h>
#include <readline/history.h>

#ifndef LT_VERSION
#define LT_VERSION "unknown"
#endif

#define TH_PROGNAME  "th"
#define TH_PROMPT    "th> "
#define TH_PROMPT2   ">> "
#define TH_HISTFILE  ".luatorch_history"
#define TH_HISTSIZE  1000
#define TH_CHUNKNAME "=stdin"
#define EOFMARK      "<eof>"
#define MARKLEN      (sizeof(EOFMARK) - 1)

static const char *progname = TH_PROGNAME;  /* NULL in the REPL: no prefix on errors */
static char prefix[PATH_MAX];               /* install prefix: <prefix>/bin/th */

/* Tab completion, '?name' help and the printing of results are written in Lua
 * (th.repl and th.pretty under share/lua/5.4/th/), loaded the first time they are
 * needed so that th starts as fast as lua does. */

/* pushes require(name) and returns 1, or pushes nothing and returns 0 */
static int lua_module(lua_State *L, const char *name) {
  lua_getglobal(L, "require");
  lua_pushstring(L, name);
  if (lua_pcall(L, 1, 1, 0) == LUA_OK && lua_istable(L, -1)) return 1;
  lua_pop(L, 1);
  return 0;
}

/* ---- messages ---------------------------------------------------------- */

static void l_message(const char *pname, const char *msg) {
  if (pname) fprintf(stderr, "%s: ", pname);
  fprintf(stderr, "%s\n", msg);
  fflush(stderr);
}

static int report(lua_State *L, int status) {
  if (status != LUA_OK) {
    const char *msg = lua_tostring(L, -1);
    if (msg == NULL) msg = "(error object is not a string)";
    l_message(progname, msg);
    lua_pop(L, 1);
  }
  return status;
}

/* message handler: turn the error object into a string and add a traceback */
static int msghandler(lua_State *L) {
  const char *msg = lua_tostring(L, 1);
  if (msg == NULL) {
    if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
      return 1;
    msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
  }
  luaL_traceback(L, L, msg, 1);
  return 1;
}

/* ---- Ctrl-C ------------------------------------------------------------ */

static lua_State *globalL = NULL;
static volatile sig_atomic_t prompt_sigint = 0;  /* SIGINT at the prompt */
static volatile sig_atomic_t interrupted = 0;    /* laction ran */
static volatile sig_atomic_t term_signal = 0;    /* SIGHUP/SIGTERM at the prompt */

static void setsignal(int sig, void (*handler)(int)) {
  struct sigaction sa;
  sa.sa_handler = handler;
  sa.sa_flags = 0;  /* no SA_RESTART: a blocked read must see EINTR */
  sigemptyset(&sa.sa_mask);
  sigaction(sig, &sa, NULL);
}

static void lstop(lua_State *L, lua_Debug *ar) {
  (void)ar;
  lua_sethook(L, NULL, 0, 0);
  luaL_error(L, "interrupted!");
}

/* SIGINT while Lua runs: stop at the next hook. A second SIGINT before that (stuck
 * in C code) terminates the process, as in lua.c. */
static void laction(int sig) {
  int flag = LUA_MASKCALL | LUA_MASKRET | LUA_MASKLINE | LUA_MASKCOUNT;
  setsignal(sig, SIG_DFL);
  interrupted = 1;
  lua_sethook(globalL, lstop, flag, 1);
}

/* SIGINT at the prompt: remembered; readline's getc turns it into a "cancel" key */
static void prompt_action(int sig) {
  (void)sig;
  prompt_sigint = 1;
}

/* SIGPIPE in the REPL: nothing; the write fails with EPIPE */
static void pipe_action(int sig) {
  (void)sig;
}

/* SIGHUP/SIGTERM at the prompt: leave the REPL, save the history, then die of it */
static void term_action(int sig) {
  term_signal = sig;
}

static int docall(lua_State *L, int narg, int nres) {
  struct sigaction old;
  int base = lua_gettop(L) - narg;
  lua_pushcfunction(L, msghandler);
  lua_insert(L, base);
  globalL = L;
  sigaction(SIGINT, NULL, &old);
  setsignal(SIGINT, laction);
  int status = lua_pcall(L, narg, nres, base);
  sigaction(SIGINT, &old, NULL);
  lua_remove(L, base);
  return status;
}

/* ---- options and arg --------------------------------------------------- */

static void print_usage(FILE *f, const char *badoption) {
  if (badoption) {
    if (badoption[1] == 'e' || badoption[1] == 'l')
      fprintf(f, "%s: '%s' needs argument\n", TH_PROGNAME, badoption);
    else
      fprintf(f, "%s: unrecognized option '%s'\n", TH_PROGNAME, badoption);
  }
  fprintf(f,
    "usage: %s [options] [script [args]]\n"
    "Available options are:\n"
    "  -e stmt   execute string 'stmt'\n"
    "  -i        enter interactive mode after executing 'script'\n"
    "  -l mod    require library 'mod' into global 'mod'\n"
    "  -l g=mod  require library 'mod' into global 'g'\n"
    "  -v        show version information\n"
    "  -E        ignore environment variables\n"
    "  -W        turn warnings on\n"
    "  -h        show this help\n"
    "  --        stop handling options\n"
    "  -         stop handling options and execute stdin\n"
    "With no script, th starts the REPL (or runs stdin when it is not a terminal).\n"
    "See th(1).\n", TH_PROGNAME);
  fflush(f);
}

static void print_version(void) {
  printf("luatorch %s, %s\n", LT_VERSION, LUA_VERSION);
  fflush(stdout);
}

enum { has_error = 1, has_i = 2, has_v = 4, has_e = 8, has_E = 16, has_h = 32, has_l = 64 };

/* Scans the options (lua.c's collectargs, plus -h/--help and --version). Sets
 * *first to the index of the script name (or argc when there is none; on error,
 * the index of the bad option). */
static int collectargs(char **argv, int argc, int *first) {
  int args = 0, i;
  for (i = 1; i < argc; i++) {
    *first = i;
    if (argv[i][0] != '-') return args;  /* not an option: the script */
    switch (argv[i][1]) {
      case '-':
        if (strcmp(argv[i], "--help") == 0) { args |= has_h; break; }
        if (strcmp(argv[i], "--version") == 0) { args |= has_v; break; }
        if (argv[i][2] != '\0') return has_error;
        *first = i + 1;
        return args;
      case '\0':  /* '-': the script is stdin */
        return args;
      case 'E': case 'W': case 'h':
        if (argv[i][2] != '\0') return has_error;
        if (argv[i][1] == 'E') args |= has_E;
        if (argv[i][1] == 'h') args |= has_h;
        break;
      case 'i': case 'v':
        if (argv[i][2] != '\0') return has_error;
        args |= argv[i][1] == 'i' ? has_i : has_v;
        break;
      case 'e': case 'l':
        args |= argv[i][1] == 'e' ? has_e : has_l;
        if (argv[i][2] == '\0') {
          i++;
          if (i >= argc || argv[i][0] == '-') { *first = i - 1; return has_error; }
        }
        break;
      default:
        return has_error;
    }
  }
  *first = argc;
  return args;
}

/* arg[0] is the script, arg[1..] its arguments, negative indices th and options */
static void createargtable(lua_State *L, char **argv, int argc, int script) {
  if (script == argc) script = 0;  /* no script: arg[0] is th itself */
  lua_createtable(L, argc - (script + 1), script + 1);
  for (int i = 0; i < argc; i++) {
    lua_pushstring(L, argv[i]);
    lua_rawseti(L, -2, i - script);
  }
  lua_setglobal(L, "arg");
}

/* ---- module paths ------------------------------------------------------ */

/* <prefix>/bin/th -> <prefix>, from /proc/self/exe (argv[0] as a fallback) */
static void find_prefix(const char *argv0) {
  char buf[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n > 0) buf[n] = '\0';
  else if (argv0 == NULL || strchr(argv0, '/') == NULL || realpath(argv0, buf) == NULL)
    return;
  for (int k = 0; k < 2; k++) {  /* strip "/th", then "/bin" */
    char *slash = strrchr(buf, '/');
    if (slash == NULL) return;
    *slash = '\0';
  }
  strcpy(prefix, buf[0] ? buf : "/");
}

/* Puts the prefix's module directories in front of package.path / package.cpath,
 * which the package library has already built from LUA_PATH(_5_4) and
 * LUA_CPATH(_5_4) as in lua.c: th's own modules are always found first. */
static void setpaths(lua_State *L) {
  if (prefix[0] == '\0') return;
  lua_getglobal(L, "package");
  if (!lua_istable(L, -1)) { lua_pop(L, 1); return; }
  const char *p = strcmp(prefix, "/") == 0 ? "" : prefix;
  lua_getfield(L, -1, "path");
  lua_pushfstring(L, "%s/share/lua/5.4/?.lua;%s/share/lua/5.4/?/init.lua;%s",
                  p, p, luaL_optstring(L, -1, ""));
  lua_setfield(L, -3, "path");
  lua_pop(L, 1);
  lua_getfield(L, -1, "cpath");
  lua_pushfstring(L, "%s/lib/lua/5.4/?.so;%s", p, luaL_optstring(L, -1, ""));
  lua_setfield(L, -3, "cpath");
  lua_pop(L, 2);
}

/* ---- running chunks ---------------------------------------------------- */

static int dochunk(lua_State *L, int status) {
  if (status == LUA_OK) status = docall(L, 0, 0);
  return report(L, status);
}

static int dofile(lua_State *L, const char *name) {
  return dochunk(L, luaL_loadfile(L, name));
}

static int dostring(lua_State *L, const char *s, const char *name) {
  return dochunk(L, luaL_loadbuffer(L, s, strlen(s), name));
}

/* -l mod or -l g=mod: global g (default mod) = require(mod) */
static int dolibrary(lua_State *L, const char *spec) {
  const char *eq = strchr(spec, '=');
  const char *mod = eq ? eq + 1 : spec;
  lua_getglobal(L, "require");
  lua_pushstring(L, mod);
  int status = docall(L, 1, 1);
  if (status == LUA_OK) {
    if (eq) lua_pushlstring(L, spec, (size_t)(eq - spec));
    else lua_pushstring(L, spec);
    lua_insert(L, -2);
    lua_setglobal(L, lua_tostring(L, -2));
    lua_pop(L, 1);
  }
  return report(L, status);
}

/* requires a preloaded module into its global; returns 1 when it loaded. A module
 * that is not found is skipped (with a warning when 'warn' > 0); one that fails
 * while loading gets a one-line warning unless 'warn' < 0 (silent). */
static int preload(lua_State *L, const char *name, int warn) {
  int top = lua_gettop(L);
  lua_getglobal(L, "require");
  lua_pushstring(L, name);
  if (lua_pcall(L, 1, 1, 0) == LUA_OK) {
    lua_setglobal(L, name);
    return 1;
  }
  const char *msg = lua_tostring(L, -1);
  if (msg == NULL) msg = "(error object is not a string)";
  lua_pushfstring(L, "module '%s' not found:", name);
  int notfound = strncmp(msg, lua_tostring(L, -1), lua_rawlen(L, -1)) == 0;
  lua_pop(L, 1);
  if (notfound && warn > 0) {
    fprintf(stderr, "%s: warning: module '%s' not found; continuing without it\n",
            TH_PROGNAME, name);
  } else if (!notfound && warn >= 0) {  /* one line: "...from file 'x':\n\tdlerror" joined */
    fprintf(stderr, "%s: warning: cannot load '%s': ", TH_PROGNAME, name);
    for (const char *c = msg; *c; c++) {
      if (*c == '\n' || *c == '\t') {
        while (c[1] == '\n' || c[1] == '\t') c++;
        fputc(' ', stderr);
      } else {
        fputc(*c, stderr);
      }
    }
    fputc('\n', stderr);
  }
  fflush(stderr);
  lua_settop(L, top);
  return 0;
}

static int handle_luainit(lua_State *L) {
  const char *name = "=LUA_INIT_5_4";
  const char *init = getenv(name + 1);
  if (init == NULL) {
    name = "=LUA_INIT";
    init = getenv(name + 1);
  }
  if (init == NULL) return LUA_OK;
  if (init[0] == '@') return dofile(L, init + 1);
  return dostring(L, init, name);
}

static int pushargs(lua_State *L) {
  if (lua_getglobal(L, "arg") != LUA_TTABLE)
    luaL_error(L, "'arg' is not a table");
  int n = (int)luaL_len(L, -1);
  luaL_checkstack(L, n + 3, "too many arguments to script");
  for (int i = 1; i <= n; i++) lua_rawgeti(L, -i, i);
  lua_remove(L, -n - 1);
  return n;
}

static int handle_script(lua_State *L, char **argv) {
  const char *fname = argv[0];
  if (strcmp(fname, "-") == 0 && strcmp(argv[-1], "--") != 0)
    fname = NULL;  /* stdin */
  int status = luaL_loadfile(L, fname);
  if (status == LUA_OK) {
    int n = pushargs(L);
    status = docall(L, n, LUA_MULTRET);
  }
  return report(L, status);
}

static int runargs(lua_State *L, char **argv, int n) {
  for (int i = 1; i < n; i++) {
    int option = argv[i][1];
    if (option == 'e' || option == 'l') {
      const char *extra = argv[i] + 2;
      if (*extra == '\0') extra = argv[++i];
      int status = option == 'e' ? dostring(L, extra, "=(command line)")
                                 : dolibrary(L, extra);
      if (status != LUA_OK) return 0;
    } else if (option == 'W') {
      lua_warning(L, "@on", 0);
    }
  }
  return 1;
}

/* ---- line input: readline on a terminal, plain lines otherwise ---------- */

static lua_State *replL = NULL;
static int use_readline = 0;
static int cancelled = 0;        /* the last line was abandoned with Ctrl-C */
static int eqline = 0;           /* the chunk was typed "=expr" */
static char histpath[PATH_MAX];  /* "" when history is not kept */
static int hist_added = 0;       /* entries added this session */

/* readline's getc: plain read(2), letting readline handle its pending signals;
 * a SIGINT becomes the key Ctrl-C, bound to cancel_line */
static int th_getc(FILE *f) {
  for (;;) {
    unsigned char c;
    ssize_t n = read(fileno(f), &c, 1);
    if (n == 1) return c;
    if (n == 0) return EOF;
    int err = errno;
    if (err == EINTR) rl_check_signals();  /* readline cleans up, calls our handlers */
    if (err != EINTR || term_signal) return RL_ISSTATE(RL_STATE_READCMD) ? READERR : EOF;
    if (prompt_sigint) {
      prompt_sigint = 0;
      return 3;
    }
  }
}

static int cancel_line(int count, int key) {
  (void)count; (void)key;
  rl_replace_line("", 0);
  cancelled = 1;
  rl_done = 1;
  return 0;
}

/* ---- Tab completion ----------------------------------------------------
 * th.repl's complete(line before the cursor) gives the start of the word, its kind
 * and the candidates. readline finds the word itself, by its break characters: the
 * break hook runs the completer first and answers with the one character just before
 * the word Lua chose, so both agree (the word never contains that character: a name is
 * [%w_.:]*, a file name in a string stops at its quote). */
enum { COMP_NONE, COMP_NAME, COMP_FILE, COMP_INDENT };
static char **comp_list = NULL;
static int comp_n = 0, comp_start = -1, comp_kind = COMP_NONE, comp_next = 0;
static char comp_brk[2];

static void comp_clear(void) {
  for (int i = 0; i < comp_n; i++) free(comp_list[i]);
  free(comp_list);
  comp_list = NULL;
  comp_n = 0;
  comp_start = -1;
  comp_kind = COMP_NONE;
}

/* (protected) line -> start, kind, candidates into comp_* */
static int comp_run(lua_State *L) {
  const char *line = lua_tostring(L, 1);
  if (!lua_module(L, "th.repl")) return 0;
  lua_getfield(L, -1, "complete");
  lua_pushstring(L, line);
  lua_call(L, 1, 3);
  int start = (int)lua_tointeger(L, -3) - 1;
  const char *kind = lua_tostring(L, -2);
  if (!lua_istable(L, -1) || kind == NULL || start < 0) return 0;
  int n = (int)luaL_len(L, -1);
  char **list = calloc((size_t)n + 1, sizeof *list);
  if (list == NULL) return 0;
  comp_list = list;
  for (int i = 0; i < n; i++) {
    lua_rawgeti(L, -1, i + 1);
    const char *c = lua_tostring(L, -1);
    list[comp_n] = c ? strdup(c) : NULL;
    if (list[comp_n]) comp_n++;
    lua_pop(L, 1);
  }
  comp_start = start;
  comp_kind = strcmp(kind, "file") == 0 ? COMP_FILE
            : strcmp(kind, "indent") == 0 ? COMP_INDENT : COMP_NAME;
  return 0;
}

static char *th_word_break(void) {
  comp_clear();
  lua_State *L = replL;
  int top = lua_gettop(L);
  lua_pushcfunction(L, comp_run);
  lua_pushlstring(L, rl_line_buffer, (size_t)rl_point);
  if (lua_pcall(L, 1, 0, 0) != LUA_OK) comp_clear();
  lua_settop(L, top);
  if (comp_start < 0 || comp_start > rl_point) comp_clear();
  if (comp_start <= 0) return "\n";  /* the word starts the line (or no completion) */
  comp_brk[0] = rl_line_buffer[comp_start - 1];
  comp_brk[1] = '\0';
  return comp_brk;
}

static char *comp_generator(const char *text, int state) {
  (void)text;
  if (state == 0) comp_next = 0;
  if (comp_next < comp_n) return strdup(comp_list[comp_next++]);
  return NULL;
}

/* lists names by their last part: "nn.Spat<Tab><Tab>" shows SpatialConvolution ... */
static void display_names(char **matches, int num, int max) {
  (void)max;
  char **shown = malloc(((size_t)num + 2) * sizeof *shown);
  if (shown == NULL) return;
  int width = 0;
  shown[0] = matches[0];
  for (int i = 1; i <= num; i++) {
    char *p = strrchr(matches[i], '.'), *q = strrchr(matches[i], ':');
    if (q > p) p = q;
    shown[i] = p ? p + 1 : matches[i];
    int w = (int)strlen(shown[i]);
    if (w > width) width = w;
  }
  shown[num + 1] = NULL;
  int show = 1;
  if (rl_completion_query_items > 0 && num >= rl_completion_query_items) {
    rl_crlf();
    fprintf(rl_outstream, "Display all %d possibilities? (y or n)", num);
    fflush(rl_outstream);
    for (;;) {
      int c = rl_read_key();
      if (c == 'y' || c == 'Y' || c == ' ') break;
      if (c == 'n' || c == 'N' || c == 3 || c == 127 || c == EOF || c == 4) { show = 0; break; }
      rl_ding();
    }
    if (!show) rl_crlf();
  }
  if (show) rl_display_match_list(shown, num, width);
  rl_forced_update_display();
  free(shown);
}

static char **th_complete(const char *text, int start, int end) {
  (void)end;
  rl_attempted_completion_over = 1;  /* never fall back to readline's file names */
  if (comp_kind == COMP_NONE || comp_n == 0 || start != comp_start) return NULL;
  rl_completion_append_character = '\0';
  rl_completion_display_matches_hook = NULL;
  if (comp_kind == COMP_FILE) {
    rl_filename_completion_desired = 1;  /* basenames listed, '/' after directories */
    rl_filename_quoting_desired = 0;
    if (start > 0) rl_completion_append_character = rl_line_buffer[start - 1];
  } else if (comp_kind == COMP_NAME) {
    rl_completion_display_matches_hook = display_names;
  }
  return rl_completion_matches(text, comp_generator);
}

static void save_history(void) {
  if (!use_readline || histpath[0] == '\0' || hist_added == 0) return;
  struct stat st;
  int n = hist_added < history_length ? hist_added : history_length;
  /* append, so that concurrent sessions do not overwrite each other */
  if (stat(histpath, &st) != 0 || append_history(n, histpath) != 0)
    write_history(histpath);
  history_truncate_file(histpath, TH_HISTSIZE);
  hist_added = 0;
}

static void init_readline(lua_State *L) {
  replL = L;
  use_readline = isatty(STDIN_FILENO);
  if (!use_readline) return;
  rl_readline_name = "th";
  rl_getc_function = th_getc;
  rl_attempted_completion_function = th_complete;
  rl_completion_word_break_hook = th_word_break;
  rl_completer_word_break_characters = " \t\n\"'\\`><=;+-*/%^~#&|{}()[],";
  rl_initialize();
  rl_bind_key_in_map(3, cancel_line, emacs_standard_keymap);
  rl_bind_key_in_map(3, cancel_line, vi_insertion_keymap);
  rl_bind_key_in_map(3, cancel_line, vi_movement_keymap);
  using_history();
  stifle_history(TH_HISTSIZE);
  history_comment_char = '#';     /* "#<time>" lines delimit multi-line entries ... */
  history_write_timestamps = 1;
  history_multiline_entries = 1;  /* ... so a function reads back as one entry */
  const char *home = getenv("HOME");
  if (home && home[0] &&
      snprintf(histpath, sizeof histpath, "%s/%s", home, TH_HISTFILE) < (int)sizeof histpath)
    read_history(histpath);
  else
    histpath[0] = '\0';
  atexit(save_history);  /* also on os.exit() */
}

static void add_line_to_history(const char *line) {
  if (!use_readline || line[0] == '\0') return;
  char *eq = NULL;
  if (eqline && strncmp(line, "return ", 7) == 0) {  /* show it as typed: "=expr" */
    eq = malloc(strlen(line) - 5);
    if (eq) { eq[0] = '='; strcpy(eq + 1, line + 7); line = eq; }
  }
  HIST_ENTRY *last = history_length > 0 ? history_get(history_base + history_length - 1) : NULL;
  if (!last || strcmp(last->line, line) != 0) {
    add_history(line);
    hist_added++;
  }
  free(eq);
}

/* reads a line with prompt; NULL at end of input. The result is malloc'd. */
static char *read_line(const char *prompt) {
  if (use_readline) {
    struct sigaction oldint, oldhup, oldterm;
    sigaction(SIGINT, NULL, &oldint);
    sigaction(SIGHUP, NULL, &oldhup);
    sigaction(SIGTERM, NULL, &oldterm);
    prompt_sigint = 0;
    cancelled = 0;
    setsignal(SIGINT, prompt_action);
    if (oldhup.sa_handler != SIG_IGN) setsignal(SIGHUP, term_action);
    if (oldterm.sa_handler != SIG_IGN) setsignal(SIGTERM, term_action);
    char *line = term_signal ? NULL : readline(prompt);
    sigaction(SIGINT, &oldint, NULL);
    sigaction(SIGHUP, &oldhup, NULL);
    sigaction(SIGTERM, &oldterm, NULL);
    if (term_signal) { free(line); return NULL; }
    if (cancelled) fputs("\n", stdout);
    fflush(stdout);
    return line;
  }
  char *line = NULL;
  size_t cap = 0;
  ssize_t n = getline(&line, &cap, stdin);
  if (n < 0) { free(line); return NULL; }
  if (n > 0 && line[n - 1] == '\n') line[n - 1] = '\0';
  return line;
}

/* ---- the REPL ---------------------------------------------------------- */

static const char *get_prompt(lua_State *L, int firstline) {
  if (lua_getglobal(L, firstline ? "_PROMPT" : "_PROMPT2") == LUA_TNIL) {
    lua_pop(L, 1);
    lua_pushstring(L, firstline ? TH_PROMPT : TH_PROMPT2);
  } else {
    luaL_tolstring(L, -1, NULL);
    lua_remove(L, -2);
  }
  return lua_tostring(L, -1);
}

/* a syntax error ending in <eof> means the chunk is unfinished */
static int incomplete(lua_State *L, int status) {
  if (status == LUA_ERRSYNTAX) {
    size_t lmsg;
    const char *msg = lua_tolstring(L, -1, &lmsg);
    if (lmsg >= MARKLEN && strcmp(msg + lmsg - MARKLEN, EOFMARK) == 0)
      return 1;  /* the message stays on the stack */
  }
  return 0;
}

/* pushes the next line; 0 at end of input, -1 when the user cancelled it */
static int pushline(lua_State *L, int firstline) {
  const char *prompt = use_readline ? get_prompt(L, firstline) : "";
  char *b = read_line(prompt);
  if (use_readline) lua_pop(L, 1);  /* the prompt */
  if (b == NULL) return 0;
  if (cancelled) { free(b); return -1; }
  size_t l = strlen(b);
  while (l > 0 && (b[l - 1] == '\r' || b[l - 1] == '\n')) b[--l] = '\0';  /* pastes */
  if (firstline) eqline = b[0] == '=';
  if (firstline && eqline)  /* "=expr" as in Lua 5.1 */
    lua_pushfstring(L, "return %s", b + 1);
  else
    lua_pushlstring(L, b, l);
  free(b);
  return 1;
}

static int addreturn(lua_State *L) {
  const char *line = lua_tostring(L, -1);
  const char *retline = lua_pushfstring(L, "return %s;", line);
  int status = luaL_loadbuffer(L, retline, strlen(retline), TH_CHUNKNAME);
  if (status == LUA_OK) {
    lua_remove(L, -2);  /* the modified line */
    add_line_to_history(line);
  } else {
    lua_pop(L, 2);
  }
  return status;
}

/* returns the load status, or -1 when the chunk was cancelled with Ctrl-C */
static int multiline(lua_State *L) {
  for (;;) {
    size_t len;
    const char *line = lua_tolstring(L, 1, &len);
    int status = luaL_loadbuffer(L, line, len, TH_CHUNKNAME);
    int more = 0;
    if (incomplete(L, status)) {
      more = pushline(L, 0);
      if (more < 0) { add_line_to_history(line); return -1; }
    }
    if (!more) {
      add_line_to_history(line);
      return status;
    }
    lua_remove(L, -2);  /* the "<eof>" message */
    lua_pushliteral(L, "\n");
    lua_insert(L, -2);
    lua_concat(L, 3);
  }
}

/* ---- '?' help ---------------------------------------------------------- */

static const char *loaded_list(lua_State *L) {
  static const char *const mods[] = {"torch", "nn", "optim", "gnuplot"};
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  for (size_t i = 0; i < sizeof mods / sizeof mods[0]; i++) {
    lua_getglobal(L, mods[i]);
    if (!lua_isnil(L, -1)) {
      lua_pop(L, 1);
      if (luaL_bufflen(&b) > 0) luaL_addchar(&b, ' ');
      luaL_addstring(&b, mods[i]);
    } else {
      lua_pop(L, 1);
    }
  }
  if (luaL_bufflen(&b) == 0) luaL_addstring(&b, "(none)");
  luaL_pushresult(&b);
  return lua_tostring(L, -1);
}

/* "man th" / "man 3 torch" when installed; in a build tree (<src>/build, pages in
 * <src>/man) the page's path */
static const char *manref(lua_State *L, const char *page, int section) {
  char path[PATH_MAX + 64], real[PATH_MAX];
  struct stat st;
  snprintf(path, sizeof path, "%s/share/man/man%d/%s.%d", prefix, section, page, section);
  if (prefix[0] && stat(path, &st) != 0) {
    snprintf(path, sizeof path, "%s/../man/%s.%d", prefix, page, section);
    if (stat(path, &st) == 0 && realpath(path, real))
      return lua_pushfstring(L, "man %s", real);
  }
  return section == 1 ? lua_pushfstring(L, "man %s", page)
                      : lua_pushfstring(L, "man %d %s", section, page);
}

static void repl_help(lua_State *L) {
  int top = lua_gettop(L);
  printf(
    "th: the luatorch REPL (%s)\n"
    "Input\n"
    "  Type Lua statements or expressions. An expression's values are printed:\n"
    "  tables nested (3 levels, 50 entries, sorted keys, <cycle> for cycles),\n"
    "  tensors with their numbers, type and size, modules as their tree. Several\n"
    "  values print side by side (one per line when tables or userdata); nil\n"
    "  results print nothing. '=expr' also prints expr (Lua 5.1 style). Colours\n"
    "  on a terminal unless NO_COLOR is set.\n"
    "  An unfinished chunk (function, loop, open string) continues at the '%s' prompt.\n"
    "Keys\n"
    "  Enter          run the chunk, or continue it when unfinished\n"
    "  Ctrl-C         clear the line, or drop the unfinished chunk; while code runs,\n"
    "                 stop it with an \"interrupted!\" error\n"
    "  Ctrl-D         leave th (on an empty line); os.exit() works too\n"
    "  Up/Down        history, kept in ~/%s; Ctrl-R searches it\n"
    "  Ctrl-A/Ctrl-E  start/end of line; all readline keys work (see ~/.inputrc)\n"
    "%s"
    "Autograd\n"
    "  x = torch.randn(3):setRequiresGrad(); y = (x * 2):sum(); y:backward(); print(x.grad)\n"
    "  torch.noGrad(f), torch.grad(y, x), require 'autograd' (see man 3 torch, AUTOGRAD)\n"
    "Help\n"
    "  ?              this text\n"
    "  ?name          the manual's entry (?nn.Linear, ?torch.mm, ?t:view), else what\n"
    "                 the global or field is, and its fields (e.g. ?math)\n"
    "Loaded: %s\n"
    "Manual: %s (th and this REPL), %s (the library)\n",
    LT_VERSION, TH_PROMPT2, TH_HISTFILE,
    "  Tab            complete names, fields, methods (after ':'), file names in strings\n",
    loaded_list(L), manref(L, "th", 1), manref(L, "torch", 3));
  lua_settop(L, top);
  fflush(stdout);
}

/* pushes the table whose keys describe the value at idx: the value itself when a
 * table with string keys, else its metatable's __index table; 0 when there is none */
static int fields_of(lua_State *L, int idx) {
  idx = lua_absindex(L, idx);
  if (lua_istable(L, idx)) {
    lua_pushnil(L);
    while (lua_next(L, idx)) {
      lua_pop(L, 1);
      if (lua_type(L, -1) == LUA_TSTRING) {
        lua_pop(L, 1);
        lua_pushvalue(L, idx);
        return 1;
      }
    }
  }
  int t = luaL_getmetafield(L, idx, "__index");
  if (t == LUA_TTABLE) return 1;
  if (t != LUA_TNIL) lua_pop(L, 1);
  return 0;
}

static int cmpstr(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* "?a.b:c" (protected): looks the name up from the globals and describes it */
static int help_name(lua_State *L) {
  const char *topic = luaL_checkstring(L, 1);
  const char *p = topic;
  lua_pushglobaltable(L);
  while (*p) {
    size_t n = strcspn(p, ".:");
    int t = lua_type(L, -1);
    if (n == 0) return luaL_error(L, "?%s: not a name (try ?name or ?a.b)", topic);
    if (t != LUA_TTABLE && t != LUA_TUSERDATA) {
      const char *where = lua_pushlstring(L, topic, (size_t)(p - 1 - topic));
      if (t == LUA_TNIL) return luaL_error(L, "?%s: %s is nil", topic, where);
      return luaL_error(L, "?%s: %s is a %s, it has no fields", topic, where,
                        lua_typename(L, t));
    }
    lua_pushlstring(L, p, n);
    lua_gettable(L, -2);  /* metamethods included: methods of userdata */
    lua_remove(L, -2);
    p += n;
    if (*p) p++;
  }
  int v = lua_gettop(L), t = lua_type(L, v);
  if (t == LUA_TFUNCTION) {
    lua_Debug ar;
    lua_pushvalue(L, v);
    lua_getinfo(L, ">S", &ar);
    if (ar.what[0] == 'C') printf("%s: C function\n", topic);
    else printf("%s: Lua function, defined at %s:%d\n", topic, ar.short_src, ar.linedefined);
  } else if (t == LUA_TTABLE || t == LUA_TUSERDATA) {
    if (luaL_getmetafield(L, v, "__name") == LUA_TSTRING)
      printf("%s: %s (%s)\n", topic, lua_typename(L, t), lua_tostring(L, -1));
    else
      printf("%s: %s\n", topic, lua_typename(L, t));
    lua_settop(L, v);
    if (fields_of(L, v)) {
      int tbl = lua_gettop(L), nkeys = 0, cap = 64;
      const char **keys = lua_newuserdatauv(L, cap * sizeof *keys, 0);
      lua_newtable(L);  /* keeps the key strings alive */
      int anchor = lua_gettop(L);
      lua_pushnil(L);
      while (lua_next(L, tbl)) {
        lua_pop(L, 1);
        if (lua_type(L, -1) != LUA_TSTRING) continue;
        if (nkeys == cap) {
          const char **nk = lua_newuserdatauv(L, 2 * cap * sizeof *keys, 0);
          memcpy(nk, keys, cap * sizeof *keys);
          lua_replace(L, tbl + 1);
          keys = nk;
          cap *= 2;
        }
        lua_pushvalue(L, -1);
        lua_rawseti(L, anchor, nkeys + 1);
        keys[nkeys++] = lua_tostring(L, -1);
      }
      qsort(keys, (size_t)nkeys, sizeof *keys, cmpstr);
      printf("  %d field%s:\n ", nkeys, nkeys == 1 ? "" : "s");
      int col = 1;
      for (int i = 0; i < nkeys; i++) {
        int w = (int)strlen(keys[i]) + 2;
        if (col + w > 79 && col > 1) { printf("\n "); col = 1; }
        printf("  %s", keys[i]);
        col += w;
      }
      printf("\n");
    }
  } else {
    const char *s = luaL_tolstring(L, v, NULL);
    printf("%s: %s (%s)\n", topic, s, lua_typename(L, t));
  }
  printf("The manual: %s; ? alone shows the REPL's help.\n", manref(L, "torch", 3));
  fflush(stdout);
  return 0;
}

/* (protected) th.repl's help(topic, prefix): the manual's entries for the topic */
static int man_help_run(lua_State *L) {
  if (!lua_module(L, "th.repl")) { lua_pushboolean(L, 0); return 1; }
  lua_getfield(L, -1, "help");
  lua_pushvalue(L, 1);
  lua_pushstring(L, prefix);
  lua_call(L, 2, 1);
  return 1;
}

/* 1 when the manual had entries for topic (printed), 0 otherwise */
static int man_help(lua_State *L, const char *topic) {
  lua_pushcfunction(L, man_help_run);
  lua_pushstring(L, topic);
  int ok = lua_pcall(L, 1, 1, 0) == LUA_OK && lua_toboolean(L, -1);
  lua_pop(L, 1);
  return ok;
}

static void dispatch_help(lua_State *L, const char *line) {
  while (*line == '?' || *line == ' ' || *line == '\t') line++;
  size_t n = strlen(line);
  while (n > 0 && (line[n - 1] == ' ' || line[n - 1] == '\t')) n--;
  lua_pushlstring(L, line, n);
  const char *topic = lua_tostring(L, -1);
  if (topic[0] == '\0' || !man_help(L, topic)) {
    if (topic[0] == '\0') {
      repl_help(L);
    } else {
      lua_pushcfunction(L, help_name);
      lua_pushvalue(L, -2);
      if (lua_pcall(L, 1, 0, 0) != LUA_OK) report(L, LUA_ERRRUN);
    }
  }
  lua_pop(L, 1);
}

/* reads a chunk and compiles it; returns its status, -1 at end of input, -2 when
 * there is nothing to run (cancelled line, help) */
static int loadline(lua_State *L) {
  lua_settop(L, 0);
  int r = pushline(L, 1);
  if (r == 0) return -1;
  if (r < 0) return -2;
  const char *line = lua_tostring(L, 1);
  if (line[strspn(line, " \t")] == '?') {
    add_line_to_history(line);
    dispatch_help(L, line);
    return -2;
  }
  int status = addreturn(L);
  if (status != LUA_OK) {
    status = multiline(L);
    if (status == -1) return -2;
  }
  lua_remove(L, 1);
  return status;
}

static int use_color = 0;  /* colours in printed results: a terminal, no NO_COLOR */

/* prints the chunk's results: nothing when all are nil; values side by side as
 * print(...) does, but one per line when tables or userdata (tensors) are among them.
 * th.pretty does it (nested tables, colours); plain print when it cannot be loaded. */
static int l_print(lua_State *L) {
  int n = lua_gettop(L), allnil = 1, big = 0;
  for (int i = 1; i <= n; i++) {
    int t = lua_type(L, i);
    if (t != LUA_TNIL) allnil = 0;
    if (t == LUA_TTABLE || t == LUA_TUSERDATA) big = 1;
  }
  if (allnil) { lua_settop(L, 0); return LUA_OK; }
  luaL_checkstack(L, LUA_MINSTACK, "too many results to print");
  if (lua_module(L, "th.pretty")) {
    if (lua_getfield(L, -1, "results") == LUA_TFUNCTION) {
      lua_remove(L, -2);
      lua_insert(L, 1);
      lua_createtable(L, 0, 1);
      lua_pushboolean(L, use_color);
      lua_setfield(L, -2, "color");
      lua_insert(L, 2);
      lua_pushinteger(L, n);
      lua_insert(L, 3);
      return docall(L, n + 2, 0);
    }
    lua_pop(L, 2);
  }
  if (!big || n == 1) {
    lua_getglobal(L, "print");
    lua_insert(L, 1);
    return docall(L, n, 0);
  }
  for (int i = 1; i <= n; i++) {
    lua_getglobal(L, "print");
    lua_pushvalue(L, i);
    int status = docall(L, 1, 0);
    if (status != LUA_OK) return status;
  }
  lua_settop(L, 0);
  return LUA_OK;
}

#define TH_TRACE_FRAMES 6  /* frames shown of an error's traceback in the REPL */

/* a frame worth showing: not the REPL's own (the C call of the chunk, th.pretty),
 * not merely the main chunk or error()/assert() */
static int frame_kind(const char *f, size_t len) {  /* 0 drop, 1 keep, 2 keep+useful */
  char buf[512];
  if (len >= sizeof buf) len = sizeof buf - 1;
  memcpy(buf, f, len);
  buf[len] = '\0';
  if (strcmp(buf, "\t[C]: in ?") == 0 || strstr(buf, "/th/pretty.lua:") ||
      strstr(buf, "/th/repl.lua:"))
    return 0;
  if (strstr(buf, ": in main chunk") || strstr(buf, "[C]: in function 'error'") ||
      strstr(buf, "[C]: in function 'assert'") || strstr(buf, "(...tail calls...)"))
    return 1;
  return 2;
}

/* the REPL's error report: the message and a short traceback (at most
 * TH_TRACE_FRAMES frames, none of th's own; none at all when it would only say
 * "in main chunk") */
static void report_repl(lua_State *L, int status) {
  const char *msg = lua_tostring(L, -1);
  const char *tb = msg ? strstr(msg, "\nstack traceback:\n") : NULL;
  if (tb) {
    luaL_Buffer b;
    int kept = 0, more = 0, useful = 0;
    const char *p = tb + strlen("\nstack traceback:\n");
    lua_newtable(L);  /* the kept frames, in order */
    int frames = lua_gettop(L);
    while (*p) {
      size_t len = strcspn(p, "\n");
      int k = frame_kind(p, len);
      if (k) {
        if (k == 2) useful = 1;
        if (kept < TH_TRACE_FRAMES) {
          lua_pushlstring(L, p, len);
          lua_rawseti(L, frames, ++kept);
        } else {
          more++;
        }
      }
      p += len;
      if (*p) p++;
    }
    luaL_buffinit(L, &b);
    luaL_addlstring(&b, msg, (size_t)(tb - msg));
    if (useful) {
      luaL_addstring(&b, "\nstack traceback:");
      for (int i = 1; i <= kept; i++) {
        luaL_addchar(&b, '\n');
        lua_rawgeti(L, frames, i);
        luaL_addvalue(&b);
      }
      if (more) {
        lua_pushfstring(L, "\n\t(%d more)", more);
        luaL_addvalue(&b);
      }
    }
    luaL_pushresult(&b);
    lua_remove(L, frames);
    lua_remove(L, -2);  /* the original message */
  }
  msg = lua_tostring(L, -1);
  if (msg && use_color && isatty(STDERR_FILENO)) {  /* the message in red */
    const char *tail = strstr(msg, "\nstack traceback:");
    int len = tail ? (int)(tail - msg) : (int)strlen(msg);
    fprintf(stderr, "\033[31m%.*s\033[0m%s\n", len, msg, tail ? tail : "");
    fflush(stderr);
    lua_pop(L, 1);
    return;
  }
  report(L, status);
}

static void doREPL(lua_State *L) {
  int status;
  const char *oldprogname = progname;
  progname = NULL;
  init_readline(L);
  const char *nc = getenv("NO_COLOR"), *term = getenv("TERM");
  use_color = isatty(STDOUT_FILENO) && !(nc && nc[0]) && !(term && strcmp(term, "dumb") == 0);
  if (use_readline) setsignal(SIGINT, prompt_action);  /* Ctrl-C between chunks: harmless */
  /* At a terminal, a pipe whose reader died (a popen'ed gnuplot) is a Lua error from
   * write or flush ("Broken pipe"), not the end of the session. Caught, not ignored: a
   * caught signal is reset by exec, so the commands popen and os.execute start keep the
   * default action (an ignored one would be inherited). */
  struct sigaction oldpipe;
  sigaction(SIGPIPE, NULL, &oldpipe);
  if (use_readline) setsignal(SIGPIPE, pipe_action);
  for (;;) {
    status = loadline(L);
    if (status == -1) break;
    if (status == -2) continue;
    interrupted = 0;
    if (status == LUA_OK) status = docall(L, 0, LUA_MULTRET);
    if (status == LUA_OK) status = l_print(L);
    if (status != LUA_OK) {
      if (interrupted && use_readline) fputs("\n", stdout);  /* after the echoed ^C */
      fflush(stdout);
      report_repl(L, status);
    }
  }
  lua_settop(L, 0);
  sigaction(SIGPIPE, &oldpipe, NULL);
  if (use_readline) {
    setsignal(SIGINT, SIG_DFL);
#if RL_VERSION_MAJOR < 8 || (RL_VERSION_MAJOR == 8 && RL_VERSION_MINOR < 2)
    fputs("\n", stdout);  /* readline 8.2 ends the line at EOF itself */
#endif
  }
  fflush(stdout);
  save_history();
  if (term_signal) {  /* die of the signal, as without the REPL */
    signal(term_signal, SIG_DFL);
    raise(term_signal);
  }
  progname = oldprogname;
}

static void print_banner(void) {
  printf("luatorch %s, %s  (? for help, Ctrl-D to quit)\n", LT_VERSION, LUA_VERSION);
  fflush(stdout);
}

/* ---- main -------------------------------------------------------------- */

static int pmain(lua_State *L) {
  int argc = (int)lua_tointeger(L, 1);
  char **argv = (char **)lua_touserdata(L, 2);
  int script;
  int args = collectargs(argv, argc, &script);
  int optlim = script < argc ? script : argc;
  luaL_checkversion(L);
  if (args == has_error) {
    print_usage(stderr, argv[script]);
    return 0;
  }
  if (args & has_h) {
    print_usage(stdout, NULL);
    lua_pushboolean(L, 1);
    return 1;
  }
  int tty = isatty(STDIN_FILENO);
  int interactive = (args & has_i) || (script == argc && !(args & (has_e | has_v)) && tty);
  if ((args & has_v) && !(interactive && tty)) print_version();  /* else the banner */
  if (args & has_E) {
    lua_pushboolean(L, 1);
    lua_setfield(L, LUA_REGISTRYINDEX, "LUA_NOENV");
  }
  luaL_openlibs(L);
  createargtable(L, argv, argc, script);
  lua_gc(L, LUA_GCGEN, 0, 0);
  find_prefix(argv[0]);
  setpaths(L);
  if (!(args & has_E) && handle_luainit(L) != LUA_OK) return 0;
  /* `th -v` alone only prints the version */
  if (script < argc || (args & (has_e | has_i | has_l)) || !(args & has_v)) {
    preload(L, "torch", 1);
    if (interactive) {
      preload(L, "nn", 0);
      preload(L, "optim", 0);
      preload(L, "gnuplot", -1);  /* optional: silent when missing or broken */
    }
  }
  /* Loading the libraries leaves Lua 5.4's generational collector in its fallback (a
   * major collection that freed little switches it to full collections until the heap
   * settles), which lets short-lived tensors pile up and makes small ops 2-3x slower;
   * re-entering generational mode now starts it from the loaded heap. */
  lua_gc(L, LUA_GCINC, 0, 0, 0);
  lua_gc(L, LUA_GCGEN, 0, 0);
  if (!runargs(L, argv, optlim)) return 0;
  if (script < argc && handle_script(L, argv + script) != LUA_OK) return 0;
  if (interactive) {
    if (tty) print_banner();
    doREPL(L);
  } else if (script == argc && !(args & (has_e | has_v)) && dofile(L, NULL) != LUA_OK) {
    return 0;  /* stdin, not a terminal, ran as a script */
  }
  lua_pushboolean(L, 1);
  return 1;
}

int main(int argc, char **argv) {
  /* A closed pipe ends th quietly, as it ends cat or lua (`th script | head`): SIGPIPE's
   * default action, even where the parent left it ignored, since print() cannot report a
   * failed write and the script would run on writing nowhere. The REPL at a terminal
   * catches it instead (doREPL). */
  signal(SIGPIPE, SIG_DFL);
  lua_State *L = luaL_newstate();
  if (L == NULL) {
    l_message(TH_PROGNAME, "cannot create state: not enough memory");
    return EXIT_FAILURE;
  }
  lua_pushcfunction(L, pmain);
  lua_pushinteger(L, argc);
  lua_pushlightuserdata(L, argv);
  int status = lua_pcall(L, 2, 1, 0);
  int result = lua_toboolean(L, -1);
  progname = TH_PROGNAME;
  report(L, status);
  lua_close(L);
  return (result && status == LUA_OK) ? EXIT_SUCCESS : EXIT_FAILURE;
}
