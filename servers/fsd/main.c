/* fsd: the file server (docs/fsd.md). The platform half: maps the initrd
 * for /boot, creates the port, registers /svc/fsd and /drv/fsd, and
 * runs the receive loop; everything else is fsd_srv (no system calls).
 *
 *   fsd [--tmp-size SIZE] [--initrd H] [--name N] [--dev-name N] [--port P]
 *
 * SIZE: bytes with an optional K/M suffix (default 16M). H: an initrd
 * memory object handle (the guest tests pass one) instead of
 * START_H_INITRD. P: a port's receive handle to serve instead of a new
 * port registered with names (the benchmarks: whoever made the port
 * holds its badge-0 endpoint, the public one).
 *
 * START_H_SYSINFO (optional, manifest `sysinfo`): tells which connection
 * makers have ended when the connection table is full (fsd_srv.c).
 *
 * Calls in flight: the loop drains its port into a queue of its own and
 * serves it in order; a connection with FS_INFLIGHT_MAX calls queued gets
 * FS_EAGAIN at once for more, so a client flooding calls cannot fill the
 * kernel's 64-message queue against the others. Single-threaded. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <execrt/errors.h>
#include <execrt/rights.h>
#include <execrt/runtime.h>
#include <execrt/sys.h>

#include "cl_ports.h"
#include "fsd_srv.h"

#define QMAX 48 /* calls held */

struct pend {
	uint64_t badge;
	uint64_t sender; /* the client task's koid (port_rx.sender) */
	uint32_t len, nh;
	handle_t reply;
	int slot;
	handle_t h[PORT_HANDLES_MAX];
	_Alignas(8) uint8_t buf[PORT_MSG_MAX];
};

static struct fsd_srv srv;
static struct fsd_out out;
static struct pend q[QMAX];
static uint32_t q_head, q_count;
static handle_t g_port;

static handle_t self(void)
{
	return execrt_handle(START_H_SELF_TASK);
}

static int fs_err(long e)
{
	switch (e) {
	case ERR_NO_MEMORY:
		return -FS_ENOMEM;
	case ERR_NO_RESOURCES:
		return -FS_EMFILE;
	default:
		return -FS_EIO;
	}
}

static int op_mint(void *ctx, uint64_t badge, uint32_t *out_h)
{
	(void)ctx;
	long r =
		sys_port_mint_ex(g_port, badge, PORT_MINT_NOTIFY_CLOSED, out_h);
	return r < 0 ? fs_err(r) : 0;
}

static int op_dup(void *ctx, uint32_t h, uint32_t *out_h)
{
	(void)ctx;
	long r = sys_handle_dup(h, RIGHT_SAME, out_h);
	return r < 0 ? fs_err(r) : 0;
}

static void op_close(void *ctx, uint32_t h)
{
	(void)ctx;
	sys_handle_close(h);
}

static int op_check_send(void *ctx, uint32_t h)
{
	(void)ctx;
	struct handle_info hi;
	uint32_t need = RIGHT_WRITE | RIGHT_DUPLICATE;
	if (sys_handle_info(h, &hi) < 0 || hi.type != OBJ_PORT_SEND ||
	    (hi.rights & need) != need)
		return -FS_EINVAL;
	return 0;
}

static int op_bulk_new(void *ctx, uint32_t size, struct fsd_bulk *b,
		       uint32_t *client)
{
	(void)ctx;
	struct vm_map_req req = {.len = size,
				 .prot = VM_PROT_READ | VM_PROT_WRITE};
	uint64_t addr = 0;
	handle_t g;
	long r = sys_vm_map(self(), HANDLE_INVALID, &req, &addr);
	if (r < 0)
		return fs_err(r);
	r = sys_grant_create(self(), addr, size, VM_PROT_READ | VM_PROT_WRITE,
			     &g);
	if (r == 0) {
		r = sys_handle_dup(g,
				   RIGHT_READ | RIGHT_WRITE | RIGHT_MAP |
					   RIGHT_TRANSFER | RIGHT_DUPLICATE,
				   client);
		if (r < 0)
			sys_handle_close(g);
	}
	if (r < 0) {
		sys_vm_unmap(self(), addr, size);
		return fs_err(r);
	}
	b->addr = (uint8_t *)addr;
	b->grant = g;
	return 0;
}

static void op_bulk_free(void *ctx, struct fsd_bulk *b)
{
	(void)ctx;
	sys_grant_revoke(b->grant);
	sys_handle_close(b->grant);
	sys_vm_unmap(self(), (uint64_t)b->addr, b->size);
}

/* Asked (through START_H_SYSINFO, READ) only when the connection table
 * is full: the first live task from koid on; without the handle nothing
 * is known to have ended. */
static bool op_task_gone(void *ctx, uint64_t koid)
{
	(void)ctx;
	return execrt_task_ended(koid);
}

static void *mem_alloc(void *ctx, size_t n)
{
	(void)ctx;
	return malloc(n);
}

static void mem_free(void *ctx, void *p)
{
	(void)ctx;
	free(p);
}

static uint64_t parse_size(const char *s)
{
	char *end;
	uint64_t v = strtoull(s, &end, 0);
	if (*end == 'K' || *end == 'k')
		v <<= 10;
	else if (*end == 'M' || *end == 'm')
		v <<= 20;
	return v;
}

/* The initrd mapped read-only: /boot's files point into it. */
static int map_initrd(handle_t h, const void **buf, uint64_t *len)
{
	uint64_t size;
	if (!h || sys_vmo_get_size(h, &size) < 0)
		return -1;
	struct vm_map_req req = {.len = (size + 4095) & ~4095ull,
				 .prot = VM_PROT_READ};
	uint64_t addr = 0;
	if (sys_vm_map(self(), h, &req, &addr) < 0)
		return -1;
	*buf = (const void *)addr;
	*len = size;
	return 0;
}

