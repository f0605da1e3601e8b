/* vmgr: the memory server (docs/vmgr.md). Registers /svc/vmgr (or serves
 * the port whose receive handle it gets as argv[1], the guest tests),
 * connects clients, hands out shared buffers on their ledgers, pages in
 * their lazily committed memory (zero-filled) as their pager, and reports
 * per-task usage. The bookkeeping is vmgr_core.c (host-tested); this file
 * makes the calls.
 *
 * Single-threaded: one port carries requests and page faults (the pager
 * endpoints are minted on it). Clients' ends are found by polling their
 * task handles once a second (and before each allocation): a
 * SYS_OBJECT_NOTIFY registration would outlive a vmgr instance on the
 * client's task, and a client reconnecting to restarted vmgrs would run
 * out of them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <execrt/errors.h>
#include <execrt/fs_proto.h>
#include <execrt/rights.h>
#include <execrt/runtime.h>
#include <execrt/sys.h>

#include "cl_ports.h"
#include "vmgr_core.h"

#define LEDGER_DEFAULT (16ull << 20)
#define REAP_NS	       1000000000ull
#define FS_WAIT_NS     2000000000ull /* a file read that takes longer fails */
#define FILE_WINDOW    (VMGR_AHEAD * PAGE) /* one fault's read-ahead */
#define PAGE	       4096ull

/* What a client's buffer (grant) handle may do: everything but revoke. */
#define BUF_RIGHTS                                                             \
	(RIGHT_READ | RIGHT_WRITE | RIGHT_MAP | RIGHT_DUPLICATE |              \
	 RIGHT_TRANSFER)

static struct vmgr v;
static handle_t port, sysinfo, self;
static uint8_t buf[PORT_MSG_MAX];
static uint8_t out[PORT_MSG_MAX];
static struct task_stats ts[VMGR_USAGE_MAX];
static uint8_t page[PAGE] __attribute__((aligned(4096)));

/* One call on an fsd open file: the answer's bytes after fs_resp go to
 * data (up to cap); 0 or a negative errno / ERR_* code. */
static long fs_call_h(handle_t file, const struct fs_req *rq, uint64_t *val,
		      void *data, uint32_t cap, handle_t *h);

static long fs_call(handle_t file, const struct fs_req *rq, uint64_t *val,
		    void *data, uint32_t cap)
{
	return fs_call_h(file, rq, val, data, cap, NULL);
}

/* The same, taking one handle from the answer into *h (NULL: none;
 * handles not asked for are closed). */
static long fs_call_h(handle_t file, const struct fs_req *rq, uint64_t *val,
		      void *data, uint32_t cap, handle_t *h)
{
	handle_t got[PORT_HANDLES_MAX];
	struct port_msg m = {.data = rq, .len = sizeof(*rq)};
	struct port_rx rx = {.buf = out,
			     .cap = sizeof(out),
			     .handles = got,
			     .hcap = PORT_HANDLES_MAX};
	long r = sys_port_call(file, &m, &rx,
			       (uint64_t)sys_clock_now() + FS_WAIT_NS);
	if (r < 0)
		return r;
	for (uint32_t i = 0; i < rx.nhandles; i++)
		if (i || !h)
			sys_handle_close(got[i]);
	handle_t first = rx.nhandles ? got[0] : 0;
	struct fs_resp rs;
	uint32_t n = rx.len >= sizeof(rs) ? rx.len - (uint32_t)sizeof(rs) : 0;
	if (rx.len >= sizeof(rs))
		memcpy(&rs, out, sizeof(rs));
	r = rx.len < sizeof(rs) || n > cap ? -FS_EPROTO : rs.err;
	if (r || (h && !first)) {
		if (h && first)
			sys_handle_close(first);
		return r ? r : -FS_EPROTO;
	}
	if (n)
		memcpy(data, out + sizeof(rs), n);
	*val = rs.val;
	if (h)
		*h = first;
	return 0;
}

/* fsd's bulk window for l (FS_BULK_SETUP, mapped here); left at 0 when
 * fsd gives none: faults then read inline. */
