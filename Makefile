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
              $(shell pkg-config --cflags libnl-route-3.0 2>/dev/null)
BPF_CFLAGS := -g -O2 --target=bpf -mcpu=v3 -Wall -Werror -D__TARGET_ARCH_$(ARCH) \
              -I. -Iinclude -Ibpf -MMD -MP
PKGS       := libbpf libxdp yaml-0.1 json-c libevent libnl-route-3.0
LIBS       := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lbpf -lxdp -lyaml -ljson-c -levent -lnl-route-3 -lnl-3) -lelf -lz
TEST_LIBS  := $(LIBS) -lcmocka

CTL_SRCS   := $(wildcard ctl/*.c)
CTL_OBJS   := $(patsubst ctl/%.c,$(BUILD)/ctl/%.o,$(CTL_SRCS))
LIB_OBJS   := $(filter-out $(BUILD)/ctl/main.o,$(CTL_OBJS))
UNIT_SRCS  := $(wildcard tests/unit/test_*.c)
UNIT_BINS  := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
PROG_SRCS  := $(wildcard tests/prog/test_*.c)
PROG_BINS  := $(patsubst tests/prog/%.c,$(BUILD)/tests/%,$(PROG_SRCS))
BPF_OBJS   := $(BUILD)/xdp_lb.bpf.o $(BUILD)/decap.bpf.o $(BUILD)/xdp_pass.bpf.o
BPF_HDRS   := $(wildcard bpf/*.h)
HDR_CHECKS := $(patsubst bpf/%.h,$(BUILD)/hdrcheck/%.ok,$(BPF_HDRS))

.DELETE_ON_ERROR:
.PHONY: all deps test test-unit test-prog test-e2e demo bench vmlinux clean \
	hdrcheck

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

$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst .bpf.o,,$(notdir $<)) > $@

$(BUILD)/ctl/%.o: ctl/%.c | $(BUILD)/ctl
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

# Objects that include the skeleton depend on it explicitly.
$(BUILD)/ctl/dataplane.o $(BUILD)/ctl/dp_maps.o $(BUILD)/ctl/dp_flows.o \
$(BUILD)/ctl/maps.o: $(BUILD)/xdp_lb.skel.h
$(BUILD)/ctl/decap.o: $(BUILD)/decap.skel.h

$(BUILD)/libxlb.a: $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/xdp-lb: $(BUILD)/ctl/main.o $(BUILD)/libxlb.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LIBS) -o $@

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
PROG_LIB_OBJS := $(patsubst tests/prog/%.c,$(BUILD)/tests/%.o,$(PROG_LIB_SRCS))

$(BUILD)/tests/%.o: tests/prog/%.c $(BUILD)/xdp_lb.skel.h | $(BUILD)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/tests/libprog.a: $(PROG_LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/tests/test_decap: $(BUILD)/decap.skel.h

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
$(BUILD)/tests/%: tests/prog/%.c $(BUILD)/xdp_lb.skel.h $(BUILD)/tests/libprog.a $(BUILD)/libxlb.a | $(BUILD)/tests
	$(call msg,TEST,$@)
	$(Q)$(CC) $(CFLAGS) $< $(BUILD)/tests/libprog.a $(BUILD)/libxlb.a $(TEST_LIBS) -o $@

test: deps
	$(Q)$(MAKE) --no-print-directory all $(BUILD)/fill_flows
	$(Q)./tests/run.sh all

test-unit test-prog test-e2e: all $(BUILD)/fill_flows
	$(Q)./tests/run.sh $(subst test-,,$@)

$(BUILD)/fill_flows: bench/fill_flows.c include/xdp_lb.h | $(BUILD)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< $(LIBS) -o $@

# Benchmarks print figures; they never fail on speed. Not part of test.
bench: deps
	$(Q)EXTRA_PKGS="bc jq gnuplot-nox nginx-light haproxy wrk nftables" ./tests/deps.sh
	$(Q)$(MAKE) --no-print-directory all $(BUILD)/fill_flows
	$(Q)$(MAKE) --no-print-directory -C bench run
	$(Q)./bench/controller.sh
	$(Q)./bench/pps.sh
	$(Q)./bench/tcp.sh

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)./tests/e2e/demo.sh

vmlinux:
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > vmlinux.h

clean:
	rm -rf $(BUILD)

-include $(wildcard $(BUILD)/*.d $(BUILD)/ctl/*.d $(BUILD)/tests/*.d \
	$(BUILD)/hdrcheck/*.d)
