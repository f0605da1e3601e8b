/* iod's ACPI reader (servers/iod/aml.c) over the tables QEMU 7.2
 * generates for q35 and pc (tests/host/data/acpi-*.bin, made by
 * tools/acpi-dump.py): the tables object walk, the FADT 8042 bit, the
 * PCI root's _PRT (q35: a Method choosing PRTA in APIC mode, GSIx link
 * devices with static _CRS; pc: a computed _PRT, reported as not
 * evaluated), and damaged AML that must be refused without a read out
 * of bounds (ASan). */
#include <stdlib.h>
#include <string.h>

#include "aml.h"
#include "harness.h"

static uint8_t *load(const char *name, size_t *len)
{
	char path[128];
	snprintf(path, sizeof(path), "tests/host/data/%s", name);
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	uint8_t *b = malloc(1 << 20);
	*len = fread(b, 1, 1 << 20, f);
	fclose(f);
	return b;
}

static const uint32_t isa_identity[16] = {2, 1, 2,  3,	4,  5,	6,  7,
					  8, 9, 10, 11, 12, 13, 14, 15};

TEST(iod_acpi_tables_object_walk)
{
	size_t len;
	uint8_t *b = load("acpi-q35.bin", &len);
	CHECK(b);
	uint32_t l;
	const uint8_t *d = acpi_table(b, len, "DSDT", 0, &l);
	CHECK(d == b); /* DSDT first */
	CHECK(acpi_table(b, len, "FACP", 0, &l));
	CHECK_EQ(l, 244);
	CHECK(acpi_table(b, len, "MCFG", 0, &l));
	CHECK(!acpi_table(b, len, "MCFG", 1, &l));
	CHECK(!acpi_table(b, len, "SSDX", 0, &l));
	CHECK_EQ(acpi_has_8042(b, len), 1); /* QEMU's q35 has an i8042 */
	/* A header whose length runs past the end stops the walk. */
	uint8_t bad[64];
	memcpy(bad, b, 64);
	bad[4] = 0xff;
	bad[5] = 0xff;
	CHECK(!acpi_table(bad, sizeof(bad), "DSDT", 0, &l));
	free(b);
	b = load("acpi-pc.bin", &len);
	CHECK(b);
	CHECK_EQ(acpi_has_8042(b, len), -1); /* FADT 1.0: not said */
	CHECK(!acpi_table(b, len, "MCFG", 0, &l));
	free(b);
}

TEST(iod_aml_q35_prt_apic_mode)
{
	size_t len;
	uint8_t *b = load("acpi-q35.bin", &len);
	CHECK(b);
	uint32_t l;
	const uint8_t *d = acpi_table(b, len, "DSDT", 0, &l);
	static struct prt p;
	CHECK_EQ(aml_root_prt(d, l, isa_identity, &p), AML_OK);
	/* 32 slots x 4 pins in PRTA, each routed to GSIA..GSIH = 16..23 */
	CHECK_EQ(p.n, 128);
	for (int i = 0; i < p.n; i++)
		CHECK(p.e[i].gsi >= 16 && p.e[i].gsi <= 23);
	/* ICH9 slots 0x19-0x1f: INTA-INTD on GSIA-GSID (16-19) */
	CHECK_EQ(prt_lookup(&p, 0x1f, 0), 16);
	CHECK_EQ(prt_lookup(&p, 0x1f, 3), 19);
	/* other slots: (slot + pin) % 4 over GSIE..GSIH (20-23) */
	CHECK_EQ(prt_lookup(&p, 0, 0), 20);
	CHECK_EQ(prt_lookup(&p, 2, 0), 22);
	CHECK_EQ(prt_lookup(&p, 3, 1), 20);
	CHECK_EQ(prt_lookup(&p, 4, 3), 23);
	CHECK_EQ(prt_lookup(&p, 40, 0), PRT_GSI_NONE);
	free(b);
}

TEST(iod_aml_pc_prt_is_reported_not_guessed)
{
	size_t len;
	uint8_t *b = load("acpi-pc.bin", &len);
	CHECK(b);
	uint32_t l;
	const uint8_t *d = acpi_table(b, len, "DSDT", 0, &l);
	static struct prt p;
	CHECK_EQ(aml_root_prt(d, l, isa_identity, &p), AML_UNSUPPORTED);
	CHECK_EQ(p.n, 0);
	free(b);
}

/* A hand-made DSDT with Name(_PRT, Package) and a link device with an
 * IRQ descriptor (ISA IRQ 10 -> GSI via the map), one with an extended
 * interrupt, and a direct GSI (source Zero). */
