/* EDID parser (drivers/display/edid.c): identity, every timing kind, the
 * preferred mode, CTA extensions, and damaged input. */
#include <stdlib.h>

#include "harness.h"
#include "edid.h"

static void checksum(uint8_t *b)
{
	uint8_t s = 0;
	for (int i = 0; i < 127; i++)
		s = (uint8_t)(s + b[i]);
	b[127] = (uint8_t)(0x100 - s);
}

/* A detailed timing: active, blanking, pixel clock in 10 kHz. */
static void dtd(uint8_t *d, uint32_t clk, uint32_t ha, uint32_t hb, uint32_t va,
		uint32_t vb, uint32_t wmm, uint32_t hmm)
{
	memset(d, 0, 18);
	d[0] = (uint8_t)clk;
	d[1] = (uint8_t)(clk >> 8);
	d[2] = (uint8_t)ha;
	d[3] = (uint8_t)hb;
	d[4] = (uint8_t)((ha >> 8) << 4 | (hb >> 8));
	d[5] = (uint8_t)va;
	d[6] = (uint8_t)vb;
	d[7] = (uint8_t)((va >> 8) << 4 | (vb >> 8));
	d[12] = (uint8_t)wmm;
	d[13] = (uint8_t)hmm;
	d[14] = (uint8_t)((wmm >> 8) << 4 | (hmm >> 8));
}

/* Shaped like QEMU's: 1280x800 preferred, a name, established and
 * standard timings. */
static void make(uint8_t *b)
{
	memset(b, 0, 128);
	static const uint8_t hdr[8] = {0,    0xff, 0xff, 0xff,
				       0xff, 0xff, 0xff, 0};
	memcpy(b, hdr, 8);
	uint16_t mfg = 17 << 10 | 5 << 5 | 13; /* QEM */
	b[8] = (uint8_t)(mfg >> 8);
	b[9] = (uint8_t)mfg;
	b[10] = 0x34;
	b[11] = 0x12;
	b[12] = 1;
	b[18] = 1;
	b[19] = 4;
	b[21] = 30;
	b[22] = 19;
	b[35] = 0x21; /* 640x480@60, 800x600@60 */
	b[36] = 0x08; /* 1024x768@60 */
	for (int i = 0; i < 8; i++)
		b[38 + 2 * i] = b[39 + 2 * i] = 1;
	b[38] = 1280 / 8 - 31; /* 1280x1024@60 (5:4) */
	b[39] = 2 << 6;
	b[40] = 1920 / 8 - 31; /* 1920x1080@75 (16:9) */
	b[41] = 3 << 6 | 15;
	dtd(b + 54, 7100, 1280, 160, 800, 23, 286, 179);
	uint8_t *n = b + 72; /* monitor name */
	n[3] = 0xfc;
	memcpy(n + 5, "QEMU Monitor\n", 13);
	b[90 + 3] = 0x10; /* dummy descriptors */
	b[108 + 3] = 0x10;
	checksum(b);
}

static int find(const struct edid_info *e, uint32_t w, uint32_t h, uint32_t hz)
{
	for (uint32_t i = 0; i < e->nmodes; i++)
		if (e->modes[i].width == w && e->modes[i].height == h &&
		    (e->modes[i].refresh_mhz + 500) / 1000 == hz)
			return (int)i;
	return -1;
}

TEST(edid_reads_identity_and_every_timing_kind)
{
	uint8_t b[128];
	make(b);
	struct edid_info e;
	CHECK_EQ(edid_parse(b, sizeof(b), &e), 0);
	STR_EQ(e.vendor, "QEM");
	CHECK_EQ(e.product, 0x1234);
	CHECK_EQ(e.serial, 1);
	STR_EQ(e.name, "QEMU Monitor");
	CHECK_EQ(e.width_mm, 286); /* the detailed timing's, not the cm */
	CHECK_EQ(e.height_mm, 179);
	CHECK_EQ(e.nmodes, 6);
	/* Preferred first: 71 MHz / (1440 * 823) = 59.910 Hz. */
	CHECK_EQ(e.modes[0].width, 1280);
	CHECK_EQ(e.modes[0].height, 800);
	CHECK_EQ(e.modes[0].refresh_mhz, 59910);
	CHECK(e.modes[0].flags & DISP_MODE_PREFERRED);
	CHECK(find(&e, 640, 480, 60) > 0);
	CHECK(find(&e, 800, 600, 60) > 0);
	CHECK(find(&e, 1024, 768, 60) > 0);
	CHECK(find(&e, 1280, 1024, 60) > 0);
	CHECK(find(&e, 1920, 1080, 75) > 0);
	/* Then by area, largest first. */
	CHECK_EQ(e.modes[1].width, 1920);
	CHECK_EQ(e.modes[e.nmodes - 1].width, 640);
	for (uint32_t i = 1; i < e.nmodes; i++)
		CHECK(!(e.modes[i].flags & DISP_MODE_PREFERRED));
}

