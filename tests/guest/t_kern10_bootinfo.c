/* The bootinfo text's issue-10 lines (kernel/task/root.c): the kernel's
 * entry time, the ACPI power-off and reset facts, the ISA IRQ routing.
 * QEMU's firmware (q35 and pc) has a FADT with PM1a_CNT, a DSDT with
 * \_S5 and an IRQ 0 -> GSI 2 override; powering off is not tried here. */
#include <stdlib.h>
#include <string.h>

#include "gtest.h"
#include "gutil.h"

static char text[8192];

/* The value after "key " on its line, or NULL; *count: how many lines. */
static const char *line(const char *key, int *count)
{
	size_t kl = strlen(key);
	const char *found = NULL;
	int n = 0;
	for (const char *p = text; p && *p;) {
		if (!strncmp(p, key, kl) && p[kl] == ' ') {
			if (!found)
				found = p + kl + 1;
			n++;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	if (count)
		*count = n;
	return found;
}

/* Parses "N" (base 0) up to a blank or newline; false on junk. */
static int num(const char **p, uint64_t *v)
{
	char *end;
	if (!**p || **p == ' ' || **p == '\n')
		return 0;
	*v = strtoull(*p, &end, 0);
	if (end == *p || (*end != ' ' && *end != '\n' && *end))
		return 0;
	*p = *end == ' ' ? end + 1 : end;
	return 1;
}

static long read_bootinfo(void)
{
	handle_t bi = execrt_handle(START_H_BOOTINFO);
	uint64_t size = 0;
	long r = sys_vmo_get_size(bi, &size);
	if (r < 0)
		return r;
	if (size > sizeof(text) - 1)
		size = sizeof(text) - 1;
	memset(text, 0, sizeof(text));
	return sys_vmo_read(bi, text, 0, size);
}

GTEST(kern10_bootinfo_lines)
{
	GCHECK_OK(read_bootinfo());
	int c;
	uint64_t entry = 0, now = g_now();
	const char *p = line("kernel_entry_ns", &c);
	GCHECK(p && num(&p, &entry));
	GCHECK_EQ(c, 1);
	/* Before now, and the boot to here took less than a minute. */
	GCHECK(entry > 0 && entry < now);
	GCHECK(now - entry < 60000 * MS);

	uint64_t pm1a = 0, pm1b = 0, a = 99, b = 99;
	p = line("acpi_pm1a_cnt", &c);
	GCHECK(p && num(&p, &pm1a) && c == 1);
	p = line("acpi_pm1b_cnt", &c);
	GCHECK(p && num(&p, &pm1b) && c == 1);
	GCHECK(pm1a > 0 && pm1a <= 0xffff && pm1b <= 0xffff);
	p = line("acpi_s5", &c);
	GCHECK(p && num(&p, &a) && num(&p, &b) && c == 1);
	GCHECK(a <= 7 && b <= 7);

	uint64_t space = 0, addr = 0, val = 0;
	p = line("acpi_reset", &c);
	int has_reset = p != NULL;
	if (p)
		GCHECK(num(&p, &space) && num(&p, &addr) && num(&p, &val) &&
		       space <= 2 && addr && val <= 0xff && c == 1);

	uint64_t gsi[16];
	for (unsigned irq = 0; irq < 16; irq++) {
		char key[16];
		snprintf(key, sizeof(key), "isa_irq %u", irq);
		p = line(key, &c);
		GCHECK(p && num(&p, &gsi[irq]) && c == 1);
		GCHECK(gsi[irq] < 256);
	}
	line("isa_irq", &c);
	GCHECK_EQ(c, 16);
	GCHECK_EQ(gsi[0], 2); /* QEMU's override, as t_irq.c relies on */
	printf("    kernel entry at %llu.%06llu s; PM1a_CNT %#llx, PM1b_CNT "
	       "%#llx, S5 %llu %llu; ",
	       (unsigned long long)(entry / 1000000000),
	       (unsigned long long)(entry % 1000000000 / 1000),
	       (unsigned long long)pm1a, (unsigned long long)pm1b,
	       (unsigned long long)a, (unsigned long long)b);
	if (has_reset)
		printf("reset space %llu at %#llx value %#llx\n",
		       (unsigned long long)space, (unsigned long long)addr,
		       (unsigned long long)val);
	else
		printf("no reset register\n");
}
