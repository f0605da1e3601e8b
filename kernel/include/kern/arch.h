/* What portable kernel code needs from the architecture. The x86_64 port
 * implements these in kernel/arch/x86_64; host unit tests supply stubs
 * (tests/host/stubs.c). */
#pragma once
#include <kern/types.h>

/* Upper bound on CPUs; per-CPU arrays are sized by it. */
#ifndef MAX_CPUS
#define MAX_CPUS 64
#endif

/* arch_irq_save, arch_irq_restore, arch_cpu_id and arch_current_thread
 * are inline where the port has them so (arch/inline.h). */
#if __has_include(<arch/inline.h>)
#include <arch/inline.h>
#endif
#ifndef ARCH_HAS_INLINE_HOOKS
/* Disables interrupts; the result is non-zero iff they were enabled. */
unsigned long arch_irq_save(void);
void arch_irq_restore(unsigned long flags);
/* Index of this CPU, 0-based. With interrupts on it may be stale by the
 * time it is used (a preemption can move the caller): per-CPU data is
 * touched with interrupts off. */
unsigned arch_cpu_id(void);
#endif
void arch_cpu_relax(void);
unsigned arch_cpus_online(void);
uint64_t arch_clock_ns(void);                /* monotonic ns since boot */
/* The clock_ns() value of the kernel's first instruction (boot.S reads
 * the cycle counter first thing); 0 before the clock is calibrated. For
 * boot figures (bootinfo `kernel_entry_ns`). */
uint64_t arch_kernel_entry_ns(void);
uint64_t arch_cycles(void);                  /* CPU cycle counter (costs) */
/* TLB shootdown requests CPU `cpu` answered so far, for user address
 * spaces and for the kernel's (telemetry). */
void arch_tlb_ipis(unsigned cpu, uint64_t *user, uint64_t *kernel);
/* The clock_ns() value at an arch_cycles() reading, also one taken before
 * the clock was calibrated (boot figures); 0 before calibration. */
uint64_t arch_cycles_to_ns(uint64_t cycles);
void arch_console_write(const char *s, size_t n);
__noreturn void arch_halt(void);             /* stop this CPU for good */
/* Leave the machine: under QEMU through isa-debug-exit. ok=false must never
 * look like success to the host. */
__noreturn void arch_exit(bool ok);
/* Stop every other CPU (panic path; bounded wait). */
void arch_stop_others(void);
/* Print registers and a symbolized backtrace of the caller (panic path). */
void arch_dump_stack(void);
/* After the panic report: what the stopped CPUs were doing (registers and
 * backtraces saved when they stopped), where the port can tell. */
void arch_dump_others(void);
/* Interrupt controllers, clock calibration and the one-shot timer on the
 * boot CPU (after ACPI); enables interrupts. */
void arch_time_init(void);

/* Threads and scheduling (kernel/sched, kernel/task). */
struct thread;
/* Prepares t's kernel stack (t->arch.kstack_top set) so that switching to
 * it runs entry() with interrupts off and the run-queue lock held; entry
 * calls sched_finish_switch() first. */
void arch_thread_init(struct thread *t, void (*entry)(void));
/* Switches stacks; records next as this CPU's running thread first. */
void arch_context_switch(struct thread *prev, struct thread *next);
/* The thread running this code (thread_current()), right in any context:
 * also with interrupts on, across a preemption that moves the caller to
 * another CPU. NULL before the CPU's scheduler is set up. */
#ifndef ARCH_HAS_INLINE_HOOKS
struct thread *arch_current_thread(void);
#endif
/* Sets it where no switch did: a CPU's boot context becoming its idle
 * thread. */
void arch_set_current_thread(struct thread *t);
/* Kernel stacks of `pages` pages (at most 7) with unmapped guard pages
 * below, so an overflow faults instead of corrupting memory; returns the
 * lowest address, or NULL. Free may be called in any context: with
 * interrupts off the unmapping (a TLB shootdown waits for the other CPUs)
 * is left to arch_kstack_reap(), which the reaper thread runs
 * (reaper_kick()). */
void *arch_kstack_alloc(unsigned pages);
void arch_kstack_free(void *base, unsigned pages);
void arch_kstack_reap(void);
/* Waits for an interrupt with interrupts enabled, returns with them off. */
void arch_idle(void);
/* Asks another CPU to reschedule (an IPI). */
void arch_send_resched(unsigned cpu);
/* Installs the scheduler's interrupt handlers (boot CPU, once). */
void arch_sched_init(void);
/* Start every other CPU (after the clock and interrupt controllers). */
void arch_smp_init(void);
/* User mode (x86_64: syscall.c). Enters user mode in the current thread
 * at entry with the stack pointer `stack` and `arg` in the first argument
 * register; never returns. */
__noreturn void arch_thread_enter_user(uintptr_t entry, uintptr_t stack,
				       uintptr_t arg);
/* Register messages (docs/ipc.md "Register messages"): the results of
 * t's system call, written into its saved user frame, which its return to
 * user mode loads (x86_64: rdi, rsi, rbx and rdx/r10/r8/r9). t is the
 * current thread or one inside a system call that reads none of these. */
struct ipc_regs {
	uint64_t ctl, badge, sender;
	uint64_t w[4];
};
void arch_ipc_regs_store(struct thread *t, const struct ipc_regs *r);
/* The user TLS base of t (FS on x86_64); loaded now if t is running. */
void arch_thread_set_tls(struct thread *t, uint64_t base);
