/* In-kernel tests of user address spaces, memory objects, user copies and
 * memory quotas. Each test builds a parentless task and ends by killing it
 * and checking that frames, slab objects and kernel objects are back at
 * their baselines.
 *
 * A ktest runs in a kernel thread: the scheduler would load the kernel's
 * tables on the next switch back to it, so user memory is touched only
 * between user_enter() and user_leave(), with interrupts off. Results are
 * collected there and checked afterwards (a failed check returns). */
#include <arch/cpu.h>
#include <arch/paging.h>
#include <execrt/errors.h>
#include <execrt/syscall.h>
#include <kern/arch.h>
#include <kern/account.h>
#include <kern/ktest.h>
#include <kern/lib.h>
#include <kern/mm.h>
#include <kern/pmm.h>
#include <kern/slab.h>
#include <kern/task.h>
#include <kern/uaccess.h>
#include <kern/uvm.h>
#include <kern/vm.h>
#include <kern/vmo.h>

#define PG  PAGE_SIZE
#define R   VM_PROT_READ
#define RW  (VM_PROT_READ | VM_PROT_WRITE)
#define RX  (VM_PROT_READ | VM_PROT_EXEC)
#define FIX VM_MAP_FIXED
#define VA  0x400000ull

struct baseline {
	uint64_t frames, objs, kobjs;
};

static uint64_t free_frames(void)
{
	struct pmm_stats st;
	pmm_get_stats(&st);
	return st.free_frames;
}

static struct task *new_task(uint64_t quota);
static void end_task(struct task *t);

/* Caches (task, vmo, slab classes) grow on first use, and tests run in
 * any order: one full cycle first, so the baseline measures only what a
 * test leaks. */
static void snap(struct baseline *b)
{
	struct task *t = new_task(MiB(1));
	if (t) {
		uint64_t a;
		struct vmo *v;
		uvm_map(t->uvm, NULL, VA, 4 * PG, 0, RW, FIX, &a);
		uvm_unmap(t->uvm, VA + PG, PG);
		if (!vmo_create(t, PG, &v))
			kobj_put(&v->obj);
		end_task(t);
	}
	b->frames = free_frames();
	b->objs = kmem_objects_in_use();
	b->kobjs = kobj_live_count();
}

static struct task *new_task(uint64_t quota)
{
	struct task *t = NULL;
	if (task_create(NULL, "t", quota, &t))
		return NULL;
	return t;
}

static void end_task(struct task *t)
{
	task_kill(t, 0);
	kobj_put(&t->obj);
}

static unsigned long user_enter(struct task *t)
{
	unsigned long f = arch_irq_save();
	uvm_activate(t->uvm);
	return f;
}

static void user_leave(unsigned long f)
{
	uvm_activate(NULL);
	arch_irq_restore(f);
}

static unsigned nmappings(struct uvm *u)
{
	unsigned n = 0;
	for (struct list_node *it = u->mappings.next; it != &u->mappings;
	     it = it->next)
		n++;
	return n;
}

#define CHECK_BASELINE(b)                                                      \
	do {                                                                   \
		KT_CHECK_EQ(free_frames(), (b).frames);                        \
		KT_CHECK_EQ(kmem_objects_in_use(), (b).objs);                  \
		KT_CHECK_EQ(kobj_live_count(), (b).kobjs);                     \
		KT_CHECK_EQ(read_cr3(), vm_kernel_root());                     \
	} while (0)

