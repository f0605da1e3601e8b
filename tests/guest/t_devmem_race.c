/* Device-memory objects over their lifetime: several mappings of one
 * object outliving its handle, mappings in tasks that die (running or
 * never run), and a hostile race on two CPUs: one thread creates, maps,
 * touches, unmaps and closes objects over a display BAR while a thread on
 * the other CPU maps and closes the same handles and makes its own. Every
 * call must succeed or fail cleanly (ERR_BAD_HANDLE for a handle the other
 * side closed); the harness's leak check shows objects, frames and page
 * tables back where they were (the objects own no frames, so nothing may
 * ever reach the frame allocator's free path but page tables). */
#include <string.h>

#include "devmem.h"
#include "gtest.h"
#include "gutil.h"

#define RW	    (VM_PROT_READ | VM_PROT_WRITE)
#define RACE_ROUNDS 500

static long map_into(handle_t task, handle_t v, uint64_t len, uint64_t *addr)
{
	struct vm_map_req req = {.len = len, .prot = RW};
	return sys_vm_map(task, v, &req, addr);
}

GTEST(devmem_many_mappings_outlive_the_handle)
{
	gtest_allow_growth();
	uint64_t bar = dm_display_bar();
	GCHECK(bar);
	handle_t v;
	GCHECK_OK(sys_vmo_create_phys(execrt_handle(START_H_MMIO), bar,
				      4 * PAGE, VMO_CACHE_UC, &v));
	uint64_t a[4];
	for (int i = 0; i < 4; i++)
		GCHECK_OK(map_into(g_self(), v, 4 * PAGE, &a[i]));
	GCHECK_OK(sys_handle_close(v)); /* the mappings hold the object */
	volatile uint64_t *p0 = (volatile uint64_t *)(a[0] + 3 * PAGE);
	uint64_t saved = *p0;
	*p0 = 0x5a5a000012345678ull;
	int same = 1;
	for (int i = 1; i < 4; i++)
		same &= *(volatile uint64_t *)(a[i] + 3 * PAGE) ==
			0x5a5a000012345678ull;
	*p0 = saved;
	/* Partial unmaps split the mappings; the rest still works. */
	GCHECK_OK(sys_vm_unmap(g_self(), a[1] + PAGE, PAGE));
	GCHECK_EQ(*(volatile uint64_t *)(a[1] + 3 * PAGE), saved);
	for (int i = 0; i < 4; i++) {
		GCHECK_OK(sys_vm_unmap(g_self(), a[i], PAGE));
		GCHECK_OK(sys_vm_unmap(g_self(), a[i] + 2 * PAGE, 2 * PAGE));
		if (i != 1)
			GCHECK_OK(sys_vm_unmap(g_self(), a[i] + PAGE, PAGE));
	}
	GCHECK(same);
}

GTEST(devmem_mappings_die_with_their_task)
{
	uint64_t bar = dm_display_bar();
	GCHECK(bar);
	handle_t v;
	GCHECK_OK(sys_vmo_create_phys(execrt_handle(START_H_MMIO), bar,
				      2 * PAGE, VMO_CACHE_WC, &v));
	/* A running child killed with the object mapped three times. */
	struct child c;
	GCHECK_OK(g_spawn(CHILD_WORK, "spin", CHILD_QUOTA, 0, &c));
	uint64_t addr;
	for (int i = 0; i < 3; i++)
		GCHECK_OK(map_into(c.task, v, 2 * PAGE, &addr));
	GCHECK_OK(sys_task_kill(c.task, -1));
	int64_t st = 0;
	GCHECK_OK(g_reap(&c, 5000 * MS, &st));
	/* A task that never ran, ended by closing its last handle. */
	handle_t t;
	GCHECK_OK(sys_task_create(g_self(), "dm", 2, 256 << 10, &t));
	GCHECK_OK(map_into(t, v, 2 * PAGE, &addr));
	GCHECK_OK(sys_handle_close(t));
	/* The object survived both; it still maps. */
	GCHECK_OK(sys_handle_close(v));
}

