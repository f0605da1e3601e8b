/* Interrupt to driver thread (issue 14, point 7): the time from a device
 * raising an interrupt to the user-space thread that waits for it running,
 * for an MSI and for an IOAPIC line.
 *
 * The source is QEMU's e1000e (q35's default NIC; tests/guest/pci_util.h):
 * writing its Interrupt Cause Set register through the I/O BAR raises the
 * interrupt inside that port write, so the trigger is deterministic. With
 * its MSI capability programmed from SYS_IRQ_CREATE_MSI it sends an MSI;
 * with MSI off, its INTx pin, which the chipset routes to an IOAPIC input
 * (the GSI is found by trying: q35 routes PCI pins to GSIs 16-23); with
 * MSI-X on, entry 0 of its MSI-X table (its BAR, mapped uncached through
 * SYS_VMO_CREATE_PHYS), its "other" causes routed there. The
 * driver thread (RT 60) blocks in SYS_NOTIF_WAIT; this thread (BE, same
 * CPU) reads the TSC and then makes the port write that raises the
 * interrupt. Each figure is the TSC at the driver's return from the wait
 * minus that reading: so it includes one SYS_IOPORT_IO (entry, QEMU's
 * emulation of the write, exit up to the interrupt), printed alone as the
 * third line to subtract. The driver then reads ICR (the device lowers the
 * cause) and acknowledges (SYS_IRQ_ACK) before the next round. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <execrt/sys.h>

#include "../guest/gutil.h"
#include "../guest/pci_util.h"
#include "bench.h"

#define SAMPLES	      301
#define IRQ_BIT	      (1ull << 3)
#define SPACING_NS    (300 * 1000ull)
#define GSI_PCI_FIRST 16
#define GSI_PCI_LAST  23

static struct e1000e nic;
static handle_t notif, irq;
static volatile uint64_t t_fire;
static uint64_t lat[SAMPLES];
static unsigned drv_done;
static long drv_err;

static int64_t driver(uint64_t arg)
{
	(void)arg;
	for (unsigned i = 0; i < SAMPLES; i++) {
		uint64_t bits;
		long r = sys_notif_wait(notif, IRQ_BIT, g_now() + 1000 * MS,
					&bits);
		uint64_t t = bench_rdtsc();
		if (r) {
			drv_err = r;
			break;
		}
		lat[i] = t - t_fire;
		e1000e_clear(&nic);
		if ((r = sys_irq_ack(irq))) {
			drv_err = r;
			break;
		}
		__atomic_store_n(&drv_done, i + 1, __ATOMIC_RELEASE);
	}
	return 0;
}

static void print_line(const char *name, uint64_t *v, unsigned n)
{
	qsort(v, n, sizeof(v[0]), bench_cmp_u64);
	printf("bench: %-34s median %8llu  min %8llu  max %8llu cycles/op\n",
	       name, (unsigned long long)v[n / 2], (unsigned long long)v[0],
	       (unsigned long long)v[n - 1]);
}

/* SAMPLES interrupts through the current `irq`; the figure line. */
static void measure(const char *name)
{
	struct gthread t;
	struct sched_params rt = {
		.cls = SCHED_CLASS_RT, .priority = 60, .cpu = SCHED_CPU_KEEP};
	drv_done = 0;
	drv_err = 0;
	if (gthread_start_sched(&t, driver, 0, &rt)) {
		printf("bench: %s: no driver thread\n", name);
		return;
	}
	long err = 0;
	for (unsigned i = 0; i < SAMPLES && !err && !drv_err; i++) {
		/* The driver is blocked again (it runs first: RT). */
		while (__atomic_load_n(&drv_done, __ATOMIC_ACQUIRE) != i &&
		       !drv_err)
			sys_yield();
		/* QEMU's e1000e holds back an interrupt that comes less than
		 * 128 us (its minimum ITR: 500 x 256 ns) after the previous
		 * one: the rounds are spaced wider, so none waits for that. */
		sys_sleep_until(g_now() + SPACING_NS);
		/* The cause unmasked anew each time: QEMU's e1000e sends an
		 * MSI only for a cause it has not sent yet, and forgets the
		 * sent ones on a mask write, not on the ICR read. */
		err = e1000e_reg_write(&nic, E1000_IMS,
				       E1000_CAUSE_MDAC | E1000_ICR_OTHER);
		if (!err)
			err = sys_ioport_io(nic.io, nic.iobase, 4 | IOPORT_OUT,
					    E1000_ICS);
		t_fire = bench_rdtsc();
		if (!err)
			err = sys_ioport_io(nic.io, nic.iobase + 4,
					    4 | IOPORT_OUT, E1000_CAUSE_MDAC);
	}
	gthread_join(&t, g_now() + 2000 * MS, NULL);
	if (err || drv_err || drv_done != SAMPLES) {
		printf("bench: %s: failed (%ld, driver %ld, %u interrupts)\n",
		       name, err, drv_err, drv_done);
		return;
	}
	print_line(name, lat, SAMPLES);
}

/* The trigger alone: the same port write with nothing unmasked. */
static void port_write_line(void)
{
	uint64_t v[SAMPLES];
	e1000e_reg_write(&nic, E1000_IMC, 0xffffffffu);
	sys_ioport_io(nic.io, nic.iobase, 4 | IOPORT_OUT, E1000_ICS);
	for (unsigned i = 0; i < SAMPLES; i++) {
		uint64_t t0 = bench_rdtsc();
		sys_ioport_io(nic.io, nic.iobase + 4, 4 | IOPORT_OUT,
			      E1000_CAUSE_MDAC);
		v[i] = bench_rdtsc() - t0;
	}
	e1000e_clear(&nic);
	print_line("  (the trigger: one I/O-port write)", v, SAMPLES);
}

