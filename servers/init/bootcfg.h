/* What init reads from the boot information text (START_H_BOOTINFO): the
 * ACPI power-off and reset registers, the ISA IRQ -> GSI routes and the
 * kernel's entry time. Pure, host-tested (tests/host/test_init_boot.c). */
#pragma once
#include <stddef.h>
#include <stdint.h>

struct bootcfg {
	uint64_t kernel_entry_ns;
	uint32_t pm1a_cnt, pm1b_cnt; /* I/O ports; 0: absent */
	int have_s5;
	uint32_t s5a, s5b; /* SLP_TYPa/b of \_S5 */
	int have_reset;
	uint32_t reset_space; /* ACPI address space: 1 = system I/O */
	uint64_t reset_addr;
	uint32_t reset_value;
	uint32_t isa_gsi[16]; /* identity unless bootinfo says otherwise */
};

void bootcfg_parse(struct bootcfg *b, const char *text, size_t len);
