/* In-kernel tests of PCI configuration access (pci_cfg.c): with an MCFG
 * (q35) the ECAM mapping must read what the port mechanism reads, for
 * every function of bus 0 at every width, and a write through one must
 * be seen through the other. */
#include <arch/cpu.h>
#include <arch/pci.h>
#include <arch/layout.h>
#include <arch/percpu.h>
#include <arch/smp.h>
#include <kern/acpi.h>
#include <kern/ktest.h>
#include <kern/pci.h>
#include <kern/arch.h>
#include <kern/sched.h>
#include <kern/thread.h>
#include <kern/time.h>

KTEST(pci_ecam_agrees_with_ports)
{
	KT_CHECK_EQ(pci_uses_ecam(), acpi.mcfg.valid);
	KT_CHECK_EQ(arch_pci_cfg_size(),
		    acpi.mcfg.valid ? PCI_CFG_ECAM_SIZE : PCI_CFG_PORTS_SIZE);
	/* QEMU's host bridge. */
	KT_CHECK_EQ(pci_port_read(0, 0, 2), 0x8086);
	unsigned found = 0;
	for (uint32_t bdf = 0; bdf < 256; bdf++) {
		uint32_t id = pci_port_read(bdf, 0, 4);
		KT_CHECK_EQ(arch_pci_cfg_read(bdf, 0, 4), id);
		if ((id & 0xffff) == 0xffff)
			continue;
		found++;
		for (uint32_t off = 0; off < 64; off += 4) {
			uint32_t v = pci_port_read(bdf, off, 4);
			KT_CHECK_EQ(arch_pci_cfg_read(bdf, off, 4), v);
			KT_CHECK_EQ(arch_pci_cfg_read(bdf, off + 2, 2),
				    v >> 16);
			KT_CHECK_EQ(arch_pci_cfg_read(bdf, off + 3, 1),
				    v >> 24);
			KT_CHECK_EQ(pci_port_read(bdf, off + 1, 1),
				    (v >> 8) & 0xff);
		}
	}
	KT_CHECK(found >= 4);
	kprintf("    %u functions on bus 0 read alike through %s and ports\n",
		found, pci_uses_ecam() ? "ECAM" : "ports (no MCFG)");
}

KTEST(pci_write_seen_through_both_mechanisms)
{
	/* The interrupt line of 00:01.0 (VGA on q35, the ISA bridge on
	 * pc): a scratch byte for software. */
	const uint32_t bdf = 1 << 3, line = 0x3c;
	KT_CHECK(pci_port_read(bdf, 0, 2) != 0xffff);
	uint32_t was = pci_port_read(bdf, line, 1);
	arch_pci_cfg_write(bdf, line, 1, 0xa5, true);
	uint32_t by_ports = pci_port_read(bdf, line, 1);
	pci_port_write(bdf, line, 1, 0x5a);
	uint32_t by_cfg = arch_pci_cfg_read(bdf, line, 1);
	pci_port_write(bdf, line, 1, was);
	KT_CHECK_EQ(by_ports, 0xa5);
	KT_CHECK_EQ(by_cfg, 0x5a);
	KT_CHECK_EQ(arch_pci_cfg_read(bdf, line, 1), was);
}

/* smp_run_quiesced, as configuration writes use it: the other CPUs are
 * parked while fn runs. */
struct quiesce_probe {
	unsigned cpu;	/* where fn ran */
	uint64_t at_ns; /* when */
};

static void probe_fn(void *arg)
{
	struct quiesce_probe *p = arg;
	p->cpu = this_cpu()->id;
	p->at_ns = clock_ns();
}

KTEST(pci_write_parks_the_other_cpus)
{
	unsigned n = ncpus_online;
	uint64_t late = smp_quiesce_late();
	struct quiesce_probe p = {~0u, 0};
	unsigned long f = arch_irq_save();
	unsigned me = this_cpu()->id;
	/* A generous timeout: an idle vCPU may wait for its host thread. */
	unsigned parked = smp_run_quiesced(probe_fn, &p, 2000000000ull);
	arch_irq_restore(f);
	KT_CHECK_EQ(p.cpu, me);
	KT_CHECK_EQ(parked, n - 1);
	KT_CHECK_EQ(smp_quiesce_late(), late);
	/* The real write path, on every CPU count. */
	const uint32_t bdf = 1 << 3, line = 0x3c;
	uint32_t was = pci_port_read(bdf, line, 1);
	arch_pci_cfg_write(bdf, line, 1, was ^ 0x0f, true);
	KT_CHECK_EQ(pci_port_read(bdf, line, 1), was ^ 0x0f);
	arch_pci_cfg_write(bdf, line, 1, was, true);
	KT_CHECK_EQ(pci_port_read(bdf, line, 1), was);
}

/* A CPU that keeps interrupts off cannot park: the run goes ahead after
 * the timeout (counted), not after that CPU. */
