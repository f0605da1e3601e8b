/* Inter-processor calls: run a function on other CPUs, TLB shootdown
 * (the panic stop is in nmi.c).
 *
 * Each CPU has one mailbox. A sender owns a target's mailbox (send_lock)
 * from posting until the target has finished, so requests never queue up.
 * Whoever waits - for a mailbox or for a completion - keeps serving its own
 * mailbox, which makes crossing calls (A -> B while B -> A) safe even with
 * interrupts off. A sender that gets parked (smp_run_quiesced) while it
 * waits gives back the mailboxes whose calls are done from inside park(),
 * so the parker can still post to those targets. */
#include <arch/cpu.h>
#include <arch/lapic.h>
#include <arch/paging.h>
#include <arch/percpu.h>
#include <arch/smp.h>
#include <arch/trap.h>
#include <arch/vectors.h>
#include <kern/arch.h>
#include <kern/lib.h>
#include <kern/spinlock.h>
#include <kern/time.h>
#include <kern/vm.h>

/* vectors.h calls it TEST; it is the general cross-call vector. */
#define VEC_IPI_CALL VEC_IPI_TEST

enum { MB_IDLE, MB_POSTED, MB_RUNNING };

struct mailbox {
	spinlock_t send_lock;
	uint32_t state;
	smp_call_fn_t fn;
	void *arg;
} __attribute__((aligned(64)));

static struct mailbox mbox[MAX_CPUS];

/* The mailboxes each CPU holds (posted to, not yet given back), a bit per
 * target. Only the owner touches its word, also from park() nested in its
 * own waits (never concurrently: posting and waiting run with interrupts
 * off). */
static uint64_t holds[MAX_CPUS];

/* Run the request in this CPU's mailbox, if any. The state change makes
 * sure the IPI handler and a polling waiter do not both run it. */
