/* PCI configuration access (SYS_PCI_CFG_READ/WRITE, docs/devices.md
 * "Kernel: PCI and MSI"): the suite, as the root task, holds RES_PCI for
 * every function (START_H_PCI). It walks QEMU's bus 0, narrows the
 * authority to one function and checks that the narrowed handle reaches
 * nothing else, that BAR writes need MANAGE while the command register
 * does not, and every argument check. Runs on q35 (ECAM) and pc (ports);
 * the host bridge's device id tells which machine this is. */
#include <stdbool.h>

#include "gtest.h"
#include "gutil.h"
#include "pci_util.h"

#define Q35_HOST 0x29c08086u /* Intel 82G33 (ICH9 MCH): ECAM expected */
#define PC_HOST	 0x12378086u /* Intel 440FX: ports expected */

static handle_t pci_all(void)
{
	return execrt_handle(START_H_PCI);
}

GTEST(pci_enumerate_bus0)
{
	handle_t pci = pci_all();
	struct handle_info hi;
	GCHECK_OK(sys_handle_info(pci, &hi));
	GCHECK_EQ(hi.type, OBJ_RESOURCE);
	GCHECK_EQ(hi.rights, RIGHTS_DEVICE_AUTH);
	unsigned nfn = 0, bridges = 0, nics = 0;
	for (uint32_t dev = 0; dev < 32; dev++) {
		for (uint32_t fn = 0; fn < 8; fn++) {
			uint32_t bdf = PCI_BDF(0, dev, fn), id = 0, cls = 0;
			GCHECK_OK(sys_pci_cfg_read(pci, bdf, 0, 4, &id));
			if ((id & 0xffff) == 0xffff) {
				if (fn == 0)
					break; /* no device in the slot */
				continue;
			}
			GCHECK_OK(sys_pci_cfg_read(pci, bdf, PCI_CLASS_REV, 4,
						   &cls));
			uint32_t hdr = pci_rd(pci, bdf, PCI_HEADER, 1);
			printf("    00:%02x.%u %04x:%04x class %06x header "
			       "%#x\n",
			       dev, fn, id & 0xffff, id >> 16, cls >> 8, hdr);
			nfn++;
			bridges += cls >> 8 == 0x060000;
			nics += cls >> 24 == 0x02;
			if (fn == 0 && !(hdr & 0x80))
				break; /* single-function device */
		}
	}
	/* The host bridge is QEMU's Intel one, at 00:00.0. */
	uint32_t host = pci_rd(pci, 0, PCI_VENDOR, 4);
	GCHECK_EQ(host & 0xffff, 0x8086);
	GCHECK(host == Q35_HOST || host == PC_HOST);
	GCHECK_EQ(pci_rd(pci, 0, PCI_CLASS_REV + 2, 2), 0x0600);
	GCHECK_EQ(bridges, 1);
	GCHECK(nics >= 1); /* QEMU's default NIC */
	GCHECK(nfn >= 4);  /* host, ISA bridge, VGA, NIC at least */
	/* A 16-bit read is the low half of the 32-bit one. */
	GCHECK_EQ(pci_rd(pci, 0, 0, 2), host & 0xffff);
	GCHECK_EQ(pci_rd(pci, 0, 2, 2), host >> 16);
	GCHECK_EQ(pci_rd(pci, 0, 1, 1), (host >> 8) & 0xff);
}

/* The first absent function on bus 0 (a device number nobody uses). */
static uint32_t absent_bdf(handle_t pci)
{
	for (uint32_t dev = 31; dev > 0; dev--)
		if (pci_rd(pci, PCI_BDF(0, dev, 0), 0, 2) == 0xffff)
			return PCI_BDF(0, dev, 0);
	return 0;
}

