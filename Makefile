# exec-rt top-level build.
#   make            kernel.elf + exec-rt.iso
#   make run        boot the ISO under UEFI, serial console here (GUI=1: window)
#   make check      host tests + kernel suite (PVH) + ISO boot smoke tests
#   make gdb        QEMU paused with a gdbstub, gdb attached with symbols
#   make CC=clang   build everything (kernel, musl, user space) with clang
# Everything lands in build/ (O=dir to change it).

O       ?= build
V       ?= 0
Q       := $(if $(filter 1,$(V)),,@)
CC      ?= gcc
HOSTCC  ?= cc
PYTHON  ?= python3
ARCH    := x86_64
ARCHDIR := kernel/arch/$(ARCH)

# `make` with no CC on the command line gets cc from make's defaults.
ifeq ($(origin CC),default)
CC := gcc
endif

ifneq ($(findstring clang,$(CC)),)
KTARGET := --target=x86_64-unknown-none-elf
LD      := ld.lld
else
KTARGET :=
LD      := ld
# The boot stub is one RWX segment on purpose (code + its page tables, used
# only until arch_mm_init() drops the identity map).
LDWARN  := --no-warn-rwx-segments
endif

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
        -Wno-unused-parameter -Wvla
KINC := -Ikernel/include -I$(ARCHDIR)/include -Iinclude -Ikernel/include/compat \
        -Ilibs/runtime/include
KCFLAGS := $(KTARGET) -std=gnu17 -O2 -g -ffreestanding -fno-builtin -nostdlib \
        -fno-stack-protector -fno-pic -fno-pie -mno-red-zone -mcmodel=kernel \
        -mno-mmx -mno-sse -mno-sse2 -mno-avx -mgeneral-regs-only \
        -fno-omit-frame-pointer -fno-strict-aliasing -fno-common \
        -fno-asynchronous-unwind-tables -MMD -MP $(WARN) $(KINC)
KASFLAGS := $(KTARGET) -g -D__ASSEMBLY__ -MMD -MP $(KINC)
KLDFLAGS := $(LDWARN) -nostdlib -static -z max-page-size=0x1000 --no-dynamic-linker \
        -T $(ARCHDIR)/kernel.ld

# Portable kernel code: everything under kernel/ but the arch tree.
KSRC_PORT := $(shell find kernel -name '*.c' -not -path 'kernel/arch/*' | sort)
KSRC_ARCH := $(shell find $(ARCHDIR) \( -name '*.c' -o -name '*.S' \) | sort)
# Pure parsers shared with user space: the root task comes out of a cpio
# initrd as an ELF file, read with the same code user-space loaders use.
KSRC_SHARED := libs/runtime/cpio.c libs/runtime/elf_parse.c
KOBJS := $(patsubst %,$(O)/%.o,$(KSRC_PORT) $(KSRC_SHARED) $(KSRC_ARCH))

# Room names: the portable parts of names, testsvc and portctl.
NAMES_HSRC := servers/names/names_core.c servers/names/names_proto.c \
        services/test/tsvc_proto.c apps/portctl/pc_util.c
NAMES_HINC := -Iservers/names -Iservices/test -Iapps/portctl
# init's pure half (room init): manifest, supervision, logs, /svc/init.
# Room fsd: the file server's pure half (path resolver, tree, protocol).
FSD_HSRC := servers/fsd/fsd_path.c servers/fsd/fsd_fs.c servers/fsd/fsd_data.c \
        servers/fsd/fsd_srv.c servers/fsd/fsd_file.c
# Room iod: the device manager's pure half (PCI, AML _PRT, driver table,
# device instances and both protocols).
IOD_CORE := servers/iod/pci.c servers/iod/aml.c servers/iod/prt.c servers/iod/drvtab.c \
        servers/iod/iod_core.c servers/iod/iod_json.c
# Room input (issue 14): the hub's core and keymap, the i8042 tables.
INPUT_HSRC := servers/inputd/hub.c servers/inputd/keymap.c \
        drivers/i8042/ps2.c apps/inputmon/evfmt.c
