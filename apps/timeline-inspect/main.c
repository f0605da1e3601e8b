/* timeline-inspect: live scheduling telemetry (per-thread statistics, a
 * timeline of recent dispatches and a chart of them per CPU), or with
 * --dump every live thread and trace record in a line format a host tool
 * reads back from the serial log:
 *   tl-dump v1 cpus=<n> now=<ns>
 *   tl-thread koid=<u64> task=<u64> cls=<BE|RT|DL|IDLE> name=<name>
 *   tl-rec cpu=<u32> seq=<u64> koid=<u64> cls=<BE|RT|DL> start=<ns>
 *          run=<ns> lat=<ns> dl=<ns> flags=0x<hex>        (one line)
 *   tl-lost cpu=<u32> n=<u64>        (records overwritten before a read)
 *   tl-end
 * Names are one token: blanks become '_', an empty name "#<koid>". The
 * formatting lives in tl_format.c (host-tested); this file makes the
 * system calls. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <execrt/errors.h>
#include <execrt/runtime.h>
#include <execrt/sys.h>

#include "tl_format.h"

#define PROG	     "timeline-inspect"
#define STATS_CHUNK  64	     /* threads per SYS_SCHED_STATS */
#define DUMP_CHUNK   128     /* records per SYS_SCHED_TRACE_READ in --dump */
#define TIMELINE_MAX 4096    /* --timeline bound (three buffers of it) */
#define INTERVAL_MAX 3600000 /* ms */

struct opts {
	uint64_t interval_ms, count;
	uint32_t timeline;
	int cpu; /* -1: all */
	int dump;
};

/* One sample: the live threads (ascending koid) and every CPU's figures. */
struct snap {
	struct sched_thread_stats *t;
	size_t n, cap;
	struct sched_cpu_info cpu[TL_MAX_CPUS];
	uint64_t now_ns;
};

static struct snap snaps[2];
static struct sched_thread_stats stats_chunk[STATS_CHUNK];
static struct sched_trace_rec dump_chunk[DUMP_CHUNK];
static char chart_buf[8192];
static char legend_buf[4096];

static int fail(const char *what, long err)
{
	fflush(stdout);
	fprintf(stderr, PROG ": %s: %s\n", what, err_name(err));
	return 1;
}

static int usage(const char *why, const char *arg)
{
	fflush(stdout);
	fprintf(stderr, PROG ": %s '%s'\n", why, arg);
	fputs("usage: " PROG " [--interval MS] [--count N] [--timeline N] "
	      "[--cpu C]\n       " PROG " --dump\n",
	      stderr);
	return 2;
}

static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	if (!s || !*s || *s < '0' || *s > '9')
		return -1;
	unsigned long long v = strtoull(s, &end, 10);
	if (*end || v > max)
		return -1;
	*out = v;
	return 0;
}

/* 0, or the exit status for a bad command line. */
static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct {
		const char *name;
		uint64_t max;
	} valued[] = {{"--interval", INTERVAL_MAX},
		      {"--count", UINT64_MAX},
		      {"--timeline", TIMELINE_MAX},
		      {"--cpu", TL_MAX_CPUS - 1}};
	*o = (struct opts){
		.interval_ms = 1000, .count = 1, .timeline = 40, .cpu = -1};
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--dump")) {
			o->dump = 1;
			continue;
		}
		size_t k, nv = sizeof(valued) / sizeof(valued[0]);
		const char *val = NULL;
		for (k = 0; k < nv; k++) {
			size_t l = strlen(valued[k].name);
			if (strncmp(a, valued[k].name, l))
				continue;
			if (!a[l] && i + 1 < argc)
				val = argv[++i];
			else if (a[l] == '=')
				val = a + l + 1;
			else if (a[l])
				continue;
			break;
		}
		if (k == nv) {
			/* Words like init=... on the shared command line
			 * are for someone else. */
			if (strchr(a, '='))
				continue;
			return usage("unknown argument", a);
		}
		uint64_t v;
		if (parse_u64(val, valued[k].max, &v) < 0)
			return usage("bad value for", valued[k].name);
		switch (k) {
		case 0:
			if (!v)
				return usage("bad value for", valued[k].name);
			o->interval_ms = v;
			break;
		case 1:
			o->count = v;
			break;
		case 2:
			o->timeline = (uint32_t)v;
			break;
		default:
			o->cpu = (int)v;
		}
	}
	return 0;
}

