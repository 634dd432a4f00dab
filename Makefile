# luatorch: `make` builds everything into build/ (laid out like an install prefix),
# `make test` runs the C and Lua suites, `make demo` trains on Fashion-MNIST for one epoch,
# `make install PREFIX=...`.
PREFIX ?= /usr/local
BUILD  := build
LUAV   := 5.4

CC      ?= cc
NVCC    ?= $(shell command -v nvcc 2>/dev/null || ls /usr/local/cuda/bin/nvcc 2>/dev/null)
NVCC_ARCH ?= -gencode arch=compute_80,code=[sm_80,compute_80] -gencode arch=compute_90,code=sm_90
LUA_INC := $(shell pkg-config --cflags lua5.4 2>/dev/null || echo -I/usr/include/lua5.4)
LUA_LIB := $(shell pkg-config --libs lua5.4 2>/dev/null || echo -llua5.4)
BLAS_DIR := /usr/lib/x86_64-linux-gnu/openblas-openmp
BLAS_INC := -I/usr/include/x86_64-linux-gnu/openblas-openmp
CFLAGS  ?= -O3 -march=x86-64-v2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE -Wall -Wextra -fwrapv -fno-math-errno -fopenmp -fPIC -Itensor $(BLAS_INC)
LDLIBS  := -L$(BLAS_DIR) -Wl,-rpath,$(BLAS_DIR) -lopenblas -lm -ldl -lpthread -fopenmp
# glibc's vector math (libmvec: AVX2 exp/tanh for the float32 loops) where the toolchain has it
MVEC    := $(shell printf 'int main(void){return 0;}' | $(CC) -x c - -lmvec -o /dev/null 2>/dev/null && echo yes)
ifeq ($(MVEC),yes)
CFLAGS  += -DLT_HAVE_MVEC
LDLIBS  += -lmvec
endif

