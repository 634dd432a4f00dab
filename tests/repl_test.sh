#!/bin/sh
# Tests for th: the command line (options, arg, exit status, stdin, module paths)
# run directly; the REPL is driven through tmux with a fresh HOME in a temp dir.
# usage: tests/repl_test.sh [build-dir]      (default: build/ beside this script)
# Prints "ok - name" / "not ok - name" and ends with "repl: N passed, N failed".
# Nothing here needs the torch module; without tmux the REPL tests are skipped.

root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" 2>/dev/null && pwd)
TH=$build/bin/th
tmp=$(mktemp -d "${TMPDIR:-/tmp}/th_test.XXXXXX")
home=$tmp/home
mkdir -p "$home"
sock=$tmp/tmux.sock
pass=0 fail=0

cleanup() {
  command -v tmux >/dev/null 2>&1 && tmux -S "$sock" kill-server 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ok() { pass=$((pass + 1)); echo "ok - $1"; }
notok() {
  fail=$((fail + 1)); echo "not ok - $1"
  [ -n "$2" ] && printf '%s\n' "$2" | sed 's/^/#   /'
  return 0
}
# expect NAME EXPECTED ACTUAL
expect() {
  if [ "$2" = "$3" ]; then ok "$1"; else notok "$1" "expected: $2
got:      $3"; fi
}

if [ ! -x "$TH" ]; then
  notok "th binary exists" "no executable at $TH (run make)"
  echo "repl: $pass passed, $fail failed"
  exit 1
fi

# ---- command line --------------------------------------------------------

run() { HOME=$home "$TH" "$@" 2>"$tmp/err"; }

expect "version" "luatorch $(cat "$root/VERSION"), Lua 5.4" "$(run -v)"
expect "-e runs a statement" "1024.0" "$(run -e 'print(2^10)')"
expect "-e twice, in order" "a
b" "$(run -e 'print"a"' -e 'print"b"')"

cat >"$tmp/args.lua" <<'EOF'
print(arg[0], arg[1], arg[2], #arg, select('#', ...), ...)
print(arg[-1] == "x=1", arg[-2], arg[-3] ~= nil, arg[-4])
EOF
out=$(run -e x=1 "$tmp/args.lua" a b)
expect "script arg table and varargs" "$tmp/args.lua	a	b	2	2	a	b
true	-e	true	nil" "$out"

expect "without a script arg[0] is th, options follow" "true	-e	nil" \
  "$(run -e 'print(arg[0]:match("th$") ~= nil, arg[1], arg[-1])')"

expect "piping stdin" "2" "$(echo 'print(1+1)' | run)"
expect "- runs stdin with args" "-	a	b" "$(echo 'print(arg[0], ...)' | run - a b)"
expect "-- then script" "z" "$(run -- "$tmp/args.lua" z | cut -f2 | head -1)"

run -e 'error("boom")' >/dev/null
rc=$?
err=$(grep -v '^th: warning' "$tmp/err")  # torch may warn: it is not under test
expect "error exit status is 1" "1" "$rc"
case $err in
  "th: (command line):1: boom"*"stack traceback:"*) ok "error message with th: prefix and traceback" ;;
  *) notok "error message with th: prefix and traceback" "$err" ;;
esac

printf 'local x = 1\nerror("in script")\n' >"$tmp/bad.lua"
run "$tmp/bad.lua" >/dev/null
expect "script error exit status" "1" "$?"
grep -q "^th: $tmp/bad.lua:2: in script" "$tmp/err" && ok "script error names file and line" \
  || notok "script error names file and line" "$(cat "$tmp/err")"

run -e 'os.exit(3)' >/dev/null
expect "os.exit status" "3" "$?"
run -e 'os.exit(false)' >/dev/null
expect "os.exit(false) status" "1" "$?"
printf 'syntax error here\n' | run >/dev/null
expect "syntax error on stdin exits 1" "1" "$?"

