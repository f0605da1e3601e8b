/* comp_regs: register names and clamping (comp_regs.h). Pure. */
#include "comp_regs.h"

#include <string.h>

static const char *const reg_names[COMP_REG_COUNT] = {
	[COMP_REG_X] = "x",
	[COMP_REG_Y] = "y",
	[COMP_REG_ALPHA] = "alpha",
	[COMP_REG_Z] = "z",
	[COMP_REG_VISIBLE] = "visible",
	[COMP_REG_SCALE_X] = "scale_x",
	[COMP_REG_SCALE_Y] = "scale_y",
	[COMP_REG_ROTATION] = "rotation",
	[COMP_REG_BLEND] = "blend",
};

static const char *const blend_names[COMP_BLEND_COUNT] = {"normal", "add",
							  "mul", "screen"};

static int lookup(const char *const *tab, int n, const char *s, size_t len)
{
	for (int i = 0; i < n; i++)
		if (strlen(tab[i]) == len && memcmp(tab[i], s, len) == 0)
			return i;
	return -1;
}

int comp_reg_lookup(const char *s, size_t len)
{
	return lookup(reg_names, COMP_REG_COUNT, s, len);
}

const char *comp_reg_name(uint32_t reg)
{
	return reg < COMP_REG_COUNT ? reg_names[reg] : NULL;
}

int comp_blend_lookup(const char *s, size_t len)
{
	return lookup(blend_names, COMP_BLEND_COUNT, s, len);
}

const char *comp_blend_name(uint32_t blend)
{
	return blend < COMP_BLEND_COUNT ? blend_names[blend] : NULL;
}

int comp_reg_parse_n(const char *s, size_t len, uint32_t *layer, uint32_t *reg)
{
	static const char pre[] = "layer[";
	size_t i = sizeof pre - 1;
	if (len < i || memcmp(s, pre, i) != 0)
		return -1;
	uint32_t id = 0;
	size_t digits = 0;
	while (i < len && s[i] >= '0' && s[i] <= '9') {
		if (digits++ >= 3)
			return -1; /* ids are at most 255: 3 digits */
		id = id * 10 + (uint32_t)(s[i++] - '0');
	}
	if (digits == 0 || id == 0 || id > COMP_LAYER_ID_MAX)
		return -1;
	if (i + 2 > len || s[i] != ']' || s[i + 1] != '.')
		return -1;
	i += 2;
	int r = comp_reg_lookup(s + i, len - i);
	if (r < 0)
		return -1;
	*layer = id;
	*reg = (uint32_t)r;
	return 0;
}

int comp_reg_parse(const char *name, uint32_t *layer, uint32_t *reg)
{
	if (!name)
		return -1;
	return comp_reg_parse_n(name, strlen(name), layer, reg);
}

double comp_reg_default(uint32_t reg)
{
	switch (reg) {
	case COMP_REG_ALPHA:
	case COMP_REG_VISIBLE:
	case COMP_REG_SCALE_X:
	case COMP_REG_SCALE_Y:
		return 1.0;
	default:
		return 0.0;
	}
}

static double clampd(double v, double lo, double hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* Round half away from zero; v already clamped to int32's range. No
 * libm: the host tests and copperd link without it. */
static double round_int(double v)
{
	return (double)(long long)(v < 0 ? v - 0.5 : v + 0.5);
}

double comp_reg_clamp(uint32_t reg, double v)
{
	if (v != v) /* NaN */
		return comp_reg_default(reg);
	switch (reg) {
	case COMP_REG_X:
	case COMP_REG_Y:
		return round_int(clampd(v, -COMP_POS_MAX, COMP_POS_MAX));
	case COMP_REG_ALPHA:
		return clampd(v, 0.0, 1.0);
	case COMP_REG_Z:
		return round_int(
			clampd(v, (double)INT32_MIN, (double)INT32_MAX));
	case COMP_REG_VISIBLE:
		return v != 0.0 ? 1.0 : 0.0;
	case COMP_REG_SCALE_X:
	case COMP_REG_SCALE_Y:
		return clampd(v, COMP_SCALE_MIN, COMP_SCALE_MAX);
	case COMP_REG_ROTATION: {
		if (v > 1e15 || v < -1e15)
			return 0.0; /* no degree precision left (and inf) */
		double r = v - 360.0 * (double)(long long)(v / 360.0);
		if (r < 0)
			r += 360.0;
		return r >= 360.0 ? 0.0 : r;
	}
	case COMP_REG_BLEND: {
		double b = round_int(clampd(v, 0, COMP_BLEND_COUNT - 1));
		return b;
	}
	default:
		return 0.0;
	}
}
