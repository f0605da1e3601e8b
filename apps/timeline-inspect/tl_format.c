/* timeline-inspect: formatting and arithmetic (tl_format.h). No system
 * calls and no allocation, so it runs unchanged in the host tests. */
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "tl_format.h"

typedef unsigned long long ull;

/* An appender over a caller buffer that keeps counting past its end, so
 * every formatter can report the length it wanted (snprintf style). */
struct out {
	char *p;
	size_t len, used;
};

static struct out out_start(char *buf, size_t len)
{
	if (len)
		buf[0] = 0;
	return (struct out){buf, len, 0};
}

static void put(struct out *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
{
	size_t room = o->used < o->len ? o->len - o->used : 0;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(room ? o->p + o->used : NULL, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->used += (size_t)n;
}

static int out_done(const struct out *o)
{
	return o->used > INT_MAX ? INT_MAX : (int)o->used;
}

static uint64_t sub0(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

const char *tl_cls_name(uint32_t cls)
{
	static const char *const names[] = {"BE", "RT", "DL", "IDLE"};
	return cls < 4 ? names[cls] : "?";
}

const char *tl_state_name(uint32_t state)
{
	static const char *const names[] = {"new", "ready", "running",
					    "blocked", "dead"};
	return state < 5 ? names[state] : "?";
}

/* ns in units of step ns with decimals (1..3) places, rounded, then
 * tail: step 10000 with 2 is milliseconds to 10 us. */
static void put_fixed(struct out *o, uint64_t ns, uint64_t step, int decimals,
		      const char *tail)
{
	uint64_t v = ns / step + (ns % step >= (step + 1) / 2);
	uint64_t scale = decimals == 1 ? 10 : decimals == 2 ? 100 : 1000;
	put(o, "%llu.%0*llu%s", (ull)(v / scale), decimals, (ull)(v % scale),
	    tail);
}

static void put_class(struct out *o, const struct sched_params *p)
{
	switch (p->cls) {
	case SCHED_CLASS_DL:
		put(o, "DL ");
		put_fixed(o, p->runtime_ns, 10000, 2, "/");
		put_fixed(o, p->deadline_ns, 10000, 2, "/");
		put_fixed(o, p->period_ns, 10000, 2, " ms");
		break;
	case SCHED_CLASS_RT:
		put(o, "RT %u %s", p->priority,
		    p->flags & SCHED_FLAG_RR ? "rr" : "fifo");
		if ((p->flags & SCHED_FLAG_RR) && p->quantum_ns) {
			put(o, " q");
			put_fixed(o, p->quantum_ns, 10000, 2, "");
		}
		break;
	case SCHED_CLASS_BE:
		put(o, "BE w%u",
		    p->weight ? p->weight : (uint32_t)SCHED_BE_WEIGHT_DEFAULT);
		break;
	case SCHED_CLASS_IDLE:
		put(o, "IDLE");
		break;
	default:
		put(o, "cls%u", p->cls);
	}
}

int tl_fmt_class(char *buf, size_t len, const struct sched_params *p)
{
	struct out o = out_start(buf, len);
	put_class(&o, p);
	return out_done(&o);
}

static void put_flags(struct out *o, uint32_t flags)
{
	static const char *const names[] = {"WOKEN",   "PREEMPTED", "THROTTLED",
					    "BLOCKED", "MET",	    "MISS",
					    "DONATED"};
	const char *sep = "";
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (flags & (1u << i)) {
			put(o, "%s%s", sep, names[i]);
			sep = " ";
		}
	}
	uint32_t rest =
		flags & ~((1u << (sizeof(names) / sizeof(names[0]))) - 1);
	if (rest)
		put(o, "%s0x%x", sep, rest);
}

int tl_fmt_flags(char *buf, size_t len, uint32_t flags)
{
	struct out o = out_start(buf, len);
	put_flags(&o, flags);
	return out_done(&o);
}

#define NAME_LEN sizeof(((struct sched_thread_stats *)0)->name)

int tl_fmt_name(char *buf, size_t len, const char *name, uint64_t koid)
{
	size_t n = name ? strnlen(name, NAME_LEN) : 0;
	if (!n)
		return snprintf(buf, len, "#%llu", (ull)koid);
	/* One token, whatever the thread called itself: the dump is split
	 * on spaces and the table must stay aligned. */
	char clean[NAME_LEN + 1];
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		clean[i] = c <= ' ' || c == 0x7f ? '_' : (char)c;
	}
	clean[n] = 0;
	return snprintf(buf, len, "%s", clean);
}

uint64_t tl_muldiv(uint64_t a, uint64_t b, uint64_t c)
{
	unsigned __int128 v = (unsigned __int128)a * b / c;
	return v > UINT64_MAX ? UINT64_MAX : (uint64_t)v;
}

uint32_t tl_permille(uint64_t part, uint64_t whole)
{
	if (!whole)
		return 0;
	uint64_t v = tl_muldiv(part, 1000, whole);
	return v > 1000 ? 1000 : (uint32_t)v;
}

uint32_t tl_busy_permille(const struct sched_cpu_info *a,
			  const struct sched_cpu_info *b)
{
	uint64_t dt = sub0(b->now_ns, a->now_ns);
	uint64_t idle = sub0(b->idle_ns, a->idle_ns);
	return tl_permille(sub0(dt, idle), dt);
}

static void delta_fill(struct tl_delta *d, const struct sched_thread_stats *p,
		       const struct sched_thread_stats *c, uint64_t dt_ns)
{
	memset(d, 0, sizeof(*d));
	d->prev = p;
	d->cur = c;
	d->presence = !p ? TL_NEW : !c ? TL_GONE : TL_BOTH;
	if (!c)
		return;
	static const struct sched_thread_stats zero;
	if (!p)
		p = &zero;
	d->run_ns = sub0(c->runtime_ns, p->runtime_ns);
	d->dispatches = sub0(c->dispatches, p->dispatches);
	d->wakeups = sub0(c->wakeups, p->wakeups);
	d->preemptions = sub0(c->preemptions, p->preemptions);
	d->throttles = sub0(c->throttles, p->throttles);
	d->dl_met = sub0(c->dl_met, p->dl_met);
	d->dl_missed = sub0(c->dl_missed, p->dl_missed);
	d->cpu_permille = tl_permille(d->run_ns, dt_ns);
}

size_t tl_compute_deltas(const struct sched_thread_stats *prev, size_t nprev,
			 const struct sched_thread_stats *cur, size_t ncur,
			 uint64_t dt_ns, struct tl_delta *out, size_t max)
{
	size_t i = 0, j = 0, n = 0;
	while (i < nprev || j < ncur) {
		/* Equal koids pair up; the lower one goes alone. */
		int tp =
			j == ncur || (i < nprev && prev[i].koid <= cur[j].koid);
		int tc =
			i == nprev || (j < ncur && cur[j].koid <= prev[i].koid);
		const struct sched_thread_stats *p = tp ? &prev[i++] : NULL;
		const struct sched_thread_stats *c = tc ? &cur[j++] : NULL;
		if (n < max)
			delta_fill(&out[n], p, c, dt_ns);
		n++;
	}
	return n;
}

static void put_permille(struct out *o, uint32_t pm)
{
	put(o, "%3u.%u", pm / 10, pm % 10);
}

/* Column layout shared by the header and the rows. */
#define ROW_FMT "%c%6s %6s  %-16s %-22s %-9s %6s %7s  %-20s %11s %5s"

int tl_fmt_thread_header(char *buf, size_t len)
{
	return snprintf(buf, len, ROW_FMT, ' ', "KOID", "TASK", "NAME", "CLASS",
			"STATE", "CPU%", "DISP", "LAT us min/avg/max",
			"DL met/miss", "THR");
}

static const char *u64s(char *buf, size_t len, uint64_t v)
{
	snprintf(buf, len, "%llu", (ull)v);
	return buf;
}

int tl_fmt_thread_row(char *buf, size_t len, const struct tl_delta *d)
{
	const struct sched_thread_stats *s = d->cur ? d->cur : d->prev;
	char koid[24], task[24], name[40], cls[64], cpu[16], disp[24];
	char lat[80], dl[48] = "-", thr[24];
	struct out o = out_start(cls, sizeof(cls));
	put_class(&o, &s->params);
	/* Running on someone else's class (donation) is worth seeing. */
	if (s->eff_cls != s->params.cls)
		put(&o, " >%s", tl_cls_name(s->eff_cls));
	u64s(koid, sizeof(koid), s->koid);
	if (s->task_koid)
		u64s(task, sizeof(task), s->task_koid);
	else
		strcpy(task, "kern");
	tl_fmt_name(name, sizeof(name), s->name, s->koid);
	if (d->presence == TL_GONE) /* its last stretch was not sampled */
		return snprintf(buf, len, ROW_FMT, '-', koid, task, name, cls,
				"gone", "-", "-", "-", "-", "-");

	const char *state = tl_state_name(s->state);
	if ((s->flags & SCHED_TS_THROTTLED) && s->state != SCHED_TS_RUNNING)
		state = "throttled";
	o = out_start(cpu, sizeof(cpu));
	put_permille(&o, d->cpu_permille);
	o = out_start(lat, sizeof(lat));
	if (s->wakeups) {
		put_fixed(&o, s->lat_min_ns, 100, 1, "/");
		put_fixed(&o, s->lat_sum_ns / s->wakeups, 100, 1, "/");
		put_fixed(&o, s->lat_max_ns, 100, 1, "");
	} else {
		put(&o, "-");
	}
	if (s->params.cls == SCHED_CLASS_DL || d->dl_met || d->dl_missed)
		snprintf(dl, sizeof(dl), "%llu/%llu", (ull)d->dl_met,
			 (ull)d->dl_missed);
	return snprintf(buf, len, ROW_FMT, d->presence == TL_NEW ? '+' : ' ',
			koid, task, name, cls, state, cpu,
			u64s(disp, sizeof(disp), d->dispatches), lat, dl,
			u64s(thr, sizeof(thr), d->throttles));
}

int tl_fmt_cpu_line(char *buf, size_t len, const struct sched_cpu_info *a,
		    const struct sched_cpu_info *b)
{
	struct out o = out_start(buf, len);
	put(&o, "  cpu%-2u busy ", b->cpu);
	put_permille(&o, tl_busy_permille(a, b));
	put(&o, "%%  switches %llu  ready %u  dl ",
	    (ull)sub0(b->switches, a->switches), b->nr_ready);
	uint64_t dl = b->dl_density_ppm / 1000;
	put_permille(&o, dl > 1000 ? 1000 : (uint32_t)dl);
	put(&o, "%%");
	uint64_t calls = sub0(b->sched_calls, a->sched_calls);
	if (calls)
		put(&o, "  %llu cycles/decision",
		    (ull)(sub0(b->sched_cycles, a->sched_cycles) / calls));
	uint64_t capped = sub0(b->rt_capped, a->rt_capped);
	if (capped)
		put(&o, "  rt-capped %llu", (ull)capped);
	return out_done(&o);
}

/* Binary search of n entries of sz bytes, each starting with its koid
 * (ascending); n when absent. Serves the snapshots and the legend. */
static size_t find_koid(const void *base, size_t n, size_t sz, uint64_t koid)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint64_t k;
		memcpy(&k, (const char *)base + mid * sz, sizeof(k));
		if (k == koid)
			return mid;
		if (k < koid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return n;
}
_Static_assert(offsetof(struct sched_thread_stats, koid) == 0, "koid first");

const char *tl_lookup_name(const struct sched_thread_stats *prev, size_t nprev,
			   const struct sched_thread_stats *cur, size_t ncur,
			   uint64_t koid)
{
	size_t i = find_koid(cur, ncur, sizeof(*cur), koid);
	if (i < ncur)
		return cur[i].name;
	i = find_koid(prev, nprev, sizeof(*prev), koid);
	return i < nprev ? prev[i].name : NULL;
}

size_t tl_merge_recent(const struct tl_run *runs, size_t nruns,
		       struct sched_trace_rec *out, size_t max)
{
	size_t left[TL_MAX_CPUS];
	if (nruns > TL_MAX_CPUS)
		nruns = TL_MAX_CPUS;
	for (size_t i = 0; i < nruns; i++)
		left[i] = runs[i].n;
	/* Newest first from the ends of the runs, filling out backwards. */
	size_t k = max;
	while (k > 0) {
		size_t best = nruns;
		for (size_t i = 0; i < nruns; i++) {
			if (!left[i])
				continue;
			if (best == nruns ||
			    runs[i].r[left[i] - 1].start_ns >=
				    runs[best].r[left[best] - 1].start_ns)
				best = i;
		}
		if (best == nruns)
			break;
		out[--k] = runs[best].r[--left[best]];
	}
	if (k)
		memmove(out, out + k, (max - k) * sizeof(*out));
	return max - k;
}

int tl_fmt_timeline_line(char *buf, size_t len, const struct sched_trace_rec *r,
			 uint64_t t0_ns, const char *name)
{
	struct out o = out_start(buf, len);
	char nm[40];
	uint64_t us = sub0(r->start_ns, t0_ns) / 1000;
	tl_fmt_name(nm, sizeof(nm), name, r->thread_koid);
	put(&o, "  +%llu.%03llu  cpu%u  %-16s  %-4s  run %6lluus  lat ",
	    (ull)(us / 1000), (ull)(us % 1000), r->cpu, nm, tl_cls_name(r->cls),
	    (ull)((r->runtime_ns + 500) / 1000));
	if (!(r->flags & SCHED_TREC_WOKEN))
		put(&o, "%8s", "-");
	else if (r->latency_ns == UINT32_MAX) /* saturated: a lower bound */
		put(&o, ">%lluus", (ull)(UINT32_MAX / 1000));
	else
		put(&o, "%6lluus", (ull)((r->latency_ns + 500) / 1000));
	if (r->flags) {
		put(&o, "  ");
		put_flags(&o, r->flags);
	}
	return out_done(&o);
}

void tl_legend_build(struct tl_legend *lg, const struct sched_trace_rec *r,
		     size_t n)
{
	memset(lg, 0, sizeof(*lg));
	for (size_t i = 0; i < n; i++) {
		if (r[i].cls == SCHED_CLASS_IDLE)
			continue;
		uint64_t k = r[i].thread_koid;
		size_t pos = 0;
		while (pos < lg->n && lg->koid[pos] < k)
			pos++;
		if (pos < lg->n && lg->koid[pos] == k)
			continue;
		/* Full: keep the lowest koids, the rest become '#'. */
		if (lg->n == TL_LEGEND_MAX) {
			lg->overflow = 1;
			if (pos == TL_LEGEND_MAX)
				continue;
			lg->n--;
		}
		memmove(&lg->koid[pos + 1], &lg->koid[pos],
			(lg->n - pos) * sizeof(lg->koid[0]));
		lg->koid[pos] = k;
		lg->n++;
	}
}

static const char letters[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
_Static_assert(sizeof(letters) - 1 == TL_LEGEND_MAX, "one letter a slot");

/* Index in the legend, TL_LEGEND_MAX for '#'. */
static size_t legend_index(const struct tl_legend *lg, uint64_t koid)
{
	size_t i = find_koid(lg->koid, lg->n, sizeof(lg->koid[0]), koid);
	return i < lg->n ? i : TL_LEGEND_MAX;
}

char tl_legend_letter(const struct tl_legend *lg, uint64_t koid)
{
	size_t i = legend_index(lg, koid);
	return i < TL_LEGEND_MAX ? letters[i] : '#';
}

int tl_fmt_legend(char *buf, size_t len, const struct tl_legend *lg,
		  const struct sched_thread_stats *prev, size_t nprev,
		  const struct sched_thread_stats *cur, size_t ncur)
{
	struct out o = out_start(buf, len);
	size_t col = 0;

	for (size_t i = 0; i <= lg->n + 1; i++) {
		char item[48], nm[40];
		if (i == lg->n && !lg->overflow)
			continue;
		if (i < lg->n)
			tl_fmt_name(nm, sizeof(nm),
				    tl_lookup_name(prev, nprev, cur, ncur,
						   lg->koid[i]),
				    lg->koid[i]);
		snprintf(item, sizeof(item), "%c=%s",
			 i < lg->n    ? letters[i]
			 : i == lg->n ? '#'
				      : '.',
			 i < lg->n    ? nm
			 : i == lg->n ? "other"
				      : "idle");
		/* Wrap before 78 columns. */
		size_t w = 2 + strlen(item);
		if (col && col + w > 78) {
			put(&o, "\n");
			col = 0;
		}
		put(&o, "  %s", item);
		col += w;
	}
	return out_done(&o);
}

/* One column of one CPU's row; first is the row's scan position (records
 * that ended before this column or run elsewhere are behind it). */
static char chart_cell(const struct sched_trace_rec *r, size_t n, size_t *first,
		       uint32_t cpu, uint64_t b0, uint64_t b1,
		       const struct tl_legend *lg)
{
	uint64_t acc[TL_LEGEND_MAX + 1] = {0};
	uint64_t busy = 0;
	while (*first < n && (r[*first].cpu != cpu ||
			      r[*first].start_ns + r[*first].runtime_ns <= b0))
		(*first)++;
	for (size_t i = *first; i < n && r[i].start_ns < b1; i++) {
		if (r[i].cpu != cpu || r[i].cls == SCHED_CLASS_IDLE)
			continue;
		uint64_t s = r[i].start_ns > b0 ? r[i].start_ns : b0;
		uint64_t e = r[i].start_ns + r[i].runtime_ns;
		if (e > b1)
			e = b1;
		if (e <= s)
			continue;
		acc[legend_index(lg, r[i].thread_koid)] += e - s;
		busy += e - s;
	}
	size_t best = 0;
	for (size_t i = 1; i <= TL_LEGEND_MAX; i++)
		if (acc[i] > acc[best])
			best = i;
	uint64_t idle = sub0(b1 - b0, busy);
	if (!acc[best] || idle > acc[best])
		return '.';
	return best < TL_LEGEND_MAX ? letters[best] : '#';
}

int tl_render_chart(char *buf, size_t len, const struct sched_trace_rec *r,
		    size_t n, const uint32_t *cpus, size_t ncpus, unsigned cols,
		    const struct tl_legend *lg)
{
	struct out o = out_start(buf, len);
	if (!n) {
		put(&o, "  (no dispatches recorded)\n");
		return out_done(&o);
	}
	cols = cols < 1			  ? 1
	       : cols > TL_CHART_COLS_MAX ? TL_CHART_COLS_MAX
					  : cols;
	uint64_t t0 = r[0].start_ns, t1 = t0 + 1; /* r is sorted by start */
	for (size_t i = 0; i < n; i++)
		if (r[i].start_ns + r[i].runtime_ns > t1)
			t1 = r[i].start_ns + r[i].runtime_ns;
	uint64_t w = (t1 - t0 + cols - 1) / cols;
	put(&o, "  span ");
	put_fixed(&o, t1 - t0, 1000, 3, " ms, ");
	put_fixed(&o, w, 1000, 3, " ms a column\n");
	for (size_t c = 0; c < ncpus; c++) {
		size_t first = 0;
		put(&o, "  cpu%-2u |", cpus[c]);
		for (unsigned col = 0; col < cols; col++) {
			uint64_t b0 = t0 + col * w, b1 = b0 + w;
			if (b0 >= t1) { /* short span: fewer columns */
				put(&o, " ");
				continue;
			}
			if (b1 > t1)
				b1 = t1;
			put(&o, "%c",
			    chart_cell(r, n, &first, cpus[c], b0, b1, lg));
		}
		put(&o, "|\n");
	}
	return out_done(&o);
}

int tl_fmt_dump_header(char *buf, size_t len, uint32_t cpus, uint64_t now_ns)
{
	return snprintf(buf, len, "tl-dump v1 cpus=%u now=%llu", cpus,
			(ull)now_ns);
}

int tl_fmt_dump_thread(char *buf, size_t len,
		       const struct sched_thread_stats *s)
{
	char nm[40];
	tl_fmt_name(nm, sizeof(nm), s->name, s->koid);
	return snprintf(
		buf, len, "tl-thread koid=%llu task=%llu cls=%s name=%s",
		(ull)s->koid, (ull)s->task_koid, tl_cls_name(s->eff_cls), nm);
}

int tl_fmt_dump_rec(char *buf, size_t len, uint32_t cpu,
		    const struct sched_trace_rec *r)
{
	return snprintf(buf, len,
			"tl-rec cpu=%u seq=%llu koid=%llu cls=%s start=%llu "
			"run=%llu lat=%u dl=%llu flags=0x%x",
			cpu, (ull)r->seq, (ull)r->thread_koid,
			tl_cls_name(r->cls), (ull)r->start_ns,
			(ull)r->runtime_ns, r->latency_ns, (ull)r->deadline_ns,
			r->flags);
}

int tl_fmt_dump_lost(char *buf, size_t len, uint32_t cpu, uint64_t n)
{
	return snprintf(buf, len, "tl-lost cpu=%u n=%llu", cpu, (ull)n);
}
