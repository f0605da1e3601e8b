/* The few arch hooks of kern/arch.h that sit on every IPC and scheduling
 * path, inline (kern/arch.h includes this when the port provides it; host
 * unit tests keep their stubs). An out-of-line call costs more than the
 * one or three instructions it wraps, ~20 times per call/reply round trip
 * (docs/ipc.md "Figures (issue 11)"). */
#pragma once
#include <arch/cpu.h>
#include <arch/percpu.h>

#define ARCH_HAS_INLINE_HOOKS 1

static inline unsigned long arch_irq_save(void)
{
	unsigned long f = read_rflags();
	irq_disable();
	return f & RFLAGS_IF;
}

/* sti's memory clobber keeps what the save protected before it; with
 * interrupts left off nothing can come between. */
static inline void arch_irq_restore(unsigned long flags)
{
	if (flags & RFLAGS_IF)
		irq_enable();
}

static inline unsigned arch_cpu_id(void)
{
	return this_cpu()->id;
}

/* One %gs-relative load: a preemption (and a move to another CPU) comes
 * before it or after it, never between finding the CPU and reading its
 * running thread (struct cpu's `cur`). */
static inline struct thread *arch_current_thread(void)
{
	return this_cpu_cur();
}
