/* In-kernel SMP tests (meant for -smp 2 or more): start-up, per-CPU data,
 * cross-calls, lock contention, the AP's timer and TLB shootdown. */
#include <arch/cpu.h>
#include <arch/lapic.h>
#include <arch/layout.h>
#include <arch/paging.h>
#include <arch/percpu.h>
#include <arch/smp.h>
#include <kern/acpi.h>
#include <kern/ktest.h>
#include <kern/lib.h>
#include <kern/mm.h>
#include <kern/pmm.h>
#include <kern/spinlock.h>
#include <kern/time.h>

static unsigned online(void)
{
	return __atomic_load_n(&ncpus_online, __ATOMIC_ACQUIRE);
}

KTEST(smp_all_madt_cpus_online)
{
	unsigned enabled = 0;
	for (size_t i = 0; i < acpi.ncpus; i++)
		enabled += acpi.cpus[i].enabled;
	KT_CHECK(enabled >= 2); /* the suite runs with -smp 2 */
	KT_CHECK_EQ(online(), enabled);
	KT_CHECK_EQ(smp_ncpus_possible(), enabled);
	for (unsigned i = 0; i < enabled; i++)
		KT_CHECK(cpus[i].online);
	KT_CHECK(!cpus[enabled].online);
	KT_CHECK_EQ(this_cpu()->id, 0);
	KT_CHECK_EQ(cpus[0].apic_id, lapic_id());
}

struct whoami {
	unsigned id;
	uint32_t apic_id;
	struct cpu *self;
	uint64_t gs_base;
	bool irqs_off;
};

static void record_whoami(void *arg)
{
	struct whoami *w = arg;
	w->id = this_cpu()->id;
	w->self = this_cpu();
	w->gs_base = rdmsr(MSR_GS_BASE);
	w->apic_id = lapic_id();
	w->irqs_off = !(read_rflags() & RFLAGS_IF);
}

KTEST(smp_percpu_data_is_distinct)
{
	unsigned n = online();
	for (unsigned i = 0; i < n; i++) {
		struct whoami w = {~0u, ~0u, NULL, 0, false};
		KT_CHECK_EQ(smp_call_on(i, record_whoami, &w), 0);
		KT_CHECK_EQ(w.id, i);
		KT_CHECK(w.self == &cpus[i]);
		KT_CHECK_EQ(w.gs_base, (uintptr_t)&cpus[i]);
		KT_CHECK_EQ(w.apic_id, cpus[i].apic_id);
		KT_CHECK(w.irqs_off);
		for (unsigned j = 0; j < i; j++)
			KT_CHECK(cpus[j].apic_id != w.apic_id);
	}
	KT_CHECK_EQ(smp_call_on(n, record_whoami, NULL), -1);
	KT_CHECK_EQ(smp_call_on(MAX_CPUS + 5, record_whoami, NULL), -1);
}

static void count_call(void *arg)
{
	__atomic_fetch_add((uint64_t *)arg, 1, __ATOMIC_RELAXED);
}

#define ROUND_TRIPS 1000

KTEST(smp_cross_call_round_trips)
{
	static uint64_t cycles[ROUND_TRIPS];
	uint64_t count = 0;
	for (unsigned i = 0; i < ROUND_TRIPS; i++) {
		uint64_t t0 = rdtsc();
		KT_CHECK_EQ(smp_call_on(1, count_call, &count), 0);
		cycles[i] = rdtsc() - t0;
		/* Complete on return: no call may still be in flight. */
		KT_CHECK_EQ(__atomic_load_n(&count, __ATOMIC_RELAXED), i + 1);
	}
	sort_u64(cycles, ROUND_TRIPS);
	kprintf("    cross-call round trip: median %llu, p99 %llu, max %llu "
		"TSC cycles\n",
		(unsigned long long)cycles[ROUND_TRIPS / 2],
		(unsigned long long)cycles[ROUND_TRIPS * 99 / 100],
		(unsigned long long)cycles[ROUND_TRIPS - 1]);
}

