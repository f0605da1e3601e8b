/* guest-child-quota: exhausts one kind of resource, for the quota tests.
 * argv[1] is "MODE:H" with H a memory object given by the parent (status
 * words, see gchild.h: QS_*). The child takes MODE until the kernel says
 * no, checks the error is the clean one and that it can still work (one
 * freed, one taken again), writes the count (or -1000 + the unexpected
 * error), the error that stopped it and QS_DONE, then holds everything until it
 * is killed. mem      maps and touches pages      ERR_NO_MEMORY handles
 * duplicates a handle         ERR_NO_RESOURCES / ERR_NO_MEMORY threads  creates
 * and starts threads  ERR_NO_RESOURCES / ERR_NO_MEMORY ports    creates ports
 * ERR_NO_MEMORY / ERR_NO_RESOURCES msgs     queues 4 KiB messages on ports of
 * its own (a new port when one is full)                ERR_NO_MEMORY /
 * ERR_NO_RESOURCES notifs   creates notifications       ERR_NO_MEMORY /
 * ERR_NO_RESOURCES give     creates a QS_GIVE_SIZE memory object, writes
 * QS_MAGIC in it and sends it on the port send handle H, then exits.
 * tables   reserves a page 1 GiB apart and makes it readable (page tables)
 * ERR_NO_MEMORY resv reserves pages (records) ERR_NO_MEMORY, then a whole
 * unmap must still work. */
#include <stdlib.h>
#include <string.h>

#include <execrt/runtime.h>

#include "gchild.h"

#define STACK (16ull << 10)

static handle_t status_vmo;
static long stop_err; /* the error that ended the run */
static handle_t last; /* the most recent object taken (or stack) */
static uint64_t last_addr;
static uint8_t msg[PORT_MSG_MAX];

static handle_t self(void)
{
	return execrt_handle(START_H_SELF_TASK);
}

static uint64_t map(uint64_t len)
{
	struct vm_map_req req = {.len = len,
				 .prot = VM_PROT_READ | VM_PROT_WRITE};
	uint64_t a = 0;
	long r = sys_vm_map(self(), HANDLE_INVALID, &req, &a);
	return r < 0 ? 0 : a;
}

__attribute__((no_stack_protector, noreturn)) static void sleeper(uint64_t a)
{
	(void)a;
	for (;;)
		sys_sleep_until((uint64_t)sys_clock_now() + 1000000000ull);
}

__attribute__((no_stack_protector, noreturn)) static void spinner(uint64_t a)
{
	(void)a;
	for (;;)
		;
}

static int64_t spin_threads(void)
{
	for (int i = 0; i < QS_SPINNERS; i++) {
		uint64_t s = map(STACK);
		handle_t t;
		if (!s || sys_thread_create(self(), "spin", 4, &t) < 0 ||
		    sys_thread_start(t, (uint64_t)spinner, s + STACK - 8, 0) <
			    0)
			return -1;
		sys_handle_close(t);
	}
	return QS_SPINNERS;
}

static long step_mem(void)
{
	struct vm_map_req req = {.len = PAGE_SIZE_USER,
				 .prot = VM_PROT_READ | VM_PROT_WRITE};
	uint64_t a = 0;
	long r = sys_vm_map(self(), HANDLE_INVALID, &req, &a);
	if (r >= 0) {
		*(volatile char *)a = 1;
		last_addr = a;
	}
	return r;
}

static long undo_mem(void)
{
	return sys_vm_unmap(self(), last_addr, PAGE_SIZE_USER);
}

/* Out values count only on success: a failed call may have written a
 * value it then took back. */
static long keep(long r, handle_t h, handle_t *where)
{
	if (r >= 0)
		*where = h;
	return r;
}

static long step_handles(void)
{
	handle_t h = 0;
	long r = sys_handle_dup(execrt_handle(START_H_CONSOLE), RIGHT_SAME, &h);
	return keep(r, h, &last);
}

static long step_threads(void)
{
	uint64_t s = map(STACK);
	if (!s)
		return ERR_NO_MEMORY;
	handle_t t = 0;
	long r = sys_thread_create(self(), "q", 1, &t);
	if (r >= 0) {
		r = sys_thread_start(t, (uint64_t)sleeper, s + STACK - 8, 0);
		sys_handle_close(t); /* it runs on without the handle */
	}
	if (r < 0) {
		sys_vm_unmap(self(), s, STACK);
		return r;
	}
	last_addr = s;
	return 0;
}

static long undo_threads(void)
{
	return 0; /* threads are not freed one by one: recheck is a no-op */
}

static handle_t last_send;

static long step_ports(void)
{
	handle_t r = 0, s = 0;
	long e = sys_port_create(0, &r, &s);
	keep(e, s, &last_send);
	return keep(e, r, &last);
}

static long undo_ports(void)
{
	sys_handle_close(last_send);
	return sys_handle_close(last);
}

static handle_t msg_port;

static long step_msgs(void)
{
	struct port_msg m = {.data = msg, .len = sizeof(msg)};
	long r = msg_port ? sys_port_send(msg_port, &m, DEADLINE_POLL)
			  : ERR_SHOULD_WAIT;
	if (r != ERR_SHOULD_WAIT)
		return r;
	handle_t recv, send; /* full (or none yet): a new port */
	if ((r = sys_port_create(0, &recv, &send)) < 0)
		return r;
	msg_port = send;
	last = recv;
	return sys_port_send(msg_port, &m, DEADLINE_POLL);
}

static long undo_msgs(void)
{
	struct port_rx rx = {.buf = msg, .cap = sizeof(msg)};
	return sys_port_recv(last, &rx, DEADLINE_POLL);
}

