# Benchmarks: `make bench` boots the kernel with the benchmark program as
# the root task, once on the normal (multi-threaded, host-clocked) TCG and
# once under -icount shift=0, where the guest TSC counts instructions and
# the figures repeat exactly. Figures are printed, never asserted.
BENCH_PROGS := bench
bench_SRCS := tests/bench/bench.c tests/bench/bench_smp.c tests/guest/gutil.c \
	tests/bench/bench_vm.c
bench_SRCS += tests/bench/bench_fs.c # room fsd
bench_SRCS += tests/bench/bench_irq.c # room devk-pci
bench_SRCS += tests/bench/bench_input.c # room input
# room gfx-blit: blitterd's kernels vs musl (tests/bench/bench_blit.c)
bench_SRCS += tests/bench/bench_blit.c services/blitterd/blit_kern.c \
	services/blitterd/blit_simd.c services/blitterd/blit_ops.c
$(O)/user/obj/tests/bench/bench_blit.c.o: PCFLAGS += -Iservices/blitterd
$(foreach p,$(BENCH_PROGS),$(eval $(call user_prog,$(p))))

$(O)/user/obj/tests/bench/%.c.o: tests/bench/%.c tests/bench/bench.h $(MUSL_STAMP)
	@mkdir -p $(dir $@)
	@echo "  UCC     $<"
	$(Q)$(USER_CC) $(PCFLAGS) -Itests/guest -c $< -o $@

$(O)/initrd-bench.cpio: $(O)/user/bench.elf $(O)/user/fsd.elf \
		$(O)/user/inputd.elf $(O)/user/i8042.elf tools/mkinitrd.sh
	@echo "  CPIO    $@"
	$(Q)tools/mkinitrd.sh $@ $(O)/user/bench.elf $(O)/user/fsd.elf \
		$(O)/user/inputd.elf $(O)/user/i8042.elf

.PHONY: bench
# With the Linux packages fetched (by `make bench-linux`), also the
# side-by-side table; without, one line saying how to get them.
# $(ISO): the graphics row boots it (tests/system/test_graphics.py --iso).
bench: setup $(if $(wildcard $(O)/linux/busybox),$(O)/linux/initramfs.cpio)
	@$(MAKE) --no-print-directory kernel kernel-notest user $(O)/initrd-bench.cpio \
		$(ISO)
	@O=$(O) tools/bench.sh
	@O=$(O) tools/bench-linux.sh --if-present

# The Linux side (docs/benchmarks.md): Debian's kernel and busybox-static,
# fetched once into $(O)/linux by tools/bench-linux.sh (apt-get download,
# never installed), and a static program built with the host's gcc and libc
# (it runs only under Linux).
LINUX_BENCH := $(O)/linux

LINUX_BENCH_SRCS := tests/bench-linux/bench-linux.c tests/bench-linux/bench-linux-mem.c
$(LINUX_BENCH)/bench-linux: $(LINUX_BENCH_SRCS) tests/bench-linux/lbench.h
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $@ (static)"
	$(Q)gcc -std=gnu17 -O2 -static -Wall -Wextra -Werror -o $@ $(LINUX_BENCH_SRCS) -lpthread

# The network bench's guest programs (lbench=net in tests/bench-linux/init):
# apps/nc, the same source exec-rt's shell runs, static for Linux.
$(LINUX_BENCH)/nc: apps/nc/nc.c apps/nc/ncutil.c apps/nc/ncutil.h
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $@ (static)"
	$(Q)rm -f $@ && gcc -std=gnu17 -O2 -static -Wall -Wextra -Werror -Iapps/nc -o $@ \
		apps/nc/nc.c apps/nc/ncutil.c 2>&1 | \
		{ grep -v "getaddrinfo\|in function .resolve" || true; }
	$(Q)test -x $@

# vmlinuz, busybox and modules/ (virtio_net and what it needs), in one go;
# a $(LINUX_BENCH) fetched before modules/ was kept gets them this way.
$(LINUX_BENCH)/busybox $(LINUX_BENCH)/modules/order &:
	$(Q)O=$(O) tools/bench-linux.sh --fetch-only

# busybox + the programs + modules + /init, cpio newc, fixed owner: no
# root needed.
$(LINUX_BENCH)/initramfs.cpio: $(LINUX_BENCH)/bench-linux $(LINUX_BENCH)/busybox \
		$(LINUX_BENCH)/modules/order $(LINUX_BENCH)/nc tests/bench-linux/init
	@echo "  CPIO    $@"
	$(Q)rm -rf $@.d && mkdir -p $@.d/bin $@.d/proc $@.d/dev $@.d/sys \
		$@.d/lib/modules && \
		cp $(LINUX_BENCH)/busybox $(LINUX_BENCH)/bench-linux \
			$(LINUX_BENCH)/nc $@.d/bin/ && \
		cp $(LINUX_BENCH)/modules/*.ko $(LINUX_BENCH)/modules/order \
			$@.d/lib/modules/ && \
		install -m 0755 tests/bench-linux/init $@.d/init && \
		(cd $@.d && find . | LC_ALL=C sort | \
		 cpio -o -H newc --quiet -R 0:0) > $@.tmp && \
		mv $@.tmp $@ && rm -rf $@.d

.PHONY: bench-linux
bench-linux: setup
	@$(MAKE) --no-print-directory kernel user $(O)/initrd-bench.cpio \
		$(LINUX_BENCH)/initramfs.cpio
	@O=$(O) tools/bench-linux.sh
-include $(wildcard $(O)/user/obj/tests/bench/*.d)
