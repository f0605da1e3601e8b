/* timeline-inspect: the pure half. Formatting, snapshot deltas, merging of
 * the per-CPU trace rings and the ASCII chart; no system calls, so the host
 * unit tests (tests/host/test_tl_format.c) run all of it.
 * Every formatter writes into a caller buffer and returns the length the
 * full text would have had (like snprintf): >= len means truncated. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include <execrt/sched.h>

#define TL_MAX_CPUS	  64 /* the kernel's MAX_CPUS */
#define TL_LEGEND_MAX	  62 /* A-Z a-z 0-9 */
#define TL_CHART_COLS	  64 /* default chart width */
#define TL_CHART_COLS_MAX 256

/* Class names as the dump writes them ("BE", "RT", "DL", "IDLE", "?"). */
const char *tl_cls_name(uint32_t cls);
/* "new", "ready", "running", "blocked", "dead" or "?". */
const char *tl_state_name(uint32_t state);

/* "DL 1.00/2.00/4.00 ms", "RT 50 rr", "RT 50 fifo", "BE w1024", "IDLE". */
int tl_fmt_class(char *buf, size_t len, const struct sched_params *p);
/* The SCHED_TREC_* names separated by spaces ("WOKEN BLOCKED MET");
 * unknown bits as "0x..". Empty string for 0. */
int tl_fmt_flags(char *buf, size_t len, uint32_t flags);
/* The thread's name (at most 32 bytes, maybe not NUL-terminated) with
 * blanks and control characters replaced by '_'; "#<koid>" when name is
 * NULL or empty. */
int tl_fmt_name(char *buf, size_t len, const char *name, uint64_t koid);

/* a * b / c without overflow (c != 0), saturating at UINT64_MAX. */
uint64_t tl_muldiv(uint64_t a, uint64_t b, uint64_t c);
/* part / whole in tenths of a percent, clamped to 0..1000 (0 if whole is
 * 0): the two samples of a counter and of the clock are not taken at the
 * same instant, so a ratio can come out a little above 100%. */
uint32_t tl_permille(uint64_t part, uint64_t whole);
/* CPU busy share between two samples, from the idle time and clock. */
uint32_t tl_busy_permille(const struct sched_cpu_info *a,
			  const struct sched_cpu_info *b);

/* One thread across two snapshots. */
enum tl_presence {
	TL_BOTH = 0, /* in both snapshots */
	TL_NEW = 1,  /* appeared: its totals all belong to the interval */
	TL_GONE = 2, /* disappeared: its last interval is not known */
};

struct tl_delta {
	const struct sched_thread_stats *prev, *cur; /* NULL when absent */
	uint32_t presence;			     /* enum tl_presence */
	uint32_t cpu_permille;			     /* of dt */
	uint64_t run_ns, dispatches, wakeups, preemptions, throttles;
	uint64_t dl_met, dl_missed;
};

/* Pair up two snapshots (each ascending by koid, as SYS_SCHED_STATS gives
 * them) over dt_ns. Writes at most max entries, ascending by koid; returns
 * how many there are in all. Counters that went backwards count as 0. */
size_t tl_compute_deltas(const struct sched_thread_stats *prev, size_t nprev,
			 const struct sched_thread_stats *cur, size_t ncur,
			 uint64_t dt_ns, struct tl_delta *out, size_t max);

/* Column titles and one row of the per-thread table. */
int tl_fmt_thread_header(char *buf, size_t len);
int tl_fmt_thread_row(char *buf, size_t len, const struct tl_delta *d);
/* "  cpu1  busy  37.5%  switches 120  ready 2  dl  25.0%", then the mean
 * cost of a scheduling decision and RT-cap hits when there are any. */
int tl_fmt_cpu_line(char *buf, size_t len, const struct sched_cpu_info *a,
		    const struct sched_cpu_info *b);

/* The newest name for a koid: cur first, then prev (both ascending by
 * koid); NULL when neither has it. */
const char *tl_lookup_name(const struct sched_thread_stats *prev, size_t nprev,
			   const struct sched_thread_stats *cur, size_t ncur,
			   uint64_t koid);

/* One CPU's records, oldest first, as SYS_SCHED_TRACE_READ returns them. */
struct tl_run {
	const struct sched_trace_rec *r;
	size_t n;
};

/* The max most recent records of all runs by start time, written oldest
 * first to out (which must not overlap the runs); returns how many. Equal
 * start times keep the run order. At most TL_MAX_CPUS runs are read. */
size_t tl_merge_recent(const struct tl_run *runs, size_t nruns,
		       struct sched_trace_rec *out, size_t max);

/* "  +12.345  cpu1  worker  DL  run 1000us  lat 12us  WOKEN MET" with the
 * time relative to t0_ns; name NULL shows "#<koid>". */
int tl_fmt_timeline_line(char *buf, size_t len, const struct sched_trace_rec *r,
			 uint64_t t0_ns, const char *name);

/* Chart letters: the threads seen in a set of records (idle excluded),
 * lowest koid first; those past TL_LEGEND_MAX share '#'. */
struct tl_legend {
	size_t n;
	int overflow; /* some thread got '#' */
	uint64_t koid[TL_LEGEND_MAX];
};
void tl_legend_build(struct tl_legend *lg, const struct sched_trace_rec *r,
		     size_t n);
char tl_legend_letter(const struct tl_legend *lg, uint64_t koid);
/* "  A=worker-a  B=#17  #=other  .=idle", names looked up as above. */
int tl_fmt_legend(char *buf, size_t len, const struct tl_legend *lg,
		  const struct sched_thread_stats *prev, size_t nprev,
		  const struct sched_thread_stats *cur, size_t ncur);

/* The chart of records sorted by start (as tl_merge_recent leaves them;
 * the row scan relies on it), from the first start to the last end in
 * cols columns (1..TL_CHART_COLS_MAX): a scale line, then one row
 * "cpu<c> |...|" per entry of cpus. Each column shows the letter of the
 * thread that ran most in it, or '.' when the CPU was idle (no record or
 * an IDLE-class one) longer than any thread ran. */
int tl_render_chart(char *buf, size_t len, const struct sched_trace_rec *r,
		    size_t n, const uint32_t *cpus, size_t ncpus, unsigned cols,
		    const struct tl_legend *lg);

/* The --dump lines, without the newline (docs in main.c). */
int tl_fmt_dump_header(char *buf, size_t len, uint32_t cpus, uint64_t now_ns);
int tl_fmt_dump_thread(char *buf, size_t len,
		       const struct sched_thread_stats *s);
int tl_fmt_dump_rec(char *buf, size_t len, uint32_t cpu,
		    const struct sched_trace_rec *r);
int tl_fmt_dump_lost(char *buf, size_t len, uint32_t cpu, uint64_t n);
