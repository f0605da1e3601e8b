/* init's boot information reader (servers/init/bootcfg.c). */
#include <string.h>

#include "bootcfg.h"
#include "harness.h"

TEST(bootcfg_reads_power_and_irq_lines)
{
	static const char t[] = "protocol pvh\nfirmware bios\n"
				"kernel_entry_ns 1234567\n"
				"acpi_pm1a_cnt 0x604\nacpi_pm1b_cnt 0\n"
				"acpi_s5 5 5\n"
				"acpi_reset 1 0xcf9 0x6\n"
				"isa_irq 0 2\nisa_irq 4 4\nisa_irq 9 9\n"
				"isa_irq 16 3\nisa_irq 3 nope\n"
				"acpi_s5 9 9\n"
				"mem 0x0 0x9fc00 1\n";
	struct bootcfg b;
	bootcfg_parse(&b, t, sizeof(t) - 1);
	CHECK_EQ(b.kernel_entry_ns, 1234567);
	CHECK_EQ(b.pm1a_cnt, 0x604);
	CHECK_EQ(b.pm1b_cnt, 0);
	CHECK(b.have_s5);
	CHECK_EQ(b.s5a, 5);
	CHECK(b.have_reset);
	CHECK_EQ(b.reset_space, 1);
	CHECK_EQ(b.reset_addr, 0xcf9);
	CHECK_EQ(b.reset_value, 6);
	CHECK_EQ(b.isa_gsi[0], 2);
	CHECK_EQ(b.isa_gsi[3], 3); /* bad line ignored: identity */
	CHECK_EQ(b.isa_gsi[4], 4);
	/* Nothing there: no power control, identity routes. */
	bootcfg_parse(&b, "", 0);
	CHECK(!b.have_s5 && !b.have_reset && !b.pm1a_cnt);
	CHECK_EQ(b.isa_gsi[15], 15);
	/* Stops at a NUL; long lines are skipped. */
	char big[600];
	memset(big, 'x', sizeof(big));
	memcpy(big + 300, "\nacpi_s5 1 2\n\0acpi_pm1a_cnt 0x10\n", 33);
	bootcfg_parse(&b, big, sizeof(big));
	CHECK(b.have_s5);
	CHECK_EQ(b.pm1a_cnt, 0);
}
