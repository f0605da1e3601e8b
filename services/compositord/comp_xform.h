/* comp_xform: where a layer lands on screen and which source pixel each
 * screen pixel shows. Scale and rotation are about the layer's centre:
 * the unrotated layer covers [x, x + w*scale_x) x [y, y + h*scale_y);
 * rotation turns it clockwise on screen (y grows down) by `rotation`
 * degrees about that rectangle's centre. Sampling is by inverse mapping
 * of each pixel's centre, nearest neighbour (exact for scale 1 and
 * multiples of 90 degrees). Fixed point 16.16 in the inner loops. Pure,
 * no libm (sin/cos by series). */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "comp_scene.h"

struct comp_xform {
	bool axis;	      /* rotation 0: rows map to rows */
	bool unit;	      /* axis and scale 1: a plain offset */
	int32_t ox, oy;	      /* unit: source = screen - (ox, oy) */
	double cx, cy;	      /* centre on screen */
	double hw, hh;	      /* half the source size */
	double ixx, ixy;      /* d(src x)/d(screen x), d(src x)/d(screen y) */
	double iyx, iyy;      /* d(src y)/d(screen x), d(src y)/d(screen y) */
	struct comp_rect box; /* screen bounding box */
	uint32_t w, h;	      /* source size */
};

void comp_sincos_deg(double deg, double *s, double *c);
/* r: the register values (COMP_REG_*). */
void comp_xform_make(struct comp_xform *xf, const double *r, uint32_t w,
		     uint32_t h);
/* A source-space rect to the screen box it covers (axis-aligned layers;
 * otherwise the layer's whole box). */
void comp_xform_rect(const struct comp_xform *xf, const struct comp_rect *r,
		     struct comp_rect *out);
/* The source coordinates (16.16) of screen pixel (x, y)'s centre and the
 * steps per screen pixel along x. */
void comp_xform_row(const struct comp_xform *xf, int32_t x, int32_t y,
		    int64_t *u, int64_t *v, int64_t *du, int64_t *dv);
