/* hello-port: the seed's "hello, port" example in C. Connects to
 * /svc/compositord through the name service (waiting up to 5 s for it),
 * creates a layer, subscribes to vsync and prints ten vsync timestamps. */
#include <stdio.h>

#include <execrt/sys.h>

#include "cl_ports.h"

static struct cl_resp resp;
static struct cl_event ev;

int main(void)
{
	struct cl_conn comp;
	uint64_t t0 = (uint64_t)sys_clock_now();
	cl_err_t e = cl_connect("/svc/compositord", t0 + 5000000000ull, &comp);
	if (e < 0) {
		printf("hello-port: connect: %s\n", cl_strerror(e));
		return 1;
	}

	e = cl_request(&comp, "{\"cmd\":\"create_layer\"}", &resp);
	int64_t id = 0;
	if (e < 0 || cl_resp_int(&resp, "id", &id) < 0) {
		printf("hello-port: create_layer: %s %s\n", cl_strerror(e),
		       resp.code);
		cl_close(&comp);
		return 1;
	}
	printf("hello-port: layer %lld\n", (long long)id);

	static const char *const events[] = {"vsync"};
	struct cl_stream vs;
	e = cl_subscribe(&comp, events, 1, &vs);
	if (e < 0) {
		printf("hello-port: subscribe: %s\n", cl_strerror(e));
		cl_close(&comp);
		return 1;
	}
	int n = 0;
	while (n < 10) {
		uint64_t dl = (uint64_t)sys_clock_now() + 1000000000ull;
		e = cl_next_event(&vs, dl, &ev);
		if (e < 0)
			break;
		int64_t usec = 0;
		if (cl_event_int(&ev, "usec", &usec) == CL_OK) {
			printf("vsync @ %lld\n", (long long)usec);
			n++;
		}
		cl_event_close(&ev);
	}
	cl_stream_close(&vs);
	cl_close(&comp);
	if (n < 10) {
		printf("hello-port: events: %s\n", cl_strerror(e));
		return 1;
	}
	return 0;
}
