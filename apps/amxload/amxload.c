/* amxload: the load of the audio test (tests/system/test_audio.py,
 * docs/audio.md "Testing"): `amxload spin S` burns a CPU in best effort
 * for S seconds; `amxload flood S [SVC]` sends ping requests to SVC
 * (default /svc/audiomixerd) back to back for S seconds, so the mixer's
 * request thread is busy while its period thread must keep time;
 * `amxload badring` offers an app_source a one-page grant for a ring that
 * needs more and prints the answer (a protocol error is expected);
 * `amxload bench` renders tone -> gain -> mixer -> sink (S16 stereo) in
 * process, 2000 periods of 128 frames, and prints the time per frame:
 * under -icount shift=0 a nanosecond is an instruction;
 * `amxload latency N [PERIOD]` measures app_source write -> DMA position
 * (docs/audio.md "Cost and figures"): an app_source -> device_sink graph;
 * N times, at a pseudo-random moment, one marked frame is written into
 * the empty ring (t0); the ring header tells which device frame F it
 * became; AUDIO_POSITION (audiomixerd's `position`) is polled until the
 * device has read past F (t1). Prints every F (the host finds the marks
 * in the WAV QEMU wrote) and t1 - t0: median, p99, max. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <execrt/rights.h>
#include <execrt/runtime.h>
#include <execrt/sys.h>

#include "amx_graph.h"
#include "cl_audio.h"
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

/* A failed read is tried again (20 times, 5 ms apart): under plain TCG
 * on a loaded host a request can time out, or meet the mixer reopening a
 * device it found silent. */
static cl_err_t position(struct cl_audio *a, uint64_t *frames, uint64_t *t)
{
	int64_t f = 0, ns = 0;
	cl_err_t e = CL_ERR_REMOTE;
	for (int i = 0; i < 20 && e != CL_OK; i++) {
		if (i)
			sys_sleep_until(now() + 5000000);
		e = cl_request(&a->conn, "{\"cmd\":\"position\"}", a->resp);
		if (e == CL_OK &&
		    (e = cl_resp_int(a->resp, "frames", &f)) == CL_OK)
			e = cl_resp_int(a->resp, "time_ns", &ns);
		cl_resp_close(a->resp);
	}
	*frames = (uint64_t)f;
	*t = (uint64_t)ns;
	return e;
}

static int64_t xruns(struct cl_audio *a)
{
	int64_t x = -1;
	if (cl_request(&a->conn, "{\"cmd\":\"status\"}", a->resp) == CL_OK)
		cl_resp_int(a->resp, "xruns", &x);
	cl_resp_close(a->resp);
	return x;
}

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
	return a < b ? -1 : a > b;
}

#define LAT_MAX 1000
#define US(x)	((unsigned long long)((x) / 1000))

/* One mark: written at t0 into the empty ring; F from the ring header;
 * t1 = the first position read past F. 0 on success. */
static int mark(struct cl_audio *a, struct cl_audio_ring *ring, uint64_t *lat,
		uint64_t *step, uint64_t *frame)
{
	const struct amx_app_ring *h = (const void *)ring->addr;
	uint32_t head = *ring->head;
	if (__atomic_load_n(ring->tail, __ATOMIC_ACQUIRE) != head)
		return -1; /* the ring must be empty */
	const float one[2] = {0.5f, 0.5f};
	if (cl_audio_app_write(ring, one, 1) != 1)
		return -1;
	uint64_t t0 = now(), end = t0 + 10000000000ull;
	while (__atomic_load_n(ring->tail, __ATOMIC_ACQUIRE) == head) {
		if (now() > end)
			return -2; /* never read */
		sys_sleep_until(now() + 20000);
	}
	uint32_t mt = __atomic_load_n(&h->map_tail, __ATOMIC_RELAXED);
	uint64_t f = __atomic_load_n(&h->map_frame, __ATOMIC_RELAXED) +
		     (uint32_t)(head - mt);
	uint64_t fr, t, prev = now();
	if (position(a, &fr, &t) < 0)
		return -3;
	/* Asleep until ~3 ms before the device gets there: the polls are
	 * requests to the mixer, so the fewer the better. */
	if (f > fr + 144 + 48) {
		uint64_t wake = t + (f - fr - 144) * 1000000000ull / 48000;
		if (wake > now())
			sys_sleep_until(wake);
	}
	while (fr <= f) {
		if (now() > end + 2000000000ull)
			return -4;
		prev = t;
		if (position(a, &fr, &t) < 0)
			return -3;
	}
	*lat = t - t0;
	*step = t - prev;
	*frame = f;
	return 0;
}

