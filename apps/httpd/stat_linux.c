/* httpd's figures on a Linux host (for testing the HTTP side there):
 * processes from /proc as tasks, httpd's own threads, the CPUs from
 * /proc/stat. No service supervisor: services stay empty, with a note. */
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "httpd_stat.h"

static uint64_t prev_ns;
static uint64_t prev_busy[ST_CPUS_MAX], prev_total[ST_CPUS_MAX];

int stat_init(void)
{
	return 0;
}

static bool read_task(const char *dir, struct st_task *t, long tick, long page)
{
	char path[300], buf[1024];
	snprintf(path, sizeof(path), "%s/stat", dir);
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	char *l = strchr(buf, '('), *r = strrchr(buf, ')');
	if (!l || !r || r < l)
		return false;
	memset(t, 0, sizeof(*t));
	t->koid = strtoull(buf, NULL, 10);
	size_t nl = (size_t)(r - l - 1);
	if (nl >= sizeof(t->name))
		nl = sizeof(t->name) - 1;
	memcpy(t->name, l + 1, nl);
	char st = 0;
	unsigned long long ppid = 0, ut = 0, stt = 0, nthr = 0, rss = 0;
	/* state ppid pgrp session tty tpgid flags minflt cminflt majflt
	 * cmajflt utime stime cutime cstime priority nice num_threads
	 * itrealvalue starttime vsize rss */
	if (sscanf(r + 2,
		   "%c %llu %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu "
		   "%*d %*d %*d %*d %llu %*d %*u %*u %llu",
		   &st, &ppid, &ut, &stt, &nthr, &rss) < 6)
		return false;
	t->parent = ppid;
	snprintf(t->state, sizeof(t->state), "%s",
		 st == 'R'   ? "running"
		 : st == 'Z' ? "dying"
			     : "sleeping");
	t->threads = nthr;
	t->runtime_ns = (ut + stt) * (1000000000ull / (uint64_t)tick);
	t->mem_used = rss * (uint64_t)page;
	return true;
}

void stat_sample(struct status *s)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	uint64_t now =
		(uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	struct st_server keep = s->server;
	memset(s, 0, sizeof(*s));
	s->server = keep;
	snprintf(s->system, sizeof(s->system), "linux");
	s->uptime_ns = now;
	s->sample_ns = prev_ns ? now - prev_ns : 0;
	long tick = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
	s->mem_total = (uint64_t)sysconf(_SC_PHYS_PAGES) * (uint64_t)page;
	s->mem_free = (uint64_t)sysconf(_SC_AVPHYS_PAGES) * (uint64_t)page;
	DIR *d = opendir("/proc");
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		if (s->ntask == ST_TASKS_MAX) {
			s->truncated = true;
			break;
		}
		char dir[300];
		snprintf(dir, sizeof(dir), "/proc/%s", e->d_name);
		if (read_task(dir, &s->task[s->ntask], tick, page))
			s->ntask++;
	}
	if (d)
		closedir(d);
	/* Our own threads, as the scheduler rows. */
	d = opendir("/proc/self/task");
	while (d && (e = readdir(d)) && s->nthread < ST_THREADS_MAX) {
		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		struct st_task t;
		char dir[300];
		snprintf(dir, sizeof(dir), "/proc/self/task/%s", e->d_name);
		if (!read_task(dir, &t, tick, page))
			continue;
		struct st_thread *h = &s->thread[s->nthread++];
		h->koid = t.koid;
		h->task = (uint64_t)getpid();
		snprintf(h->name, sizeof(h->name), "%s", t.name);
		snprintf(h->sched, sizeof(h->sched), "BE");
		snprintf(h->state, sizeof(h->state), "%s", t.state);
		h->runtime_ns = t.runtime_ns;
	}
	if (d)
		closedir(d);
	FILE *f = fopen("/proc/stat", "r");
	char line[512];
	while (f && fgets(line, sizeof(line), f) && s->ncpu < ST_CPUS_MAX) {
		unsigned id;
		unsigned long long v[8] = {0};
		if (line[3] < '0' || line[3] > '9')
			continue; /* the sum line, "cpu  ..." */
		if (sscanf(line, "cpu%u %llu %llu %llu %llu %llu %llu %llu",
			   &id, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
			   &v[6]) < 5)
			continue;
		struct st_cpu *c = &s->cpu[s->ncpu];
		uint64_t total = 0;
		for (int i = 0; i < 7; i++)
			total += v[i];
		uint64_t idle = v[3] + v[4], busy = total - idle;
		c->id = id;
		c->idle_ns = idle * (1000000000ull / (uint64_t)tick);
		uint64_t dt = total - prev_total[s->ncpu];
		if (prev_total[s->ncpu] && dt)
			c->busy_permille =
				(uint32_t)((busy - prev_busy[s->ncpu]) * 1000 /
					   dt);
		prev_total[s->ncpu] = total;
		prev_busy[s->ncpu] = busy;
		s->ncpu++;
	}
	if (f)
		fclose(f);
	snprintf(s->services_error, sizeof(s->services_error),
		 "no service supervisor on this system");
	prev_ns = now;
}
