/* Arch hooks for threads: initial stack frames and the switch itself. */
#include <arch/cpu.h>
#include <arch/fpu.h>
#include <arch/percpu.h>
#include <arch/thread.h>
#include <arch/trap.h>
#include <kern/arch.h>
#include <kern/lib.h>
#include <kern/thread.h>

void arch_switch_stacks(uintptr_t *save_rsp, uintptr_t new_rsp);
_Static_assert(sizeof(((struct arch_thread *)0)->fpu) == FPU_AREA_SIZE,
	       "arch/fpu.h");
extern const char thread_start_stub[];

void arch_thread_init(struct thread *t, void (*entry)(void))
{
	uintptr_t *sp = (uintptr_t *)t->arch.kstack_top;
	*--sp = 0;			      /* end of backtraces */
	*--sp = 0;			      /* keeps rsp 16-byte aligned */
	*--sp = (uintptr_t)thread_start_stub; /* "return" address */
	*--sp = 0;			      /* rbp */
	*--sp = 0;			      /* rbx */
	*--sp = (uintptr_t)entry;	      /* r12 */
	*--sp = 0;			      /* r13 */
	*--sp = 0;			      /* r14 */
	*--sp = 0;			      /* r15 */
	t->arch.rsp = (uintptr_t)sp;
	t->arch.fs_base = 0;
	fpu_init_state(t->arch.fpu);
}

void arch_context_switch(struct thread *prev, struct thread *next)
{
	struct cpu *c = this_cpu();
	/* The next thread's kernel stack takes interrupts from user mode. */
	tss_set_rsp0(c, next->arch.kstack_top);
	c->kstack_top = next->arch.kstack_top;
	c->cur = next;
	/* Only user threads own FPU/SSE state; saved and loaded eagerly
	 * (fpu.c says why not lazily). */
	if (prev->task)
		fpu_save(prev->arch.fpu);
	if (next->task) {
		fpu_load(next->arch.fpu);
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