static handle_t slot; /* the creator's current object, for the racer */
static int race_stop;
static long racer_err;

static int64_t racer(uint64_t bar)
{
	handle_t mmio = execrt_handle(START_H_MMIO);
	int64_t mapped = 0;
	for (unsigned i = 0; !__atomic_load_n(&race_stop, __ATOMIC_ACQUIRE);
	     i++) {
		handle_t h = __atomic_load_n(&slot, __ATOMIC_ACQUIRE);
		uint64_t a = 0;
		long r = h ? map_into(g_self(), h, PAGE, &a) : ERR_BAD_HANDLE;
		if (r == 0) {
			(void)*(volatile uint32_t *)a;
			r = sys_vm_unmap(g_self(), a, PAGE);
			mapped++;
		}
		if (r != 0 && r != ERR_BAD_HANDLE && !racer_err)
			racer_err = r;
		/* Every other round: close it under the creator's feet. */
		if (h && (i & 1)) {
			r = sys_handle_close(h);
			if (r != 0 && r != ERR_BAD_HANDLE && !racer_err)
				racer_err = r;
		}
		/* And make objects of its own on this CPU meanwhile. */
		handle_t own;
		r = sys_vmo_create_phys(mmio, bar + (i % 4) * PAGE, PAGE,
					i % 3 ? VMO_CACHE_WC : VMO_CACHE_UC,
					&own);
		if (r == 0)
			r = sys_handle_close(own);
		if (r != 0 && !racer_err)
			racer_err = r;
	}
	return mapped;
}

GTEST(smp_devmem_create_map_close_race)
{
	gtest_allow_growth();
	uint64_t bar = dm_display_bar();
	GCHECK(bar);
	unsigned ncpu = g_ncpus();
	slot = 0;
	race_stop = 0;
	racer_err = 0;
	struct gthread g;
	struct sched_params p = {.cls = SCHED_CLASS_BE,
				 .weight = SCHED_BE_WEIGHT_DEFAULT,
				 .cpu = (int32_t)(1 % ncpu)};
	GCHECK_OK(gthread_start_sched(&g, racer, bar, &p));
	handle_t mmio = execrt_handle(START_H_MMIO);
	long err = 0;
	unsigned own_maps = 0, closed_under = 0;
	for (unsigned i = 0; i < RACE_ROUNDS && !err; i++) {
		handle_t h;
		err = sys_vmo_create_phys(mmio, bar + (i % 2) * PAGE, 2 * PAGE,
					  i & 1 ? VMO_CACHE_WC : VMO_CACHE_UC,
					  &h);
		if (err)
			break;
		__atomic_store_n(&slot, h, __ATOMIC_RELEASE);
		uint64_t a = 0;
		long r = map_into(g_self(), h, 2 * PAGE, &a);
		if (r == 0) {
			*(volatile uint32_t *)(a + PAGE + 64) = i;
			r = sys_vm_unmap(g_self(), a, 2 * PAGE);
			own_maps++;
		}
		if (r != 0 && r != ERR_BAD_HANDLE)
			err = r;
		__atomic_store_n(&slot, 0, __ATOMIC_RELEASE);
		r = sys_handle_close(h);
		if (r == ERR_BAD_HANDLE)
			closed_under++;
		else if (r != 0 && !err)
			err = r;
	}
	__atomic_store_n(&race_stop, 1, __ATOMIC_RELEASE);
	int64_t mapped = -1;
	GCHECK_OK(gthread_join(&g, g_now() + 10000 * MS, &mapped));
	printf("    %u rounds on %u CPUs: %u own mappings, %lld by the racer, "
	       "%u handles closed by the racer first\n",
	       RACE_ROUNDS, ncpu, own_maps, (long long)mapped, closed_under);
	GCHECK_OK(err);
	GCHECK_OK(racer_err);
	GCHECK(own_maps > 0);
}
