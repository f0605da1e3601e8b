/* The \_S5 scan of DSDT AML (kernel/acpi/fadt.c) on byte strings: the
 * integer forms, name prefixes, PkgLength encodings, and truncated or
 * hostile input (each buffer is an exact-size allocation, so ASan stops
 * any read past its end). */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include <kern/acpi.h>

static int s5(const uint8_t *aml, size_t n, int *a, int *b)
{
	uint8_t *copy = malloc(n ? n : 1);
	if (n)
		memcpy(copy, aml, n);
	uint8_t va = 0xee, vb = 0xee;
	bool ok = acpi_aml_s5(copy, n, &va, &vb);
	free(copy);
	*a = va;
	*b = vb;
	return ok;
}

#define S5_NAME 0x08, '_', 'S', '5', '_'

TEST(aml_s5_integer_forms)
{
	int a, b;
	static const uint8_t zero_one[] = {S5_NAME, 0x12, 0x04,
					   0x02,    0x00, 0x01};
	CHECK(s5(zero_one, sizeof(zero_one), &a, &b));
	CHECK_EQ(a, 0);
	CHECK_EQ(b, 1);
	static const uint8_t bytes[] = {S5_NAME, 0x12, 0x06, 0x02,
					0x0a,	 0x07, 0x0a, 0x03};
	CHECK(s5(bytes, sizeof(bytes), &a, &b));
	CHECK_EQ(a, 7);
	CHECK_EQ(b, 3);
	static const uint8_t wide[] = {S5_NAME, 0x12, 0x0a, 0x03, 0x0b,
				       0x05,	0x00, 0x0c, 0x06, 0x00,
				       0x00,	0x00, 0x01};
	CHECK(s5(wide, sizeof(wide), &a, &b));
	CHECK_EQ(a, 5);
	CHECK_EQ(b, 6);
	static const uint8_t qword[] = {
		S5_NAME, 0x12, 0x0c, 0x02, 0x0e, 2, 0, 0, 0, 0, 0, 0, 0, 0x00};
	CHECK(s5(qword, sizeof(qword), &a, &b));
	CHECK_EQ(a, 2);
	CHECK_EQ(b, 0);
}

TEST(aml_s5_refuses_bad_values_and_shapes)
{
	int a, b;
	/* SLP_TYP is 3 bits: 8 is no sleep type. */
	static const uint8_t big[] = {S5_NAME, 0x12, 0x05, 0x02,
				      0x0a,    0x08, 0x00};
	CHECK(!s5(big, sizeof(big), &a, &b));
	static const uint8_t wordbig[] = {S5_NAME, 0x12, 0x06, 0x02,
					  0x0b,	   0x00, 0x01, 0x00};
	CHECK(!s5(wordbig, sizeof(wordbig), &a, &b));
	/* One element only; a non-integer element (a string). */
	static const uint8_t one[] = {S5_NAME, 0x12, 0x03, 0x01, 0x00};
	CHECK(!s5(one, sizeof(one), &a, &b));
	static const uint8_t str[] = {S5_NAME, 0x12, 0x06, 0x02,
				      0x0d,    'x',  0x00, 0x00};
	CHECK(!s5(str, sizeof(str), &a, &b));
	/* Not a package; not a name declaration (a reference). */
	static const uint8_t notpkg[] = {S5_NAME, 0x0a, 0x05};
	CHECK(!s5(notpkg, sizeof(notpkg), &a, &b));
	static const uint8_t ref[] = {0x70, '_',  'S',	'5',  '_',
				      0x12, 0x04, 0x02, 0x00, 0x00};
	CHECK(!s5(ref, sizeof(ref), &a, &b));
	/* The package's own length ends before its second element. */
	static const uint8_t shortpkg[] = {S5_NAME, 0x12, 0x03,
					   0x02,    0x00, 0x00};
	CHECK(!s5(shortpkg, sizeof(shortpkg), &a, &b));
	/* A package length beyond the AML. */
	static const uint8_t longpkg[] = {S5_NAME, 0x12, 0x3f,
					  0x02,	   0x00, 0x00};
	CHECK(!s5(longpkg, sizeof(longpkg), &a, &b));
	/* A PkgLength of 0 (smaller than its own encoding). */
	static const uint8_t zerolen[] = {S5_NAME, 0x12, 0x00,
					  0x02,	   0x00, 0x00};
	CHECK(!s5(zerolen, sizeof(zerolen), &a, &b));
	CHECK(!s5(NULL, 0, &a, &b));
}

TEST(aml_s5_prefixes_and_first_valid)
{
	int a, b;
	/* Root prefix, a two-byte PkgLength, and a decoy reference first. */
	static const uint8_t aml[] = {0x70, '_',  'S',	'5',  '_',  0x60,
				      0x08, 0x5c, '_',	'S',  '5',  '_',
				      0x12, 0x46, 0x00, 0x04, 0x01, 0x0a,
				      0x02, 0x00, 0x00, 0x00, 0x00, 0x00};
	CHECK(s5(aml, sizeof(aml), &a, &b));
	CHECK_EQ(a, 1);
	CHECK_EQ(b, 2);
	/* A bad _S5_ first, then a good one: the good one. */
	static const uint8_t two[] = {S5_NAME, 0x12, 0x04, 0x02, 0x0a, 0x09,
				      S5_NAME, 0x12, 0x04, 0x02, 0x01, 0x00};
	CHECK(s5(two, sizeof(two), &a, &b));
	CHECK_EQ(a, 1);
	CHECK_EQ(b, 0);
}

TEST(aml_s5_every_truncation)
{
	/* QEMU's form; every cut before the second element fails and
	 * never reads past the cut. */
	static const uint8_t aml[] = {0x10, 0x08, 0x5c, 0x00, S5_NAME,
				      0x12, 0x06, 0x04, 0x0a, 0x05,
				      0x01, 0x00, 0x00};
	int a, b;
	for (size_t n = 0; n <= sizeof(aml); n++) {
		int ok = s5(aml, n, &a, &b);
		/* Complete only with the whole package (its length is 6). */
		CHECK_EQ(ok, n >= 4 + 5 + 1 + 6);
		if (ok) {
			CHECK_EQ(a, 5);
			CHECK_EQ(b, 1);
		}
	}
}
