/* Faults of a child's threads: reported to the parent when it asked for
 * it (SYS_TASK_SET_FAULT_HANDLER), resumable after a fix; without a
 * handler the task is ended and everything it held is freed. */
#include <string.h>

#include "gchild.h"
#include "gtest.h"
#include "gutil.h"

#define WAIT_NS	   (5000 * MS)
#define PF_USER	   (1u << 2) /* page-fault error code bits */
#define PF_WRITE   (1u << 1)
#define PF_PRESENT 1u

/* Child text lies at 0x400000 (mk/user.mk links it there). */
static int rip_in_child(uint64_t rip)
{
	return rip >= 0x400000 && rip < 0x400000 + (64ull << 20);
}

/* Start mode with a handler, take its one report, kill it. */
static long fault_report_of(const char *mode, struct fault_report *rep,
			    uint64_t *koid)
{
	struct child c;
	long r = g_spawn(CHILD_FAULT, mode, CHILD_QUOTA, 1, &c);
	if (r < 0)
		return r;
	*koid = c.thread_koid;
	memset(rep, 0, sizeof(*rep));
	r = sys_fault_wait(c.task, g_now() + WAIT_NS, rep);
	/* Exactly one report: the thread stays suspended. */
	struct fault_report more;
	long again = sys_fault_wait(c.task, g_now() + 20 * MS, &more);
	int64_t st;
	long alive = sys_object_wait(c.task, DEADLINE_POLL, &st);
	g_reap(&c, 0, NULL);
	if (r < 0)
		return r;
	if (again != ERR_TIMED_OUT || alive != ERR_TIMED_OUT) {
		printf("    second report: %s, task wait: %s\n",
		       err_name(again), err_name(alive));
		return -1000;
	}
	return 0;
}

GTEST(fault_report_page_fault)
{
	struct fault_report rep;
	uint64_t koid;
	GCHECK_OK(fault_report_of("pf", &rep, &koid));
	GCHECK_EQ(rep.vector, 14);
	GCHECK_EQ(rep.addr, 8);
	GCHECK(rep.error & PF_USER);
	GCHECK(!(rep.error & (PF_WRITE | PF_PRESENT)));
	GCHECK_EQ(rep.thread_koid, koid);
	GCHECK(rip_in_child(rep.rip));
	GCHECK(rep.rsp >= USER_BASE && rep.rsp < USER_TOP);
}

GTEST(fault_report_general_protection)
{
	struct fault_report rep;
	uint64_t koid;
	GCHECK_OK(fault_report_of("gp", &rep, &koid));
	GCHECK_EQ(rep.vector, 13);
	GCHECK_EQ(rep.error, 0);
	GCHECK_EQ(rep.thread_koid, koid);
	GCHECK(rip_in_child(rep.rip));
}

GTEST(fault_report_invalid_opcode)
{
	struct fault_report rep;
	uint64_t koid;
	GCHECK_OK(fault_report_of("ud", &rep, &koid));
	GCHECK_EQ(rep.vector, 6);
	GCHECK_EQ(rep.thread_koid, koid);
	GCHECK(rip_in_child(rep.rip));
}

GTEST(fault_report_divide_error)
{
	struct fault_report rep;
	uint64_t koid;
	GCHECK_OK(fault_report_of("de", &rep, &koid));
	GCHECK_EQ(rep.vector, 0);
	GCHECK_EQ(rep.thread_koid, koid);
	GCHECK(rip_in_child(rep.rip));
}

/* No handler: the task ends by itself and frees all (leak check). */
GTEST(fault_without_handler_ends_task)
{
	static const char *const modes[] = {"pf", "gp", "ud", "de"};
	for (unsigned i = 0; i < 4; i++) {
		struct child c;
		int64_t st = 0;
		GCHECK_OK(g_spawn(CHILD_FAULT, modes[i], CHILD_QUOTA, 0, &c));
		long r = g_reap(&c, WAIT_NS, &st);
		if (r)
			printf("    mode %s: %s\n", modes[i], err_name(r));
		GCHECK_OK(r);
		/* Not one of the child's own exit codes (it never got
		 * past the fault). */
		GCHECK(st < 200 || st > 255);
	}
}

/* The handler makes the page writable and resumes: the write retries and
 * succeeds; the child exits with the byte it wrote. */
