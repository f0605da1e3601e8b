/* The status page's model and its two renderings (HTML and JSON). Pure
 * code, host-tested (tests/host/test_net_http.c). The model is filled by
 * the platform part: stat_execrt.c on exec-rt (the kernel's task and
 * thread statistics, /svc/init's services), stat_linux.c on a Linux host
 * (/proc), so the HTTP side can be tested there. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ST_TASKS_MAX	128
#define ST_THREADS_MAX	256
#define ST_SERVICES_MAX 48
#define ST_CPUS_MAX	16
#define ST_NAME		32

struct st_task {
	uint64_t koid, parent;
	char name[ST_NAME];
	char state[12];		      /* "running", "dying" */
	uint64_t mem_used, mem_quota; /* bytes; quota 0: none */
	uint64_t threads;
	uint64_t runtime_ns;
	uint32_t cpu_permille; /* of one CPU since the previous sample */
};

struct st_thread {
	uint64_t koid, task;
	char name[ST_NAME];
	char sched[40]; /* "BE w1024", "RT 20 fifo", "DL 1.00/2.00/4.00 ms" */
	char state[12]; /* "ready", "running", "blocked", ... */
	uint32_t cpu;
	uint32_t cpu_permille;
	uint64_t runtime_ns, dispatches, wakeups, preemptions;
	uint64_t lat_max_ns;
};

struct st_service {
	char name[ST_NAME];
	char state[16];
	uint64_t task, generation, restarts;
	bool has_exit;
	int64_t last_exit;
	uint64_t since_usec;
};

struct st_cpu {
	uint32_t id;
	uint64_t idle_ns, switches;
	uint32_t busy_permille; /* since the previous sample */
};

struct st_server { /* httpd's own figures */
	uint64_t connections, requests, open, refused;
};

struct status {
	char system[32]; /* "exec-rt", "linux" */
	uint64_t uptime_ns;
	uint64_t sample_ns; /* window the CPU figures cover (0: none) */
	uint64_t mem_total, mem_free; /* bytes */
	uint64_t kobjects;
	uint32_t ntask, nthread, nservice, ncpu;
	bool truncated;		 /* more tasks/threads/services than fit */
	char services_error[64]; /* why there are none ("" if asked fine) */
	struct st_task task[ST_TASKS_MAX];
	struct st_thread thread[ST_THREADS_MAX];
	struct st_service service[ST_SERVICES_MAX];
	struct st_cpu cpu[ST_CPUS_MAX];
	struct st_server server;
};

/* Each returns the length written (NUL not counted), or -1 when cap was
 * too small (buf then holds a truncated text). */
int st_json(const struct status *s, char *buf, size_t cap);
int st_html(const struct status *s, char *buf, size_t cap);

/* Appends s to buf with &, <, >, " and ' as entities; control bytes
 * become '?'. For st_html and its test. */
struct sbuf {
	char *buf;
	size_t cap, len;
	bool over;
};
void sb_puts(struct sbuf *b, const char *s);
void sb_printf(struct sbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void sb_html(struct sbuf *b, const char *s);

/* "12.3" from permille. */
void st_permille(char *buf, size_t cap, uint32_t pm);