out=$(run -h)
expect "-h exits 0" "0" "$?"
case $out in *"usage: th"*"-e stmt"*"-l mod"*) ok "-h prints usage" ;; *) notok "-h prints usage" "$out" ;; esac
run --help >/dev/null
expect "--help exits 0" "0" "$?"
run -x >/dev/null
expect "bad option exits 1" "1" "$?"
grep -q "unrecognized option '-x'" "$tmp/err" && ok "bad option is named" || notok "bad option is named" "$(cat "$tmp/err")"
run -e >/dev/null
expect "-e without argument exits 1" "1" "$?"

mkdir -p "$tmp/mods"
echo 'return {x = 42}' >"$tmp/mods/mymod.lua"
expect "-l mod with LUA_PATH" "42" "$(LUA_PATH="$tmp/mods/?.lua;;" run -l mymod -e 'print(mymod.x)')"
expect "-l g=mod" "42	nil" "$(LUA_PATH="$tmp/mods/?.lua;;" run -l m=mymod -e 'print(m.x, mymod)')"
expect "-E ignores LUA_PATH" "false" \
  "$(LUA_PATH="$tmp/mods/?.lua;;" run -E -e 'print((pcall(require, "mymod")))')"
expect "LUA_INIT runs" "7" "$(LUA_INIT='init_value = 7' run -e 'print(init_value)')"

# a private prefix: th finds <prefix>/share/lua/5.4 and preloads its torch
pre=$tmp/prefix
mkdir -p "$pre/bin" "$pre/share/lua/5.4/torch" "$pre/lib/lua/5.4"
cp "$TH" "$pre/bin/th"
echo 'return {stub = "torch-stub"}' >"$pre/share/lua/5.4/torch/init.lua"
echo 'return "probe"' >"$pre/share/lua/5.4/thprobe.lua"
out=$(cd / && HOME=$home "$pre/bin/th" -e 'print(require "thprobe", torch.stub)' 2>&1)
expect "module path from the executable's prefix" "probe	torch-stub" "$out"
expect "prefix comes before LUA_PATH" "true" \
  "$(cd / && LUA_PATH="$tmp/mods/?.lua;;" HOME=$home "$pre/bin/th" \
     -e 'print(package.path:find((arg[0]:gsub("/bin/th$", "/share/lua/5.4/?.lua")), 1, true) == 1)')"
expect "cpath from the prefix" "true" \
  "$(cd / && HOME=$home "$pre/bin/th" -e 'print(package.cpath:find("/lib/lua/5.4/?.so", 1, true) ~= nil)')"
rm -rf "$pre/share/lua/5.4/torch"
out=$(cd / && HOME=$home "$pre/bin/th" -e 'print(torch)' 2>"$tmp/err")
expect "runs without torch" "nil" "$out"
expect "missing torch warns in one line" "1" "$(grep -c "warning: module 'torch' not found" "$tmp/err")$(sed -n '2p' "$tmp/err")"
echo 'error("broken module")' >"$pre/share/lua/5.4/torch.lua"
out=$(cd / && HOME=$home "$pre/bin/th" -e 'print(torch)' 2>"$tmp/err")
case "$out|$(cat "$tmp/err")" in
  "nil|th: warning: cannot load 'torch': "*"broken module") ok "broken torch warns and continues" ;;
  *) notok "broken torch warns and continues" "$out|$(cat "$tmp/err")" ;;
esac
rm -f "$pre/share/lua/5.4/torch.lua"

out=$(printf '1+2\nfunction f(x)\nreturn x+1\nend\nf(1)\n=f(5)\n' | run -i)
expect "-i on a pipe: values, multi-line, no prompts" "3
2
6" "$out"

# ---- closed pipes and Ctrl-C in scripts (these use torch) -----------------

# a closed pipe ends th quietly with SIGPIPE's default action (status 141 in sh), even
# when the parent left SIGPIPE ignored; print and io.write alike
for w in print io.write; do
  out=$( (trap '' PIPE; HOME=$home "$TH" -e "for i = 1, 1e6 do $w(i, '\\n') end" 2>"$tmp/err"
          echo $? >"$tmp/rc") | head -1)
  expect "closed pipe ($w): output" "1" "$(printf '%s' "$out" | tr -d '\t')"
  expect "closed pipe ($w): killed by SIGPIPE" "141" "$(cat "$tmp/rc")"
  expect "closed pipe ($w): nothing on stderr" "" "$(cat "$tmp/err")"
