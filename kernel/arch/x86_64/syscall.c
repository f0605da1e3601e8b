/* System-call plumbing on x86_64: the MSRs that route SYSCALL to
 * syscall_entry, the C half of the entry, first entry into user mode, and
 * user-mode faults. */
#include <arch/cpu.h>
#include <arch/fpu.h>
#include <arch/percpu.h>
#include <arch/trap.h>
#include <execrt/errors.h>
#include <execrt/syscall.h>
#include <kern/arch.h>
#include <kern/lib.h>
#include <kern/pager.h>
#include <kern/sched.h>
#include <kern/syscall.h>
#include <kern/task.h>
#include <kern/thread.h>

#define USER_CS (GDT_UCODE | 3)
#define USER_SS (GDT_UDATA | 3)

void syscall_entry(void);
__noreturn void arch_enter_user_frame(struct trap_frame *tf);
int syscall_exit_work(struct trap_frame *tf);

_Static_assert(__builtin_offsetof(struct trap_frame, rax) == 112,
	       "syscall.S: TF_RAX");

/* The SYSCALL entry built the frame at the top of the thread's kernel
 * stack, and both ways back (SYSRET, IRETQ) restore every register from
 * it. */
void arch_ipc_regs_store(struct thread *t, const struct ipc_regs *r)
{
	struct trap_frame *tf = (struct trap_frame *)t->arch.kstack_top - 1;
	tf->rdi = r->ctl;
	tf->rsi = r->badge;
	tf->rbx = r->sender;
	tf->rdx = r->w[0];
	tf->r10 = r->w[1];
	tf->r8 = r->w[2];
	tf->r9 = r->w[3];
}

void arch_syscall_init_cpu(void)
{
	fpu_init_cpu(); /* user code uses x87/SSE */
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
	/* SYSRET loads CS = STAR[63:48] + 16 and SS = STAR[63:48] + 8. */
	wrmsr(MSR_STAR,
	      ((uint64_t)(0x18 | 3) << 48) | ((uint64_t)GDT_KCODE << 32));
	wrmsr(MSR_LSTAR, (uintptr_t)syscall_entry);
	/* Interrupts off until the stack is switched; no stray AC (SMAP),
	 * DF, TF or NT from user mode leaks into the kernel. */
	wrmsr(MSR_SFMASK,
	      RFLAGS_IF | RFLAGS_AC | (1u << 10) | (1u << 8) | (1u << 14));
}

static bool canonical_user(uint64_t a)
{
	return a < USER_TOP;
}

/* Work to do before any return to user mode: die if killed, switch if a
 * preemption is pending. */
static void user_return_work(void)
{
	struct thread *t = this_cpu_cur(); /* one load: see percpu.h */
	for (;;) {
		if (__atomic_load_n(&t->killed, __ATOMIC_ACQUIRE)) {
			/* From an interrupt taken in user mode we get here
			 * with interrupts off; the last thread's exit tears
			 * its task down (address-space lock, TLB shootdowns
			 * that wait for every CPU): it must be able to
			 * answer other CPUs. No lock is held here. */
			irq_enable();
			thread_exit(t->task ? t->task->exit_status : 0);
		}
		if (!sched_resched_pending())
			return;
		/* A kill may arrive while we are switched out: look again. */
		sched_preempt_check();
	}
}

/* After the handler (syscall.S dispatched it, the result is in tf->rax). */
int syscall_exit_work(struct trap_frame *tf)
{
	user_return_work();
	/* SYSRET with a non-canonical rip would fault in kernel mode. */
	return !canonical_user(tf->rip) || tf->cs != USER_CS;
}

/* VM_PROT_* asked for by a page fault's error code, and whether the page
 * was present (a protection fault). */
uint32_t arch_pf_access(uint64_t error, bool *present)
{
	*present = error & 1;
	return (error & 2) ? VM_PROT_WRITE
	       : (error & 16) ? VM_PROT_EXEC
			      : VM_PROT_READ;
}

void arch_user_trap(struct trap_frame *tf)
{
	if (tf->vector == 14) {
		/* Pager memory is mapped on first touch (kern/pager.h). */
		bool present;
		uint32_t access = arch_pf_access(tf->error, &present);
		uint64_t addr = read_cr2();
		irq_enable(); /* the pager call blocks */
		int r = vm_user_fault(addr, access, present);
		irq_disable();
		if (r != ERR_FAULT) { /* resolved, or killed meanwhile */
			user_return_work();
			irq_disable();
			return;
		}
	}
	if (tf->vector < 32) {
		struct fault_report r = {
			.thread_koid = thread_current()->obj.koid,
			.vector = (uint32_t)tf->vector,
			.error = (uint32_t)tf->error,
			.addr = tf->vector == 14 ? read_cr2() : 0,
			.rip = tf->rip,
			.rsp = tf->rsp,
		};
		irq_enable(); /* handling may block */
		thread_fault(&r);
		irq_disable();
	}
	user_return_work();
	irq_disable();
}

void arch_thread_enter_user(uintptr_t entry, uintptr_t stack, uintptr_t arg)
{
	struct thread *t = thread_current();
	/* The frame lives in this function's own stack frame: iretq can
	 * leave from anywhere, and later entries start at kstack_top. */
	struct trap_frame frame, *tf = &frame;
	memset(tf, 0, sizeof(*tf));
	tf->rip = entry;
	tf->cs = USER_CS;
	tf->rflags = RFLAGS_IF | 2;
	tf->rsp = stack;
	tf->ss = USER_SS;
	tf->rdi = arg;
	irq_disable();
	wrmsr(MSR_FS_BASE, t->arch.fs_base);
	arch_enter_user_frame(tf);
}

void arch_thread_set_tls(struct thread *t, uint64_t fs_base)
{
	t->arch.fs_base = fs_base;
	if (t == thread_current())
		wrmsr(MSR_FS_BASE, fs_base);
}