static void file_window(struct vmgr_lazy *l)
{
	struct fs_req rq = {.op = FS_BULK_SETUP, .c = FILE_WINDOW};
	uint64_t slot = 0, addr = 0;
	handle_t g = 0;
	if (fs_call_h(l->file, &rq, &slot, NULL, 0, &g) < 0)
		return;
	if (sys_grant_map(self, g, VM_PROT_READ | VM_PROT_WRITE, 0, &addr) <
	    0) {
		sys_handle_close(g);
		return;
	}
	l->win = g;
	l->win_addr = addr;
	l->win_slot = slot;
	l->win_len = FILE_WINDOW;
}

static long file_page(const struct vmgr_lazy *l, uint64_t offset);

/* A fault on a file mapping with a window: one bulk read of up to 16
 * pages, the whole pages supplied from the window by the kernel's copy,
 * the page holding the end of the file read inline (its tail must be
 * zeros), zeros after. vmgr never touches the window itself: its owner
 * (fsd, or whatever the client passed as the file) may revoke it at any
 * time, and a fault in vmgr's own code would kill vmgr; the kernel's copy
 * fails instead, and so does this one fault. */
static long file_bulk(struct vmgr_lazy *l, uint64_t offset)
{
	uint64_t fbytes, len = vmgr_file_span(l, offset, &fbytes), val = 0;
	if (fbytes) {
		struct fs_req rq = {.op = FS_PREAD,
				    .flags = FS_IO_BULK,
				    .a = l->foff + offset,
				    .b = l->win_slot,
				    .c = fbytes};
		long r = fs_call(l->file, &rq, &val, NULL, 0);
		if (r < 0)
			return r;
		if (val > fbytes)
			return -FS_EPROTO;
	}
	long n = 0, r = 0;
	uint64_t done = val / PAGE * PAGE;
	if (done && (r = sys_pager_supply(l->vmo, offset, done,
					  (void *)l->win_addr)) > 0)
		n += r;
	if (r >= 0 && done < len && val > done) {
		r = file_page(l, offset + done);
		if (r >= 0 && (r = sys_pager_supply(l->vmo, offset + done, PAGE,
						    page)) > 0)
			n += r;
		done += PAGE;
	}
	if (r >= 0 && done < len &&
	    (r = sys_pager_supply(l->vmo, offset + done, len - done, NULL)) > 0)
		n += r;
	return n ? n : r;
}

/* The page of a file-backed object at offset, into page[]: the file's
 * bytes, zeros after its end. */
static long file_page(const struct vmgr_lazy *l, uint64_t offset)
{
	uint64_t n = vmgr_file_bytes(l, offset), got = 0;
	memset(page, 0, sizeof(page));
	while (got < n) {
		uint64_t want =
			n - got < FS_INLINE_MAX ? n - got : FS_INLINE_MAX;
		struct fs_req rq = {
			.op = FS_PREAD, .a = l->foff + offset + got, .c = want};
		uint64_t val = 0;
		long r =
			fs_call(l->file, &rq, &val, page + got, (uint32_t)want);
		if (r < 0)
			return r;
		if (!val || val > want)
			break; /* the file shrank: zeros */
		got += val;
	}
	return 0;
}

static void close_all(struct vmgr_drop *d)
{
	for (unsigned i = 0; i < d->nu; i++)
		sys_grant_unmap(self, d->unmap[i]);
	for (unsigned i = 0; i < d->n; i++)
		sys_handle_close(d->h[i]);
	d->n = d->nu = 0;
}

static void answer(handle_t reply, const void *data, uint32_t len,
		   const handle_t *h, uint32_t nh)
{
	struct port_msg m = {
		.data = data, .len = len, .nhandles = nh, .handles = h};
	long r = sys_port_reply(reply, &m);
	if (r < 0) {
		for (uint32_t i = 0; i < nh; i++)
			sys_handle_close(h[i]); /* not delivered: ours */
		if (r != ERR_PEER_CLOSED)
			sys_handle_close(reply);
	}
}