static volatile int deaf_state; /* 1 spinning, 2 done */
static uint64_t deaf_until;

static void deaf(void *arg)
{
	(void)arg;
	unsigned long f = arch_irq_save();
	__atomic_store_n(&deaf_state, 1, __ATOMIC_RELEASE);
	while (clock_ns() < deaf_until)
		cpu_pause();
	arch_irq_restore(f);
	__atomic_store_n(&deaf_state, 2, __ATOMIC_RELEASE);
}

KTEST(pci_write_goes_ahead_past_a_deaf_cpu)
{
	if (ncpus_online < 2) {
		kprintf("    one CPU: nothing to park\n");
		return;
	}
	unsigned other = this_cpu()->id == 0 ? 1 : 0;
	deaf_state = 0;
	deaf_until = clock_ns() + 200000000; /* 200 ms, interrupts off */
	struct sched_params sp = {
		.cls = SCHED_CLASS_RT, .priority = 80, .cpu = (int32_t)other};
	struct thread *t = thread_create_kernel(deaf, NULL, "deaf", &sp);
	KT_CHECK(t != NULL);
	thread_start_kernel(t);
	while (__atomic_load_n(&deaf_state, __ATOMIC_ACQUIRE) != 1)
		cpu_pause();
	uint64_t late = smp_quiesce_late(), t0 = clock_ns();
	struct quiesce_probe p = {~0u, 0};
	unsigned parked = smp_run_quiesced(probe_fn, &p, 5000000);
	uint64_t ran_after = p.at_ns - t0;
	int64_t st;
	KT_CHECK_EQ(thread_wait(t, DEADLINE_NONE, &st), 0);
	kobj_put(&t->obj);
	KT_CHECK_EQ(smp_quiesce_late(), late + 1);
	KT_CHECK(parked < ncpus_online - 1);
	/* fn ran at the timeout (5 ms), before the deaf CPU was done. */
	KT_CHECK(ran_after >= 5000000);
	KT_CHECK(p.at_ns < deaf_until);
	kprintf("    ran after %llu us with %u of %u others parked\n",
		(unsigned long long)(ran_after / 1000), parked,
		ncpus_online - 1);
}

/* Review F1: CPU a waits for its own call on CPU b (holding b's mailbox)
 * when this CPU quiesces. a parks from inside its wait; the parker must
 * still reach b: a gives b's mailbox back from park() once b's call is
 * done, and the posting loop has the deadline too. Before the fix this
 * hung on >= 3 CPUs. */
static volatile int slow_state; /* 1 b running the slow call, 2 a done */

static void slow_on_b(void *arg)
{
	(void)arg;
	__atomic_store_n(&slow_state, 1, __ATOMIC_RELEASE);
	uint64_t until = clock_ns() + 50000000; /* 50 ms, interrupts off */
	while (clock_ns() < until)
		cpu_pause();
}

static void call_b(void *arg)
{
	smp_call_on((unsigned)(uintptr_t)arg, slow_on_b, NULL);
	__atomic_store_n(&slow_state, 2, __ATOMIC_RELEASE);
}

static void other_cpus(unsigned *a, unsigned *b)
{
	unsigned me = this_cpu()->id, k = 0;
	for (unsigned i = 0; i < MAX_CPUS && k < 2; i++)
		if (i != me && cpus[i].online)
			*(k++ ? b : a) = i;
}

KTEST(pci_quiesce_while_a_cpu_waits_for_its_cross_call)
{
	if (ncpus_online < 3) {
		kprintf("    %u CPUs: needs 3 (tools/check.sh runs it on 4)\n",
			ncpus_online);
		return;
	}
	unsigned a = 0, b = 0;
	other_cpus(&a, &b);
	slow_state = 0;
	struct sched_params sp = {
		.cls = SCHED_CLASS_RT, .priority = 80, .cpu = (int32_t)a};
	struct thread *t = thread_create_kernel(call_b, (void *)(uintptr_t)b,
						"call-b", &sp);
	KT_CHECK(t != NULL);
	thread_start_kernel(t);
	while (__atomic_load_n(&slow_state, __ATOMIC_ACQUIRE) != 1)
		cpu_pause();
	uint64_t late = smp_quiesce_late(), t0 = clock_ns();
	struct quiesce_probe p = {~0u, 0};
	/* 2 s: b's call ends after 50 ms, a gives its mailbox back, and b
	 * parks too. */
	unsigned parked = smp_run_quiesced(probe_fn, &p, 2000000000ull);
	int64_t st;
	KT_CHECK_EQ(thread_wait(t, DEADLINE_NONE, &st), 0);
	kobj_put(&t->obj);
	KT_CHECK_EQ(slow_state, 2);
	KT_CHECK_EQ(parked, ncpus_online - 1);
	KT_CHECK_EQ(smp_quiesce_late(), late);
	kprintf("    all %u others parked after %llu us\n", parked,
		(unsigned long long)((p.at_ns - t0) / 1000));
	/* With a short deadline b is skipped (counted late), not waited for
	 * forever. */
	slow_state = 0;
	t = thread_create_kernel(call_b, (void *)(uintptr_t)b, "call-b", &sp);
	KT_CHECK(t != NULL);
	thread_start_kernel(t);
	while (__atomic_load_n(&slow_state, __ATOMIC_ACQUIRE) != 1)
		cpu_pause();
	parked = smp_run_quiesced(probe_fn, &p, 5000000);
	KT_CHECK_EQ(thread_wait(t, DEADLINE_NONE, &st), 0);
	kobj_put(&t->obj);
	KT_CHECK(parked < ncpus_online - 1);
	KT_CHECK_EQ(smp_quiesce_late(), late + 1);
}

