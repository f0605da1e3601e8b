/* comp_xform: layer placement and inverse mapping (comp_xform.h). */
#include "comp_xform.h"

#include "comp_regs.h"

#define FIX 65536.0

/* sin and cos of x radians, |x| <= pi/4: Taylor series to x^15 (error
 * below 1e-13, far under a pixel at any size allowed). */
static void sincos_small(double x, double *s, double *c)
{
	double x2 = x * x, ts = x, tc = 1.0, ss = x, cc = 1.0;
	for (int k = 1; k <= 7; k++) {
		ts *= -x2 / ((2 * k) * (2 * k + 1));
		tc *= -x2 / ((2 * k - 1) * (2 * k));
		ss += ts;
		cc += tc;
	}
	*s = ss;
	*c = cc;
}

void comp_sincos_deg(double deg, double *s, double *c)
{
	deg = comp_reg_clamp(COMP_REG_ROTATION, deg); /* [0, 360) */
	/* Nearest multiple of 90 and the rest in [-45, 45]: exact values at
	 * the right angles. */
	int q = (int)((deg + 45.0) / 90.0);
	double rest = deg - 90.0 * q;
	double rs, rc;
	sincos_small(rest * (3.14159265358979323846 / 180.0), &rs, &rc);
	switch (q & 3) {
	case 0:
		*s = rs;
		*c = rc;
		break;
	case 1:
		*s = rc;
		*c = -rs;
		break;
	case 2:
		*s = -rs;
		*c = -rc;
		break;
	default:
		*s = -rc;
		*c = rs;
		break;
	}
}

static int32_t floor_i(double v)
{
	int32_t i = (int32_t)v;
	return (double)i > v ? i - 1 : i;
}

static int32_t ceil_i(double v)
{
	int32_t i = (int32_t)v;
	return (double)i < v ? i + 1 : i;
}

void comp_xform_make(struct comp_xform *xf, const double *r, uint32_t w,
		     uint32_t h)
{
	double sx = r[COMP_REG_SCALE_X], sy = r[COMP_REG_SCALE_Y];
	double x = r[COMP_REG_X], y = r[COMP_REG_Y];
	double sn, cs;
	comp_sincos_deg(r[COMP_REG_ROTATION], &sn, &cs);
	xf->w = w;
	xf->h = h;
	xf->hw = w / 2.0;
	xf->hh = h / 2.0;
	double W = w * sx, H = h * sy;
	xf->cx = x + W / 2.0;
	xf->cy = y + H / 2.0;
	xf->axis = sn == 0.0 && cs == 1.0;
	xf->unit = xf->axis && sx == 1.0 && sy == 1.0;
	xf->ox = (int32_t)x;
	xf->oy = (int32_t)y;
	/* src = R(-theta) (p - c) / scale + half. */
	xf->ixx = cs / sx;
	xf->ixy = sn / sx;
	xf->iyx = -sn / sy;
	xf->iyy = cs / sy;
	/* Box: the four corners turned about the centre. */
	double ex = W / 2.0, ey = H / 2.0;
	double ax = ex * (cs < 0 ? -cs : cs) + ey * (sn < 0 ? -sn : sn);
	double ay = ex * (sn < 0 ? -sn : sn) + ey * (cs < 0 ? -cs : cs);
	int32_t x0 = floor_i(xf->cx - ax), x1 = ceil_i(xf->cx + ax);
	int32_t y0 = floor_i(xf->cy - ay), y1 = ceil_i(xf->cy + ay);
	xf->box = (struct comp_rect){x0, y0, x1 - x0, y1 - y0};
}

void comp_xform_rect(const struct comp_xform *xf, const struct comp_rect *r,
		     struct comp_rect *out)
{
	if (!xf->axis) {
		*out = xf->box;
		return;
	}
	double sx = xf->ixx > 0 ? 1.0 / xf->ixx : 1.0;
	double sy = xf->iyy > 0 ? 1.0 / xf->iyy : 1.0;
	double left = xf->cx - xf->hw * sx, top = xf->cy - xf->hh * sy;
	int32_t x0 = floor_i(left + r->x * sx);
	int32_t y0 = floor_i(top + r->y * sy);
	int32_t x1 = ceil_i(left + ((double)r->x + r->w) * sx);
	int32_t y1 = ceil_i(top + ((double)r->y + r->h) * sy);
	*out = (struct comp_rect){x0, y0, x1 - x0, y1 - y0};
}

void comp_xform_row(const struct comp_xform *xf, int32_t x, int32_t y,
		    int64_t *u, int64_t *v, int64_t *du, int64_t *dv)
{
	double px = x + 0.5 - xf->cx, py = y + 0.5 - xf->cy;
	double su = px * xf->ixx + py * xf->ixy + xf->hw;
	double sv = px * xf->iyx + py * xf->iyy + xf->hh;
	*u = (int64_t)(su * FIX + (su < 0 ? -0.5 : 0.5));
	*v = (int64_t)(sv * FIX + (sv < 0 ? -0.5 : 0.5));
	*du = (int64_t)(xf->ixx * FIX + (xf->ixx < 0 ? -0.5 : 0.5));
	*dv = (int64_t)(xf->iyx * FIX + (xf->iyx < 0 ? -0.5 : 0.5));
}