KTEST(uvm_map_anon_zeroed_and_copies)
{
	struct baseline b;
	snap(&b);
	struct task *t = new_task(MiB(1));
	KT_CHECK(t);
	uint64_t a = 0;
	KT_CHECK_EQ(uvm_map(t->uvm, NULL, 0, 3 * PG, 0, RW, 0, &a), 0);
	KT_CHECK(a >= USER_BASE && IS_ALIGNED(a, PG));
	phys_addr_t pa;
	unsigned fl;
	KT_CHECK(vm_translate(t->uvm->space, a + PG, &pa, &fl));
	KT_CHECK_EQ(fl & (VM_READ | VM_WRITE | VM_EXEC | VM_USER),
		    VM_READ | VM_WRITE | VM_USER);
	KT_CHECK(!vm_translate(&kernel_space, a, NULL, NULL)); /* own tables */

	static uint8_t buf[3 * PAGE_SIZE], pat[3 * PAGE_SIZE];
	for (size_t i = 0; i < sizeof(pat); i++)
		pat[i] = (uint8_t)(i * 7 + 1);
	memset(buf, 0xaa, sizeof(buf));
	unsigned long f = user_enter(t);
	int r1 = copy_from_user(buf, (void *)a, sizeof(buf));
	bool zero = true;
	for (size_t i = 0; i < sizeof(buf); i++)
		zero &= buf[i] == 0;
	int r2 = copy_to_user((void *)(a + 5), pat, sizeof(pat) - 5);
	memset(buf, 0, sizeof(buf));
	int r3 = copy_from_user(buf, (void *)(a + 5), sizeof(pat) - 5);
	user_leave(f);
	KT_CHECK_EQ(r1, 0);
	KT_CHECK(zero);
	KT_CHECK_EQ(r2, 0);
	KT_CHECK_EQ(r3, 0);
	KT_CHECK(!memcmp(buf, pat, sizeof(pat) - 5));
	KT_CHECK_EQ(t->uvm->mapped_bytes, 3 * PG);
	end_task(t);
	CHECK_BASELINE(b);
}

KTEST(uvm_map_bad_args_and_wx)
{
	struct baseline b;
	snap(&b);
	struct task *t = new_task(MiB(1));
	KT_CHECK(t);
	struct uvm *u = t->uvm;
	uint64_t used = t->acct->used, a;
	struct vmo *v;
	KT_CHECK_EQ(vmo_create(t, 2 * PG, &v), 0);
	KT_CHECK_EQ(uvm_map(u, NULL, VA, PG, 0, RW | VM_PROT_EXEC, 0, &a),
		    ERR_INVALID_ARGS);
	KT_CHECK_EQ(uvm_map(u, NULL, VA, PG, 0, 8, 0, &a), ERR_INVALID_ARGS);
	KT_CHECK_EQ(uvm_map(u, NULL, VA + 1, PG, 0, R, FIX, &a),
		    ERR_INVALID_ARGS);
	KT_CHECK_EQ(uvm_map(u, NULL, VA, PG + 1, 0, R, 0, &a),
		    ERR_INVALID_ARGS);
	KT_CHECK_EQ(uvm_map(u, NULL, VA, 0, 0, R, 0, &a), ERR_INVALID_ARGS);
	KT_CHECK_EQ(uvm_map(u, v, VA, PG, 1, R, 0, &a), ERR_INVALID_ARGS);
	KT_CHECK_EQ(uvm_map(u, NULL, VA, PG, 0, R, 0x80, &a), ERR_INVALID_ARGS);
	KT_CHECK_EQ(uvm_map(u, NULL, 0, PG, 0, R, FIX, &a), ERR_OUT_OF_RANGE);
	KT_CHECK_EQ(uvm_map(u, NULL, USER_TOP - PG, 2 * PG, 0, R, FIX, &a),
		    ERR_OUT_OF_RANGE);
	KT_CHECK_EQ(uvm_map(u, NULL, 0xffff800000000000ull, PG, 0, R, FIX, &a),
		    ERR_OUT_OF_RANGE);
	KT_CHECK_EQ(uvm_map(u, v, VA, 2 * PG, PG, R, 0, &a), ERR_OUT_OF_RANGE);
	KT_CHECK_EQ(uvm_map(u, v, VA, PG, ~0ull & PAGE_MASK, R, 0, &a),
		    ERR_OUT_OF_RANGE);
	KT_CHECK_EQ(uvm_map(u, NULL, VA, 1ull << 46, 0, R, 0, &a),
		    ERR_OUT_OF_RANGE); /* > VMO_MAX_SIZE */
	KT_CHECK_EQ(uvm_map(u, v, VA, PG, 0, RW, UVM_MAP_MAX_PROT(R), &a),
		    ERR_ACCESS_DENIED);
	KT_CHECK_EQ(nmappings(u), 0);
	KT_CHECK_EQ(uvm_map(u, v, VA, PG, 0, R, FIX | UVM_MAP_MAX_PROT(RX), &a),
		    0);
	KT_CHECK_EQ(uvm_protect(u, VA, PG, RX), 0);
	KT_CHECK_EQ(uvm_protect(u, VA, PG, RW), ERR_ACCESS_DENIED);
	KT_CHECK_EQ(uvm_protect(u, VA, PG, RW | VM_PROT_EXEC),
		    ERR_INVALID_ARGS);
	KT_CHECK_EQ(uvm_protect(u, VA + 1, PG, R), ERR_INVALID_ARGS);
	KT_CHECK_EQ(uvm_unmap(u, VA, 0), ERR_INVALID_ARGS);
	KT_CHECK_EQ(uvm_unmap(u, USER_TOP, PG), ERR_OUT_OF_RANGE);
	KT_CHECK_EQ(uvm_unmap(u, VA, PG), 0);
	kobj_put(&v->obj);
	KT_CHECK_EQ(t->acct->used, used);
	KT_CHECK_EQ(vmo_create(t, 0, &v), ERR_INVALID_ARGS);
	KT_CHECK_EQ(vmo_create(t, VMO_MAX_SIZE + 1, &v), ERR_OUT_OF_RANGE);
	end_task(t);
	CHECK_BASELINE(b);
}