static void answer_err(handle_t reply, int32_t err, uint64_t val, uint64_t val2)
{
	struct vmgr_resp rs = {.err = err, .val = val, .val2 = val2};
	answer(reply, &rs, sizeof(rs), NULL, 0);
}

/* A page fault on a lazy object: zeros, charged by the kernel to the
 * object's owner. A supply refused (the client's quota is used up) or an
 * unknown object: the answer alone, and the client's access fails. */
static void fault(uint64_t badge, const struct pager_fault *pf, handle_t reply)
{
	uint64_t id = badge & ~VMGR_PAGER_BIT;
	struct vmgr_lazy *l = vmgr_lazy_find(&v, id, pf->key);
	struct vmgr_conn *c = vmgr_conn(&v, id);
	uint64_t len = l ? vmgr_supply_len(l, pf->offset) : 0;
	long n = 0;
	if (len && c && l->win)
		n = file_bulk(l, pf->offset);
	else if (len && c && l->file) /* one page, read inline */
		n = file_page(l, pf->offset) < 0
			    ? 0
			    : sys_pager_supply(l->vmo, pf->offset, PAGE, page);
	else if (len && c)
		n = sys_pager_supply(l->vmo, pf->offset, len, NULL);
	if (n > 0) {
		c->lazy_pages += (uint64_t)n;
		l->pages += (uint64_t)n;
	}
	struct port_msg m = {0};
	long r = sys_port_reply(reply, &m);
	if (r < 0 && r != ERR_PEER_CLOSED)
		sys_handle_close(reply);
}

static void do_connect(const struct port_rx *rx, const handle_t *h,
		       handle_t reply)
{
	struct handle_info hi;
	int64_t id = ERR_INVALID_ARGS;
	if (rx->nhandles == 1 && sys_handle_info(h[0], &hi) == 0 &&
	    hi.type == OBJ_TASK && (hi.rights & RIGHT_WAIT))
		/* Only the caller's own task (port_rx.sender, set by the
		 * kernel): else a client could charge another task's
		 * ledger. */
		id = hi.koid == rx->sender ? vmgr_connect(&v, hi.koid, h[0])
					   : ERR_ACCESS_DENIED;
	if (id < 0) { /* what came with it is not kept */
		for (uint32_t i = 0; i < rx->nhandles; i++)
			sys_handle_close(h[i]);
		answer_err(reply, (int32_t)id, 0, 0);
		return;
	}
	struct vmgr_conn *c = vmgr_conn(&v, (uint64_t)id);
	handle_t give[2] = {0, 0};
	long r = sys_port_mint(port, (uint64_t)id, &give[0]);
	if (!r)
		r = sys_port_mint(port, (uint64_t)id | VMGR_PAGER_BIT,
				  &give[1]);
	if (r < 0) {
		struct vmgr_drop d = {0};
		for (int i = 0; i < 2; i++)
			if (give[i])
				sys_handle_close(give[i]);
		vmgr_disconnect(&v, c, &d);
		close_all(&d);
		answer_err(reply, (int32_t)r, 0, 0);
		return;
	}
	struct vmgr_resp rs = {.val = (uint64_t)id};
	answer(reply, &rs, sizeof(rs), give, 2);
}

static void do_usage(uint64_t after, handle_t reply)
{
	struct vmgr_resp *rs = (struct vmgr_resp *)out;
	memset(rs, 0, sizeof(*rs));
	long n = sysinfo ? sys_task_stats(sysinfo, after, ts, VMGR_USAGE_MAX)
			 : ERR_NOT_SUPPORTED;
	if (n < 0) {
		answer_err(reply, (int32_t)n, 0, 0);
		return;
	}
	vmgr_usage(&v, ts, (unsigned)n, (struct vmgr_usage *)(rs + 1));
	rs->count = (uint32_t)n;
	rs->val = (uint64_t)n;
	answer(reply, out,
	       (uint32_t)(sizeof(*rs) + (size_t)n * sizeof(struct vmgr_usage)),
	       NULL, 0);
}

static void reap(void);