/* tables: a one-page memory object reserved (prot 0) 1 GiB apart, then
 * made readable one by one: each needs new page tables, which must be
 * charged before they are made. resv: reservations only (a record each); undoing
 * one (a whole unmap) must work with the account full. */
static handle_t one_page;
static uint64_t tables_at = 1ull << 45;

static long map_one_page(uint64_t at, uint32_t flags, uint64_t *a)
{
	long r = one_page ? 0 : sys_vmo_create(PAGE_SIZE_USER, &one_page);
	struct vm_map_req req = {
		.addr = at, .len = PAGE_SIZE_USER, .flags = flags};
	return r < 0 ? r : sys_vm_map(self(), one_page, &req, a);
}

/* All reservations first (cheap: a record each), then one made readable
 * per step: the page tables come only with the protect. */
#define RESV_N 64
static uint64_t resv_addr[RESV_N];
static int resv_made, resv_next;

static long step_tables(void)
{
	for (; resv_made < RESV_N; resv_made++) {
		long r = map_one_page(tables_at + ((uint64_t)resv_made << 30),
				      VM_MAP_FIXED, &resv_addr[resv_made]);
		if (r < 0)
			return r;
	}
	if (resv_next == RESV_N)
		return ERR_OUT_OF_RANGE; /* more than the quota can hold */
	long r = sys_vm_protect(self(), resv_addr[resv_next], PAGE_SIZE_USER,
				VM_PROT_READ);
	if (r >= 0)
		resv_next++;
	return r;
}

static long undo_tables(void)
{
	resv_next--;
	return sys_vm_protect(self(), resv_addr[resv_next], PAGE_SIZE_USER, 0);
}

static long step_resv(void)
{
	uint64_t a = 0;
	long r = map_one_page(0, 0, &a);
	if (r >= 0)
		last_addr = a;
	return r;
}

static long step_notifs(void)
{
	handle_t h = 0;
	long r = sys_notif_create(&h);
	return keep(r, h, &last);
}

static long undo_close(void)
{
	return sys_handle_close(last);
}

static void report(uint64_t word, int64_t v)
{
	sys_vmo_write(status_vmo, &v, word * 8, 8);
}

/* Takes until an error; want1/want2 are the clean ones. */
static int64_t exhaust(long (*step)(void), long (*undo)(void), long want1,
		       long want2)
{
	int64_t n = 0;
	long r;
	while ((r = step()) >= 0)
		n++;
	stop_err = r;
	if (r != want1 && r != want2)
		return -1000 + r;
	/* Still working: give one back, take one again. */
	if (n && undo && (r = undo()) < 0)
		return -2000 + r;
	if (n && undo != undo_threads && (r = step()) < 0)
		return -3000 + r;
	return n;
}

static int give(handle_t send)
{
	handle_t v;
	if (sys_vmo_create(QS_GIVE_SIZE, &v) < 0)
		return 1;
	uint64_t magic = QS_MAGIC;
	if (sys_vmo_write(v, &magic, 0, 8) < 0)
		return 2;
	struct port_msg m = {
		.data = &magic, .len = 8, .nhandles = 1, .handles = &v};
	if (sys_port_send(send, &m, DEADLINE_POLL) < 0)
		return 3;
	return 0;
}

int main(int argc, char **argv)
{
	const char *m = argc > 1 ? argv[1] : "";
	const char *colon = strchr(m, ':');
	handle_t h = colon ? (handle_t)strtoul(colon + 1, NULL, 0) : 0;
	size_t n = colon ? (size_t)(colon - m) : strlen(m);
	if (n == 4 && !strncmp(m, "give", 4))
		return give(h);
	status_vmo = h;
	int64_t r = -999;
	if (n == 3 && !strncmp(m, "mem", 3))
		r = exhaust(step_mem, undo_mem, ERR_NO_MEMORY, ERR_NO_MEMORY);
	else if (n == 7 && !strncmp(m, "handles", 7))
		r = exhaust(step_handles, undo_close, ERR_NO_RESOURCES,
			    ERR_NO_MEMORY);
	else if (n == 7 && !strncmp(m, "threads", 7))
		r = exhaust(step_threads, undo_threads, ERR_NO_RESOURCES,
			    ERR_NO_MEMORY);
	else if (n == 5 && !strncmp(m, "ports", 5))
		r = exhaust(step_ports, undo_ports, ERR_NO_MEMORY,
			    ERR_NO_RESOURCES);
	else if (n == 4 && !strncmp(m, "msgs", 4))
		r = exhaust(step_msgs, undo_msgs, ERR_NO_MEMORY,
			    ERR_NO_RESOURCES);
	else if (n == 6 && !strncmp(m, "notifs", 6))
		r = exhaust(step_notifs, undo_close, ERR_NO_MEMORY,
			    ERR_NO_RESOURCES);
	else if (n == 6 && !strncmp(m, "tables", 6))
		r = exhaust(step_tables, undo_tables, ERR_NO_MEMORY,
			    ERR_NO_MEMORY);
	else if (n == 4 && !strncmp(m, "resv", 4))
		r = exhaust(step_resv, undo_mem, ERR_NO_MEMORY, ERR_NO_MEMORY);
	else if (n == 3 && !strncmp(m, "cpu", 3))
		r = spin_threads();
	report(QS_COUNT, r);
	report(QS_ERR, stop_err);
	report(QS_DONE, 1);
	if (n == 3 && !strncmp(m, "cpu", 3))
		for (;;)
			;
	for (;;)
		sys_sleep_until((uint64_t)sys_clock_now() + 1000000000ull);
}