KTEST(uvm_fixed_collision_and_hints)
{
	struct baseline b;
	snap(&b);
	struct task *t = new_task(MiB(1));
	KT_CHECK(t);
	struct uvm *u = t->uvm;
	uint64_t a, c, used;
	KT_CHECK_EQ(uvm_map(u, NULL, VA, 4 * PG, 0, RW, FIX, &a), 0);
	KT_CHECK_EQ(a, VA);
	used = t->acct->used;
	KT_CHECK_EQ(uvm_map(u, NULL, VA + 2 * PG, 4 * PG, 0, RW, FIX, &c),
		    ERR_ALREADY_EXISTS);
	KT_CHECK_EQ(uvm_map(u, NULL, VA - PG, 2 * PG, 0, RW, FIX, &c),
		    ERR_ALREADY_EXISTS);
	KT_CHECK_EQ(t->acct->used, used); /* the failed maps gave all back */
	KT_CHECK_EQ(uvm_map(u, NULL, VA + PG, 2 * PG, 0, RW, 0, &c), 0);
	KT_CHECK_EQ(c, VA + 4 * PG); /* first fit above the hint */
	KT_CHECK_EQ(uvm_map(u, NULL, VA - PG, PG, 0, R, FIX, &c), 0);
	KT_CHECK_EQ(uvm_map(u, NULL, USER_TOP - PG, 2 * PG, 0, R, 0, &c), 0);
	KT_CHECK_EQ(c, USER_BASE); /* hint unusable: from the bottom */
	KT_CHECK_EQ(nmappings(u), 4);
	uint64_t prev = 0;
	list_for_each(it, &u->mappings)
	{
		struct uvm_mapping *m =
			list_entry(it, struct uvm_mapping, node);
		KT_CHECK(m->start >= prev);
		prev = m->start + m->len;
	}
	KT_CHECK_EQ(uvm_map(u, NULL, 0, USER_TOP - USER_BASE, 0, R, 0, &c),
		    ERR_OUT_OF_RANGE); /* larger than any vmo */
	end_task(t);
	CHECK_BASELINE(b);
}

