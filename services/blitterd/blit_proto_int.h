/* blit_proto's internals shared by blit_proto.c (jobs, events,
 * commands) and blit_parse.c (fields, grants' mappings). */
#pragma once
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "blit_proto.h"

/* The answer a fails with code and a formatted message. */
__attribute__((format(printf, 3, 4))) static inline void
fail(struct blit_ans *a, const char *code, const char *fmt, ...)
{
	a->ok = false;
	snprintf(a->code, sizeof(a->code), "%s", code);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(a->message, sizeof(a->message), fmt, ap);
	va_end(ap);
}

/* blit_parse.c */
/* Drops one use of mapping m (unmapped with the last). */
void mem_put(struct blit_svc *s, struct blit_mem *m);
/* Integer member key of object tok in [lo, hi]: 0, -1 missing, -2 bad. */
int get_int(struct blit_svc *s, int tok, const char *key, int64_t lo,
	    int64_t hi, int64_t *out);
/* Surface id as seen from the endpoint of badge (its own only), or NULL. */
/* The table of surfaces or mappings is full: unbinds the public surface
 * of an ended maker used least recently; false if there is none. */
bool blit_reclaim(struct blit_svc *s);
struct blit_bound *bound_find(struct blit_svc *s, int64_t id, uint64_t badge);
/* A surface description {fd,w,h,format,stride} at object t: the grant
 * mapped (a reference taken, in *mem) and checked against the size; 0,
 * or -1 with a failed. */
int surf_desc(struct blit_svc *s, int t, const uint32_t *h, uint32_t nh,
	      struct blit_surf *out, struct blit_mem **mem, bool *can_write,
	      struct blit_ans *a, const char *what);
/* One op named name (its fields at object tok) into s->job: 0, or -1
 * with a failed (pfx before the message). */
int parse_op(struct blit_svc *s, int tok, const char *name, const uint32_t *h,
	     uint32_t nh, struct blit_ans *a, const char *pfx);
/* A "batch" request's ops into s->job: 0, or -1 with a failed. */
int parse_batch(struct blit_svc *s, const uint32_t *h, uint32_t nh,
		struct blit_ans *a);