static void do_buf_alloc(struct vmgr_conn *c, uint64_t size, handle_t reply)
{
	reap();	      /* a dead client's buffers first */
	if (!c->id) { /* the caller's own task is gone */
		answer_err(reply, ERR_BAD_STATE, 0, 0);
		return;
	}
	int slot = vmgr_buf_reserve(&v, c, size);
	if (slot < 0) {
		answer_err(reply, slot, 0, 0);
		return;
	}
	/* A grant of fresh memory over vmgr's own quota (the pool); its
	 * memory goes when every holder has closed its handle and mapping,
	 * and then the kernel queues the notice of the endpoint the memory
	 * keeps (SYS_GRANT_NOTIFY): until then it stays on the ledger. */
	uint64_t id = v.bufs[slot].id;
	handle_t vmo = 0, give = 0, gone = 0;
	uint64_t len = (size + PAGE - 1) & ~(PAGE - 1);
	long r = sys_grant_create(self, 0, len, VM_PROT_READ | VM_PROT_WRITE,
				  &vmo);
	if (!r)
		r = sys_port_mint_ex(port, VMGR_BUF_BIT | id,
				     PORT_MINT_NOTIFY_CLOSED, &gone);
	if (!r && (r = sys_grant_notify(vmo, gone)) < 0)
		sys_handle_close(gone); /* its notice: no such buffer */
	if (!r)
		r = sys_handle_dup(vmo, BUF_RIGHTS, &give);
	if (r < 0) {
		if (vmo)
			sys_handle_close(vmo);
		vmgr_buf_abort(&v, slot);
		answer_err(reply, (int32_t)r, 0, 0);
		return;
	}
	vmgr_buf_commit(&v, slot, vmo);
	struct vmgr_resp rs = {.val = id, .val2 = c->ledger};
	answer(reply, &rs, sizeof(rs), &give, 1);
}

static void do_lazy(struct vmgr_conn *c, const struct port_rx *rx,
		    const handle_t *h, uint64_t key, handle_t reply)
{
	struct handle_info hi;
	uint64_t size = 0;
	int err = 0;
	if (rx->nhandles != 1 || sys_handle_info(h[0], &hi) < 0 ||
	    hi.type != OBJ_VMO || !(hi.rights & RIGHT_MANAGE) ||
	    sys_vmo_get_size(h[0], &size) < 0)
		err = ERR_INVALID_ARGS;
	else
		err = vmgr_lazy_add(&v, c, key, h[0], size);
	if (err && rx->nhandles == 1)
		sys_handle_close(h[0]);
	answer_err(reply, err, 0, 0);
}

/* A read-only file mapping: handle 0 the object, handle 1 the file,
 * from file offset foff (page-aligned). */
static void do_map_file(struct vmgr_conn *c, const struct port_rx *rx,
			const handle_t *h, uint64_t key, uint64_t foff,
			handle_t reply)
{
	struct handle_info hi;
	uint64_t size = 0, val = 0;
	struct fs_stat st;
	struct fs_req rq = {.op = FS_FSTAT};
	int err = 0;
	if (rx->nhandles != 2 || (foff & (PAGE - 1)) ||
	    sys_handle_info(h[0], &hi) < 0 || hi.type != OBJ_VMO ||
	    !(hi.rights & RIGHT_MANAGE) || sys_vmo_get_size(h[0], &size) < 0)
		err = ERR_INVALID_ARGS;
	else if (fs_call(h[1], &rq, &val, &st, sizeof(st)) < 0 ||
		 (st.mode & FS_MODE_TYPE) != FS_MODE_REG)
		err = ERR_INVALID_ARGS; /* not an fsd regular file */
	else if (!(err = vmgr_lazy_add(&v, c, key, h[0], size))) {
		struct vmgr_lazy *l = vmgr_lazy_find(&v, c->id, key);
		l->file = h[1];
		l->foff = foff;
		l->fsize = st.size > foff ? st.size - foff : 0;
		file_window(l);
	}
	if (err)
		for (uint32_t i = 0; i < rx->nhandles; i++)
			sys_handle_close(h[i]);
	answer_err(reply, err, err ? 0 : st.size, 0);
}

