/* Demand paging (docs/vmgr.md "The pager contract"): pager-backed memory
 * objects whose pages this test supplies, as the pager, when a thread of
 * its own or a child touches them. The harness's leak check after each
 * test shows frames, objects and threads back at the baseline (pages
 * supplied and the fault messages included). */
#include <string.h>

#include "gchild.h"
#include "gtest.h"
#include "gutil.h"

#define WAIT_NS	 (5000 * MS)
#define PGR_BYTE 0x33

static uint8_t src_page[PAGE] __attribute__((aligned(4096)));

struct pg {
	handle_t recv, send, vmo;
	uint64_t addr, len;
};

/* A port, a pages-long pager object on it (key) mapped RW here. */
static long pg_open(struct pg *p, uint64_t pages, uint64_t key)
{
	gtest_allow_growth(); /* maps into this task */
	memset(p, 0, sizeof(*p));
	p->len = pages * PAGE;
	long r = sys_port_create(0, &p->recv, &p->send);
	if (r < 0)
		return r;
	if ((r = sys_pager_vmo_create(p->send, key, p->len, &p->vmo)) < 0)
		return r;
	struct vm_map_req req = {.len = p->len,
				 .prot = VM_PROT_READ | VM_PROT_WRITE};
	return sys_vm_map(g_self(), p->vmo, &req, &p->addr);
}

static void pg_close(struct pg *p)
{
	if (p->addr)
		sys_vm_unmap(g_self(), p->addr, p->len);
	if (p->vmo)
		sys_handle_close(p->vmo);
	if (p->send)
		sys_handle_close(p->send);
	if (p->recv)
		sys_handle_close(p->recv);
}

/* The next fault message: its contents and the call's reply handle. */
static long pg_next(handle_t recv, uint64_t deadline, struct pager_fault *pf,
		    handle_t *reply, uint64_t *badge)
{
	struct port_rx rx = {.buf = pf, .cap = sizeof(*pf)};
	long r = sys_port_recv(recv, &rx, deadline);
	if (r < 0)
		return r;
	if (badge)
		*badge = rx.badge;
	*reply = rx.reply;
	if (rx.len != sizeof(*pf) || pf->magic != PAGER_FAULT_MAGIC ||
	    !rx.reply)
		return -1000;
	return 0;
}

static long pg_answer(handle_t reply)
{
	struct port_msg m = {0};
	return sys_port_reply(reply, &m);
}

/* Reads every page of [addr, addr + pages) (first byte), then writes
 * 0x80 + page there; returns the sum of what it read. */
struct toucher {
	uint64_t addr, pages;
	int write;
};

static int64_t touch_pages(uint64_t arg)
{
	struct toucher *t = (struct toucher *)arg;
	int64_t sum = 0;
	for (uint64_t i = 0; i < t->pages; i++) {
		volatile uint8_t *b = (volatile uint8_t *)(t->addr + i * PAGE);
		sum += *b;
		if (t->write)
			*b = (uint8_t)(0x80 + i);
	}
	return sum;
}

/* Pages 0 and 2 zero-filled, 1 and 3 from data: the touching thread reads
 * what was supplied, one fault message per page, in order, with the key
 * and offsets; the data stays (read back here, no more faults). */
