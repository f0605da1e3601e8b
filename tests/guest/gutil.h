/* Helpers shared by the guest tests: start-up handles, kernel counters,
 * raw threads with their own TLS, child tasks from the initrd, addresses
 * that must be refused. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include <execrt/runtime.h>

/* Addresses every pointer-taking call must refuse with ERR_FAULT. */
#define KERNEL_PTR   0xffffffff80000000ull /* kernel half, canonical */
#define NONCANON_PTR 0x8000000000000000ull
#define PAGE	     PAGE_SIZE_USER
#define MS	     1000000ull /* ns */

handle_t g_self(void);
handle_t g_console(void);
handle_t g_sysinfo(void);
handle_t g_initrd(void);
handle_t g_sched(void);     /* the root scheduling authority */
unsigned g_ncpus(void);
/* SMP: the CPU this thread runs on now; every online CPU as a mask; pins
 * this thread (and so the threads it creates) to CPU 0, where the tests
 * written before SMP scheduling ran (the root task started there). */
uint32_t g_my_cpu(void);
uint64_t g_all_cpus(void);
long g_pin_self(void);
handle_t g_telemetry(void); /* scheduler telemetry */
/* Class changes of a thread through the root authority. */
long g_set_be(handle_t th, uint32_t weight);
long g_set_rt(handle_t th, uint32_t prio, int rr, uint64_t quantum_ns);
long g_set_dl(handle_t th, uint64_t runtime, uint64_t deadline,
	      uint64_t period);
/* DL parameters (placement kept). */
struct sched_params g_dl(uint64_t runtime, uint64_t deadline,
			 uint64_t period);
/* The telemetry totals of one thread (by handle or koid). */
long g_thread_stats(handle_t th, struct sched_thread_stats *out);
long g_koid_stats(uint64_t koid, struct sched_thread_stats *out);
/* Waits (up to 5 s) until thread th is blocked: a server in its receive,
 * a caller in its call; a loaded host may stall a vCPU for longer than
 * any sleep. */
void g_wait_blocked(handle_t th);
/* Is the IPC fastpath on in this boot (no `ipc_fastpath=off`)? -1 if the
 * command line cannot be read. */
int g_ipc_fastpath_on(void);
/* Calls and answers thread th passed through the fastpath (~0 if
 * unknown). */
uint64_t g_ipc_fast_count(handle_t th);
/* CPU time of a thread so far (0 if unknown). */
uint64_t g_runtime(uint64_t koid);
/* Spins until the calling thread (koid) has used ns more CPU time. */
void g_burn(uint64_t koid, uint64_t ns);
/* Spins for ns of wall-clock time. */
void g_spin(uint64_t ns);

/* The initrd, read once at start-up (main.c). */
extern const void *g_initrd_buf;
extern uint64_t g_initrd_len;
long g_initrd_load(void);

/* The value of a word "key=value" on the root task's command line (after
 * " -- " on the kernel's), or NULL. */
const char *g_arg(const char *key);

long g_stats(struct kernel_stats *s);
uint64_t g_now(void);

/* Fresh zeroed memory mapped into this task (RW), and back. */
void *g_map(uint64_t len);
void g_unmap(void *p, uint64_t len);
/* A user address that is certainly not mapped (mapped, then unmapped). */
uint64_t g_unmapped_addr(void);
/* Handle dup with the given rights; HANDLE_INVALID on failure. */
handle_t g_dup(handle_t h, uint32_t rights);
uint64_t g_koid(handle_t h);

/* A thread of this task with its own stack and TLS block (the program's
 * PT_TLS image copied, %fs set with SYS_THREAD_SET_TLS before fn runs). fn's
 * result is the thread's exit status. The code run must not use libc
 * functions that need a full musl thread (stdio locks, errno). */
struct gthread {
	handle_t h;
	uint64_t koid; /* set before the thread starts */
	uint64_t map, map_len;
};
long gthread_start(struct gthread *t, int64_t (*fn)(uint64_t), uint64_t arg);
/* The same in the class p asks for (set before the thread starts). */
long gthread_start_sched(struct gthread *t, int64_t (*fn)(uint64_t),
			 uint64_t arg, const struct sched_params *p);
/* Waits (deadline), closes the handle and frees the stack. */
long gthread_join(struct gthread *t, uint64_t deadline, int64_t *status);
/* The thread pointer (%fs:0) of the caller. */
uint64_t g_tp(void);

/* A child task running program `prog` of the initrd with command line
 * "prog args"; it gets a console, a handle to itself and its first thread.
 * Not started when fault_handler is set until the handler is enabled:
 * spawn does both (enable, then start). */
struct child {
	handle_t task, thread;
	uint64_t thread_koid;
};
long g_spawn(const char *prog, const char *args, uint64_t quota,
	     int fault_handler, struct child *c);
/* When set, children get a duplicate of it at START_H_NAMES (the name
 * service's send handle, t_client.c). */
extern handle_t g_spawn_names;
/* Likewise at START_H_TELEMETRY (timeline-inspect). */
extern handle_t g_spawn_telemetry;
/* Likewise at START_H_SYSINFO (vmgr). */
extern handle_t g_spawn_sysinfo;
/* The same, moving handle extra (with rights) into the child first; each
 * "@" in args becomes its value there. */
long g_spawn_ex(const char *prog, const char *args, uint64_t quota,
		int fault_handler, handle_t extra, uint32_t rights,
		struct child *c);
/* Wait for the child's end (deadline ns from now), get its status, close
 * its handles. On timeout the child is killed first. */
long g_reap(struct child *c, uint64_t timeout_ns, int64_t *status);

#define CHILD_FAULT "guest-child-fault"
#define CHILD_WORK  "guest-child-work"
#define CHILD_QUOTA (8ull << 20)
