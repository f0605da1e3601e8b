/* Boot information lines init uses (bootcfg.h). Unknown lines and bad
 * values are ignored: the defaults (no ACPI power control, identity ISA
 * routes) stay. */
#include <string.h>

#include "bootcfg.h"
#include "manifest.h"

#define MAXW 5

static int words(char *line, char **w)
{
	int n = 0;
	for (char *s = line; *s && n < MAXW;) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s)
			break;
		w[n++] = s;
		while (*s && *s != ' ' && *s != '\t')
			s++;
		if (*s)
			*s++ = 0;
	}
	return n;
}

static void line(struct bootcfg *b, char *l)
{
	char *w[MAXW];
	uint64_t v[MAXW - 1];
	int n = words(l, w);
	if (n < 2)
		return;
	for (int i = 1; i < n; i++)
		if (man_parse_u64(w[i], &v[i - 1]) < 0)
			return;
	if (!strcmp(w[0], "kernel_entry_ns") && n == 2) {
		b->kernel_entry_ns = v[0];
	} else if (!strcmp(w[0], "acpi_pm1a_cnt") && n == 2 && v[0] < 0x10000) {
		b->pm1a_cnt = (uint32_t)v[0];
	} else if (!strcmp(w[0], "acpi_pm1b_cnt") && n == 2 && v[0] < 0x10000) {
		b->pm1b_cnt = (uint32_t)v[0];
	} else if (!strcmp(w[0], "acpi_s5") && n == 3 && v[0] < 8 && v[1] < 8) {
		b->have_s5 = 1;
		b->s5a = (uint32_t)v[0];
		b->s5b = (uint32_t)v[1];
	} else if (!strcmp(w[0], "acpi_reset") && n == 4 && v[0] < 256 &&
		   v[2] < 256) {
		b->have_reset = 1;
		b->reset_space = (uint32_t)v[0];
		b->reset_addr = v[1];
		b->reset_value = (uint32_t)v[2];
	} else if (!strcmp(w[0], "isa_irq") && n == 3 && v[0] < 16 &&
		   v[1] <= 0xffffff) {
		b->isa_gsi[v[0]] = (uint32_t)v[1];
	}
}

void bootcfg_parse(struct bootcfg *b, const char *text, size_t len)
{
	memset(b, 0, sizeof(*b));
	for (uint32_t i = 0; i < 16; i++)
		b->isa_gsi[i] = i;
	char l[128];
	size_t pos = 0;
	while (pos < len) {
		size_t n = 0;
		while (pos + n < len && text[pos + n] != '\n' && text[pos + n])
			n++;
		if (n < sizeof(l)) {
			memcpy(l, text + pos, n);
			l[n] = 0;
			line(b, l);
		}
		if (pos + n < len && !text[pos + n])
			break; /* the text ends at a NUL */
		pos += n + 1;
	}
}