GTEST(pager_zero_fill_and_data_supplied)
{
	struct pg p;
	GCHECK_OK(pg_open(&p, 4, 0xabc));
	struct toucher t = {.addr = p.addr, .pages = 4, .write = 1};
	struct gthread th;
	GCHECK_OK(gthread_start(&th, touch_pages, (uint64_t)&t));
	long err = 0;
	for (uint64_t i = 0; i < 4 && !err; i++) {
		struct pager_fault pf;
		handle_t reply;
		if ((err = pg_next(p.recv, g_now() + WAIT_NS, &pf, &reply,
				   NULL)))
			break;
		if (pf.key != 0xabc || pf.offset != i * PAGE ||
		    pf.len != PAGE || pf.flags != 0)
			err = -1001; /* a read fault first */
		memset(src_page, (int)(0x10 + i), PAGE);
		long s = sys_pager_supply(p.vmo, pf.offset, PAGE,
					  (i & 1) ? src_page : NULL);
		if (s != 1 && !err)
			err = s < 0 ? s : -1002;
		pg_answer(reply);
	}
	int64_t sum = -1;
	GCHECK_OK(gthread_join(&th, g_now() + WAIT_NS, &sum));
	GCHECK_OK(err);
	GCHECK_EQ(sum, 0x11 + 0x13);
	for (uint64_t i = 0; i < 4; i++)
		GCHECK_EQ(((uint8_t *)p.addr)[i * PAGE], 0x80 + i);
	GCHECK_EQ(((uint8_t *)p.addr)[PAGE + 1], 0x11);
	GCHECK_EQ(((uint8_t *)p.addr)[2 * PAGE + 1], 0);
	/* Nothing else was asked for. */
	struct pager_fault pf;
	handle_t reply;
	GCHECK_ERR(pg_next(p.recv, DEADLINE_POLL, &pf, &reply, NULL),
		   ERR_SHOULD_WAIT);
	/* The object reads what was supplied too. */
	uint8_t b = 0;
	GCHECK_OK(sys_vmo_read(p.vmo, &b, 3 * PAGE + 5, 1));
	GCHECK_EQ(b, 0x13);
	pg_close(&p);
}

/* Two threads touching the same absent page: one message; both resume
 * when it is supplied. */
GTEST(pager_one_request_for_two_threads)
{
	struct pg p;
	GCHECK_OK(pg_open(&p, 1, 1));
	struct toucher t = {.addr = p.addr, .pages = 1};
	struct gthread a, b;
	GCHECK_OK(gthread_start(&a, touch_pages, (uint64_t)&t));
	GCHECK_OK(gthread_start(&b, touch_pages, (uint64_t)&t));
	struct pager_fault pf;
	handle_t reply, r2;
	GCHECK_OK(pg_next(p.recv, g_now() + WAIT_NS, &pf, &reply, NULL));
	/* Give the second thread time to fault too. */
	sys_sleep_until(g_now() + 20 * MS);
	long second = pg_next(p.recv, DEADLINE_POLL, &pf, &r2, NULL);
	memset(src_page, 7, PAGE);
	GCHECK_EQ(sys_pager_supply(p.vmo, 0, PAGE, src_page), 1);
	GCHECK_OK(pg_answer(reply));
	int64_t sa = -1, sb = -1;
	GCHECK_OK(gthread_join(&a, g_now() + WAIT_NS, &sa));
	GCHECK_OK(gthread_join(&b, g_now() + WAIT_NS, &sb));
	GCHECK_ERR(second, ERR_SHOULD_WAIT);
	GCHECK_EQ(sa, 7);
	GCHECK_EQ(sb, 7);
	pg_close(&p);
}

/* A kernel copy from an absent pager page (SYS_VMO_WRITE's source) waits
 * for the pager like a user access and then copies. */
static int64_t copy_from_pager(uint64_t arg)
{
	struct pg *p = (struct pg *)arg;
	handle_t v;
	long r = sys_vmo_create(PAGE, &v);
	if (r < 0)
		return r;
	r = sys_vmo_write(v, (const void *)(p->addr + PAGE), 0, PAGE);
	uint8_t b[2] = {0};
	if (!r)
		r = sys_vmo_read(v, b, PAGE - 2, 2);
	/* And into pager memory: a kernel write to an absent page. */
	if (!r)
		r = sys_vmo_read(v, (void *)(p->addr + 100), 0, 8);
	sys_handle_close(v);
	return r ? r : b[0] + b[1];
}