done

# SIGINT while a C kernel runs (a loop of big matrix products): th stops when the kernel
# returns, with "interrupted!" and status 1
HOME=$home "$TH" -e 'local a = torch.randn(1000, 1000) io.stderr:write("ready\n")
  for i = 1, 1e6 do local c = torch.mm(a, a) end' >/dev/null 2>"$tmp/err" &
pid=$!
i=0
while [ $i -lt 200 ] && ! grep -q ready "$tmp/err"; do sleep 0.1; i=$((i + 1)); done
sleep 0.5
kill -INT $pid
i=0  # it must end promptly (a generous bound: the machine may be busy)
while [ $i -lt 300 ] && kill -0 $pid 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
if kill -0 $pid 2>/dev/null; then
  kill -KILL $pid; notok "SIGINT during torch.mm stops th" "still running 30 s later"
else
  ok "SIGINT during torch.mm stops th"
fi
wait $pid
expect "SIGINT during torch.mm: status 1" "1" "$?"
grep -q "interrupted!" "$tmp/err" && ok "SIGINT during torch.mm: interrupted! on stderr" \
  || notok "SIGINT during torch.mm: interrupted! on stderr" "$(cat "$tmp/err")"

# ---- the REPL, through tmux ----------------------------------------------

if ! command -v tmux >/dev/null 2>&1; then
  echo "# skip: REPL tests (tmux not found)"
  echo "repl: $pass passed, $fail failed"
  [ "$fail" -eq 0 ]
  exit
fi

tm() { tmux -S "$sock" -f /dev/null "$@" 2>/dev/null; }
screen() { tm capture-pane -p -J -t th -S - 2>/dev/null; }
colours() { tm capture-pane -p -e -J -t th -S - 2>/dev/null | grep -c "$(printf '\033')\\[3[0-9]m"; }
# A session that lives for the whole run keeps the tmux server up: killing the last
# session makes the server exit, and a new-session racing that exit can fail silently.
tm new-session -d -s keep "sleep 900"
start() {  # start th [ARGS] in a fresh session
  tm kill-session -t th
  j=0
  until tm new-session -d -s th -x 120 -y 50 "cd '$tmp' && env HOME='$home' $THENV '$TH' $* 2>&1; sleep 30" \
        && tm has-session -t th; do
    j=$((j + 1)); [ $j -ge 5 ] && break; sleep 0.2
  done
  wait_for '^th>( |$)' 1 200 || notok "REPL starts" "$(screen)"
}
# an empty prompt reads "th> " or "th>" (trailing blanks), hence "th>( |$)"
# wait_for REGEX [COUNT [TENTHS]]: until at least COUNT (default 1) screen lines match,
# for up to TENTHS tenths of a second (default 100)
wait_for() {
  i=0
  while [ $i -lt "${3:-100}" ]; do
    [ "$(screen | grep -c -E -- "$1")" -ge "${2:-1}" ] && return 0
    sleep 0.1; i=$((i + 1))
  done
  return 1
}
prompts() { screen | grep -c -E '^th>( |$)'; }
# type LINE: types it, presses Enter and waits for the next "th> " prompt
type_line() {
  n=$(prompts)
  tm send-keys -t th -l -- "$1"
  tm send-keys -t th Enter
  wait_for '^th>( |$)' $((n + 1))
}
# check NAME REGEX: a screen line matches
check() {
  if wait_for "$2"; then ok "$1"; else notok "$1" "no line matching /$2/ in:
$(screen)"; fi
}

start
type_line '1+2'
check "expression result printed" '^3$'
type_line '=10*10'
check "=expr prints" '^100$'
type_line '"a", 2, nil'
check "all returned values printed" '^a +2 +nil$'

