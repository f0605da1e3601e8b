/* Quota loans (SYS_TASK_QUOTA_LEND, docs/tasks.md "Quota loans"): the
 * lender is charged, the borrower can spend the loan (memory mapped into
 * it is charged to it), and the loan comes back when the borrower's
 * account goes, even when the lender died first (a dead lender keeps
 * only what it has lent out). */
#include "gtest.h"
#include "gutil.h"

#define SMALL (64ull << 10)  /* a borrower's own quota */
#define LOAN  (512ull << 10) /* what it borrows */
#define WANT  (256ull << 10) /* more than SMALL, less than SMALL + LOAN */

static uint64_t used_now(void)
{
	struct kernel_stats s = {0};
	g_stats(&s);
	return s.mem_used;
}

/* Our quota use back to `want` (a task may be freed a little later). */
static uint64_t used_settles(uint64_t want)
{
	uint64_t u = used_now();
	for (int i = 0; i < 1000 && u != want; i++) {
		sys_sleep_until(g_now() + MS);
		u = used_now();
	}
	return u;
}

/* Fresh memory mapped into t is charged to t's account. */
static long map_into(handle_t t, uint64_t len, uint64_t *addr)
{
	struct vm_map_req req = {.len = len,
				 .prot = VM_PROT_READ | VM_PROT_WRITE};
	*addr = 0;
	return sys_vm_map(t, HANDLE_INVALID, &req, addr);
}

static void end_task(handle_t t)
{
	sys_task_kill(t, -1);
	sys_object_wait(t, g_now() + 5000 * MS, NULL);
	sys_handle_close(t);
}

GTEST(quota_lend_moves_the_charge_and_returns_it)
{
	uint64_t base = used_now();
	handle_t b;
	GCHECK_ERR(sys_task_create(g_self(), "borrow", 6, SMALL, &b), 0);
	uint64_t with_b = used_now();
	uint64_t addr;
	GCHECK_ERR(map_into(b, WANT, &addr), ERR_NO_MEMORY);
	GCHECK_ERR(sys_task_quota_lend(g_self(), b, LOAN), 0);
	GCHECK_EQ(used_now(), with_b + LOAN);
	/* The borrower spends it; the lender's charge does not move. */
	GCHECK_ERR(map_into(b, WANT, &addr), 0);
	GCHECK_EQ(used_now(), with_b + LOAN);
	GCHECK_ERR(sys_vm_unmap(b, addr, WANT), 0);
	/* A second loan from the same lender adds up. */
	GCHECK_ERR(sys_task_quota_lend(g_self(), b, LOAN), 0);
	GCHECK_EQ(used_now(), with_b + 2 * LOAN);
	GCHECK_ERR(map_into(b, LOAN + WANT, &addr), 0);
	/* The borrower's death gives both back. */
	end_task(b);
	GCHECK_EQ(used_settles(base), base);
}

GTEST(quota_lend_outlives_its_lender)
{
	uint64_t base = used_now();
	handle_t l, b;
	GCHECK_ERR(sys_task_create(g_self(), "lender", 6, 2 * LOAN, &l), 0);
	GCHECK_ERR(sys_task_create(g_self(), "borrow", 6, SMALL, &b), 0);
	GCHECK_ERR(sys_task_quota_lend(l, b, LOAN), 0);
	/* One lender per borrower. */
	GCHECK_ERR(sys_task_quota_lend(g_self(), b, PAGE), ERR_NO_RESOURCES);
	uint64_t before = used_now();
	end_task(l);
	/* The lender's account stays while its loan is out, holding only
	 * the loan: its unused LOAN and its record come back at once (the
	 * task is dead before the wait ends), the loan stays charged to us. */
	uint64_t gone = before - used_now();
	GCHECK(gone >= LOAN && gone < 2 * LOAN);
	uint64_t addr;
	GCHECK_ERR(map_into(b, WANT, &addr), 0);
	/* A dead lender lends no more. */
	handle_t b2;
	GCHECK_ERR(sys_task_create(g_self(), "b2", 2, SMALL, &b2), 0);
	GCHECK_ERR(sys_task_quota_lend(b, b2, PAGE), 0);
	sys_handle_close(b2);
	end_task(b);
	GCHECK_EQ(used_settles(base), base);
}

GTEST(quota_lend_bad_requests)
{
	uint64_t base = used_now();
	handle_t b, k, ro;
	GCHECK_ERR(sys_task_create(g_self(), "borrow", 6, SMALL, &b), 0);
	uint64_t with_b = used_now();
	GCHECK_ERR(sys_task_quota_lend(g_self(), g_self(), PAGE),
		   ERR_INVALID_ARGS);
	GCHECK_ERR(sys_task_quota_lend(g_self(), b, 0), ERR_INVALID_ARGS);
	GCHECK_ERR(sys_task_quota_lend(g_self(), b, ~0ull), ERR_NO_MEMORY);
	/* A child lending to its parent would make the parent's account
	 * hold its own descendant's: refused. */
	GCHECK_ERR(sys_task_quota_lend(b, g_self(), PAGE), ERR_INVALID_ARGS);
	/* Over the lender's own unused quota. */
	GCHECK_ERR(sys_task_create(b, "kid", 3, PAGE * 4, &k), 0);
	GCHECK_ERR(sys_task_quota_lend(b, k, SMALL), ERR_NO_MEMORY);
	GCHECK_ERR(sys_task_quota_lend(g_self(), HANDLE_INVALID, PAGE),
		   ERR_BAD_HANDLE);
	ro = g_dup(b, RIGHT_READ | RIGHT_WAIT);
	GCHECK_ERR(sys_task_quota_lend(g_self(), ro, PAGE), ERR_ACCESS_DENIED);
	GCHECK_EQ(used_now(), with_b);
	/* A dying task: neither side. */
	sys_task_kill(b, -1);
	sys_object_wait(b, g_now() + 5000 * MS, NULL);
	GCHECK_ERR(sys_task_quota_lend(g_self(), b, PAGE), ERR_BAD_STATE);
	GCHECK_ERR(sys_task_quota_lend(b, k, PAGE), ERR_BAD_STATE);
	sys_handle_close(ro);
	sys_handle_close(k);
	sys_handle_close(b);
	GCHECK_EQ(used_settles(base), base);
}