TEST(iod_aml_static_prt_and_irq_descriptor)
{
	static const uint8_t body[] = {
		/* Scope(\_SB) { */
		0x10,
		0x4a,
		0x07,
		'\\',
		'_',
		'S',
		'B',
		'_',
		/* Device(PCI0) { */
		0x5b,
		0x82,
		0x41,
		0x04,
		'P',
		'C',
		'I',
		'0',
		/* Name(_HID, EisaId("PNP0A03")) */
		0x08,
		'_',
		'H',
		'I',
		'D',
		0x0c,
		0x41,
		0xd0,
		0x0a,
		0x03,
		/* Name(_PRT, Package(3) { */
		0x08,
		'_',
		'P',
		'R',
		'T',
		0x12,
		0x2b,
		0x03,
		/* Package(4){0x0003ffff, 0, LNKA, 0} */
		0x12,
		0x0d,
		0x04,
		0x0c,
		0xff,
		0xff,
		0x03,
		0x00,
		0x00,
		'L',
		'N',
		'K',
		'A',
		0x00,
		/* Package(4){0x0004ffff, 1, LNKB, 0} */
		0x12,
		0x0d,
		0x04,
		0x0c,
		0xff,
		0xff,
		0x04,
		0x00,
		0x01,
		'L',
		'N',
		'K',
		'B',
		0x00,
		/* Package(4){0x0005ffff, 2, Zero, 0x11} */
		0x12,
		0x0c,
		0x04,
		0x0c,
		0xff,
		0xff,
		0x05,
		0x00,
		0x0a,
		0x02,
		0x00,
		0x0a,
		0x11,
		/* } } Device(LNKA) { Name(_CRS, Buffer { IRQ{10} end }) } */
		0x5b,
		0x82,
		0x13,
		'L',
		'N',
		'K',
		'A',
		0x08,
		'_',
		'C',
		'R',
		'S',
		0x11,
		0x08,
		0x0a,
		0x05,
		0x22,
		0x00,
		0x04,
		0x79,
		0x00,
		/* Device(LNKB) { Name(_CRS, Buffer { ExtInt{0x2a} end }) } */
		0x5b,
		0x82,
		0x19,
		'L',
		'N',
		'K',
		'B',
		0x08,
		'_',
		'C',
		'R',
		'S',
		0x11,
		0x0e,
		0x0a,
		0x0b,
		0x89,
		0x06,
		0x00,
		0x09,
		0x01,
		0x2a,
		0x00,
		0x00,
		0x00,
		0x79,
		0x00,
	};
	static uint8_t t[36 + sizeof(body)];
	memcpy(t, "DSDT", 4);
	t[4] = sizeof(t);
	memcpy(t + 36, body, sizeof(body));
	uint32_t isa[16];
	memcpy(isa, isa_identity, sizeof(isa));
	isa[10] = 42;
	static struct prt p;
	int r = aml_root_prt(t, sizeof(t), isa, &p);
	CHECK_EQ(r, AML_OK);
	CHECK_EQ(p.n, 3);
	CHECK_EQ(prt_lookup(&p, 3, 0), 42);
	CHECK_EQ(prt_lookup(&p, 4, 1), 0x2a);
	CHECK_EQ(prt_lookup(&p, 5, 2), 0x11);
	/* every truncation is refused or partial, never read past the end */
	for (size_t n = 36; n < sizeof(t); n++) {
		uint8_t *c = malloc(n);
		memcpy(c, t, n);
		aml_root_prt(c, n, isa, &p);
		free(c);
	}
}

/* Random damage to the real DSDTs: any answer, but no out-of-bounds read
 * (ASan) and no endless loop. */
TEST(iod_aml_damaged_dsdt)
{
	size_t len;
	uint8_t *b = load("acpi-q35.bin", &len);
	CHECK(b);
	uint32_t l;
	const uint8_t *d = acpi_table(b, len, "DSDT", 0, &l);
	uint8_t *c = malloc(l);
	static struct prt p;
	srand(14);
	for (int round = 0; round < 300; round++) {
		memcpy(c, d, l);
		for (int k = 0; k < 8; k++)
			c[36 + (size_t)rand() % (l - 36)] = (uint8_t)rand();
		aml_root_prt(c, l, isa_identity, &p);
		CHECK(p.n <= PRT_MAX);
	}
	free(c);
	free(b);
}

/* A tiny AML writer for the hostile tables below (REVIEW-14 F4). */
struct amlw {
	uint8_t *p;
	size_t n;
};

static void put(struct amlw *w, const void *b, size_t n)
{
	memcpy(w->p + w->n, b, n);
	w->n += n;
}

static void put8(struct amlw *w, uint8_t b)
{
	put(w, &b, 1);
}

/* A 3-byte PkgLength covering itself and len bytes of body. */
static void pkglen3(struct amlw *w, size_t len)
{
	size_t l = len + 3;
	put8(w, (uint8_t)(0x80 | (l & 0xf)));
	put8(w, (uint8_t)(l >> 4));
	put8(w, (uint8_t)(l >> 12));
}

static void dword(struct amlw *w, uint32_t v)
{
	put8(w, 0x0c);
	for (int i = 0; i < 4; i++)
		put8(w, (uint8_t)(v >> (8 * i)));
}

