/* Arch hooks for threads: initial stack frames and the switch itself. */
#include <arch/cpu.h>
#include <arch/percpu.h>
#include <arch/thread.h>
#include <arch/trap.h>
#include <kern/arch.h>
#include <kern/lib.h>
#include <kern/thread.h>

void arch_switch_stacks(uintptr_t *save_rsp, uintptr_t new_rsp);
extern const char thread_start_stub[];

void arch_thread_init(struct thread *t, void (*entry)(void))
{
	uintptr_t *sp = (uintptr_t *)t->arch.kstack_top;
	*--sp = 0;                           /* end of backtraces */
	*--sp = 0;                           /* keeps rsp 16-byte aligned */
	*--sp = (uintptr_t)thread_start_stub; /* "return" address */
	*--sp = 0;                           /* rbp */
	*--sp = 0;                           /* rbx */
	*--sp = (uintptr_t)entry;            /* r12 */
	*--sp = 0;                           /* r13 */
	*--sp = 0;                           /* r14 */
	*--sp = 0;                           /* r15 */
	t->arch.rsp = (uintptr_t)sp;
	t->arch.fs_base = 0;
	/* Default x87/SSE state: all exceptions masked, round to nearest. */
	memset(t->arch.fpu, 0, sizeof(t->arch.fpu));
	uint16_t fcw = 0x37f;
	uint32_t mxcsr = 0x1f80;
	memcpy(t->arch.fpu, &fcw, sizeof(fcw));
	memcpy(t->arch.fpu + 24, &mxcsr, sizeof(mxcsr));
}

void arch_context_switch(struct thread *prev, struct thread *next)
{
	struct cpu *c = this_cpu();
	/* The next thread's kernel stack takes interrupts from user mode. */
	tss_set_rsp0(c, next->arch.kstack_top);
	c->kstack_top = next->arch.kstack_top;
	c->cur = next;
	/* Only user threads own FPU/SSE state; save and load it eagerly
	 * (lazy switching would add a #NM round trip and a cross-CPU owner
	 * to track). */
	if (prev->task)
		__asm__ volatile("fxsave64 %0" : "=m"(prev->arch.fpu));
	if (next->task) {
		__asm__ volatile("fxrstor64 %0" : : "m"(next->arch.fpu));
		wrmsr(MSR_FS_BASE, next->arch.fs_base);
	}
	arch_switch_stacks(&prev->arch.rsp, next->arch.rsp);
}

void arch_idle(void)
{
	/* sti takes effect after the next instruction, so no interrupt can
	 * slip in between it and hlt and be missed. */
	__asm__ volatile("sti; hlt; cli" ::: "memory");
}