static void serve(unsigned self)
{
	struct mailbox *m = &mbox[self];
	uint32_t posted = MB_POSTED;
	if (!__atomic_compare_exchange_n(&m->state, &posted, MB_RUNNING, false,
					 __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return;
	m->fn(m->arg);
	__atomic_store_n(&m->state, MB_IDLE, __ATOMIC_RELEASE);
}

static bool is_online(unsigned id)
{
	return id < MAX_CPUS &&
	       __atomic_load_n(&cpus[id].online, __ATOMIC_ACQUIRE);
}

/* Interrupts must be off. False if target's mailbox is busy. */
static bool try_post(unsigned self, unsigned target, smp_call_fn_t fn,
		     void *arg, uint8_t vector)
{
	struct mailbox *m = &mbox[target];
	if (!spin_trylock(&m->send_lock))
		return false;
	m->fn = fn;
	m->arg = arg;
	__atomic_store_n(&m->state, MB_POSTED, __ATOMIC_RELEASE);
	WRITE_ONCE(holds[self], READ_ONCE(holds[self]) | 1ull << target);
	lapic_send_ipi(cpus[target].apic_id, vector);
	return true;
}

static void post(unsigned self, unsigned target, smp_call_fn_t fn, void *arg,
		 uint8_t vector)
{
	while (!try_post(self, target, fn, arg, vector)) {
		serve(self);
		cpu_pause();
	}
}

/* Give back target's mailbox if its call is done (or was given back
 * already, by park()). */
static bool reap(unsigned self, unsigned target)
{
	uint64_t bit = 1ull << target;
	if (!(READ_ONCE(holds[self]) & bit))
		return true;
	if (__atomic_load_n(&mbox[target].state, __ATOMIC_ACQUIRE) != MB_IDLE)
		return false;
	WRITE_ONCE(holds[self], READ_ONCE(holds[self]) & ~bit);
	spin_unlock(&mbox[target].send_lock);
	return true;
}

static void wait_done(unsigned self, unsigned target)
{
	while (!reap(self, target)) {
		serve(self);
		cpu_pause();
	}
}

int smp_call_on(unsigned cpu_id, smp_call_fn_t fn, void *arg)
{
	if (!is_online(cpu_id))
		return -1;
	unsigned long flags = arch_irq_save();
	unsigned self = this_cpu()->id;
	if (cpu_id == self) {
		fn(arg);
	} else {
		post(self, cpu_id, fn, arg, VEC_IPI_CALL);
		wait_done(self, cpu_id);
	}
	arch_irq_restore(flags);
	return 0;
}

/* Post to every other online CPU of `targets` (in id order, so two CPUs
 * broadcasting at once cannot hold each other's mailboxes crosswise),
 * optionally run locally, then wait for all. Returns with interrupts as
 * they were. */
static void call_many(uint64_t targets, smp_call_fn_t fn, void *arg,
		      bool self_too, uint8_t vector)
{
	unsigned long flags = arch_irq_save();
	unsigned self = this_cpu()->id;
	uint64_t sent = 0; /* CPUs posted to (MAX_CPUS <= 64) */
	for (unsigned i = 0; i < MAX_CPUS; i++) {
		if (i == self || !(targets & (1ull << i)) || !is_online(i))
			continue;
		post(self, i, fn, arg, vector);
		sent |= 1ull << i;
	}
	if (self_too)
		fn(arg);
	for (unsigned i = 0; i < MAX_CPUS; i++)
		if (sent & (1ull << i))
			wait_done(self, i);
	arch_irq_restore(flags);
}

void smp_call_all(smp_call_fn_t fn, void *arg)
{
	call_many(~0ull, fn, arg, true, VEC_IPI_CALL);
}

void smp_call_others(smp_call_fn_t fn, void *arg)
{
	call_many(~0ull, fn, arg, false, VEC_IPI_CALL);
}

struct tlb_req {
	virt_addr_t va;
	size_t size;
	bool user;
};

static void tlb_call(void *arg)
{
	const struct tlb_req *r = arg;
	/* A lazy CPU holds a user space only for idle or kernel threads: it
	 * leaves it (a CR3 load) and is not asked again. */
	if (!r->user || !vm_space_leave_lazy())
		tlb_flush_space_local(r->user, r->va, r->size);
	struct cpu *c = this_cpu(); /* counters: this CPU writes its own */
	if (r->user)
		WRITE_ONCE(c->tlb_ipis_user, c->tlb_ipis_user + 1);
	else
		WRITE_ONCE(c->tlb_ipis_kernel, c->tlb_ipis_kernel + 1);
}

void smp_tlb_shootdown(uint64_t targets, bool user, virt_addr_t va, size_t size)
{
	struct tlb_req r = {va, size, user};
	call_many(targets, tlb_call, &r, false, VEC_IPI_TLB);
}

void arch_tlb_ipis(unsigned cpu, uint64_t *user, uint64_t *kernel)
{
	*user = cpu < MAX_CPUS ? READ_ONCE(cpus[cpu].tlb_ipis_user) : 0;
	*kernel = cpu < MAX_CPUS ? READ_ONCE(cpus[cpu].tlb_ipis_kernel) : 0;
}

/* Quiesced runs (smp_run_quiesced): the others spin in park() with
 * interrupts off, touching one cache line of RAM, until released. One at
 * a time (quiesce_lock); whoever waits for it keeps serving its mailbox,
 * so a CPU queueing for the lock still parks for the holder. */
struct quiesce {
	uint32_t arrived;
	uint32_t release;
};

static spinlock_t quiesce_lock = SPINLOCK_INIT;
static uint64_t quiesce_late; /* runs that went ahead without every CPU */
static uint64_t quiesce_runs;

/* A CPU parked from inside one of its own waits (wait_done, post) holds
 * the mailboxes it posted to: it gives them back as their calls finish,
 * or the parker could never post to those targets (review F1). */
static void park(void *arg)
{
	struct quiesce *q = arg;
	unsigned self = this_cpu()->id;
	__atomic_fetch_add(&q->arrived, 1, __ATOMIC_ACQ_REL);
	while (!__atomic_load_n(&q->release, __ATOMIC_ACQUIRE)) {
		uint64_t h = READ_ONCE(holds[self]);
		for (unsigned i = 0; h; i++, h >>= 1)
			if (h & 1)
				reap(self, i);
		cpu_pause();
	}
}

unsigned smp_run_quiesced(smp_call_fn_t fn, void *arg, uint64_t timeout_ns)
{
	unsigned long flags = arch_irq_save();
	unsigned self = this_cpu()->id;
	while (!spin_trylock(&quiesce_lock)) {
		serve(self);
		cpu_pause();
	}
	__atomic_fetch_add(&quiesce_runs, 1, __ATOMIC_RELAXED);
	struct quiesce q = {0, 0};
	uint64_t want = 0, sent = 0;
	unsigned n = 0;
	for (unsigned i = 0; i < MAX_CPUS; i++)
		if (i != self && is_online(i)) {
			want |= 1ull << i;
			n++;
		}
	/* The deadline covers posting too: a mailbox held by a CPU that
	 * cannot give it back in time is skipped (that CPU is late). */
	uint64_t end = clock_ns() + timeout_ns;
	for (;;) {
		for (unsigned i = 0; i < MAX_CPUS; i++)
			if ((want & ~sent & (1ull << i)) &&
			    try_post(self, i, park, &q, VEC_IPI_CALL))
				sent |= 1ull << i;
		if (sent == want || clock_ns() >= end)
			break;
		serve(self);
		cpu_pause();
	}
	while (__atomic_load_n(&q.arrived, __ATOMIC_ACQUIRE) < n &&
	       clock_ns() < end) {
		serve(self);
		cpu_pause();
	}
	unsigned parked = __atomic_load_n(&q.arrived, __ATOMIC_ACQUIRE);
	if (parked < n)
		__atomic_fetch_add(&quiesce_late, 1, __ATOMIC_RELAXED);
	fn(arg);
	__atomic_store_n(&q.release, 1, __ATOMIC_RELEASE);
	/* A late CPU still runs park() (returning at once): q lives until
	 * every call is done. */
	for (unsigned i = 0; i < MAX_CPUS; i++)
		if (sent & (1ull << i))
			wait_done(self, i);
	spin_unlock(&quiesce_lock);
	arch_irq_restore(flags);
	return parked;
}

uint64_t smp_quiesce_runs(void)
{
	return __atomic_load_n(&quiesce_runs, __ATOMIC_RELAXED);
}

uint64_t smp_quiesce_late(void)
{
	return __atomic_load_n(&quiesce_late, __ATOMIC_RELAXED);
}

static void call_irq(struct trap_frame *tf)
{
	(void)tf;
	serve(this_cpu()->id);
	lapic_eoi();
}

void ipi_init(void)
{
	irq_set_handler(VEC_IPI_CALL, call_irq);
	irq_set_handler(VEC_IPI_TLB, call_irq);
}