static size_t dsdt_finish(struct amlw *w)
{
	memcpy(w->p, "DSDT", 4);
	for (int i = 0; i < 4; i++)
		w->p[4 + i] = (uint8_t)(w->n >> (8 * i));
	return w->n;
}

static const uint8_t pci0_hid[] = {'P', 'C', 'I',  '0',	 0x08, '_',  'H',
				   'I', 'D', 0x0c, 0x41, 0xd0, 0x0a, 0x03};

/* A link device's _CRS Buffer whose PkgLength covers only itself: the
 * BufferSize integer lies outside the buffer, at the very end of the
 * table. link_gsi used to take it and walk up to 1M past the blob. */
TEST(iod_aml_crs_buffer_size_outside_the_buffer)
{
	struct amlw w = {calloc(1, 256), 36};
	/* Device(PCI0) { _HID; Name(_PRT, Package{Package{0xffff, 0, LNKA,
	 * 0}}) } */
	static const uint8_t prt[] = {0x08, '_',  'P',	'R',  'T',  0x12,
				      0x10, 0x01, 0x12, 0x0d, 0x04, 0x0c,
				      0xff, 0xff, 0x00, 0x00, 0x00, 'L',
				      'N',  'K',  'A',	0x00};
	put8(&w, 0x5b);
	put8(&w, 0x82);
	pkglen3(&w, sizeof(pci0_hid) + sizeof(prt));
	put(&w, pci0_hid, sizeof(pci0_hid));
	put(&w, prt, sizeof(prt));
	/* Device(LNKA) { Name(_CRS, Buffer with PkgLength 1) 0c 00 00 10 00 }
	 */
	static const uint8_t lnk[] = {0x5b, 0x82, 0x11, 'L', 'N', 'K',	'A',
				      0x08, '_',  'C',	'R', 'S', 0x11, 0x01};
	put(&w, lnk, sizeof(lnk));
	dword(&w, 0x100000);
	size_t n = dsdt_finish(&w);
	uint8_t *t = malloc(n); /* exact size: ASan sees any read past it */
	memcpy(t, w.p, n);
	static struct prt p;
	int r = aml_root_prt(t, n, isa_identity, &p);
	/* the entry is read, its link has no usable _CRS */
	CHECK(r == AML_OK || r == AML_UNSUPPORTED || r == AML_BAD);
	if (r == AML_OK)
		CHECK_EQ(prt_lookup(&p, 0, 0), PRT_GSI_NONE);
	free(t);
	free(w.p);
}

/* Method(_PRT){ If (LNot(...k times...(One))) { Return(PRTA) } } */
static uint8_t *lnot_dsdt(size_t k, size_t *len)
{
	static const uint8_t prta[] = {0x08, 'P',  'R',	 'T',  'A',  0x12, 0x0e,
				       0x01, 0x12, 0x0b, 0x04, 0x0c, 0xff, 0xff,
				       0x00, 0x00, 0x00, 0x00, 0x0a, 0x10};
	size_t ifbody = k + 1 + 5, meth = 4 + 1 + 1 + 3 + ifbody;
	size_t dev = sizeof(pci0_hid) + 1 + 3 + meth + sizeof(prta);
	struct amlw w = {calloc(1, 36 + 2 + 3 + dev), 36};
	put8(&w, 0x5b);
	put8(&w, 0x82);
	pkglen3(&w, dev);
	put(&w, pci0_hid, sizeof(pci0_hid));
	put8(&w, 0x14);
	pkglen3(&w, meth);
	put(&w, "_PRT", 4);
	put8(&w, 0x00);
	put8(&w, 0xa0);
	pkglen3(&w, ifbody);
	memset(w.p + w.n, 0x92, k);
	w.n += k;
	put8(&w, 0x01);
	put(&w, "\xa4PRTA", 5);
	put(&w, prta, sizeof(prta));
	*len = dsdt_finish(&w);
	return w.p;
}

/* A deep LNot chain used to recurse once per byte (stack overflow in
 * iod); a short one still evaluates. */
TEST(iod_aml_lnot_chain_depth_is_bounded)
{
	static struct prt p;
	size_t n;
	uint8_t *t = lnot_dsdt(2, &n); /* LNot(LNot(One)): true */
	CHECK_EQ(aml_root_prt(t, n, isa_identity, &p), AML_OK);
	CHECK_EQ(p.n, 1);
	CHECK_EQ(prt_lookup(&p, 0, 0), 0x10);
	free(t);
	t = lnot_dsdt(1, &n); /* LNot(One): false, no Return */
	CHECK(aml_root_prt(t, n, isa_identity, &p) != AML_OK);
	free(t);
	t = lnot_dsdt(500000, &n);
	CHECK_EQ(aml_root_prt(t, n, isa_identity, &p), AML_UNSUPPORTED);
	free(t);
}
