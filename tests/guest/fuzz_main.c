/* guest-fuzz: the fuzzing task of the in-guest system-call fuzzer (driver:
 * t_fuzz.c; design: docs/testing.md "Guest fuzzer").
 *
 *   guest-fuzz <seed> <calls per worker> <report handle> <timeout s>
 *
 * The main thread maps its own memory at fixed addresses (fuzz.h), fills
 * the shared handle pool with one object of every kind it can make, starts
 * the worker threads the driver placed on the CPUs (start_info slots
 * FUZZ_H_WORKER0..) and waits for them. Workers make random calls
 * (fuzz_gen.c) and record each in the report page before entering the
 * kernel, so a hang shows the call. The task exits with the number of
 * calls made, or FUZZ_ST_* on a failed set-up or a hang.
 *
 * Workers run without TLS (a fuzzed SYS_THREAD_SET_TLS may move %fs at any
 * time): this program is built without the stack protector and the workers
 * use no libc function that needs a thread pointer. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

handle_t fz_self;
static uint64_t seed, ncalls;
struct fuzz_report *fz_rep = (struct fuzz_report *)FUZZ_REPORT_ADDR;

/* The pool: (owner << 40) | (type << 32) | handle, 0 when empty. Stale
 * values (closed or moved away) are kept to be tried again. */
static uint64_t pool[POOL_SIZE];
static uint32_t stale[STALE_SIZE];
static unsigned stale_next;

#define ENTRY(h, t, o)                                                         \
	((uint64_t)(h) | (uint64_t)(t) << 32 | (uint64_t)(o) << 40)
#define E_H(e)	  ((handle_t)(e))
#define E_TYPE(e) ((uint32_t)((e) >> 32) & 0xff)
#define E_OWN(e)  ((int)((e) >> 40) & 0xff)

/* Entry points of threads started in this task: they use no stack. */
__asm__(".pushsection .text\n"
	".globl fz_stub_exit\n"
	"fz_stub_exit:\n"
	"	mov $12, %eax\n" /* SYS_THREAD_EXIT */
	"	xor %edi, %edi\n"
	"	syscall\n"
	"	ud2\n"
	".globl fz_stub_sleep\n"
	"fz_stub_sleep:\n"
	"	mov $6, %eax\n" /* SYS_SLEEP_UNTIL, forever */
	"	mov $-1, %rdi\n"
	"	syscall\n"
	"	jmp fz_stub_sleep\n"
	".popsection\n");