GTEST(pci_absent_function_reads_all_ones)
{
	handle_t pci = pci_all();
	uint32_t bdf = absent_bdf(pci), v = 0;
	GCHECK(bdf != 0);
	GCHECK_OK(sys_pci_cfg_read(pci, bdf, 0, 4, &v));
	GCHECK_EQ(v, 0xffffffffu);
	GCHECK_OK(sys_pci_cfg_read(pci, bdf, 2, 2, &v));
	GCHECK_EQ(v, 0xffff);
	GCHECK_OK(sys_pci_cfg_read(pci, bdf, 0x3d, 1, &v));
	GCHECK_EQ(v, 0xff);
	/* A bus nothing sits on. */
	GCHECK_OK(sys_pci_cfg_read(pci, PCI_BDF(0x80, 0, 0), 0, 4, &v));
	GCHECK_EQ(v, 0xffffffffu);
	GCHECK_OK(sys_pci_cfg_read(pci, 0xffff, 0, 4, &v));
	GCHECK_EQ(v, 0xffffffffu);
	/* Writes to it go nowhere and are allowed (no BAR involved). */
	GCHECK_OK(sys_pci_cfg_write(pci, bdf, PCI_COMMAND, 2, 0));
}

GTEST(pci_narrowed_handle_reaches_only_its_function)
{
	handle_t pci = pci_all(), one = 0, two = 0;
	long nic = pci_find(pci, 0x8086, 0x10d3); /* e1000e (q35) */
	if (nic < 0)
		nic = pci_find(pci, 0x8086, 0x100e); /* e1000 (pc) */
	GCHECK(nic > 0);
	uint32_t bdf = (uint32_t)nic, v = 0, mine = pci_rd(pci, bdf, 0, 4);
	GCHECK_OK(sys_resource_derive(
		pci, bdf, 1, RIGHT_READ | RIGHT_WRITE | RIGHT_DUPLICATE, &one));
	long own = sys_pci_cfg_read(one, bdf, 0, 4, &v);
	long host = sys_pci_cfg_read(one, 0, 0, 4, &v);
	long next = sys_pci_cfg_read(one, bdf + 1, 0, 4, &v);
	long prev = sys_pci_cfg_read(one, bdf - 1, 0, 4, &v);
	long w_host = sys_pci_cfg_write(one, 0, PCI_COMMAND, 2, 0);
	/* Nor can it widen itself: deriving is inside its range only. */
	long wider = sys_resource_derive(one, bdf, 2, RIGHT_SAME, &two);
	long other = sys_resource_derive(one, 0, 1, RIGHT_SAME, &two);
	/* Nor make MSI objects for another function. */
	handle_t n;
	GCHECK_OK(sys_notif_create(&n));
	struct irq_msi msg;
	long m_host = sys_irq_create_msi(one, 0, n, 1, &msg);
	sys_handle_close(n);
	uint32_t own_v = 0;
	sys_pci_cfg_read(one, bdf, 0, 4, &own_v);
	GCHECK_OK(sys_handle_close(one));
	GCHECK_OK(own);
	GCHECK_EQ(own_v, mine);
	GCHECK_ERR(host, ERR_ACCESS_DENIED);
	GCHECK_ERR(next, ERR_ACCESS_DENIED);
	GCHECK_ERR(prev, ERR_ACCESS_DENIED);
	GCHECK_ERR(w_host, ERR_ACCESS_DENIED);
	GCHECK_ERR(wider, ERR_OUT_OF_RANGE);
	GCHECK_ERR(other, ERR_OUT_OF_RANGE);
	GCHECK_ERR(m_host, ERR_ACCESS_DENIED);
	/* A range of functions: a whole device's eight. */
	GCHECK_OK(sys_resource_derive(pci, bdf & ~7u, 8, RIGHT_READ, &two));
	long in = sys_pci_cfg_read(two, bdf, 0, 4, &v);
	long out = sys_pci_cfg_read(two, (bdf & ~7u) + 8, 0, 4, &v);
	long w = sys_pci_cfg_write(two, bdf, PCI_INT_LINE, 1, 0);
	GCHECK_OK(sys_handle_close(two));
	GCHECK_OK(in);
	GCHECK_ERR(out, ERR_ACCESS_DENIED);
	GCHECK_ERR(w, ERR_ACCESS_DENIED); /* READ only */
}

