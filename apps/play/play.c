/* play <file.wav> [--db D]: plays a WAV file through audiomixerd
 * (file_source -> gain -> device_sink; docs/audio.md "Examples"); waits
 * for its length, then stops. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <execrt/sys.h>

#include "cl_audio.h"

static uint64_t now(void)
{
	long t = sys_clock_now();
	return t < 0 ? 0 : (uint64_t)t;
}

int main(int argc, char **argv)
{
	const char *path = NULL;
	double db = 0;
	uint32_t period = 128;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--db") && i + 1 < argc)
			db = atof(argv[++i]);
		else if (!strcmp(argv[i], "--period") && i + 1 < argc)
			period = (uint32_t)atoi(argv[++i]);
		else if (!path && argv[i][0] != '-')
			path = argv[i];
		else
			path = NULL, i = argc;
	}
	if (!path) {
		printf("usage: play FILE.wav [--db D] [--period N]\n");
		return 2;
	}
	struct cl_audio a;
	cl_err_t e = cl_audio_connect(&a, now() + 5000000000ull);
	uint32_t f, g, s;
	int64_t frames = 0;
	const char *what = "connect";
	if (e < 0)
		goto fail;
	what = "device_open";
	if ((e = cl_audio_device_open(&a, "default", 48000, 2, period)) < 0)
		goto fail;
	what = path;
	if ((e = cl_audio_file_source(&a, path, &f)) < 0)
		goto fail;
	cl_resp_int(a.resp, "frames", &frames);
	what = "graph";
	if ((e = cl_audio_gain(&a, db, &g)) < 0 ||
	    (e = cl_audio_create_node(&a, "device_sink", NULL, &s)) < 0 ||
	    (e = cl_audio_connect_nodes(&a, f, g)) < 0 ||
	    (e = cl_audio_connect_nodes(&a, g, s)) < 0)
		goto fail;
	what = "start";
	if ((e = cl_audio_start(&a)) < 0)
		goto fail;
	printf("play: %s, %lld frames at 48 kHz (%.2f s)\n", path,
	       (long long)frames, (double)frames / 48000);
	fflush(stdout);
	/* its length plus the mixer's lead (about 11 ms) */
	sys_sleep_until(now() + (uint64_t)frames * 1000000000ull / 48000 +
			50000000ull);
	cl_audio_stop(&a);
	cl_audio_destroy_node(&a, f);
	cl_audio_destroy_node(&a, g);
	cl_audio_destroy_node(&a, s);
	cl_audio_close(&a);
	return 0;
fail:
	printf("play: %s: %s\n", what,
	       e == CL_ERR_REMOTE ? cl_audio_error(&a) : cl_strerror(e));
	return 1;
}
