/* ps, mem and uptime formatting (psfmt.h). No system calls. */
#include <stdio.h>
#include <string.h>

#include "psfmt.h"

typedef unsigned long long ull;

int ps_fmt_bytes(char *buf, size_t len, uint64_t b)
{
	static const char units[] = "KMGT";
	if (b < 1024)
		return snprintf(buf, len, "%lluB", (ull)b);
	/* Tenths of the unit, rounded down, so 1023.9K never shows 1024K. */
	uint64_t tenths = b > UINT64_MAX / 10 ? b / 1024 * 10 : b * 10 / 1024;
	unsigned u = 0;
	while (tenths >= 10240 && u + 1 < sizeof(units) - 1) {
		tenths /= 1024;
		u++;
	}
	if (tenths < 100)
		return snprintf(buf, len, "%llu.%llu%c", (ull)(tenths / 10),
				(ull)(tenths % 10), units[u]);
	return snprintf(buf, len, "%llu%c", (ull)(tenths / 10), units[u]);
}

uint32_t ps_task_permille(const struct task_stats *prev, size_t nprev,
			  const struct task_stats *cur, uint64_t dt_ns)
{
	size_t lo = 0, hi = nprev;
	uint64_t before = 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (prev[mid].koid < cur->koid) {
			lo = mid + 1;
		} else if (prev[mid].koid > cur->koid) {
			hi = mid;
		} else {
			before = prev[mid].runtime_ns;
			break;
		}
	}
	uint64_t ran = cur->runtime_ns > before ? cur->runtime_ns - before : 0;
	return tl_permille(ran, dt_ns);
}

uint32_t ps_threads_permille(const struct tl_delta *d, size_t nd,
			     uint64_t task_koid, uint64_t dt_ns)
{
	uint64_t ran = 0;
	for (size_t i = 0; i < nd; i++) {
		const struct sched_thread_stats *t =
			d[i].cur ? d[i].cur : d[i].prev;
		if (t->task_koid == task_koid && ran + d[i].run_ns >= ran)
			ran += d[i].run_ns;
	}
	return tl_permille(ran, dt_ns);
}

int ps_fmt_header(char *buf, size_t len)
{
	return snprintf(buf, len, "%6s %6s  %-20s %-7s %6s  %15s  %s", "KOID",
			"PARENT", "NAME", "STATE", "CPU%", "MEM USED/QUOTA",
			"CPU QUOTA");
}

/* A name as one column: control bytes become '?'; empty is "-". */
static void clean_name(char *out, const char *name, size_t max)
{
	size_t n = strnlen(name, max);
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)name[i];
		out[i] = ch < 0x20 || ch == 0x7f ? '?' : (char)ch;
	}
	out[n] = '\0';
	if (!n)
		strcpy(out, "-");
}

int ps_fmt_task(char *buf, size_t len, const struct task_stats *t,
		uint32_t permille)
{
	char name[sizeof(t->name) + 1], used[16], quota[16], cq[48];
	clean_name(name, t->name, sizeof(t->name));
	ps_fmt_bytes(used, sizeof(used), t->mem_used);
	ps_fmt_bytes(quota, sizeof(quota), t->mem_quota);
	if (t->cpu_quota_runtime_ns && t->cpu_quota_period_ns)
		snprintf(cq, sizeof(cq), "%llu.%03llu/%llu.%03llu ms",
			 (ull)(t->cpu_quota_runtime_ns / 1000000),
			 (ull)(t->cpu_quota_runtime_ns / 1000 % 1000),
			 (ull)(t->cpu_quota_period_ns / 1000000),
			 (ull)(t->cpu_quota_period_ns / 1000 % 1000));
	else
		strcpy(cq, "-");
	char mem[40];
	snprintf(mem, sizeof(mem), "%s/%s", used, quota);
	return snprintf(buf, len, "%6llu %6llu  %-20s %-7s %4u.%u%%  %15s  %s",
			(ull)t->koid, (ull)t->parent_koid, name,
			t->state == 0 ? "running" : "dying", permille / 10,
			permille % 10, mem, cq);
}

int ps_fmt_thread(char *buf, size_t len, const struct tl_delta *d)
{
	const struct sched_thread_stats *t = d->cur ? d->cur : d->prev;
	char name[48], cls[64];
	tl_fmt_name(name, sizeof(name), t->name, t->koid);
	tl_fmt_class(cls, sizeof(cls), &t->params);
	return snprintf(
		buf, len, "  %6llu thread %-16s %-20s %4u.%u%%  %s cpu%u",
		(ull)t->koid, name, cls, d->cpu_permille / 10,
		d->cpu_permille % 10,
		d->cur ? tl_state_name(t->state) : "ended", (unsigned)t->cpu);
}

int ps_fmt_mem(char *buf, size_t len, const struct kernel_stats *k)
{
	char tot[16], fr[16], ca[16], q[16], u[16];
	ps_fmt_bytes(tot, sizeof(tot), k->frames_total * 4096);
	ps_fmt_bytes(fr, sizeof(fr), k->frames_free * 4096);
	ps_fmt_bytes(ca, sizeof(ca), k->frames_cached * 4096);
	ps_fmt_bytes(q, sizeof(q), k->mem_quota);
	ps_fmt_bytes(u, sizeof(u), k->mem_used);
	return snprintf(
		buf, len,
		"frames:   %llu total (%s), %llu free (%s), %llu cached (%s)\n"
		"objects:  %llu kernel objects, %llu slab allocations\n"
		"tasks:    %llu tasks, %llu threads, %llu CPUs\n"
		"accounts: %llu memory accounts\n"
		"sh:       %s used of %s quota\n",
		(ull)k->frames_total, tot, (ull)k->frames_free, fr,
		(ull)k->frames_cached, ca, (ull)k->kobjects_live,
		(ull)k->slab_objects, (ull)k->tasks, (ull)k->threads,
		(ull)k->cpus_online, (ull)k->accounts, u, q);
}

int ps_fmt_uptime(char *buf, size_t len, uint64_t ns)
{
	uint64_t ms = ns / 1000000, s = ms / 1000;
	return snprintf(buf, len, "up %llu:%02llu:%02llu.%03llu (%llu ms)",
			(ull)(s / 3600), (ull)(s / 60 % 60), (ull)(s % 60),
			(ull)(ms % 1000), (ull)ms);
}