GTEST(pager_kernel_copy_waits_for_the_page)
{
	struct pg p;
	GCHECK_OK(pg_open(&p, 2, 2));
	struct gthread th;
	GCHECK_OK(gthread_start(&th, copy_from_pager, (uint64_t)&p));
	struct pager_fault pf;
	handle_t reply;
	GCHECK_OK(pg_next(p.recv, g_now() + WAIT_NS, &pf, &reply, NULL));
	GCHECK_EQ(pf.offset, PAGE);
	memset(src_page, 0x21, PAGE);
	GCHECK_EQ(sys_pager_supply(p.vmo, PAGE, PAGE, src_page), 1);
	GCHECK_OK(pg_answer(reply));
	GCHECK_OK(pg_next(p.recv, g_now() + WAIT_NS, &pf, &reply, NULL));
	GCHECK_EQ(pf.offset, 0);
	GCHECK_EQ(pf.flags, PAGER_FAULT_WRITE);
	GCHECK_EQ(sys_pager_supply(p.vmo, 0, PAGE, NULL), 1);
	GCHECK_OK(pg_answer(reply));
	int64_t st = -1;
	GCHECK_OK(gthread_join(&th, g_now() + WAIT_NS, &st));
	GCHECK_EQ(st, 0x42);
	GCHECK_EQ(((uint8_t *)p.addr)[99], 0);
	GCHECK_EQ(((uint8_t *)p.addr)[100], 0x21);
	GCHECK_EQ(((uint8_t *)p.addr)[107], 0x21);
	GCHECK_EQ(((uint8_t *)p.addr)[108], 0);
	pg_close(&p);
}

/* A child (with a fault handler) reading a page of pager memory. */
static long spawn_reader(struct pg *p, struct child *c)
{
	long r = sys_port_create(0, &p->recv, &p->send);
	if (r < 0)
		return r;
	p->len = PAGE;
	if ((r = sys_pager_vmo_create(p->send, 5, PAGE, &p->vmo)) < 0)
		return r;
	/* The child gets a read-only duplicate (giving moves it). */
	handle_t ro = g_dup(p->vmo, RIGHT_READ | RIGHT_MAP | RIGHT_TRANSFER);
	r = g_spawn_ex(CHILD_FAULT, "pgr @", CHILD_QUOTA, 1, ro, RIGHT_SAME, c);
	if (r)
		sys_handle_close(ro);
	return r;
}

/* The report a failed pager fault leaves: a #PF at PGR_ADDR, the thread
 * suspended (the task did not just die). */
static int is_pager_report(const struct fault_report *rep)
{
	return rep->vector == 14 && rep->addr == PGR_ADDR && !(rep->error & 1);
}

GTEST(pager_supplies_the_childs_page)
{
	struct pg p = {0};
	struct child c;
	GCHECK_OK(spawn_reader(&p, &c));
	struct pager_fault pf;
	handle_t reply;
	uint64_t badge = 1;
	long r = pg_next(p.recv, g_now() + WAIT_NS, &pf, &reply, &badge);
	memset(src_page, PGR_BYTE, PAGE);
	if (!r && (r = sys_pager_supply(p.vmo, 0, PAGE, src_page)) == 1)
		r = pg_answer(reply);
	int64_t st = 0;
	long w = g_reap(&c, WAIT_NS, &st);
	pg_close(&p);
	GCHECK_OK(r);
	GCHECK_OK(w);
	GCHECK_EQ(badge, 0);
	GCHECK_EQ(st, PGR_BYTE);
}

/* The pager answers without supplying: the fault is real. */
GTEST(pager_fail_gives_fault_report)
{
	struct pg p = {0};
	struct child c;
	GCHECK_OK(spawn_reader(&p, &c));
	struct pager_fault pf;
	handle_t reply;
	long r = pg_next(p.recv, g_now() + WAIT_NS, &pf, &reply, NULL);
	if (!r)
		r = pg_answer(reply);
	struct fault_report rep = {0};
	long f = sys_fault_wait(c.task, g_now() + WAIT_NS, &rep);
	g_reap(&c, 0, NULL);
	pg_close(&p);
	GCHECK_OK(r);
	GCHECK_OK(f);
	GCHECK(is_pager_report(&rep));
}

/* The pager dies: once with the fault message received and unanswered
 * (its reply handle goes with it), once with the message still queued.
 * The child gets a fault report either way, never hangs. */