static long clock_now(uint64_t *out)
{
	long r = sys_clock_now();
	if (r >= 0)
		*out = (uint64_t)r;
	return r;
}

/* One SYS_SCHED_STATS batch after *after, checked to be ascending (the
 * deltas pair snapshots by koid) and moved past. Callers stop at 0, not
 * at a short batch, in case the kernel caps batches below STATS_CHUNK. */
static long stats_batch(handle_t tel, uint64_t *after,
			struct sched_thread_stats *buf)
{
	long r = sys_sched_stats(tel, *after, buf, STATS_CHUNK);
	if (r < 0)
		return r;
	if (r > STATS_CHUNK)
		return ERR_OUT_OF_RANGE;
	for (long i = 0; i < r; i++) {
		if (buf[i].koid <= *after)
			return ERR_BAD_STATE;
		*after = buf[i].koid;
	}
	return r;
}

static long take_snapshot(handle_t tel, uint32_t ncpus, struct snap *s,
			  const char **what)
{
	uint64_t after = 0;
	long r;
	s->n = 0;
	*what = "sched_stats";
	for (;;) {
		if (s->cap - s->n < STATS_CHUNK) {
			size_t cap = s->cap * 2 + STATS_CHUNK;
			void *t = realloc(s->t, cap * sizeof(*s->t));
			if (!t)
				return ERR_NO_MEMORY;
			s->t = t;
			s->cap = cap;
		}
		if ((r = stats_batch(tel, &after, s->t + s->n)) < 0)
			return r;
		if (!r)
			break;
		s->n += (size_t)r;
	}
	*what = "sched_cpu_info";
	for (uint32_t c = 0; c < ncpus; c++)
		if ((r = sys_sched_cpu_info(tel, c, &s->cpu[c])) < 0)
			return r;
	*what = "clock_now";
	r = clock_now(&s->now_ns);
	return r < 0 ? r : 0;
}

/* Up to max records of one CPU, from from_seq to (not including) stop. */
static long read_ring(handle_t tel, uint32_t cpu, uint64_t from, uint64_t stop,
		      struct sched_trace_rec *buf, size_t max, uint64_t *lost)
{
	size_t got = 0;
	*lost = 0;
	while (got < max && from < stop) {
		struct sched_trace_status st;
		uint64_t want =
			stop - from < max - got ? stop - from : max - got;
		long r = sys_sched_trace_read(tel, cpu, from, buf + got,
					      (uint32_t)want, &st);
		if (r < 0)
			return r;
		if ((uint64_t)r > want)
			return ERR_OUT_OF_RANGE;
		*lost += st.lost;
		/* Past stop only if the ring wrapped meanwhile. */
		long keep = 0;
		while (keep < r && buf[got + keep].seq < stop)
			keep++;
		got += (size_t)keep;
		if (keep < r || !r || st.next_seq <= from)
			break;
		from = st.next_seq;
	}
	return (long)got;
}

static const char *rec_name(const struct snap *a, const struct snap *b,
			    const struct sched_trace_rec *r)
{
	const char *n = tl_lookup_name(a->t, a->n, b->t, b->n, r->thread_koid);
	if (!n && r->cls == SCHED_CLASS_IDLE)
		return "idle";
	return n;
}

