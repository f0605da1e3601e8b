/* Per-CPU data, reached through the GS base: gs:0 holds a pointer to the
 * CPU's own struct cpu. Nothing in the kernel keeps a global "current". */
#pragma once
#define MAX_CPUS 64

/* Offsets used from assembly (trap.S); checked in cpu.c. */
#define CPU_OFF_RECOVER_RIP 8
#define CPU_OFF_RECOVER_RSP 16
#define CPU_OFF_KSTACK_TOP  24
#define CPU_OFF_USER_RSP    32
#define CPU_OFF_CUR	    40

#ifndef __ASSEMBLY__
#include <kern/types.h>

struct trap_frame;
struct thread;

struct cpu {
	struct cpu *self; /* must stay first: this_cpu() reads gs:0 */
	/* Fault recovery for tests and user copies: when recover_rip is set
	 * and a fault hits in kernel mode, the trap handler records it in
	 * fault_* and resumes at recover_rip with recover_rsp (trap.c). */
	uintptr_t recover_rip, recover_rsp;
	/* Kernel stack of the running thread: where SYSCALL switches to
	 * (the TSS has the same value for interrupts from user mode). */
	uintptr_t kstack_top;
	uintptr_t user_rsp; /* scratch for the SYSCALL entry */
	/* The running thread (thread_current()), set by each switch. Read
	 * in ONE %gs-relative load (arch_current_thread()): kernel code runs
	 * preemptible, and reading the CPU first and its field second can
	 * straddle a preemption that moves the thread to another CPU; the
	 * second read then names whatever runs on the CPU it left. */
	struct thread *cur;
	unsigned id;      /* dense index, 0 = boot CPU */
	uint32_t apic_id;
	bool online;
	void *tss;        /* struct tss, owned by gdt.c */
	uint64_t *gdt;
	uint64_t fault_vector, fault_error, fault_cr2, fault_rip;
	/* Timer and clock state (time code). */
	uint64_t lapic_ticks_per_ms;
	uint64_t timer_deadline_ns;
	void (*timer_fn)(void);
	uint64_t timer_fires;
	uint64_t irq_count;
	uint64_t timer_irqs; /* LAPIC timer interrupts, incl. re-arms */
	/* TLB shootdown requests this CPU answered (ipi.c), for user spaces
	 * and for the kernel space. */
	uint64_t tlb_ipis_user, tlb_ipis_kernel;
};

extern struct cpu cpus[MAX_CPUS];
extern unsigned ncpus_online;

static inline struct cpu *this_cpu(void)
{
	struct cpu *c;
	__asm__ volatile("movq %%gs:0, %0" : "=r"(c));
	return c;
}

/* The running thread in one load (see struct cpu's `cur`). */
static inline struct thread *this_cpu_cur(void)
{
	struct thread *t;
	__asm__ volatile("movq %%gs:%c1, %0" : "=r"(t) : "i"(CPU_OFF_CUR));
	return t;
}

void percpu_init(struct cpu *c, unsigned id, uint32_t apic_id);
#endif
