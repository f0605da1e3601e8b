/* The kernel half of vmgr's work, on the host (ASan + UBSan): pager-backed
 * memory objects (kernel/mm/pager.c: supplying, counts, quota, what the
 * object frees) and DMA memory (contiguity, the RES_DMA budget). User
 * copies fail on the host, so supplies here are zero-filled. */
#include <string.h>

#include "harness.h"
#include <execrt/errors.h>
#include <kern/account.h>
#include <kern/pager.h>
#include <kern/pmm.h>
#include <kern/port.h>
#include <kern/resource.h>
#include <kern/slab.h>
#include <kern/task.h>
#include <kern/vmo.h>

#define PG 4096ull

static uint64_t free_frames(void)
{
	struct pmm_stats s;
	pmm_get_stats(&s);
	return s.free_frames;
}

/* One object made and dropped first: the slab caches it needs keep their
 * spare slabs, so the frame count after is a fair baseline. */
static void warm(bool dma)
{
	struct port *recv;
	struct port_send *send;
	struct vmo *v;
	if (dma) {
		if (!vmo_create_dma(NULL, PG, &v))
			kobj_put(&v->obj);
		return;
	}
	if (port_create(&recv, &send))
		return;
	if (!pager_vmo_create(NULL, send, 0, 5 * PG, &v)) {
		pager_supply(v, 0, PG, 0);
		kobj_put(&v->obj);
	}
	kobj_put(&send->obj);
	kobj_put(&recv->obj);
}

TEST(pager_supply_counts_skips_and_frees)
{
	CHECK_EQ(host_mm_setup(), 0);
	warm(false);
	uint64_t f0 = free_frames();
	struct port *recv;
	struct port_send *send;
	CHECK_EQ(port_create(&recv, &send), 0);
	struct vmo *v;
	CHECK_EQ(pager_vmo_create(NULL, send, 7, 5 * PG, &v), 0);
	CHECK_EQ(v->pager_key, 7);
	/* Nothing is allocated until supplied; reads see zeros. */
	CHECK_EQ(vmo_get_page(v, 0), 0);
	uint8_t b = 0xff;
	CHECK_EQ(vmo_read(v, 3 * PG, &b, 1), 0);
	CHECK_EQ(b, 0);
	CHECK_EQ(vmo_write(v, 0, "x", 1), ERR_NOT_SUPPORTED);
	CHECK_EQ(pager_supply(v, 0, 2 * PG, 0), 2);
	CHECK_EQ(pager_supply(v, PG, 3 * PG, 0), 2); /* page 1 is there */
	CHECK_EQ(pager_supply(v, 0, 4 * PG, 0), 0);
	CHECK_EQ(v->supplied, 4);
	CHECK(vmo_get_page(v, 3) != 0);
	CHECK_EQ(vmo_get_page(v, 4), 0);
	CHECK_EQ(vmo_write(v, PG + 5, "y", 1), 0); /* present: writable */
	CHECK_EQ(vmo_read(v, PG + 5, &b, 1), 0);
	CHECK_EQ(b, 'y');
	/* Bad arguments change nothing. */
	CHECK_EQ(pager_supply(v, 1, PG, 0), ERR_INVALID_ARGS);
	CHECK_EQ(pager_supply(v, 0, 0, 0), ERR_INVALID_ARGS);
	CHECK_EQ(pager_supply(v, 4 * PG, 2 * PG, 0), ERR_OUT_OF_RANGE);
	CHECK_EQ(pager_supply(v, 0, PG, 8), ERR_FAULT);
	CHECK_EQ(v->supplied, 4);
	kobj_put(&v->obj); /* its frames, and its reference to send */
	kobj_put(&send->obj);
	kobj_put(&recv->obj);
	CHECK_EQ(free_frames(), f0);
}

/* A plain memory object is not a pager's. */
TEST(pager_supply_refuses_plain_objects)
{
	CHECK_EQ(host_mm_setup(), 0);
	struct vmo *v;
	CHECK_EQ(vmo_create(NULL, PG, &v), 0);
	CHECK_EQ(pager_supply(v, 0, PG, 0), ERR_NOT_SUPPORTED);
	kobj_put(&v->obj);
}