tm send-keys -t th -l 'function sq(x)'; tm send-keys -t th Enter
if wait_for '^>>( |$)'; then ok "continuation prompt"; else notok "continuation prompt" "$(screen)"; fi
tm send-keys -t th -l '  return x*x'; tm send-keys -t th Enter
tm send-keys -t th -l 'end'; tm send-keys -t th Enter
sleep 0.2
type_line 'sq(12)'
check "multi-line function definition" '^144$'

type_line 'undefined_fn()'
check "error message shown" "^stdin:1: attempt to call a nil value \(global 'undefined_fn'\)"
type_line '6*7'
check "prompt works after an error" '^42$'

type_line 'x = nil'
type_line 'x'
n=$(screen | sed 's/ *$//' | grep -A1 -x 'th> x' | tail -1)
expect "nil result prints nothing" "th>" "$n"

tm send-keys -t th -l 'while true do end'; tm send-keys -t th Enter
sleep 0.5
n=$(prompts)
i=0  # a Ctrl-C that lands before the loop starts is lost: send again
while [ $i -lt 5 ] && ! screen | grep -q 'interrupted!'; do
  tm send-keys -t th C-c; sleep 1; i=$((i + 1))
done
check "Ctrl-C interrupts a running loop" 'interrupted!'
wait_for '^th>( |$)' $((n + 1)) || true
type_line '111+222'
check "prompt works after Ctrl-C" '^333$'

# Ctrl-C in a loop of C kernels: honoured when a kernel returns, the session goes on
tm send-keys -t th -l 'ma = torch.randn(800, 800); for i = 1, 1e6 do local c = torch.mm(ma, ma) end'
tm send-keys -t th Enter
sleep 0.5
n=$(prompts)
i=0
while [ $i -lt 5 ] && [ "$(screen | grep -c 'interrupted!')" -lt 2 ]; do
  tm send-keys -t th C-c; sleep 1; i=$((i + 1))
done
if wait_for 'interrupted!' 2; then ok "Ctrl-C interrupts a loop of torch.mm"; else notok "Ctrl-C interrupts a loop of torch.mm" "$(screen)"; fi
wait_for '^th>( |$)' $((n + 1)) || true
type_line '2+3'
check "prompt works after Ctrl-C in torch.mm" '^5$'

tm send-keys -t th -l '98765'
tm send-keys -t th C-c
sleep 0.2
type_line '1+1000'
check "Ctrl-C at the prompt clears the line" '^1001$'

tm send-keys -t th -l 'function g('; tm send-keys -t th Enter
wait_for '^>>( |$)' 2
tm send-keys -t th C-c
sleep 0.2
type_line 'type(g)'
check "Ctrl-C drops an unfinished chunk" '^nil$'

type_line '?'
check "? prints the REPL help" '^Manual: '
type_line '?string'
check "?name describes a global" '^string: table$'

# Tab completion (th.repl): TYPED, Tab [Tab], the line must read EXPECTED
tab() {  # tab NAME TYPED REGEX [TABS]
  tm send-keys -t th -l -- "$2"
  k=0
  while [ $k -lt "${4:-1}" ]; do tm send-keys -t th Tab; sleep 0.3; k=$((k + 1)); done
  check "$1" "$3"
  tm send-keys -t th C-u
  sleep 0.1
}
tab "Tab completes a field" 'x = torch.manu' '^th> x = torch\.manualSeed *$'
tab "Tab completes a global" 'coll' '^th> collectgarbage *$'
tab "Tab completes a keyword" 'x = func' '^th> x = function *$'
tab "Tab completes nn classes not loaded yet" 'nn.SpatialMaxP' '^th> nn\.SpatialMaxPooling *$'
tab "Tab Tab lists the candidates by their last part" 'nn.Spatial' '^SpatialAveragePooling +SpatialConvolution' 3
type_line 'rt = torch.ones(2)'
tab "Tab completes tensor methods after :" 'rt:resizeA' '^th> rt:resizeAs *$'
type_line 'rm = nn.Linear(2, 3)'
tab "Tab completes module methods after :" 'rm:zeroGrad' '^th> rm:zeroGradParameters *$'
: >"$tmp/completeme_file.txt"
tab "Tab completes file names in a string" 'f = io.open("completeme_' '^th> f = io\.open\("completeme_file\.txt" *$'

