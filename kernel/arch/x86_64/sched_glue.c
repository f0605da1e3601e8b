/* The scheduler's interrupt plumbing: the reschedule IPI. */
#include <arch/cpu.h>
#include <arch/lapic.h>
#include <arch/percpu.h>
#include <arch/trap.h>
#include <arch/vectors.h>
#include <kern/arch.h>
#include <kern/sched.h>

static void resched_ipi(struct trap_frame *tf)
{
	(void)tf;
	lapic_eoi();
	sched_ipi();
}

void arch_sched_init(void)
{
	irq_set_handler(VEC_IPI_RESCHED, resched_ipi);
	arch_syscall_init_cpu();
}

void arch_send_resched(unsigned cpu)
{
	lapic_send_ipi(cpus[cpu].apic_id, VEC_IPI_RESCHED);
}

uint64_t arch_cycles(void)
{
	return rdtsc();
}

uint64_t sched_timer_irqs(void)
{
	return READ_ONCE(this_cpu()->timer_irqs);
}
