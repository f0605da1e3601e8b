/* comp_render: composes rectangles of a scene into an XRGB8888 image
 * (comp_blend.h has the pixel formula). Per damaged rectangle and row:
 * start from the topmost layer that is opaque, unscaled, unrotated,
 * alpha 1, normal and covers the row span (layers under it are skipped),
 * else from black; then blend each layer's span in z order (bottom
 * first); a run of opaque, unscaled, unrotated alpha layers over the same
 * span is blended in one pass (comp_blend_uniform_n). Unscaled, unrotated
 * layers are read in place (RGBA8 swizzled by the kernels); others are
 * sampled (comp_xform.h) into a row buffer first. Pure. */
#pragma once
#include <stdint.h>

#include "comp_scene.h"
#include "comp_xform.h"

struct comp_render {
	uint32_t n;		      /* layers to draw */
	uint32_t id[COMP_LAYERS_MAX]; /* bottom first */
	struct comp_xform xf[COMP_LAYERS_MAX];
	uint32_t la[COMP_LAYERS_MAX]; /* alpha 0..255 */
	uint32_t *tmp;		      /* a row buffer, >= out width */
};

/* The draw list of the scene's current registers (after comp_latch). */
void comp_render_prepare(struct comp_render *rc, const struct comp_scene *s,
			 uint32_t *rowbuf);
/* Composes r (clipped to w x h) into out (stride in pixels); the pixels
 * written. */
uint64_t comp_render_rect(struct comp_render *rc, const struct comp_scene *s,
			  uint32_t *out, uint32_t w, uint32_t h,
			  uint32_t stride, const struct disp_rect *r);