TEST(edid_refuses_short_bad_header_and_checksum)
{
	uint8_t b[128];
	struct edid_info e;
	make(b);
	CHECK_EQ(edid_parse(b, 127, &e), EDID_ERR_SHORT);
	CHECK_EQ(edid_parse(NULL, 128, &e), EDID_ERR_SHORT);
	b[60] ^= 1;
	CHECK_EQ(edid_parse(b, 128, &e), EDID_ERR_CHECKSUM);
	make(b);
	b[0] = 1;
	checksum(b);
	CHECK_EQ(edid_parse(b, 128, &e), EDID_ERR_HEADER);
	CHECK_EQ(e.nmodes, 0);
}

TEST(edid_cta_extension_adds_modes_and_bad_blocks_are_skipped)
{
	uint8_t b[384];
	make(b);
	b[126] = 2;
	checksum(b);
	uint8_t *x = b + 128;
	memset(x, 0, 128);
	x[0] = 0x02;
	x[1] = 3;
	x[2] = 4; /* detailed timings right after the header */
	dtd(x + 4, 14850, 1920, 280, 1080, 45, 0, 0); /* 1080p60 */
	dtd(x + 22, 7425, 1280, 370, 720, 30, 0, 0);  /* 720p60 */
	checksum(x);
	uint8_t *y = b + 256; /* bad checksum: skipped */
	memset(y, 0, 128);
	y[0] = 0x02;
	y[2] = 4;
	dtd(y + 4, 5000, 1000, 100, 500, 20, 0, 0);
	y[127] = 0x55;
	struct edid_info e;
	CHECK_EQ(edid_parse(b, sizeof(b), &e), 0);
	CHECK_EQ(e.ext_bad, 1);
	CHECK(find(&e, 1920, 1080, 60) > 0);
	CHECK(find(&e, 1280, 720, 60) > 0);
	CHECK(find(&e, 1000, 500, 87) < 0);
	/* Only the blocks that are there: a count beyond len reads nothing. */
	CHECK_EQ(edid_parse(b, 128, &e), 0);
	CHECK(find(&e, 1280, 720, 60) < 0);
}

TEST(edid_interlaced_and_oversized_timings_are_left_out)
{
	uint8_t b[128];
	make(b);
	dtd(b + 90, 7425, 1920, 280, 540, 22, 0, 0);
	b[90 + 17] = 0x80;				/* interlaced */
	dtd(b + 108, 60000, 4095, 100, 4095, 10, 0, 0); /* fits 12 bits */
	checksum(b);
	struct edid_info e;
	CHECK_EQ(edid_parse(b, 128, &e), 0);
	CHECK(find(&e, 1920, 540, 60) < 0);
	CHECK_EQ(e.nmodes, 7); /* 4095x4095 is within DISP_DIM_MAX */
}

TEST(edid_random_damage_never_breaks_the_parser)
{
	uint8_t good[384];
	make(good);
	good[126] = 2;
	checksum(good);
	srand(14);
	for (int round = 0; round < 20000; round++) {
		uint8_t b[384];
		memcpy(b, good, sizeof(b));
		for (int k = 0; k < 1 + rand() % 40; k++)
			b[rand() % (int)sizeof(b)] = (uint8_t)rand();
		if (rand() % 2)
			checksum(b);
		if (rand() % 2) {
			b[128] = 2;
			b[130] = (uint8_t)rand();
			checksum(b + 128);
		}
		size_t len = (size_t)(rand() % 400);
		struct edid_info e;
		int r = edid_parse(b, len < sizeof(b) ? len : sizeof(b), &e);
		CHECK(r <= 0);
		CHECK(e.nmodes <= DISP_MODES_MAX);
		for (uint32_t i = 0; i < e.nmodes; i++) {
			CHECK(e.modes[i].width &&
			      e.modes[i].width <= DISP_DIM_MAX);
			CHECK(e.modes[i].height &&
			      e.modes[i].height <= DISP_DIM_MAX);
			CHECK(e.modes[i].refresh_mhz > 0);
		}
		CHECK(strlen(e.name) <= 13);
	}
}
