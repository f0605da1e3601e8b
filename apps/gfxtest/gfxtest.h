/* gfxtest: the graphics services checked from inside the guest, for
 * tests/system/test_graphics.py (docs/graphics.md "Testing"). */
#pragma once
#include "cl_blitter.h"
#include "cl_compositor.h"
#include "cl_copper.h"

uint64_t gt_now(void);
/* gfxtest errors: every malformed request to every service. */
int gt_errors(void);
/* gfxtest blit: blitterd's results byte for byte against a reference. */
int gt_blit(void);
/* gfxtest scene --hold MS: the pixel scene the host compares. */
int gt_scene(uint32_t hold_ms);
/* gt_bench.c: the graphics block of tools/bench.sh. */
int gt_bench_set(uint32_t n);
int gt_bench_comp(const char *scene, uint32_t frames);
int gt_hog(uint32_t seconds);
int gt_flood(uint32_t seconds);
