# siplb - SIP load balancer with an XDP fast path.
#
#   make            the BPF object, the four programs and the tests
#   make check      install dependencies, build, then run every test under
#                   prove (tests/check.sh): the C tests, the same under
#                   ASan+UBSan, the end-to-end scripts, short fuzz runs;
#                   its last line is "N passed, M failed" (test programs)
#   make asan       just build the C tests with ASan+UBSan (build/asan/)
#   make fuzz       build the fuzz targets (build/fuzz/), run each briefly
#   make fuzz-build just build them (scripts/fuzz-long.sh runs them longer)
#   make demo       install dependencies, build, run the namespace demo
#   make demo-cluster  the same for a cluster: 2 balancers behind ECMP,
#                   Redis, 3 worker hosts; one balancer dies halfway
#   make bench      build the benchmarks, print the XDP fast-path figures
#                   (scripts/bench/run.sh runs the Kamailio comparison)
#   make programs   just the BPF object and the four programs
#   make install    install the programs, the BPF object, the man pages and
#                   the systemd units under $(DESTDIR)$(PREFIX) (default
#                   /usr/local), and a configuration in /etc/siplb unless
#                   one is there; builds no test
#   make uninstall  remove what install put there but /etc/siplb
#   make V=1        show full commands
#
# Layout (docs/ARCHITECTURE.md): one folder per program under user/, each
# linked from its own sources and the two libraries it needs, so that a
# module used without being listed fails at link time:
#   user/lib/      libsiplb.a  maps, Maglev, attach, bindings, counters, log,
#                              endpoints
#   user/sip/      libsip.a    SIP parser, digest, users file (no libbpf)
#   user/siplbd/   siplbd      control daemon and registrar
#   user/siplb-worker/         the stateful proxy
#   user/siplbctl/ siplbctl    the command-line tool
#   user/siplb-mirror/         a cluster's Redis into this host's maps
# Every build output goes under build/.

PREFIX    ?= /usr/local
DESTDIR   ?=
SBINDIR   ?= $(PREFIX)/sbin
BPFOBJDIR ?= $(PREFIX)/lib/siplb
MANDIR    ?= $(PREFIX)/share/man
DOCDIR    ?= $(PREFIX)/share/doc/siplb
# siplbd's default configuration is /etc/siplb/siplb.conf whatever PREFIX.
SYSCONFDIR ?= /etc
UNITDIR   ?= $(PREFIX)/lib/systemd/system

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
LIB_INC   := -Iinclude -Iuser/lib -Iuser/sip -I$(OUT) -I$(ARCH_INC)
CFLAGS    += $(WARNINGS) -std=gnu11 -D_GNU_SOURCE $(LIB_INC)
LDLIBS    += -lbpf -lelf -lz -lcrypto -lsystemd
# siplbd's /metrics (user/siplbd/metrics.c); --as-needed: only what links
# metrics.o depends on the library.
LDLIBS    += -Wl,--as-needed -lmicrohttpd -Wl,--no-as-needed

BPF_CFLAGS := -g -O2 -target bpf -Wall -Werror -Iinclude -I$(ARCH_INC)
BPF_HDRS  := $(wildcard bpf/*.h) $(wildcard include/*.h)
SKEL      := $(OUT)/siplb.skel.h

# ---- the programs ------------------------------------------------------
#
# A program's objects are built from user/<program>/ with that folder on
# the include path; the libraries' objects see only user/lib and user/sip.
PROGRAMS  := siplbd siplb-worker siplbctl siplb-mirror
LIBS      := lib sip
USER_HDRS  = $(wildcard include/*.h user/*/*.h) $(SKEL)