GTEST(pager_death_gives_fault_report)
{
	for (int received = 0; received < 2; received++) {
		struct pg p = {0};
		struct child c;
		GCHECK_OK(spawn_reader(&p, &c));
		struct pager_fault pf;
		handle_t reply = 0;
		long r = 0;
		if (received)
			r = pg_next(p.recv, g_now() + WAIT_NS, &pf, &reply,
				    NULL);
		else
			sys_sleep_until(g_now() + 30 * MS); /* it faults */
		sys_handle_close(p.recv);
		p.recv = 0;
		if (reply)
			sys_handle_close(reply);
		struct fault_report rep = {0};
		long f = sys_fault_wait(c.task, g_now() + WAIT_NS, &rep);
		g_reap(&c, 0, NULL);
		pg_close(&p);
		GCHECK_OK(r);
		GCHECK_OK(f);
		GCHECK(is_pager_report(&rep));
	}
}

/* Killed while blocked in the fault: the child ends, and the pager's late
 * answer finds the call gone. */
GTEST(pager_kill_while_blocked_in_fault)
{
	struct pg p = {0};
	struct child c;
	GCHECK_OK(spawn_reader(&p, &c));
	struct pager_fault pf;
	handle_t reply = 0;
	long r = pg_next(p.recv, g_now() + WAIT_NS, &pf, &reply, NULL);
	long k = sys_task_kill(c.task, -5);
	int64_t st = 0;
	long w = sys_object_wait(c.task, g_now() + WAIT_NS, &st);
	long late = reply ? sys_pager_supply(p.vmo, 0, PAGE, NULL) : -1;
	long ans = reply ? pg_answer(reply) : -1;
	g_reap(&c, 0, NULL);
	pg_close(&p);
	GCHECK_OK(r);
	GCHECK_OK(k);
	GCHECK_OK(w);
	GCHECK_EQ(st, -5);
	GCHECK_EQ(late, 1);
	GCHECK_ERR(ans, ERR_PEER_CLOSED);
}

/* The child owns a 64-page pager object but has a small quota: supplies
 * fail with ERR_NO_MEMORY once its quota is used, the pager answers, and
 * the child dies of the fault it cannot get past. */
GTEST(pager_quota_holds)
{
	handle_t recv, send;
	GCHECK_OK(sys_port_create(0, &recv, &send));
	struct child c;
	handle_t give = g_dup(send, RIGHT_SAME);
	long r = g_spawn_ex(CHILD_FAULT, "pgq @ 64", 160 << 10, 0, give,
			    RIGHT_SAME, &c);
	if (r) {
		sys_handle_close(give);
		sys_handle_close(recv);
		sys_handle_close(send);
		GCHECK_OK(r);
	}
	handle_t v = 0;
	uint8_t buf[sizeof(struct pager_fault)];
	struct port_rx rx = {
		.buf = buf, .cap = sizeof(buf), .handles = &v, .hcap = 1};
	r = sys_port_recv(recv, &rx, g_now() + WAIT_NS);
	if (!r && rx.nhandles != 1)
		r = -1000;
	long supplied = 0, nomem = 0;
	while (!r) {
		struct pager_fault pf;
		handle_t reply;
		if (pg_next(recv, g_now() + WAIT_NS, &pf, &reply, NULL))
			break; /* the child died: its queue drains */
		long s = sys_pager_supply(v, pf.offset, PAGE, NULL);
		supplied += s == 1;
		nomem += s == ERR_NO_MEMORY;
		pg_answer(reply);
		if (s != 1)
			break;
	}
	int64_t st = 0;
	long w = g_reap(&c, WAIT_NS, &st);
	if (v)
		sys_handle_close(v);
	sys_handle_close(recv);
	sys_handle_close(send);
	GCHECK_OK(r);
	GCHECK_OK(w);
	GCHECK_EQ(nomem, 1);
	GCHECK(supplied > 4 && supplied < 40);
	GCHECK_EQ(st, TASK_STATUS_FAULT(14));
}