KTEST(uvm_unmap_protect_split)
{
	struct baseline b;
	snap(&b);
	struct task *t = new_task(MiB(1));
	KT_CHECK(t);
	struct uvm *u = t->uvm;
	uint64_t a;
	KT_CHECK_EQ(uvm_map(u, NULL, VA, 8 * PG, 0, RW, FIX, &a), 0);
	uint64_t used_full = t->acct->used;
	uint64_t w[8], x = 0;
	for (int i = 0; i < 8; i++)
		w[i] = 0x1000 + i;
	unsigned long f = user_enter(t);
	int r = 0;
	for (int i = 0; i < 8; i++)
		r |= copy_to_user((void *)(VA + i * PG), &w[i], 8);
	user_leave(f);
	KT_CHECK_EQ(r, 0);

	/* A hole in the middle: two mappings, same vmo, same data. */
	KT_CHECK_EQ(uvm_unmap(u, VA + 3 * PG, 2 * PG), 0);
	KT_CHECK_EQ(nmappings(u), 2);
	KT_CHECK_EQ(u->mapped_bytes, 6 * PG);
	KT_CHECK(!vm_translate(u->space, VA + 4 * PG, NULL, NULL));
	f = user_enter(t);
	int r1 = copy_from_user(&x, (void *)(VA + 3 * PG), 8);
	uint64_t x2 = 0, x5 = 0;
	int r2 = copy_from_user(&x2, (void *)(VA + 2 * PG), 8);
	int r3 = copy_from_user(&x5, (void *)(VA + 5 * PG), 8);
	user_leave(f);
	KT_CHECK_EQ(r1, ERR_FAULT);
	KT_CHECK_EQ(r2, 0);
	KT_CHECK_EQ(r3, 0);
	KT_CHECK_EQ(x2, w[2]);
	KT_CHECK_EQ(x5, w[5]);
	struct uvm_mapping *hi =
		list_entry(u->mappings.prev, struct uvm_mapping, node);
	KT_CHECK_EQ(hi->start, VA + 5 * PG);
	KT_CHECK_EQ(hi->offset, 5 * PG);
	/* Unmapping nothing is fine; the hole is not protectable. */
	KT_CHECK_EQ(uvm_unmap(u, VA + 3 * PG, 2 * PG), 0);
	KT_CHECK_EQ(uvm_protect(u, VA, 8 * PG, R), ERR_NOT_FOUND);
	KT_CHECK_EQ(nmappings(u), 2); /* all or nothing */

	/* Read-only middle of the low part: three pieces. */
	KT_CHECK_EQ(uvm_protect(u, VA + PG, PG, R), 0);
	KT_CHECK_EQ(nmappings(u), 4);
	f = user_enter(t);
	r1 = copy_to_user((void *)(VA + PG), &x, 8);
	r2 = copy_to_user((void *)(VA + 2 * PG), &x, 8);
	r3 = copy_from_user(&x, (void *)(VA + PG), 8);
	user_leave(f);
	KT_CHECK_EQ(r1, ERR_FAULT);
	KT_CHECK_EQ(r2, 0);
	KT_CHECK_EQ(r3, 0);
	KT_CHECK_EQ(x, w[1]);
	KT_CHECK_EQ(uvm_protect(u, VA, 3 * PG, RW), 0);
	/* Unmapping across pieces and a hole. */
	KT_CHECK_EQ(uvm_unmap(u, VA + PG, 6 * PG), 0);
	KT_CHECK_EQ(nmappings(u), 2);
	KT_CHECK_EQ(u->mapped_bytes, 2 * PG);
	KT_CHECK_EQ(uvm_unmap(u, VA, 8 * PG), 0);
	KT_CHECK_EQ(nmappings(u), 0);
	KT_CHECK(t->acct->used < used_full);
	end_task(t);
	CHECK_BASELINE(b);
}

