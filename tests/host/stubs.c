/* Host stand-ins for the arch hooks of kern/arch.h. */
#include <sched.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include <kern/arch.h>
#include <kern/mm.h>
#include <kern/pmm.h>

uintptr_t physmap_offset;

static char *cap_buf;
static size_t cap_len, *cap_used;

void harness_capture_console(char *buf, size_t len, size_t *used)
{
	cap_buf = buf;
	cap_len = len;
	cap_used = used;
	if (used)
		*used = 0;
}

unsigned long arch_irq_save(void) { return 0; }
void arch_irq_restore(unsigned long flags) { (void)flags; }
/* Ticket locks hand over in order: on a loaded host, spinning on while the
 * next owner is descheduled stalls every waiter (slab_pmm_smp_stress ran
 * for more than 20 minutes). Give the CPU away instead. */
void arch_cpu_relax(void) { sched_yield(); }
unsigned arch_cpu_id(void) { return 0; }
static struct thread *host_current;
struct thread *arch_current_thread(void) { return host_current; }
void arch_set_current_thread(struct thread *t) { host_current = t; }
unsigned arch_cpus_online(void) { return 1; }
uint64_t arch_kernel_entry_ns(void) { return 0; }
uint64_t arch_cycles_to_ns(uint64_t cycles) { (void)cycles; return 0; }

uint64_t host_fake_ns = (uint64_t)-1; /* tests may pin the clock */
uint64_t arch_clock_ns(void)
{
	if (host_fake_ns != (uint64_t)-1)
		return host_fake_ns;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t arch_cycles(void) { return 0; }
void arch_tlb_ipis(unsigned cpu, uint64_t *user, uint64_t *kernel)
{
	(void)cpu;
	*user = *kernel = 0;
}

void arch_console_write(const char *s, size_t n)
{
	if (cap_buf) {
		size_t room = cap_len - *cap_used;
		size_t k = n < room ? n : room;
		memcpy(cap_buf + *cap_used, s, k);
		*cap_used += k;
		return;
	}
	/* Kernel log output would drown the test list; show it on demand. */
	static int verbose = -1;
	if (verbose < 0)
		verbose = getenv("HOST_TEST_VERBOSE") != NULL;
	if (verbose)
		fwrite(s, 1, n, stdout);
}

/* The kernel's panic() (kernel/lib/log.c) ends in arch_exit(false); a
 * test that expects a panic installs host_panic_jmp and gets control back
 * here instead of the process dying. */
jmp_buf *host_panic_jmp;

void arch_halt(void) { abort(); }
void arch_exit(bool ok)
{
	if (!ok && host_panic_jmp) {
		jmp_buf *j = host_panic_jmp;
		host_panic_jmp = NULL;
		longjmp(*j, 1);
	}
	exit(ok ? 0 : 1);
}
void arch_dump_stack(void) {}
void arch_stop_others(void) {}
void arch_dump_others(void) {}

/* Kernel stacks: frames of the host pmm, no guard pages (no paging). */
void *arch_kstack_alloc(unsigned pages)
{
	phys_addr_t pa = pmm_alloc_contig(pages, 1, 0);
	return pa ? phys_to_virt(pa) : NULL;
}
void arch_kstack_free(void *base, unsigned pages)
{
	if (base)
		pmm_free_contig(virt_to_phys(base), pages);
}
void arch_kstack_reap(void) {}

/* Threads and time cannot run on the host: the portable scheduler is only
 * compiled and linked here; these must never be reached by a host test. */
struct thread;
void arch_thread_init(struct thread *t, void (*entry)(void))
{
	(void)t;
	(void)entry;
	abort();
}
void arch_context_switch(struct thread *prev, struct thread *next)
{
	(void)prev;
	(void)next;
	abort();
}
void arch_idle(void) { abort(); }
void arch_send_resched(unsigned cpu)
{
	(void)cpu;
	abort();
}
uint64_t clock_ns(void) { return arch_clock_ns(); }
void timer_arm(uint64_t deadline_ns, void (*fn)(void))
{
	(void)deadline_ns;
	(void)fn;
	abort();
}
void timer_cancel(void) { abort(); }
void arch_thread_enter_user(uintptr_t entry, uintptr_t stack, uintptr_t arg)
{
	(void)entry;
	(void)stack;
	(void)arg;
	abort();
}
void arch_ipc_regs_store(struct thread *t, const struct ipc_regs *r)
{
	(void)t;
	(void)r;
	abort();
}
void arch_thread_set_tls(struct thread *t, uint64_t base)
{
	(void)t;
	(void)base;
	abort();
}