/* Bad arguments: every call checked before anything changes. */
GTEST(pager_bad_arguments)
{
	handle_t recv, send, v, plain, ro;
	GCHECK_OK(sys_port_create(0, &recv, &send));
	GCHECK_ERR(sys_pager_vmo_create(recv, 0, PAGE, &v), ERR_WRONG_TYPE);
	GCHECK_ERR(sys_pager_vmo_create(send, 0, 0, &v), ERR_INVALID_ARGS);
	GCHECK_ERR(sys_pager_vmo_create(send, 0, PAGER_VMO_MAX + 1, &v),
		   ERR_OUT_OF_RANGE);
	GCHECK_ERR(sys_pager_vmo_create(send, 0, PAGE, (handle_t *)8),
		   ERR_FAULT);
	GCHECK_OK(sys_pager_vmo_create(send, 0, 2 * PAGE, &v));
	GCHECK_ERR(sys_pager_supply(v, 0, 0, NULL), ERR_INVALID_ARGS);
	GCHECK_ERR(sys_pager_supply(v, 1, PAGE, NULL), ERR_INVALID_ARGS);
	GCHECK_ERR(sys_pager_supply(v, 2 * PAGE, PAGE, NULL), ERR_OUT_OF_RANGE);
	GCHECK_ERR(sys_pager_supply(v, 0, PAGE, (void *)8), ERR_FAULT);
	ro = g_dup(v, RIGHTS_VMO);
	GCHECK_ERR(sys_pager_supply(ro, 0, PAGE, NULL), ERR_ACCESS_DENIED);
	GCHECK_OK(sys_vmo_create(PAGE, &plain));
	GCHECK_ERR(sys_pager_supply(plain, 0, PAGE, NULL), ERR_ACCESS_DENIED);
	/* Writing absent pages from the side is the pager's job. */
	GCHECK_ERR(sys_vmo_write(v, src_page, 0, 8), ERR_NOT_SUPPORTED);
	GCHECK_EQ(sys_pager_supply(v, PAGE, PAGE, NULL), 1);
	GCHECK_EQ(sys_pager_supply(v, 0, 2 * PAGE, NULL), 1); /* 1 new */
	GCHECK_EQ(sys_pager_supply(v, 0, PAGE, src_page), 0); /* kept */
	GCHECK_OK(sys_vmo_write(v, "x", 0, 1));
	sys_handle_close(ro);
	sys_handle_close(plain);
	sys_handle_close(v);
	sys_handle_close(recv);
	sys_handle_close(send);
}

/* SMP: two threads (on CPU 1 and on the next CPU, CPU 0 with two) read
 * the same 64 pager pages while this thread supplies them on CPU 0 (some
 * ahead of the faults, racing them) and a third thread keeps protecting
 * the mapping RW -> R -> RW (which drops its page-table entries: the
 * reads fault again and map again without asking). 10 rounds; every page
 * is asked for at most once per round however the two readers meet. */
#define RACE_PAGES  64
#define RACE_ROUNDS 10
static int race_stop, readers_done;

static int64_t protector(uint64_t arg)
{
	struct pg *p = (struct pg *)arg;
	int64_t n = 0;
	while (!__atomic_load_n(&race_stop, __ATOMIC_ACQUIRE)) {
		if (sys_vm_protect(g_self(), p->addr, p->len, VM_PROT_READ) ||
		    sys_vm_protect(g_self(), p->addr, p->len,
				   VM_PROT_READ | VM_PROT_WRITE))
			return -1;
		n++;
	}
	return n;
}

static int64_t reader(uint64_t arg)
{
	struct pg *p = (struct pg *)arg;
	int64_t sum = 0;
	for (int pass = 0; pass < 8; pass++)
		for (uint64_t i = 0; i < RACE_PAGES; i++)
			sum += ((volatile uint8_t *)p->addr)[i * PAGE + 1];
	__atomic_fetch_add(&readers_done, 1, __ATOMIC_RELEASE);
	return sum;
}

