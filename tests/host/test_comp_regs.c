/* compositord's register names and clamping (services/compositord/
 * comp_regs.c). */
#include "harness.h"

#include "comp_regs.h"

TEST(comp_reg_parse_names)
{
	uint32_t l = 0, r = 0;
	CHECK_EQ(comp_reg_parse("layer[3].x", &l, &r), 0);
	CHECK_EQ(l, 3);
	CHECK_EQ(r, COMP_REG_X);
	CHECK_EQ(comp_reg_parse("layer[64].blend", &l, &r), 0);
	CHECK_EQ(l, 64);
	CHECK_EQ(r, COMP_REG_BLEND);
	CHECK_EQ(comp_reg_parse("layer[1].scale_y", &l, &r), 0);
	CHECK_EQ(r, COMP_REG_SCALE_Y);
	CHECK_EQ(comp_reg_parse("layer[12].rotation", &l, &r), 0);
	CHECK_EQ(l, 12);
	CHECK_EQ(r, COMP_REG_ROTATION);
	for (uint32_t i = 0; i < COMP_REG_COUNT; i++) {
		char buf[40];
		snprintf(buf, sizeof buf, "layer[7].%s", comp_reg_name(i));
		CHECK_EQ(comp_reg_parse(buf, &l, &r), 0);
		CHECK_EQ(r, i);
	}
}

TEST(comp_reg_parse_rejects)
{
	static const char *bad[] = {
		"",
		"layer[0].x",
		"layer[256].x", /* ids are 1..255 (comp_proto.h) */
		"layer[].x",
		"layer[1]x",
		"layer[1].",
		"layer[1].xx",
		"layer[1].x ",
		"Layer[1].x",
		"layer[1.x",
		"layer[0001].x",
		"layer[-1].x",
		"layer[1]..x",
		"layer[1].sca",
		"layer[99999].x",
		"x",
	};
	uint32_t l = 77, r = 77;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (comp_reg_parse(bad[i], &l, &r) != -1) {
			fprintf(stderr, "    accepted \"%s\"\n", bad[i]);
			CHECK(0);
		}
	}
	CHECK_EQ(l, 77); /* untouched on failure */
	CHECK_EQ(comp_reg_parse(NULL, &l, &r), -1);
	/* Length-bounded form: a key that is a prefix of a longer buffer. */
	CHECK_EQ(comp_reg_parse_n("layer[2].alphaXYZ", 14, &l, &r), 0);
	CHECK_EQ(l, 2);
	CHECK_EQ(r, COMP_REG_ALPHA);
}

TEST(comp_reg_clamp_ranges)
{
	CHECK(comp_reg_clamp(COMP_REG_X, 40000) == 32767);
	CHECK(comp_reg_clamp(COMP_REG_Y, -1e9) == -32767);
	CHECK(comp_reg_clamp(COMP_REG_X, 10.4) == 10);
	CHECK(comp_reg_clamp(COMP_REG_X, -10.6) == -11);
	CHECK(comp_reg_clamp(COMP_REG_ALPHA, 1.5) == 1.0);
	CHECK(comp_reg_clamp(COMP_REG_ALPHA, -0.1) == 0.0);
	CHECK(comp_reg_clamp(COMP_REG_ALPHA, 0.25) == 0.25);
	CHECK(comp_reg_clamp(COMP_REG_SCALE_X, 0) == 1.0 / 64);
	CHECK(comp_reg_clamp(COMP_REG_SCALE_Y, 1000) == 64);
	CHECK(comp_reg_clamp(COMP_REG_ROTATION, 370) == 10);
	CHECK(comp_reg_clamp(COMP_REG_ROTATION, -90) == 270);
	CHECK(comp_reg_clamp(COMP_REG_ROTATION, 720) == 0);
	CHECK(comp_reg_clamp(COMP_REG_ROTATION, 1e300) == 0);
	CHECK(comp_reg_clamp(COMP_REG_Z, 1e12) == INT32_MAX);
	CHECK(comp_reg_clamp(COMP_REG_Z, -1e12) == INT32_MIN);
	CHECK(comp_reg_clamp(COMP_REG_VISIBLE, 5) == 1);
	CHECK(comp_reg_clamp(COMP_REG_VISIBLE, 0) == 0);
	CHECK(comp_reg_clamp(COMP_REG_BLEND, 9) == COMP_BLEND_SCREEN);
	CHECK(comp_reg_clamp(COMP_REG_BLEND, -3) == COMP_BLEND_NORMAL);
	double nan = __builtin_nan("");
	CHECK(comp_reg_clamp(COMP_REG_ALPHA, nan) == 1.0);
	CHECK(comp_reg_clamp(COMP_REG_X, nan) == 0.0);
	CHECK(comp_reg_clamp(COMP_REG_COUNT, 5) == 0.0);
	CHECK(comp_reg_name(COMP_REG_COUNT) == NULL);
}

TEST(comp_blend_names)
{
	CHECK_EQ(comp_blend_lookup("screen", 6), COMP_BLEND_SCREEN);
	CHECK_EQ(comp_blend_lookup("mul", 3), COMP_BLEND_MUL);
	CHECK_EQ(comp_blend_lookup("over", 4), -1);
	STR_EQ(comp_blend_name(COMP_BLEND_ADD), "add");
	CHECK(comp_blend_name(4) == NULL);
}