/* The GSI the e1000e's INTx reaches: an IRQ object on each candidate,
 * one interrupt, the bit that arrives. 0 when none did. */
static uint32_t find_gsi(void)
{
	handle_t h[GSI_PCI_LAST + 1] = {0};
	uint64_t bits = 0;
	sys_notif_wait(notif, ~0ull, DEADLINE_POLL, &bits); /* stale ones */
	handle_t auth = execrt_handle(START_H_IRQ);
	for (uint32_t g = GSI_PCI_FIRST; g <= GSI_PCI_LAST; g++)
		sys_irq_create(auth, g, notif, 1ull << g, &h[g]);
	uint32_t line = pci_rd(nic.pci, nic.bdf, PCI_INT_LINE, 1);
	if (line > 2 && line < GSI_PCI_FIRST) /* pc: the ISA IRQ */
		sys_irq_create(auth, line, notif, 1ull << line, &h[line]);
	e1000e_fire(&nic);
	bits = 0;
	sys_notif_wait(notif, 0xffffffull, g_now() + 100 * MS, &bits);
	sys_sleep_until(g_now() + 5 * MS); /* both routes, if two */
	uint64_t more = 0;
	sys_notif_wait(notif, 0xffffffull, DEADLINE_POLL, &more);
	bits |= more;
	e1000e_clear(&nic);
	e1000e_reg_write(&nic, E1000_IMC, 0xffffffffu);
	for (uint32_t g = 0; g <= GSI_PCI_LAST; g++)
		if (h[g])
			sys_handle_close(h[g]);
	/* q35 raises the pin on its PIRQ's GSI (16-23, what the ACPI _PRT
	 * names in APIC mode) and on the ISA IRQ SeaBIOS routed it to:
	 * the first is the one a driver is given. */
	uint64_t pci = bits >> GSI_PCI_FIRST & 0xff;
	if (pci)
		return GSI_PCI_FIRST + (uint32_t)__builtin_ctzll(pci);
	return bits ? (uint32_t)__builtin_ctzll(bits) : 0;
}

void irq_benches(void)
{
	pci_cfg_benches();
	if (e1000e_open(&nic, execrt_handle(START_H_PCI),
			execrt_handle(START_H_IOPORT))) {
		printf("bench: interrupt figures: no e1000e (q35's NIC)\n");
		return;
	}
	if (sys_notif_create(&notif))
		return;
	struct irq_msi m;
	if (sys_irq_create_msi(nic.pci, nic.bdf, notif, IRQ_BIT, &m) == 0) {
		irq = m.irq;
		if (e1000e_msi(&nic, &m) == 0)
			measure("MSI to driver thread (e1000e)");
		e1000e_msi(&nic, NULL);
		sys_handle_close(irq);
	}
	/* MSI-X: table entry 0, in the BAR, mapped uncached. */
	if (sys_irq_create_msi(nic.pci, nic.bdf, notif, IRQ_BIT, &m) == 0) {
		irq = m.irq;
		if (e1000e_msix(&nic, execrt_handle(START_H_MMIO), &m) == 0)
			measure("MSI-X to driver thread (e1000e)");
		e1000e_msix(&nic, 0, NULL);
		sys_handle_close(irq);
	}
	/* INTx: MSI off, the command register's INTx disable cleared. */
	uint32_t cmd = pci_rd(nic.pci, nic.bdf, PCI_COMMAND, 2);
	sys_pci_cfg_write(nic.pci, nic.bdf, PCI_COMMAND, 2,
			  cmd & ~PCI_CMD_INTX_OFF);
	uint32_t gsi = find_gsi();
	if (gsi && sys_irq_create(execrt_handle(START_H_IRQ), gsi, notif,
				  IRQ_BIT, &irq) == 0) {
		printf("bench: (e1000e INTx reaches IOAPIC GSI %u)\n", gsi);
		measure("IOAPIC line to driver thread");
		sys_handle_close(irq);
	} else {
		printf("bench: IOAPIC line to driver thread: INTx not seen\n");
	}
	port_write_line();
	e1000e_close(&nic);
	sys_handle_close(notif);
}

/* Configuration access costs: a read, and a write, which with more than
 * one CPU parks the others around it (kernel/arch/x86_64/pci_cfg.c: the
 * QEMU 7.2 TCG workaround). The register is 00:01.0's interrupt line (a
 * scratch byte), written with its own value. */
void pci_cfg_benches(void)
{
	enum { N = 101 };
	uint64_t rd[N], wr[N];
	handle_t pci = execrt_handle(START_H_PCI);
	const uint32_t bdf = PCI_BDF(0, 1, 0);
	uint32_t v = 0;
	if (sys_pci_cfg_read(pci, bdf, PCI_INT_LINE, 1, &v))
		return;
	for (unsigned i = 0; i < N; i++) {
		uint64_t t0 = bench_rdtsc();
		sys_pci_cfg_read(pci, bdf, PCI_INT_LINE, 1, &v);
		uint64_t t1 = bench_rdtsc();
		sys_pci_cfg_write(pci, bdf, PCI_INT_LINE, 1, v);
		wr[i] = bench_rdtsc() - t1;
		rd[i] = t1 - t0;
	}
	char name[48];
	print_line("PCI config read (1 byte)", rd, N);
	snprintf(name, sizeof(name), "PCI config write, %u CPU%s", g_ncpus(),
		 g_ncpus() > 1 ? "s parked" : "");
	print_line(name, wr, N);
}