/* One round: 0 or an error (-2000 - page: a page asked for twice). */
static long race_round(int64_t *sum, int64_t *prot)
{
	struct pg p;
	long err = pg_open(&p, RACE_PAGES, 9);
	if (err)
		return err;
	race_stop = 0;
	readers_done = 0;
	unsigned ncpu = g_ncpus();
	struct gthread rd[2], pr;
	for (int k = 0; k < 2; k++) {
		struct sched_params sp = {.cls = SCHED_CLASS_BE,
					  .weight = SCHED_BE_WEIGHT_DEFAULT,
					  .cpu = (int32_t)((1 + k) % ncpu)};
		if ((err = gthread_start_sched(&rd[k], reader, (uint64_t)&p,
					       &sp)))
			return err;
	}
	if ((err = gthread_start(&pr, protector, (uint64_t)&p)))
		return err;
	uint64_t asked = 0; /* bit per page */
	memset(src_page, 1, PAGE);
	for (unsigned k = 0;
	     !err && __atomic_load_n(&readers_done, __ATOMIC_ACQUIRE) < 2;
	     k++) {
		/* A page ahead of the readers, maybe just as they fault. */
		long s = sys_pager_supply(p.vmo, (k * 7 % RACE_PAGES) * PAGE,
					  PAGE, src_page);
		if (s < 0)
			err = s;
		struct pager_fault pf;
		handle_t reply;
		long r = pg_next(p.recv, g_now() + 5 * MS, &pf, &reply, NULL);
		if (r == ERR_TIMED_OUT)
			continue;
		if (r) {
			err = r;
			break;
		}
		uint64_t bit = 1ull << (pf.offset / PAGE);
		if (asked & bit)
			err = -2000 - (long)(pf.offset / PAGE);
		asked |= bit;
		if ((s = sys_pager_supply(p.vmo, pf.offset, PAGE, src_page)) <
			    0 &&
		    !err)
			err = s;
		pg_answer(reply);
	}
	for (int k = 0; k < 2; k++) {
		int64_t st = -1;
		long j = gthread_join(&rd[k], g_now() + WAIT_NS, &st);
		if (j && !err)
			err = j;
		*sum += st;
	}
	__atomic_store_n(&race_stop, 1, __ATOMIC_RELEASE);
	long jp = gthread_join(&pr, g_now() + WAIT_NS, prot);
	pg_close(&p);
	return err ? err : jp;
}

GTEST(smp_pager_faults_race_supply_and_protect)
{
	for (int round = 0; round < RACE_ROUNDS; round++) {
		int64_t sum = 0, prot = -1;
		GCHECK_OK(race_round(&sum, &prot));
		GCHECK_EQ(sum, 2 * 8 * RACE_PAGES);
		GCHECK(prot >= 0);
	}
}

/* SMP: a child's thread reads its pager pages round and round while its
 * other thread unmaps them (the two run on two CPUs when there are two):
 * faults in flight meet the unmap; the reader's next access is a real
 * fault that ends the child. Whatever the interleaving: no hang, no
 * leak, the fault status. */
GTEST(smp_pager_fault_races_unmap)
{
	for (int round = 0; round < 5; round++) {
		handle_t recv, send, v;
		GCHECK_OK(sys_port_create(0, &recv, &send));
		GCHECK_OK(sys_pager_vmo_create(send, 3, 32 * PAGE, &v));
		handle_t give = g_dup(v, RIGHT_READ | RIGHT_MAP | RIGHT_WRITE |
						 RIGHT_TRANSFER);
		struct child c;
		long r = g_spawn_ex(CHILD_FAULT, "pgu @ 32", CHILD_QUOTA, 0,
				    give, RIGHT_SAME, &c);
		long served = 0, err = 0;
		int64_t st = 0;
		uint64_t end = g_now() + WAIT_NS;
		while (!r && sys_object_wait(c.task, DEADLINE_POLL, &st) != 0 &&
		       g_now() < end) {
			struct pager_fault pf;
			handle_t reply;
			long n = pg_next(recv, g_now() + 10 * MS, &pf, &reply,
					 NULL);
			if (n == ERR_TIMED_OUT)
				continue;
			if (n) {
				err = n;
				break;
			}
			long s = sys_pager_supply(v, pf.offset, PAGE, NULL);
			if (s < 0)
				err = s;
			served++;
			pg_answer(reply);
		}
		if (!r)
			g_reap(&c, WAIT_NS, &st);
		sys_handle_close(v);
		sys_handle_close(recv);
		sys_handle_close(send);
		GCHECK_OK(r);
		GCHECK_OK(err);
		GCHECK(served > 0);
		GCHECK_EQ(st, TASK_STATUS_FAULT(14));
	}
}
