/* cl_compositor: the client of /svc/compositord (PHASE0-PROTOCOL.md
 * sections 2 and 6, docs/graphics.md). cl_comp_connect opens a session
 * ({"cmd":"connect"}: a per-client endpoint), so the layers it creates
 * go when the client exits or crashes. A service that has no sessions
 * (answers BAD_CMD) is used through its public endpoint.
 * Requests are synchronous; the event stream (cl_comp_subscribe) is a
 * port the caller can wait on (cl_comp_event_port). Not thread-safe: one
 * thread per struct cl_comp. Results: CL_OK or a negative CL_ERR_*;
 * CL_ERR_REMOTE leaves the service's code/message in cl_comp_last(). */
#pragma once
#include "cl_gfx.h"
#include "cl_ports.h"

#define CL_COMP_PATH "/svc/compositord"

struct cl_comp {
	struct cl_gfx_conn g;
};
typedef struct cl_comp cl_comp;

/* NULL path: CL_COMP_PATH. Waits up to deadline (absolute ns) for the
 * name. The struct is heap-allocated; cl_comp_close frees it. */
cl_err_t cl_comp_open(const char *path, uint64_t deadline, cl_comp **out);
/* Phase-0's form: waits up to 5 s; NULL on failure. */
cl_comp *cl_comp_connect(const char *path);
/* After CL_ERR_CONN (compositord restarted): looks the name up again and
 * opens a new session (and a new subscription with the same events if
 * there was one). The layers of the old session are gone: rebuild. */
cl_err_t cl_comp_reconnect(cl_comp *c, uint64_t deadline);
void cl_comp_close(cl_comp *c);

/* The last answer (code/message after CL_ERR_REMOTE, result otherwise). */
const struct cl_resp *cl_comp_last(const cl_comp *c);
/* Any JSON request on the session (tests, output_list, status). */
cl_err_t cl_comp_request(cl_comp *c, const char *json);

cl_err_t cl_comp_create_layer(cl_comp *c, uint32_t *id);
cl_err_t cl_comp_destroy_layer(cl_comp *c, uint32_t id);
cl_err_t cl_comp_bind_image(cl_comp *c, uint32_t id, const char *path,
			    uint32_t w, uint32_t h, const char *format);
/* The grant is moved to compositord (also on failure once sent). */
cl_err_t cl_comp_bind_dmabuf(cl_comp *c, uint32_t id, handle_t grant,
			     uint32_t w, uint32_t h, const char *format,
			     uint32_t stride);
cl_err_t cl_comp_unbind(cl_comp *c, uint32_t id);
cl_err_t cl_comp_set(cl_comp *c, uint32_t id, const cl_comp_layer_params *p);
cl_err_t cl_comp_set_regs(cl_comp *c, const cl_reg_write *w, uint32_t n);
cl_err_t cl_comp_damage(cl_comp *c, uint32_t id, const cl_rect *r);
cl_err_t cl_comp_commit(cl_comp *c);
/* result.frame of the last answer (set, set_regs, commit), or 0. */
uint64_t cl_comp_last_frame(const cl_comp *c);

/* Subscribes to events ("vsync", "pageflip", "hotplug", "error"). */
cl_err_t cl_comp_subscribe(cl_comp *c, const char *const *events, uint32_t n);
/* The port the events arrive on (wait on it; 0 if not subscribed). */
handle_t cl_comp_event_port(const cl_comp *c);
cl_err_t cl_comp_next_event(cl_comp *c, uint64_t deadline, struct cl_event *ev);
