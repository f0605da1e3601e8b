# User space: musl libc, the exec-rt runtime (libexecrt), user programs and
# the initrd (the ISO's boot module; `make all` builds it).
#   make user         sysroot (musl) + libexecrt.a + programs + initrd
#   make musl         only the sysroot (tools/build-musl.sh, once)
#   make user-smoke   hello.elf's code on Linux, kernel emulated (see below)
# A program: add its name to USER_PROGS and set <name>_SRCS (and
# <name>_LIBS: archives it links first, e.g. lwIP); it is built as
# $(O)/user/<name>.elf and packed into $(O)/initrd.cpio as "bin/<name>".

# User space is built by the kernel's compiler: `make CC=clang` is clang
# throughout (musl included). USER_CC=... picks another one for user space.
USER_CC  ?= $(CC)
SYSROOT  := $(O)/user/sysroot
MUSL_STAMP := $(SYSROOT)/VERSION
LIBEXECRT  := $(O)/user/libexecrt.a
USER_GLUE  := $(shell find libs/musl-glue -type f 2>/dev/null | sort)

USER_PROGS ?= hello init names hello-port timeline-inspect \
	$(NAMES_PROGS)
# room console: the serial console (servers/console, docs/console.md)
USER_PROGS += console
console_SRCS := servers/console/console.c servers/console/console_calls.c \
	servers/console/ldisc.c \
	servers/console/txq.c servers/console/proto.c servers/console/subs.c \
	servers/console/mirror.c servers/console/rlown.c servers/console/sess.c
# room fbcon: the screen console (servers/fbcon, docs/console.md); it
# speaks the display and input protocols (rooms display and input)
ifeq ($(words $(wildcard include/execrt/display_proto.h include/execrt/input_proto.h)),2)
USER_PROGS += fbcon
endif
FBCON_PURE := servers/fbcon/term.c servers/fbcon/psf.c servers/fbcon/render.c \
	servers/fbcon/keys.c
fbcon_SRCS := servers/fbcon/fbcon.c $(FBCON_PURE)
$(O)/user/obj/servers/fbcon/fbcon.c.o: PCFLAGS += -Iservers/console
# room shell: the shell and clctl
USER_PROGS += sh clctl
sh_SRCS := apps/sh/main.c apps/sh/builtins.c apps/sh/run.c apps/sh/ps.c \
	apps/sh/parse.c apps/sh/psfmt.c apps/timeline-inspect/tl_format.c \
	apps/sh/mem.c apps/sh/files.c apps/sh/fsfmt.c \
	apps/sh/lspci.c
$(patsubst %,$(O)/user/obj/%.o,$(sh_SRCS)): PCFLAGS += -Iapps/timeline-inspect
clctl_SRCS := apps/clctl/main.c apps/clctl/clfmt.c
# room fsclient: stdio on /tmp through fsd (apps/fstest; also run by the
# guest test t_fsclient.c, so it is in the test initrd too)
USER_PROGS += fstest
fstest_SRCS := apps/fstest/fstest.c
hello_SRCS := libs/examples/hello.c
# room init: the supervisor (servers/init, docs/system.md)
init_SRCS  := servers/init/main.c servers/init/svc_start.c servers/init/logd.c \
	servers/init/power.c servers/init/manifest.c servers/init/manifest_value.c \
	servers/init/supervise.c servers/init/quota_plan.c servers/init/svc_quota.c \
	servers/init/logring.c servers/init/initsvc.c servers/init/bootcfg.c
names_SRCS := servers/names/names.c servers/names/names_core.c \
	servers/names/names_proto.c
hello-port_SRCS := libs/examples/hello_port.c
# Room names: the test service and portctl (names_SRCS above too).
NAMES_PROGS := testsvc portctl
testsvc_SRCS := services/test/testsvc.c services/test/tsvc_proto.c
portctl_SRCS := apps/portctl/portctl.c apps/portctl/pc_util.c
timeline-inspect_SRCS := apps/timeline-inspect/main.c apps/timeline-inspect/tl_format.c
# room fsd: the file server (servers/fsd, docs/fsd.md)
USER_PROGS += fsd
FSD_CORE := servers/fsd/fsd_path.c servers/fsd/fsd_fs.c servers/fsd/fsd_data.c \
	servers/fsd/fsd_srv.c servers/fsd/fsd_file.c
fsd_SRCS := servers/fsd/main.c $(FSD_CORE)
# room iod (issue 14): the device manager (servers/iod, docs/devices.md)
USER_PROGS += iod
iod_SRCS := servers/iod/main.c servers/iod/pci.c servers/iod/aml.c servers/iod/prt.c \
	servers/iod/drvtab.c servers/iod/iod_core.c servers/iod/iod_json.c