/* Restores a register after the test changed it. */
static void put(handle_t pci, uint32_t bdf, uint32_t off, uint32_t w,
		uint32_t v)
{
	sys_pci_cfg_write(pci, bdf, off, w, v);
}

GTEST(pci_bar_writes_need_manage)
{
	handle_t pci = pci_all(), drv = 0;
	long nic = pci_find(pci, 0x8086, 0x10d3);
	if (nic < 0)
		nic = pci_find(pci, 0x8086, 0x100e);
	GCHECK(nic > 0);
	uint32_t bdf = (uint32_t)nic;
	uint32_t bar0 = pci_rd(pci, bdf, PCI_BAR0, 4);
	uint32_t cmd = pci_rd(pci, bdf, PCI_COMMAND, 2);
	uint32_t line = pci_rd(pci, bdf, PCI_INT_LINE, 1);
	uint32_t rom = pci_rd(pci, bdf, 0x30, 4);
	GCHECK(bar0 != 0 && !(bar0 & 1)); /* a memory BAR, assigned */
	/* What a driver gets: its function, no MANAGE. */
	GCHECK_OK(sys_resource_derive(pci, bdf, 1,
				      RIGHT_READ | RIGHT_WRITE |
					      RIGHT_TRANSFER | RIGHT_DUPLICATE,
				      &drv));
	long b_same = sys_pci_cfg_write(drv, bdf, PCI_BAR0, 4, bar0);
	long b_ram = sys_pci_cfg_write(drv, bdf, PCI_BAR0, 4, 0x100000);
	long b_byte = sys_pci_cfg_write(drv, bdf, PCI_BAR0 + 3, 1, 0);
	long b_last = sys_pci_cfg_write(drv, bdf, 0x24, 4, 0);
	long b_span = sys_pci_cfg_write(drv, bdf, 0x0e, 2, 0); /* 0x0e-0x0f */
	long r_rom = sys_pci_cfg_write(drv, bdf, 0x30, 4, rom);
	long c_cmd = sys_pci_cfg_write(drv, bdf, PCI_COMMAND, 2, cmd);
	long c_line = sys_pci_cfg_write(drv, bdf, PCI_INT_LINE, 1, 0x5a);
	uint32_t line_now = pci_rd(pci, bdf, PCI_INT_LINE, 1);
	long c_sub = sys_pci_cfg_write(drv, bdf, 0x2c, 4, 0); /* RO ids */
	uint32_t bar_now = pci_rd(pci, bdf, PCI_BAR0, 4);
	put(pci, bdf, PCI_INT_LINE, 1, line);
	GCHECK_OK(sys_handle_close(drv));
	GCHECK_ERR(b_same, ERR_ACCESS_DENIED);
	GCHECK_ERR(b_ram, ERR_ACCESS_DENIED);
	GCHECK_ERR(b_byte, ERR_ACCESS_DENIED);
	GCHECK_ERR(b_last, ERR_ACCESS_DENIED);
	GCHECK_OK(b_span); /* BIST/header type: not a BAR */
	GCHECK_ERR(r_rom, ERR_ACCESS_DENIED);
	GCHECK_OK(c_cmd);
	GCHECK_OK(c_line);
	GCHECK_EQ(line_now, 0x5a); /* the write reached the device */
	GCHECK_OK(c_sub);
	GCHECK_EQ(bar_now, bar0); /* the BAR never moved */
	/* With MANAGE (iod's handle): BAR sizing, decoding off meanwhile. */
	GCHECK_OK(sys_pci_cfg_write(pci, bdf, PCI_COMMAND, 2,
				    cmd & ~(PCI_CMD_IO | PCI_CMD_MEM)));
	long s1 = sys_pci_cfg_write(pci, bdf, PCI_BAR0, 4, 0xffffffffu);
	uint32_t size_mask = pci_rd(pci, bdf, PCI_BAR0, 4);
	long s2 = sys_pci_cfg_write(pci, bdf, PCI_BAR0, 4, bar0);
	put(pci, bdf, PCI_COMMAND, 2, cmd);
	GCHECK_OK(s1);
	GCHECK_OK(s2);
	uint32_t size = ~(size_mask & ~0xfu) + 1;
	printf("    %02x:%02x.%u BAR0 %#x, %u KiB\n", PCI_BDF_BUS(bdf),
	       PCI_BDF_DEV(bdf), PCI_BDF_FN(bdf), bar0 & ~0xfu, size >> 10);
	GCHECK(size >= 4096 && (size & (size - 1)) == 0);
	GCHECK_EQ(pci_rd(pci, bdf, PCI_BAR0, 4), bar0);
	GCHECK_EQ(pci_rd(pci, bdf, PCI_COMMAND, 2), cmd);
}