KTEST(uvm_copy_bad_pointers)
{
	struct baseline b;
	snap(&b);
	struct task *t = new_task(MiB(1));
	KT_CHECK(t);
	uint64_t a;
	KT_CHECK_EQ(uvm_map(t->uvm, NULL, VA, 2 * PG, 0, RW, FIX, &a), 0);
	static const char str[] = "hello";
	char kb[64], ks[64];
	int r[16];
	unsigned long f = user_enter(t);
	r[0] = copy_from_user(kb, (void *)(VA + 4 * PG), 8); /* unmapped */
	r[1] = copy_from_user(kb, (void *)str, 4);	     /* kernel */
	r[2] = copy_to_user((void *)kb, str, 4);
	r[3] = copy_from_user(kb, NULL, 4);
	r[4] = copy_to_user((void *)(USER_TOP - 8), str, 16);	  /* past top */
	r[5] = copy_from_user(kb, (void *)(VA + PG), ~(size_t)0); /* wraps */
	r[6] = copy_to_user((void *)(VA + 2 * PG - 4), str, 8); /* straddles */
	r[7] = copy_to_user((void *)(VA + PG), str, sizeof(str));
	r[8] = copy_str_from_user(ks, (void *)(VA + PG), sizeof(ks));
	r[9] = copy_str_from_user(kb, (void *)(VA + PG), 5); /* too long */
	r[10] = copy_str_from_user(kb, NULL, sizeof(kb));
	r[11] = copy_str_from_user(kb, str, sizeof(kb));
	r[12] = copy_to_user((void *)(VA + 2 * PG - 3), "abc", 3);
	r[13] = copy_str_from_user(kb, (void *)(VA + 2 * PG - 3), sizeof(kb));
	r[14] = copy_from_user(kb, (void *)VA, 0);
	r[15] = copy_str_from_user(kb, (void *)(VA + PG), 0);
	user_leave(f);
	KT_CHECK_EQ(r[0], ERR_FAULT);
	KT_CHECK_EQ(r[1], ERR_FAULT);
	KT_CHECK_EQ(r[2], ERR_FAULT);
	KT_CHECK_EQ(r[3], ERR_FAULT);
	KT_CHECK_EQ(r[4], ERR_FAULT);
	KT_CHECK_EQ(r[5], ERR_FAULT);
	KT_CHECK_EQ(r[6], ERR_FAULT);
	KT_CHECK_EQ(r[7], 0);
	KT_CHECK_EQ(r[8], 0);
	KT_CHECK(!strcmp(ks, "hello"));
	KT_CHECK_EQ(r[9], ERR_INVALID_ARGS);
	KT_CHECK_EQ(r[10], ERR_FAULT);
	KT_CHECK_EQ(r[11], ERR_FAULT);
	KT_CHECK_EQ(r[12], 0);
	KT_CHECK_EQ(r[13], ERR_FAULT); /* runs off the mapping */
	KT_CHECK_EQ(r[14], 0);
	KT_CHECK_EQ(r[15], ERR_INVALID_ARGS);
	KT_CHECK(user_range_ok(USER_TOP - 1, 1));
	KT_CHECK(!user_range_ok(USER_TOP - 1, 2));
	KT_CHECK(!user_range_ok(USER_BASE - 1, 1));
	KT_CHECK(!user_range_ok(USER_BASE, ~(size_t)0));
	end_task(t);
	CHECK_BASELINE(b);
}

KTEST(uvm_quota_exhaustion_and_recovery)
{
	struct baseline b;
	snap(&b);
	struct task *t = new_task(KiB(64));
	KT_CHECK(t);
	struct uvm *u = t->uvm;
	uint64_t used0 = t->acct->used, a, c;
	KT_CHECK_EQ(used0, PG); /* the PML4 */
	/* 16 pages need 64 KiB of frames plus array and tables: too much. */
	KT_CHECK_EQ(uvm_map(u, NULL, VA, 16 * PG, 0, RW, FIX, &a),
		    ERR_NO_MEMORY);
	KT_CHECK_EQ(t->acct->used, used0);
	KT_CHECK_EQ(nmappings(u), 0);
	/* Fill up page by page until the quota says no. */
	int n = 0, err;
	while (!(err = uvm_map(u, NULL, 0, PG, 0, RW, 0, &c)))
		n++;
	KT_CHECK_EQ(err, ERR_NO_MEMORY);
	KT_CHECK(n > 4 && n < 16);
	KT_CHECK(t->acct->used <= t->acct->quota);
	/* Objects commit their size at creation: none fits any more. */
	struct vmo *v;
	KT_CHECK_EQ(vmo_create(t, PG, &v), ERR_NO_MEMORY);
	/* Free half and the task works again. */
	KT_CHECK_EQ(uvm_unmap(u, USER_BASE, (uint64_t)n / 2 * PG), 0);
	KT_CHECK_EQ(uvm_map(u, NULL, 0, PG, 0, RW, 0, &c), 0);
	unsigned long f = user_enter(t);
	int r = copy_to_user((void *)c, "ok", 2);
	user_leave(f);
	KT_CHECK_EQ(r, 0);
	KT_CHECK_EQ(uvm_unmap(u, USER_BASE, USER_TOP - USER_BASE), 0);
	KT_CHECK_EQ(t->acct->used, used0);
	end_task(t);
	CHECK_BASELINE(b);
}