# room vmgr (issue 13): the memory server (servers/vmgr, docs/vmgr.md)
USER_PROGS += vmgr
vmgr_SRCS := servers/vmgr/vmgr.c servers/vmgr/vmgr_core.c
# room vmgr2: plain mmap() through vmgr (apps/mmaptest; also run by the
# guest test t_mmap.c, so it is in the test initrd too)
USER_PROGS += mmaptest
mmaptest_SRCS := apps/mmaptest/mmaptest.c
# room input (issue 14): the input hub, the PS/2 driver, inputmon
# (docs/input.md)
USER_PROGS += inputd inputmon i8042
i8042_SRCS := drivers/i8042/i8042.c drivers/i8042/ps2.c servers/console/proto.c
$(patsubst %,$(O)/user/obj/%.o,$(i8042_SRCS)): PCFLAGS += -Iservers/console
inputd_SRCS := servers/inputd/main.c servers/inputd/hub.c \
	servers/inputd/keymap.c
inputmon_SRCS := apps/inputmon/inputmon.c apps/inputmon/evfmt.c
# room virtio (issue 14): libvirtio (libs/virtio, docs/devices.md "virtio
# library") and the virtio-input driver. A virtio driver links VIRTIO_SRCS.
VIRTIO_SRCS := libs/virtio/virtio_pci.c libs/virtio/virtq.c libs/virtio/virtio_plat_execrt.c
# room net-drv (issue 17): the /svc/netd-dev rings, linked by the network
# drivers and by netd (libs/netring, docs/net-driver.md).
NETRING_SRCS := libs/netring/netring.c
USER_PROGS += virtio-net
virtio-net_SRCS := drivers/virtio-net/main.c drivers/virtio-net/vnet.c \
	$(NETRING_SRCS) $(VIRTIO_SRCS)
USER_PROGS += virtio-input
virtio-input_SRCS := drivers/virtio-input/main.c drivers/virtio-input/vinput.c $(VIRTIO_SRCS)
# room display (issue 14): the display drivers on one core
# (drivers/display), drawtest (docs/display.md)
DISP_CORE := drivers/display/disp_core.c drivers/display/damage.c \
	drivers/display/edid.c drivers/display/disp_main.c \
	drivers/display/disp_iod.c
USER_PROGS += fbdisplay drawtest
fbdisplay_SRCS := drivers/fbdisplay/fbdisplay.c drivers/fbdisplay/fb_blit.c \
	$(DISP_CORE)
drawtest_SRCS := apps/drawtest/drawtest.c
$(patsubst %,$(O)/user/obj/%.o,$(fbdisplay_SRCS)): PCFLAGS += \
	-Idrivers/display -Idrivers/fbdisplay
# virtio-gpu links libvirtio (room virtio's VIRTIO_SRCS, above)
USER_PROGS += virtio-gpu
virtio-gpu_SRCS := drivers/virtio-gpu/virtio_gpu.c \
	drivers/virtio-gpu/vgpu_cmd.c $(DISP_CORE) $(VIRTIO_SRCS)
$(patsubst %,$(O)/user/obj/%.o,drivers/virtio-gpu/virtio_gpu.c \
	drivers/virtio-gpu/vgpu_cmd.c): PCFLAGS += -Idrivers/display \
	-Idrivers/virtio-gpu
# room gfx-fix (issue 15): libs/grantguard, the fault watcher that keeps
# blitterd, compositord and netd alive when a client revokes a mapped grant.
GG_SRCS := libs/grantguard/grantguard.c
$(patsubst %,$(O)/user/obj/%.o,services/blitterd/blitterd.c \
	services/compositord/compositord.c services/compositord/comp_out.c \
	services/compositord/comp_ops.c $(GG_SRCS)): PCFLAGS += \
	-Ilibs/grantguard/include
# room gfx-blit (issue 15): the blitter service (services/blitterd,
# docs/graphics.md "blitterd")
USER_PROGS += blitterd blitcheck
BLIT_CORE := services/blitterd/blit_kern.c services/blitterd/blit_simd.c \
	services/blitterd/blit_ops.c services/blitterd/blit_proto.c \
	services/blitterd/blit_parse.c
blitterd_SRCS := services/blitterd/blitterd.c $(BLIT_CORE) $(GG_SRCS)
blitcheck_SRCS := services/blitterd/blitcheck.c

