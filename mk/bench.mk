# Benchmarks: `make bench` boots the kernel with the benchmark program as
# the root task, once on the normal (multi-threaded, host-clocked) TCG and
# once under -icount shift=0, where the guest TSC counts instructions and
# the figures repeat exactly. Figures are printed, never asserted.
BENCH_PROGS := bench
bench_SRCS := tests/bench/bench.c tests/bench/bench_smp.c tests/guest/gutil.c
$(foreach p,$(BENCH_PROGS),$(eval $(call user_prog,$(p))))

$(O)/user/obj/tests/bench/%.c.o: tests/bench/%.c tests/bench/bench.h $(MUSL_STAMP)
	@mkdir -p $(dir $@)
	@echo "  UCC     $<"
	$(Q)$(USER_CC) $(PCFLAGS) -Itests/guest -c $< -o $@

$(O)/initrd-bench.cpio: $(O)/user/bench.elf tools/mkinitrd.sh
	@echo "  CPIO    $@"
	$(Q)tools/mkinitrd.sh $@ $(O)/user/bench.elf

.PHONY: bench
bench: setup
	@$(MAKE) --no-print-directory kernel user $(O)/initrd-bench.cpio
	@O=$(O) tools/bench.sh
