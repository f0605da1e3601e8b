/* Exception and interrupt dispatch. Exceptions in the kernel are fatal
 * (report + failure exit) unless a trap_catch() is armed on this CPU;
 * vectors >= 32 go to registered handlers. */
#include <arch/cpu.h>
#include <arch/kstack.h>
#include <arch/ksyms.h>
#include <arch/percpu.h>
#include <arch/smp.h>
#include <arch/trap.h>
#include <arch/vectors.h>
#include <kern/arch.h>
#include <kern/lib.h>
#include <kern/log.h>
#include <kern/sched.h>
#include <kern/thread.h>

struct idt_entry {
	uint16_t off_lo, sel;
	uint8_t ist, type;
	uint16_t off_mid;
	uint32_t off_hi, zero;
} __packed;

static struct idt_entry idt[256] __attribute__((aligned(16)));
static irq_handler_t handlers[256];
extern const char trap_stubs_start[];
bool trap_catch_call(void (*fn)(void *), void *arg);

_Static_assert(__builtin_offsetof(struct cpu, recover_rip) ==
		       CPU_OFF_RECOVER_RIP,
	       "trap.S depends on this offset");
_Static_assert(__builtin_offsetof(struct cpu, recover_rsp) ==
		       CPU_OFF_RECOVER_RSP,
	       "trap.S depends on this offset");
_Static_assert(__builtin_offsetof(struct cpu, kstack_top) ==
		       CPU_OFF_KSTACK_TOP,
	       "syscall.S depends on this offset");
_Static_assert(__builtin_offsetof(struct cpu, cur) == CPU_OFF_CUR,
	       "percpu.h: CPU_OFF_CUR");
_Static_assert(__builtin_offsetof(struct cpu, user_rsp) == CPU_OFF_USER_RSP,
	       "syscall.S depends on this offset");

static const char *const names[32] = {
	"#DE divide error", "#DB debug", "NMI", "#BP breakpoint",
	"#OF overflow", "#BR bound range", "#UD invalid opcode",
	"#NM device not available", "#DF double fault",
	"coprocessor segment overrun", "#TS invalid TSS",
	"#NP segment not present", "#SS stack fault",
	"#GP general protection", "#PF page fault", "reserved (15)",
	"#MF x87 error", "#AC alignment check", "#MC machine check",
	"#XM SIMD error", "#VE virtualization", "#CP control protection",
	"reserved (22)", "reserved (23)", "reserved (24)", "reserved (25)",
	"reserved (26)", "reserved (27)", "#HV hypervisor injection",
	"#VC VMM communication", "#SX security", "reserved (31)"};

const char *trap_name(unsigned vector)
{
	return vector < 32 ? names[vector] : "interrupt";
}

static void set_gate(unsigned v, uintptr_t fn, uint8_t ist, uint8_t dpl)
{
	idt[v] = (struct idt_entry){
		.off_lo = fn & 0xffff,
		.sel = GDT_KCODE,
		.ist = ist,
		.type = (uint8_t)(0x8e | (dpl << 5)), /* interrupt gate */
		.off_mid = (fn >> 16) & 0xffff,
		.off_hi = (uint32_t)(fn >> 32),
	};
}

__cold void idt_init(void)
{
	for (unsigned v = 0; v < 256; v++)
		set_gate(v, (uintptr_t)trap_stubs_start + TRAP_STUB_BYTES * v,
			 0, 0);
	idt[8].ist = IST_DOUBLE_FAULT;
	idt[2].ist = IST_NMI;
	idt[18].ist = IST_MCE;
}

void idt_load(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __packed idtr = {sizeof(idt) - 1, (uintptr_t)idt};
	__asm__ volatile("lidt %0" : : "m"(idtr));
}

void irq_set_handler(unsigned vector, irq_handler_t fn)
{
	if (vector >= 32 && vector < 256)
		__atomic_store_n(&handlers[vector], fn, __ATOMIC_RELEASE);
}

__cold static void print_sym(const char *what, uintptr_t addr)
{
	uintptr_t off;
	const char *name = ksym_lookup(addr, &off);
	if (name)
		kprintf("%s %016lx %s+0x%lx\n", what, addr, name, off);
	else
		kprintf("%s %016lx\n", what, addr);
}