KTEST(uvm_vmo_shared_by_two_mappings)
{
	struct baseline b;
	snap(&b);
	struct task *t = new_task(MiB(1));
	KT_CHECK(t);
	struct vmo *v;
	uint64_t a1, a2, used = t->acct->used;
	KT_CHECK_EQ(vmo_create(t, 3 * PG - 100, &v), 0);
	KT_CHECK_EQ(v->size, 3 * PG);
	KT_CHECK_EQ(vmo_write(v, PG - 2, "shared", 7), 0); /* straddles */
	KT_CHECK_EQ(uvm_map(t->uvm, v, 0, 2 * PG, 0, RW, 0, &a1), 0);
	KT_CHECK_EQ(uvm_map(t->uvm, v, 0, 2 * PG, PG, R, 0, &a2), 0);
	KT_CHECK(a1 != a2);
	char got[8] = {0}, got2[8] = {0};
	unsigned long f = user_enter(t);
	int r1 = copy_from_user(got, (void *)(a1 + PG - 2), 7);
	int r2 = copy_to_user((void *)(a1 + PG + 100), "abc", 4);
	int r3 = copy_from_user(got2, (void *)(a2 + 100), 4);
	int r4 = vmo_read_user(v, 2 * PG, (void *)a1, 16); /* zeros */
	int r5 = vmo_read_user(v, 0, (void *)(a1 + 2 * PG - 8), 16);
	int r6 = vmo_write_user(v, 0, (void *)0x1000, 4);
	int r7 = vmo_read_user(v, 3 * PG - 4, (void *)a1, 8);
	user_leave(f);
	KT_CHECK_EQ(r1, 0);
	KT_CHECK(!strcmp(got, "shared"));
	KT_CHECK_EQ(r2, 0);
	KT_CHECK_EQ(r3, 0);
	KT_CHECK(!strcmp(got2, "abc"));
	KT_CHECK_EQ(r4, 0);
	KT_CHECK_EQ(r5, ERR_FAULT);
	KT_CHECK_EQ(r6, ERR_FAULT);
	KT_CHECK_EQ(r7, ERR_OUT_OF_RANGE);
	uint64_t z = 1;
	KT_CHECK_EQ(vmo_read(v, 0, &z, 8), 0);
	KT_CHECK_EQ(z, 0); /* vmo_read_user copied the zero page 2 */
	KT_CHECK_EQ(vmo_read(v, 2 * PG, &z, 8), 0);
	KT_CHECK_EQ(z, 0);
	/* Dropping our reference: the mappings keep the object. */
	kobj_put(&v->obj);
	f = user_enter(t);
	r1 = copy_from_user(got2, (void *)(a2 + 100), 4);
	user_leave(f);
	KT_CHECK_EQ(r1, 0);
	KT_CHECK_EQ(uvm_unmap(t->uvm, a1, 2 * PG), 0);
	KT_CHECK_EQ(uvm_unmap(t->uvm, a2, 2 * PG), 0);
	KT_CHECK_EQ(t->acct->used, used); /* object gone, charges back */
	end_task(t);
	CHECK_BASELINE(b);
}

