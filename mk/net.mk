# Room net-lwip (issue 17): lwIP 2.1.3 from Debian's source package, built
# by tools/build-lwip.sh (fetched and unpacked once, as musl is; nothing of
# it is in the repository) for netd and for the host tests
# (docs/net.md "lwIP"). Included before mk/user.mk: netd's objects there
# take LWIP_INC and wait for LWIP_STAMP.
#   make lwip    the unpacked tree + $(O)/user/liblwip.a + $(O)/host/liblwip.a
LWIP_TREE  := $(O)/lwip-src
LWIP_STAMP := $(LWIP_TREE)/VERSION
# Where the source package is kept: musl's place (the clang build passes
# MUSL_SRC=build/src, so it does not fetch lwIP again either).
LWIP_SRC   ?= $(MUSL_SRC)
LWIP_PORT_HDRS := $(sort $(wildcard libs/lwip-port/include/*.h \
	libs/lwip-port/include/arch/*.h))
LWIP_USER_LIB := $(O)/user/liblwip.a
LWIP_HOST_LIB := $(O)/host/liblwip.a
LWIP_INC := -Ilibs/lwip-port/include -Ilibs/lwip-port -I$(LWIP_TREE)/src/include \
	-Iservers/netd -Ilibs/netring/include

.PHONY: lwip
lwip: $(LWIP_USER_LIB) $(LWIP_HOST_LIB)

$(LWIP_STAMP): tools/build-lwip.sh
	@LWIP_SRC=$(LWIP_SRC) tools/build-lwip.sh $(O) unpack
# User space is built by USER_CC (mk/user.mk); the stamp names the sysroot.
$(LWIP_USER_LIB): $(LWIP_STAMP) $(LWIP_PORT_HDRS) $(O)/user/sysroot/VERSION
	@CC=$(or $(USER_CC),$(CC)) tools/build-lwip.sh $(O) user
$(LWIP_HOST_LIB): $(LWIP_STAMP) $(LWIP_PORT_HDRS)
	@HOSTCC=$(HOSTCC) tools/build-lwip.sh $(O) host

# Host tests: netd's portable half (NETD_HSRC, Makefile) and the tests of
# it see lwIP's headers; the unit tests link the host lwIP.
$(O)/host/servers/netd/%.c.o $(O)/host/libs/lwip-port/%.c.o \
$(O)/host/tests/host/test_netd_%.c.o $(O)/host/tests/host/netd_%.c.o \
$(O)/host/tests/host/test_review17_%.c.o: \
	HCFLAGS += $(LWIP_INC)
# The objects that wait for the unpacked tree (the Makefile names them
# right after including this file, HOBJS being known: a pattern rule without a recipe adds no prerequisite, so a
# fresh clone's `make test-host` compiled them before lwIP was unpacked).
LWIP_HOST_OBJS = $(filter $(O)/host/servers/netd/% $(O)/host/libs/lwip-port/% \
	$(O)/host/tests/host/test_netd_% $(O)/host/tests/host/netd_% \
	$(O)/host/tests/host/test_review17_%,$(HOBJS))
$(O)/host/unit-tests: $(LWIP_HOST_LIB)
