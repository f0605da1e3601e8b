/* Power off and reboot through init's own I/O-port authority (no service
 * is given these ports: power_port_overlap refuses such a grant).
 * poweroff: ACPI S5 (PM1a/PM1b control: SLP_TYP << 10 | SLP_EN), then
 * QEMU's isa-debug-exit; reboot: the FADT reset register (system I/O
 * only), then port 0xcf9, then the keyboard controller. */
#include <execrt/sys.h>

#include "plat.h"

#define SLP_EN	      (1u << 13)
#define DEBUG_EXIT    0xf4
#define RESET_CF9     0xcf9
#define KBC_CMD	      0x64
#define SETTLE_NS     (100 * MS)
#define ACPI_SPACE_IO 1

static void out(uint32_t port, uint32_t width, uint32_t v)
{
	if (g.ioport)
		sys_ioport_io(g.ioport, port, width | IOPORT_OUT, v);
}

static void settle(void)
{
	sys_sleep_until((uint64_t)sys_clock_now() + SETTLE_NS);
}

void power_off(void)
{
	if (!g.ioport)
		return;
	say("powering off");
	/* The console service may print on another CPU: let it show the
	 * line before the machine goes. */
	settle();
	if (g.boot.pm1a_cnt && g.boot.have_s5) {
		out(g.boot.pm1a_cnt, 2, g.boot.s5a << 10 | SLP_EN);
		if (g.boot.pm1b_cnt)
			out(g.boot.pm1b_cnt, 2, g.boot.s5b << 10 | SLP_EN);
		settle();
	}
	out(DEBUG_EXIT, 4, 0);
	settle();
	say("poweroff failed");
}

void power_reboot(void)
{
	if (!g.ioport)
		return;
	say("rebooting");
	settle(); /* as for poweroff: the line reaches the console */
	if (g.boot.have_reset && g.boot.reset_space == ACPI_SPACE_IO &&
	    g.boot.reset_addr < 0x10000) {
		out((uint32_t)g.boot.reset_addr, 1, g.boot.reset_value);
		settle();
	}
	out(RESET_CF9, 1, 0x06);
	settle();
	out(KBC_CMD, 1, 0xfe);
	settle();
	say("reboot failed");
}

static bool overlap(uint64_t base, uint64_t size, uint64_t p, uint64_t n)
{
	return p < base + size && base < p + n;
}

bool power_port_overlap(uint64_t base, uint64_t size)
{
	/* Not 0x64: a keyboard driver needs it; that reset is the last
	 * resort anyway. */
	bool o = overlap(base, size, DEBUG_EXIT, 4) ||
		 overlap(base, size, RESET_CF9, 1);
	if (g.boot.pm1a_cnt)
		o |= overlap(base, size, g.boot.pm1a_cnt, 2);
	if (g.boot.pm1b_cnt)
		o |= overlap(base, size, g.boot.pm1b_cnt, 2);
	if (g.boot.have_reset && g.boot.reset_space == ACPI_SPACE_IO)
		o |= overlap(base, size, g.boot.reset_addr, 1);
	return o;
}
