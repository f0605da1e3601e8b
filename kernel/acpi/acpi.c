/* ACPI table discovery and parsing: RSDP -> XSDT/RSDT -> MADT, HPET, FADT
 * (the FADT and the DSDT's \_S5 in fadt.c), MCFG (mcfg.c).
 *
 * Firmware tables are untrusted input: every table's length is bounded and
 * its checksum verified before any field beyond the header is read, and MADT
 * entries are bounds-checked one by one. Tables may sit at any alignment, so
 * multi-byte fields are only read through packed types or memcpy. */
#include <kern/acpi.h>
#include <kern/lib.h>
#include <kern/log.h>
#include <kern/mm.h>

#include "acpi_tables.h"

/* Far above any real table (big DSDTs are a few hundred KiB); bounds the
 * checksum loop when a length field is garbage. */
#define ACPI_TABLE_MAX_LEN MiB(1)

#define EBDA_SEG_PTR   0x40e
#define EBDA_SCAN_LEN  KiB(1)
#define BIOS_ROM_START 0xe0000
#define BIOS_ROM_END   0x100000

struct acpi_info acpi;

static uint8_t checksum(phys_addr_t pa, size_t len)
{
	const uint8_t *p = phys_to_virt(pa);
	uint8_t sum = 0;
	for (size_t i = 0; i < len; i++)
		sum += p[i];
	return sum;
}

/* Copies n printable characters of s into buf (n + 1 bytes), for logging
 * signatures and OEM ids that may be garbage. */
static void printable(char *buf, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	buf[n] = '\0';
}

static void warn_table(const char sig[4], phys_addr_t pa, const char *why)
{
	char s[5];
	printable(s, sig, 4);
	pr_warn("acpi: table '%s' at %#llx rejected: %s\n", s,
		(unsigned long long)pa, why);
}

/* Reads the header at pa and checks length and checksum. Returns true when
 * the whole table may be used; otherwise *why says why not. */
bool acpi_table_ok(phys_addr_t pa, struct acpi_sdt_header *hdr,
		   const char **why)
{
	memset(hdr, 0, sizeof(*hdr));
	if (pa == 0 || pa > UINT64_MAX - ACPI_TABLE_MAX_LEN) {
		*why = "bad address";
		return false;
	}
	memcpy(hdr, phys_to_virt(pa), sizeof(*hdr));
	if (hdr->length < sizeof(*hdr)) {
		*why = "length too small";
		return false;
	}
	if (hdr->length > ACPI_TABLE_MAX_LEN) {
		*why = "length too large";
		return false;
	}
	if (checksum(pa, hdr->length) != 0) {
		*why = "bad checksum";
		return false;
	}
	return true;
}

/* --- RSDP -------------------------------------------------------------- */

/* Checks the RSDP at pa; `room` is how many bytes are known readable there
 * (the rest of a scanned BIOS area), 0 when the caller vouches for it. */
static bool rsdp_ok(phys_addr_t pa, size_t room, struct acpi_rsdp *r)
{
	memset(r, 0, sizeof(*r));
	if (room && room < ACPI_RSDP_V1_LEN)
		return false;
	memcpy(r, phys_to_virt(pa), ACPI_RSDP_V1_LEN);
	if (memcmp(r->signature, ACPI_RSDP_SIG, 8) != 0)
		return false;
	if (checksum(pa, ACPI_RSDP_V1_LEN) != 0)
		return false;
	if (r->revision < 2)
		return true;
	if (room && room < sizeof(*r))
		return false;
	memcpy(r, phys_to_virt(pa), sizeof(*r));
	if (r->length < sizeof(*r) || r->length > PAGE_SIZE ||
	    (room && r->length > room))
		return false;
	return checksum(pa, r->length) == 0;
}

static phys_addr_t rsdp_scan(phys_addr_t start, phys_addr_t end,
			     struct acpi_rsdp *r)
{
	for (phys_addr_t pa = ALIGN_UP(start, 16); pa + 16 <= end; pa += 16) {
		if (memcmp(phys_to_virt(pa), ACPI_RSDP_SIG, 8) != 0)
			continue;
		if (rsdp_ok(pa, end - pa, r))
			return pa;
		pr_warn("acpi: RSDP candidate at %#llx is invalid\n",
			(unsigned long long)pa);
	}
	return 0;
}

/* The legacy BIOS places the RSDP in the first KiB of the EBDA or in the
 * read-only BIOS area below 1 MiB (ACPI spec, "Finding the RSDP"). */