/* Supplied pages are charged to the object's owner: a read-ahead stops at
 * the quota (the pages before it stay), the next supply fails, and the
 * object's end returns every charge. */
TEST(pager_supply_holds_the_quota)
{
	CHECK_EQ(host_mm_setup(), 0);
	struct account *acct;
	CHECK_EQ(account_create(NULL, 64 * PG, &acct), 0);
	static struct task t;
	memset(&t, 0, sizeof(t));
	t.acct = acct;
	struct port *recv;
	struct port_send *send;
	CHECK_EQ(port_create(&recv, &send), 0);
	struct vmo *v;
	CHECK_EQ(pager_vmo_create(&t, send, 1, 1024 * PG, &v), 0);
	uint64_t used0 = acct->used;
	CHECK(used0 < 64 * PG); /* the header and the array, not the size */
	uint64_t room = (64 * PG - used0) / PG;
	CHECK_EQ(pager_supply(v, 0, 100 * PG, 0), (long)room);
	CHECK_EQ(acct->used, used0 + room * PG);
	CHECK_EQ(pager_supply(v, 100 * PG, PG, 0), ERR_NO_MEMORY);
	CHECK_EQ(v->supplied, room);
	kobj_put(&v->obj);
	CHECK_EQ(acct->used, 0);
	account_put(acct);
	kobj_put(&send->obj);
	kobj_put(&recv->obj);
}

TEST(dma_vmo_is_contiguous_and_zeroed)
{
	CHECK_EQ(host_mm_setup(), 0);
	warm(true);
	uint64_t f0 = free_frames();
	struct vmo *v;
	CHECK_EQ(vmo_create_dma(NULL, 3 * PG + 1, &v), 0);
	CHECK_EQ(v->size, 4 * PG);
	CHECK(v->dma && v->phys_base % PG == 0);
	for (uint64_t i = 0; i < 4; i++)
		CHECK_EQ(vmo_get_page(v, i), v->phys_base + i * PG);
	uint8_t buf[64];
	memset(buf, 0xff, sizeof(buf));
	CHECK_EQ(vmo_read(v, 4 * PG - sizeof(buf), buf, sizeof(buf)), 0);
	for (unsigned i = 0; i < sizeof(buf); i++)
		CHECK_EQ(buf[i], 0);
	CHECK_EQ(free_frames(), f0 - 4);
	CHECK_EQ(vmo_create_dma(NULL, 0, &v), ERR_INVALID_ARGS);
	CHECK_EQ(vmo_create_dma(NULL, VMO_DMA_MAX + 1, &v), ERR_OUT_OF_RANGE);
	kobj_put(&v->obj);
	CHECK_EQ(free_frames(), f0);
}

/* A RES_DMA budget counts the live bytes made from it (and from the
 * budgets derived from it: test_resource.c);
 * each take holds a reference, each return drops it. */
TEST(dma_budget_takes_and_returns)
{
	CHECK_EQ(host_mm_setup(), 0);
	struct resource *r;
	CHECK_EQ(resource_create(RES_DMA, 0, 3 * PG, &r), 0);
	CHECK_EQ(dma_auth_take(r, 2 * PG), 0);
	CHECK_EQ(dma_auth_take(r, 2 * PG), ERR_NO_RESOURCES);
	CHECK_EQ(dma_auth_take(r, PG), 0);
	CHECK_EQ(r->dma_used, 3 * PG);
	CHECK_EQ(dma_auth_take(r, ~0ull), ERR_NO_RESOURCES); /* no wrap */
	dma_auth_return(r, 2 * PG);
	CHECK_EQ(dma_auth_take(r, 2 * PG), 0);
	dma_auth_return(r, 2 * PG);
	dma_auth_return(r, PG);
	CHECK_EQ(r->dma_used, 0);
	CHECK_EQ(r->obj.refcount, 1);
	kobj_put(&r->obj);
}
