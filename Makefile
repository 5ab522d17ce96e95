# siplb - SIP load balancer with an XDP fast path.
#
#   make            build the BPF objects, the skeleton and the programs
#   make check      install dependencies, build, then (as root) every test,
#                   `make asan` and `make fuzz` (tests/check.sh)
#   make asan       the C tests built with ASan+UBSan (build/asan/), run
#   make fuzz       build the fuzz targets (build/fuzz/), run each briefly
#   make fuzz-build just build them (scripts/fuzz-long.sh runs them longer)
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

PROGS     := $(OUT)/siplbctl $(OUT)/siplbd $(OUT)/siplb-worker

# C tests: tests/test_<name>.c -> build/tests/test_<name>, linked with the
# user-space modules, tests/testlib.c and tests/packet.c.
TEST_SRCS := $(wildcard tests/test_*.c)
TEST_BINS := $(patsubst tests/%.c,$(OUT)/tests/%,$(TEST_SRCS))
TEST_LIB_SRCS := $(filter-out $(TEST_SRCS),$(wildcard tests/*.c))
TEST_LIB_OBJS := $(patsubst tests/%.c,$(OUT)/tests/%.o,$(TEST_LIB_SRCS))

# Benchmark helpers: scripts/bench/*.c, each a program of its own.
BENCH_SRCS := $(wildcard scripts/bench/*.c)
BENCH_BINS := $(patsubst scripts/bench/%.c,$(OUT)/bench/%,$(BENCH_SRCS))

.PHONY: all deps check demo bench install clean asan fuzz fuzz-build
all: $(BPF_OBJS) $(OUT)/siplb.skel.h $(PROGS) $(TEST_BINS) $(BENCH_BINS)

deps:
	$(Q)scripts/deps.sh

check: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)tests/check.sh

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

# ---- sanitizers ------------------------------------------------------
#
# `make asan`: every tests/test_*.c and the modules it links, rebuilt with
# AddressSanitizer (and LeakSanitizer) and UndefinedBehaviorSanitizer into
# build/asan/, then run. Any report fails the test: UBSan does not recover.
# test_xdp needs root and BPF, as in tests/run-all.sh. The compiler and
# flags are the normal build's but -Wmaybe-uninitialized, which gcc
# documents as unreliable under -fsanitize (false positives, with
# -Werror a failed build); the normal build still has it.
ASAN_CC   ?= $(CC)
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	     -fno-omit-frame-pointer
ASAN_CFLAGS := $(CFLAGS) $(SAN_FLAGS) -Wno-maybe-uninitialized
ASAN_USER_OBJS := $(patsubst user/%.c,$(OUT)/asan/user/%.o,$(USER_LIB_SRCS))
ASAN_TEST_LIB_OBJS := $(patsubst tests/%.c,$(OUT)/asan/tests/%.o,$(TEST_LIB_SRCS))
ASAN_TEST_BINS := $(patsubst tests/%.c,$(OUT)/asan/%,$(TEST_SRCS))
# halt_on_error: a report is a failure, not a warning to scroll past.
SAN_ENV := ASAN_OPTIONS=detect_leaks=1:halt_on_error=1 \
	   UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

$(OUT)/asan/user $(OUT)/asan/tests $(OUT)/fuzz:
	$(Q)mkdir -p $@

$(OUT)/asan/user/%.o: user/%.c $(USER_HDRS) | $(OUT)/asan/user
	$(call msg,CC-ASAN,$@)
	$(Q)$(ASAN_CC) $(ASAN_CFLAGS) -c $< -o $@

$(OUT)/asan/tests/%.o: tests/%.c tests/*.h $(USER_HDRS) | $(OUT)/asan/tests
	$(call msg,CC-ASAN,$@)
	$(Q)$(ASAN_CC) $(ASAN_CFLAGS) -Itests -c $< -o $@

$(OUT)/asan/test_%: $(OUT)/asan/tests/test_%.o $(ASAN_TEST_LIB_OBJS) $(ASAN_USER_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(ASAN_CC) $(ASAN_CFLAGS) $^ -o $@ $(LDLIBS)

# Objects, not intermediates: keep them so that `make asan` rebuilds only
# what changed.
.SECONDARY: $(ASAN_USER_OBJS) $(ASAN_TEST_LIB_OBJS) \
	    $(patsubst tests/%.c,$(OUT)/asan/tests/%.o,$(TEST_SRCS))

asan: $(ASAN_TEST_BINS) $(BPF_OBJS)
	$(Q)failed=""; \
	for t in $(ASAN_TEST_BINS); do \
		echo "=== asan $$(basename $$t)"; \
		if $(SAN_ENV) $$t; then \
			echo "=== asan $$(basename $$t): PASS"; \
		else \
			echo "=== asan $$(basename $$t): FAIL"; \
			failed="$$failed $$(basename $$t)"; \
		fi; \
	done; \
	if [ -n "$$failed" ]; then echo "asan FAILED:$$failed"; exit 1; fi; \
	echo "asan: all tests passed"

# ---- fuzzing ---------------------------------------------------------
#
# libFuzzer targets (tests/fuzz/fuzz_<target>.c) for the parsers that read
# what strangers send or what an operator writes. Each links only the
# modules it needs, compiled with it under ASan and UBSan; no libbpf.
# `make fuzz` replays each target's recorded crashers, then fuzzes it for
# FUZZ_TIME seconds from its seed corpus, FUZZ_JOBS targets at a time, and
# fails on any crash, leak, hang or broken check (tests/fuzz/run.sh).
FUZZ_CC      ?= $(CLANG)
FUZZ_TIME    ?= 60
FUZZ_JOBS    ?= 2
FUZZ_TARGETS := sip_msg uri digest config users
FUZZ_BINS    := $(patsubst %,$(OUT)/fuzz/fuzz_%,$(FUZZ_TARGETS))
FUZZ_CFLAGS  := -O1 -g -fsanitize=fuzzer $(SAN_FLAGS) $(WARNINGS) \
		-std=gnu11 -D_GNU_SOURCE -Iinclude -Iuser -Itests/fuzz \
		-I$(ARCH_INC)
FUZZ_HDRS    := tests/fuzz/fuzz.h $(wildcard user/*.h) $(wildcard include/*.h)

FUZZ_SRCS_sip_msg := user/sip_msg.c user/sip_uri.c
FUZZ_SRCS_uri     := user/sip_uri.c
FUZZ_SRCS_digest  := user/digest.c user/nonce.c
FUZZ_SRCS_config  := user/config.c user/endpoint.c user/digest.c
FUZZ_SRCS_users   := user/users.c user/digest.c
FUZZ_LIBS_digest  := -lcrypto
FUZZ_LIBS_config  := -lcrypto
FUZZ_LIBS_users   := -lcrypto

fuzz-build: $(FUZZ_BINS)

fuzz: fuzz-build
	$(Q)$(MAKE) --no-print-directory -k -j$(FUZZ_JOBS) \
		$(addprefix fuzz-run-,$(FUZZ_TARGETS))

fuzz-run-%: $(OUT)/fuzz/fuzz_%
	$(Q)tests/fuzz/run.sh -t $(FUZZ_TIME) $*

.SECONDEXPANSION:
$(OUT)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $$(FUZZ_SRCS_$$*) $(FUZZ_HDRS) | $(OUT)/fuzz
	$(call msg,FUZZ-CC,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $< $(FUZZ_SRCS_$*) -o $@ $(FUZZ_LIBS_$*)