objs_of    = $(patsubst user/%.c,$(OUT)/user/%.o,$(wildcard user/$(1)/*.c))
LIB_OBJS_lib := $(call objs_of,lib)
LIB_OBJS_sip := $(call objs_of,sip)
LIBSIPLB  := $(OUT)/libsiplb.a
LIBSIP    := $(OUT)/libsip.a
PROG_BINS := $(addprefix $(OUT)/,$(PROGRAMS))

.PHONY: all deps check demo bench bench-build install uninstall clean asan \
	fuzz fuzz-build programs demo-cluster
all: $(OUT)/siplb.bpf.o $(OUT)/xdp_pass.bpf.o $(PROG_BINS)
programs: $(OUT)/siplb.bpf.o $(PROG_BINS)

deps:
	$(Q)scripts/deps.sh

check: deps
	$(Q)$(MAKE) --no-print-directory all asan fuzz-build bench-build
	$(Q)FUZZ_TIME=$(FUZZ_TIME) FUZZ_JOBS=$(FUZZ_JOBS) tests/check.sh

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)scripts/demo.sh

demo-cluster: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)scripts/demo_cluster.sh

$(OUT)/siplb.bpf.o: bpf/siplb.bpf.c $(BPF_HDRS)
	@mkdir -p $(@D)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

# The testbed's peer program (scripts/testbed.sh): veth drops what XDP
# sends to a peer that runs no XDP program.
$(OUT)/xdp_pass.bpf.o: scripts/xdp_pass.bpf.c
	@mkdir -p $(@D)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(SKEL): $(OUT)/siplb.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name siplb > $@.tmp && mv $@.tmp $@

$(OUT)/user/%.o: user/%.c $(USER_HDRS)
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -I$(dir $<) -c $< -o $@

$(LIBSIPLB): $(LIB_OBJS_lib)
$(LIBSIP): $(LIB_OBJS_sip)
$(LIBSIPLB) $(LIBSIP):
	$(call msg,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

# Each program: its own folder, then libsiplb, then libsip.
$(OUT)/siplbd: $(call objs_of,siplbd) $(LIBSIPLB) $(LIBSIP)
$(OUT)/siplb-worker: $(call objs_of,siplb-worker) $(LIBSIPLB) $(LIBSIP)
$(OUT)/siplbctl: $(call objs_of,siplbctl) $(LIBSIPLB) $(LIBSIP)
$(OUT)/siplb-mirror: $(call objs_of,siplb-mirror) $(LIBSIPLB) $(LIBSIP)
# The cluster's Redis client (user/lib/redis_conn.c): only what talks to
# Redis links it.
$(OUT)/siplbd $(OUT)/siplb-mirror: LDLIBS += -lhiredis
$(PROG_BINS):
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ -o $@ $(LDLIBS)

# ---- the tests ---------------------------------------------------------
#
# tests/test_<name>.c -> build/tests/test_<name>. A test may exercise any
# program's modules: it links tests/lib and an archive of each program's
# modules (all but main.c), and the linker takes what the test uses.
TEST_SRCS := $(wildcard tests/test_*.c)
TEST_BINS := $(patsubst tests/%.c,$(OUT)/tests/%,$(TEST_SRCS))
TESTLIB_OBJS := $(patsubst tests/lib/%.c,$(OUT)/tests/lib/%.o,$(wildcard tests/lib/*.c))
TEST_INC  := -Itests/lib $(addprefix -Iuser/,$(PROGRAMS))
modules_of = $(filter-out %/main.o,$(call objs_of,$(1)))
PROG_ARCHIVES := $(patsubst %,$(OUT)/libprog-%.a,$(PROGRAMS))
$(foreach p,$(PROGRAMS),$(eval $(OUT)/libprog-$(p).a: $(call modules_of,$(p))))
$(PROG_ARCHIVES):
	$(call msg,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^
TEST_LINK := $(TESTLIB_OBJS) $(PROG_ARCHIVES) $(LIBSIPLB) $(LIBSIP)

# Programs the e2e tests drive (tests/tools/*.c, no test library).
TOOL_BINS := $(patsubst tests/tools/%.c,$(OUT)/tests/tools/%,$(wildcard tests/tools/*.c))

all: $(TEST_BINS) $(TOOL_BINS)

$(OUT)/tests/tools/%: tests/tools/%.c
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< -o $@

$(OUT)/tests/%.o: tests/%.c tests/lib/*.h $(USER_HDRS)
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(TEST_INC) -c $< -o $@

$(OUT)/tests/test_%: $(OUT)/tests/test_%.o $(TEST_LINK)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS) -lhiredis

# ---- the benchmarks (make bench only) ------------------------------------
#
# scripts/bench/*.c, each a program of its own built like a test, and the
# XDP programs they measure against (scripts/bench/bpf/), which may use the
# product's BPF headers. Nothing here is part of `make` or `make check`.
BENCH_SRCS := $(wildcard scripts/bench/*.c)
BENCH_BINS := $(patsubst scripts/bench/%.c,$(OUT)/bench/%,$(BENCH_SRCS))
BENCH_BPF  := $(patsubst scripts/bench/bpf/%.bpf.c,$(OUT)/bench/%.bpf.o,$(wildcard scripts/bench/bpf/*.bpf.c))

bench-build: $(OUT)/siplb.bpf.o $(OUT)/xdp_pass.bpf.o $(PROG_BINS) $(BENCH_BINS) $(BENCH_BPF)

bench: deps
	$(Q)$(MAKE) --no-print-directory bench-build
	$(Q)scripts/bench/xdp.sh

$(OUT)/bench/%.bpf.o: scripts/bench/bpf/%.bpf.c $(BPF_HDRS)
	@mkdir -p $(@D)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -Ibpf -c $< -o $@

$(OUT)/bench/%: scripts/bench/%.c $(TEST_LINK) $(USER_HDRS)
	@mkdir -p $(@D)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(TEST_INC) $< $(TEST_LINK) -o $@ $(LDLIBS) -lhiredis

# ---- install -----------------------------------------------------------

# The units name /usr/sbin and /etc/siplb: rewritten for SBINDIR and
# SYSCONFDIR. An existing configuration is never overwritten.
MAN_PAGES := $(wildcard docs/man/*.[58])
UNITS     := $(wildcard etc/systemd/*.service)

install: programs
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BPFOBJDIR) \
		$(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(UNITDIR) $(DESTDIR)$(DOCDIR) \
		$(DESTDIR)$(SYSCONFDIR)/siplb
	install -m 0755 $(PROG_BINS) $(DESTDIR)$(SBINDIR)/
	install -m 0644 $(OUT)/siplb.bpf.o $(DESTDIR)$(BPFOBJDIR)/siplb.bpf.o
	install -m 0644 $(filter %.5,$(MAN_PAGES)) $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 $(filter %.8,$(MAN_PAGES)) $(DESTDIR)$(MANDIR)/man8/
	for u in $(UNITS); do \
		sed -e 's#/usr/sbin/#$(SBINDIR)/#g' \
		    -e 's#/etc/siplb/#$(SYSCONFDIR)/siplb/#g' $$u \
			>$(DESTDIR)$(UNITDIR)/$${u##*/} && \
		chmod 0644 $(DESTDIR)$(UNITDIR)/$${u##*/} || exit 1; \
	done
	install -m 0644 etc/siplb.conf $(DESTDIR)$(DOCDIR)/siplb.conf.example
	[ -e $(DESTDIR)$(SYSCONFDIR)/siplb/siplb.conf ] || \
		install -m 0644 etc/siplb.conf $(DESTDIR)$(SYSCONFDIR)/siplb/siplb.conf
	[ -e $(DESTDIR)$(SYSCONFDIR)/siplb/users.htdigest ] || \
		install -m 0600 etc/users.htdigest \
			$(DESTDIR)$(SYSCONFDIR)/siplb/users.htdigest

uninstall:
	rm -f $(addprefix $(DESTDIR)$(SBINDIR)/,$(PROGRAMS))
	rm -f $(DESTDIR)$(BPFOBJDIR)/siplb.bpf.o
	-rmdir $(DESTDIR)$(BPFOBJDIR)
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man5/,$(notdir $(filter %.5,$(MAN_PAGES))))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man8/,$(notdir $(filter %.8,$(MAN_PAGES))))
	rm -f $(addprefix $(DESTDIR)$(UNITDIR)/,$(notdir $(UNITS)))
	rm -f $(DESTDIR)$(DOCDIR)/siplb.conf.example
	-rmdir $(DESTDIR)$(DOCDIR)
	@echo "uninstall: $(DESTDIR)$(SYSCONFDIR)/siplb (configuration, users) kept"