static void set_my_bit(void *arg)
{
	__atomic_fetch_or((uint64_t *)arg, 1ull << this_cpu()->id,
			  __ATOMIC_RELAXED);
}

KTEST(smp_call_all_runs_once_everywhere)
{
	unsigned n = online();
	uint64_t all = n >= 64 ? ~0ull : (1ull << n) - 1;
	for (int round = 0; round < 100; round++) {
		uint64_t mask = 0;
		smp_call_all(set_my_bit, &mask);
		KT_CHECK_EQ(mask, all);
		mask = 0;
		smp_call_others(set_my_bit, &mask);
		KT_CHECK_EQ(mask, all & ~1ull);
	}
}

/* The AP's LAPIC timer, armed on the AP, fires there. */
static struct {
	uint64_t deadline, fired_at;
	unsigned fired_on;
	uint32_t fired;
} ap_tmr;

static void ap_timer_fn(void)
{
	ap_tmr.fired_at = clock_ns();
	ap_tmr.fired_on = this_cpu()->id;
	__atomic_store_n(&ap_tmr.fired, 1, __ATOMIC_RELEASE);
}

static void arm_ap_timer(void *arg)
{
	(void)arg;
	ap_tmr.deadline = clock_ns() + 2000000; /* 2 ms */
	timer_arm(ap_tmr.deadline, ap_timer_fn);
}

static bool wait_flag(uint32_t *flag, uint64_t timeout_ns)
{
	uint64_t end = clock_ns() + timeout_ns;
	while (!__atomic_load_n(flag, __ATOMIC_ACQUIRE))
		if (clock_ns() > end)
			return false;
	return true;
}

KTEST(smp_ap_lapic_timer_fires_on_the_ap)
{
	unsigned last = online() - 1;
	uint64_t irqs =
		__atomic_load_n(&cpus[last].timer_irqs, __ATOMIC_RELAXED);
	ap_tmr.fired = 0;
	KT_CHECK_EQ(smp_call_on(last, arm_ap_timer, NULL), 0);
	KT_CHECK(wait_flag(&ap_tmr.fired, 500000000));
	KT_CHECK_EQ(ap_tmr.fired_on, last);
	KT_CHECK(ap_tmr.fired_at >= ap_tmr.deadline);
	KT_CHECK(__atomic_load_n(&cpus[last].timer_irqs, __ATOMIC_RELAXED) >
		 irqs);
}

/* Calls in both directions at once: CPU 0 keeps calling the AP while a
 * timer handler on the AP keeps calling CPU 0. Neither may deadlock. */
#define CROSS_ROUNDS 20
#define CROSS_CALLS  5
static struct {
	uint64_t to_bsp, to_ap;
	uint32_t rounds, done;
} cross;

static void ap_cross_fn(void)
{
	for (int i = 0; i < CROSS_CALLS; i++)
		smp_call_on(0, count_call, &cross.to_bsp);
	if (++cross.rounds < CROSS_ROUNDS)
		timer_arm(clock_ns() + 20000, ap_cross_fn);
	else
		__atomic_store_n(&cross.done, 1, __ATOMIC_RELEASE);
}

static void arm_cross(void *arg)
{
	(void)arg;
	timer_arm(clock_ns(), ap_cross_fn);
}

