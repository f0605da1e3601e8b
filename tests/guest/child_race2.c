/* guest-child-race2 (race2.h): an unprivileged program whose two worker
 * threads (pinned by the parent to CPU 0 and CPU 1) race each other over
 * a per-task limit: open/close, create/destroy in a tight loop. Each
 * worker counts what it holds in shared counters, raised only after a
 * success and lowered before the close, so a counter never exceeds what
 * the server or kernel charges: a success that takes a counter past the
 * documented limit is a limit exceeded ("over"). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include <execrt/errors.h>
#include <execrt/fs_proto.h>
#include <execrt/rights.h>
#include <execrt/runtime.h>

#include "cl_ports.h"
#include "gutil.h"
#include "race2_child.h"

#define SLOTS 1100 /* per kind, more than any limit tried */
#define CHUNK (64ull << 10)

struct race2_report rep;
static const char *mode;
static uint64_t rounds_each;
static volatile int go;
static handle_t worker_th[2];
static handle_t fs_pub, port_r, port_s, dup_src;

/* What is held: one array of handles (or addresses) per kind and the
 * count of each. */
static uint64_t slot[4][SLOTS];
static int64_t held[4];

void note_max(int k, int64_t n)
{
	uint64_t m = __atomic_load_n(&rep.max[k], __ATOMIC_RELAXED);
	while ((uint64_t)n > m &&
	       !__atomic_compare_exchange_n(&rep.max[k], &m, (uint64_t)n, false,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
	/* The handle room is known exactly only afterwards (main()). */
	if ((uint64_t)n > rep.cap[k] && !(mode[0] == 'k' && k == 0))
		__atomic_add_fetch(&rep.over, 1, __ATOMIC_RELAXED);
}

/* A success of kind k: counted, then kept in a free slot (or given back
 * at once when none is free). Returns false when it was not kept. */
bool got(int k, uint64_t v)
{
	__atomic_add_fetch(&rep.ok[k], 1, __ATOMIC_RELAXED);
	note_max(k, __atomic_add_fetch(&held[k], 1, __ATOMIC_SEQ_CST));
	/* From where the count says, reading before each exchange (an
	 * exchange per full slot made the loop the slowest part). */
	for (int j = 0, s = (int)(held[k] % SLOTS); j < SLOTS; j++) {
		int i = s + j < SLOTS ? s + j : s + j - SLOTS;
		uint64_t z = 0;
		if (!__atomic_load_n(&slot[k][i], __ATOMIC_RELAXED) &&
		    __atomic_compare_exchange_n(&slot[k][i], &z, v, false,
						__ATOMIC_SEQ_CST,
						__ATOMIC_RELAXED))
			return true;
	}
	__atomic_sub_fetch(&held[k], 1, __ATOMIC_SEQ_CST);
	return false;
}

/* Takes a held value of kind k out of its slot (the count lowered first,
 * so it stays below the charge), or 0. */
uint64_t take(int k, uint64_t rnd)
{
	for (int j = 0, s = (int)(rnd % SLOTS); j < SLOTS; j++) {
		int i = s + j < SLOTS ? s + j : s + j - SLOTS;
		if (!__atomic_load_n(&slot[k][i], __ATOMIC_RELAXED))
			continue;
		uint64_t v =
			__atomic_exchange_n(&slot[k][i], 0, __ATOMIC_SEQ_CST);
		if (v) {
			__atomic_sub_fetch(&held[k], 1, __ATOMIC_SEQ_CST);
			return v;
		}
	}
	return 0;
}

/* Borrows a value without giving up its count: put it back with
 * give_back(). */
static uint64_t borrow(int k, uint64_t rnd)
{
	for (int j = 0, s = (int)(rnd % SLOTS); j < SLOTS; j++) {
		int i = s + j < SLOTS ? s + j : s + j - SLOTS;
		uint64_t v = __atomic_load_n(&slot[k][i], __ATOMIC_RELAXED);
		if (v && __atomic_compare_exchange_n(&slot[k][i], &v, 0, false,
						     __ATOMIC_SEQ_CST,
						     __ATOMIC_RELAXED))
			return v;
	}
	return 0;
}

static void give_back(int k, uint64_t v)
{
	for (;;)
		for (int i = 0; i < SLOTS; i++) {
			uint64_t z = 0;
			if (!__atomic_load_n(&slot[k][i], __ATOMIC_RELAXED) &&
			    __atomic_compare_exchange_n(&slot[k][i], &z, v,
							false, __ATOMIC_SEQ_CST,
							__ATOMIC_RELAXED))
				return;
		}
}

void refused(bool documented, long e)
{
	if (documented)
		return;
	__atomic_add_fetch(&rep.other, 1, __ATOMIC_RELAXED);
	rep.last_other = e;
}

static uint64_t xs(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* ---- fsd: kind 0 connections, kind 1 open files, kind 2 bulk windows
 * of 1 MiB (on BULK_FILES files kept open on two connections kept too:
 * a window goes with its file, so only these files have windows) ---- */

#define BULK_FILES 8
#define BULK_SIZE  (1u << 20)

static handle_t bulk_conn[2], bulk_file[BULK_FILES];

static long fs_call(handle_t ep, uint32_t op, uint64_t a, uint64_t b,
		    uint64_t c, const char *path, handle_t *out, uint64_t *val)
{
	uint8_t msg[sizeof(struct fs_req) + 64];
	struct fs_req q = {.op = op, .a = a, .b = b, .c = c};
	if (op == FS_OPEN) {
		q.flags = FS_O_READ | FS_O_WRITE | FS_O_CREATE;
		q.a = 0644;
	}
	q.path_len = path ? (uint16_t)strlen(path) : 0;
	memcpy(msg, &q, sizeof(q));
	if (path)
		memcpy(msg + sizeof(q), path, q.path_len);
	uint8_t ans[PORT_MSG_MAX];
	handle_t h[PORT_HANDLES_MAX];
	struct port_msg m = {.data = msg, .len = sizeof(q) + q.path_len};
	struct port_rx rx = {
		.buf = ans, .cap = sizeof(ans), .handles = h, .hcap = 8};
	long r = sys_port_call(ep, &m, &rx, DEADLINE_NONE);
	if (r < 0)
		return r - 1000;
	struct fs_resp resp;
	memcpy(&resp, ans, sizeof(resp));
	for (uint32_t i = resp.err || !out ? 0 : 1; i < rx.nhandles; i++)
		sys_handle_close(h[i]);
	if (resp.err)
		return resp.err;
	if (val)
		*val = resp.val;
	if (!out)
		return 0;
	if (rx.nhandles < 1)
		return -1;
	*out = h[0];
	return 0;
}

static long fsd_setup(void)
{
	for (int i = 0; i < 2; i++)
		if (fs_call(fs_pub, FS_CONNECT, FS_PROTO_VERSION, 0, 0, NULL,
			    &bulk_conn[i], NULL))
			return 6;
	for (int i = 0; i < BULK_FILES; i++)
		if (fs_call(bulk_conn[i & 1], FS_OPEN, 0, 0, 0, "/tmp/race2",
			    &bulk_file[i], NULL))
			return 7;
	/* What the kept ones leave of each per-task limit. */
	rep.cap[0] = RACE2_FSD_CONNS - 2;
	rep.cap[1] = RACE2_FSD_FILES - BULK_FILES;
	rep.cap[2] = RACE2_FSD_BULK / BULK_SIZE;
	return 0;
}

static void fsd_bulk_free(uint64_t v)
{
	long e = fs_call(bulk_file[(v >> 8) % BULK_FILES], FS_BULK_FREE, 0,
			 v & 0xff, 0, NULL, NULL, NULL);
	refused(e == 0, e);
}

static void fsd_result(int k, long e, handle_t h)
{
	if (e == 0) {
		if (!got(k, h))
			sys_handle_close(h);
		return;
	}
	__atomic_add_fetch(&rep.full[k], e == -FS_EMFILE, __ATOMIC_RELAXED);
	refused(e == -FS_EMFILE || e == -FS_EAGAIN, e);
}

static void fsd_round(uint64_t r)
{
	handle_t h = 0;
	uint64_t k = r % 64, v;
	if (k < 4) { /* connect */
		long e = fs_call(fs_pub, FS_CONNECT, FS_PROTO_VERSION, 0, 0,
				 NULL, &h, NULL);
		fsd_result(0, e, h);
	} else if (k < 5) { /* a connection closed (its files stay open) */
		if ((h = take(0, r >> 8)))
			sys_handle_close(h);
	} else if (k < 45) { /* open a file on a connection */
		/* On one of the churned connections, else a kept one. */
		handle_t c = borrow(0, r >> 8);
		handle_t on = c ? c : bulk_conn[(r >> 8) & 1];
		long e = fs_call(on, FS_OPEN, 0, 0, 0, "/tmp/race2", &h, NULL);
		if (c)
			give_back(0, c);
		fsd_result(1, e, h);
	} else if (k < 54) { /* a file closed */
		if ((h = take(1, r >> 8)))
			sys_handle_close(h);
	} else if (k < 60) { /* a bulk window (its grant not kept) */
		uint64_t i = (r >> 8) % BULK_FILES, ws = 0;
		long e = fs_call(bulk_file[i], FS_BULK_SETUP, 0, 0, BULK_SIZE,
				 NULL, &h, &ws);
		if (e == 0) {
			sys_handle_close(h);
			if (!got(2, (i << 8 | ws) + 1))
				fsd_bulk_free(i << 8 | ws);
		} else {
			__atomic_add_fetch(&rep.full[2], e == -FS_ENOMEM,
					   __ATOMIC_RELAXED);
			refused(e == -FS_ENOMEM || e == -FS_EBUSY ||
					e == -FS_EAGAIN,
				e);
		}
	} else if ((v = take(2, r >> 8))) {
		fsd_bulk_free(v - 1);
	}
}

/* ---- netd: kind 0 UDP sockets (fds) ---- */

#define SC(n, a, b, c)                                                         \
	__execrt_syscall(SYS_##n, (long)(a), (long)(b), (long)(c), 0, 0, 0)

/* ---- netd: kind 0 UDP sockets, kind 1 TCP listeners, kind 2 ping
 * sockets (each held as its fd + 1) ---- */

static long sock_open(int kind)
{
	if (kind == 0)
		return SC(socket, AF_INET, SOCK_DGRAM, 0);
	if (kind == 2)
		return SC(socket, AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
	long s = SC(socket, AF_INET, SOCK_STREAM, 0);
	if (s < 0)
		return -1000 + s; /* not the listen share's refusal */
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_addr.s_addr = htonl(0x7f000001)};
	long e = SC(bind, s, &a, sizeof(a));
	if (e == 0)
		e = SC(listen, s, 4, 0);
	if (e == 0)
		return s;
	SC(close, s, 0, 0);
	return e;
}

static void net_round(uint64_t r)
{
	int kind = (int)(r % 24 / 8);
	uint64_t v;
	if (r % 8 >= 6) {
		if ((v = take(kind, r >> 8)))
			SC(close, v - 1, 0, 0);
		return;
	}
	long s = sock_open(kind);
	long want = kind == 1 ? -ENOBUFS : -EMFILE;
	if (s >= 0) {
		if (!got(kind, (uint64_t)s + 1))
			SC(close, s, 0, 0);
	} else {
		__atomic_add_fetch(&rep.full[kind], s == want,
				   __ATOMIC_RELAXED);
		refused(s == want, s);
	}
}

/* ---- kernel: kind 0 handles made by dup, kind 1 64 KiB mappings,
 * kind 2 messages queued on the task's own port (kind 0's handles ride
 * in some of them: in transit they are not in the table) ---- */

static void kern_round(uint64_t r)
{
	handle_t h = HANDLE_INVALID;
	long e;
	switch (r % 16) {
	case 0:
	case 1:
	case 2:
	case 3:
		for (int i = 0; i < 4; i++) {
			e = sys_handle_dup(dup_src, RIGHT_SAME, &h);
			if (e == 0) {
				if (!got(0, h))
					sys_handle_close(h);
				continue;
			}
			__atomic_add_fetch(&rep.full[0], e == ERR_NO_RESOURCES,
					   __ATOMIC_RELAXED);
			refused(e == ERR_NO_RESOURCES || e == ERR_NO_MEMORY, e);
			break;
		}
		break;
	case 4:
		if ((h = take(0, r >> 8)))
			sys_handle_close(h);
		break;
	case 5:
	case 6: {
		void *p = g_map(CHUNK);
		if (p) {
			*(volatile uint8_t *)p = 1;
			if (!got(1, (uint64_t)p))
				g_unmap(p, CHUNK);
		} else {
			__atomic_add_fetch(&rep.full[1], 1, __ATOMIC_RELAXED);
		}
		break;
	}
	case 7: {
		uint64_t a = take(1, r >> 8);
		if (a)
			g_unmap((void *)a, CHUNK);
		break;
	}
	case 8:
	case 9:
	case 10:
	case 11:
	case 12: { /* send, with a held handle every other time */
		handle_t hs[1];
		struct port_msg m = {.data = &r, .len = sizeof(r)};
		if ((r & 16) && (hs[0] = (handle_t)take(0, r >> 8))) {
			m.handles = hs;
			m.nhandles = 1;
		}
		e = sys_port_send(port_s, &m, DEADLINE_POLL);
		if (e == 0) {
			__atomic_add_fetch(&rep.ok[2], 1, __ATOMIC_RELAXED);
			note_max(2, __atomic_add_fetch(&held[2], 1,
						       __ATOMIC_SEQ_CST));
		} else {
			if (m.nhandles && !got(0, hs[0]))
				sys_handle_close(hs[0]);
			__atomic_add_fetch(&rep.full[2], e == ERR_SHOULD_WAIT,
					   __ATOMIC_RELAXED);
			refused(e == ERR_SHOULD_WAIT || e == ERR_NO_MEMORY, e);
		}
		break;
	}
	default: { /* receive: the count lowered first, raised on failure */
		uint64_t b;
		handle_t hs[PORT_HANDLES_MAX];
		struct port_rx rx = {.buf = &b,
				     .cap = sizeof(b),
				     .handles = hs,
				     .hcap = PORT_HANDLES_MAX};
		__atomic_sub_fetch(&held[2], 1, __ATOMIC_SEQ_CST);
		e = sys_port_recv(port_r, &rx, DEADLINE_POLL);
		if (e < 0) {
			/* Over the handle quota the message is lost (its
			 * handles closed, docs/ipc.md): no longer queued. */
			if (e == ERR_SHOULD_WAIT)
				__atomic_add_fetch(&held[2], 1,
						   __ATOMIC_SEQ_CST);
			refused(e == ERR_SHOULD_WAIT || e == ERR_NO_RESOURCES,
				e);
			break;
		}
		for (uint32_t i = 0; i < rx.nhandles; i++)
			if (!got(0, hs[i]))
				sys_handle_close(hs[i]);
		break;
	}
	}
}

/* ---- compositord: kind 0 sessions beside the child's own session s0,
 * kind 1 layers made on s0 (a session's layers go with it: none made on
 * the sessions that are closed, so the count stays exact) ---- */

static struct cl_conn comp_pub, comp_s0;
static struct cl_resp cresp[2];

static bool busy(long e, const struct cl_resp *c)
{
	return e == CL_ERR_REMOTE && !strcmp(c->code, "BUSY");
}

static void comp_round(uint64_t r, uint64_t id)
{
	struct cl_resp *c = &cresp[id & 1];
	char req[64];
	uint64_t k = r % 16, v;
	long e;
	if (k < 2) {
		e = cl_request(&comp_pub, "{\"cmd\":\"connect\"}", c);
		if (e == CL_OK) {
			handle_t h = cl_resp_take_handle(c, 0);
			if (h && !got(0, h))
				sys_handle_close(h);
		} else {
			__atomic_add_fetch(&rep.full[0], busy(e, c),
					   __ATOMIC_RELAXED);
			refused(busy(e, c), e);
		}
		cl_resp_close(c);
	} else if (k < 3) {
		if ((v = take(0, r >> 8)))
			sys_handle_close((handle_t)v);
	} else if (k < 10) {
		e = cl_request(&comp_s0, "{\"cmd\":\"create_layer\"}", c);
		int64_t lid = 0;
		if (e == CL_OK && cl_resp_int(c, "id", &lid) == CL_OK && lid) {
			got(1, (uint64_t)lid);
		} else {
			__atomic_add_fetch(&rep.full[1], busy(e, c),
					   __ATOMIC_RELAXED);
			refused(busy(e, c), e);
		}
		cl_resp_close(c);
	} else if ((v = take(1, r >> 8))) {
		snprintf(req, sizeof(req),
			 "{\"cmd\":\"destroy_layer\",\"id\":%llu}",
			 (unsigned long long)v);
		e = cl_request(&comp_s0, req, c);
		refused(e == CL_OK, e);
		cl_resp_close(c);
	}
}

static int64_t worker(uint64_t id)
{
	uint64_t s = 0x9e3779b97f4a7c15ull * (id + 1) + g_now();
	while (!__atomic_load_n(&go, __ATOMIC_ACQUIRE))
		;
	for (uint64_t i = 0; i < rounds_each; i++) {
		uint64_t r = xs(&s);
		if (mode[0] == 'f')
			fsd_round(r);
		else if (mode[0] == 'u')
			net_round(r);
		else if (mode[0] == 'c')
			comp_round(r, id);
		else if (mode[0] == 'v')
			r2_vmgr_round(r);

		else
			kern_round(r);
		struct sched_params sp;
		if ((i & 15) == 0 && sys_sched_get(worker_th[id], &sp) == 0) {
			uint32_t c = (uint32_t)sp.cpu;
			__atomic_add_fetch(&rep.cpu_rounds[c & 1], 16,
					   __ATOMIC_RELAXED);
		}
		__atomic_add_fetch(&rep.rounds, 1, __ATOMIC_RELAXED);
	}
	return 0;
}

/* How many of kind k fit now, with nothing racing (then given back). */
static uint64_t kern_capacity(int k)
{
	static uint64_t tmp[2048];
	uint64_t n = 0;
	for (; n < 2048; n++) {
		handle_t h;
		void *p;
		if (k == 0 && sys_handle_dup(dup_src, RIGHT_SAME, &h) == 0)
			tmp[n] = h;
		else if (k == 1 && (p = g_map(CHUNK)))
			tmp[n] = (uint64_t)p;
		else
			break;
	}
	for (uint64_t i = 0; i < n; i++)
		if (k == 0)
			sys_handle_close((handle_t)tmp[i]);
		else
			g_unmap((void *)tmp[i], CHUNK);
	return n;
}

static long setup(void)
{
	if (mode[0] == 'f') {
		struct cl_conn cc;
		if (cl_connect(FS_SVC_NAME, g_now() + 2000 * MS, &cc) != CL_OK)
			return 1;
		fs_pub = cc.send;
		long e = fsd_setup();
		if (e)
			return e;
	} else if (mode[0] == 'u') {
		long s = SC(socket, AF_INET, SOCK_DGRAM, 0);
		if (s < 0)
			return 2;
		SC(close, s, 0, 0);
		rep.cap[0] = RACE2_UDP_SHARE;
		rep.cap[1] = RACE2_LISTEN_SHARE;
		rep.cap[2] = RACE2_PING_SHARE;
	} else if (mode[0] == 'c' || mode[0] == 'p') {
		if (cl_connect("/svc/compositord", g_now() + 2000 * MS,
			       &comp_pub) != CL_OK)
			return 4;
		if (mode[0] == 'p') { /* public layers, then the end */
			while (cl_request(&comp_pub,
					  "{\"cmd\":\"create_layer\"}",
					  &cresp[0]) == CL_OK)
				rep.ok[0]++;
			return -1;
		}
		if (cl_request(&comp_pub, "{\"cmd\":\"connect\"}", &cresp[0]) !=
		    CL_OK)
			return 5;
		comp_s0.send = cl_resp_take_handle(&cresp[0], 0);
		cl_resp_close(&cresp[0]);
		rep.cap[0] = RACE2_COMP_SESSIONS - 1; /* s0 is one */
		rep.cap[1] = RACE2_COMP_LAYERS;
	} else if (mode[0] == 'k') {
		if (sys_port_create(0, &port_r, &port_s) < 0)
			return 3;
		dup_src = port_s;
		rep.cap[2] = RACE2_QUEUE_MAX;
	}
	return 0;
}

static void drain(void)
{
	uint64_t v;
	for (int k = 0; k < 4; k++)
		while ((v = take(k, 0))) {
			if (mode[0] == 'u')
				SC(close, v - 1, 0, 0);
			else if (mode[0] == 'k' && k == 1)
				g_unmap((void *)v, CHUNK);
			else if (mode[0] == 'c' && k == 1)
				; /* layer ids: they go with s0 */
			else if (mode[0] == 'v')
				r2_vmgr_release(v - 1);
			else if (mode[0] == 'f' && k == 2)
				; /* windows: they go with their files */
			else if (!(mode[0] == 'k' && k == 2))
				sys_handle_close((handle_t)v);
		}
}

int main(int argc, char **argv)
{
	if (argc < 4)
		return 100;
	mode = argv[1];
	handle_t back = (handle_t)strtoull(argv[2], NULL, 0);
	rounds_each = strtoull(argv[3], NULL, 0) / 2;
	rep.magic = RACE2_MAGIC;
	uint64_t t0 = g_now();
	long e = setup();
	if (e < 0) { /* "pub": only the report */
		struct port_msg m = {.data = &rep, .len = sizeof(rep)};
		sys_port_send(back, &m, DEADLINE_NONE);
		return 0;
	}
	if (e)
		return (int)(100 + e);
	struct gthread t[2];
	for (uint64_t i = 0; i < 2; i++)
		if (gthread_start(&t[i], worker, i) < 0)
			return 110;
	/* The parent pins them (this program may not). */
	handle_t th[2] = {g_dup(t[0].h, RIGHT_SAME), g_dup(t[1].h, RIGHT_SAME)};
	struct port_msg m = {
		.data = "t", .len = 1, .nhandles = 2, .handles = th};
	worker_th[0] = t[0].h;
	worker_th[1] = t[1].h;
	uint8_t ack[8];
	handle_t given = HANDLE_INVALID;
	struct port_rx rx = {
		.buf = ack, .cap = sizeof(ack), .handles = &given, .hcap = 1};
	if (!th[0] || !th[1] ||
	    sys_port_call(back, &m, &rx, g_now() + 5000 * MS) < 0)
		return 111;
	if (mode[0] == 'v' && (e = r2_vmgr_setup(given)) != 0)
		return (int)(120 + e);
	if (mode[0] == 'k') {
		/* The memory bound, measured with the workers made and
		 * nothing racing: what the quota leaves this task (the
		 * handle table grown to its largest first; 1 for it
		 * shrinking). */
		rep.cap[0] = kern_capacity(0);
		rep.cap[1] = kern_capacity(1) + 1;
	}
	sys_sleep_until(g_now() + 2 * MS);
	uint64_t t1 = g_now();
	rep.setup_ns = t1 - t0;
	__atomic_store_n(&go, 1, __ATOMIC_RELEASE);
	/* Both ended before either handle is closed: the handle room
	 * stays the same until the race is over. */
	for (int i = 0; i < 2; i++)
		if (sys_object_wait(t[i].h, DEADLINE_NONE, NULL) < 0)
			return 112;
	rep.race_ns = g_now() - t1;
	for (int i = 0; i < 2; i++)
		if (gthread_join(&t[i], DEADLINE_NONE, NULL) < 0)
			return 112;
	drain();
	if (mode[0] == 'k') {
		/* The room measured before may have been short of a handle
		 * still on its way out; measured now it is exact: the quota
		 * less what main holds (and held during the race, the two
		 * workers' thread handles, closed by the joins). */
		rep.cap[0] = kern_capacity(0) - 2;
		if (rep.max[0] > rep.cap[0])
			rep.over++;
	}
	m = (struct port_msg){.data = &rep, .len = sizeof(rep)};
	if (sys_port_send(back, &m, DEADLINE_NONE) < 0)
		return 113;
	return rep.over ? 1 : 0;
}