uint64_t fz_rand(struct fuzz_rng *r)
{
	/* splitmix64: every seed is a good one. */
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void stale_push(handle_t h)
{
	unsigned i = __atomic_fetch_add(&stale_next, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&stale[i % STALE_SIZE], h, __ATOMIC_RELAXED);
}

handle_t fz_pick(struct fuzz_ctx *c, uint32_t type)
{
	uint64_t r = fz_below(&c->rng, 100);
	if (r < 75) {
		unsigned start = (unsigned)fz_below(&c->rng, POOL_SIZE);
		for (unsigned i = 0; r < 60 && type && i < POOL_SIZE; i++) {
			uint64_t e =
				__atomic_load_n(&pool[(start + i) % POOL_SIZE],
						__ATOMIC_RELAXED);
			if (e && E_TYPE(e) == type)
				return E_H(e);
		}
		for (unsigned i = 0; i < POOL_SIZE; i++) {
			uint64_t e =
				__atomic_load_n(&pool[(start + i) % POOL_SIZE],
						__ATOMIC_RELAXED);
			if (e)
				return E_H(e);
		}
		return HANDLE_INVALID;
	}
	handle_t s = __atomic_load_n(&stale[fz_below(&c->rng, STALE_SIZE)],
				     __ATOMIC_RELAXED);
	if (r < 85)
		return s;
	if (r < 90) /* the slot's next generation: what it holds if reused */
		return s + (1u << 16);
	if (r < 95) {
		static const handle_t odd[] = {
			0,	  0xffffffffu, 0xffffu,	   0x10000u,
			0x1ffffu, 0x80000000u, 0xffff0000u};
		return odd[fz_below(&c->rng, sizeof(odd) / sizeof(odd[0]))];
	}
	return (handle_t)fz_rand(&c->rng);
}

int fz_pool_owner(handle_t h)
{
	for (unsigned i = 0; h && i < POOL_SIZE; i++) {
		uint64_t e = __atomic_load_n(&pool[i], __ATOMIC_RELAXED);
		if (E_H(e) == h)
			return E_OWN(e);
	}
	return OWN_NONE;
}

uint32_t fz_pool_type(handle_t h)
{
	for (unsigned i = 0; h && i < POOL_SIZE; i++) {
		uint64_t e = __atomic_load_n(&pool[i], __ATOMIC_RELAXED);
		if (E_H(e) == h)
			return E_TYPE(e);
	}
	return OBJ_NONE;
}

void fz_pool_add(struct fuzz_ctx *c, handle_t h, uint32_t type, int owner)
{
	if (!h || h == fz_self)
		return;
	unsigned slot = (unsigned)fz_below(&c->rng, POOL_SIZE);
	uint64_t old = __atomic_exchange_n(&pool[slot], ENTRY(h, type, owner),
					   __ATOMIC_RELAXED);
	/* Mostly close what falls out, so the table does not fill up; the
	 * rest stays live but forgotten (the table's quota is fuzzed too). */
	if (old && fz_below(&c->rng, 8) && sys_handle_close(E_H(old)) == 0)
		stale_push(E_H(old));
}

void fz_pool_forget(handle_t h)
{
	for (unsigned i = 0; h && i < POOL_SIZE; i++) {
		uint64_t e = __atomic_load_n(&pool[i], __ATOMIC_RELAXED);
		if (E_H(e) == h)
			__atomic_compare_exchange_n(&pool[i], &e, 0, 0,
						    __ATOMIC_RELAXED,
						    __ATOMIC_RELAXED);
	}
	stale_push(h);
}

__attribute__((noreturn)) static void worker(uint64_t idx)
{
	static struct fuzz_ctx ctx[FUZZ_MAX_WORKERS];
	struct fuzz_ctx *c = &ctx[idx];
	c->idx = (unsigned)idx;
	c->rng.s = seed ^ (idx + 1) * 0xd1b54a32d192ed03ull;
	c->st = &fz_rep->w[idx];
	for (uint64_t n = 0; n < ncalls; n++) {
		fz_one_call(c);
		c->st->calls = n + 1;
	}
	__atomic_store_n(&c->st->done, 1, __ATOMIC_RELEASE);
	sys_thread_exit(0);
}

static long map_fixed(handle_t vmo, uint64_t addr, uint64_t len)
{
	struct vm_map_req req = {.addr = addr,
				 .len = len,
				 .prot = VM_PROT_READ | VM_PROT_WRITE,
				 .flags = VM_MAP_FIXED};
	uint64_t out;
	return sys_vm_map(fz_self, vmo, &req, &out);
}

/* One object of every kind this task can make, and reduced duplicates. */
static void fill_pool(void)
{
	struct fuzz_ctx *c = &(struct fuzz_ctx){.rng = {seed}};
	handle_t a, b;
	for (int i = 0; i < 2; i++) {
		if (sys_port_create(0, &a, &b) == 0) {
			fz_pool_add(c, a, OBJ_PORT, OWN_NONE);
			fz_pool_add(c, b, OBJ_PORT_SEND, OWN_NONE);
		}
		if (sys_notif_create(&a) == 0)
			fz_pool_add(c, a, OBJ_NOTIFICATION, OWN_NONE);
		if (sys_vmo_create(4 * 4096, &a) == 0)
			fz_pool_add(c, a, OBJ_VMO, OWN_NONE);
	}
	if (sys_grant_create(fz_self, 0, 2 * 4096, VM_PROT_READ | VM_PROT_WRITE,
			     &a) == 0)
		fz_pool_add(c, a, OBJ_GRANT, OWN_NONE);
	if (sys_grant_create(fz_self, FUZZ_ARENA_ADDR, 4096, VM_PROT_READ,
			     &a) == 0)
		fz_pool_add(c, a, OBJ_GRANT, OWN_NONE);
	if (sys_task_create(fz_self, "fz", 2, 64 << 10, &a) == 0) {
		fz_pool_add(c, a, OBJ_TASK, OWN_CHILD);
		if (sys_thread_create(a, "t", 1, &b) == 0)
			fz_pool_add(c, b, OBJ_THREAD, OWN_CHILD);
	}
	if (sys_thread_create(fz_self, "t", 1, &a) == 0)
		fz_pool_add(c, a, OBJ_THREAD, OWN_SELF);
	if (sys_handle_dup(fz_self, RIGHTS_ALL & ~RIGHT_MANAGE, &a) == 0)
		fz_pool_add(c, a, OBJ_TASK, OWN_NONE);
	for (int i = 0; i < 16; i++) {
		uint64_t e = pool[fz_below(&c->rng, POOL_SIZE)];
		if (e && sys_handle_dup(E_H(e), fz_rand(&c->rng) & RIGHTS_ALL,
					&a) == 0)
			fz_pool_add(c, a, E_TYPE(e), E_OWN(e));
	}
}

int main(int argc, char **argv)
{
	if (argc < 5)
		return FUZZ_ST_SETUP - 1;
	seed = strtoull(argv[1], NULL, 0);
	ncalls = strtoull(argv[2], NULL, 0);
	handle_t report = (handle_t)strtoul(argv[3], NULL, 0);
	uint64_t timeout = strtoull(argv[4], NULL, 0) * 1000000000ull;
	fz_self = execrt_handle(START_H_SELF_TASK);
	/* No authority: the console goes before any fuzzed call. */
	sys_handle_close(execrt_handle(START_H_CONSOLE));
	if (map_fixed(report, FUZZ_REPORT_ADDR, 4096) < 0)
		sys_task_exit(FUZZ_ST_SETUP - 2);
	/* The mapping keeps the report; without a handle no fuzzed call
	 * (a guessed handle value) can write it. */
	sys_handle_close(report);
	if (map_fixed(HANDLE_INVALID, FUZZ_STACK_ADDR,
		      FUZZ_MAX_WORKERS * FUZZ_STACK_SIZE) < 0 ||
	    map_fixed(HANDLE_INVALID, FUZZ_ARENA_ADDR, FUZZ_ARENA_SIZE) < 0)
		sys_task_exit(FUZZ_ST_SETUP - 3);
	fz_rep->magic = FUZZ_REPORT_MAGIC;
	fz_rep->seed = seed;
	fill_pool();

	unsigned started = 0;
	for (unsigned i = 0; i < FUZZ_MAX_WORKERS; i++) {
		handle_t t =
			execrt_handle((enum start_handle)(FUZZ_H_WORKER0 + i));
		if (!t)
			continue;
		uint64_t top = FUZZ_STACK_ADDR + (i + 1) * FUZZ_STACK_SIZE - 8;
		if (sys_thread_start(t, (uint64_t)worker, top, i) < 0)
			sys_task_exit(FUZZ_ST_SETUP - 4);
		started |= 1u << i;
	}
	if (!started)
		sys_task_exit(FUZZ_ST_SETUP - 5);

	uint64_t end = (uint64_t)sys_clock_now() + timeout;
	unsigned left = started;
	while (left && (uint64_t)sys_clock_now() < end) {
		sys_sleep_until((uint64_t)sys_clock_now() + 2000000);
		for (unsigned i = 0; i < FUZZ_MAX_WORKERS; i++)
			if (__atomic_load_n(&fz_rep->w[i].done,
					    __ATOMIC_ACQUIRE))
				left &= ~(1u << i);
	}
	if (left)
		sys_task_exit(FUZZ_ST_HANG - (int64_t)left);
	int64_t total = 0;
	for (unsigned i = 0; i < FUZZ_MAX_WORKERS; i++)
		total += (int64_t)fz_rep->w[i].calls;
	sys_task_exit(total);
}