# room gfx-sdk (issue 15): the graphics examples, the demo and gfxtest
# (libs/examples, apps/demo, apps/gfxtest; docs/graphics.md). hello_port is
# the seed's example under the issue's name (hello-port above: the same).
USER_PROGS += hello_port overlay_sprite rect_fill demo gfxtest
hello_port_SRCS := libs/examples/hello_port.c
overlay_sprite_SRCS := libs/examples/overlay_sprite.c
rect_fill_SRCS := libs/examples/rect_fill.c
demo_SRCS := apps/demo/demo.c apps/demo/seg7.c
gfxtest_SRCS := apps/gfxtest/gfxtest.c apps/gfxtest/gt_errors.c \
	apps/gfxtest/gt_blit.c apps/gfxtest/gt_scene.c apps/gfxtest/gt_bench.c

# room gfx-comp (issue 15): the compositor (services/compositord,
# docs/graphics.md "compositord"); damage.c is the display core's
USER_PROGS += compositord
COMP_CORE := services/compositord/comp_regs.c services/compositord/comp_scene.c \
	services/compositord/comp_xform.c services/compositord/comp_blend.c \
	services/compositord/comp_fuse.c \
	services/compositord/comp_render.c services/compositord/comp_srv.c \
	services/compositord/comp_query.c
compositord_SRCS := services/compositord/compositord.c \
	services/compositord/comp_out.c services/compositord/comp_ops.c \
	$(COMP_CORE) $(GG_SRCS) drivers/display/damage.c
$(patsubst %,$(O)/user/obj/%.o,$(compositord_SRCS)): PCFLAGS += \
	-Iservices/compositord -Idrivers/display

# room gfx-copper (issue 15): copperd, the Copper program engine
# (services/copperd, docs/graphics.md "copperd"); it links compositord's
# register names (services/compositord/comp_regs.c, room gfx-comp).
USER_PROGS += copperd
copperd_SRCS := services/copperd/copperd.c services/copperd/cop_proto.c \
	services/copperd/cop_engine.c services/copperd/cop_prog.c \
	services/copperd/cop_run.c services/compositord/comp_regs.c
$(patsubst %,$(O)/user/obj/%.o,$(copperd_SRCS)): PCFLAGS += \
	-Iservices/copperd -Iservices/compositord

# room aud-mix (issue 16): audiomixerd (services/audiomixerd, docs/audio.md),
# the examples tone_to_device and play, and the WAV files the tests play,
# generated at build time (tools/gen-wav.py) into the initrd's share/.
AMX_CORE := services/audiomixerd/amx_graph.c services/audiomixerd/amx_dsp.c \
	services/audiomixerd/amx_resample.c services/audiomixerd/amx_wav.c \
	services/audiomixerd/amx_proto.c services/audiomixerd/amx_lead.c
USER_PROGS += audiomixerd tone_to_device play amxload
audiomixerd_SRCS := services/audiomixerd/amx_main.c services/audiomixerd/amx_period.c \
	services/audiomixerd/amx_dev.c $(AMX_CORE)
tone_to_device_SRCS := apps/tone_to_device/tone_to_device.c
play_SRCS := apps/play/play.c
amxload_SRCS := apps/amxload/amxload.c $(AMX_CORE)
$(O)/user/obj/apps/amxload/amxload.c.o: PCFLAGS += -Iservices/audiomixerd

# room aud-drv (issue 16): the audio drivers' shared core (drivers/audio:
# /svc/audio, docs/audio.md "Drivers") and the AC97 driver. A device part
# links AUDIO_CORE (+ drivers/display/disp_iod.c for iod's requests).
AUDIO_CORE := drivers/audio/audio_core.c drivers/audio/audio_main.c \
	drivers/display/disp_iod.c
USER_PROGS += ac97
ac97_SRCS := drivers/ac97/ac97.c drivers/ac97/ac97_hw.c $(AUDIO_CORE)
$(patsubst %,$(O)/user/obj/%.o,$(ac97_SRCS)): PCFLAGS += -Idrivers/audio \
	-Idrivers/ac97 -Idrivers/display
# room aud-hda (issue 16): the Intel HDA driver (drivers/hda) on the shared
# audio driver core (room aud-drv's AUDIO_CORE, above).
USER_PROGS += hda
hda_SRCS := drivers/hda/hda_main.c drivers/hda/hda_dev.c \
	drivers/hda/hda_ctrl.c drivers/hda/hda_codec.c $(AUDIO_CORE)
$(patsubst %,$(O)/user/obj/%.o,$(hda_SRCS)): PCFLAGS += -Idrivers/hda \
	-Idrivers/audio -Idrivers/display
