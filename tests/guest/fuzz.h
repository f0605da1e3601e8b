/* The in-guest system-call fuzzer: what its driver (t_fuzz.c, in the guest
 * suite) and the fuzzing task (guest-fuzz: fuzz_main.c, fuzz_gen.c) agree
 * on, and the fuzzing task's internal interface. docs/testing.md, "Guest
 * fuzzer", has the design. */
#pragma once
#include <stdint.h>

#include <execrt/runtime.h>

#define FUZZ_PROG	 "guest-fuzz"
#define FUZZ_MAX_WORKERS 4
/* start_info slots of guest-fuzz: the worker threads the driver created
 * and placed on the CPUs (not started). The report object's value is on
 * the command line: guest-fuzz <seed> <calls per worker> <report>. */
#define FUZZ_H_WORKER0 12

/* Exit statuses of guest-fuzz other than the number of calls it made. */
#define FUZZ_ST_SETUP (-3000) /* minus the step that failed */
#define FUZZ_ST_HANG  (-4000) /* minus the mask of unfinished workers */

/* Fixed addresses of guest-fuzz's own memory, far from where the kernel
 * places mappings without a fixed address (from USER_BASE up) and from the
 * program image, so that a random fuzzed address never hits it. */
#define FUZZ_REPORT_ADDR 0x00007e0000000000ull
#define FUZZ_STACK_ADDR	 0x00007e0000100000ull
#define FUZZ_STACK_SIZE	 (64ull << 10)
/* The arena: the only memory of its own the fuzzer lets calls unmap,
 * protect and grant; pointers handed to the kernel point into it. */
#define FUZZ_ARENA_ADDR 0x00007e0001000000ull
#define FUZZ_ARENA_SIZE (16ull * 4096)

/* The report page, written by the fuzzing task, read by the driver. */
#define FUZZ_REPORT_MAGIC 0x7a7a7566676e6f72ull
struct fuzz_worker_state {
	uint64_t calls; /* calls made so far */
	uint64_t nr;	/* the call in progress (or the last one) */
	uint64_t a[6];
	uint64_t in_call; /* 1 while inside the kernel */
	uint64_t done;
};
struct fuzz_report {
	uint64_t magic;
	uint64_t seed;
	struct fuzz_worker_state w[FUZZ_MAX_WORKERS];
	uint64_t ok[SYS_COUNT]; /* successful calls per call number */
	uint64_t hostile; /* calls with a number out of range */
};
_Static_assert(sizeof(struct fuzz_report) <= 4096, "one page (fuzz_main.c)");
extern struct fuzz_report *fz_rep;

/* --- inside guest-fuzz --- */

/* The pool of handles the workers share: entries are one 64-bit word so a
 * racing reader sees a whole one. */
#define POOL_SIZE  128
#define STALE_SIZE 64
enum { OWN_NONE, OWN_SELF, OWN_CHILD }; /* whose thread a THREAD entry is */

struct fuzz_rng {
	uint64_t s;
};

struct fuzz_ctx {
	unsigned idx;
	struct fuzz_rng rng;
	struct fuzz_worker_state *st;
	/* Outputs the kernel may write; read back after a call. */
	handle_t out_h[2];
	uint64_t out_u64;
	uint64_t last_grant_addr;
	handle_t pending_reply; /* received with a call: answer it next */
	handle_t fault_task;	/* its report in `fault`: resume it next */
	struct fault_report fault;
	handle_t tx_handles[16];
	handle_t rx_handles[16];
	struct port_rx rx;
	struct port_msg msg;
	struct vm_map_req req;
	uint8_t scratch[3 * 4096] __attribute__((aligned(16)));
};

/* Shared state of the fuzzing task (fuzz_main.c). */
extern handle_t fz_self; /* this task, with MANAGE: never in the pool */

uint64_t fz_rand(struct fuzz_rng *r);
static inline uint64_t fz_below(struct fuzz_rng *r, uint64_t n)
{
	return n ? fz_rand(r) % n : 0;
}
/* A handle from the pool, of type `type` when one is there (OBJ_NONE:
 * any), or a hostile value now and then. */
handle_t fz_pick(struct fuzz_ctx *c, uint32_t type);
/* A pool entry of type THREAD owned by a child task, or 0. */
int fz_pool_owner(handle_t h);
void fz_pool_add(struct fuzz_ctx *c, handle_t h, uint32_t type, int owner);
void fz_pool_forget(handle_t h); /* closed or moved away: now stale */
uint32_t fz_pool_type(handle_t h);
/* Entry points of threads the fuzzer starts in its own task. */
void fz_stub_exit(void);
void fz_stub_sleep(void);

/* fuzz_gen.c: one random call, made and accounted for. */
void fz_one_call(struct fuzz_ctx *c);