clean:
	rm -rf $(OUT)

# ---- sanitizers ----------------------------------------------------------
#
# `make asan`: every C test and the modules it links, rebuilt with
# AddressSanitizer (and LeakSanitizer) and UndefinedBehaviorSanitizer into
# build/asan/; tests/check.sh runs them. The compiler and flags are the
# normal build's but -Wmaybe-uninitialized, which gcc documents as
# unreliable under -fsanitize (false positives, with -Werror a failed
# build); the normal build still has it.
ASAN_CC   ?= $(CC)
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	     -fno-omit-frame-pointer
ASAN_CFLAGS := $(CFLAGS) $(SAN_FLAGS) -Wno-maybe-uninitialized
ASAN_USER_OBJS := $(patsubst $(OUT)/user/%,$(OUT)/asan/user/%,\
	$(filter-out %/main.o,$(foreach d,$(LIBS) $(PROGRAMS),$(call objs_of,$(d)))))
ASAN_TESTLIB_OBJS := $(patsubst $(OUT)/%,$(OUT)/asan/%,$(TESTLIB_OBJS))
ASAN_TEST_BINS := $(patsubst tests/%.c,$(OUT)/asan/%,$(TEST_SRCS))

$(OUT)/asan/user/%.o: user/%.c $(USER_HDRS)
	@mkdir -p $(@D)
	$(call msg,CC-ASAN,$@)
	$(Q)$(ASAN_CC) $(ASAN_CFLAGS) -I$(dir $<) -c $< -o $@

