# SPDX-License-Identifier: GPL-2.0-only
# xdp-lb build. Quiet by default; V=1 shows full commands.

BUILD      ?= build
CC         ?= cc
CLANG      ?= clang
BPFTOOL    ?= bpftool
ARCH       := $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

CFLAGS     ?= -O2 -g
CFLAGS     += -Wall -Wextra -Wno-unused-parameter -std=gnu11 -Iinclude -Ictl -I$(BUILD) -MMD -MP \
              $(shell pkg-config --cflags libnl-route-3.0 2>/dev/null) $(EXTRA_CFLAGS)
BPF_CFLAGS := -g -O2 --target=bpf -mcpu=v3 -Wall -Werror -D__TARGET_ARCH_$(ARCH) \
              -I. -Iinclude -Ibpf -MMD -MP
PKGS       := libbpf libxdp yaml-0.1 json-c libevent libnl-route-3.0 libsystemd
LIBS       := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lbpf -lxdp -lyaml -ljson-c -levent -lnl-route-3 -lnl-3 -lsystemd) -lelf -lz -lpthread
TEST_LIBS  := $(LIBS) -lcmocka

CTL_SRCS   := $(wildcard ctl/*.c)
CTL_OBJS   := $(patsubst ctl/%.c,$(BUILD)/ctl/%.o,$(CTL_SRCS))
LIB_OBJS   := $(filter-out $(BUILD)/ctl/main.o,$(CTL_OBJS))
UNIT_SRCS  := $(wildcard tests/unit/test_*.c)
UNIT_BINS  := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
PROG_SRCS  := $(wildcard tests/prog/test_*.c)
PROG_BINS  := $(patsubst tests/prog/%.c,$(BUILD)/tests/%,$(PROG_SRCS))
BPF_OBJS   := $(BUILD)/xdp_lb.bpf.o $(BUILD)/decap.bpf.o $(BUILD)/xdp_pass.bpf.o \
              $(BUILD)/tc_rehash.bpf.o
BPF_HDRS   := $(wildcard bpf/*.h)
HDR_CHECKS := $(patsubst bpf/%.h,$(BUILD)/hdrcheck/%.ok,$(BPF_HDRS))

.DELETE_ON_ERROR:
.PHONY: all deps test test-unit test-prog test-e2e demo demo-cluster bench vmlinux clean \
	hdrcheck install uninstall deb fuzz fuzz-ctl fuzz-dp san soak

all: $(BUILD)/xdp-lb $(BPF_OBJS) $(HDR_CHECKS) $(UNIT_BINS) $(PROG_BINS)

deps:
	$(Q)./tests/deps.sh

$(BUILD) $(BUILD)/ctl $(BUILD)/tests $(BUILD)/hdrcheck:
	$(Q)mkdir -p $@

$(BUILD)/%.bpf.o: bpf/%.bpf.c vmlinux.h | $(BUILD)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

# Every BPF header compiles alone: it includes what it uses.
hdrcheck: $(HDR_CHECKS)

$(BUILD)/hdrcheck/%.ok: bpf/%.h vmlinux.h | $(BUILD)/hdrcheck
	$(call msg,HDRCHECK,$<)
	$(Q)$(CLANG) $(BPF_CFLAGS) -Wno-unused-function -fsyntax-only -x c $< \
		-MF $(@:.ok=.d) -MT $@ && touch $@

$(BUILD)/xdp_pass.bpf.o: tests/e2e/xdp_pass.bpf.c vmlinux.h | $(BUILD)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

# The cluster test's router: L4 multipath hashing on veth.
$(BUILD)/tc_rehash.bpf.o: tests/e2e/tc_rehash.bpf.c vmlinux.h | $(BUILD)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst .bpf.o,,$(notdir $<)) > $@

$(BUILD)/ctl/%.o: ctl/%.c | $(BUILD)/ctl
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

# Objects that include the skeleton depend on it explicitly (found by the
# include itself, so a new file cannot be missed: a parallel build would
# compile it before the skeleton exists).
SKEL_USERS := $(patsubst ctl/%.c,$(BUILD)/ctl/%.o,\
		$(shell grep -l '"xdp_lb.skel.h"' ctl/*.c))
$(SKEL_USERS): $(BUILD)/xdp_lb.skel.h
$(BUILD)/ctl/decap.o: $(BUILD)/decap.skel.h
# The console page is built into www.o (.incbin).
$(BUILD)/ctl/www.o: ctl/www/index.html

$(BUILD)/libxlb.a: $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/xdp-lb: $(BUILD)/ctl/main.o $(BUILD)/libxlb.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ $(LIBS) -o $@

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libxlb.a | $(BUILD)/tests
	$(call msg,TEST,$@)
	$(Q)$(CC) $(CFLAGS) $< $(BUILD)/libxlb.a $(TEST_LIBS) -o $@

# The state tests link a fake data plane (tests/unit/fake_dp.c) in place
# of the data-plane objects: no root, no kernel.
DP_OBJS    := $(filter $(BUILD)/ctl/dataplane%.o $(BUILD)/ctl/dp_%.o \
                $(BUILD)/ctl/decap.o,$(LIB_OBJS))
STATE_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,\
                $(wildcard tests/unit/test_state*.c))

$(BUILD)/libxlb-nodp.a: $(filter-out $(DP_OBJS),$(LIB_OBJS))
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/tests/fake_dp.o: tests/unit/fake_dp.c | $(BUILD)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(STATE_BINS): $(BUILD)/tests/%: tests/unit/%.c $(BUILD)/tests/fake_dp.o \
               $(BUILD)/libxlb-nodp.a | $(BUILD)/tests
	$(call msg,TEST,$@)
	$(Q)$(CC) $(CFLAGS) -Itests/unit $< $(BUILD)/tests/fake_dp.o \
		$(BUILD)/libxlb-nodp.a $(TEST_LIBS) -o $@

# The packet tests' shared fixture (tests/prog/ files not named test_*),
# in an archive: a test binary takes only what it uses.
PROG_LIB_SRCS := $(filter-out $(PROG_SRCS),$(wildcard tests/prog/*.c))
PROG_LIB_OBJS := $(patsubst tests/prog/%.c,$(BUILD)/tests/%.o,$(PROG_LIB_SRCS)) \
                 $(BUILD)/tests/dp_model.o

# The data path's reference model, for the differential fuzzer.
$(BUILD)/tests/dp_model.o: tests/fuzz/dp_model.c | $(BUILD)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/tests/%.o: tests/prog/%.c $(BUILD)/xdp_lb.skel.h | $(BUILD)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/tests/libprog.a: $(PROG_LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/tests/test_decap: $(BUILD)/decap.skel.h
# flows4's full-speed two-CPU test runs behind the bench's cycle wrapper.
$(BUILD)/tests/test_xdp_flowtab: $(BUILD)/cycle.skel.h

# Issue 14's prototype flow table (bench/flowtab.bpf.c, bench/ft_user.c)
# and its packet test.
$(BUILD)/flowtab.bpf.o: bench/flowtab.bpf.c bench/flowtab.h vmlinux.h | $(BUILD)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/cycle.bpf.o: bench/cycle.bpf.c vmlinux.h | $(BUILD)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/tests/test_flowtab: tests/prog/test_flowtab.c bench/ft_user.c \
		$(BUILD)/flowtab.skel.h $(BUILD)/cycle.skel.h \
		$(BUILD)/xdp_lb.skel.h | $(BUILD)/tests
	$(call msg,TEST,$@)
	$(Q)$(CC) $(CFLAGS) -Ibench $< bench/ft_user.c $(TEST_LIBS) -lpthread -o $@

# The IPv6 layouts of the same prototype (bench/flowtab6.bpf.c).
$(BUILD)/flowtab6.bpf.o: bench/flowtab6.bpf.c bench/flowtab6.h bench/flowtab.h \
		vmlinux.h | $(BUILD)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/tests/test_flowtab6: tests/prog/test_flowtab6.c bench/ft6_user.c \
		bench/ft6_user.h bench/ft_user.c $(BUILD)/flowtab6.skel.h \
		$(BUILD)/flowtab.skel.h $(BUILD)/cycle.skel.h \
		$(BUILD)/xdp_lb.skel.h | $(BUILD)/tests
	$(call msg,TEST,$@)
	$(Q)$(CC) $(CFLAGS) -Ibench $< bench/ft6_user.c bench/ft_user.c \
		$(TEST_LIBS) -lpthread -o $@
$(BUILD)/tests/%: tests/prog/%.c $(BUILD)/xdp_lb.skel.h $(BUILD)/tests/libprog.a $(BUILD)/libxlb.a | $(BUILD)/tests
	$(call msg,TEST,$@)
	$(Q)$(CC) $(CFLAGS) $< $(BUILD)/tests/libprog.a $(BUILD)/libxlb.a $(TEST_LIBS) -o $@

test: deps
	$(Q)$(MAKE) --no-print-directory all $(BUILD)/fill_flows
	$(Q)$(MAKE) --no-print-directory san
	$(Q)./tests/run.sh all

# The san layer of tests/run.sh: everything again with ASan+UBSan in
# build-san/ (its unit and prog tests, and an ASan controller for one e2e).
SAN_CFLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
              -fno-sanitize-recover=undefined
san:
	$(Q)$(MAKE) --no-print-directory BUILD=build-san EXTRA_CFLAGS="$(SAN_CFLAGS)" all

test-unit test-prog test-e2e: all $(BUILD)/fill_flows
	$(Q)./tests/run.sh $(subst test-,,$@)

$(BUILD)/fill_flows: bench/fill_flows.c ctl/flowtab.c include/xdp_lb.h \
		include/xlb_flowtab.h | $(BUILD)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< ctl/flowtab.c $(LIBS) -o $@

# Differential fuzzing of the data path against its reference model
# (tests/fuzz/dp_model.c, harness tests/prog/test_fuzz_dp.c): every mode
# for FUZZ_SECONDS (default 120) from a random seed; FUZZ_SEED=N repeats
# a run. Root. `make test` runs it with a fixed seed, 10^5 frames.
FUZZ_SECONDS ?= 120
fuzz-dp: all
	$(Q)seed=$${FUZZ_SEED:-$$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}; \
	echo "fuzz-dp: seed $$seed, $(FUZZ_SECONDS) s per mode"; \
	XLB_FUZZ_SEED=$$seed XLB_FUZZ_SECONDS=$(FUZZ_SECONDS) \
		$(BUILD)/tests/test_fuzz_dp

# Benchmarks print figures; they never fail on speed. Not part of test.
bench: deps
	$(Q)EXTRA_PKGS="bc jq gnuplot-nox nginx-light haproxy wrk nftables" ./tests/deps.sh
	$(Q)$(MAKE) --no-print-directory all $(BUILD)/fill_flows
	$(Q)$(MAKE) --no-print-directory -C bench run
	$(Q)./bench/controller.sh
	$(Q)./bench/pps.sh
	$(Q)./bench/tcp.sh
	$(Q)./bench/http.sh

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)./tests/e2e/demo.sh

# make install [DESTDIR=...] [PREFIX=/usr/local] [SBINDIR=...] [MANDIR=...]
# The unit reads SYSCONFDIR/xdp-lb/IFACE.yaml and runs SBINDIR/xdp-lb.
PREFIX      ?= /usr/local
SBINDIR     ?= $(PREFIX)/sbin
MANDIR      ?= $(PREFIX)/share/man
DOCDIR      ?= $(PREFIX)/share/doc/xdp-lb
SYSCONFDIR  ?= /etc
UNITDIR     ?= $(PREFIX)/lib/systemd/system
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
INSTALL     ?= install
INSTALLED   := $(SBINDIR)/xdp-lb $(MANDIR)/man8/xdp-lb.8 \
               $(UNITDIR)/xdp-lb@.service $(BASHCOMPDIR)/xdp-lb \
               $(DOCDIR)/examples/example.yaml $(DOCDIR)/README.md \
               $(DOCDIR)/config.md $(DOCDIR)/modes.md

install: $(BUILD)/xdp-lb
	$(call msg,INSTALL,$(DESTDIR)$(PREFIX))
	$(Q)$(INSTALL) -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(UNITDIR) $(DESTDIR)$(BASHCOMPDIR) \
		$(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(SYSCONFDIR)/xdp-lb
	$(Q)$(INSTALL) -m 0755 $(BUILD)/xdp-lb $(DESTDIR)$(SBINDIR)/xdp-lb
	$(Q)$(INSTALL) -m 0644 docs/xdp-lb.8 $(DESTDIR)$(MANDIR)/man8/xdp-lb.8
	$(Q)sed 's|@SBINDIR@|$(SBINDIR)|g; s|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
		dist/xdp-lb@.service.in >$(DESTDIR)$(UNITDIR)/xdp-lb@.service
	$(Q)chmod 0644 $(DESTDIR)$(UNITDIR)/xdp-lb@.service
	$(Q)$(INSTALL) -m 0644 dist/xdp-lb.bash-completion \
		$(DESTDIR)$(BASHCOMPDIR)/xdp-lb
	$(Q)$(INSTALL) -m 0644 dist/example.yaml $(DESTDIR)$(DOCDIR)/examples/
	$(Q)$(INSTALL) -m 0644 README.md docs/config.md docs/modes.md \
		$(DESTDIR)$(DOCDIR)/

uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	-rmdir $(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(DOCDIR) \
		$(DESTDIR)$(SYSCONFDIR)/xdp-lb 2>/dev/null

# make deb: a Debian package from debian/ (dpkg-buildpackage, debhelper),
# built from a copy of the tree in $(BUILD)/deb/src with Debian's flags;
# the .deb lands in $(BUILD)/deb/.
deb:
	$(call msg,DEB,$(BUILD)/deb)
	$(Q)rm -rf $(BUILD)/deb && mkdir -p $(BUILD)/deb/src
	$(Q)tar -cf - --exclude=./$(BUILD) --exclude=./build-san --exclude=./build-fuzz \
		--exclude=./.git . | \
		tar -xf - -C $(BUILD)/deb/src
	$(Q)cd $(BUILD)/deb/src && \
		DEB_BUILD_OPTIONS="$${DEB_BUILD_OPTIONS:-parallel=$$(nproc)}" \
		dpkg-buildpackage -us -uc -b \
		$(if $(filter 1,$(V)),,>../build.log 2>&1) || \
		{ tail -30 ../build.log; exit 1; }
	$(Q)ls $(BUILD)/deb/*.deb
# libFuzzer harnesses for the controller (tests/fuzz/): the config parser
# and the control socket's request handler over the fake data plane, with
# ASan+UBSan. `make fuzz-ctl` runs each FUZZ_SECONDS (default 120); the
# unit layer replays their corpus (test_state_corpus). Not part of test.
FUZZ_BUILD  := build-fuzz
FUZZ_CC     ?= clang
FUZZ_CFLAGS := -g -O1 -Wall -std=gnu11 -Iinclude -Ictl -I$(BUILD) -Itests/unit \
               -fsanitize=address,undefined -fno-sanitize-recover=undefined \
               $(shell pkg-config --cflags libnl-route-3.0 2>/dev/null)
FUZZ_LIB    := $(patsubst %.c,$(FUZZ_BUILD)/%.o,tests/unit/fake_dp.c \
               $(filter-out ctl/main.c ctl/neigh.c ctl/dataplane.c ctl/decap.c \
                 $(wildcard ctl/dp_*.c),$(CTL_SRCS)))

$(FUZZ_BUILD)/%.o: %.c $(BUILD)/xdp_lb.skel.h
	$(call msg,FUZZCC,$@)
	$(Q)mkdir -p $(dir $@) && $(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_BUILD)/libfuzz.a: $(FUZZ_LIB)
	$(Q)rm -f $@ && ar rcs $@ $^

$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_BUILD)/libfuzz.a
	$(call msg,FUZZ,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $< $(FUZZ_BUILD)/libfuzz.a $(LIBS) -o $@

fuzz-ctl: $(FUZZ_BUILD)/fuzz_config $(FUZZ_BUILD)/fuzz_api
	$(Q)./tests/fuzz/run.sh

# A bounded soak (SOAK_SECONDS, default 600), not part of test.
soak: all
	$(Q)./tests/soak.sh

# All the fuzzers: the data path's (fuzz-dp) and the controller's (fuzz-ctl).
fuzz: fuzz-dp fuzz-ctl
# Several balancer nodes behind a BIRD router with ECMP (docs/cluster.md).
demo-cluster: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)./tests/e2e/demo_cluster.sh

vmlinux:
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > vmlinux.h

clean:
	rm -rf $(BUILD) $(FUZZ_BUILD) build-san

-include $(wildcard $(BUILD)/*.d $(BUILD)/ctl/*.d $(BUILD)/tests/*.d \
	$(BUILD)/hdrcheck/*.d)
