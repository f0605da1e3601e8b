/* guest-child-work: does what argv[1] says, for the task tests.
 *   exit:N  exit with status N at once
 *   spin    loop forever (to be killed)
 *   hog     map memory until ERR_NO_MEMORY; check the task is still usable;
 *           exit with the KiB it got (negative: what went wrong)
 *   threads start HOLD_THREADS threads that keep running, then end the
 *           task with status 5 while they run
 *   hold    take handles, memory and threads, then spin (to be killed)
 *   vmo:H   read byte 0 of memory object H (given by the parent), try to
 *           write it; exit with the byte | VMO_WRITE_DENIED if refused
 *   regcall:H  a register call on send handle H (to be killed in it)
 *   reghold:H  receive a call in registers on port H, hold it and spin
 *           (to be killed holding it)
 *   bigcall:H  calls on send handle H with BIGCALL_LEN bytes (charged),
 *           one after the other, until a call fails (to be killed in one) */
#include <stdlib.h>
#include <string.h>

#include <execrt/runtime.h>

#include "gchild.h"

#define STACK (16ull << 10)

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

/* Runs without TLS (fs is whatever a new thread gets): no canary use. */
__attribute__((no_stack_protector, noreturn)) static void busy(uint64_t arg)
{
	for (;;) {
		sys_sleep_until((uint64_t)sys_clock_now() + 1000000 * arg);
		sys_yield();
	}
}

static int start_threads(int n)
{
	for (int i = 0; i < n; i++) {
		uint64_t s = map(STACK);
		handle_t t;
		if (!s || sys_thread_create(self(), "busy", 4, &t) < 0)
			return -1;
		if (sys_thread_start(t, (uint64_t)busy, s + STACK - 8,
				     (uint64_t)i + 1) < 0)
			return -1;
		sys_handle_close(t); /* the thread runs on without it */
	}
	return 0;
}

static long hog(void)
{
	uint64_t got = 0, last = 0;
	long r;
	for (;;) {
		struct vm_map_req req = {.len = HOG_CHUNK,
					 .prot = VM_PROT_READ | VM_PROT_WRITE};
		uint64_t a = 0;
		r = sys_vm_map(self(), HANDLE_INVALID, &req, &a);
		if (r < 0)
			break;
		for (uint64_t o = 0; o < HOG_CHUNK; o += PAGE_SIZE_USER)
			((volatile char *)a)[o] = 1;
		got += HOG_CHUNK;
		last = a;
	}
	if (r != ERR_NO_MEMORY)
		return -100 + r;
	if (!last)
		return -1;
	handle_t v;
	if (sys_vmo_create(HOG_CHUNK, &v) != ERR_NO_MEMORY)
		return -2;
	/* Still usable: give one chunk back and take it again. */
	if (sys_vm_unmap(self(), last, HOG_CHUNK) < 0)
		return -3;
	if (!map(HOG_CHUNK))
		return -4;
	return (long)(got >> 10);
}

static void hold(void)
{
	for (int i = 0; i < HOLD_DUPS; i++) {
		handle_t d;
		sys_handle_dup(execrt_handle(START_H_CONSOLE), RIGHT_SAME, &d);
	}
	uint64_t m = map(HOLD_MEM);
	for (uint64_t o = 0; m && o < HOLD_MEM; o += PAGE_SIZE_USER)
		((volatile char *)m)[o] = 1;
	start_threads(HOLD_THREADS);
	for (;;)
		sys_yield();
}

int main(int argc, char **argv)
{
	const char *m = argc > 1 ? argv[1] : "";
	if (!strncmp(m, "exit:", 5))
		return atoi(m + 5);
	if (!strcmp(m, "spin"))
		for (;;)
			sys_yield();
	if (!strcmp(m, "hog"))
		return (int)hog();
	if (!strcmp(m, "threads")) {
		if (start_threads(HOLD_THREADS) < 0)
			return 1;
		sys_sleep_until((uint64_t)sys_clock_now() + 20000000);
		sys_task_exit(5);
	}
	if (!strcmp(m, "hold"))
		hold();
	if (!strncmp(m, "vmo:", 4)) {
		handle_t v = (handle_t)strtoul(m + 4, NULL, 0);
		uint8_t b = 0;
		if (sys_vmo_read(v, &b, 0, 1) < 0)
			return 254;
		long w = sys_vmo_write(v, &b, 0, 1);
		return b | (w == ERR_ACCESS_DENIED ? VMO_WRITE_DENIED : 0);
	}
	if (!strncmp(m, "regcall:", 8) || !strncmp(m, "reghold:", 8)) {
		handle_t h = (handle_t)strtoul(m + 8, NULL, 0);
		struct port_reg io = {.w = {1}};
		if (m[3] == 'c')
			return (int)-sys_port_call_reg(h, 1, &io,
						       DEADLINE_NONE);
		if (sys_port_reply_recv_reg(0, 0, h, &io, DEADLINE_NONE))
			return 251;
		for (;;)
			sys_yield();
	}
	if (!strncmp(m, "bigcall:", 8)) {
		static uint8_t big[BIGCALL_LEN], ans[16];
		handle_t h = (handle_t)strtoul(m + 8, NULL, 0);
		struct port_msg q = {.data = big, .len = BIGCALL_LEN};
		long r;
		do {
			struct port_rx rx = {.buf = ans, .cap = sizeof(ans)};
			r = sys_port_call(h, &q, &rx, DEADLINE_NONE);
		} while (!r);
		return (int)-r;
	}
	return 250;
}