GTEST(pci_cfg_argument_checks)
{
	handle_t pci = pci_all();
	uint32_t host = pci_rd(pci, 0, 0, 4), v = 0;
	bool ecam = host == Q35_HOST;
	GCHECK(ecam || host == PC_HOST);
	/* Widths and alignment. */
	GCHECK_ERR(sys_pci_cfg_read(pci, 0, 0, 0, &v), ERR_INVALID_ARGS);
	GCHECK_ERR(sys_pci_cfg_read(pci, 0, 0, 3, &v), ERR_INVALID_ARGS);
	GCHECK_ERR(sys_pci_cfg_read(pci, 0, 0, 8, &v), ERR_INVALID_ARGS);
	GCHECK_ERR(sys_pci_cfg_read(pci, 0, 2, 4, &v), ERR_INVALID_ARGS);
	GCHECK_ERR(sys_pci_cfg_read(pci, 0, 1, 2, &v), ERR_INVALID_ARGS);
	GCHECK_ERR(sys_pci_cfg_write(pci, 0, 0x3d, 2, 0), ERR_INVALID_ARGS);
	GCHECK_ERR(sys_pci_cfg_write(pci, 0, 0x3c, 5, 0), ERR_INVALID_ARGS);
	/* Offsets: 4096 with ECAM, 256 with ports. */
	long ext = sys_pci_cfg_read(pci, 0, 0x100, 4, &v);
	GCHECK_ERR(ext, ecam ? 0 : ERR_OUT_OF_RANGE);
	GCHECK_ERR(sys_pci_cfg_read(pci, 0, 0xffc, 4, &v),
		   ecam ? 0 : ERR_OUT_OF_RANGE);
	GCHECK_ERR(sys_pci_cfg_read(pci, 0, 0x1000, 4, &v), ERR_OUT_OF_RANGE);
	GCHECK_ERR(EXECRT_SC(SYS_PCI_CFG_READ, pci, 0, 1ull << 40, 4, &v, 0),
		   ERR_OUT_OF_RANGE);
	GCHECK_ERR(sys_pci_cfg_write(pci, 0, 0x1000, 1, 0), ERR_OUT_OF_RANGE);
	GCHECK_OK(sys_pci_cfg_read(pci, 0, 0xff, 1, &v));
	/* Function numbers: 16 bits. */
	GCHECK_ERR(sys_pci_cfg_read(pci, 0x10000, 0, 4, &v), ERR_OUT_OF_RANGE);
	GCHECK_ERR(EXECRT_SC(SYS_PCI_CFG_READ, pci, ~0ull, 0, 4, &v, 0),
		   ERR_OUT_OF_RANGE);
	/* Values wider than the access. */
	GCHECK_ERR(sys_pci_cfg_write(pci, 0, 0x3c, 1, 0x100), ERR_OUT_OF_RANGE);
	GCHECK_ERR(EXECRT_SC(SYS_PCI_CFG_WRITE, pci, 0, 0x3c, 4, 1ull << 32, 0),
		   ERR_OUT_OF_RANGE);
	/* Handles: none, another kind of resource, not a resource. */
	GCHECK_ERR(sys_pci_cfg_read(0, 0, 0, 4, &v), ERR_BAD_HANDLE);
	GCHECK_ERR(sys_pci_cfg_read(execrt_handle(START_H_IRQ), 0, 0, 4, &v),
		   ERR_WRONG_TYPE);
	GCHECK_ERR(sys_pci_cfg_read(g_self(), 0, 0, 4, &v), ERR_WRONG_TYPE);
	GCHECK_ERR(
		EXECRT_SC(SYS_PCI_CFG_READ, 1ull << 32 | pci, 0, 0, 4, &v, 0),
		ERR_BAD_HANDLE);
	/* The result pointer. */
	GCHECK_ERR(sys_pci_cfg_read(pci, 0, 0, 4, NULL), ERR_FAULT);
	GCHECK_ERR(
		sys_pci_cfg_read(pci, 0, 0, 4, (uint32_t *)g_unmapped_addr()),
		ERR_FAULT);
	GCHECK_ERR(sys_pci_cfg_read(pci, 0, 0, 4,
				    (uint32_t *)0xffffffff80000000ull),
		   ERR_FAULT);
	printf("    configuration through %s\n",
	       ecam ? "ECAM (q35)" : "ports (pc)");
}

