# siplb - SIP load balancer with an XDP fast path.
#
#   make            build the BPF objects, the skeleton and the programs
#   make check      install dependencies, build, run every test (as root)
#   make demo       install dependencies, build, run the namespace demo
#   make bench      print the XDP fast-path benchmark figures
#   make install    install under $(DESTDIR)$(PREFIX) (default /usr/local)
#   make V=1        show full commands
#
# Every build output goes under build/.

PREFIX    ?= /usr/local
DESTDIR   ?=
BPFOBJDIR ?= $(PREFIX)/lib/siplb

OUT       := build
CC        ?= gcc
CLANG     ?= clang
BPFTOOL   ?= bpftool
ARCH_INC  := /usr/include/$(shell $(CC) -dumpmachine)

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

WARNINGS  := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	     -Wmissing-prototypes -Wformat=2 -Wundef -Wpointer-arith \
	     -Wno-unused-parameter
CFLAGS    ?= -O2 -g
CFLAGS    += $(WARNINGS) -std=gnu11 -D_GNU_SOURCE -Iinclude -Iuser \
	     -I$(OUT) -I$(ARCH_INC)
LDLIBS    += -lbpf -lelf -lz -lcrypto

BPF_CFLAGS := -g -O2 -target bpf -Wall -Werror -Iinclude -I$(ARCH_INC)

# BPF programs: siplb is the product; the others serve tests and benchmarks.
BPF_SRCS  := $(wildcard bpf/*.bpf.c)
BPF_OBJS  := $(patsubst bpf/%.bpf.c,$(OUT)/%.bpf.o,$(BPF_SRCS))
BPF_HDRS  := $(wildcard bpf/*.h) $(wildcard include/*.h)

# User-space modules shared by the programs (every user/*.c without main).
USER_MAINS := user/siplbctl.c user/siplbd.c user/siplb_worker.c
USER_LIB_SRCS := $(filter-out $(USER_MAINS),$(wildcard user/*.c))
USER_LIB_OBJS := $(patsubst user/%.c,$(OUT)/user/%.o,$(USER_LIB_SRCS))
USER_HDRS := $(wildcard user/*.h) $(wildcard include/*.h) $(OUT)/siplb.skel.h

PROGS     := $(OUT)/siplbctl $(OUT)/siplbd
# The backend worker (user/siplb_worker.c), once it exists.
ifneq ($(wildcard user/siplb_worker.c),)
PROGS     += $(OUT)/siplb-worker
endif

# C tests: tests/test_<name>.c -> build/tests/test_<name>, linked with the
# user-space modules, tests/testlib.c and tests/packet.c.
TEST_SRCS := $(wildcard tests/test_*.c)
TEST_BINS := $(patsubst tests/%.c,$(OUT)/tests/%,$(TEST_SRCS))
TEST_LIB_SRCS := $(filter-out $(TEST_SRCS),$(wildcard tests/*.c))
TEST_LIB_OBJS := $(patsubst tests/%.c,$(OUT)/tests/%.o,$(TEST_LIB_SRCS))

# Benchmark helpers: scripts/bench/*.c, each a program of its own.
BENCH_SRCS := $(wildcard scripts/bench/*.c)
BENCH_BINS := $(patsubst scripts/bench/%.c,$(OUT)/bench/%,$(BENCH_SRCS))

.PHONY: all deps check demo bench install clean
all: $(BPF_OBJS) $(OUT)/siplb.skel.h $(PROGS) $(TEST_BINS) $(BENCH_BINS)

deps:
	$(Q)scripts/deps.sh

check: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)tests/run-all.sh

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)scripts/demo.sh

bench: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)scripts/bench-xdp.sh

$(OUT) $(OUT)/user $(OUT)/tests $(OUT)/bench:
	$(Q)mkdir -p $@

$(OUT)/%.bpf.o: bpf/%.bpf.c $(BPF_HDRS) | $(OUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUT)/siplb.skel.h: $(OUT)/siplb.bpf.o | $(OUT)
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name siplb > $@.tmp && mv $@.tmp $@

$(OUT)/user/%.o: user/%.c $(USER_HDRS) | $(OUT)/user
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(OUT)/siplbctl $(OUT)/siplbd: $(OUT)/%: $(OUT)/user/%.o $(USER_LIB_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS)

$(OUT)/siplb-worker: $(OUT)/user/siplb_worker.o $(USER_LIB_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS)

$(OUT)/tests/%.o: tests/%.c tests/*.h $(USER_HDRS) | $(OUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Itests -c $< -o $@

$(OUT)/tests/test_%: $(OUT)/tests/test_%.o $(TEST_LIB_OBJS) $(USER_LIB_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS)

$(OUT)/bench/%: scripts/bench/%.c $(TEST_LIB_OBJS) $(USER_LIB_OBJS) $(USER_HDRS) | $(OUT)/bench
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -Itests $< $(TEST_LIB_OBJS) $(USER_LIB_OBJS) -o $@ $(LDLIBS)

install: all
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(BPFOBJDIR)
	install -m 0755 $(PROGS) $(DESTDIR)$(PREFIX)/sbin/
	install -m 0644 $(OUT)/siplb.bpf.o $(DESTDIR)$(BPFOBJDIR)/siplb.bpf.o
	install -d $(DESTDIR)$(PREFIX)/share/doc/siplb
	install -m 0644 etc/siplb.conf $(DESTDIR)$(PREFIX)/share/doc/siplb/siplb.conf.example

clean:
	rm -rf $(OUT)