KTEST(smp_crossing_calls_do_not_deadlock)
{
	cross.to_bsp = cross.to_ap = cross.rounds = cross.done = 0;
	KT_CHECK_EQ(smp_call_on(1, arm_cross, NULL), 0);
	/* Generous: under TCG on few host cores both vCPUs spin, and
	 * QEMU's own thread (LAPIC timers, IPIs) gets little time. */
	uint64_t end = clock_ns() + 30000000000ull;
	while (!__atomic_load_n(&cross.done, __ATOMIC_ACQUIRE) &&
	       clock_ns() < end)
		smp_call_on(1, count_call, &cross.to_ap);
	if (!cross.done)
		kprintf("    stuck: round %u, %llu calls to CPU 0, %llu to the "
			"AP, "
			"AP timer armed: %d\n",
			cross.rounds, (unsigned long long)cross.to_bsp,
			(unsigned long long)cross.to_ap,
			cpus[1].timer_fn != NULL);
	KT_CHECK(cross.done);
	KT_CHECK_EQ(cross.to_bsp, CROSS_ROUNDS * CROSS_CALLS);
	KT_CHECK(cross.to_ap > 0);
	kprintf("    %llu calls to the AP while it made %u to CPU 0\n",
		(unsigned long long)cross.to_ap, CROSS_ROUNDS * CROSS_CALLS);
}

KTEST(smp_spin_lock_irqsave_restores_state)
{
	spinlock_t l = SPINLOCK_INIT;
	unsigned long outer = arch_irq_save(); /* off */
	unsigned long f = spin_lock_irqsave(&l);
	KT_CHECK(!(f & RFLAGS_IF));
	KT_CHECK(spin_is_locked(&l));
	spin_unlock_irqrestore(&l, f);
	KT_CHECK(!(read_rflags() & RFLAGS_IF)); /* still off */
	arch_irq_restore(outer);

	irq_enable();
	f = spin_lock_irqsave(&l);
	KT_CHECK(f & RFLAGS_IF);
	KT_CHECK(!(read_rflags() & RFLAGS_IF)); /* off while held */
	spin_unlock_irqrestore(&l, f);
	KT_CHECK(read_rflags() & RFLAGS_IF);
	KT_CHECK(!spin_is_locked(&l));
	arch_irq_restore(outer);
}

/* Each CPU takes the lock up to LOCK_ITERS times or until the deadline:
 * with more vCPUs than host cores a fair (ticket) lock hands over only as
 * fast as the host schedules the next waiter, so a fixed count could take
 * minutes. Exactness is checked against what each CPU counted itself. */
#define LOCK_ITERS   100000
#define LOCK_MIN     256 /* each CPU at least this many */
#define LOCK_TIME_NS 300000000ull

struct contention {
	spinlock_t lock;
	uint64_t counter; /* updated non-atomically, under the lock */
	uint64_t mine[MAX_CPUS];
	uint32_t arrived;
	unsigned ncpus;
};

static void hammer(void *arg)
{
	struct contention *c = arg;
	uint64_t n = 0;
	/* Start together so the loops really overlap. */
	__atomic_fetch_add(&c->arrived, 1, __ATOMIC_ACQ_REL);
	while (__atomic_load_n(&c->arrived, __ATOMIC_ACQUIRE) < c->ncpus)
		cpu_pause();
	uint64_t end = clock_ns() + LOCK_TIME_NS;
	for (; n < LOCK_ITERS; n++) {
		if (n >= LOCK_MIN && !(n & 15) && clock_ns() > end)
			break;
		unsigned long f = spin_lock_irqsave(&c->lock);
		uint64_t v = READ_ONCE(c->counter);
		cpu_pause(); /* widen the window a lost update would need */
		WRITE_ONCE(c->counter, v + 1);
		spin_unlock_irqrestore(&c->lock, f);
	}
	c->mine[this_cpu()->id] = n;
}

KTEST(smp_spinlock_contention_is_exact)
{
	static struct contention c;
	memset(&c, 0, sizeof(c));
	c.ncpus = online();
	smp_call_all(hammer, &c);
	uint64_t sum = 0;
	for (unsigned i = 0; i < c.ncpus; i++) {
		KT_CHECK(c.mine[i] >= LOCK_MIN);
		sum += c.mine[i];
	}
	KT_CHECK_EQ(c.counter, sum);
	KT_CHECK(!spin_is_locked(&c.lock));
	kprintf("    %llu lock round trips on %u CPUs (cpu0 %llu, cpu1 %llu)\n",
		(unsigned long long)sum, c.ncpus, (unsigned long long)c.mine[0],
		(unsigned long long)c.mine[1]);
}

