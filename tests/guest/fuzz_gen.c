/* One random system call of the in-guest fuzzer (fuzz.h): a call number
 * (now and then one out of range), arguments drawn from values at the
 * edges (handles of the right and wrong type from the pool, stale ones,
 * pointers into the scratch buffer, the arena, its end, unmapped memory,
 * the kernel half, non-canonical; sizes 0/1/page/huge; short deadlines),
 * then the bookkeeping of what the call made or took away. The
 * arguments are fuzz_args.c's.
 *
 * The fuzzer must survive its own calls, so a few are kept away from its
 * own memory and handles (filter()): the kernel is never asked to write
 * where the fuzzer keeps state, to kill or unmap the fuzzer, or to start
 * a thread in it anywhere but at a stub. Everything else goes. */
#include "fuzz_args.h"

/* How often each call is made (0..4); the exits end the fuzzer. */
static const uint8_t weight[SYS_COUNT] = {
	[SYS_DEBUG_WRITE] = 1,
	[SYS_HANDLE_CLOSE] = 4,
	[SYS_HANDLE_DUP] = 4,
	[SYS_HANDLE_INFO] = 2,
	[SYS_CLOCK_NOW] = 1,
	[SYS_YIELD] = 1,
	[SYS_SLEEP_UNTIL] = 1,
	[SYS_TASK_CREATE] = 3,
	[SYS_TASK_KILL] = 2,
	[SYS_THREAD_CREATE] = 3,
	[SYS_THREAD_START] = 3,
	[SYS_THREAD_SET_TLS] = 1,
	[SYS_OBJECT_WAIT] = 2,
	[SYS_VM_MAP] = 4,
	[SYS_VM_UNMAP] = 3,
	[SYS_VM_PROTECT] = 3,
	[SYS_VMO_CREATE] = 3,
	[SYS_VMO_READ] = 3,
	[SYS_VMO_WRITE] = 3,
	[SYS_VMO_GET_SIZE] = 1,
	[SYS_SCHED_SET] = 1,
	[SYS_TASK_GIVE_HANDLE] = 3,
	[SYS_KERNEL_STATS] = 1,
	[SYS_TASK_SET_FAULT_HANDLER] = 2,
	[SYS_FAULT_WAIT] = 2,
	[SYS_FAULT_RESUME] = 2,
	[SYS_PORT_CREATE] = 3,
	[SYS_PORT_SEND] = 4,
	[SYS_PORT_RECV] = 4,
	[SYS_PORT_CALL] = 4,
	[SYS_PORT_REPLY] = 4,
	[SYS_PORT_REPLY_RECV] = 3,
	[SYS_PORT_MINT] = 2,
	[SYS_PORT_MINT_EX] = 2,
	[SYS_NOTIF_CREATE] = 2,
	[SYS_NOTIF_SIGNAL] = 3,
	[SYS_NOTIF_WAIT] = 3,
	[SYS_PORT_BIND_NOTIF] = 3,
	[SYS_IRQ_CREATE] = 1,
	[SYS_IRQ_ACK] = 1,
	[SYS_GRANT_CREATE] = 4,
	[SYS_GRANT_MAP] = 4,
	[SYS_GRANT_UNMAP] = 3,
	[SYS_GRANT_REVOKE] = 3,
	[SYS_IOPORT_IO] = 1,
	[SYS_SCHED_GET] = 1,
	[SYS_SCHED_AUTH_DERIVE] = 1,
	[SYS_SCHED_AUTH_INFO] = 1,
	[SYS_SCHED_CONFIG] = 1,
	[SYS_TASK_SET_CPU_QUOTA] = 1,
	[SYS_SCHED_TRACE_READ] = 1,
	[SYS_SCHED_STATS] = 1,
	[SYS_SCHED_CPU_INFO] = 1,
	[SYS_RESOURCE_DERIVE] = 1,
	[SYS_OBJECT_NOTIFY] = 3,
	[SYS_TASK_STATS] = 1,
	[SYS_SCHED_AFFINITY] = 1,
	[SYS_NULL] = 1,
	/* 0: a pager object mapped into the arena would make the fuzzer's
	 * own copies from it wait for a pager nobody runs (a wait by design,
	 * like a call nobody answers, which the watchdog would call a hang).
	 * t_pager.c and the rights matrix cover the call. */
	[SYS_PAGER_VMO_CREATE] = 0,
	[SYS_PAGER_SUPPLY] = 2,
	[SYS_VMO_CREATE_DMA] = 1,
	[SYS_VMO_PHYS] = 1,
	[SYS_TASK_QUOTA_LEND] = 2,
	[SYS_VMO_CREATE_PHYS] = 1, /* devk-mem */
	[SYS_PCI_CFG_READ] = 1,	   /* devk-pci: no RES_PCI in the fuzzer */
	[SYS_PCI_CFG_WRITE] = 1,
	[SYS_IRQ_CREATE_MSI] = 1,
	[SYS_GRANT_NOTIFY] = 2,
	/* 0: they write their results into registers execrt_syscall6 says
	 * are kept (rdi, rsi, rdx, r8-r10, rbx); t_ipc_reg.c's hostile
	 * cases and the rights matrix cover them. */
	[SYS_PORT_CALL_REG] = 0,
	[SYS_PORT_REPLY_RECV_REG] = 0,
};