# audiotest: a sine straight into /svc/audio (the drivers' end-to-end test)
USER_PROGS += audiotest
audiotest_SRCS := apps/audiotest/audiotest.c

# room net-apps (issue 17): the network programs (apps/httpd, nc, ping,
# ifconfig; docs/net-programs.md). Plain POSIX sockets; the platform
# parts are stat_execrt.c / ifsrc_execrt.c (stat_linux.c / ifsrc_linux.c
# on the host, mk/net-apps.mk).
USER_PROGS += httpd nc ping ifconfig
httpd_SRCS := apps/httpd/httpd.c apps/httpd/http.c apps/httpd/status.c \
	apps/httpd/stat_execrt.c apps/timeline-inspect/tl_format.c
$(O)/user/obj/apps/httpd/stat_execrt.c.o: PCFLAGS += -Iapps/timeline-inspect
nc_SRCS := apps/nc/nc.c apps/nc/ncutil.c
ping_SRCS := apps/ping/ping.c apps/ping/icmp.c
ifconfig_SRCS := apps/ifconfig/ifconfig.c apps/ifconfig/ifc.c \
	apps/ifconfig/ifsrc_execrt.c

# room net-lwip (issue 17): netd, the network stack (servers/netd,
# docs/net.md) on lwIP (mk/net.mk builds $(LWIP_USER_LIB)). The socket
# service is room net-sockd's (servers/netd/sock*.c); the device side
# runs the rings with libs/netring (room net-drv's NETRING_SRCS).
USER_PROGS += netd
# netd_devsvc.c survives a driver revoking its region with libs/grantguard.
NETD_DEV_SRCS := servers/netd/netd_dev.c servers/netd/netd_devsvc.c \
	$(NETRING_SRCS) $(GG_SRCS)
$(O)/user/obj/servers/netd/netd_devsvc.c.o: PCFLAGS += -Ilibs/grantguard/include
netd_SRCS := servers/netd/main.c servers/netd/netd_args.c servers/netd/netd_if.c \
	servers/netd/netd_json.c servers/netd/netd_stack.c $(NETD_DEV_SRCS) \
	$(sort $(wildcard servers/netd/sock*.c)) \
	libs/lwip-port/lwip_port.c libs/lwip-port/sys_execrt.c
netd_LIBS := $(LWIP_USER_LIB)
$(patsubst %,$(O)/user/obj/%.o,$(netd_SRCS)): PCFLAGS += $(LWIP_INC)
$(patsubst %,$(O)/user/obj/%.o,$(netd_SRCS)): | $(LWIP_STAMP)

UINC := -nostdinc -isystem $(SYSROOT)/include \
	-isystem $(shell $(USER_CC) -print-file-name=include) \
	-Iinclude -Ilibs/runtime/include -Ilibs/sdk-c -Ilibs/virtio/include \
	-Ilibs/netring/include \
	-isystem $(O)/user/jsmn
UCFLAGS := -std=gnu17 -O2 -g -fno-pie -fno-pic -fno-common \
	-fno-strict-aliasing -MMD -MP $(WARN) $(UINC)
# The runtime runs before musl sets up TLS, where the canary lives.
RTCFLAGS := $(UCFLAGS) -fno-stack-protector
# Programs: musl sets the canary up (AT_RANDOM from crt0.c).
PCFLAGS  := $(UCFLAGS) -fstack-protector-strong
# Static, not PIE, at the usual 0x400000; 4 KiB segment alignment.
ULDFLAGS := -nostdlib -static $(if $(findstring clang,$(USER_CC)),,-no-pie) -Wl,-Ttext-segment=0x400000 \
	-Wl,-z,max-page-size=0x1000 -Wl,-z,noexecstack -Wl,-z,separate-code \
	-Wl,--gc-sections -Wl,--build-id=none
LIBGCC := $(shell $(USER_CC) -print-libgcc-file-name)
USER_CRT_BEGIN := $(SYSROOT)/lib/crt1.o $(SYSROOT)/lib/crti.o
USER_CRT_END   := $(SYSROOT)/lib/crtn.o
USER_LIBS = -Wl,--start-group $(LIBSDKC) $(LIBEXECRT) $(SYSROOT)/lib/libc.a \
	-Wl,--end-group $(LIBGCC)