static void answer(handle_t reply)
{
	struct port_msg m = {.data = out.buf,
			     .len = out.len,
			     .nhandles = out.handle ? 1 : 0,
			     .handles = &out.handle};
	long r = sys_port_reply(reply, &m);
	if (r < 0) {
		/* Not delivered: the handle is still ours (a minted
		 * endpoint's notice then frees what it named). */
		if (out.handle)
			sys_handle_close(out.handle);
		if (r != ERR_PEER_CLOSED)
			sys_handle_close(reply);
	}
}

static void close_all(const handle_t *h, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (h[i])
			sys_handle_close(h[i]);
}

/* One message into the queue's next free entry (or handled at once: a
 * notice, a refused call). ERR_SHOULD_WAIT when none came. */
static long take(uint64_t deadline)
{
	struct pend *p = &q[(q_head + q_count) % QMAX];
	struct port_rx rx = {.buf = p->buf,
			     .cap = sizeof(p->buf),
			     .handles = p->h,
			     .hcap = PORT_HANDLES_MAX};
	long r = sys_port_recv(g_port, &rx, deadline);
	if (r < 0)
		return r;
	if (rx.flags & PORT_RX_CLOSED) {
		fsd_notice(&srv, rx.badge);
		return 0;
	}
	if (!rx.reply) { /* not a call: nobody to answer */
		close_all(p->h, rx.nhandles);
		return 0;
	}
	int slot = fsd_admit(&srv, rx.badge);
	if (slot == -FS_EAGAIN) {
		close_all(p->h, rx.nhandles);
		fsd_answer(&out, -FS_EAGAIN, 0);
		out.handle = 0;
		answer(rx.reply);
		return 0;
	}
	p->badge = rx.badge;
	p->sender = rx.sender;
	p->len = rx.len;
	p->nh = rx.nhandles;
	p->reply = rx.reply;
	p->slot = slot;
	q_count++;
	return 0;
}

static void serve_one(void)
{
	struct pend *p = &q[q_head];
	q_head = (q_head + 1) % QMAX;
	q_count--;
	srv.fs.now = (uint64_t)sys_clock_now();
	srv.sender = p->sender;
	fsd_request(&srv, p->badge, p->buf, p->len, p->h, p->nh, &out);
	close_all(p->h, p->nh); /* those the core did not keep */
	answer(p->reply);
	fsd_done(&srv, p->slot);
}

int main(int argc, char **argv)
{
	uint64_t tmp_size = 16ull << 20;
	handle_t initrd = execrt_handle(START_H_INITRD);
	const char *name = FS_SVC_NAME, *dev_name = FS_SVC_DEV_NAME;
	handle_t given = HANDLE_INVALID;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--tmp-size"))
			tmp_size = parse_size(argv[i + 1]);
		else if (!strcmp(argv[i], "--initrd"))
			initrd = (handle_t)strtoul(argv[i + 1], NULL, 0);
		else if (!strcmp(argv[i], "--name"))
			name = argv[i + 1];
		else if (!strcmp(argv[i], "--dev-name"))
			dev_name = argv[i + 1];
		else if (!strcmp(argv[i], "--port"))
			given = (handle_t)strtoul(argv[i + 1], NULL, 0);
	}
	srv.fs.alloc = mem_alloc;
	srv.fs.free = mem_free;
	srv.fs.now = (uint64_t)sys_clock_now();
	if (fsd_fs_init(&srv.fs, tmp_size) < 0) {
		printf("fsd: out of memory\n");
		return 1;
	}
	const void *rd;
	uint64_t rd_len;
	uint32_t skipped = 0;
	if (map_initrd(initrd, &rd, &rd_len) < 0)
		printf("fsd: no initrd: /boot is empty\n");
	else if (fsd_boot_load(&srv.fs, rd, rd_len, &skipped) < 0)
		printf("fsd: the initrd is damaged: /boot is partial\n");
	static const struct fsd_ops ops = {.mint = op_mint,
					   .dup = op_dup,
					   .close = op_close,
					   .check_send = op_check_send,
					   .bulk_new = op_bulk_new,
					   .bulk_free = op_bulk_free,
					   .task_gone = op_task_gone};
	fsd_srv_init(&srv, &ops);
	handle_t send, dev_send;
	long r = 0;
	g_port = given;
	if (!given)
		r = sys_port_create(0, &g_port, &send);
	if (r == 0 && !given)
		r = sys_port_mint(g_port, FSD_BADGE_DEVPUB, &dev_send);
	if (r < 0) {
		printf("fsd: port: %s\n", err_name(r));
		return 1;
	}
	cl_err_t e = 0;
	const char *failed = name;
	if (!given && (e = cl_register(name, send)) == 0) {
		failed = dev_name;
		e = cl_register(dev_name, dev_send);
	}
	if (e < 0) {
		printf("fsd: register %s: %s\n", failed, cl_strerror(e));
		return 1;
	}
	printf("fsd: serving %s (/tmp %llu KiB, %u initrd entries skipped)\n",
	       name, (unsigned long long)(tmp_size >> 10), skipped);
	for (;;) {
		r = take(q_count ? DEADLINE_POLL : DEADLINE_NONE);
		if (r == 0 && q_count < QMAX)
			continue; /* drain what is queued first */
		if (r < 0 && r != ERR_SHOULD_WAIT) {
			printf("fsd: receive: %s\n", err_name(r));
			return 1;
		}
		if (q_count)
			serve_one();
	}
}
