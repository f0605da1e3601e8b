/* A hostile racer on 2 CPUs for the PCI calls (docs/devices.md "Kernel:
 * PCI and MSI"): this thread (CPU 0) makes MSI objects, points QEMU's
 * e1000e at each (when there is one) and fires it, and hands the handles
 * to a closer on CPU 1 through 8 mailbox slots; the closer acknowledges
 * and closes them while messages are still arriving, and both read
 * configuration space all along and derive and drop narrowed authorities.
 * Messages on vectors closed meanwhile end up as strays (counted). The
 * harness's leak check then wants every object, frame and thread back. */
#include <string.h>

#include "gtest.h"
#include "gutil.h"
#include "pci_util.h"

#define ROUNDS 3000
#define SLOTS  8
#define BIT    (1ull << 7)

static handle_t slot[SLOTS];
static int stop;
static long closer_err;

static handle_t pci_all(void)
{
	return execrt_handle(START_H_PCI);
}

/* Reads a few registers of random functions; an error other than the
 * expected ones is remembered. */
static long cfg_noise(uint32_t seed)
{
	uint32_t v;
	long r = sys_pci_cfg_read(pci_all(), seed & 0xff, (seed >> 8) & 0xfc, 4,
				  &v);
	if (r == 0) {
		handle_t one;
		r = sys_resource_derive(pci_all(), seed & 0xff, 1, RIGHT_READ,
					&one);
		if (r == 0) {
			r = sys_pci_cfg_read(one, seed & 0xff, 0, 2, &v);
			sys_handle_close(one);
		}
	}
	return r;
}

static int64_t closer(uint64_t arg)
{
	(void)arg;
	int64_t closed = 0;
	uint32_t seed = 12345;
	for (;;) {
		/* Read before the pass: a handle stored before stop was set
		 * is seen by this pass. */
		bool last = __atomic_load_n(&stop, __ATOMIC_ACQUIRE);
		bool any = false;
		for (int i = 0; i < SLOTS; i++) {
			handle_t h = __atomic_exchange_n(&slot[i], 0,
							 __ATOMIC_ACQ_REL);
			if (!h)
				continue;
			any = true;
			long a = sys_irq_ack(h);
			long c = sys_handle_close(h);
			if ((a && a != ERR_BAD_STATE) || c)
				closer_err = a ? a : c;
			closed++;
		}
		seed = seed * 1103515245 + 12345;
		long r = cfg_noise(seed);
		if (r && !closer_err)
			closer_err = r;
		if (!any && last)
			break;
	}
	return closed;
}

GTEST(pci_smp_race_msi_create_close_and_cfg)
{
	gtest_allow_growth(); /* the handle table may grow */
	if (g_ncpus() < 2) {
		printf("    one CPU: not run\n");
		return;
	}
	struct e1000e d = {0};
	bool nic =
		e1000e_open(&d, pci_all(), execrt_handle(START_H_IOPORT)) == 0;
	handle_t n;
	GCHECK_OK(sys_notif_create(&n));
	memset(slot, 0, sizeof(slot));
	stop = 0;
	closer_err = 0;
	struct kernel_stats s0, s1;
	GCHECK_OK(g_stats(&s0));
	struct gthread t;
	GCHECK_OK(gthread_start(&t, closer, 0));
	GCHECK_OK(sys_sched_affinity(g_sched(), t.h, 1ull << 1));
	long err = 0;
	unsigned made = 0, full = 0, fired = 0;
	uint32_t seed = 777;
	for (unsigned i = 0; i < ROUNDS && !err; i++) {
		struct irq_msi m;
		uint32_t bdf = nic ? d.bdf : i % 8;
		long r = sys_irq_create_msi(pci_all(), bdf, n, BIT, &m);
		if (r == ERR_NO_RESOURCES) { /* the closer is behind */
			full++;
			sys_yield();
			continue;
		}
		if ((err = r))
			break;
		made++;
		if (nic && (err = e1000e_msi(&d, &m)) == 0) {
			e1000e_clear(&d);
			err = e1000e_fire(&d);
			fired++;
		}
		/* Into a free slot; then a message at it in flight. */
		int k = (int)(i % SLOTS);
		while (__atomic_load_n(&slot[k], __ATOMIC_ACQUIRE))
			sys_yield();
		__atomic_store_n(&slot[k], m.irq, __ATOMIC_RELEASE);
		if (nic && !err) {
			e1000e_clear(&d);
			err = e1000e_fire(&d);
		}
		/* An ack racing the closer: a live handle, or one it has
		 * closed (ERR_BAD_HANDLE), or reused by now. */
		long a = sys_irq_ack(m.irq);
		if (a && a != ERR_BAD_HANDLE && a != ERR_BAD_STATE &&
		    a != ERR_WRONG_TYPE && !err)
			err = a;
		seed = seed * 1103515245 + 12345;
		long c = cfg_noise(seed);
		if (c && !err)
			err = c;
		uint64_t bits;
		sys_notif_wait(n, BIT, DEADLINE_POLL, &bits);
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	int64_t closed = -1;
	GCHECK_OK(gthread_join(&t, g_now() + 20000 * MS, &closed));
	if (nic)
		e1000e_close(&d);
	sys_handle_close(n);
	GCHECK_OK(g_stats(&s1));
	printf("    %u MSI objects made and closed across CPUs (%u times "
	       "all vectors busy), %u fired at an e1000e, %llu strays\n",
	       made, full, fired,
	       (unsigned long long)(s1.irq_stray - s0.irq_stray));
	GCHECK_OK(err);
	GCHECK_OK(closer_err);
	GCHECK_EQ(closed, made);
	GCHECK(made > ROUNDS / 2);
}
