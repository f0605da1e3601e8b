# Host fuzzers (docs/testing.md "Host fuzzers"): libFuzzer targets in
# tests/fuzz/host/, built with clang under ASan + UBSan, over the same
# portable kernel and library code the host unit tests link.
#   make fuzz-host [SECONDS=60] [FUZZ=handle,acpi]  each target SECONDS seconds
#   make fuzz-build                                 only build the targets
# Findings are saved under build/fuzz/findings/; the exit status is non-zero
# when any target found something.

FUZZCC  ?= clang
SECONDS ?= 60
FUZZ    ?=
FUZZ_O  := $(O)/fuzz
FUZZ_TARGETS := $(sort $(basename $(notdir $(wildcard tests/fuzz/host/*.c))))
FUZZ_BINS := $(patsubst %,$(FUZZ_O)/fuzz-%,$(FUZZ_TARGETS))

# What the targets link: the host unit-test sources without the tests and
# their runner (libFuzzer has its own main), nor netd's lwIP half (it needs
# lwIP's headers and library; no target uses it). From an archive, each
# target pulls in only the objects it needs.
FUZZ_LIBSRC := $(filter-out tests/host/test_%.c tests/host/harness.c \
        tests/host/netd_%.c servers/netd/%.c libs/lwip-port/%.c,$(HSRC))
FUZZ_LIBOBJS := $(patsubst %,$(FUZZ_O)/obj/%.o,$(FUZZ_LIBSRC))
FUZZ_CFLAGS := $(filter-out -fsanitize=% -O1,$(HCFLAGS)) -O1 \
        -fsanitize=fuzzer-no-link,address,undefined -Wno-unused-function

$(FUZZ_O)/obj/%.c.o: %.c
	@mkdir -p $(dir $@)
	@echo "  FUZZCC  $<"
	$(Q)$(FUZZCC) $(FUZZ_CFLAGS) -c $< -o $@
$(FUZZ_O)/libhost.a: $(FUZZ_LIBOBJS)
	$(Q)rm -f $@ && ar rcs $@ $^
$(FUZZ_O)/fuzz-%: $(FUZZ_O)/obj/tests/fuzz/host/%.c.o $(FUZZ_O)/libhost.a
	@echo "  FUZZLD  $@"
	$(Q)$(FUZZCC) -fsanitize=fuzzer,address,undefined -o $@ $^

.PHONY: fuzz-build fuzz-host
fuzz-build: $(FUZZ_BINS)

fuzz-host: fuzz-build
	@O=$(O) tools/fuzz-host.sh $(SECONDS) $(if $(FUZZ),$(subst $(comma), ,$(FUZZ)),$(FUZZ_TARGETS))

comma := ,
-include $(FUZZ_LIBOBJS:.o=.d) \
        $(patsubst %,$(FUZZ_O)/obj/tests/fuzz/host/%.c.d,$(FUZZ_TARGETS))
.SECONDARY: $(patsubst %,$(FUZZ_O)/obj/tests/fuzz/host/%.c.o,$(FUZZ_TARGETS))
