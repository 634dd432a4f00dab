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
CFLAGS  += -std=c11 -D_GNU_SOURCE -Wall -Wextra -fwrapv -fopenmp -fPIC -Itensor $(BLAS_INC)
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

.PHONY: all deps test test-cuda demo bench bench-quick install clean
all: deps $(LIBENGINE) $(BUILD)/lib/libluatorch.a $(CORE) $(TH) $(LUA_OUT) $(CUDALIB) $(MAN1) $(MAN3) $(MAN_NN) $(MAN_OPTIM) $(MAN_GNUPLOT)

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
$(BUILD)/obj/tensor/cuda/%.o: tensor/cuda/%.cu tensor/cuda/common.cuh tensor/luatorch.h tensor/internal.h tensor/scalar_math.h tensor/philox.h tensor/reduce_kinds.h
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
	install -m644 $(MAN3) $(MAN_NN) $(MAN_OPTIM) $(MAN_GNUPLOT) $(DESTDIR)$(PREFIX)/share/man/man3/

clean:
	rm -rf $(BUILD)