/* Sections (3) and (4): the newest dispatches of the selected CPUs. */
static int print_timeline(const struct opts *o, handle_t tel, uint32_t ncpus,
			  const struct snap *a, const struct snap *b)
{
	static struct sched_trace_rec *ring, *merged, *next;
	static uint32_t cpus[TL_MAX_CPUS];
	size_t nsel = 0, n = 0, cap = o->timeline;
	uint64_t lost_all = 0;
	char line[256];

	if (!cap)
		return 0;
	if (!ring) {
		ring = calloc(cap, sizeof(*ring));
		merged = calloc(cap, sizeof(*merged));
		next = calloc(cap, sizeof(*next));
		if (!ring || !merged || !next)
			return fail("timeline buffers", ERR_NO_MEMORY);
	}
	for (uint32_t c = 0; c < ncpus; c++) {
		if (o->cpu >= 0 && (uint32_t)o->cpu != c)
			continue;
		cpus[nsel++] = c;
		/* The ring up to the second snapshot, so the timeline ends
		 * where the statistics do. */
		uint64_t stop = b->cpu[c].trace_head;
		uint64_t from = stop > cap ? stop - cap : 0, lost;
		long r = read_ring(tel, c, from, stop, ring, cap, &lost);
		if (r < 0)
			return fail("sched_trace_read", r);
		lost_all += lost;
		for (long i = 0; i < r; i++)
			ring[i].cpu = (uint8_t)c; /* the chart keys on it */
		struct tl_run runs[2] = {{merged, n}, {ring, (size_t)r}};
		n = tl_merge_recent(runs, 2, next, cap);
		struct sched_trace_rec *t = merged;
		merged = next;
		next = t;
	}

	printf("\ntimeline: last %zu dispatches", n);
	if (o->cpu >= 0)
		printf(" on cpu%d", o->cpu);
	if (lost_all)
		printf(" (%llu older ones already overwritten)",
		       (unsigned long long)lost_all);
	printf("\n");
	for (size_t i = 0; i < n; i++) {
		tl_fmt_timeline_line(line, sizeof(line), &merged[i],
				     merged[0].start_ns,
				     rec_name(a, b, &merged[i]));
		printf("%s\n", line);
	}

	struct tl_legend lg;
	tl_legend_build(&lg, merged, n);
	printf("\nchart:\n");
	tl_render_chart(chart_buf, sizeof(chart_buf), merged, n, cpus, nsel,
			TL_CHART_COLS, &lg);
	printf("%s", chart_buf);
	if (n) {
		tl_fmt_legend(legend_buf, sizeof(legend_buf), &lg, a->t, a->n,
			      b->t, b->n);
		printf("%s\n", legend_buf);
	}
	return 0;
}

/* One report over the interval from a to b. */
static int report(const struct opts *o, handle_t tel, uint32_t ncpus,
		  const struct snap *a, const struct snap *b)
{
	static struct tl_delta *d;
	static size_t dcap;
	char line[256];
	uint64_t dt = b->now_ns > a->now_ns ? b->now_ns - a->now_ns : 0;

	printf("=== " PROG " t=%llu.%03llu s  %u CPU%s  interval %llu.%03llu "
	       "ms\n",
	       (unsigned long long)(b->now_ns / 1000000000),
	       (unsigned long long)(b->now_ns / 1000000 % 1000), ncpus,
	       ncpus == 1 ? "" : "s", (unsigned long long)(dt / 1000000),
	       (unsigned long long)(dt / 1000 % 1000));
	for (uint32_t c = 0; c < ncpus; c++) {
		tl_fmt_cpu_line(line, sizeof(line), &a->cpu[c], &b->cpu[c]);
		printf("%s\n", line);
	}

	size_t want = a->n + b->n;
	if (want > dcap) {
		void *p = realloc(d, want * sizeof(*d));
		if (!p)
			return fail("thread table", ERR_NO_MEMORY);
		d = p;
		dcap = want;
	}
	size_t nd = tl_compute_deltas(a->t, a->n, b->t, b->n, dt, d, dcap);
	printf("\nthreads (+ new, - gone; CPU%%, DISP, DL, THR over the "
	       "interval, LAT since start)\n");
	tl_fmt_thread_header(line, sizeof(line));
	printf("%s\n", line);
	for (size_t i = 0; i < nd; i++) {
		tl_fmt_thread_row(line, sizeof(line), &d[i]);
		printf("%s\n", line);
	}
	return print_timeline(o, tel, ncpus, a, b);
}