KTEST(uvm_vmo_physical)
{
	struct baseline b;
	snap(&b);
	phys_addr_t fr = pmm_alloc();
	KT_CHECK(fr);
	memcpy(phys_to_virt(fr), "physical", 9);
	struct vmo *v, *dev, *wc;
	KT_CHECK_EQ(vmo_create_physical(fr + 1, PG, VM_CACHE_WB, &v),
		    ERR_INVALID_ARGS);
	KT_CHECK_EQ(vmo_create_physical(fr, 0, VM_CACHE_WB, &v),
		    ERR_INVALID_ARGS);
	KT_CHECK_EQ(vmo_create_physical(fr, PG, VM_CACHE_WC + 1, &v),
		    ERR_INVALID_ARGS);
	KT_CHECK_EQ(vmo_create_physical(~0ull & PAGE_MASK, 2 * PG, VM_CACHE_WB,
					&v),
		    ERR_OUT_OF_RANGE);
	KT_CHECK_EQ(vmo_create_physical(fr, PG, VM_CACHE_WB, &v), 0);
	KT_CHECK_EQ(vmo_create_physical(fr, PG, VM_CACHE_UC, &dev), 0);
	KT_CHECK_EQ(vmo_create_physical(fr, PG, VM_CACHE_WC, &wc), 0);
	char got[9];
	KT_CHECK_EQ(vmo_read(v, 0, got, 9), 0);
	KT_CHECK(!strcmp(got, "physical"));
	KT_CHECK_EQ(vmo_read(dev, 0, got, 9), ERR_NOT_SUPPORTED);
	KT_CHECK_EQ(vmo_get_page(v, 0), fr);
	KT_CHECK_EQ(vmo_get_page(v, 1), 0);
	struct task *t = new_task(MiB(1));
	KT_CHECK(t);
	uint64_t a, d, w;
	KT_CHECK_EQ(uvm_map(t->uvm, v, 0, PG, 0, R, 0, &a), 0);
	KT_CHECK_EQ(uvm_map(t->uvm, dev, 0, PG, 0, RW, 0, &d), 0);
	KT_CHECK_EQ(uvm_map(t->uvm, wc, 0, PG, 0, RW, 0, &w), 0);
	unsigned fl;
	KT_CHECK(vm_translate(t->uvm->space, d, NULL, &fl));
	KT_CHECK_EQ(fl & (VM_UNCACHED | VM_WC), VM_UNCACHED);
	KT_CHECK(vm_translate(t->uvm->space, a, NULL, &fl));
	KT_CHECK_EQ(fl & (VM_UNCACHED | VM_WC), 0);
	/* The object's cache type, through the arch's hook; protect keeps
	 * it. */
	KT_CHECK(vm_translate(t->uvm->space, w, NULL, &fl));
	KT_CHECK_EQ(fl & (VM_UNCACHED | VM_WC),
		    arch_vm_cache_flags(VM_CACHE_WC));
	KT_CHECK_EQ(uvm_protect(t->uvm, w, PG, R), 0);
	KT_CHECK(vm_translate(t->uvm->space, w, NULL, &fl));
	KT_CHECK_EQ(fl & (VM_UNCACHED | VM_WC | VM_WRITE),
		    arch_vm_cache_flags(VM_CACHE_WC));
	memset(got, 0, sizeof(got));
	unsigned long f = user_enter(t);
	int r1 = copy_from_user(got, (void *)a, 9);
	int r2 = copy_to_user((void *)a, "x", 1); /* read-only */
	user_leave(f);
	KT_CHECK_EQ(r1, 0);
	KT_CHECK(!strcmp(got, "physical"));
	KT_CHECK_EQ(r2, ERR_FAULT);
	end_task(t);
	kobj_put(&v->obj);
	kobj_put(&dev->obj);
	kobj_put(&wc->obj);
	KT_CHECK(!memcmp(phys_to_virt(fr), "physical", 9)); /* not freed */
	pmm_free(fr);
	CHECK_BASELINE(b);
}

/* An object outliving its task keeps the task's account until the
 * object goes; the account, retired, keeps only what is charged to it:
 * the rest of the quota the parent gave is back at once. */