GTEST(pci_extended_space_matches_ecam)
{
	/* With ECAM the extended space is there: a PCIe function's first
	 * extended capability header at 0x100 is not all ones (q35's
	 * e1000e has one). With ports it is out of range (above). */
	handle_t pci = pci_all();
	if (pci_rd(pci, 0, 0, 4) != Q35_HOST) {
		printf("    pc machine: no extended space\n");
		return;
	}
	long nic = pci_find(pci, E1000E_VENDOR, E1000E_DEVICE);
	GCHECK(nic > 0);
	uint32_t v = 0;
	GCHECK_OK(sys_pci_cfg_read(pci, (uint32_t)nic, 0x100, 4, &v));
	GCHECK(v != 0xffffffffu && v != 0);
	printf("    e1000e extended capability %#x at 0x100\n", v & 0xffff);
	/* Its AER registers are no window: WRITE is enough. */
	handle_t drv = 0;
	uint32_t mask = 0;
	GCHECK_OK(sys_pci_cfg_read(pci, (uint32_t)nic, 0x108, 4, &mask));
	GCHECK_OK(sys_resource_derive(pci, (uint32_t)nic, 1,
				      RIGHT_READ | RIGHT_WRITE, &drv));
	long w = sys_pci_cfg_write(drv, (uint32_t)nic, 0x108, 4, mask);
	sys_handle_close(drv);
	GCHECK_EQ(v & 0xffff, 0x0001); /* AER */
	GCHECK_OK(w);
}

GTEST(pci_config_ports_belong_to_the_kernel)
{
	/* Even the whole I/O-port authority cannot reach the configuration
	 * mechanism: a task's address write between the kernel's two steps
	 * would redirect the kernel's access. */
	handle_t io = execrt_handle(START_H_IOPORT);
	GCHECK_ERR(sys_ioport_io(io, 0xcf8, 4 | IOPORT_OUT, 0x80000000u),
		   ERR_ACCESS_DENIED);
	GCHECK_ERR(sys_ioport_io(io, 0xcf8, 4, 0), ERR_ACCESS_DENIED);
	GCHECK_ERR(sys_ioport_io(io, 0xcfc, 4, 0), ERR_ACCESS_DENIED);
	GCHECK_ERR(sys_ioport_io(io, 0xcfe, 1, 0), ERR_ACCESS_DENIED);
	GCHECK_ERR(sys_ioport_io(io, 0xcfa, 4, 0), ERR_ACCESS_DENIED);
	GCHECK_ERR(sys_ioport_io(io, 0xcff, 1 | IOPORT_OUT, 0),
		   ERR_ACCESS_DENIED);
	/* The reset control byte at 0xcf9 and the ports around stay. */
	GCHECK(sys_ioport_io(io, 0xcf9, 1, 0) >= 0);
	GCHECK(sys_ioport_io(io, 0xd00, 1, 0) >= 0);
	/* And the kernel's own accesses are intact. */
	GCHECK_EQ(pci_rd(pci_all(), 0, 0, 2), 0x8086);
}