/* Config writes on this CPU against TLB shootdowns between the others
 * for 300 ms: finishes (no deadlock), every write lands. */
static volatile int storm_stop;
static uint64_t storm_shootdowns;

static void shoot(void *arg)
{
	unsigned to = (unsigned)(uintptr_t)arg;
	while (!__atomic_load_n(&storm_stop, __ATOMIC_ACQUIRE)) {
		smp_tlb_shootdown(1ull << to, false, KERNEL_VMA, 4096);
		__atomic_fetch_add(&storm_shootdowns, 1, __ATOMIC_RELAXED);
	}
}

KTEST(pci_writes_race_tlb_shootdowns_on_other_cpus)
{
	if (ncpus_online < 3) {
		kprintf("    %u CPUs: needs 3 (tools/check.sh runs it on 4)\n",
			ncpus_online);
		return;
	}
	unsigned a = 0, b = 0;
	other_cpus(&a, &b);
	storm_stop = 0;
	storm_shootdowns = 0;
	struct thread *t[2];
	unsigned on[2] = {a, b};
	for (int i = 0; i < 2; i++) {
		struct sched_params sp = {.cls = SCHED_CLASS_RT,
					  .priority = 80,
					  .cpu = (int32_t)on[i]};
		t[i] = thread_create_kernel(shoot, (void *)(uintptr_t)on[1 - i],
					    "shoot", &sp);
		KT_CHECK(t[i] != NULL);
		thread_start_kernel(t[i]);
	}
	const uint32_t bdf = 1 << 3, line = 0x3c;
	uint32_t was = pci_port_read(bdf, line, 1);
	unsigned writes = 0;
	uint64_t end = clock_ns() + 300000000;
	while (clock_ns() < end) {
		uint32_t v = (was + writes + 1) & 0xff;
		arch_pci_cfg_write(bdf, line, 1, v, true);
		KT_CHECK_EQ(pci_port_read(bdf, line, 1), v);
		writes++;
	}
	__atomic_store_n(&storm_stop, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < 2; i++) {
		int64_t st;
		KT_CHECK_EQ(thread_wait(t[i], DEADLINE_NONE, &st), 0);
		kobj_put(&t[i]->obj);
	}
	arch_pci_cfg_write(bdf, line, 1, was, true);
	KT_CHECK(writes > 0);
	KT_CHECK(storm_shootdowns > 0);
	kprintf("    %u config writes during %llu shootdowns\n", writes,
		(unsigned long long)storm_shootdowns);
}

/* Review F7: only writes that may change decoding park the others. */
static uint32_t rd4(uint32_t bdf, uint32_t off)
{
	return arch_pci_cfg_read(bdf, off, 4);
}

static void write_as_syscall(uint32_t bdf, uint32_t off, unsigned w, uint32_t v)
{
	arch_pci_cfg_write(bdf, off, w, v,
			   pci_cfg_write_changes_decoding(rd4, bdf, off, w));
}

KTEST(pci_only_decoding_writes_park)
{
	const uint32_t bdf = 1 << 3;
	uint32_t line = arch_pci_cfg_read(bdf, 0x3c, 1);
	uint32_t cmd = arch_pci_cfg_read(bdf, 0x04, 2);
	uint64_t runs = smp_quiesce_runs();
	for (int i = 0; i < 100; i++)
		write_as_syscall(bdf, 0x3c, 1, line ^ (i & 1 ? 0x0f : 0));
	KT_CHECK_EQ(arch_pci_cfg_read(bdf, 0x3c, 1), line ^ 0x0f);
	write_as_syscall(bdf, 0x3c, 1, line);
	KT_CHECK_EQ(smp_quiesce_runs(), runs);
	write_as_syscall(bdf, 0x04, 2, cmd); /* command: parks */
	KT_CHECK_EQ(smp_quiesce_runs(),
		    runs + (ncpus_online > 1 && pci_park_enabled() ? 1 : 0));
}