KTEST(smp_trampoline_identity_page_is_unmapped_after_startup)
{
	phys_addr_t pa;
	unsigned fl;
	KT_CHECK(!vm_translate(&kernel_space, AP_TRAMPOLINE_PA, &pa, &fl));
}

/* TLB shootdown: the AP caches a translation, the boot CPU points the page
 * at another frame, and after the shootdown the AP must see the new frame. */
#define TLB_VA 0xffffd00100000000ull /* kernel half, unused */
#define PAT_A  0xaaaaaaaa11111111ull
#define PAT_B  0xbbbbbbbb22222222ull

struct tlb_probe {
	uint64_t value;
	unsigned on;
};

static void read_tlb_va(void *arg)
{
	struct tlb_probe *p = arg;
	p->value = *(volatile uint64_t *)TLB_VA;
	p->on = this_cpu()->id;
}

static uint64_t ap_reads(void)
{
	struct tlb_probe p = {0, ~0u};
	smp_call_on(1, read_tlb_va, &p);
	return p.on == 1 ? p.value : 0;
}

/* Repoint TLB_VA at frame pa; with remote=false the vm code's shootdown
 * hook is switched off for the change. Returns 0 or a vm error. */
static int remap(phys_addr_t pa, bool remote)
{
	void (*hook)(uint64_t, bool, virt_addr_t, size_t) = tlb_remote_flush;
	if (!remote)
		tlb_remote_flush = NULL;
	int e = vm_unmap(&kernel_space, TLB_VA, PAGE_SIZE);
	if (!e)
		e = vm_map(&kernel_space, TLB_VA, pa, PAGE_SIZE,
			   VM_READ | VM_WRITE, false);
	tlb_remote_flush = hook;
	return e;
}

KTEST(smp_tlb_shootdown_makes_the_ap_see_the_new_frame)
{
	phys_addr_t fa = pmm_alloc(), fb = pmm_alloc();
	KT_CHECK(fa && fb);
	*(uint64_t *)phys_to_virt(fa) = PAT_A;
	*(uint64_t *)phys_to_virt(fb) = PAT_B;
	KT_CHECK(tlb_remote_flush == smp_tlb_shootdown);

	int e0 = vm_map(&kernel_space, TLB_VA, fa, PAGE_SIZE,
			VM_READ | VM_WRITE, false);
	uint64_t first = ap_reads(); /* the AP's TLB now holds TLB_VA -> fa */

	/* No remote flush: the AP may still see fa (not asserted: a TLB
	 * may drop entries at any time). Then the explicit shootdown. */
	int e1 = remap(fb, false);
	uint64_t unflushed = ap_reads();
	smp_tlb_shootdown(~0ull, false, TLB_VA, PAGE_SIZE);
	uint64_t after_invlpg = ap_reads();

	/* Through vm_unmap's own shootdown (the hook). */
	int e2 = remap(fa, true);
	uint64_t after_hook = ap_reads();

	/* A large range takes the full-flush path. */
	int e3 = remap(fb, false);
	(void)ap_reads();
	smp_tlb_shootdown(~0ull, false, TLB_VA, GiB(1));
	uint64_t after_full = ap_reads();

	int e4 = vm_unmap(&kernel_space, TLB_VA, PAGE_SIZE);
	pmm_free(fa);
	pmm_free(fb);
	kprintf("    without a shootdown the AP read the %s frame\n",
		unflushed == PAT_A ? "stale" : "new");
	KT_CHECK_EQ(e0, 0);
	KT_CHECK_EQ(e1, 0);
	KT_CHECK_EQ(e2, 0);
	KT_CHECK_EQ(e3, 0);
	KT_CHECK_EQ(e4, 0);
	KT_CHECK_EQ(first, PAT_A);
	KT_CHECK_EQ(after_invlpg, PAT_B);
	KT_CHECK_EQ(after_hook, PAT_A);
	KT_CHECK_EQ(after_full, PAT_B);
}