/* Review F6: the keyboard controller's command port is also the
 * machine's reset and A20 line; no I/O-port authority may send those
 * commands (a failure here reboots or crashes the guest). */
GTEST(pci_ioport_i8042_reset_and_a20_commands_refused)
{
	handle_t io = execrt_handle(START_H_IOPORT);
	static const uint8_t bad[] = {0xd1, 0xdd, 0xdf, 0xf0, 0xf7, 0xfe, 0xff};
	for (unsigned i = 0; i < sizeof(bad); i++)
		GCHECK_ERR(sys_ioport_io(io, 0x64, 1 | IOPORT_OUT, bad[i]),
			   ERR_ACCESS_DENIED);
	/* Wider writes reaching 0x64. */
	GCHECK_ERR(sys_ioport_io(io, 0x63, 2 | IOPORT_OUT, 0xfe00),
		   ERR_ACCESS_DENIED);
	GCHECK_ERR(sys_ioport_io(io, 0x64, 2 | IOPORT_OUT, 0x00fe),
		   ERR_ACCESS_DENIED);
	GCHECK_ERR(sys_ioport_io(io, 0x61, 4 | IOPORT_OUT, 0xdd000000u),
		   ERR_ACCESS_DENIED);
	/* The status port still reads. */
	GCHECK(sys_ioport_io(io, 0x64, 1, 0) >= 0);
}

/* Review F5: a bridge-class function's chipset registers outside its
 * capabilities need MANAGE (q35 ICH9 LPC RCBA at 0xf0: maps a register
 * block over RAM; pc PIIX3 PIRQA routing at 0x60). The same value is
 * written back, so an accepted write changes nothing. */
GTEST(pci_bridge_chipset_registers_need_manage)
{
	handle_t pci = pci_all(), drv = 0;
	long lpc = pci_find(pci, 0x8086, 0x2918); /* q35 */
	uint32_t off = 0xf0, w = 4;
	if (lpc < 0) {
		lpc = pci_find(pci, 0x8086, 0x7000); /* pc */
		off = 0x60;
		w = 1;
	}
	GCHECK(lpc > 0);
	uint32_t bdf = (uint32_t)lpc;
	GCHECK_EQ(pci_rd(pci, bdf, PCI_CLASS_REV, 4) >> 16, 0x0601);
	uint32_t was = pci_rd(pci, bdf, off, w);
	GCHECK_OK(sys_resource_derive(pci, bdf, 1, RIGHT_READ | RIGHT_WRITE,
				      &drv));
	long e_chip = sys_pci_cfg_write(drv, bdf, off, w, was);
	long e_line = sys_pci_cfg_write(drv, bdf, PCI_INT_LINE, 1,
					pci_rd(pci, bdf, PCI_INT_LINE, 1));
	GCHECK_OK(sys_handle_close(drv));
	GCHECK_ERR(e_chip, ERR_ACCESS_DENIED);
	GCHECK_OK(e_line);
	/* With MANAGE it goes through. */
	GCHECK_OK(sys_pci_cfg_write(pci, bdf, off, w, was));
	GCHECK_EQ(pci_rd(pci, bdf, off, w), was);
	/* Not a bridge: the e1000e's device-specific space stays WRITE. */
	long nic = pci_find(pci, 0x8086, 0x10d3);
	if (nic > 0) {
		uint32_t v = pci_rd(pci, (uint32_t)nic, 0x40, 4);
		GCHECK_OK(sys_resource_derive(pci, (uint32_t)nic, 1,
					      RIGHT_READ | RIGHT_WRITE, &drv));
		long e_nic = sys_pci_cfg_write(drv, (uint32_t)nic, 0x40, 4, v);
		GCHECK_OK(sys_handle_close(drv));
		GCHECK_OK(e_nic);
	}
}
