/* The panic stop. The panicking CPU sends every other online CPU an NMI,
 * which arrives even on a CPU spinning with interrupts off (a fixed-vector
 * IPI would wait for sti forever). The NMI handler saves the interrupted
 * registers, marks its CPU offline, counts itself and halts with NMIs
 * still blocked (no iret). The panicking CPU waits a bounded time for the
 * count, prints its own report, then each stopped CPU's registers and
 * backtrace (arch_dump_others(): read from the stopped CPU's stack, which
 * no longer changes), and names any CPU that never answered.
 *
 * The handler prints nothing and takes no lock: the CPU it interrupted
 * may hold the console's. It finds its CPU by LAPIC id, not through GS:
 * an NMI can land between an entry's swapgs and the next instruction. */
#include <arch/cpu.h>
#include <arch/ksyms.h>
#include <arch/lapic.h>
#include <arch/percpu.h>
#include <arch/smp.h>
#include <arch/trap.h>
#include <kern/arch.h>
#include <kern/lib.h>
#include <kern/log.h>

static uint32_t stop_owner; /* 0, or 1 + id of the CPU stopping others */
static uint32_t nstopped;
static uint64_t sent;	  /* CPUs sent an NMI (MAX_CPUS <= 64) */
static uint64_t answered; /* ... and those whose registers are saved */
static struct trap_frame saved[MAX_CPUS];

static unsigned cpu_by_apic(void)
{
	uint32_t a = lapic_id();
	for (unsigned i = 0; i < MAX_CPUS; i++)
		if (__atomic_load_n(&cpus[i].online, __ATOMIC_ACQUIRE) &&
		    cpus[i].apic_id == a)
			return i;
	return MAX_CPUS;
}

bool nmi_stop(const struct trap_frame *tf)
{
	uint32_t owner = __atomic_load_n(&stop_owner, __ATOMIC_ACQUIRE);
	if (!owner)
		return false; /* not ours: reported as an unexpected NMI */
	unsigned id = cpu_by_apic();
	if (id + 1 == owner)
		return true; /* a stray NMI on the reporting CPU: carry on */
	if (id < MAX_CPUS) {
		saved[id] = *tf;
		__atomic_fetch_or(&answered, 1ull << id, __ATOMIC_RELEASE);
		__atomic_store_n(&cpus[id].online, false, __ATOMIC_RELEASE);
		__atomic_fetch_add(&nstopped, 1, __ATOMIC_RELEASE);
	}
	arch_halt(); /* NMIs stay blocked: no iret */
}

void arch_stop_others(void)
{
	uint32_t none = 0, me = this_cpu()->id + 1;
	if (!__atomic_compare_exchange_n(&stop_owner, &none, me, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {
		if (none != me) /* someone else is stopping us all */
			arch_halt();
		return;
	}
	/* Before arch_smp_init() the count is 0 and the LAPIC may not be
	 * mapped yet: with no other CPU online there is nothing to stop. */
	if (__atomic_load_n(&ncpus_online, __ATOMIC_RELAXED) <= 1)
		return;
	unsigned others = 0;
	for (unsigned i = 0; i < MAX_CPUS; i++) {
		if (i + 1 == me ||
		    !__atomic_load_n(&cpus[i].online, __ATOMIC_ACQUIRE))
			continue;
		sent |= 1ull << i;
		others++;
		lapic_send_nmi(cpus[i].apic_id);
	}
	/* Bounded wait without the clock (it may be what broke). */
	for (unsigned long i = 0; i < 50000000ul; i++) {
		if (__atomic_load_n(&nstopped, __ATOMIC_ACQUIRE) >= others)
			break;
		cpu_pause();
	}
}

static void print_sym(const char *what, uintptr_t addr)
{
	uintptr_t off;
	const char *name = ksym_lookup(addr, &off);
	if (name)
		kprintf("%s %016lx %s+0x%lx\n", what, addr, name, off);
	else
		kprintf("%s %016lx\n", what, addr);
}

void arch_dump_others(void)
{
	uint64_t got = __atomic_load_n(&answered, __ATOMIC_ACQUIRE);
	for (unsigned i = 0; i < MAX_CPUS; i++) {
		if (!(sent & (1ull << i)))
			continue;
		if (!(got & (1ull << i))) {
			kprintf("cpu %u: did not stop (no answer to the NMI)\n",
				i);
			continue;
		}
		const struct trap_frame *tf = &saved[i];
		bool user = tf->cs & 3;
		kprintf("cpu %u: stopped by NMI in %s mode, interrupts %s\n", i,
			user ? "user" : "kernel",
			(tf->rflags & RFLAGS_IF) ? "on" : "off");
		print_sym("rip", tf->rip);
		kprintf("rsp %016lx rbp %016lx rflags %016lx\n", tf->rsp,
			tf->rbp, tf->rflags);
		kprintf("rax %016lx rbx %016lx rcx %016lx rdx %016lx\n",
			tf->rax, tf->rbx, tf->rcx, tf->rdx);
		kprintf("rsi %016lx rdi %016lx r8  %016lx r9  %016lx\n",
			tf->rsi, tf->rdi, tf->r8, tf->r9);
		if (!user)
			backtrace_from(tf->rip, tf->rbp);
	}
}