/* A range of the fuzzer's own task: only the arena (or no user address at
 * all, which the kernel must refuse). */
static void clamp_to_arena(uint64_t *addr, uint64_t *n)
{
	if (*addr >= USER_TOP)
		return;
	*addr = FUZZ_ARENA_ADDR + *addr % FUZZ_ARENA_SIZE;
	if (*n > ARENA_END - *addr)
		*n = ARENA_END - *addr;
}

/* Which argument of a blocking call is its deadline (0: none). */
static int deadline_arg(uint64_t nr)
{
	switch (nr) {
	case SYS_SLEEP_UNTIL:
		return 1;
	case SYS_OBJECT_WAIT:
	case SYS_FAULT_WAIT:
		return 2;
	case SYS_PORT_SEND:
	case SYS_PORT_RECV:
	case SYS_NOTIF_WAIT:
		return 3;
	case SYS_PORT_CALL:
		return 4;
	case SYS_PORT_REPLY_RECV:
		return 5;
	default:
		return 0;
	}
}

/* Keeps the fuzzer alive (see the top of the file). */
static void filter(uint64_t nr, uint64_t *a)
{
	int d = deadline_arg(nr);
	if (d && a[d - 1] > now() + SHORT_NS) /* nothing blocks for long */
		a[d - 1] = now() + SHORT_NS;
	switch (nr) {
	case SYS_TASK_KILL:
	case SYS_HANDLE_CLOSE:
	case SYS_HANDLE_DUP: /* no second handle with MANAGE on this task */
		if (ours(a[0]))
			a[0] = 0;
		break;
	case SYS_TASK_GIVE_HANDLE:
		if (ours(a[1]))
			a[1] = 0;
		break;
	case SYS_VM_UNMAP:
	case SYS_VM_PROTECT:
		if ((handle_t)a[0] == fz_self)
			clamp_to_arena(&a[1], &a[2]);
		break;
	case SYS_GRANT_CREATE:
		if ((handle_t)a[0] == fz_self && a[1])
			clamp_to_arena(&a[1], &a[2]);
		break;
	case SYS_THREAD_START:
		if (a[1] >= USER_BASE && a[1] < USER_TOP &&
		    a[1] != (uint64_t)fz_stub_exit)
			a[1] = (uint64_t)fz_stub_sleep;
		break;
	}
}