INPUT_HINC := -Iservers/inputd -Idrivers/i8042 -Iapps/inputmon
# Room virtio: libvirtio's portable core (the platform glue is not in it).
VIRTIO_HSRC := libs/virtio/virtio_pci.c libs/virtio/virtq.c drivers/virtio-input/vinput.c
# Room display: the /svc/display core, damage, EDID, framebuffer copies.
DISPLAY_HSRC := drivers/display/disp_core.c drivers/display/damage.c \
        drivers/display/edid.c drivers/fbdisplay/fb_blit.c \
        drivers/virtio-gpu/vgpu_cmd.c
.DEFAULT_GOAL := all
# Room gfx-sdk (issue 15): the graphics clients' request builders.
GFX_SDK_HSRC := libs/sdk-c/cl_gfx.c apps/demo/seg7.c
GFX_SDK_HINC := -Iapps/demo
# Room gfx-comp (issue 15): compositord's portable core.
COMP_HSRC := services/compositord/comp_regs.c services/compositord/comp_scene.c \
        services/compositord/comp_xform.c services/compositord/comp_blend.c \
        services/compositord/comp_fuse.c \
        services/compositord/comp_render.c services/compositord/comp_srv.c \
        services/compositord/comp_query.c
COMP_HINC := -Iservices/compositord
# The composition bench (services/compositord/bench/comp_bench.c): -O2 as
# the guest programs; `make comp-bench-run` counts its instructions per
# frame with valgrind (the host has no usable perf counters).
COMP_BENCH_SRC := $(filter-out services/compositord/comp_srv.c services/compositord/comp_query.c,$(COMP_HSRC)) \
        drivers/display/damage.c services/compositord/bench/comp_bench.c
$(O)/host/comp-bench: $(COMP_BENCH_SRC)
	@mkdir -p $(dir $@)
	$(Q)$(HOSTCC) -std=gnu17 -O2 -g $(WARN) -Iinclude -Iservices/compositord \
		-Idrivers/display -o $@ $(COMP_BENCH_SRC)
.PHONY: comp-bench comp-bench-run
comp-bench: $(O)/host/comp-bench
comp-bench-run: $(O)/host/comp-bench
	@tools/comp-bench.sh $(O)/host/comp-bench
# Room gfx-copper (issue 15): copperd's portable core.
COPPER_HSRC := services/copperd/cop_prog.c services/copperd/cop_run.c \
        services/copperd/cop_engine.c services/copperd/cop_proto.c
COPPER_HINC := -Iservices/copperd
# Room gfx-blit (issue 15): blitterd's kernels, surface ops and protocol.
BLIT_HSRC := services/blitterd/blit_kern.c services/blitterd/blit_simd.c \
        services/blitterd/blit_ops.c services/blitterd/blit_proto.c \
        services/blitterd/blit_parse.c
BLIT_HINC := -Iservices/blitterd
# Room aud-mix (issue 16): audiomixerd's pure half (graph, DSP, resampler,
# WAV, protocol).
AMX_HSRC := services/audiomixerd/amx_graph.c services/audiomixerd/amx_dsp.c \
        services/audiomixerd/amx_resample.c services/audiomixerd/amx_wav.c \
        services/audiomixerd/amx_proto.c services/audiomixerd/amx_lead.c
AMX_HINC := -Iservices/audiomixerd
# Room aud-drv (issue 16): the /svc/audio core and the AC97 register logic.
AUDIO_HSRC := drivers/audio/audio_core.c drivers/ac97/ac97_hw.c
AUDIO_HINC := -Idrivers/audio -Idrivers/ac97
# Room aud-hda: the HDA driver's portable parts (codec walk, controller, device ops).
HDA_HSRC := drivers/hda/hda_codec.c drivers/hda/hda_ctrl.c drivers/hda/hda_dev.c
HDA_HINC := -Idrivers/hda
# Room net-apps (issue 17): the pure halves of httpd, nc, ping, ifconfig.
NETAPPS_HSRC := apps/httpd/http.c apps/httpd/status.c apps/nc/ncutil.c \
        apps/ping/icmp.c apps/ifconfig/ifc.c
