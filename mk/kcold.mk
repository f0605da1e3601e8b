# Kernel files off every hot path (boot, ACPI and device set-up, fault
# reports, configuration and telemetry calls, the log), built for size:
# the kernel text goal of issue 11 (<= 160 KiB without the in-kernel
# tests). The IPC, scheduler, memory, handle and thread paths stay at -O2;
# `make bench` prints the text size. The flags at the end (section
# garbage collection, alignment) apply to every kernel object
# (docs/ipc.md "Kernel text, room for the next paths").
KCOLD_SRCS := $(wildcard kernel/acpi/*.c kernel/boot/*.c kernel/dev/*.c) \
	kernel/main.c kernel/lib/printf.c kernel/lib/log.c kernel/lib/sort.c \
	kernel/mm/mmio.c kernel/sched/params.c kernel/sched/change.c \
	kernel/syscall/sys_vm.c kernel/syscall/sys_pager.c \
	kernel/sched/telemetry.c kernel/sched/auth.c kernel/task/root.c \
	kernel/task/fault.c kernel/task/task_stats.c kernel/task/endnotify.c \
	kernel/obj/resource.c kernel/lib/strlcpy.c kernel/syscall/sys_grant.c \
	kernel/ipc/irq.c kernel/syscall/sys_sched.c kernel/syscall/sys_task.c \
	kernel/syscall/sys_irq.c kernel/syscall/sys_pci.c \
	kernel/syscall/sys_resource.c kernel/syscall/sys_mmio.c \
	libs/runtime/elf_parse.c libs/runtime/cpio.c \
	$(addprefix $(ARCHDIR)/,mm_init.c smp.c ioapic.c fwcfg.c irq_user.c \
		pci_cfg.c ksyms.c nmi.c time_init.c pvh.c serial.c \
		gdt.c pic.c pit.c pat.c boot.c)
# clang's -Os keeps more than gcc's; -Oz is its size level (hpet.c is
# left out: clang -Oz calls __lshrti3 for its 128-bit shift, no libgcc here).
KCOLD_OPT := $(if $(findstring clang,$(CC)),-Oz,-Os)
$(patsubst %,$(O)/%.o,$(KCOLD_SRCS)) $(O)/notest/main.c.o: KOPT := $(KCOLD_OPT)
# A change of the list rebuilds the kernel objects.
$(KOBJS) $(O)/notest/main.c.o: mk/kcold.mk

# Every function and object in its own section, and the link drops those
# nothing references: helpers only the in-kernel tests or the host tests
# call leave kernel-notest.elf (kernel.elf keeps what its tests use).
# What is reached only through the linker script is KEEP there (.ktest,
# the AP trampoline, the boot headers, .ksyms); the asm files keep one
# .text each.
KCFLAGS += -ffunction-sections -fdata-sections
KLDFLAGS += --gc-sections

# Loop heads and jump targets are not padded to 16 bytes (functions still
# are): the padding was ~5.7 KiB of the hot -O2 files, and the nops before
# a loop head run whenever the code falls into the loop (under icount every
# figure is the same or a few instructions fewer). clang has no
# -falign-jumps; its jump targets are not padded.
KCFLAGS += $(if $(findstring clang,$(CC)),-falign-loops=1,-falign-jumps=1 -falign-loops=1)