type_line '?nn.Linear'
check "?nn.Linear prints its manual entry" '^nn\.Linear\(inputSize, outputSize'
type_line '?torch.mm'
check "?torch.mm prints its manual entry" '^torch\.mm\(\[res,\] a, b\)'
type_line '?rt:view'
check "?t:view prints the tensor method's entry" '^t:view\(sizes\.\.\.\)'

type_line '{3, "s", k = {4}}'
check "tables print nested" '^\{3, "s", k = \{4\}\}$'
type_line 'cyc = {}; cyc.me = cyc'
type_line 'cyc'
check "a cycle prints as <cycle>" '^\{me = <cycle>\}$'
if [ "$(colours)" -gt 0 ]; then ok "colours on a terminal"; else notok "colours on a terminal" "$(screen)"; fi
type_line 'function inner_fn() error("deep") end; function outer_fn() inner_fn() end'
type_line 'outer_fn()'
check "errors show a short traceback" "^[[:space:]]+stdin:1: in function 'outer_fn'"
n=$(screen | grep -c -F '[C]: in ?')
expect "no frames of th itself in tracebacks" "0" "$n"
type_line 'nn ~= nil, optim ~= nil'
check "nn and optim preloaded" '^true +true$'

type_line '7*6'
type_line '7*6'
tm send-keys -t th C-d
hist=$home/.luatorch_history
i=0  # the history is written when th exits
while [ $i -lt 50 ] && ! grep -qx '7\*6' "$hist" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
if [ -s "$hist" ] && grep -qx '1+2' "$hist"; then ok "history file written"; else notok "history file written" "$(ls -la "$home")"; fi
expect "consecutive duplicates kept once" "1" "$(grep -cx '7\*6' "$hist")"
grep -qx 'function sq(x)' "$hist" && grep -qx 'end' "$hist" && grep -qx '=10\*10' "$hist" \
  && ok "multi-line and =expr entries in history" || notok "multi-line and =expr entries in history" "$(cat "$hist")"

start
tm send-keys -t th Up
check "history persists across sessions" '^th> 7\*6$'
tm send-keys -t th C-u
type_line 'os.exit(0)'
sleep 0.3

# SIGTERM at the prompt: th saves the history, then dies of the signal
start -i -e "\"io.open('$tmp/pid','w'):write(io.open('/proc/self/stat'):read('n')):close()\""
type_line 'terminated_line = 1'
if [ -s "$tmp/pid" ] && kill -TERM "$(cat "$tmp/pid")"; then
  i=0
  while [ $i -lt 30 ] && ! grep -qx 'terminated_line = 1' "$hist"; do sleep 0.1; i=$((i + 1)); done
  grep -qx 'terminated_line = 1' "$hist" && ok "history saved on SIGTERM" \
    || notok "history saved on SIGTERM" "$(cat "$hist")"
else
  notok "history saved on SIGTERM" "no pid written: $(screen)"
fi

# a pipe whose reader died is an error at the REPL, not the end of th; commands the
# REPL starts still die of SIGPIPE quietly (the REPL catches it, it does not ignore it)
start
type_line 'print((io.popen("yes | head -1 >/dev/null; echo child-done", "r"):read("a")))'
check "SIGPIPE default in commands the REPL starts" '^child-done$'
type_line 'pp = io.popen("true", "w"); os.execute("sleep 0.3"); print(pp:write(string.rep("x", 300000)))'
check "a closed pipe is a Lua error at the REPL" '^nil +Broken pipe +32$'
type_line '4+4'
check "prompt works after a closed pipe" '^8$'
n=$(screen | grep -c 'yes: ')
expect "no child complained of a broken pipe" "0" "$n"

THENV=NO_COLOR=1 start
type_line '{1, "x"}'
check "NO_COLOR: values still print" '^\{1, "x"\}$'
expect "NO_COLOR: no colours" "0" "$(colours)"
THENV=

echo "repl: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
