/* The FADT and the DSDT's \_S5 object: the PM1 control ports, the S5
 * sleep type and the reset register, which the kernel only passes on (the
 * bootinfo text) for user space to power off or reset the machine.
 *
 * Both tables are untrusted: the FADT's fields are read only where its
 * (checked) length covers them, and the AML scan bounds every byte it
 * reads by the DSDT's length. */
#include <kern/acpi.h>
#include <kern/lib.h>
#include <kern/log.h>
#include <kern/mm.h>

#include "acpi_tables.h"

#define AML_NAME_OP    0x08
#define AML_ROOT_CHAR  0x5c /* '\' */
#define AML_PACKAGE_OP 0x12
#define AML_ZERO_OP    0x00
#define AML_ONE_OP     0x01
#define AML_BYTE_PFX   0x0a
#define AML_WORD_PFX   0x0b
#define AML_DWORD_PFX  0x0c
#define AML_QWORD_PFX  0x0e
#define SLP_TYP_MAX    7 /* a 3-bit field of PM1x_CNT */

/* PkgLength at p (end: one past the readable bytes): the package's length
 * counted from p, and the bytes the encoding takes. */
static bool pkg_length(const uint8_t *p, const uint8_t *end, size_t *len,
		       size_t *enc)
{
	if (p >= end)
		return false;
	unsigned follow = p[0] >> 6;
	if ((size_t)(end - p) < 1 + follow)
		return false;
	if (!follow) {
		*len = p[0] & 0x3f;
	} else {
		size_t v = p[0] & 0x0f;
		for (unsigned i = 0; i < follow; i++)
			v |= (size_t)p[1 + i] << (4 + 8 * i);
		*len = v;
	}
	*enc = 1 + follow;
	return true;
}

/* One integer element at *p (before end); advances *p. */
static bool aml_int(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	const uint8_t *q = *p;
	if (q >= end)
		return false;
	size_t n;
	switch (q[0]) {
	case AML_ZERO_OP:
		*v = 0;
		*p = q + 1;
		return true;
	case AML_ONE_OP:
		*v = 1;
		*p = q + 1;
		return true;
	case AML_BYTE_PFX:
		n = 1;
		break;
	case AML_WORD_PFX:
		n = 2;
		break;
	case AML_DWORD_PFX:
		n = 4;
		break;
	case AML_QWORD_PFX:
		n = 8;
		break;
	default:
		return false;
	}
	if ((size_t)(end - q) < 1 + n)
		return false;
	*v = 0;
	for (size_t i = 0; i < n; i++)
		*v |= (uint64_t)q[1 + i] << (8 * i);
	*p = q + 1 + n;
	return true;
}

/* The package right after a "_S5_" name at pkg (end: the AML's end). */
static bool s5_package(const uint8_t *pkg, const uint8_t *end, uint8_t *a,
		       uint8_t *b)
{
	if (pkg >= end || pkg[0] != AML_PACKAGE_OP)
		return false;
	const uint8_t *p = pkg + 1;
	size_t len, enc;
	if (!pkg_length(p, end, &len, &enc) || len < enc ||
	    len > (size_t)(end - p))
		return false;
	const uint8_t *pend = p + len; /* the package's own end */
	p += enc;
	if (p >= pend || p[0] < 2) /* NumElements */
		return false;
	p++;
	uint64_t va, vb;
	if (!aml_int(&p, pend, &va) || !aml_int(&p, pend, &vb) ||
	    va > SLP_TYP_MAX || vb > SLP_TYP_MAX)
		return false;
	*a = (uint8_t)va;
	*b = (uint8_t)vb;
	return true;
}

