/* The in-guest fuzzer's arguments (fuzz_args.h, fuzz_gen.c top): values
 * at the edges, lengths, deadlines, rights, pointers into the scratch
 * buffer, the arena, unmapped memory or the kernel half, messages, and
 * one generator per call (gen). */
#include "fuzz_args.h"

/* A random value that is no address of the fuzzer's own memory (its image,
 * stacks and report: everything from IMAGE_START up but the arena). */
uint64_t not_ours(uint64_t v)
{
	if (v >= IMAGE_START && v < USER_TOP &&
	    !(v >= FUZZ_ARENA_ADDR && v < ARENA_END))
		v |= NONCANON_PTR;
	return v;
}

static uint64_t val(struct fuzz_ctx *c)
{
	static const uint64_t v[] = {
		0,	    1,		2,	    3,
		7,	    8,		0x7f,	    0x80,
		0xff,	    0xfff,	0x1000,	    0x1001,
		0xffff,	    0x10000,	0x7fffffff, 0x80000000,
		0xffffffff, 1ull << 32, 1ull << 40, 1ull << 46,
		USER_TOP,   1ull << 63, ~0ull,	    ~0ull - 1,
		~0ull >> 1, KERNEL_PTR, -4096ull,   0xffff800000000000ull};
	switch (fz_below(&c->rng, 4)) {
	case 0:
		return not_ours(fz_rand(&c->rng) &
				(ONE_IN(c, 2) ? 0xff : 0xffffffff));
	case 1:
		return not_ours(fz_rand(&c->rng));
	default:
		return PICK(c, v);
	}
}

static uint64_t len(struct fuzz_ctx *c)
{
	static const uint64_t v[] = {0,		 1,
				     2,		 7,
				     8,		 16,
				     31,	 32,
				     100,	 4095,
				     4096,	 4097,
				     8192,	 PORT_MSG_MAX + 1,
				     65536,	 1ull << 20,
				     1ull << 32, 1ull << 40,
				     1ull << 46, USER_TOP,
				     1ull << 63, ~0ull};
	if (ONE_IN(c, 3))
		return fz_below(&c->rng, 3 * PAGE);
	return PICK(c, v);
}

/* Mostly polls and waits of tens of microseconds: a call that blocks
 * costs the fuzzer its time. */
static uint64_t deadline(struct fuzz_ctx *c)
{
	switch (fz_below(&c->rng, 8)) {
	case 0:
	case 1:
		return DEADLINE_POLL;
	case 2:
		return ONE_IN(c, 2) ? 1 : now() - 1000;
	case 3:
		return now() + fz_below(&c->rng, SHORT_NS);
	default:
		return now() + fz_below(&c->rng, 50000);
	}
}

static uint64_t rights(struct fuzz_ctx *c)
{
	switch (fz_below(&c->rng, 6)) {
	case 0:
		return RIGHT_SAME;
	case 1:
		return RIGHTS_ALL;
	case 2:
		return 1u << fz_below(&c->rng, 10); /* bit 9: unknown */
	case 3:
		return RIGHTS_ALL & ~(1u << fz_below(&c->rng, 9));
	case 4:
		return val(c);
	default:
		return fz_rand(&c->rng) & RIGHTS_ALL;
	}
}

/* A pointer to `need` bytes the kernel may read or write: the scratch
 * buffer only when they fit in it (the kernel writes no further). */
static uint64_t ptr(struct fuzz_ctx *c, uint64_t need)
{
	static const uint64_t bad[] = {KERNEL_PTR, 0xffff800000000000ull,
				       ~0ull - 7, -4096ull};
	uint64_t s = (uint64_t)c->scratch, room = sizeof(c->scratch);
	uint64_t r = fz_below(&c->rng, 16);
	if (r < 8 && need < room) {
		uint64_t off = fz_below(&c->rng, room - need);
		return s + (r < 6 ? off & ~7ull : off + 1); /* some unaligned */
	}
	switch (r) {
	case 8:
	case 9:
		return FUZZ_ARENA_ADDR + fz_below(&c->rng, FUZZ_ARENA_SIZE);
	case 10:
		return ARENA_END - fz_below(&c->rng, 64);
	case 11:
		return UNMAPPED;
	case 12:
		return PICK(c, bad);
	case 13:
		return NONCANON_PTR | fz_below(&c->rng, PAGE);
	case 14:
		return ONE_IN(c, 2) ? 0 : 8;
	default:
		return USER_TOP - 1 - fz_below(&c->rng, 64);
	}
}