/* Handles a call made or took away. */
static void account(struct fuzz_ctx *c, uint64_t nr, const uint64_t *a)
{
	handle_t *o = c->out_h;
	const uint64_t mine = (uint64_t)o, mine2 = (uint64_t)&o[1];
	switch (nr) {
	case SYS_HANDLE_CLOSE:
		fz_pool_forget((handle_t)a[0]);
		break;
	case SYS_HANDLE_DUP:
		if (a[2] == mine)
			fz_pool_add(c, o[0], fz_pool_type((handle_t)a[0]),
				    fz_pool_owner((handle_t)a[0]));
		break;
	case SYS_TASK_CREATE:
		if (a[4] == mine)
			fz_pool_add(c, o[0], OBJ_TASK, OWN_CHILD);
		break;
	case SYS_THREAD_CREATE:
		if (a[3] == mine)
			fz_pool_add(c, o[0], OBJ_THREAD,
				    (handle_t)a[0] == fz_self ? OWN_SELF
				    : fz_pool_owner((handle_t)a[0]) == OWN_CHILD
					    ? OWN_CHILD
					    : OWN_NONE);
		break;
	case SYS_VMO_CREATE:
		if (a[1] == mine)
			fz_pool_add(c, o[0], OBJ_VMO, OWN_NONE);
		break;
	case SYS_TASK_GIVE_HANDLE: {
		uint32_t type = fz_pool_type((handle_t)a[1]);
		fz_pool_forget((handle_t)a[1]);
		if ((handle_t)a[0] == fz_self && a[3] == mine)
			fz_pool_add(c, o[0], type, OWN_NONE);
		break;
	}
	case SYS_PORT_CREATE:
		if (a[1] == mine)
			fz_pool_add(c, o[0], OBJ_PORT, OWN_NONE);
		if (a[2] == mine2)
			fz_pool_add(c, o[1], OBJ_PORT_SEND, OWN_NONE);
		break;
	case SYS_PORT_MINT:
		if (a[2] == mine)
			fz_pool_add(c, o[0], OBJ_PORT_SEND, OWN_NONE);
		break;
	case SYS_PORT_MINT_EX:
		if (a[3] == mine)
			fz_pool_add(c, o[0], OBJ_PORT_SEND, OWN_NONE);
		break;
	case SYS_NOTIF_CREATE:
		if (a[0] == mine)
			fz_pool_add(c, o[0], OBJ_NOTIFICATION, OWN_NONE);
		break;
	case SYS_GRANT_CREATE:
		if (a[4] == mine)
			fz_pool_add(c, o[0], OBJ_GRANT, OWN_NONE);
		break;
	case SYS_GRANT_MAP:
		if (a[4] == (uint64_t)&c->out_u64)
			c->last_grant_addr = c->out_u64;
		break;
	case SYS_FAULT_WAIT:
		if (a[2] == (uint64_t)&c->fault)
			c->fault_task = (handle_t)a[0];
		break;
	case SYS_PORT_REPLY:
		fz_pool_forget((handle_t)a[0]);
		break;
	case SYS_PORT_REPLY_RECV:
		fz_pool_forget((handle_t)a[0]);
		break;
	}
	/* Attached handles moved away; received ones join the pool. */
	if ((nr == SYS_PORT_SEND || nr == SYS_PORT_CALL ||
	     nr == SYS_PORT_REPLY || nr == SYS_PORT_REPLY_RECV) &&
	    a[1] == (uint64_t)&c->msg && c->msg.handles == c->tx_handles)
		for (uint32_t i = 0;
		     i < c->msg.nhandles && i < PORT_HANDLES_MAX; i++)
			fz_pool_forget(c->tx_handles[i]);
	uint64_t rxp = nr == SYS_PORT_RECV	   ? a[1]
		       : nr == SYS_PORT_CALL	   ? a[2]
		       : nr == SYS_PORT_REPLY_RECV ? a[3]
						   : 0;
	if (rxp && rxp == (uint64_t)&c->rx && c->rx.handles == c->rx_handles) {
		for (uint32_t i = 0; i < c->rx.nhandles && i < PORT_HANDLES_MAX;
		     i++) {
			struct handle_info hi = {0};
			sys_handle_info(c->rx_handles[i], &hi);
			fz_pool_add(c, c->rx_handles[i], hi.type, OWN_NONE);
		}
		if (c->rx.reply) {
			fz_pool_add(c, c->rx.reply, OBJ_REPLY, OWN_NONE);
			c->pending_reply = c->rx.reply;
		}
	}
}

void fz_one_call(struct fuzz_ctx *c)
{
	uint64_t nr, a[6] = {0};
	uint64_t r = fz_below(&c->rng, 100);
	if (r < 3) { /* out of range, in several ways */
		static const uint64_t bad[] = {SYS_COUNT, SYS_COUNT + 1,
					       255,	  1ull << 32,
					       ~0ull,	  1ull << 63};
		nr = ONE_IN(c, 2) ? PICK(c, bad) : not_ours(fz_rand(&c->rng));
		if (nr < SYS_COUNT)
			nr = SYS_COUNT;
		for (int i = 0; i < 6; i++)
			a[i] = any_arg(c);
		__atomic_fetch_add(&fz_rep->hostile, 1, __ATOMIC_RELAXED);
	} else {
		do
			nr = fz_below(&c->rng, SYS_COUNT);
		while (fz_below(&c->rng, 4) >= weight[nr]);
		/* Answer a call while its caller still waits; resume a
		 * reported thread. */
		if (c->pending_reply && !ONE_IN(c, 4))
			nr = ONE_IN(c, 2) ? SYS_PORT_REPLY
					  : SYS_PORT_REPLY_RECV;
		else if (c->fault_task && !ONE_IN(c, 4))
			nr = SYS_FAULT_RESUME;
		if (r < 8) /* no structure at all */
			for (int i = 0; i < 6; i++)
				a[i] = any_arg(c);
		else
			gen(c, nr, a);
	}
	c->pending_reply = 0;
	c->fault_task = 0;
	filter(nr, a);
	struct fuzz_worker_state *st = c->st;
	st->nr = nr;
	for (int i = 0; i < 6; i++)
		st->a[i] = a[i];
	__atomic_store_n(&st->in_call, 1, __ATOMIC_RELAXED);
	long res = execrt_syscall6((long)nr, (long)a[0], (long)a[1], (long)a[2],
				   (long)a[3], (long)a[4], (long)a[5]);
	__atomic_store_n(&st->in_call, 0, __ATOMIC_RELAXED);
	if (res < 0)
		return;
	if (nr < N(fz_rep->ok))
		__atomic_fetch_add(&fz_rep->ok[nr], 1, __ATOMIC_RELAXED);
	account(c, nr, a);
}