bool acpi_aml_s5(const uint8_t *aml, size_t len, uint8_t *a, uint8_t *b)
{
	const uint8_t *end = aml + len;
	for (size_t i = 0; len >= 4 && i <= len - 4; i++) {
		if (memcmp(aml + i, "_S5_", 4) != 0)
			continue;
		/* A name declaration: NameOp, optionally the root prefix. */
		bool named = (i >= 1 && aml[i - 1] == AML_NAME_OP) ||
			     (i >= 2 && aml[i - 1] == AML_ROOT_CHAR &&
			      aml[i - 2] == AML_NAME_OP);
		if (named && s5_package(aml + i + 4, end, a, b))
			return true;
	}
	return false;
}

/* A PM1x_CNT port: the 64-bit GAS when the table has it (in I/O space),
 * else the 32-bit field; 0 when neither names an I/O port. */
static uint16_t pm1_port(uint32_t len, size_t x_off, const struct acpi_gas *x,
			 uint32_t legacy)
{
	if (len >= x_off + sizeof(*x) && x->addr) {
		if (x->space_id == ACPI_GAS_SYSTEM_IO && x->addr <= 0xffff)
			return (uint16_t)x->addr;
		return 0;
	}
	return legacy <= 0xffff ? (uint16_t)legacy : 0;
}

static void parse_dsdt(phys_addr_t pa, struct acpi_info *ai)
{
	struct acpi_sdt_header h;
	const char *why;
	if (!acpi_table_ok(pa, &h, &why) || memcmp(h.signature, "DSDT", 4)) {
		pr_warn("acpi: DSDT at %#llx unusable: %s\n",
			(unsigned long long)pa,
			memcmp(h.signature, "DSDT", 4) ? "wrong signature"
						       : why);
		ai->bad_tables++;
		return;
	}
	ai->dsdt_addr = pa;
	const uint8_t *body = (const uint8_t *)phys_to_virt(pa) + sizeof(h);
	ai->has_s5 = acpi_aml_s5(body, h.length - sizeof(h), &ai->s5_slp_typ_a,
				 &ai->s5_slp_typ_b);
}

void acpi_parse_fadt(phys_addr_t pa, uint32_t len, struct acpi_info *ai)
{
	struct acpi_fadt f;
	/* PM1a_CNT_BLK is in every version; the rest is optional. */
	if (len < offsetof(struct acpi_fadt, pm2_cnt_blk)) {
		pr_warn("acpi: FADT at %#llx too short (%u bytes)\n",
			(unsigned long long)pa, len);
		ai->bad_tables++;
		return;
	}
	memset(&f, 0, sizeof(f));
	memcpy(&f, phys_to_virt(pa), MIN((size_t)len, sizeof(f)));
	ai->has_fadt = true;
	ai->pm1a_cnt = pm1_port(len, offsetof(struct acpi_fadt, x_pm1a_cnt_blk),
				&f.x_pm1a_cnt_blk, f.pm1a_cnt_blk);
	ai->pm1b_cnt = pm1_port(len, offsetof(struct acpi_fadt, x_pm1b_cnt_blk),
				&f.x_pm1b_cnt_blk, f.pm1b_cnt_blk);
	if (len >= offsetof(struct acpi_fadt, arm_boot_arch) &&
	    (f.flags & ACPI_FADT_RESET_REG_SUP) && f.reset_reg.addr) {
		ai->has_reset = true;
		ai->reset_space = f.reset_reg.space_id;
		ai->reset_addr = f.reset_reg.addr;
		ai->reset_value = f.reset_value;
	}
	uint64_t dsdt = f.dsdt;
	if (len >= offsetof(struct acpi_fadt, x_pm1a_evt_blk) && f.x_dsdt)
		dsdt = f.x_dsdt;
	if (dsdt)
		parse_dsdt(dsdt, ai);
	pr_info("acpi: FADT: PM1a_CNT %#x, PM1b_CNT %#x, S5 %s, reset %s\n",
		ai->pm1a_cnt, ai->pm1b_cnt, ai->has_s5 ? "found" : "none",
		ai->has_reset ? "supported" : "none");
}