static handle_t task(struct fuzz_ctx *c)
{
	return ONE_IN(c, 2) ? fz_self : fz_pick(c, OBJ_TASK);
}

/* A message to send: bytes from anywhere, up to 3 attached handles (more
 * now and then), the message itself sometimes behind a bad pointer. */
static uint64_t msg(struct fuzz_ctx *c)
{
	struct port_msg *m = &c->msg;
	uint64_t l = ONE_IN(c, 4) ? len(c) : fz_below(&c->rng, 64);
	m->len = (uint32_t)l;
	m->data = (const void *)ptr(c, l);
	uint32_t nh = ONE_IN(c, 8) ? (uint32_t)val(c)
				   : (uint32_t)fz_below(&c->rng, 4);
	m->nhandles = nh;
	for (uint32_t i = 0; i < N(c->tx_handles); i++) {
		handle_t h = i < nh ? fz_pick(c, OBJ_NONE) : 0;
		c->tx_handles[i] = ours(h) ? 0 : h;
	}
	if (nh && ONE_IN(c, 16)) /* the same handle twice */
		c->tx_handles[nh < N(c->tx_handles) ? nh - 1 : 0] =
			c->tx_handles[0];
	m->handles =
		ONE_IN(c, 8) ? (const handle_t *)ptr(c, 4 * nh) : c->tx_handles;
	return ONE_IN(c, 12) ? ptr(c, sizeof(*m)) : (uint64_t)m;
}

/* Where to receive: the kernel writes at most PORT_MSG_MAX bytes and
 * PORT_HANDLES_MAX handles, whatever cap and hcap say. */
static uint64_t rx(struct fuzz_ctx *c)
{
	struct port_rx *x = &c->rx;
	__builtin_memset(x, 0, sizeof(*x));
	uint64_t cap = ONE_IN(c, 4) ? len(c) : PORT_MSG_MAX;
	x->cap = (uint32_t)cap;
	x->buf = (void *)ptr(c, x->cap < PORT_MSG_MAX ? x->cap : PORT_MSG_MAX);
	x->hcap = ONE_IN(c, 4) ? (uint32_t)val(c) : PORT_HANDLES_MAX;
	x->handles = ONE_IN(c, 8) ? (handle_t *)ptr(c, 4 * PORT_HANDLES_MAX)
				  : c->rx_handles;
	return ONE_IN(c, 12) ? ptr(c, sizeof(*x)) : (uint64_t)x;
}

static uint64_t map_req(struct fuzz_ctx *c)
{
	static const uint64_t addr[] = {0,
					FUZZ_ARENA_ADDR,
					FUZZ_ARENA_ADDR + PAGE,
					ARENA_END - PAGE,
					UNMAPPED,
					USER_BASE,
					USER_TOP - PAGE,
					0x1234,
					KERNEL_PTR};
	static const uint64_t size[] = {PAGE, 2 * PAGE, 0,
					1,    PAGE + 1, 16 * PAGE};
	struct vm_map_req *q = &c->req;
	q->addr = ONE_IN(c, 4) ? val(c) : PICK(c, addr);
	q->len = ONE_IN(c, 4) ? len(c) : PICK(c, size);
	q->offset = ONE_IN(c, 2) ? 0 : ONE_IN(c, 2) ? PAGE : val(c);
	q->prot = (uint32_t)fz_below(&c->rng, 8) |
		  (ONE_IN(c, 8) ? 8u << fz_below(&c->rng, 24) : 0);
	q->flags = ONE_IN(c, 2)	  ? 0
		   : ONE_IN(c, 2) ? VM_MAP_FIXED
				  : (uint32_t)val(c);
	return ONE_IN(c, 12) ? ptr(c, sizeof(*q)) : (uint64_t)q;
}

/* An output of `n` bytes: usually one the bookkeeping reads back. */
static uint64_t out(struct fuzz_ctx *c, void *mine, uint64_t n)
{
	return ONE_IN(c, 6) ? ptr(c, n) : (uint64_t)mine;
}

uint64_t any_arg(struct fuzz_ctx *c)
{
	switch (fz_below(&c->rng, 4)) {
	case 0:
		return fz_pick(c, OBJ_NONE);
	case 1: /* never the scratch buffer: the size is unknown */
		return ptr(c, ~0ull);
	case 2:
		return len(c);
	default:
		return val(c);
	}
}

static uint64_t perms(struct fuzz_ctx *c)
{
	return ONE_IN(c, 4) ? val(c) : 1 + fz_below(&c->rng, 3);
}