$(OUT)/asan/tests/%.o: tests/%.c tests/lib/*.h $(USER_HDRS)
	@mkdir -p $(@D)
	$(call msg,CC-ASAN,$@)
	$(Q)$(ASAN_CC) $(ASAN_CFLAGS) $(TEST_INC) -c $< -o $@

$(OUT)/asan/test_%: $(OUT)/asan/tests/test_%.o $(ASAN_TESTLIB_OBJS) $(ASAN_USER_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(ASAN_CC) $(ASAN_CFLAGS) $^ -o $@ $(LDLIBS) -lhiredis

# Objects, not intermediates: keep them so that `make asan` rebuilds only
# what changed.
.SECONDARY: $(ASAN_USER_OBJS) $(ASAN_TESTLIB_OBJS) \
	    $(patsubst tests/%.c,$(OUT)/asan/tests/%.o,$(TEST_SRCS)) \
	    $(patsubst tests/%.c,$(OUT)/tests/%.o,$(TEST_SRCS)) $(TESTLIB_OBJS)

asan: $(ASAN_TEST_BINS) $(OUT)/siplb.bpf.o

# ---- fuzzing -------------------------------------------------------------
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
		-std=gnu11 -D_GNU_SOURCE $(LIB_INC) -Itests/fuzz
FUZZ_HDRS    := tests/fuzz/fuzz.h $(wildcard user/*/*.h) $(wildcard include/*.h)

FUZZ_SRCS_sip_msg := user/sip/sip_msg.c user/sip/sip_uri.c user/sip/slice.c
FUZZ_SRCS_uri     := user/sip/sip_uri.c user/sip/slice.c
FUZZ_SRCS_digest  := user/sip/digest.c user/sip/nonce.c
FUZZ_SRCS_config  := user/lib/config.c user/lib/endpoint.c user/lib/secret_file.c \
		     user/sip/digest.c user/sip/digest_policy.c \
		     user/sip/sip_msg.c user/sip/sip_uri.c user/sip/slice.c
FUZZ_SRCS_users   := user/sip/users.c user/sip/digest.c
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
$(OUT)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $$(FUZZ_SRCS_$$*) $(FUZZ_HDRS)
	@mkdir -p $(@D)
	$(call msg,FUZZ-CC,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $< $(FUZZ_SRCS_$*) -o $@ $(FUZZ_LIBS_$*)