static phys_addr_t rsdp_search(struct acpi_rsdp *r)
{
	uint16_t seg;
	memcpy(&seg, phys_to_virt(EBDA_SEG_PTR), sizeof(seg));
	phys_addr_t ebda = (phys_addr_t)seg << 4;
	phys_addr_t pa = 0;
	/* A segment inside the IVT/BDA or reaching the ROM area is not an
	 * EBDA (0 on machines without one). */
	if (ebda >= 0x1000 && ebda + EBDA_SCAN_LEN <= BIOS_ROM_START)
		pa = rsdp_scan(ebda, ebda + EBDA_SCAN_LEN, r);
	if (!pa)
		pa = rsdp_scan(BIOS_ROM_START, BIOS_ROM_END, r);
	return pa;
}

/* --- Root table -------------------------------------------------------- */

static size_t root_entries(phys_addr_t root, bool xsdt)
{
	struct acpi_sdt_header h;
	memcpy(&h, phys_to_virt(root), sizeof(h));
	return (h.length - sizeof(h)) / (xsdt ? 8 : 4);
}

static phys_addr_t root_entry(phys_addr_t root, bool xsdt, size_t i)
{
	const uint8_t *p = (const uint8_t *)phys_to_virt(root) +
			   sizeof(struct acpi_sdt_header);
	if (xsdt) {
		uint64_t a;
		memcpy(&a, p + i * 8, sizeof(a));
		return a;
	}
	uint32_t a;
	memcpy(&a, p + i * 4, sizeof(a));
	return a;
}

static bool root_ok(phys_addr_t pa, const char *sig, struct acpi_info *ai)
{
	struct acpi_sdt_header h;
	const char *why;
	if (!acpi_table_ok(pa, &h, &why)) {
		warn_table(sig, pa, why);
		ai->bad_tables++;
		return false;
	}
	if (memcmp(h.signature, sig, 4) != 0) {
		warn_table(h.signature, pa, "not the expected root table");
		ai->bad_tables++;
		return false;
	}
	return true;
}

size_t acpi_root_count(void)
{
	return acpi.valid ? root_entries(acpi.root_addr, acpi.root_is_xsdt) : 0;
}

phys_addr_t acpi_root_table(size_t i)
{
	return root_entry(acpi.root_addr, acpi.root_is_xsdt, i);
}

phys_addr_t acpi_find_table(const char sig[4])
{
	if (!acpi.valid)
		return 0;
	size_t n = root_entries(acpi.root_addr, acpi.root_is_xsdt);
	for (size_t i = 0; i < n; i++) {
		phys_addr_t pa =
			root_entry(acpi.root_addr, acpi.root_is_xsdt, i);
		struct acpi_sdt_header h;
		const char *why;
		if (acpi_table_ok(pa, &h, &why) &&
		    memcmp(h.signature, sig, 4) == 0)
			return pa;
	}
	return 0;
}

/* --- MADT -------------------------------------------------------------- */

struct madt_ctx {
	struct acpi_info *ai;
	unsigned dropped; /* entries beyond the acpi_info array limits */
};

static void add_cpu(struct madt_ctx *c, uint32_t apic_id, uint32_t uid,
		    uint32_t flags)
{
	struct acpi_info *ai = c->ai;
	/* Firmware may list a CPU both as LAPIC and x2APIC: first one wins. */
	for (size_t i = 0; i < ai->ncpus; i++)
		if (ai->cpus[i].apic_id == apic_id)
			return;
	if (ai->ncpus == ACPI_MAX_CPUS) {
		c->dropped++;
		return;
	}
	struct acpi_cpu *cpu = &ai->cpus[ai->ncpus++];
	cpu->apic_id = apic_id;
	cpu->acpi_uid = uid;
	cpu->enabled = flags & ACPI_MADT_CPU_ENABLED;
	cpu->online_capable = flags & ACPI_MADT_CPU_ONLINE_CAPABLE;
}

/* Minimum entry length for each type we read; 0: type ignored. */
static uint8_t madt_min_len(uint8_t type)
{
	switch (type) {
	case ACPI_MADT_LAPIC:
		return sizeof(struct acpi_madt_lapic);
	case ACPI_MADT_IOAPIC:
		return sizeof(struct acpi_madt_ioapic);
	case ACPI_MADT_ISO:
		return sizeof(struct acpi_madt_iso);
	case ACPI_MADT_LAPIC_NMI:
		return sizeof(struct acpi_madt_lapic_nmi);
	case ACPI_MADT_LAPIC_ADDR:
		return sizeof(struct acpi_madt_lapic_addr);
	case ACPI_MADT_X2APIC:
		return sizeof(struct acpi_madt_x2apic);
	default:
		return 0;
	}
}