void gen(struct fuzz_ctx *c, uint64_t nr, uint64_t *a)
{
	handle_t *o = c->out_h;
	switch (nr) {
	case SYS_DEBUG_WRITE:
		a[2] = len(c);
		a[0] = fz_pick(c, OBJ_NONE);
		a[1] = ptr(c, a[2]);
		break;
	case SYS_HANDLE_CLOSE:
	case SYS_HANDLE_INFO:
		a[0] = fz_pick(c, OBJ_NONE);
		a[1] = out(c, &c->scratch[0], sizeof(struct handle_info));
		break;
	case SYS_HANDLE_DUP:
		a[0] = fz_pick(c, OBJ_NONE);
		a[1] = rights(c);
		a[2] = out(c, o, 4);
		break;
	case SYS_SLEEP_UNTIL:
		a[0] = deadline(c);
		break;
	case SYS_TASK_CREATE:
		a[0] = task(c);
		a[2] = ONE_IN(c, 4) ? len(c) : fz_below(&c->rng, 40);
		a[1] = ptr(c, a[2]);
		a[3] = ONE_IN(c, 3) ? val(c) : PAGE << fz_below(&c->rng, 6);
		a[4] = out(c, o, 4);
		break;
	case SYS_TASK_KILL:
		a[0] = fz_pick(c, OBJ_TASK);
		a[1] = val(c);
		break;
	case SYS_TASK_QUOTA_LEND:
		a[0] = task(c);
		a[1] = task(c);
		a[2] = ONE_IN(c, 3) ? val(c) : PAGE << fz_below(&c->rng, 6);
		break;
	case SYS_THREAD_CREATE:
		a[0] = task(c);
		a[2] = ONE_IN(c, 4) ? len(c) : fz_below(&c->rng, 40);
		a[1] = ptr(c, a[2]);
		a[3] = out(c, o, 4);
		break;
	case SYS_THREAD_START:
		a[0] = fz_pick(c, OBJ_THREAD);
		a[1] = ONE_IN(c, 3)   ? val(c)
		       : ONE_IN(c, 2) ? (uint64_t)fz_stub_exit
				      : (uint64_t)fz_stub_sleep;
		a[2] = ONE_IN(c, 3) ? val(c) : ARENA_END - 8;
		a[3] = val(c);
		break;
	case SYS_THREAD_SET_TLS:
		a[0] = val(c);
		break;
	case SYS_OBJECT_WAIT:
		a[0] = fz_pick(c, ONE_IN(c, 2) ? OBJ_TASK : OBJ_THREAD);
		a[1] = deadline(c);
		a[2] = ONE_IN(c, 3) ? 0 : out(c, &c->out_u64, 8);
		break;
	case SYS_VM_MAP:
		a[0] = task(c);
		a[1] = ONE_IN(c, 3) ? HANDLE_INVALID : fz_pick(c, OBJ_VMO);
		a[2] = map_req(c);
		a[3] = out(c, &c->out_u64, 8);
		break;
	case SYS_VM_UNMAP:
	case SYS_VM_PROTECT:
		a[0] = task(c);
		a[1] = ONE_IN(c, 4)
			       ? val(c)
			       : FUZZ_ARENA_ADDR + PAGE * fz_below(&c->rng, 20);
		a[2] = ONE_IN(c, 4) ? len(c) : PAGE * fz_below(&c->rng, 5);
		a[3] = ONE_IN(c, 6) ? val(c) : fz_below(&c->rng, 8);
		break;
	case SYS_VMO_CREATE:
		a[0] = ONE_IN(c, 2) ? len(c)
				    : PAGE * (1 + fz_below(&c->rng, 8));
		a[1] = out(c, o, 4);
		break;
	case SYS_VMO_READ:
	case SYS_VMO_WRITE:
		a[0] = fz_pick(c, OBJ_VMO);
		a[3] = ONE_IN(c, 2) ? len(c) : fz_below(&c->rng, 2 * PAGE);
		a[1] = ptr(c, a[3]);
		a[2] = ONE_IN(c, 2) ? fz_below(&c->rng, 4 * PAGE) : val(c);
		break;
	case SYS_VMO_GET_SIZE:
		a[0] = fz_pick(c, OBJ_VMO);
		a[1] = out(c, &c->out_u64, 8);
		break;
	case SYS_TASK_GIVE_HANDLE:
		a[0] = ONE_IN(c, 4) ? fz_self : fz_pick(c, OBJ_TASK);
		a[1] = fz_pick(c, OBJ_NONE);
		a[2] = rights(c);
		a[3] = out(c, o, 4);
		break;
	case SYS_TASK_SET_FAULT_HANDLER:
		a[0] = task(c);
		a[1] = ONE_IN(c, 4) ? val(c) : fz_below(&c->rng, 2);
		break;
	case SYS_FAULT_WAIT:
		a[0] = task(c);
		a[1] = deadline(c);
		a[2] = out(c, &c->fault, sizeof(c->fault));
		break;
	case SYS_FAULT_RESUME:
		a[0] = c->fault_task ? c->fault_task : task(c);
		a[1] = c->fault_task ? c->fault.thread_koid : val(c);
		break;
	case SYS_PORT_CREATE:
		a[0] = ONE_IN(c, 4) ? val(c) : 0;
		a[1] = out(c, &o[0], 4);
		a[2] = out(c, &o[1], 4);
		break;
	case SYS_PORT_SEND:
		a[0] = fz_pick(c, OBJ_PORT_SEND);
		a[1] = msg(c);
		a[2] = deadline(c);
		break;
	case SYS_PORT_RECV:
		a[0] = fz_pick(c, OBJ_PORT);
		a[1] = rx(c);
		a[2] = deadline(c);
		break;
	case SYS_PORT_CALL:
		a[0] = fz_pick(c, OBJ_PORT_SEND);
		a[1] = msg(c);
		a[2] = rx(c);
		a[3] = ONE_IN(c, 2) ? deadline(c) : now() + SHORT_NS;
		break;
	case SYS_PORT_REPLY:
		a[0] = c->pending_reply ? c->pending_reply
					: fz_pick(c, OBJ_REPLY);
		a[1] = msg(c);
		break;
	case SYS_PORT_REPLY_RECV:
		a[0] = c->pending_reply ? c->pending_reply
					: fz_pick(c, OBJ_REPLY);
		a[1] = msg(c);
		a[2] = fz_pick(c, OBJ_PORT);
		a[3] = rx(c);
		a[4] = deadline(c);
		break;
	case SYS_PORT_MINT:
		a[0] = fz_pick(c, OBJ_PORT);
		a[1] = val(c);
		a[2] = out(c, o, 4);
		break;
	case SYS_PORT_MINT_EX:
		a[0] = fz_pick(c, OBJ_PORT);
		a[1] = val(c);
		a[2] = ONE_IN(c, 4) ? val(c) : PORT_MINT_NOTIFY_CLOSED;
		a[3] = out(c, o, 4);
		break;
	case SYS_NOTIF_CREATE:
		a[0] = out(c, o, 4);
		break;
	case SYS_NOTIF_SIGNAL:
		a[0] = fz_pick(c, OBJ_NOTIFICATION);
		a[1] = ONE_IN(c, 3) ? val(c) : 1ull << fz_below(&c->rng, 64);
		break;
	case SYS_NOTIF_WAIT:
		a[0] = fz_pick(c, OBJ_NOTIFICATION);
		a[1] = ONE_IN(c, 3) ? val(c) : ~0ull;
		a[2] = deadline(c);
		a[3] = out(c, &c->out_u64, 8);
		break;
	case SYS_PORT_BIND_NOTIF:
		a[0] = fz_pick(c, OBJ_PORT);
		a[1] = fz_pick(c, OBJ_NOTIFICATION);
		a[2] = ONE_IN(c, 3) ? val(c) : 1ull << fz_below(&c->rng, 64);
		break;
	case SYS_GRANT_CREATE:
		a[0] = task(c);
		a[1] = ONE_IN(c, 2) ? 0
		       : ONE_IN(c, 3)
			       ? val(c)
			       : FUZZ_ARENA_ADDR + PAGE * fz_below(&c->rng, 16);
		a[2] = ONE_IN(c, 3) ? len(c)
				    : PAGE * (1 + fz_below(&c->rng, 2));
		a[3] = perms(c);
		a[4] = out(c, o, 4);
		break;
	case SYS_GRANT_MAP:
		a[0] = task(c);
		a[1] = fz_pick(c, OBJ_GRANT);
		a[2] = perms(c);
		a[3] = ONE_IN(c, 2) ? 0 : val(c);
		a[4] = out(c, &c->out_u64, 8);
		break;
	case SYS_GRANT_UNMAP:
		a[0] = task(c);
		a[1] = ONE_IN(c, 2) ? c->last_grant_addr : val(c);
		break;
	case SYS_GRANT_REVOKE:
		a[0] = fz_pick(c, OBJ_GRANT);
		break;
	case SYS_GRANT_NOTIFY:
		a[0] = fz_pick(c, OBJ_GRANT);
		a[1] = fz_pick(c, OBJ_PORT_SEND);
		break;
	case SYS_SCHED_GET:
		a[0] = fz_pick(c, OBJ_THREAD);
		a[1] = ptr(c, sizeof(struct sched_params));
		break;
	case SYS_OBJECT_NOTIFY:
		a[0] = fz_pick(c, ONE_IN(c, 2) ? OBJ_TASK : OBJ_THREAD);
		a[1] = fz_pick(c, OBJ_NOTIFICATION);
		a[2] = ONE_IN(c, 4)   ? 0
		       : ONE_IN(c, 3) ? val(c)
				      : 1ull << fz_below(&c->rng, 64);
		break;
	case SYS_RESOURCE_DERIVE:
		a[0] = fz_pick(c, OBJ_NONE);
		a[1] = val(c);
		a[2] = len(c);
		a[3] = rights(c);
		a[4] = out(c, o, 4);
		break;
	case SYS_TASK_STATS:
		a[0] = fz_pick(c, OBJ_NONE);
		a[1] = val(c);
		a[3] = ONE_IN(c, 3) ? val(c) : fz_below(&c->rng, 4);
		a[2] = ptr(c,
			   a[3] < 4 ? a[3] * sizeof(struct task_stats) : ~0ull);
		break;
	case SYS_SCHED_AFFINITY: /* no authority: never applies */
		a[0] = fz_pick(c, OBJ_NONE);
		a[1] = fz_pick(c, OBJ_THREAD);
		a[2] = ONE_IN(c, 2) ? val(c) : 1ull << fz_below(&c->rng, 4);
		break;
	case SYS_NULL: /* ignores whatever it is given */
		for (int i = 0; i < 6; i++)
			a[i] = any_arg(c);
		break;
	case SYS_PAGER_VMO_CREATE:
		a[0] = fz_pick(c, OBJ_PORT_SEND);
		a[1] = val(c);
		a[2] = ONE_IN(c, 3) ? len(c)
				    : PAGE * (1 + fz_below(&c->rng, 4));
		a[3] = out(c, o, 4);
		break;
	case SYS_PAGER_SUPPLY:
		a[0] = fz_pick(c, OBJ_VMO);
		a[1] = ONE_IN(c, 3) ? val(c) : PAGE * fz_below(&c->rng, 4);
		a[2] = ONE_IN(c, 3) ? len(c)
				    : PAGE * (1 + fz_below(&c->rng, 2));
		a[3] = ONE_IN(c, 2) ? 0 : ptr(c, a[2]);
		break;
	case SYS_VMO_PHYS:
		a[0] = fz_pick(c, OBJ_VMO);
		a[1] = out(c, &c->out_u64, 8);
		break;
	case SYS_VMO_CREATE_PHYS: /* devk-mem: an MMIO range, any handle */
		a[0] = fz_pick(c, OBJ_NONE);
		a[1] = ONE_IN(c, 2)
			       ? val(c)
			       : 0xfd000000ull + PAGE * fz_below(&c->rng, 4);
		a[2] = ONE_IN(c, 2) ? len(c)
				    : PAGE * (1 + fz_below(&c->rng, 4));
		a[3] = ONE_IN(c, 4) ? val(c) : fz_below(&c->rng, 3);
		a[4] = out(c, o, 4);
		break;
	case SYS_PCI_CFG_READ:
	case SYS_PCI_CFG_WRITE:
		a[0] = fz_pick(c, OBJ_NONE);
		a[1] = ONE_IN(c, 2) ? fz_below(&c->rng, 0x100) : val(c);
		a[2] = ONE_IN(c, 2) ? fz_below(&c->rng, 0x1000) : val(c);
		a[3] = ONE_IN(c, 2) ? 1u << fz_below(&c->rng, 3) : val(c);
		a[4] = nr == SYS_PCI_CFG_WRITE ? val(c)
					       : out(c, &c->out_u64, 4);
		break;
	case SYS_IRQ_CREATE_MSI:
		a[0] = fz_pick(c, OBJ_NONE);
		a[1] = ONE_IN(c, 2) ? fz_below(&c->rng, 0x100) : val(c);
		a[2] = fz_pick(c, OBJ_NOTIFICATION);
		a[3] = ONE_IN(c, 4) ? val(c) : 1ull << fz_below(&c->rng, 64);
		a[4] = ptr(c, 24);
		break;
	default: /* calls that need an authority the fuzzer does not have */
		for (int i = 0; i < 6; i++)
			a[i] = any_arg(c);
		a[0] = fz_pick(c, OBJ_NONE);
		break;
	}
}
