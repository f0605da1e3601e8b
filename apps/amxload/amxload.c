/* amxload: the load of the audio test (tests/system/test_audio.py,
 * docs/audio.md "Testing"): `amxload spin S` burns a CPU in best effort
 * for S seconds; `amxload flood S [SVC]` sends ping requests to SVC
 * (default /svc/audiomixerd) back to back for S seconds, so the mixer's
 * request thread is busy while its period thread must keep time;
 * `amxload badring` offers an app_source a one-page grant for a ring that
 * needs more and prints the answer (a protocol error is expected). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <execrt/rights.h>
#include <execrt/runtime.h>
#include <execrt/sys.h>

#include "cl_ports.h"

static uint64_t now(void)
{
	long t = sys_clock_now();
	return t < 0 ? 0 : (uint64_t)t;
}

static int badring(void)
{
	struct cl_conn c;
	static struct cl_resp r;
	handle_t g, give, task = execrt_handle(START_H_SELF_TASK);
	uint64_t at;
	if (cl_connect("/svc/audiomixerd", now() + 5000000000ull, &c) < 0 ||
	    sys_grant_create(task, 0, 4096, VM_PROT_READ | VM_PROT_WRITE,
			     &g) < 0 ||
	    sys_grant_map(task, g, VM_PROT_READ | VM_PROT_WRITE, 0, &at) < 0 ||
	    sys_handle_dup(g, RIGHT_READ | RIGHT_WRITE | RIGHT_MAP |
				      RIGHT_TRANSFER, &give) < 0) {
		printf("amxload: setup failed\n");
		return 1;
	}
	*(volatile uint32_t *)at = 0x47525041u; /* the ring's magic */
	/* 4096 stereo frames need 32 KiB + 64 bytes: the page is too small */
	cl_err_t e = cl_request_ex(
		&c,
		"{\"cmd\":\"create_node\",\"type\":\"app_source\",\"args\":"
		"{\"fd\":0,\"frames\":4096,\"channels\":2,\"rate\":48000}}",
		&give, 1, now() + 5000000000ull, &r);
	printf("amxload: badring: %s %s: %s\n", e == CL_OK ? "ok" : "error",
	       r.code, r.message);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "badring"))
		return badring();
	if (argc < 3 || (strcmp(argv[1], "spin") && strcmp(argv[1], "flood"))) {
		printf("usage: amxload spin SECONDS | flood SECONDS [SVC]\n");
		return 2;
	}
	uint64_t end = now() + (uint64_t)atoi(argv[2]) * 1000000000ull;
	if (!strcmp(argv[1], "spin")) {
		volatile uint64_t x = 0;
		while (now() < end)
			for (int i = 0; i < 100000; i++)
				x += (uint64_t)i;
		printf("amxload: spun\n");
		return 0;
	}
	const char *svc = argc > 3 ? argv[3] : "/svc/audiomixerd";
	struct cl_conn c;
	static struct cl_resp r;
	if (cl_connect(svc, now() + 5000000000ull, &c) < 0) {
		printf("amxload: no %s\n", svc);
		return 1;
	}
	uint64_t n = 0, bad = 0;
	while (now() < end) {
		if (cl_request(&c, "{\"cmd\":\"ping\"}", &r) == CL_OK)
			n++;
		else
			bad++;
		cl_resp_close(&r);
	}
	printf("amxload: %llu requests to %s (%llu failed)\n",
	       (unsigned long long)n, svc, (unsigned long long)bad);
	cl_close(&c);
	return 0;
}