/* p points at an entry of at least madt_min_len(type) bytes. */
static void madt_entry(struct madt_ctx *c, const uint8_t *p, uint8_t type)
{
	struct acpi_info *ai = c->ai;
	switch (type) {
	case ACPI_MADT_LAPIC: {
		struct acpi_madt_lapic e;
		memcpy(&e, p, sizeof(e));
		add_cpu(c, e.apic_id, e.acpi_uid, e.flags);
		break;
	}
	case ACPI_MADT_X2APIC: {
		struct acpi_madt_x2apic e;
		memcpy(&e, p, sizeof(e));
		add_cpu(c, e.x2apic_id, e.acpi_uid, e.flags);
		break;
	}
	case ACPI_MADT_IOAPIC: {
		struct acpi_madt_ioapic e;
		memcpy(&e, p, sizeof(e));
		if (ai->nioapics == ACPI_MAX_IOAPICS) {
			c->dropped++;
			break;
		}
		struct acpi_ioapic *io = &ai->ioapics[ai->nioapics++];
		io->id = e.id;
		io->addr = e.addr;
		io->gsi_base = e.gsi_base;
		break;
	}
	case ACPI_MADT_ISO: {
		struct acpi_madt_iso e;
		memcpy(&e, p, sizeof(e));
		if (ai->noverrides == ACPI_MAX_OVERRIDES) {
			c->dropped++;
			break;
		}
		struct acpi_override *o = &ai->overrides[ai->noverrides++];
		o->bus = e.bus;
		o->source = e.source;
		o->gsi = e.gsi;
		o->flags = e.flags;
		break;
	}
	case ACPI_MADT_LAPIC_NMI: {
		struct acpi_madt_lapic_nmi e;
		memcpy(&e, p, sizeof(e));
		if (ai->nnmis == ACPI_MAX_NMIS) {
			c->dropped++;
			break;
		}
		struct acpi_lapic_nmi *n = &ai->nmis[ai->nnmis++];
		n->acpi_uid =
			e.acpi_uid == 0xff ? ACPI_NMI_ALL_CPUS : e.acpi_uid;
		n->flags = e.flags;
		n->lint = e.lint;
		break;
	}
	case ACPI_MADT_LAPIC_ADDR: {
		struct acpi_madt_lapic_addr e;
		memcpy(&e, p, sizeof(e));
		ai->lapic_addr = e.addr;
		break;
	}
	}
}

/* Called only for a table that passed acpi_table_ok(): len bytes valid. */
static void parse_madt(phys_addr_t pa, uint32_t len, struct acpi_info *ai)
{
	struct acpi_madt m;
	if (len < sizeof(m)) {
		warn_table("APIC", pa, "too short for a MADT");
		ai->bad_tables++;
		return;
	}
	memcpy(&m, phys_to_virt(pa), sizeof(m));
	ai->has_madt = true;
	ai->lapic_addr = m.lapic_addr;
	ai->pcat_compat = m.flags & ACPI_MADT_PCAT_COMPAT;

	struct madt_ctx c = {.ai = ai};
	const uint8_t *base = phys_to_virt(pa);
	uint32_t off = sizeof(m);
	while (off < len) {
		/* A bad entry length leaves no way to find the next entry:
		 * stop rather than guess. */
		if (len - off < sizeof(struct acpi_madt_entry)) {
			pr_warn("acpi: MADT: truncated entry at offset %u\n",
				off);
			break;
		}
		uint8_t type = base[off], elen = base[off + 1];
		if (elen < sizeof(struct acpi_madt_entry)) {
			pr_warn("acpi: MADT: entry type %u at offset %u has "
				"length %u, stopping\n",
				type, off, elen);
			break;
		}
		if (elen > len - off) {
			pr_warn("acpi: MADT: entry type %u at offset %u "
				"overruns the table, stopping\n",
				type, off);
			break;
		}
		uint8_t need = madt_min_len(type);
		if (need && elen < need)
			pr_warn("acpi: MADT: entry type %u at offset %u too "
				"short (%u < %u), skipped\n",
				type, off, elen, need);
		else if (need)
			madt_entry(&c, base + off, type);
		off += elen;
	}
	if (c.dropped)
		pr_warn("acpi: MADT: %u entries dropped (table limits)\n",
			c.dropped);
}

/* --- HPET -------------------------------------------------------------- */

