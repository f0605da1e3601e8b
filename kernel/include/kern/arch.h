/* What portable kernel code needs from the architecture. The x86_64 port
 * implements these in kernel/arch/x86_64; host unit tests supply stubs
 * (tests/host/stubs.c). */
#pragma once
#include <kern/types.h>

unsigned long arch_irq_save(void);           /* disable, return old state */
void arch_irq_restore(unsigned long flags);
void arch_cpu_relax(void);
unsigned arch_cpu_id(void);                  /* index of this CPU, 0-based */
uint64_t arch_clock_ns(void);                /* monotonic ns since boot */
void arch_console_write(const char *s, size_t n);
__noreturn void arch_halt(void);             /* stop this CPU for good */
/* Leave the machine: under QEMU through isa-debug-exit. ok=false must never
 * look like success to the host. */
__noreturn void arch_exit(bool ok);
/* Print registers and a symbolized backtrace of the caller (panic path). */
void arch_dump_stack(void);
/* Interrupt controllers, clock calibration and the one-shot timer on the
 * boot CPU (after ACPI); enables interrupts. */
void arch_time_init(void);
/* Start every other CPU (after the clock and interrupt controllers). */
void arch_smp_init(void);
