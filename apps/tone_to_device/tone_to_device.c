/* tone_to_device: the Phase-0 example (docs/audio.md "Examples"): a
 * 440 Hz tone at -6 dBFS for 2 s through audiomixerd (tone -> gain ->
 * mixer -> device_sink). Options: --freq F (repeatable: tones mixed),
 * --db D, --seconds S, --period N, --resilient (if audiomixerd dies, wait
 * for its restart and build the graph again, so playback resumes). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <execrt/sys.h>

#include "cl_audio.h"

#define MAX_TONES 4

static uint64_t now(void)
{
	long t = sys_clock_now();
	return t < 0 ? 0 : (uint64_t)t;
}

static double freqs[MAX_TONES];
static int nfreq;
static double db = -6;
static uint32_t period = 128;
static uint32_t ids[MAX_TONES + 3], nids; /* destroyed at the end */

static int fail(struct cl_audio *a, const char *what, cl_err_t e)
{
	printf("tone_to_device: %s: %s\n", what,
	       e == CL_ERR_REMOTE ? cl_audio_error(a) : cl_strerror(e));
	return e;
}

/* The graph: every tone -> one gain (0 dB) -> mixer -> sink. */
static cl_err_t build(struct cl_audio *a)
{
	cl_err_t e;
	uint32_t g, m, s, t;
	if ((e = cl_audio_device_open(a, "default", 48000, 2, period)) < 0)
		return fail(a, "device_open", e);
	nids = 0;
	if ((e = cl_audio_create_node(a, "mixer", NULL, &m)) < 0 ||
	    (ids[nids++] = m, 0) ||
	    (e = cl_audio_create_node(a, "device_sink", NULL, &s)) < 0 ||
	    (ids[nids++] = s, 0) || (e = cl_audio_gain(a, 0, &g)) < 0)
		return fail(a, "create_node", e);
	ids[nids++] = g;
	for (int i = 0; i < nfreq; i++) {
		if ((e = cl_audio_tone(a, freqs[i], db, &t)) < 0)
			return fail(a, "tone", e);
		ids[nids++] = t;
		if ((e = cl_audio_connect_nodes(a, t, m)) < 0)
			return fail(a, "connect", e);
	}
	if ((e = cl_audio_connect_nodes(a, m, g)) < 0 ||
	    (e = cl_audio_connect_nodes(a, g, s)) < 0)
		return fail(a, "connect", e);
	if ((e = cl_audio_start(a)) < 0)
		return fail(a, "start", e);
	return CL_OK;
}

int main(int argc, char **argv)
{
	double seconds = 2;
	bool resilient = false;
	for (int i = 1; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(argv[i], "--freq") && v && nfreq < MAX_TONES)
			freqs[nfreq++] = atof(v), i++;
		else if (!strcmp(argv[i], "--db") && v)
			db = atof(v), i++;
		else if (!strcmp(argv[i], "--seconds") && v)
			seconds = atof(v), i++;
		else if (!strcmp(argv[i], "--period") && v)
			period = (uint32_t)atoi(v), i++;
		else if (!strcmp(argv[i], "--resilient"))
			resilient = true;
		else {
			printf("usage: tone_to_device [--freq HZ]... [--db D] "
			       "[--seconds S] [--period 64|128|256] "
			       "[--resilient]\n");
			return 2;
		}
	}
	if (!nfreq)
		freqs[nfreq++] = 440;
	struct cl_audio a;
	cl_err_t e = cl_audio_connect(&a, now() + 5000000000ull);
	if (e < 0)
		return fail(&a, "connect " CL_AUDIO_SVC, e), 1;
	if (build(&a) < 0)
		return 1;
	printf("tone_to_device: playing %.1f Hz%s at %.1f dBFS for %.1f s\n",
	       freqs[0], nfreq > 1 ? " (and more)" : "", db, seconds);
	fflush(stdout);
	uint64_t end = now() + (uint64_t)(seconds * 1e9);
	uint32_t restarts = 0;
	while (now() < end) {
		sys_sleep_until(now() + 100000000ull);
		if (!resilient)
			continue;
		e = cl_request(&a.conn, "{\"cmd\":\"status\"}", a.resp);
		if (e != CL_ERR_CONN && e != CL_ERR_TIMEOUT)
			continue;
		/* audiomixerd died: its restart has an empty graph. */
		if (cl_reconnect(&a.conn, end) == CL_OK && build(&a) == CL_OK) {
			restarts++;
			printf("tone_to_device: audiomixerd restarted: graph "
			       "rebuilt\n");
			fflush(stdout);
		}
	}
	cl_audio_stop(&a);
	for (uint32_t i = 0; i < nids; i++)
		cl_audio_destroy_node(&a, ids[i]);
	printf("tone_to_device: done (%u rebuilds)\n", restarts);
	cl_audio_close(&a);
	return 0;
}