GTEST(fault_resume_after_fix)
{
	struct child c;
	struct fault_report rep;
	int64_t st = 0;
	GCHECK_OK(g_spawn(CHILD_FAULT, "pfw", CHILD_QUOTA, 1, &c));
	long w = sys_fault_wait(c.task, g_now() + WAIT_NS, &rep);
	long p = -100, res = -100;
	if (w == 0) {
		p = sys_vm_protect(c.task, PFW_ADDR, PAGE,
				   VM_PROT_READ | VM_PROT_WRITE);
		res = sys_fault_resume(c.task, rep.thread_koid);
	}
	long r = g_reap(&c, WAIT_NS, &st);
	GCHECK_OK(w);
	GCHECK_EQ(rep.vector, 14);
	GCHECK_EQ(rep.addr, PFW_ADDR);
	GCHECK(rep.error & PF_WRITE);
	GCHECK(rep.error & PF_PRESENT);
	GCHECK_OK(p);
	GCHECK_OK(res);
	GCHECK_OK(r);
	GCHECK_EQ(st, PFW_BYTE);
}

/* Resumed without a fix, the instruction faults again: a second report. */
GTEST(fault_resume_refaults)
{
	struct child c;
	struct fault_report a, b;
	GCHECK_OK(g_spawn(CHILD_FAULT, "pfw", CHILD_QUOTA, 1, &c));
	long w1 = sys_fault_wait(c.task, g_now() + WAIT_NS, &a);
	long res = w1 == 0 ? sys_fault_resume(c.task, a.thread_koid) : -100;
	long w2 = sys_fault_wait(c.task, g_now() + WAIT_NS, &b);
	/* A thread id that is not suspended in this task. */
	long bogus = sys_fault_resume(c.task, 0xfffffffffull);
	g_reap(&c, 0, NULL);
	GCHECK_OK(w1);
	GCHECK_OK(res);
	GCHECK_OK(w2);
	GCHECK_EQ(b.addr, a.addr);
	GCHECK_EQ(b.rip, a.rip);
	GCHECK_EQ(b.thread_koid, a.thread_koid);
	GCHECK_ERR(bogus, ERR_NOT_FOUND);
}

GTEST(fault_calls_bad_input)
{
	struct child c;
	struct fault_report rep;
	handle_t v;
	GCHECK_OK(sys_vmo_create(PAGE, &v));
	GCHECK_OK(g_spawn(CHILD_WORK, "spin", CHILD_QUOTA, 1, &c));
	handle_t weak = g_dup(c.task, RIGHT_WAIT | RIGHT_DUPLICATE);
	long r[] = {
		sys_task_set_fault_handler(HANDLE_INVALID, 1),
		sys_task_set_fault_handler(v, 1),
		sys_task_set_fault_handler(weak, 1),
		sys_fault_wait(HANDLE_INVALID, DEADLINE_POLL, &rep),
		sys_fault_wait(v, DEADLINE_POLL, &rep),
		sys_fault_wait(weak, DEADLINE_POLL, &rep),
		sys_fault_resume(weak, c.thread_koid),
		/* Nothing has faulted. */
		sys_fault_wait(c.task, DEADLINE_POLL, &rep),
		sys_fault_wait(c.task, g_now() + 10 * MS, &rep),
		sys_fault_resume(c.task, 0),
		sys_fault_resume(c.task, 0xffffffffffffull),
	};
	long want[] = {ERR_BAD_HANDLE,	  ERR_WRONG_TYPE, ERR_ACCESS_DENIED,
		       ERR_BAD_HANDLE,	  ERR_WRONG_TYPE, ERR_ACCESS_DENIED,
		       ERR_ACCESS_DENIED, ERR_TIMED_OUT,  ERR_TIMED_OUT,
		       ERR_NOT_FOUND,	  ERR_NOT_FOUND};
	sys_handle_close(weak);
	g_reap(&c, 0, NULL);
	sys_handle_close(v);
	for (unsigned i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
		if (r[i] != want[i])
			printf("    call %u: %s\n", i, err_name(r[i]));
		GCHECK_ERR(r[i], want[i]);
	}
}

/* The handler can be switched on and off (any non-zero enables). */
GTEST(fault_handler_toggle)
{
	handle_t t;
	int64_t st;
	GCHECK_OK(sys_task_create(g_self(), "x", 1, PAGE * 16, &t));
	long on = sys_task_set_fault_handler(t, 1);
	long off = sys_task_set_fault_handler(t, 0);
	sys_task_kill(t, 0);
	sys_object_wait(t, DEADLINE_NONE, &st);
	sys_handle_close(t);
	GCHECK_OK(on);
	GCHECK_OK(off);
}

/* Killing a task whose thread sits suspended in a fault frees it all. */
GTEST(fault_kill_suspended)
{
	struct child c;
	struct fault_report rep;
	int64_t st = 0;
	GCHECK_OK(g_spawn(CHILD_FAULT, "ud", CHILD_QUOTA, 1, &c));
	long w = sys_fault_wait(c.task, g_now() + WAIT_NS, &rep);
	long k = sys_task_kill(c.task, 66);
	long r = g_reap(&c, WAIT_NS, &st);
	GCHECK_OK(w);
	GCHECK_OK(k);
	GCHECK_OK(r);
	GCHECK_EQ(st, 66);
}
