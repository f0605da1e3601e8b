/* Narrowing resources (SYS_RESOURCE_DERIVE): the range and kind rules of
 * kernel/obj/resource.c, including ranges that end at 2^64. */
#include "harness.h"
#include <execrt/errors.h>
#include <kern/resource.h>

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
