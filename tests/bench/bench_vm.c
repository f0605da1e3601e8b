/* Demand-paging figures for `make bench` (docs/vmgr.md "Performance"):
 * the first touch of a page of pager-backed memory, per 4 KiB page, with
 * a pager doing what vmgr does for lazy memory (receive the fault, supply
 * zeros, answer with reply_recv): a thread of this task, then a task of
 * its own ("bench pager H", as vmgr is). Once with one page per fault,
 * once with the pager supplying 16 pages ahead per fault (vmgr's policy),
 * and eager anonymous memory (map: frames zeroed and mapped at once, then
 * touched) for comparison. Under -icount
 * shift=0 the TSC counts instructions: the goal is under 3,000 per page.
 * Printed, never asserted. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <execrt/sys.h>

#include "../guest/gutil.h"
#include "bench.h"

#define VM_PAGES   256
#define VM_BATCHES 9

static handle_t recv_h, send_h;

/* The pager loop: a plain message (no reply) carries a new memory object
 * to serve and how many pages to supply per fault; a call is a fault. */
static int64_t pager_loop(handle_t recv, handle_t vmo, uint64_t ahead)
{
	uint8_t buf[sizeof(struct pager_fault)];
	handle_t h = 0;
	struct port_rx rx = {
		.buf = buf, .cap = sizeof(buf), .handles = &h, .hcap = 1};
	long r = sys_port_recv(recv, &rx, DEADLINE_NONE);
	while (r == 0) {
		handle_t reply = rx.reply;
		if (!reply) { /* the next run's object */
			if (!rx.nhandles)
				break; /* stop */
			if (vmo)
				sys_handle_close(vmo);
			vmo = h;
			memcpy(&ahead, buf, sizeof(ahead));
			rx = (struct port_rx){.buf = buf,
					      .cap = sizeof(buf),
					      .handles = &h,
					      .hcap = 1};
			r = sys_port_recv(recv, &rx, DEADLINE_NONE);
			continue;
		}
		struct pager_fault pf;
		memcpy(&pf, buf, sizeof(pf));
		uint64_t len = ahead * PAGE_SIZE_USER;
		uint64_t end = (uint64_t)VM_PAGES * PAGE_SIZE_USER;
		if (pf.offset + len > end)
			len = end - pf.offset;
		sys_pager_supply(vmo, pf.offset, len, NULL);
		struct port_msg m = {0};
		rx = (struct port_rx){.buf = buf,
				      .cap = sizeof(buf),
				      .handles = &h,
				      .hcap = 1};
		r = sys_port_reply_recv(reply, &m, recv, &rx, DEADLINE_NONE);
	}
	if (vmo)
		sys_handle_close(vmo);
	return 0;
}

/* "bench pager H": the pager as its own task (what vmgr is). */
int vm_pager_main(handle_t recv)
{
	return (int)pager_loop(recv, 0, 1);
}

static int64_t pager(uint64_t ahead)
{
	return pager_loop(recv_h, 0, ahead);
}

static int other_task; /* the pager is a child task */

/* TSC per page for touching VM_PAGES fresh pages of memory: pager-backed
 * (ahead > 0) or eager anonymous (ahead 0). */
static uint64_t touch_run(uint64_t ahead)
{
	uint64_t len = (uint64_t)VM_PAGES * PAGE_SIZE_USER, addr = 0;
	struct vm_map_req req = {.len = len,
				 .prot = VM_PROT_READ | VM_PROT_WRITE};
	uint64_t t0 = 0;
	handle_t v = 0;
	if (ahead) {
		if (sys_pager_vmo_create(send_h, 1, len, &v) < 0 ||
		    sys_vm_map(g_self(), v, &req, &addr) < 0)
			return 0;
		handle_t d = g_dup(v, RIGHT_SAME);
		struct port_msg m = {.data = &ahead,
				     .len = sizeof(ahead),
				     .nhandles = 1,
				     .handles = &d};
		if (sys_port_send(send_h, &m, DEADLINE_NONE) < 0)
			return 0;
		t0 = bench_rdtsc();
	} else {
		t0 = bench_rdtsc(); /* the map zeroes and maps every frame */
		if (sys_vm_map(g_self(), HANDLE_INVALID, &req, &addr) < 0)
			return 0;
	}
	for (uint64_t i = 0; i < VM_PAGES; i++)
		*(volatile uint8_t *)(addr + i * PAGE_SIZE_USER) = 1;
	uint64_t per = (bench_rdtsc() - t0) / VM_PAGES;
	sys_vm_unmap(g_self(), addr, len);
	if (v)
		sys_handle_close(v);
	return per;
}

static void figure(const char *name, uint64_t ahead, uint64_t goal)
{
	struct gthread t;
	if (ahead && !other_task && gthread_start(&t, pager, ahead) < 0)
		return;
	uint64_t per[VM_BATCHES];
	touch_run(ahead); /* warm */
	for (int b = 0; b < VM_BATCHES; b++)
		per[b] = touch_run(ahead);
	if (ahead && !other_task) {
		struct port_msg stop = {0};
		sys_port_send(send_h, &stop, DEADLINE_NONE);
		gthread_join(&t, DEADLINE_NONE, NULL);
	}
	qsort(per, VM_BATCHES, sizeof(per[0]), bench_cmp_u64);
	printf("bench: %-34s median %8llu  min %8llu  max %8llu cycles/page",
	       name, (unsigned long long)per[VM_BATCHES / 2],
	       (unsigned long long)per[0],
	       (unsigned long long)per[VM_BATCHES - 1]);
	/* The goal counts instructions: it means something under icount. */
	if (goal)
		printf("  goal <= %llu (icount): %s", (unsigned long long)goal,
		       per[VM_BATCHES / 2] <= goal ? "met" : "over");
	printf("\n");
}

void vm_benches(void)
{
	if (sys_port_create(0, &recv_h, &send_h) < 0)
		return;
	figure("first touch, pager thread, 1/fault", 1, 0);
	figure("first touch, pager thread, 16 ahead", 16, 0);
	sys_handle_close(recv_h);
	sys_handle_close(send_h);
	/* The pager in a task of its own, as vmgr is (goal: < 3000 per
	 * page under icount). */
	struct child c;
	if (g_initrd_load() < 0 || sys_port_create(0, &recv_h, &send_h) < 0)
		return;
	if (g_spawn_ex("bench", "pager @", 4ull << 20, 0, recv_h,
		       RIGHT_READ | RIGHT_MANAGE, &c) == 0) {
		other_task = 1;
		figure("first touch via pager task, 1/fault", 1, 0);
		figure("first touch via pager task, 16 ahead", 16, 3000);
		other_task = 0;
		struct port_msg stop = {0};
		sys_port_send(send_h, &stop, DEADLINE_NONE);
		g_reap(&c, 1000 * MS, NULL);
	}
	sys_handle_close(send_h);
	figure("anonymous map + touch (eager)", 0, 0);
}