__cold void trap_report(const struct trap_frame *tf)
{
	unsigned v = (unsigned)tf->vector;
	kprintf("\n*** FAULT: vector %u (%s), error code 0x%lx, cpu %u, %s mode\n",
		v, trap_name(v), tf->error, arch_cpu_id(),
		(tf->cs & 3) ? "user" : "kernel");
	print_sym("rip", tf->rip);
	kprintf("cr2 %016lx cr3 %016lx rflags %016lx\n", read_cr2(),
		read_cr3(), tf->rflags);
	kprintf("rax %016lx rbx %016lx rcx %016lx rdx %016lx\n", tf->rax,
		tf->rbx, tf->rcx, tf->rdx);
	kprintf("rsi %016lx rdi %016lx rbp %016lx rsp %016lx\n", tf->rsi,
		tf->rdi, tf->rbp, tf->rsp);
	kprintf("r8  %016lx r9  %016lx r10 %016lx r11 %016lx\n", tf->r8, tf->r9,
		tf->r10, tf->r11);
	kprintf("r12 %016lx r13 %016lx r14 %016lx r15 %016lx\n", tf->r12,
		tf->r13, tf->r14, tf->r15);
	kprintf("cs %04lx ss %04lx\n", tf->cs, tf->ss);
	if (!(tf->cs & 3))
		backtrace_from(tf->rip, tf->rbp);
}

/* A fault in the guard below a kernel stack: the stack ran out. Usually a
 * double fault (the #PF frame itself could not be pushed), reported here
 * on the #DF's own IST stack. */
__noreturn static void stack_overflow(const struct trap_frame *tf,
				      uintptr_t top)
{
	struct thread *t = thread_current();
	const char *who = t && t->arch.kstack_top == top ? t->name
			  : top == this_cpu()->kstack_top ? "cpu stack"
							  : "interrupt stack";
	kprintf("\n*** kernel stack overflow: %s (cpu %u), stack top %016lx, "
		"cr2 %016lx\n",
		who, arch_cpu_id(), top, read_cr2());
	trap_report(tf);
	panic("kernel stack overflow in %s", who);
}

static bool try_recover(struct trap_frame *tf)
{
	struct cpu *c = this_cpu();
	if ((tf->cs & 3) || !c->recover_rip || tf->vector == 2 ||
	    tf->vector == 8 || tf->vector == 18)
		return false;
	c->fault_vector = tf->vector;
	c->fault_error = tf->error;
	c->fault_cr2 = tf->vector == 14 ? read_cr2() : 0;
	c->fault_rip = tf->rip;
	tf->rip = c->recover_rip;
	tf->rsp = c->recover_rsp;
	c->recover_rip = 0;
	return true;
}

void trap_dispatch(struct trap_frame *tf)
{
	unsigned v = (unsigned)tf->vector;
	/* An interrupted user copy (or user code) may have AC set: handlers
	 * run with SMAP closed; iret restores the interrupted AC. */
	if (cpu_features.smap)
		clac();
	if (v == 2 && nmi_stop(tf)) /* the panic stop (nmi.c) */
		return;
	if (v >= 32) {
		irq_handler_t h = __atomic_load_n(&handlers[v], __ATOMIC_ACQUIRE);
		if (h)
			h(tf);
		else if (v != VEC_SPURIOUS)
			pr_warn("trap: unexpected interrupt vector %u", v);
		/* Kernel code runs with interrupts on only while it holds no
		 * spinlock (they are all taken with interrupts off), so any
		 * context interrupted with IF set may be preempted. */
		if (tf->cs & 3)
			arch_user_trap(tf);
		else if (tf->rflags & RFLAGS_IF)
			sched_preempt_check();
		return;
	}
	if (tf->cs & 3) {
		arch_user_trap(tf); /* a fault report, or the task dies */
		return;
	}
	if (uaccess_fixup(tf) || try_recover(tf))
		return;
	/* A fault inside a fault report (a clobbered symbol table, a bad
	 * frame chain) must not recurse until the stack is gone and the
	 * machine triple-faults: one line, then the failure exit. */
	static int reporting;
	if (__atomic_fetch_add(&reporting, 1, __ATOMIC_SEQ_CST) > 0) {
		kprintf("\n*** FAULT: vector %u at %016lx during a fault "
			"report: stopping\n",
			v, tf->rip);
		arch_exit(false);
	}
	uintptr_t top;
	if ((v == 8 || v == 14) && kstack_guard_hit(read_cr2(), &top))
		stack_overflow(tf, top);
	/* An exception in kernel mode without recovery is a kernel bug. */
	trap_report(tf);
	panic("unhandled %s", trap_name(v));
}

bool trap_catch(void (*fn)(void *), void *arg, struct caught_fault *out)
{
	struct cpu *c = this_cpu();
	bool faulted = trap_catch_call(fn, arg);
	if (faulted && out) {
		out->vector = c->fault_vector;
		out->error = c->fault_error;
		out->cr2 = c->fault_cr2;
		out->rip = c->fault_rip;
	}
	return faulted;
}