/* A start refused because the prefill's cost read high (a host that
 * stalled the vCPU under plain TCG) is tried again, as a user would. */
static cl_err_t start(struct cl_audio *a)
{
	cl_err_t e = CL_ERR_REMOTE;
	for (int i = 0; i < 5 && e < 0; i++) {
		if (i)
			sys_sleep_until(now() + 100000000ull);
		e = cl_audio_start(a);
	}
	return e;
}

static int latency(uint32_t n, uint32_t period)
{
	static struct cl_audio a;
	static struct cl_audio_ring ring;
	static uint64_t lat[LAT_MAX], frames[LAT_MAX];
	uint32_t src = 0, sink = 0;
	char dev[32] = "?";
	int64_t lead = 0;
	if (n < 1 || n > LAT_MAX)
		n = 100;
	if (cl_audio_connect(&a, now() + 5000000000ull) < 0 ||
	    cl_audio_device_open(&a, "default", 48000, 2, period) < 0 ||
	    cl_resp_str(a.resp, "device", dev, sizeof(dev)) < 0 ||
	    cl_audio_app_source(&a, 4096, 2, 48000, &ring, &src) < 0 ||
	    cl_audio_create_node(&a, "device_sink", NULL, &sink) < 0 ||
	    cl_audio_connect_nodes(&a, src, sink) < 0 || start(&a) < 0) {
		printf("amxload: latency setup: %s\n", cl_audio_error(&a));
		return 1;
	}
	/* past the start's bursts and the mixer's lead adaptation (1 s) */
	sys_sleep_until(now() + 1500000000ull);
	uint64_t x = 0, t = 0;
	if (position(&a, &x, &t) == CL_OK)
		cl_resp_int(a.resp, "lead_frames", &lead);
	uint64_t step_max = 0, seed = 12345;
	int64_t x0 = xruns(&a);
	int bad = 0;
	for (uint32_t i = 0; i < n && !bad; i++) {
		/* 1-9 ms apart, a fixed sequence: the marks fall at every
		 * phase of the period, the same ones in every run */
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		sys_sleep_until(now() + 1000000 + (seed >> 33) % 8000000);
		uint64_t step = 0;
		bad = mark(&a, &ring, &lat[i], &step, &frames[i]);
		if (step > step_max)
			step_max = step;
	}
	int64_t x1 = xruns(&a);
	/* the marks' frames, for the host's WAV check */
	for (uint32_t i = 0; i < n && !bad; i += 16) {
		printf("amxload: marks");
		for (uint32_t j = i; j < n && j < i + 16; j++)
			printf(" %llu", (unsigned long long)frames[j]);
		printf("\n");
	}
	/* The device has read the last mark, not played it: QEMU's HDA
	 * codec holds up to 2048 frames behind its DMA position. */
	sys_sleep_until(now() + 300000000ull);
	cl_audio_stop(&a);
	cl_audio_destroy_node(&a, sink);
	cl_audio_destroy_node(&a, src);
	cl_audio_ring_free(&ring);
	cl_audio_close(&a);
	if (bad) {
		printf("amxload: latency: mark failed (%d)\n", bad);
		return 1;
	}
	uint64_t sum = 0;
	for (uint32_t i = 0; i < n; i++)
		sum += lat[i];
	qsort(lat, n, sizeof(lat[0]), cmp_u64);
	uint32_t p99 = (n * 99 + 99) / 100 - 1;
	printf("bench: amx_app_to_dma_us median %llu p99 %llu max %llu min "
	       "%llu mean %llu (%u marks, %s, %u-frame periods, lead %lld "
	       "frames = %lld us; poll step max %llu us; %lld xruns)\n",
	       US(lat[n / 2]), US(lat[p99]), US(lat[n - 1]), US(lat[0]),
	       US(sum / n), n, dev, period, (long long)lead,
	       (long long)(lead * 1000000 / 48000), US(step_max),
	       (long long)(x1 - x0));
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "latency"))
		return latency((uint32_t)atoi(argv[2]),
			       argc > 3 ? (uint32_t)atoi(argv[3]) : 128);
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
