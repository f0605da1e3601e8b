/* DMA memory (docs/memory.md "DMA memory"): physically contiguous, pinned,
 * zeroed memory objects made from a RES_DMA authority (START_H_DMA of the
 * root task; init narrows it per service with `dma SIZE`), whose physical
 * address only a handle with RIGHT_DMA reveals. */
#include <string.h>

#include "gtest.h"
#include "gutil.h"

static handle_t dma_auth(void)
{
	return execrt_handle(START_H_DMA);
}

GTEST(dma_vmo_is_contiguous_zeroed_and_mappable)
{
	handle_t v;
	gtest_allow_growth(); /* maps into this task */
	GCHECK_OK(sys_vmo_create_dma(dma_auth(), 3 * PAGE + 1, &v));
	uint64_t pa = 0, size = 0;
	GCHECK_OK(sys_vmo_phys(v, &pa));
	GCHECK(pa && pa % PAGE == 0);
	GCHECK_OK(sys_vmo_get_size(v, &size));
	GCHECK_EQ(size, 4 * PAGE);
	struct handle_info hi;
	GCHECK_OK(sys_handle_info(v, &hi));
	GCHECK_EQ(hi.rights, RIGHTS_DMA_VMO);
	struct vm_map_req req = {.len = 4 * PAGE,
				 .prot = VM_PROT_READ | VM_PROT_WRITE};
	uint64_t addr = 0;
	GCHECK_OK(sys_vm_map(g_self(), v, &req, &addr));
	uint8_t *p = (uint8_t *)addr;
	int zero = 1;
	for (uint64_t i = 0; i < 4 * PAGE; i++)
		zero &= p[i] == 0;
	p[3 * PAGE + 7] = 0x5c;
	uint8_t b = 0;
	GCHECK_OK(sys_vmo_read(v, &b, 3 * PAGE + 7, 1));
	GCHECK_OK(sys_vm_unmap(g_self(), addr, 4 * PAGE));
	sys_handle_close(v);
	GCHECK(zero);
	GCHECK_EQ(b, 0x5c);
}

/* Without RIGHT_DMA the address stays hidden; other objects have none. */
GTEST(dma_phys_needs_the_dma_right)
{
	handle_t v, plain;
	GCHECK_OK(sys_vmo_create_dma(dma_auth(), PAGE, &v));
	handle_t nodma = g_dup(v, RIGHTS_VMO);
	uint64_t pa = 0;
	GCHECK_ERR(sys_vmo_phys(nodma, &pa), ERR_ACCESS_DENIED);
	GCHECK_ERR(sys_vmo_phys(v, (uint64_t *)8), ERR_FAULT);
	GCHECK_OK(sys_vmo_create(PAGE, &plain));
	GCHECK_ERR(sys_vmo_phys(plain, &pa), ERR_ACCESS_DENIED);
	GCHECK_EQ(pa, 0); /* nothing written on a refusal */
	sys_handle_close(plain);
	sys_handle_close(nodma);
	sys_handle_close(v);
}

/* A derived authority is a budget: 8 KiB of live DMA memory at most, given
 * back when the objects go. */
GTEST(dma_authority_budget)
{
	handle_t small, a, b, c;
	GCHECK_OK(sys_resource_derive(dma_auth(), 0, 2 * PAGE, RIGHT_SAME,
				      &small));
	GCHECK_OK(sys_vmo_create_dma(small, PAGE, &a));
	GCHECK_OK(sys_vmo_create_dma(small, PAGE, &b));
	GCHECK_ERR(sys_vmo_create_dma(small, PAGE, &c), ERR_NO_RESOURCES);
	sys_handle_close(a);
	GCHECK_OK(sys_vmo_create_dma(small, PAGE, &c));
	GCHECK_ERR(sys_vmo_create_dma(small, 3 * PAGE, &a), ERR_NO_RESOURCES);
	sys_handle_close(b);
	sys_handle_close(c);
	/* The authority may go before its objects: they keep it. */
	GCHECK_OK(sys_vmo_create_dma(small, 2 * PAGE, &a));
	sys_handle_close(small);
	sys_handle_close(a);
}

GTEST(dma_bad_arguments)
{
	handle_t v, ro;
	GCHECK_ERR(sys_vmo_create_dma(dma_auth(), 0, &v), ERR_INVALID_ARGS);
	GCHECK_ERR(sys_vmo_create_dma(dma_auth(), (4ull << 20) + 1, &v),
		   ERR_OUT_OF_RANGE);
	GCHECK_ERR(sys_vmo_create_dma(dma_auth(), PAGE, (handle_t *)8),
		   ERR_FAULT);
	GCHECK_ERR(sys_vmo_create_dma(execrt_handle(START_H_MMIO), PAGE, &v),
		   ERR_WRONG_TYPE);
	GCHECK_ERR(sys_vmo_create_dma(g_self(), PAGE, &v), ERR_WRONG_TYPE);
	GCHECK_OK(sys_resource_derive(dma_auth(), 0, PAGE, RIGHT_READ, &ro));
	GCHECK_ERR(sys_vmo_create_dma(ro, PAGE, &v), ERR_ACCESS_DENIED);
	sys_handle_close(ro);
	/* Over the caller's memory quota: a child's would do; here the
	 * largest block is enough to show it is charged. */
	struct kernel_stats before, after;
	GCHECK_OK(sys_kernel_stats(g_sysinfo(), &before));
	GCHECK_OK(sys_vmo_create_dma(dma_auth(), 1 << 20, &v));
	GCHECK_OK(sys_kernel_stats(g_sysinfo(), &after));
	sys_handle_close(v);
	GCHECK(after.mem_used >= before.mem_used + (1 << 20));
}