static void request(const struct port_rx *rx, const handle_t *h)
{
	struct vmgr_req rq;
	handle_t reply = rx->reply;
	struct vmgr_conn *c = vmgr_conn(&v, rx->badge);
	if (rx->len != sizeof(rq)) {
		for (uint32_t i = 0; i < rx->nhandles; i++)
			sys_handle_close(h[i]);
		answer_err(reply, ERR_INVALID_ARGS, 0, 0);
		return;
	}
	memcpy(&rq, buf, sizeof(rq));
	if (rq.op == VMGR_CONNECT && !rx->badge) {
		do_connect(rx, h, reply);
		return;
	}
	if (rq.op == VMGR_LAZY && c) {
		do_lazy(c, rx, h, rq.a, reply);
		return;
	}
	if (rq.op == VMGR_MAP_FILE && c) {
		do_map_file(c, rx, h, rq.a, rq.b, reply);
		return;
	}
	for (uint32_t i = 0; i < rx->nhandles; i++)
		sys_handle_close(h[i]); /* no other call takes any */
	struct vmgr_drop d = {0};
	int err = 0;
	switch (rq.op) {
	case VMGR_USAGE:
		do_usage(rq.a, reply);
		return;
	case VMGR_BUF_ALLOC:
		if (c) {
			do_buf_alloc(c, rq.a, reply);
			return;
		}
		err = ERR_BAD_STATE;
		break;
	case VMGR_BUF_RELEASE:
		err = c ? vmgr_buf_release(&v, c, rq.a, &d) : ERR_BAD_STATE;
		break;
	case VMGR_LAZY_RELEASE:
		err = c ? vmgr_lazy_release(&v, c, rq.a, &d) : ERR_BAD_STATE;
		break;
	case VMGR_INFO:
		answer_err(reply, 0, c ? c->limit : v.ledger_limit,
			   c ? c->ledger : 0);
		return;
	default:
		err = ERR_NOT_SUPPORTED;
	}
	close_all(&d);
	answer_err(reply, err, 0, 0);
}

/* A send on init's control endpoint (only there: the badge is what
 * tells, and only init holds an endpoint with it). */
static void control(const struct port_rx *rx)
{
	struct vmgr_req rq;
	if (rx->badge != VMGR_CTL_BADGE || rx->len != sizeof(rq))
		return;
	memcpy(&rq, buf, sizeof(rq));
	if (rq.op == VMGR_SET_LIMIT)
		vmgr_set_limit(&v, rq.a, rq.b);
}

/* A call on init's control endpoint: VMGR_GIVE_QUOTA lends b bytes of
 * our quota to the task h[0] (MANAGE), a service init is starting
 * (docs/vmgr.md "Who holds the memory authority"). The handle goes at
 * once: the loan lives in the kernel, not here. */
static void control_call(const struct port_rx *rx, const handle_t *h)
{
	struct vmgr_req rq;
	long err = ERR_NOT_SUPPORTED;
	if (rx->len != sizeof(rq))
		err = ERR_INVALID_ARGS;
	else if (memcpy(&rq, buf, sizeof(rq)), rq.op != VMGR_GIVE_QUOTA)
		err = ERR_NOT_SUPPORTED;
	else if (rx->nhandles != 1)
		err = ERR_INVALID_ARGS;
	else
		err = sys_task_quota_lend(self, h[0], rq.b);
	for (uint32_t i = 0; i < rx->nhandles; i++)
		sys_handle_close(h[i]);
	answer_err(rx->reply, (int32_t)err, 0, 0);
}

/* What init queued on a port it made for us (the limits of the running
 * services), read before we register: nobody else can send yet, so no
 * client is served ahead of its limit. */
