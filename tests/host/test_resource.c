/* Narrowing resources (SYS_RESOURCE_DERIVE): the range and kind rules of
 * kernel/obj/resource.c, including ranges that end at 2^64. */
#include "harness.h"
#include <execrt/errors.h>
#include <kern/pager.h>
#include <kern/resource.h>

int host_mm_setup(void);

static struct resource res(uint32_t kind, uint64_t base, uint64_t size)
{
	struct resource r = {.kind = kind, .base = base, .size = size};
	return r;
}

TEST(resource_narrow_inside_only)
{
	struct resource io = res(RES_IOPORT, 0x3f8, 8);
	CHECK_EQ(resource_check_narrow(&io, 0x3f8, 8), 0);
	CHECK_EQ(resource_check_narrow(&io, 0x3f9, 7), 0);
	CHECK_EQ(resource_check_narrow(&io, 0x3ff, 1), 0);
	CHECK_EQ(resource_check_narrow(&io, 0x3f8, 9), ERR_OUT_OF_RANGE);
	CHECK_EQ(resource_check_narrow(&io, 0x3f7, 1), ERR_OUT_OF_RANGE);
	CHECK_EQ(resource_check_narrow(&io, 0x400, 1), ERR_OUT_OF_RANGE);
	CHECK_EQ(resource_check_narrow(&io, 0x3ff, 2), ERR_OUT_OF_RANGE);
	CHECK_EQ(resource_check_narrow(&io, 0x3f8, 0), ERR_INVALID_ARGS);
	CHECK_EQ(resource_check_narrow(&io, UINT64_MAX, 2), ERR_INVALID_ARGS);
	CHECK_EQ(resource_check_narrow(&io, 0x3f9, UINT64_MAX),
		 ERR_INVALID_ARGS);
}

TEST(resource_narrow_range_to_the_top)
{
	/* A parent whose range ends exactly at 2^64 (base + size wraps to
	 * 0): the check must not form that end. A child cannot end there
	 * (base + size must not wrap). */
	struct resource m = res(RES_MMIO, 1ull << 63, 1ull << 63);
	CHECK_EQ(resource_check_narrow(&m, UINT64_MAX - 1, 1), 0);
	CHECK_EQ(resource_check_narrow(&m, UINT64_MAX, 1), ERR_INVALID_ARGS);
	CHECK_EQ(resource_check_narrow(&m, 1ull << 63, (1ull << 63) - 1), 0);
	CHECK_EQ(resource_check_narrow(&m, (1ull << 63) - 1, 1),
		 ERR_OUT_OF_RANGE);
	struct resource irq = res(RES_IRQ, 0, 24);
	CHECK_EQ(resource_check_narrow(&irq, 4, 1), 0);
	CHECK_EQ(resource_check_narrow(&irq, 24, 1), ERR_OUT_OF_RANGE);
}

TEST(resource_narrow_unranged_kinds)
{
	static const uint32_t kinds[] = {RES_CONSOLE, RES_SYSINFO,
					 RES_TELEMETRY};
	for (unsigned i = 0; i < 3; i++) {
		struct resource r = res(kinds[i], 0, 0);
		CHECK_EQ(resource_check_narrow(&r, 0, 0), 0);
		CHECK_EQ(resource_check_narrow(&r, 0, 1), ERR_INVALID_ARGS);
		CHECK_EQ(resource_check_narrow(&r, 1, 0), ERR_INVALID_ARGS);
	}
}

TEST(resource_derive_copies_kind_and_range)
{
	struct resource io = res(RES_IOPORT, 0, 0x10000), *c = NULL;
	CHECK_EQ(resource_derive(&io, 0x70, 2, &c), 0);
	CHECK(c != NULL);
	CHECK_EQ(c->kind, RES_IOPORT);
	CHECK_EQ(c->base, 0x70);
	CHECK_EQ(c->size, 2);
	struct resource *d = NULL;
	CHECK_EQ(resource_derive(c, 0x70, 3, &d), ERR_OUT_OF_RANGE);
	CHECK(d == NULL);
	kobj_put(&c->obj);
}

/* review13: a derived DMA budget draws on its parent's. Before, each
 * derived resource counted only its own objects, so a driver given
 * `dma 1M` (with RIGHT_DUPLICATE, as init gives it) derived two 1 MiB
 * budgets and pinned 2 MiB. */
TEST(dma_derived_budgets_share_the_parent)
{
	CHECK_EQ(host_mm_setup(), 0);
	struct resource *top = NULL, *a = NULL, *b = NULL, *aa = NULL;
	CHECK_EQ(resource_create(RES_DMA, 0, 4 * 4096, &top), 0);
	CHECK_EQ(resource_derive(top, 0, 4 * 4096, &a), 0);
	CHECK_EQ(resource_derive(top, 0, 4 * 4096, &b), 0);
	CHECK_EQ(resource_derive(a, 0, 2 * 4096, &aa), 0);
	CHECK_EQ(dma_auth_take(a, 3 * 4096), 0);
	CHECK_EQ(dma_auth_take(b, 2 * 4096), ERR_NO_RESOURCES);
	CHECK_EQ(b->dma_used, 0);
	CHECK_EQ(dma_auth_take(aa, 2 * 4096), ERR_NO_RESOURCES);
	CHECK_EQ(aa->dma_used, 0);
	CHECK_EQ(a->dma_used, 3 * 4096);
	CHECK_EQ(dma_auth_take(aa, 4096), 0);
	CHECK_EQ(top->dma_used, 4 * 4096);
	CHECK_EQ(dma_auth_take(b, 4096), ERR_NO_RESOURCES);
	dma_auth_return(a, 3 * 4096);
	CHECK_EQ(dma_auth_take(b, 2 * 4096), 0);
	CHECK_EQ(top->dma_used, 3 * 4096);
	dma_auth_return(aa, 4096);
	dma_auth_return(b, 2 * 4096);
	CHECK_EQ(top->dma_used, 0);
	CHECK_EQ(a->dma_used, 0);
	kobj_put(&aa->obj);
	kobj_put(&a->obj);
	kobj_put(&b->obj);
	kobj_put(&top->obj);
}

/* A long chain is freed whole and in a loop (the kernel stack is 16 KiB:
 * one kobj_put frame per link would overflow it; the guest test
 * dma_budget_chain_2000_deep shows that one). */
TEST(dma_long_budget_chain_is_freed_iteratively)
{
	CHECK_EQ(host_mm_setup(), 0);
	struct resource *r = NULL;
	CHECK_EQ(resource_create(RES_DMA, 0, 1 << 20, &r), 0);
	for (int i = 0; i < 2000; i++) {
		struct resource *c = NULL;
		CHECK_EQ(resource_derive(r, 0, 1 << 20, &c), 0);
		kobj_put(&r->obj); /* the child holds it */
		r = c;
	}
	CHECK_EQ(dma_auth_take(r, 4096), 0);
	dma_auth_return(r, 4096);
	kobj_put(&r->obj);
}