static void parse_hpet(phys_addr_t pa, uint32_t len, struct acpi_info *ai)
{
	struct acpi_hpet h;
	/* min_tick and later are optional in old tables; the base is not. */
	if (len < offsetof(struct acpi_hpet, hpet_number)) {
		warn_table("HPET", pa, "too short for an HPET table");
		ai->bad_tables++;
		return;
	}
	memset(&h, 0, sizeof(h));
	memcpy(&h, phys_to_virt(pa), MIN((size_t)len, sizeof(h)));
	if (h.base.space_id != ACPI_GAS_SYSTEM_MEMORY || h.base.addr == 0) {
		pr_warn("acpi: HPET at %#llx ignored: base not in system "
			"memory (space %u, addr %#llx)\n",
			(unsigned long long)pa, h.base.space_id,
			(unsigned long long)h.base.addr);
		return;
	}
	ai->has_hpet = true;
	ai->hpet_addr = h.base.addr;
	ai->hpet_min_tick = h.min_tick;
}

/* --- Entry points ------------------------------------------------------ */

static void copy_oem(char dst[7], const char src[6])
{
	printable(dst, src, 6);
	for (int i = 5; i >= 0 && dst[i] == ' '; i--)
		dst[i] = '\0';
}

static void log_summary(const struct acpi_info *ai)
{
	pr_info("acpi: OEM '%s' rev %u (%s), %zu CPUs, %zu IOAPICs, "
		"%zu overrides\n",
		ai->oem_id, ai->revision, ai->root_is_xsdt ? "XSDT" : "RSDT",
		ai->ncpus, ai->nioapics, ai->noverrides);
	if (ai->has_hpet)
		pr_info("acpi: HPET at %#llx\n",
			(unsigned long long)ai->hpet_addr);
	else
		pr_info("acpi: no HPET\n");
	if (!ai->has_madt)
		pr_warn("acpi: no valid MADT\n");
}

static int acpi_parse(phys_addr_t rsdp_pa, struct acpi_info *ai)
{
	struct acpi_rsdp r;
	if (rsdp_pa) {
		if (!rsdp_ok(rsdp_pa, 0, &r)) {
			pr_warn("acpi: RSDP at %#llx is invalid\n",
				(unsigned long long)rsdp_pa);
			return ACPI_ERR_NO_RSDP;
		}
	} else {
		rsdp_pa = rsdp_search(&r);
		if (!rsdp_pa) {
			pr_warn("acpi: no RSDP found\n");
			return ACPI_ERR_NO_RSDP;
		}
	}
	ai->revision = r.revision;
	copy_oem(ai->oem_id, r.oem_id);

	/* The XSDT supersedes the RSDT when present and intact. */
	if (r.revision >= 2 && r.xsdt_addr &&
	    root_ok(r.xsdt_addr, "XSDT", ai)) {
		ai->root_addr = r.xsdt_addr;
		ai->root_is_xsdt = true;
	} else if (r.rsdt_addr && root_ok(r.rsdt_addr, "RSDT", ai)) {
		ai->root_addr = r.rsdt_addr;
	} else {
		pr_warn("acpi: no valid root table\n");
		return ACPI_ERR_NO_ROOT;
	}
	ai->valid = true;

	size_t n = root_entries(ai->root_addr, ai->root_is_xsdt);
	for (size_t i = 0; i < n; i++) {
		phys_addr_t pa = root_entry(ai->root_addr, ai->root_is_xsdt, i);
		struct acpi_sdt_header h;
		const char *why;
		if (!acpi_table_ok(pa, &h, &why)) {
			warn_table(h.signature, pa, why);
			ai->bad_tables++;
			continue;
		}
		if (!ai->has_madt && memcmp(h.signature, "APIC", 4) == 0)
			parse_madt(pa, h.length, ai);
		else if (!ai->has_hpet && memcmp(h.signature, "HPET", 4) == 0)
			parse_hpet(pa, h.length, ai);
		else if (!ai->has_fadt && memcmp(h.signature, "FACP", 4) == 0)
			acpi_parse_fadt(pa, h.length, ai);
		else if (!ai->necam && memcmp(h.signature, "MCFG", 4) == 0)
			acpi_parse_mcfg(pa, h.length, ai);
	}
	log_summary(ai);
	return 0;
}

int acpi_init(phys_addr_t rsdp_pa, struct acpi_info *out)
{
	memset(out, 0, sizeof(*out));
	int err = acpi_parse(rsdp_pa, out);
	if (out != &acpi)
		memcpy(&acpi, out, sizeof(acpi));
	return err;
}

uint32_t acpi_isa_to_gsi(const struct acpi_info *ai, uint8_t isa_irq,
			 uint16_t *flags)
{
	for (size_t i = 0; i < ai->noverrides; i++) {
		const struct acpi_override *o = &ai->overrides[i];
		if (o->bus == 0 && o->source == isa_irq) {
			if (flags)
				*flags = o->flags;
			return o->gsi;
		}
	}
	if (flags)
		*flags = 0;
	return isa_irq;
}
