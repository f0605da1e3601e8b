# Running and testing under QEMU.
#   make run   [GUI=1] [SMP=n] [MACHINE=q35|pc] [HTTP_PORT=8080] [CMDLINE="..."]
#   make check
#   make gdb   [CMDLINE="..."]

GUI     ?= 0
SMP     ?= 2
MACHINE ?= q35
OVMF_CODE := /usr/share/OVMF/OVMF_CODE_4M.fd
OVMF_VARS := /usr/share/OVMF/OVMF_VARS_4M.fd
# The network: QEMU's user net (DHCP gives 10.0.2.15), and the guest's
# port 80 (`httpd &` in the shell) on the host's 127.0.0.1:HTTP_PORT only.
HTTP_PORT ?= 8080
QEMU_NET := -netdev user,id=net0,hostfwd=tcp:127.0.0.1:$(HTTP_PORT)-:80 \
	-device virtio-net-pci,netdev=net0
QEMU_DISPLAY := $(if $(filter 1,$(GUI)),-serial mon:stdio,-nographic -serial mon:stdio)

# UEFI boot of the ISO with the serial console in this terminal (Ctrl-A X
# quits QEMU). A fresh copy of the OVMF vars per run: a reused one can drop
# into the EFI shell.
run: setup
	@$(MAKE) --no-print-directory all
	@cp $(OVMF_VARS) $(O)/ovmf-vars.fd
	qemu-system-x86_64 -M $(MACHINE) -cpu max -m 512 -smp $(SMP) \
		-drive if=pflash,format=raw,unit=0,readonly=on,file=$(OVMF_CODE) \
		-drive if=pflash,format=raw,unit=1,file=$(O)/ovmf-vars.fd \
		-cdrom $(ISO) -boot d $(QEMU_DISPLAY) $(QEMU_NET) \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 -no-reboot

# Every documented configuration check can afford: the gcc build in $(O)
# and the whole clang build (`make CC=clang`: kernel, musl, user space,
# initrds, ISOs) in $(O)/clang, sharing the musl source package. check.sh
# boots both.
clang-build: FORCE
	@$(MAKE) --no-print-directory CC=clang O=$(O)/clang MUSL_SRC=$(O)/src \
		all guest

# The build takes every CPU unless make was given -j (CI runs a plain
# `make check`); check.sh builds the clang tree beside its first suites.
CHECK_J = $(or $(filter -j%,$(MAKEFLAGS)),-j$(shell nproc))
check: setup
	@t0=$$(date +%s) && $(MAKE) --no-print-directory \
		$(if $(filter -j%,$(MAKEFLAGS)),,$(CHECK_J)) all guest \
		$(O)/host/unit-tests fuzz-build net-apps-host && mkdir -p $(O)/logs && \
		echo "gcc $$(($$(date +%s) - t0)) s" >$(O)/logs/build-time
	@MAKEFLAGS= O=$(O) CHECK_JOBS=$(CHECK_J) CHECK_BUILD="$$(cat $(O)/logs/build-time)" \
		tools/check.sh

# QEMU stopped at the first instruction with a gdbstub on :1234, and gdb
# with the kernel's symbols attached. Quitting gdb stops that QEMU.
gdb: setup kernel
	@qemu-system-x86_64 -M q35 -cpu max -m 512 -smp $(SMP) -kernel $(KERNEL) \
		-append "$(CMDLINE)" -display none -serial file:$(O)/gdb-serial.log \
		-monitor none -no-reboot -s -S & echo $$! > $(O)/gdb-qemu.pid
	@echo "serial output: $(O)/gdb-serial.log"
	-gdb -q $(KERNEL) -ex 'target remote localhost:1234' -ex 'hbreak kmain' \
		-ex 'continue'
	@kill $$(cat $(O)/gdb-qemu.pid) 2>/dev/null; rm -f $(O)/gdb-qemu.pid

# The in-guest system-call fuzzer (docs/testing.md, "Guest fuzzer"):
#   make fuzz [CALLS=n] [SEED=s] [THREADS=1..4] [BATCH=n] [KEEP_GOING=1]
# The timeout allows 2000 calls/s, well below the rate measured.
CALLS   ?= 1000000
BATCH   ?= 40000
THREADS ?= 4
fuzz: setup
	@$(MAKE) --no-print-directory kernel guest
	@tools/qemu-run.sh --logdir $(O)/logs --name fuzz --kernel $(KERNEL) --smp 2 \
		--timeout $$(( 120 + $(CALLS) / 2000 )) \
		--append "init=guest-tests utest -- gtest=fuzz_ fuzz_calls=$(CALLS) fuzz_batch=$(BATCH) fuzz_threads=$(THREADS)$(if $(SEED), fuzz_seed=$(SEED))$(if $(KEEP_GOING), fuzz_keep_going=1)" \
		-- -initrd $(O)/initrd-test.cpio
	@grep -aE '^fuzz: [0-9]+ (calls in|of)' $(O)/logs/fuzz.log
.PHONY: fuzz
