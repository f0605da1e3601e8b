/* inputmon: prints the input hub's events, one line each, in the manner
 * of Linux's evtest (docs/input.md "inputmon"):
 *   inputmon [-n N] [-l] [-t MS] [-L]
 * -n N: exit 0 after N events other than EV_SYN (default: run until
 * killed); -l: list the devices and exit; -t MS: exit 1 when no event
 * came for MS milliseconds; -L: also print, at the end, the median and
 * maximum latency from each event's driver time stamp to its arrival
 * here (what `make bench` reads). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <execrt/errors.h>
#include <execrt/sys.h>

#include "evfmt.h"
#include "input_client.h"

#define LAT_MAX 1024

static uint64_t lat[LAT_MAX];
static uint32_t nlat;

static uint64_t now(void)
{
	long t = sys_clock_now();
	return t < 0 ? 0 : (uint64_t)t;
}

static int cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void latency_report(void)
{
	if (!nlat) {
		printf("inputmon: latency: no events\n");
		return;
	}
	qsort(lat, nlat, sizeof(lat[0]), cmp);
	printf("inputmon: latency driver->subscriber over %u events: median "
	       "%llu ns, max %llu ns\n",
	       nlat, (unsigned long long)lat[nlat / 2],
	       (unsigned long long)lat[nlat - 1]);
}

static int list(handle_t pub)
{
	struct input_dev_desc d[INPUT_DEVS_MAX];
	char line[256];
	long n = input_devices(pub, d, INPUT_DEVS_MAX);
	if (n < 0) {
		printf("inputmon: devices: error %ld\n", n);
		return 1;
	}
	for (long i = 0; i < n; i++) {
		evfmt_device(&d[i], line, sizeof(line));
		printf("%s\n", line);
	}
	printf("inputmon: %ld devices\n", n);
	return 0;
}

int main(int argc, char **argv)
{
	long count = -1, idle_ms = -1;
	int only_list = 0, want_lat = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-n") && i + 1 < argc)
			count = strtol(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "-t") && i + 1 < argc)
			idle_ms = strtol(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "-l"))
			only_list = 1;
		else if (!strcmp(argv[i], "-L"))
			want_lat = 1;
		else {
			printf("usage: inputmon [-n N] [-l] [-t MS] [-L]\n");
			return 2;
		}
	}
	handle_t pub = input_lookup(INPUT_SVC_NAME, now() + 2000000000ull);
	if (!pub) {
		printf("inputmon: no input service (%s)\n", INPUT_SVC_NAME);
		return 1;
	}
	if (only_list)
		return list(pub);
	handle_t sub;
	uint32_t id;
	long r = input_subscribe(pub, &sub, &id);
	if (r < 0) {
		printf("inputmon: subscribe: error %ld\n", r);
		return 1;
	}
	list(pub);
	printf("inputmon: subscribed (%u), waiting for events\n", id);
	fflush(stdout);
	static struct input_event ev[INPUT_BATCH_MAX];
	char line[256];
	long seen = 0;
	while (count < 0 || seen < count) {
		uint64_t dl = idle_ms < 0 ? DEADLINE_NONE
					  : now() + (uint64_t)idle_ms * 1000000;
		long n = input_read(sub, ev, INPUT_BATCH_MAX, 0, dl);
		uint64_t t = now();
		if (n == ERR_TIMED_OUT) {
			printf("inputmon: no event for %ld ms\n", idle_ms);
			return 1;
		}
		if (n < 0) {
			printf("inputmon: read: error %ld\n", n);
			return 1;
		}
		for (long i = 0; i < n; i++) {
			evfmt_event(&ev[i], line, sizeof(line));
			printf("%s\n", line);
			if (ev[i].type == INPUT_EV_SYN)
				continue;
			if (ev[i].time_ns && t >= ev[i].time_ns &&
			    nlat < LAT_MAX)
				lat[nlat++] = t - ev[i].time_ns;
			seen++;
		}
		fflush(stdout);
	}
	if (want_lat)
		latency_report();
	sys_handle_close(sub);
	return 0;
}