RT_SRCS := $(sort $(wildcard libs/runtime/*.c))
RT_OBJS := $(patsubst %,$(O)/user/obj/%.o,$(RT_SRCS))
USER_ELFS := $(patsubst %,$(O)/user/%.elf,$(USER_PROGS))
USER_OBJS := $(sort $(foreach p,$(USER_PROGS),$(patsubst %,$(O)/user/obj/%.o,$($(p)_SRCS))))

.PHONY: user musl user-smoke
user: $(USER_ELFS) $(O)/initrd.cpio
musl: $(MUSL_STAMP)

# musl is rebuilt only when the script, the glue overlay or the compiler
# changes (the stamp names the compiler it was built with). MUSL_SRC: where
# the Debian source package is kept (the clang build shares build/src).
MUSL_SRC ?= $(O)/src
ifneq ($(shell sed -n 's/.*, CC=\(.*\), built.*/\1/p' $(MUSL_STAMP) 2>/dev/null),$(USER_CC))
$(MUSL_STAMP): FORCE
endif
$(MUSL_STAMP): tools/build-musl.sh $(USER_GLUE)
	@CC=$(USER_CC) MUSL_SRC=$(MUSL_SRC) tools/build-musl.sh $(O)

# The runtime's file calls look /svc/fsd up with cl_ports (libsdkc).
$(RT_OBJS): $(O)/user/obj/%.c.o: %.c $(MUSL_STAMP) $(O)/user/jsmn/jsmn.h
	@mkdir -p $(dir $@)
	@echo "  UCC     $<"
	$(Q)$(USER_CC) $(RTCFLAGS) -c $< -o $@

$(LIBEXECRT): $(RT_OBJS)
	@echo "  AR      $@"
	$(Q)rm -f $@ && ar rcs $@ $^

# libsdkc: the C SDK (libs/sdk-c: JSON, cl_ports). jsmn is Debian's
# header-only libjsmn-dev; the sysroot build does not search /usr/include,
# so only its one header is made visible (a link, not a copy).
LIBSDKC := $(O)/user/libsdkc.a
SDKC_SRCS := $(sort $(wildcard libs/sdk-c/*.c))
SDKC_OBJS := $(patsubst %,$(O)/user/obj/%.o,$(SDKC_SRCS))
$(O)/user/jsmn/jsmn.h: /usr/include/jsmn.h
	@mkdir -p $(dir $@)
	$(Q)ln -sf $< $@
$(SDKC_OBJS): $(O)/user/obj/%.c.o: %.c $(MUSL_STAMP) $(O)/user/jsmn/jsmn.h
	@mkdir -p $(dir $@)
	@echo "  UCC     $<"
	$(Q)$(USER_CC) $(PCFLAGS) -c $< -o $@
$(LIBSDKC): $(SDKC_OBJS)
	@echo "  AR      $@"
	$(Q)rm -f $@ && ar rcs $@ $^

$(USER_OBJS): $(O)/user/obj/%.c.o: %.c $(MUSL_STAMP)
	@mkdir -p $(dir $@)
	@echo "  UCC     $<"
	$(Q)$(USER_CC) $(PCFLAGS) -c $< -o $@

# A program must be static (no PT_INTERP/PT_DYNAMIC), start in user space
# and leave nothing undefined.
define check_user_elf
	if readelf -lW $(1) | grep -Eq '^ +(INTERP|DYNAMIC) '; then \
		echo "$(1): not a static executable" >&2; exit 1; fi; \
	entry=$$(readelf -hW $(1) | sed -n 's/.*Entry point address: *//p'); \
	if [ $$((entry)) -lt $$((0x10000)) ] || \
	   [ $$((entry)) -ge $$((0x800000000000)) ]; then \
		echo "$(1): entry $$entry outside user space" >&2; exit 1; fi; \
	if [ -n "$$(nm -u $(1) | grep -v ' w ')" ]; then \
		echo "$(1): undefined symbols:" >&2; nm -u $(1) >&2; exit 1; fi
endef

define user_prog
$(O)/user/$(1).elf: $(patsubst %,$(O)/user/obj/%.o,$($(1)_SRCS)) $($(1)_LIBS) $(LIBEXECRT) $(LIBSDKC) $(MUSL_STAMP)
	@echo "  ULD     $$@"
	$(Q)$(USER_CC) $(ULDFLAGS) -o $$@ $(USER_CRT_BEGIN) \
		$(patsubst %,$(O)/user/obj/%.o,$($(1)_SRCS)) $($(1)_LIBS) $(USER_LIBS) $(USER_CRT_END)
	$(Q)$$(call check_user_elf,$$@)
endef
$(foreach p,$(USER_PROGS),$(eval $(call user_prog,$(p))))

# The initrd: a cpio "newc" archive laid out as docs/system.md says:
# programs as bin/<name>, the files of etc/ (the service manifest) as
# etc/<file>.
INITRD_ETC := $(sort $(wildcard etc/*))
# Data files (fsd shows them as /boot/share/<file>).
INITRD_SHARE := $(sort $(wildcard share/*))
# Generated data files: DEST=FILE items (INITRD_GEN) and their files.
INITRD_GEN ?=
INITRD_GEN_FILES ?=
# room fbcon: the screen console's font (docs/console.md "Font"), from
# Debian's console-setup-linux, decompressed at build time.
FBCON_FONT_SRC ?= /usr/share/consolefonts/Uni2-VGA16.psf.gz
FBCON_FONT := $(O)/share/font.psf
$(FBCON_FONT): $(FBCON_FONT_SRC)
	@mkdir -p $(dir $@)
	@test -r $< || { echo "no $<: install console-setup-linux (tools/setup.sh)" >&2; exit 1; }
	$(Q)gzip -dc $< > $@.tmp && mv $@.tmp $@
INITRD_GEN += share/font.psf=$(FBCON_FONT)
INITRD_GEN_FILES += $(FBCON_FONT)
# room aud-mix: the audio tests' WAV files (tools/gen-wav.py, docs/audio.md)
AMX_WAVS := pattern-s16-48k tone-f32-44k tone-s24-96k
$(O)/share/%.wav: tools/gen-wav.py
	@mkdir -p $(dir $@)
	@echo "  GENWAV  $@"
	$(Q)$(PYTHON) tools/gen-wav.py $* $@
INITRD_GEN += $(foreach w,$(AMX_WAVS),share/$(w).wav=$(O)/share/$(w).wav)
INITRD_GEN_FILES += $(foreach w,$(AMX_WAVS),$(O)/share/$(w).wav)
$(O)/initrd.cpio: $(USER_ELFS) $(INITRD_ETC) $(INITRD_SHARE) $(INITRD_GEN_FILES) tools/mkinitrd.sh
	@echo "  CPIO    $@"
	$(Q)tools/mkinitrd.sh $@ $(USER_ELFS) $(foreach f,$(INITRD_ETC),$(f)=$(f)) \
		$(foreach f,$(INITRD_SHARE),$(f)=$(f)) $(INITRD_GEN)

# Smoke test on Linux: hello.c, musl, crt1 + crt0 and the glue, linked with
# an emulation of the exec-rt calls by Linux calls (tests/host-user/), so
# the translation runs for real. Proves the libc build, not the kernel.
EMU_DIR  := $(O)/user/emul
EMU_RT   := $(patsubst %,$(EMU_DIR)/%.o,$(RT_SRCS))
EMU_OBJS := $(EMU_RT) $(EMU_DIR)/tests/host-user/linux_emul.c.o
SDKC_EMU_OBJS := $(patsubst %,$(EMU_DIR)/%.o,$(SDKC_SRCS))
$(EMU_OBJS): $(EMU_DIR)/%.c.o: %.c $(MUSL_STAMP) $(O)/user/jsmn/jsmn.h
	@mkdir -p $(dir $@)
	@echo "  UCC     $< (emulated)"
	$(Q)$(USER_CC) $(RTCFLAGS) -DEXECRT_EMULATE -c $< -o $@
$(EMU_DIR)/hello.elf: $(EMU_OBJS) $(SDKC_EMU_OBJS) $(O)/user/obj/libs/examples/hello.c.o
	$(Q)$(USER_CC) $(ULDFLAGS) -o $@ $(USER_CRT_BEGIN) \
		$(O)/user/obj/libs/examples/hello.c.o -Wl,--start-group $(EMU_OBJS) \
		$(SDKC_EMU_OBJS) \
		$(SYSROOT)/lib/libc.a -Wl,--end-group $(LIBGCC) $(USER_CRT_END)
user-smoke: $(EMU_DIR)/hello.elf
	@echo "  SMOKE   $< (on Linux)"
	$(Q)$< > $(EMU_DIR)/hello.out 2>&1; rc=$$?; cat $(EMU_DIR)/hello.out; \
	grep -q '^hello from user space$$' $(EMU_DIR)/hello.out && \
	grep -q '^argv\[2\] = "two"$$' $(EMU_DIR)/hello.out && \
	grep -q '^snprintf 42 0xbeef 3.250 (24 chars), big\[12345\] = 0xa5$$' \
		$(EMU_DIR)/hello.out && \
	grep -q 'start_info present' $(EMU_DIR)/hello.out && [ $$rc = 0 ] && \
	echo "user-smoke: 1 passed, 0 failed" || \
	{ echo "user-smoke: 0 passed, 1 failed (exit $$rc)"; exit 1; }

-include $(RT_OBJS:.o=.d) $(USER_OBJS:.o=.d) $(EMU_OBJS:.o=.d) $(SDKC_OBJS:.o=.d)

# The guest test suite (tests/guest, docs/testing.md "The guest suite"): the
# root task of a test boot (`init=guest-tests utest`) and the child programs
# it starts, packed into their own initrd.
#   make guest   build/user/guest-tests.elf, the children, build/initrd-test.cpio
GUEST_PROGS := guest-tests guest-child-fault guest-child-work guest-child-grant \
	guest-child-quota guest-svc-comp guest-fuzz guest-init-svc iod-testdrv
# room net-rt: the socket tests' child (t_sock.c)
GUEST_PROGS += guest-child-sock
# REVIEW-18 R3: a helper task that hands fsd connections to its parent
GUEST_PROGS += guest-child-fsconn
# room race2cpu: an unprivileged program racing per-task limits on 2 CPUs
GUEST_PROGS += guest-child-race2
guest-tests_SRCS := tests/guest/main.c tests/guest/gtest.c tests/guest/gutil.c \
	tests/guest/names_env.c tests/guest/fsd_env.c tests/guest/init_env.c \
	tests/guest/rights_fx.c tests/guest/iod_env.c tests/guest/race2_run.c \
	tests/guest/race2_svc.c \
	$(sort $(wildcard tests/guest/t_*.c))
# room virtio: t_virtio.c drives virtio-rng-pci with libvirtio
guest-tests_SRCS += $(VIRTIO_SRCS)
# room net-drv: t_netdev.c plays netd with libnetring
guest-tests_SRCS += $(NETRING_SRCS)
# room net-rt: t_sock.c's fake netd (the runtime's sockets without lwIP)
guest-tests_SRCS += tests/guest/fake_netd.c
# t_sock_netd.c's fixture: netd as a child, an echo server and client
guest-tests_SRCS += tests/guest/sock_netd_fx.c
guest-child-fault_SRCS := tests/guest/child_fault.c
guest-child-work_SRCS := tests/guest/child_work.c
guest-child-grant_SRCS := tests/guest/child_grant.c
guest-child-quota_SRCS := tests/guest/child_quota.c
guest-child-sock_SRCS := tests/guest/child_sock.c
guest-child-fsconn_SRCS := tests/guest/child_fsconn.c
guest-child-race2_SRCS := tests/guest/child_race2.c \
	tests/guest/child_race2_vmgr.c tests/guest/gutil.c
guest-svc-comp_SRCS := tests/guest/svc_comp.c
guest-init-svc_SRCS := tests/guest/init_svc.c
guest-fuzz_SRCS := tests/guest/fuzz_main.c tests/guest/fuzz_gen.c tests/guest/fuzz_args.c
# room iod: the driver iod starts in t_iod.c
iod-testdrv_SRCS := tests/guest/iod_testdrv.c
GUEST_ELFS := $(patsubst %,$(O)/user/%.elf,$(GUEST_PROGS))
GUEST_OBJS := $(sort $(filter-out $(USER_OBJS),$(foreach p,$(GUEST_PROGS),$(patsubst \
	%,$(O)/user/obj/%.o,$($(p)_SRCS)))))

.PHONY: guest
guest: $(GUEST_ELFS) $(O)/initrd-test.cpio

$(GUEST_OBJS): $(O)/user/obj/%.c.o: %.c $(MUSL_STAMP)
	@mkdir -p $(dir $@)
	@echo "  UCC     $<"
	$(Q)$(USER_CC) $(PCFLAGS) -Itests/guest -c $< -o $@

$(foreach p,$(GUEST_PROGS),$(eval $(call user_prog,$(p))))

# The name service, the hello-port example and timeline-inspect run in the
# guest tests too.
GUEST_EXTRA := $(O)/user/names.elf $(O)/user/hello-port.elf \
	$(O)/user/timeline-inspect.elf $(O)/user/testsvc.elf $(O)/user/portctl.elf \
	$(O)/user/console.elf \
	$(O)/user/init.elf $(O)/user/fsd.elf $(O)/user/vmgr.elf \
	$(O)/user/fstest.elf $(O)/user/mmaptest.elf $(O)/user/iod.elf \
	$(O)/user/inputd.elf
# room net-drv: iod starts virtio-net for tests/guest/t_netdev.c
GUEST_EXTRA += $(O)/user/virtio-net.elf
# room gfx-blit: blitterd runs as a child of tests/guest/t_blitterd.c
GUEST_EXTRA += $(O)/user/blitterd.elf
# room gfx-fix: compositord runs as a child of tests/guest/t_compositord.c
GUEST_EXTRA += $(O)/user/compositord.elf
# room race2cpu: copperd runs as a child of tests/guest/t_race2_copper.c
GUEST_EXTRA += $(O)/user/copperd.elf
# room net-lwip: netd runs as a child of tests/guest/t_netd.c (and of
# t_sock_netd.c, room net-rt)
GUEST_EXTRA += $(O)/user/netd.elf
# Test manifests and other data of the guest tests: tests/guest/etc/* as
# etc/*, beside the real etc/ files.
GUEST_ETC := $(sort $(wildcard tests/guest/etc/*))
$(O)/initrd-test.cpio: $(GUEST_ELFS) $(GUEST_EXTRA) $(INITRD_ETC) $(INITRD_SHARE) $(GUEST_ETC) tools/mkinitrd.sh
	@echo "  CPIO    $@"
	$(Q)tools/mkinitrd.sh $@ $(GUEST_ELFS) $(GUEST_EXTRA) \
		$(foreach f,$(INITRD_ETC),$(f)=$(f)) \
		$(foreach f,$(INITRD_SHARE),$(f)=$(f)) \
		$(foreach f,$(GUEST_ETC),etc/$(notdir $(f))=$(f))

# The fuzzer's workers run without a thread pointer (fuzz_main.c).
$(patsubst %,$(O)/user/obj/%.o,$(guest-fuzz_SRCS)): PCFLAGS := $(UCFLAGS) -fno-stack-protector

-include $(GUEST_OBJS:.o=.d)

# The suite on Linux (tests/guest/emul_wrap.c): the harness, the clock and
# thread/TLS tests; the rest needs the kernel.
#   make guest-emul [GUEST_FILTER=word,word]
GUEST_FILTER ?= clock,sleep,yield,wait_deadline,debug_write_prints,thread_start_exit,thread_exit_status,thread_tls,thread_set_tls,thread_many,thread_start_twice
GUEST_EMU_OBJS := $(patsubst $(O)/user/obj/%,$(EMU_DIR)/%,$(foreach \
	s,$(guest-tests_SRCS) tests/guest/emul_wrap.c,$(O)/user/obj/$(s).o))
$(GUEST_EMU_OBJS): $(EMU_DIR)/%.c.o: %.c $(MUSL_STAMP)
	@mkdir -p $(dir $@)
	@echo "  UCC     $< (emulated)"
	$(Q)$(USER_CC) $(if $(findstring emul_wrap,$<),$(RTCFLAGS),$(PCFLAGS)) \
		-Itests/guest -DEXECRT_EMULATE -c $< -o $@
$(SDKC_EMU_OBJS): $(EMU_DIR)/%.c.o: %.c $(MUSL_STAMP) $(O)/user/jsmn/jsmn.h
	@mkdir -p $(dir $@)
	@echo "  UCC     $< (emulated)"
	$(Q)$(USER_CC) $(PCFLAGS) -DEXECRT_EMULATE -c $< -o $@
$(EMU_DIR)/guest-tests.elf: $(GUEST_EMU_OBJS) $(EMU_OBJS) $(SDKC_EMU_OBJS)
	$(Q)$(USER_CC) $(ULDFLAGS) -Wl,--wrap=__execrt_emulate \
		-Wl,--wrap=__execrt_emulate_start_info -o $@ $(USER_CRT_BEGIN) \
		$(GUEST_EMU_OBJS) -Wl,--start-group $(EMU_OBJS) $(SDKC_EMU_OBJS) \
		$(SYSROOT)/lib/libc.a -Wl,--end-group $(LIBGCC) $(USER_CRT_END)
.PHONY: guest-emul
guest-emul: $(EMU_DIR)/guest-tests.elf
	@echo "  EMUL    $< $(GUEST_FILTER) (on Linux)"
	$(Q)$< $(GUEST_FILTER)
-include $(GUEST_EMU_OBJS:.o=.d) $(SDKC_EMU_OBJS:.o=.d)

# room fbcon: t_console.c tests the screen endpoint (CON_SCREEN_BADGE)
$(O)/user/obj/tests/guest/t_console.c.o: PCFLAGS += -Iservers/console
$(O)/user/obj/tests/guest/t_console_sess.c.o: PCFLAGS += -Iservers/console
# room fbcon: the host test of the PSF parser also reads the real font.
test-host: $(FBCON_FONT)
$(O)/host/tests/host/test_fbcon_psf.c.o: HCFLAGS += -DFBCON_TEST_FONT='"$(FBCON_FONT)"'
