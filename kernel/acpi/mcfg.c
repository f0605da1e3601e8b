/* The MCFG table: where PCI Express configuration space (ECAM) lives.
 * The kernel does not use it itself; PCI configuration access hands it out
 * per function, and SYS_VMO_CREATE_PHYS refuses to map it (a driver must
 * not reach another function's configuration space through a mapping).
 *
 * Untrusted like every table: entries are read only inside the
 * (checksum-verified) length, and an entry whose buses would make the
 * window wrap or leave the physical address space is dropped. */
#include <kern/acpi.h>
#include <kern/lib.h>
#include <kern/log.h>
#include <kern/mm.h>

#include "acpi_tables.h"

/* 1 MiB per bus: 32 devices x 8 functions x 4 KiB. */
#define ECAM_BUS_SHIFT 20
#define PHYS_TOP       (1ull << 52)

void acpi_mcfg_window(const struct acpi_mcfg *m, uint64_t *lo, uint64_t *size)
{
	*lo = m->base + ((uint64_t)m->bus_start << ECAM_BUS_SHIFT);
	*size = (uint64_t)(m->bus_end - m->bus_start + 1) << ECAM_BUS_SHIFT;
}

static bool entry_ok(const struct acpi_mcfg *m)
{
	if (m->bus_start > m->bus_end || !m->base ||
	    !IS_ALIGNED(m->base, 1ull << ECAM_BUS_SHIFT))
		return false;
	uint64_t top = (uint64_t)(m->bus_end + 1) << ECAM_BUS_SHIFT;
	return m->base < PHYS_TOP && top <= PHYS_TOP - m->base;
}

void acpi_parse_mcfg(phys_addr_t pa, uint32_t len, struct acpi_info *ai)
{
	const uint8_t *t = phys_to_virt(pa);
	unsigned bad = 0, dropped = 0;
	for (uint32_t off = sizeof(struct acpi_mcfg_hdr);
	     off <= len && len - off >= sizeof(struct acpi_mcfg_entry);
	     off += sizeof(struct acpi_mcfg_entry)) {
		struct acpi_mcfg_entry e;
		memcpy(&e, t + off, sizeof(e));
		struct acpi_mcfg m = {.valid = true,
				      .base = e.base,
				      .segment = e.segment,
				      .bus_start = e.bus_start,
				      .bus_end = e.bus_end};
		if (!entry_ok(&m)) {
			bad++;
			continue;
		}
		if (ai->necam == ACPI_MAX_ECAM) {
			dropped++;
			continue;
		}
		ai->ecam[ai->necam++] = m;
		if (!ai->mcfg.valid && m.segment == 0)
			ai->mcfg = m;
	}
	if (bad || dropped)
		pr_warn("acpi: MCFG: %u bad entries ignored, %u over the "
			"limit\n",
			bad, dropped);
	if (ai->mcfg.valid)
		pr_info("acpi: MCFG: ECAM at %#llx, segment 0, buses %u-%u\n",
			(unsigned long long)ai->mcfg.base, ai->mcfg.bus_start,
			ai->mcfg.bus_end);
}