static int run_reports(const struct opts *o, handle_t tel, uint32_t ncpus)
{
	struct snap *a = &snaps[0], *b = &snaps[1];
	const char *what;
	long r = take_snapshot(tel, ncpus, a, &what);
	if (r < 0)
		return fail(what, r);
	for (uint64_t i = 0; !o->count || i < o->count; i++) {
		r = sys_sleep_until(a->now_ns + o->interval_ms * 1000000);
		if (r < 0)
			return fail("sleep_until", r);
		if ((r = take_snapshot(tel, ncpus, b, &what)) < 0)
			return fail(what, r);
		if (i)
			printf("\n");
		int rc = report(o, tel, ncpus, a, b);
		fflush(stdout);
		if (rc)
			return rc;
		/* The next interval starts where this one ended. */
		struct snap *t = a;
		a = b;
		b = t;
	}
	return 0;
}

static int dump(handle_t tel, uint32_t ncpus)
{
	static uint64_t head[TL_MAX_CPUS];
	char line[256];
	uint64_t now;
	long r;

	/* Fix each ring's end first: the dump itself keeps dispatching. */
	for (uint32_t c = 0; c < ncpus; c++) {
		struct sched_cpu_info ci;
		if ((r = sys_sched_cpu_info(tel, c, &ci)) < 0)
			return fail("sched_cpu_info", r);
		head[c] = ci.trace_head;
	}
	if ((r = clock_now(&now)) < 0)
		return fail("clock_now", r);
	tl_fmt_dump_header(line, sizeof(line), ncpus, now);
	printf("%s\n", line);

	uint64_t after = 0;
	for (;;) {
		if ((r = stats_batch(tel, &after, stats_chunk)) < 0)
			return fail("sched_stats", r);
		if (!r)
			break;
		for (long i = 0; i < r; i++) {
			tl_fmt_dump_thread(line, sizeof(line), &stats_chunk[i]);
			printf("%s\n", line);
		}
	}

	for (uint32_t c = 0; c < ncpus; c++) {
		uint64_t from = 0;
		while (from < head[c]) {
			struct sched_trace_status st;
			uint64_t want = head[c] - from < DUMP_CHUNK
						? head[c] - from
						: DUMP_CHUNK;
			r = sys_sched_trace_read(tel, c, from, dump_chunk,
						 (uint32_t)want, &st);
			if (r < 0)
				return fail("sched_trace_read", r);
			if ((uint64_t)r > want)
				return fail("sched_trace_read",
					    ERR_OUT_OF_RANGE);
			if (st.lost) {
				tl_fmt_dump_lost(line, sizeof(line), c,
						 st.lost);
				printf("%s\n", line);
			}
			for (long i = 0; i < r; i++) {
				if (dump_chunk[i].seq >= head[c])
					break;
				tl_fmt_dump_rec(line, sizeof(line), c,
						&dump_chunk[i]);
				printf("%s\n", line);
			}
			if (!r || st.next_seq <= from)
				break;
			from = st.next_seq;
		}
	}
	printf("tl-end\n");
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o;
	int rc = parse_args(argc, argv, &o);
	if (rc)
		return rc;

	handle_t tel = execrt_handle(START_H_TELEMETRY);
	if (tel == HANDLE_INVALID)
		return fail("telemetry handle", ERR_BAD_HANDLE);
	/* The CPUs are those the telemetry handle answers for: no other
	 * authority needed. */
	uint32_t ncpus = 0;
	struct sched_cpu_info ci;
	long r;
	while (ncpus < TL_MAX_CPUS &&
	       (r = sys_sched_cpu_info(tel, ncpus, &ci)) == 0)
		ncpus++;
	if (!ncpus)
		return fail("sched_cpu_info", r);
	if (o.cpu >= 0 && (uint32_t)o.cpu >= ncpus)
		return fail("--cpu", ERR_OUT_OF_RANGE);

	return o.dump ? dump(tel, ncpus) : run_reports(&o, tel, ncpus);
}
