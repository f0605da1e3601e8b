/* hello_port: the seed's "hello, port" example (PHASE0-PROTOCOL.md
 * section 6) on the sdk-c compositor client: connects to
 * /svc/compositord (a session, waiting up to 5 s for the name), creates
 * a layer, subscribes to vsync and prints ten vsync timestamps with
 * their frame numbers. Built as `hello_port` and, for the older guest
 * test (t_client.c), `hello-port`. */
#include <stdio.h>

#include <execrt/sys.h>

#include "cl_compositor.h"

static struct cl_event ev;

int main(void)
{
	uint64_t t0 = (uint64_t)sys_clock_now();
	cl_comp *comp;
	cl_err_t e = cl_comp_open(NULL, t0 + 5000000000ull, &comp);
	if (e < 0) {
		printf("hello_port: connect: %s\n", cl_strerror(e));
		return 1;
	}
	uint32_t id = 0;
	e = cl_comp_create_layer(comp, &id);
	if (e < 0) {
		printf("hello_port: create_layer: %s %s\n", cl_strerror(e),
		       cl_comp_last(comp)->code);
		cl_comp_close(comp);
		return 1;
	}
	printf("hello_port: layer %u\n", id);

	static const char *const events[] = {"vsync"};
	e = cl_comp_subscribe(comp, events, 1);
	if (e < 0) {
		printf("hello_port: subscribe: %s\n", cl_strerror(e));
		cl_comp_close(comp);
		return 1;
	}
	int n = 0;
	while (n < 10) {
		uint64_t dl = (uint64_t)sys_clock_now() + 1000000000ull;
		e = cl_comp_next_event(comp, dl, &ev);
		if (e < 0)
			break;
		int64_t usec = 0, frame = -1;
		if (cl_event_int(&ev, "usec", &usec) == CL_OK) {
			cl_event_int(&ev, "frame", &frame);
			printf("vsync @ %lld frame %lld\n", (long long)usec,
			       (long long)frame);
			n++;
		}
		cl_event_close(&ev);
	}
	cl_comp_close(comp);
	if (n < 10) {
		printf("hello_port: events: %s\n", cl_strerror(e));
		return 1;
	}
	return 0;
}