ENGINE_SRC := $(wildcard tensor/*.c)
ENGINE_OBJ := $(ENGINE_SRC:%.c=$(BUILD)/obj/%.o)
BIND_SRC   := $(wildcard bindings/*.c)
BIND_OBJ   := $(BIND_SRC:%.c=$(BUILD)/obj/%.o)
CTEST_SRC  := $(wildcard tests/c/*.c)
CUDA_SRC   := $(wildcard tensor/cuda/*.cu)
CUDA_OBJ   := $(CUDA_SRC:%.cu=$(BUILD)/obj/%.o)
LUA_SRC    := $(shell find stdlib nn -name '*.lua' 2>/dev/null)
LUA_OUT    := $(patsubst stdlib/%,$(BUILD)/share/lua/$(LUAV)/%,$(filter stdlib/%,$(LUA_SRC))) \
              $(patsubst nn/%,$(BUILD)/share/lua/$(LUAV)/nn/%,$(filter nn/%,$(LUA_SRC)))
HEADERS    := $(wildcard tensor/*.h) $(wildcard bindings/*.h)

LIBENGINE := $(BUILD)/lib/libluatorch.so
CORE      := $(BUILD)/lib/lua/$(LUAV)/torch/core.so
TH        := $(BUILD)/bin/th
CTEST     := $(BUILD)/tests/test_engine
CUDALIB   := $(if $(NVCC),$(if $(CUDA_SRC),$(BUILD)/lib/libluatorch_cuda.so))

MAN3      := $(BUILD)/share/man/man3/torch.3
MAN1      := $(BUILD)/share/man/man1/th.1
MAN_NN    := $(BUILD)/share/man/man3/nn.3
MAN_OPTIM := $(BUILD)/share/man/man3/optim.3
MAN_GNUPLOT := $(BUILD)/share/man/man3/gnuplot.3
MAN_DIST  := $(BUILD)/share/man/man3/distributed.3

.PHONY: all deps test test-cuda demo bench bench-quick bench-dist bench-dist-quick install clean check-asan check-valgrind fuzz-files fuzz-files-build fuzz-files-deps fuzz
all: deps $(LIBENGINE) $(BUILD)/lib/libluatorch.a $(CORE) $(TH) $(LUA_OUT) $(CUDALIB) $(MAN1) $(MAN3) $(MAN_NN) $(MAN_OPTIM) $(MAN_GNUPLOT) $(MAN_DIST)

# torch(3) is written in sections, one file per family, joined in name order
$(MAN3): $(sort $(wildcard man/parts/*.3))
	@mkdir -p $(dir $@)
	cat $^ > $@
# nn(3) and optim(3): the same, from man/nn/ and man/optim/
$(MAN_NN): $(sort $(wildcard man/nn/*.3))
	@mkdir -p $(dir $@)
	cat $^ > $@
$(MAN_OPTIM): $(sort $(wildcard man/optim/*.3))
	@mkdir -p $(dir $@)
	cat $^ > $@
$(MAN_GNUPLOT): man/gnuplot.3
	@mkdir -p $(dir $@)
	cp $< $@
$(MAN_DIST): man/distributed.3
	@mkdir -p $(dir $@)
	cp $< $@
$(MAN1): man/th.1
	@mkdir -p $(dir $@)
	cp $< $@

deps:
	@sh scripts/deps.sh

$(BUILD)/obj/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LUA_INC) -c $< -o $@

$(LIBENGINE): $(ENGINE_OBJ)
	@mkdir -p $(dir $@)
	$(CC) -shared -Wl,-z,nodelete -o $@ $^ $(LDLIBS)

$(BUILD)/lib/libluatorch.a: $(ENGINE_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

# the Lua module carries its own copy of the engine, so it needs no library path
# -z nodelete: Lua dlcloses C modules at exit, but OpenMP's worker threads may still
# be running the module's code then; the module stays mapped until the process ends
$(CORE): $(BIND_OBJ) $(ENGINE_OBJ)
	@mkdir -p $(dir $@)
	$(CC) -shared -Wl,-z,nodelete -o $@ $^ $(LDLIBS) -lz

$(TH): $(BUILD)/obj/interp/th.o
	@mkdir -p $(dir $@)
	$(CC) -o $@ $^ $(LUA_LIB) -lreadline -lm -ldl

$(BUILD)/obj/interp/th.o: interp/th.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LUA_INC) -DLT_VERSION='"$(shell cat VERSION)"' -c $< -o $@

$(BUILD)/share/lua/$(LUAV)/nn/%: nn/%
	@mkdir -p $(dir $@)
	cp $< $@
$(BUILD)/share/lua/$(LUAV)/%: stdlib/%
	@mkdir -p $(dir $@)
	cp $< $@

# each .cu file compiles on its own (a change to one kernel family rebuilds only it)
$(BUILD)/obj/tensor/cuda/%.o: tensor/cuda/%.cu tensor/cuda/common.cuh tensor/luatorch.h tensor/internal.h tensor/lapack_call.h tensor/scalar_math.h tensor/philox.h tensor/reduce_kinds.h
	@mkdir -p $(dir $@)
	$(NVCC) -O3 -std=c++17 $(NVCC_ARCH) -Xcompiler -fPIC -Itensor -c -o $@ $<

$(CUDALIB): $(CUDA_OBJ)
	@mkdir -p $(dir $@)
	$(NVCC) -shared $(NVCC_ARCH) -Xlinker --no-undefined -o $@ $(CUDA_OBJ) -lcublas -Xlinker -rpath,$(abspath $(dir $(NVCC))../lib64)

$(CTEST): $(CTEST_SRC) $(ENGINE_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $(CTEST_SRC) $(ENGINE_OBJ) $(LDLIBS)

test: all $(CTEST)
	@sh tests/run.sh $(BUILD)

# only the CUDA test files (tests/lua/test_cuda*.lua); they skip without a GPU
test-cuda: all
	$(TH) tests/run.lua test_cuda

# the main job, briefly: one epoch of the Fashion-MNIST example, its loss curve drawn in
# the terminal and written as a PNG
demo: all
	$(TH) examples/fashion_mnist.lua -epochs 1 -plot $(BUILD)/fashion_mnist_loss.png -save $(BUILD)/fashion_mnist.t7

# luatorch and PyTorch side by side (issue 8's table), written into bench/RESULTS.md
bench: all $(BUILD)/bench/sgemm $(BUILD)/bench/stream
	@sh scripts/deps.sh bench
	@sh bench/run.sh $(BUILD)

# the same table from one short round (under a minute), printed only
bench-quick: all $(BUILD)/bench/sgemm $(BUILD)/bench/stream
	@sh scripts/deps.sh bench
	@BENCH_QUICK=1 sh bench/run.sh $(BUILD)

$(BUILD)/bench/stream: bench/stream.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< -fopenmp

$(BUILD)/bench/sgemm: bench/sgemm.c $(BUILD)/lib/libluatorch.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(BUILD)/lib/libluatorch.a $(LDLIBS)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/lua/$(LUAV)/torch \
	  $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/share/lua/$(LUAV) \
	  $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man3
	install -m755 $(TH) $(DESTDIR)$(PREFIX)/bin/th
	install -m644 $(CORE) $(DESTDIR)$(PREFIX)/lib/lua/$(LUAV)/torch/core.so
	install -m644 $(LIBENGINE) $(BUILD)/lib/libluatorch.a $(CUDALIB) $(DESTDIR)$(PREFIX)/lib/
	install -m644 tensor/luatorch.h $(DESTDIR)$(PREFIX)/include/
	cp -r $(BUILD)/share/lua/$(LUAV)/. $(DESTDIR)$(PREFIX)/share/lua/$(LUAV)/
	install -m644 $(MAN1) $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m644 $(MAN3) $(MAN_NN) $(MAN_OPTIM) $(MAN_GNUPLOT) $(MAN_DIST) $(DESTDIR)$(PREFIX)/share/man/man3/
	$(if $(DIST_CORE),install -D -m644 $(DIST_CORE) $(DESTDIR)$(PREFIX)/lib/lua/$(LUAV)/distributed/core.so)
	$(if $(DIST_NCCL),install -D -m644 $(DIST_NCCL) $(DESTDIR)$(PREFIX)/lib/lua/$(LUAV)/distributed/nccl.so)

clean:
	rm -rf $(BUILD)

# ---- sanitizers and memcheck ----
# make check-asan: everything but the CUDA library built with AddressSanitizer and
# UndefinedBehaviorSanitizer (-O1 -g, the engine's memory pools off: see internal.h) into
# $(ASAN_BUILD), then the whole suite run under them, LeakSanitizer included.
# ASan's and LSan's reports are written to files in $(ASAN_BUILD)/sanitizer-logs rather
# than to stderr, so that one from a child process whose exit status a test ignores still
# counts: any file there fails the target, and is printed. UBSan (a separate runtime in
# gcc, which ignores log_path there) aborts the process and writes to stderr; the suite's
# output is kept in $(ASAN_BUILD)/suite.log and searched for its reports. tests/lsan.supp
# says what leak reports are ignored.
# CC, CFLAGS and NVCC stay in the suite's environment so that `make install` in
# tests/install_test.sh keeps to the same build.
ASAN_BUILD ?= build-asan
ASAN_LOGS  := $(abspath $(ASAN_BUILD))/sanitizer-logs
ASAN_ENV   := CC='$(CC) -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all' \
  CFLAGS='-O1 -g -march=x86-64-v2' NVCC= \
  ASAN_OPTIONS='log_path=$(ASAN_LOGS)/asan:detect_leaks=1:strict_string_checks=1:detect_invalid_pointer_pairs=0' \
  UBSAN_OPTIONS='print_stacktrace=1:halt_on_error=1' \
  LSAN_OPTIONS='suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0' \
  LT_ASAN_PRELOAD="$$($(CC) -print-file-name=libasan.so)"

check-asan:
	@sh scripts/deps.sh check
	$(ASAN_ENV) $(MAKE) BUILD=$(ASAN_BUILD) all $(ASAN_BUILD)/tests/test_engine
	@rm -rf $(ASAN_LOGS) && mkdir -p $(ASAN_LOGS)
	@{ $(ASAN_ENV) sh tests/run.sh $(ASAN_BUILD); echo $$? > $(ASAN_LOGS)/../suite.rc; } 2>&1 | \
	  tee $(ASAN_LOGS)/../suite.log; rc=$$(cat $(ASAN_LOGS)/../suite.rc); \
	  if [ -n "$$(ls -A $(ASAN_LOGS))" ]; then \
	    cat $(ASAN_LOGS)/*; echo "check-asan: FAIL: sanitizer reports in $(ASAN_LOGS)"; exit 1; fi; \
	  if grep -q 'runtime error:' $(ASAN_LOGS)/../suite.log; then \
	    echo "check-asan: FAIL: UndefinedBehaviorSanitizer reports in $(ASAN_LOGS)/../suite.log"; exit 1; fi; \
	  [ $$rc -eq 0 ] && echo "check-asan: the suite passed with no sanitizer reports"; exit $$rc

# make check-valgrind: the C tests (-O1 -g, pools off) under valgrind memcheck; any error
# or any definitely or indirectly lost block fails it.
VG_BUILD ?= build-vg
check-valgrind:
	@sh scripts/deps.sh check
	CFLAGS='-O1 -g -march=x86-64-v2 -DLT_NO_POOLS' NVCC= $(MAKE) BUILD=$(VG_BUILD) $(VG_BUILD)/tests/test_engine
	valgrind --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite,indirect \
	  --show-leak-kinds=definite,indirect $(VG_BUILD)/tests/test_engine

# make fuzz-files [FUZZ_SECONDS=n]: libFuzzer harnesses for the readers of untrusted files
# (tests/fuzz/fuzz_{t7,safetensors,idx,csv}.c), the engine and bindings compiled with
# clang's AddressSanitizer, UndefinedBehaviorSanitizer and coverage into
# $(FUZZ_BUILD); each harness runs FUZZ_SECONDS (default 30) from its seed corpus
# (tests/fuzz/corpus/<reader>, plus tests/fuzz/regressions/<reader>). Any crash,
# sanitizer report, input slower than FUZZ_TIMEOUT seconds, memory beyond the limits, or
# Lua error without the reader's own message fails it, with a command that reproduces it.
FUZZ_BUILD   ?= build-fuzzfiles
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 30
FUZZ_TIMEOUT ?= 1
FUZZ_READERS := t7 safetensors idx csv
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_CFLAGS  := -O1 -g $(FUZZ_SAN) -fsanitize=fuzzer-no-link -std=c11 -D_GNU_SOURCE -Wall -Wextra \
  -Wno-pass-failed -Wno-tautological-constant-out-of-range-compare -fwrapv -fopenmp -fPIC -Itensor $(BLAS_INC) $(LUA_INC)
FUZZ_OBJ     := $(patsubst %.c,$(FUZZ_BUILD)/obj/%.o,$(ENGINE_SRC) $(BIND_SRC))
FUZZ_BIN     := $(FUZZ_READERS:%=$(FUZZ_BUILD)/fuzz_%)

$(FUZZ_BUILD)/obj/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@

$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_common.h $(FUZZ_OBJ)
	$(FUZZ_CC) -O1 -g $(FUZZ_SAN) -fsanitize=fuzzer -std=c11 -D_GNU_SOURCE -Wall -Wextra $(LUA_INC) \
	  -DFUZZ_ROOT='"$(CURDIR)"' -o $@ $< $(FUZZ_OBJ) $(LUA_LIB) -L$(BLAS_DIR) -Wl,-rpath,$(BLAS_DIR) \
	  -lopenblas -lz -lm -ldl -lpthread -fopenmp

# the objects named here too, or make would delete them as intermediates of fuzz_%
fuzz-files-build: $(FUZZ_OBJ) $(FUZZ_BIN)

fuzz-files-deps:
	@sh scripts/deps.sh fuzz

fuzz-files: fuzz-files-deps
	@$(MAKE) --no-print-directory fuzz-files-build
	@sh tests/fuzz/run_files.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_TIMEOUT) $(FUZZ_READERS)

# ---- API fuzzing ----
# make fuzz [SEED=n] [SECONDS=n]: random calls of torch, nn and optim functions and
# methods with random arguments (tests/fuzz/api.lua), in child th processes limited in
# time and memory, for SECONDS (default 600); any crash, hang or sanitizer report fails
# it and prints the seed, the call and the call as Lua code. SEED defaults to the clock
# (printed). `make test` runs a one-minute round with a fixed seed; API_FUZZ_TH=build-asan/bin/th
# fuzzes the sanitizer build.
SEED    ?= $(shell date +%s)
SECONDS ?= 600
fuzz: all
	$(TH) tests/fuzz/run.lua --th $(or $(API_FUZZ_TH),$(TH)) --seed $(SEED) --seconds $(SECONDS)

# ---- distributed: the MPI backend ----
# distributed/core.so (distributed/mpi.c), the C side of `require 'distributed'` for CPU
# tensors, built only where MPI's compiler wrapper is found (Debian: openmpi-bin and
# libopenmpi-dev, installed by scripts/deps.sh); without it `all` does not build it and
# distributed.init says the backend is missing. It links libmpi and reaches tensors through
# torch/core.so's C interface (bindings/lt_capi.h), not through the engine's symbols.
# The `all:` line below adds it to all (a prerequisite line of its own: DIST_CORE is set
# here, after the main all: line has been read). -z nodelete as for core.so: Lua dlcloses
# C modules at exit while the module's watchdog thread still waits in its code.
MPICC     ?= $(shell command -v mpicc 2>/dev/null)
MPI_CFLAGS = $(shell $(MPICC) --showme:compile 2>/dev/null || pkg-config --cflags ompi-c)
MPI_LIBS   = $(shell $(MPICC) --showme:link 2>/dev/null || pkg-config --libs ompi-c)
DIST_CORE := $(if $(MPICC),$(BUILD)/lib/lua/$(LUAV)/distributed/core.so)
all: $(DIST_CORE)

$(BUILD)/lib/lua/$(LUAV)/distributed/core.so: distributed/mpi.c distributed/dist_common.h tensor/luatorch.h bindings/lt_capi.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Ibindings $(LUA_INC) $(MPI_CFLAGS) -shared -Wl,-z,nodelete -o $@ $< $(MPI_LIBS) -ldl

# distributed/nccl.so (distributed/nccl.c): the NCCL backend for CUDA tensors, plain C
# linking libnccl, libcudart (found through rpath, like the CUDA backend's libraries) and
# libmpi (the bootstrap), built only where mpicc, nvcc (the toolkit) and NCCL's header
# and library are found; elsewhere distributed.init{backend='nccl'} says it is missing.
CUDA_HOME := $(if $(NVCC),$(abspath $(dir $(NVCC))..))
NCCL_INC  ?= $(firstword $(foreach d,$(CUDA_HOME)/include /usr/include,$(if $(wildcard $(d)/nccl.h),$(d))))
NCCL_LIB  ?= $(firstword $(foreach d,$(CUDA_HOME)/lib64 /usr/lib/x86_64-linux-gnu,$(if $(wildcard $(d)/libnccl.so),$(d))))
DIST_NCCL := $(if $(and $(MPICC),$(NVCC),$(NCCL_INC),$(NCCL_LIB)),$(BUILD)/lib/lua/$(LUAV)/distributed/nccl.so)
all: $(DIST_NCCL)

$(BUILD)/lib/lua/$(LUAV)/distributed/nccl.so: distributed/nccl.c distributed/dist_common.h tensor/luatorch.h bindings/lt_capi.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Ibindings -I$(NCCL_INC) -I$(CUDA_HOME)/include $(LUA_INC) $(MPI_CFLAGS) -shared -Wl,-z,nodelete \
	  -o $@ $< -L$(NCCL_LIB) -L$(CUDA_HOME)/lib64 -Wl,-rpath,$(NCCL_LIB) -Wl,-rpath,$(CUDA_HOME)/lib64 \
	  -lnccl -lcudart $(MPI_LIBS) -ldl

# ---- bench-dist: distributed.allReduce against MPI_Allreduce, the data-parallel step ----
# bench/dist.sh: 1-256 MB allReduce between 2 ranks against MPI_Allreduce called directly
# (bench/mpi_allreduce.c, a program of its own, and bench/dist_ref.c, a Lua C module that
# calls it in the same job on the same tensor), and a training step with 1 process and
# with 2 ranks; the tables are written into bench/RESULTS.md (their own block, which
# `make bench` keeps). bench-dist-quick: one round, printed only. Needs MPI (mpicc,
# mpirun). About 2.5 minutes on 2 cores.
bench-dist: all $(BUILD)/bench/mpi_allreduce $(BUILD)/bench/dist_ref.so
	@sh bench/dist.sh $(BUILD)

bench-dist-quick: all $(BUILD)/bench/mpi_allreduce $(BUILD)/bench/dist_ref.so
	@BENCH_QUICK=1 sh bench/dist.sh $(BUILD)

$(BUILD)/bench/mpi_allreduce: bench/mpi_allreduce.c
	@test -n "$(MPICC)" || { echo "bench-dist: mpicc not found (sh scripts/deps.sh installs openmpi-bin and libopenmpi-dev)"; exit 1; }
	@mkdir -p $(dir $@)
	$(MPICC) $(CFLAGS) -o $@ $<

$(BUILD)/bench/dist_ref.so: bench/dist_ref.c tensor/luatorch.h bindings/lt_capi.h
	@test -n "$(MPICC)" || { echo "bench-dist: mpicc not found (sh scripts/deps.sh installs openmpi-bin and libopenmpi-dev)"; exit 1; }
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Ibindings $(LUA_INC) $(MPI_CFLAGS) -shared -o $@ $< $(MPI_LIBS)