static void early_limits(void)
{
	for (;;) {
		handle_t h[PORT_HANDLES_MAX];
		struct port_rx rx = {.buf = buf,
				     .cap = sizeof(buf),
				     .handles = h,
				     .hcap = PORT_HANDLES_MAX};
		if (sys_port_recv(port, &rx, DEADLINE_POLL) < 0)
			return;
		if (rx.reply && rx.badge == VMGR_CTL_BADGE) {
			control_call(&rx, h);
			continue;
		}
		for (uint32_t i = 0; i < rx.nhandles; i++)
			sys_handle_close(h[i]);
		if (rx.reply)
			answer_err(rx.reply, ERR_BAD_STATE, 0, 0);
		else
			control(&rx);
	}
}

/* Connections whose task ended. */
static void reap(void)
{
	for (unsigned i = 0; i < VMGR_MAX_CONNS; i++) {
		struct vmgr_conn *c = &v.conns[i];
		int64_t st;
		if (!c->id || sys_object_wait(c->task, DEADLINE_POLL, &st) != 0)
			continue;
		struct vmgr_drop d = {0};
		vmgr_disconnect(&v, c, &d);
		close_all(&d);
	}
}

static void serve(void)
{
	uint64_t next_reap = 0;
	for (;;) {
		long now = sys_clock_now();
		if ((uint64_t)now >= next_reap) {
			reap();
			next_reap = (uint64_t)now + REAP_NS;
		}
		{
			handle_t h[PORT_HANDLES_MAX];
			struct port_rx rx = {.buf = buf,
					     .cap = sizeof(buf),
					     .handles = h,
					     .hcap = PORT_HANDLES_MAX};
			long r = sys_port_recv(port, &rx, next_reap);
			if (r == ERR_TIMED_OUT)
				continue;
			if (r < 0)
				return;
			struct pager_fault pf;
			if ((rx.flags & PORT_RX_CLOSED) &&
			    (rx.badge & VMGR_BUF_BIT)) {
				/* Only the kernel sets the flag, and only
				 * vmgr mints: a buffer's memory is gone. */
				struct vmgr_drop d = {0};
				vmgr_buf_gone(&v, rx.badge & ~VMGR_BUF_BIT, &d);
				close_all(&d);
			} else if (!rx.reply) { /* a send: nothing to answer */
				for (uint32_t i = 0; i < rx.nhandles; i++)
					sys_handle_close(h[i]);
				control(&rx);
			} else if (rx.badge == VMGR_CTL_BADGE) {
				control_call(&rx, h);
			} else if ((rx.badge & VMGR_PAGER_BIT) &&
				   rx.len == sizeof(pf)) {
				memcpy(&pf, buf, sizeof(pf));
				for (uint32_t i = 0; i < rx.nhandles; i++)
					sys_handle_close(h[i]);
				fault(rx.badge, &pf, rx.reply);
			} else {
				request(&rx, h);
			}
		}
	}
}

int main(int argc, char **argv)
{
	vmgr_init(&v, LEDGER_DEFAULT);
	sysinfo = execrt_handle(START_H_SYSINFO);
	self = execrt_handle(START_H_SELF_TASK);
	handle_t send = 0;
	long r;
	if (argc > 1) {
		port = (handle_t)strtoul(argv[1], NULL, 0);
	} else if ((port = execrt_handle(START_H_SERVICE))) {
		/* init made the port (manifest "vmgr-port") and holds its
		 * control endpoint; we register an endpoint of our own. */
		if ((r = sys_port_mint(port, 0, &send)) < 0) {
			printf("vmgr: no endpoint: %s\n", err_name(r));
			return 1;
		}
	} else if ((r = sys_port_create(0, &port, &send)) < 0) {
		printf("vmgr: no port: %s\n", err_name(r));
		return 1;
	}
	if (execrt_handle(START_H_SERVICE) && argc <= 1)
		early_limits();
	if (send) {
		cl_err_t e = cl_register(VMGR_NAME, send);
		if (e < 0) {
			printf("vmgr: cannot register %s: %s\n", VMGR_NAME,
			       cl_strerror(e));
			return 1;
		}
	}
	printf("vmgr: serving %s (ledger limit %llu KiB per client)\n",
	       VMGR_NAME, (unsigned long long)(v.ledger_limit >> 10));
	serve();
	return 1;
}
