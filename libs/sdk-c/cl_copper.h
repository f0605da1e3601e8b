/* cl_copper: the client of /svc/copperd (PHASE0-PROTOCOL.md sections 3
 * and 6, docs/graphics.md "copperd"). A session like cl_compositor's:
 * the programs it loads go when the client does. Results: CL_OK or a
 * negative CL_ERR_*; after CL_ERR_REMOTE cl_copper_last() has the
 * service's code and message (a validation error names the op index). */
#pragma once
#include "cl_gfx.h"
#include "cl_ports.h"

#define CL_COPPER_PATH "/svc/copperd"

struct cl_copper {
	struct cl_gfx_conn g;
};
typedef struct cl_copper cl_copper;

cl_err_t cl_copper_open(const char *path, uint64_t deadline, cl_copper **out);
/* NULL path: CL_COPPER_PATH; waits up to 5 s; NULL on failure. */
cl_copper *cl_copper_connect(const char *path);
cl_err_t cl_copper_reconnect(cl_copper *c, uint64_t deadline);
void cl_copper_close(cl_copper *c);
const struct cl_resp *cl_copper_last(const cl_copper *c);
cl_err_t cl_copper_request(cl_copper *c, const char *json);

/* json: the program object {"version":1,"program":[ops]}. */
cl_err_t cl_copper_load(cl_copper *c, const char *json, uint32_t *prog_id);
/* With a capability mask object, e.g. {"layers":[1],"regs":["x","y"]}. */
cl_err_t cl_copper_load_masked(cl_copper *c, const char *json,
			       const char *mask_json, uint32_t *prog_id);
/* The binary form: n 64-bit ops (docs/graphics.md "Copper ops"). */
cl_err_t cl_copper_load_binary(cl_copper *c, const uint64_t *ops, uint32_t n,
			       uint32_t *prog_id);
cl_err_t cl_copper_start(cl_copper *c, uint32_t prog_id);
cl_err_t cl_copper_stop(cl_copper *c, uint32_t prog_id);
cl_err_t cl_copper_unload(cl_copper *c, uint32_t prog_id);

/* Events "irq" and "state"; the port to wait on. */
cl_err_t cl_copper_subscribe(cl_copper *c, const char *const *events,
			     uint32_t n);
handle_t cl_copper_event_port(const cl_copper *c);
cl_err_t cl_copper_next_event(cl_copper *c, uint64_t deadline,
			      struct cl_event *ev);
