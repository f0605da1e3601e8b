/* amxload: the load of the audio test (tests/system/test_audio.py,
 * docs/audio.md "Testing"): `amxload spin S` burns a CPU in best effort
 * for S seconds; `amxload flood S [SVC]` sends ping requests to SVC
 * (default /svc/audiomixerd) back to back for S seconds, so the mixer's
 * request thread is busy while its period thread must keep time;
 * `amxload badring` offers an app_source a one-page grant for a ring that
 * needs more and prints the answer (a protocol error is expected);
 * `amxload bench` renders tone -> gain -> mixer -> sink (S16 stereo) in
 * process, 2000 periods of 128 frames, and prints the time per frame:
 * under -icount shift=0 a nanosecond is an instruction. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <execrt/rights.h>
#include <execrt/runtime.h>
#include <execrt/sys.h>

#include "amx_graph.h"
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
	    sys_grant_create(task, 0, 4096, VM_PROT_READ | VM_PROT_WRITE, &g) <
		    0 ||
	    sys_grant_map(task, g, VM_PROT_READ | VM_PROT_WRITE, 0, &at) < 0 ||
	    sys_handle_dup(
		    g, RIGHT_READ | RIGHT_WRITE | RIGHT_MAP | RIGHT_TRANSFER,
		    &give) < 0) {
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

/* The same graph code audiomixerd runs, in this process. */
static int bench(void)
{
	static struct amx_graph g;
	static int16_t out[AMX_PERIOD_MAX * 2];
	if (amx_graph_init(&g) < 0)
		return 1;
	int t = amx_graph_add(&g, amx_node_tone(440, -6));
	int a = amx_graph_add(&g, amx_node_gain(-3));
	int m = amx_graph_add(&g, amx_node_mixer());
	int s = amx_graph_add(&g, amx_node_sink());
	if (amx_graph_connect(&g, t, a) || amx_graph_connect(&g, a, m) ||
	    amx_graph_connect(&g, m, s))
		return 1;
	for (int i = 0; i < 100; i++) /* warm */
		amx_graph_render(&g, out, 128, 2);
	const uint32_t periods = 2000;
	uint64_t t0 = now();
	for (uint32_t i = 0; i < periods; i++)
		amx_graph_render(&g, out, 128, 2);
	uint64_t ns = now() - t0;
	printf("bench: amx_graph_ns_per_stereo_frame %llu.%02llu (tone -> "
	       "gain -> mixer -> sink -> S16, 128-frame periods; -icount "
	       "shift=0: instructions; goal < 40)\n",
	       (unsigned long long)(ns / (periods * 128ull)),
	       (unsigned long long)(ns * 100 / (periods * 128ull) % 100));
	amx_graph_fini(&g, NULL);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "badring"))
		return badring();
	if (argc == 2 && !strcmp(argv[1], "bench"))
		return bench();
	if (argc < 3 || (strcmp(argv[1], "spin") && strcmp(argv[1], "flood"))) {
		printf("usage: amxload spin SECONDS | flood SECONDS [SVC]\n");
		return 2;
	}
	uint64_t end = now() + (uint64_t)atoi(argv[2]) * 1000000000ull;
	if (!strcmp(argv[1], "spin")) {
		uint64_t x = 0;
		while (now() < end)
			for (int i = 0; i < 100000; i++)
				__asm__ volatile("" : "+r"(x) : "r"(i));
		printf("amxload: spun (%llu)\n", (unsigned long long)x);
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