NETAPPS_HINC := -Iapps/httpd -Iapps/nc -Iapps/ping -Iapps/ifconfig
# Room net-drv (issue 17): the /svc/netd-dev rings (libs/netring).
NETRING_HSRC := libs/netring/netring.c drivers/virtio-net/vnet.c
NETRING_HINC := -Ilibs/netring/include -Idrivers/virtio-net
# Room net-lwip (issue 17): netd's portable half (servers/netd) and
# lwIP's platform hooks; lwIP itself is mk/net.mk's. The socket service's
# files (room net-sockd) but its system-call glue.
NETD_HSRC := servers/netd/netd_args.c servers/netd/netd_if.c \
        servers/netd/netd_json.c servers/netd/netd_stack.c \
        servers/netd/netd_dev.c \
        libs/lwip-port/lwip_port.c \
        $(filter-out servers/netd/sock_os.c,$(sort $(wildcard servers/netd/sock*.c)))
INIT_PURE := servers/init/manifest.c servers/init/manifest_value.c servers/init/supervise.c servers/init/quota_plan.c \
        servers/init/logring.c servers/init/initsvc.c servers/init/bootcfg.c

# Host unit tests: portable kernel code + tests/host, under ASan+UBSan.
# Left out: code that only makes sense inside the kernel, and the string
# functions (they would shadow the host libc's).
HOST_EXCLUDE := kernel/main.c kernel/lib/string.c $(wildcard kernel/ktest/*.c) \
        $(shell find kernel -name 'ktest_*.c' -not -path 'kernel/arch/*')
# Pure parsers from the arch tree are host-tested too.
HSRC := $(filter-out $(HOST_EXCLUDE),$(KSRC_PORT)) $(ARCHDIR)/pvh.c \
        libs/runtime/elf_parse.c libs/runtime/cpio.c libs/runtime/util.c \
        libs/runtime/fs_path.c libs/runtime/fd.c libs/runtime/fs_conv.c \
        libs/runtime/sock_ring.c \
        libs/sdk-c/json.c libs/sdk-c/json_write.c \
        apps/timeline-inspect/tl_format.c \
        $(NAMES_HSRC) \
        servers/console/ldisc.c servers/console/txq.c servers/console/proto.c \
        servers/console/subs.c servers/console/mirror.c servers/console/rlown.c servers/console/sess.c \
        servers/fbcon/term.c servers/fbcon/psf.c servers/fbcon/render.c servers/fbcon/keys.c \
        $(INIT_PURE) \
        $(FSD_HSRC) \
        $(IOD_CORE) \
        servers/vmgr/vmgr_core.c \
        $(INPUT_HSRC) \
        $(VIRTIO_HSRC) \
        $(DISPLAY_HSRC) \
        $(COMP_HSRC) \
        $(COPPER_HSRC) \
        $(BLIT_HSRC) \
        $(AMX_HSRC) \
        $(AUDIO_HSRC) \
        $(HDA_HSRC) \
        $(NETRING_HSRC) \
        $(GFX_SDK_HSRC) \
        $(NETAPPS_HSRC) \
        $(NETD_HSRC) \
        apps/sh/parse.c apps/sh/psfmt.c apps/sh/fsfmt.c apps/clctl/clfmt.c \
        $(sort $(wildcard tests/host/*.c))
HCFLAGS := -std=gnu17 -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
        -fno-sanitize-recover=all -DHOST_TEST $(WARN) -Wno-missing-prototypes \
        -Ikernel/include -Iinclude -Itests/host -Ilibs/runtime/include -Ilibs/runtime -Ilibs/sdk-c \
        -Iapps/timeline-inspect $(NAMES_HINC) -Iservers/console -Iservers/fbcon -Iservers/init -Iservers/fsd -Iapps/sh -Iapps/clctl -Iservers/vmgr -Iservers/iod $(INPUT_HINC) -Ilibs/virtio/include -Idrivers/virtio-input -Idrivers/display -Idrivers/fbdisplay -Idrivers/virtio-gpu $(COMP_HINC) $(COPPER_HINC) $(BLIT_HINC) $(AUDIO_HINC) $(HDA_HINC) $(GFX_SDK_HINC) $(AMX_HINC) $(NETRING_HINC) $(NETAPPS_HINC) -MMD -MP
HOBJS := $(patsubst %,$(O)/host/%.o,$(HSRC))

KERNEL := $(O)/kernel.elf
ISO    := $(O)/exec-rt.iso

.PHONY: all kernel iso run check test-host gdb clean setup format
all: kernel user iso

setup:
	@tools/setup.sh

kernel: $(KERNEL)

# Two-pass link: the first image gives the addresses, the symbol table made
# from it is linked last (after everything else), so no address moves.
$(O)/kernel.pass1.elf: $(KOBJS) $(O)/ksyms-empty.o $(ARCHDIR)/kernel.ld
	@echo "  LD      $@"
	$(Q)$(LD) $(KLDFLAGS) -o $@ $(KOBJS) $(O)/ksyms-empty.o
$(O)/ksyms.S: $(O)/kernel.pass1.elf tools/gen-ksyms.py
	$(Q)nm -n --defined-only $< | $(PYTHON) tools/gen-ksyms.py > $@
$(O)/ksyms-empty.S: tools/gen-ksyms.py
	@mkdir -p $(dir $@)
	$(Q)$(PYTHON) tools/gen-ksyms.py --empty < /dev/null > $@
$(O)/ksyms.o $(O)/ksyms-empty.o: $(O)/%.o: $(O)/%.S
	$(Q)$(CC) $(KASFLAGS) -c $< -o $@
$(KERNEL): $(O)/kernel.pass1.elf $(O)/ksyms.o
	@echo "  LD      $@"
	$(Q)$(LD) $(KLDFLAGS) -o $@ $(KOBJS) $(O)/ksyms.o
	@tools/check-ksyms.sh $(O)/kernel.pass1.elf $@

# The kernel without the in-kernel tests (kernel/ktest/, every ktest_*.c,
# main.c built without the ktest= and crashtest= options): `make bench`
# prints its size, the kernel as a product ships. Linked once, with an
# empty symbol table (.ksyms is not text); make check runs the full one.
KOBJS_NOTEST := $(foreach o,$(filter-out $(O)/kernel/main.c.o,$(KOBJS)),$(if \
        $(findstring /ktest,$(o)),,$(o)))
.PHONY: kernel-notest
kernel-notest: $(O)/kernel-notest.elf
$(O)/notest/main.c.o: kernel/main.c
	@mkdir -p $(dir $@)
	@echo "  CC      $< (no ktest)"
	$(Q)$(CC) $(KCFLAGS) $(KOPT) -DEXECRT_NO_KTEST -c $< -o $@
$(O)/kernel-notest.elf: $(KOBJS_NOTEST) $(O)/notest/main.c.o $(O)/ksyms-empty.o \
		$(ARCHDIR)/kernel.ld
	@echo "  LD      $@"
	$(Q)$(LD) $(KLDFLAGS) -o $@ $(KOBJS_NOTEST) $(O)/notest/main.c.o \
		$(O)/ksyms-empty.o

$(O)/%.c.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(KCFLAGS) $(KOPT) -c $< -o $@
$(O)/%.S.o: %.S
	@mkdir -p $(dir $@)
	@echo "  AS      $<"
	$(Q)$(CC) $(KASFLAGS) -c $< -o $@

$(O)/host/%.c.o: %.c
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $<"
	$(Q)$(HOSTCC) $(HCFLAGS) -c $< -o $@
$(O)/host/unit-tests: $(HOBJS)
	$(Q)$(HOSTCC) -fsanitize=address,undefined -o $@ $(filter-out %.a,$^) \
		$(filter %.a,$^) -lm

test-host: $(O)/host/unit-tests $(O)/share/font.psf # the fbcon test reads the real font
	$(O)/host/unit-tests

include mk/kcold.mk
include mk/iso.mk
include mk/qemu.mk
include mk/net.mk
$(LWIP_HOST_OBJS): | $(LWIP_STAMP)
include mk/user.mk
include mk/bench.mk
include mk/fuzz.mk
include mk/net-apps.mk

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(O)

-include $(KOBJS:.o=.d) $(HOBJS:.o=.d) $(O)/notest/main.c.d
