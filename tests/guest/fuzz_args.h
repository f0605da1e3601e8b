/* The fuzzer's arguments (fuzz_args.c) for fuzz_gen.c: values at the
 * edges, pointers, handles from the pool, one generator per call. */
#pragma once
#include "fuzz.h"

#define PAGE	     4096ull
#define KERNEL_PTR   0xffffffff80000000ull
#define NONCANON_PTR 0x8000000000000000ull
#define ARENA_END    (FUZZ_ARENA_ADDR + FUZZ_ARENA_SIZE)
#define UNMAPPED     (ARENA_END + 64 * PAGE)
#define SHORT_NS     1000000ull /* the longest a call may block */
#define IMAGE_START  0x400000ull

#define N(a)	     (sizeof(a) / sizeof((a)[0]))
#define PICK(c, arr) ((arr)[fz_below(&(c)->rng, N(arr))])
#define ONE_IN(c, n) (fz_below(&(c)->rng, (n)) == 0)

static inline uint64_t now(void)
{
	return (uint64_t)sys_clock_now();
}

/* Whether h is the fuzzer's own task handle. */
static inline int ours(uint64_t h)
{
	return (handle_t)h == fz_self;
}

/* A random value that is no address of the fuzzer's own memory. */
uint64_t not_ours(uint64_t v);
/* Any argument: a value, a handle, a pointer or a length. */
uint64_t any_arg(struct fuzz_ctx *c);
/* The arguments a[0..5] of call nr, each drawn for its meaning. */
void gen(struct fuzz_ctx *c, uint64_t nr, uint64_t *a);
