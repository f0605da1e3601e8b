/* review13: regressions found reviewing issue 13 (pager, DMA memory, the
 * no-senders notice, fsd, vmgr). Each test failed on the code before its
 * fix. */
#include <string.h>

#include "gtest.h"
#include "gutil.h"

static handle_t dma_auth(void)
{
	return execrt_handle(START_H_DMA);
}

/* A derived DMA budget is carved from its parent's: a holder of 2 pages
 * of budget (RIGHT_SAME keeps RIGHT_DUPLICATE, as init gives it) derives
 * two 2-page budgets and so pinned 4 pages. */
GTEST(review13_dma_derived_budgets_share_the_parent)
{
	handle_t top, a, b, va, vb;
	GCHECK_OK(
		sys_resource_derive(dma_auth(), 0, 2 * PAGE, RIGHT_SAME, &top));
	GCHECK_OK(sys_resource_derive(top, 0, 2 * PAGE, RIGHT_SAME, &a));
	GCHECK_OK(sys_resource_derive(top, 0, 2 * PAGE, RIGHT_SAME, &b));
	GCHECK_OK(sys_vmo_create_dma(a, 2 * PAGE, &va));
	GCHECK_ERR(sys_vmo_create_dma(b, PAGE, &vb), ERR_NO_RESOURCES);
	GCHECK_ERR(sys_vmo_create_dma(top, PAGE, &vb), ERR_NO_RESOURCES);
	sys_handle_close(va);
	GCHECK_OK(sys_vmo_create_dma(b, 2 * PAGE, &vb));
	/* The budgets may go before the objects: they keep the chain. */
	sys_handle_close(top);
	sys_handle_close(b);
	GCHECK_ERR(sys_vmo_create_dma(a, PAGE, &va), ERR_NO_RESOURCES);
	sys_handle_close(vb);
	GCHECK_OK(sys_vmo_create_dma(a, PAGE, &va));
	sys_handle_close(va);
	sys_handle_close(a);
}

/* A chain of 2000 derived budgets, each closed as soon as its child is
 * made: the last close frees the whole chain, in a loop (one kobj_put
 * frame per link would overrun the kernel stack). */
GTEST(review13_dma_budget_chain_2000_deep)
{
	gtest_allow_growth();
	handle_t r, c, v;
	GCHECK_OK(sys_resource_derive(dma_auth(), 0, 4 * PAGE, RIGHT_SAME, &r));
	for (int i = 0; i < 2000; i++) {
		GCHECK_OK(sys_resource_derive(r, 0, 4 * PAGE, RIGHT_SAME, &c));
		sys_handle_close(r);
		r = c;
	}
	GCHECK_OK(sys_vmo_create_dma(r, 4 * PAGE, &v));
	GCHECK_ERR(sys_vmo_create_dma(r, PAGE, &c), ERR_NO_RESOURCES);
	sys_handle_close(r);
	sys_handle_close(v);
}

/* SYS_PAGER_SUPPLY from a source that is itself absent pager memory of a
 * pager that never answers: the supply used to wait in that pager's call
 * for as long as it liked (vmgr, handed a bulk window by a client posing
 * as a file, hung for good). Now the copy fails at once: ERR_FAULT. A
 * source page that is present (supplied, not yet mapped here) is still
 * mapped and copied. */
static handle_t sup_dst;
static uint64_t sup_src;

static int64_t supply_from(uint64_t arg)
{
	return sys_pager_supply(sup_dst, arg * PAGE, PAGE,
				(const void *)sup_src);
}

GTEST(review13_pager_supply_never_waits_on_its_source_pager)
{
	gtest_allow_growth();
	handle_t recv_a, send_a, recv_b, send_b, src_v, dst_v;
	GCHECK_OK(sys_port_create(0, &recv_a, &send_a));
	GCHECK_OK(sys_port_create(0, &recv_b, &send_b));
	GCHECK_OK(sys_pager_vmo_create(send_a, 1, PAGE, &src_v));
	GCHECK_OK(sys_pager_vmo_create(send_b, 2, 2 * PAGE, &dst_v));
	struct vm_map_req req = {.len = PAGE, .prot = VM_PROT_READ};
	uint64_t addr = 0;
	GCHECK_OK(sys_vm_map(g_self(), src_v, &req, &addr));
	sup_dst = dst_v;
	sup_src = addr;
	struct gthread t;
	GCHECK_OK(gthread_start(&t, supply_from, 0));
	int64_t st = 1;
	long j = gthread_join(&t, g_now() + 1000 * MS, &st);
	long src_in = -1, present = -1;
	if (!j && (src_in = sys_pager_supply(src_v, 0, PAGE, NULL)) == 1)
		present = supply_from(1);
	/* Old kernel: still waiting; the pager's end cancels its call. */
	sys_handle_close(recv_a);
	if (j < 0)
		gthread_join(&t, g_now() + 5000 * MS, &st);
	sys_vm_unmap(g_self(), addr, PAGE);
	sys_handle_close(src_v);
	sys_handle_close(dst_v);
	sys_handle_close(send_a);
	sys_handle_close(send_b);
	sys_handle_close(recv_b);
	GCHECK_OK(j);
	GCHECK_EQ(st, ERR_FAULT);
	GCHECK_EQ(src_in, 1);
	GCHECK_EQ(present, 1);
}