KTEST(uvm_vmo_outlives_its_task)
{
	struct baseline b;
	snap(&b);
	uint64_t accounts = account_count();
	struct task *p = new_task(MiB(2));
	KT_CHECK(p);
	uint64_t pused = p->acct->used;
	struct task *t = NULL;
	KT_CHECK_EQ(task_create(p, "c", MiB(1), &t), 0);
	uint64_t carved = p->acct->used - pused;
	KT_CHECK(carved >= MiB(1) + TASK_CREATE_CHARGE);
	struct vmo *v;
	uint64_t a;
	KT_CHECK_EQ(vmo_create(t, 2 * PG, &v), 0);
	KT_CHECK_EQ(vmo_write(v, 0, "kept", 5), 0);
	KT_CHECK_EQ(uvm_map(t->uvm, v, 0, PG, 0, RW, 0, &a), 0);
	KT_CHECK(v->obj.charge.acct == t->acct);
	struct account *ta = t->acct;
	end_task(t); /* the task object is gone, its account is not */
	KT_CHECK_EQ(account_count(), accounts + 2);
	/* The task record and the unused quota came back to the parent. */
	KT_CHECK(ta->used >= 2 * PG);
	KT_CHECK_EQ(ta->quota, ta->used);
	KT_CHECK_EQ(p->acct->used,
		    pused + carved - TASK_CREATE_CHARGE - MiB(1) + ta->used);
	char got[5];
	KT_CHECK_EQ(vmo_read(v, 0, got, 5), 0);
	KT_CHECK(!strcmp(got, "kept"));
	KT_CHECK_EQ(vmo_write(v, PG, "x", 1), 0); /* committed: it may grow */
	kobj_put(&v->obj);
	KT_CHECK_EQ(account_count(), accounts + 1);
	KT_CHECK_EQ(p->acct->used, pused);
	end_task(p);
	KT_CHECK_EQ(account_count(), accounts);
	CHECK_BASELINE(b);
}

KTEST(uvm_destroy_while_loaded)
{
	struct baseline b;
	snap(&b);
	struct task *t = new_task(MiB(1));
	KT_CHECK(t);
	uint64_t a;
	KT_CHECK_EQ(uvm_map(t->uvm, NULL, 0, 4 * PG, 0, RW, 0, &a), 0);
	unsigned long f = arch_irq_save();
	uvm_activate(t->uvm);
	bool loaded = read_cr3() != vm_kernel_root();
	task_kill(t, 0); /* empties the space under our feet */
	bool still = read_cr3() != vm_kernel_root();
	kobj_put(&t->obj); /* frees it: this CPU must leave it */
	bool back = read_cr3() == vm_kernel_root();
	arch_irq_restore(f);
	KT_CHECK(loaded);
	KT_CHECK(still);
	KT_CHECK(back);
	CHECK_BASELINE(b);
}

/* prot 0 reserves address space: no frames, no entries, every access
 * faults, until protected to something (musl's malloc guards need it). */
KTEST(uvm_reservation_prot_none)
{
	struct baseline b;
	snap(&b);
	struct task *t = new_task(MiB(1));
	KT_CHECK(t);
	struct pmm_stats st0, st1;
	uint64_t a;
	pmm_get_stats(&st0);
	KT_CHECK_EQ(uvm_map(t->uvm, NULL, VA, 4 * PG, 0, 0, FIX, &a), 0);
	pmm_get_stats(&st1);
	KT_CHECK(st0.free_frames - st1.free_frames <= 3); /* tables only */
	unsigned long f = user_enter(t);
	int r1 = copy_to_user((void *)VA, "x", 1);
	user_leave(f);
	KT_CHECK_EQ(r1, ERR_FAULT);
	KT_CHECK_EQ(uvm_protect(t->uvm, VA + PG, PG, RW), 0);
	f = user_enter(t);
	int r2 = copy_to_user((void *)(VA + PG), "y", 1);
	int r3 = copy_to_user((void *)(VA + 2 * PG), "z", 1);
	user_leave(f);
	KT_CHECK_EQ(r2, 0);
	KT_CHECK_EQ(r3, ERR_FAULT);
	KT_CHECK_EQ(uvm_protect(t->uvm, VA, 4 * PG, 0), 0);
	f = user_enter(t);
	int r4 = copy_to_user((void *)(VA + PG), "y", 1);
	user_leave(f);
	KT_CHECK_EQ(r4, ERR_FAULT);
	end_task(t);
	CHECK_BASELINE(b);
}
