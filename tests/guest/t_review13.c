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
