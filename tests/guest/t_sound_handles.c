/* Soundness: handle values and the reference a new handle holds
 * (issue 9). Two threads on two CPUs create and close notifications in a
 * loop while closing the values they predict the other will get next: a
 * new handle must hold its object before anyone can close it, and the
 * kernel must survive with its counters back where they were. */
#include <string.h>

#include "gtest.h"
#include "gutil.h"

#define RACE_NS	  (5000 * MS)
#define IDX_BITS  11 /* the current layout (docs/objects-and-handles.md) */
#define NIDX	  (1u << IDX_BITS)
#define GEN_MASK  ((1u << (32 - IDX_BITS)) - 1)
#define LOOKAHEAD 3
#define BURST	  8

static volatile int race_stop, race_go;
static volatile handle_t race_last[2]; /* each thread's newest value */
static uint64_t race_closed_other[2];  /* closes that hit a live handle */

/* What a thread learned about each slot: its last generation, the step
 * between two uses, and the slot allocated after it last time (free
 * slots are reused in a stable order). */
struct slot_seen {
	uint32_t gen, step, next; /* next: index + 1, 0 unknown */
};
static struct slot_seen race_seen[2][NIDX];

static void learn(struct slot_seen *s, handle_t *prev, handle_t h)
{
	if (!h || h == *prev)
		return;
	uint32_t idx = h & (NIDX - 1), gen = h >> IDX_BITS;
	if (s[idx].gen && gen != s[idx].gen)
		s[idx].step = (gen - s[idx].gen) & GEN_MASK;
	s[idx].gen = gen;
	if (*prev)
		s[*prev & (NIDX - 1)].next = idx + 1;
	*prev = h;
}

static int64_t race_worker(uint64_t me)
{
	struct slot_seen *seen = race_seen[me];
	memset(seen, 0, sizeof(race_seen[0]));
	handle_t prev = 0;
	uint64_t loops = 0;
	/* Start together: the other's thread handle must exist before the
	 * guessing starts, or a guess could close it. */
	while (!race_go)
		;
	while (!race_stop) {
		handle_t h;
		if (sys_notif_create(&h) < 0)
			return -1;
		race_last[me] = h;
		learn(seen, &prev, h);
		handle_t other = race_last[!me];
		learn(seen, &prev, other);
		/* Guess the next values, as the old layout (16 index bits,
		 * free slots reused last-in first-out, generation + 1: once
		 * h is closed, the next create of either thread gets h's
		 * slot, one generation up) and the current one (learned
		 * order and steps) would give them. Every guess names a
		 * slot these two threads use, never one of the suite's.
		 * Bursts, because the window to hit is a few instructions
		 * long. */
		sys_handle_close(h);
		for (int k = 0; k < BURST; k++) {
			race_closed_other[me] +=
				sys_handle_close(h + (1u << 16)) == 0;
			if (other)
				race_closed_other[me] +=
					sys_handle_close(other + (1u << 16)) ==
					0;
		}
		if (other)
			race_closed_other[me] += sys_handle_close(other) == 0;
		uint32_t i = h & (NIDX - 1);
		for (int k = 0; k < LOOKAHEAD && seen[i].next; k++) {
			i = seen[i].next - 1;
			if (!seen[i].step)
				continue;
			handle_t g = ((seen[i].gen + seen[i].step) & GEN_MASK)
					     << IDX_BITS |
				     i;
			race_closed_other[me] += sys_handle_close(g) == 0;
		}
		loops++;
	}
	return (int64_t)loops;
}

GTEST(sound_handle_create_close_race_two_cpus)
{
	unsigned ncpu = g_ncpus();
	struct gthread t[2];
	race_stop = race_go = 0;
	race_last[0] = race_last[1] = 0;
	race_closed_other[0] = race_closed_other[1] = 0;
	for (unsigned i = 0; i < 2; i++) {
		struct sched_params p = {.cls = SCHED_CLASS_BE,
					 .weight = 1024,
					 .cpu = (int32_t)(i % ncpu)};
		GCHECK_OK(gthread_start_sched(&t[i], race_worker, i, &p));
	}
	race_go = 1;
	g_spin(RACE_NS);
	race_stop = 1;
	int64_t st[2] = {-1, -1};
	long j0 = gthread_join(&t[0], g_now() + 5000 * MS, &st[0]);
	long j1 = gthread_join(&t[1], g_now() + 5000 * MS, &st[1]);
	printf("    %lld + %lld create/close loops in %llu ms, %llu closes hit "
	       "the other thread's handle\n",
	       (long long)st[0], (long long)st[1],
	       (unsigned long long)(RACE_NS / MS),
	       (unsigned long long)(race_closed_other[0] +
				    race_closed_other[1]));
	GCHECK_OK(j0);
	GCHECK_OK(j1);
	GCHECK(st[0] > 0 && st[1] > 0);
	/* The leak check that follows every test shows every notification
	 * gone; the kernel being alive shows no reference was lost. */
}

GTEST(sound_handle_values_do_not_repeat_on_reuse)
{
	/* Closing and creating again never gives back a value seen
	 * before, and values are not a plain counter. */
	handle_t seen[256];
	unsigned n = 0;
	for (unsigned i = 0; i < 256; i++) {
		handle_t h;
		GCHECK_OK(sys_notif_create(&h));
		GCHECK(h != HANDLE_INVALID);
		for (unsigned k = 0; k < n; k++)
			GCHECK(seen[k] != h);
		seen[n++] = h;
		GCHECK_OK(sys_handle_close(h));
		GCHECK_ERR(sys_handle_close(h), ERR_BAD_HANDLE);
	}
	unsigned plus_one = 0;
	for (unsigned i = 1; i < n; i++)
		plus_one += seen[i] == seen[i - 1] + (1u << 11) ||
			    seen[i] == seen[i - 1] + (1u << 16);
	GCHECK(plus_one < 8);
}

GTEST(sound_handle_wider_than_32_bits_is_bad)
{
	handle_t v;
	GCHECK_OK(sys_vmo_create(PAGE, &v));
	uint64_t size = 0;
	/* The same low 32 bits, but a bit above them set: not a handle. */
	GCHECK_ERR(execrt_syscall6(SYS_VMO_GET_SIZE, (1ull << 32) | v,
				   (uint64_t)&size, 0, 0, 0, 0),
		   ERR_BAD_HANDLE);
	GCHECK_ERR(execrt_syscall6(SYS_HANDLE_CLOSE, (1ull << 40) | v, 0, 0, 0,
				   0, 0),
		   ERR_BAD_HANDLE);
	/* Unknown rights bits and non-boolean flags in decode. */
	handle_t d;
	GCHECK_ERR(execrt_syscall6(SYS_HANDLE_DUP, v, 1ull << 33, (uint64_t)&d,
				   0, 0, 0),
		   ERR_INVALID_ARGS);
	GCHECK_ERR(sys_task_set_fault_handler(g_self(), 2), ERR_INVALID_ARGS);
	GCHECK_OK(sys_vmo_get_size(v, &size));
	GCHECK_EQ(size, PAGE);
	GCHECK_OK(sys_handle_close(v));
}
