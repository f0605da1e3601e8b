/* comp_srv_int: what comp_srv.c and comp_query.c share (reply helpers,
 * argument readers, the requests comp_query.c answers). Internal. */
#pragma once
#include <stdio.h>

#include "comp_srv.h"

static inline void fail(struct comp_reply *r, const char *code, const char *msg)
{
	r->ok = false;
	snprintf(r->code, sizeof(r->code), "%s", code);
	snprintf(r->message, sizeof(r->message), "%s", msg);
}

static inline void okf(struct comp_reply *r, const char *result)
{
	r->ok = true;
	snprintf(r->result, sizeof(r->result), "%s", result);
}

static inline const char *ops_code(int e)
{
	switch (e) {
	case COMP_OPS_NOMEM:
		return "NO_MEMORY";
	case COMP_OPS_BUSY:
		return "BUSY";
	case COMP_OPS_NOENT:
		return "NOT_FOUND";
	default:
		return "BAD_ARG";
	}
}

int comp_get_u32(const struct json_doc *d, const char *key, uint64_t lo,
		 uint64_t hi, uint32_t *out);
struct comp_layer *comp_layer_arg(struct comp_srv *s, uint64_t owner,
				  struct comp_reply *r, uint32_t *id);

void comp_q_subscribe(struct comp_srv *s, uint64_t owner, uint32_t nh,
		      struct comp_reply *r);
void comp_q_output_list(struct comp_srv *s, struct comp_reply *r);
void comp_q_set_mode(struct comp_srv *s, struct comp_reply *r);
void comp_q_get(struct comp_srv *s, uint64_t owner, struct comp_reply *r);
void comp_q_read_pixel(struct comp_srv *s, struct comp_reply *r);
void comp_q_status(struct comp_srv *s, struct comp_reply *r);
