/* Handles: info, close, duplicate (rights only kept or reduced), stale
 * values (generations), wrong types, the per-task quota. */
#include <string.h>

#include "gtest.h"
#include "gutil.h"

#define HANDLE_QUOTA 1024

GTEST(handle_info_start_handles)
{
	struct handle_info hi;
	GCHECK_OK(sys_handle_info(g_self(), &hi));
	GCHECK_EQ(hi.type, OBJ_TASK);
	uint32_t want =
		RIGHT_MANAGE | RIGHT_WAIT | RIGHT_DUPLICATE | RIGHT_TRANSFER;
	GCHECK_EQ(hi.rights & want, want);
	GCHECK(hi.koid != 0);
	GCHECK_OK(sys_handle_info(execrt_handle(START_H_SELF_THREAD), &hi));
	GCHECK_EQ(hi.type, OBJ_THREAD);
	GCHECK_OK(sys_handle_info(g_console(), &hi));
	GCHECK_EQ(hi.type, OBJ_RESOURCE);
	GCHECK(hi.rights & RIGHT_WRITE);
	GCHECK_OK(sys_handle_info(g_sysinfo(), &hi));
	GCHECK(hi.rights & RIGHT_READ);
	GCHECK_OK(sys_handle_info(g_initrd(), &hi));
	GCHECK_EQ(hi.type, OBJ_VMO);
	GCHECK(hi.rights & RIGHT_READ);
	GCHECK(!(hi.rights & (RIGHT_WRITE | RIGHT_EXECUTE)));
}

GTEST(handle_info_bad_input)
{
	struct handle_info hi;
	GCHECK_ERR(sys_handle_info(HANDLE_INVALID, &hi), ERR_BAD_HANDLE);
	GCHECK_ERR(sys_handle_info(0xffffffffu, &hi), ERR_BAD_HANDLE);
	GCHECK_ERR(sys_handle_info(g_self(), NULL), ERR_FAULT);
	GCHECK_ERR(sys_handle_info(g_self(), (void *)KERNEL_PTR), ERR_FAULT);
	GCHECK_ERR(sys_handle_info(g_self(), (void *)NONCANON_PTR), ERR_FAULT);
	GCHECK_ERR(sys_handle_info(g_self(), (void *)g_unmapped_addr()),
		   ERR_FAULT);
	GCHECK_ERR(sys_handle_info(g_self(), (void *)&g_self), ERR_FAULT);
}

GTEST(handle_close_bad)
{
	handle_t v;
	GCHECK_ERR(sys_handle_close(HANDLE_INVALID), ERR_BAD_HANDLE);
	GCHECK_ERR(sys_handle_close(0x7fff1234), ERR_BAD_HANDLE);
	GCHECK_OK(sys_vmo_create(PAGE, &v));
	GCHECK_OK(sys_handle_close(v));
	GCHECK_ERR(sys_handle_close(v), ERR_BAD_HANDLE);
}

GTEST(handle_dup_keeps_or_reduces_rights)
{
	handle_t v, same, less, none;
	struct handle_info a, b;
	GCHECK_OK(sys_vmo_create(PAGE, &v));
	GCHECK_OK(sys_handle_info(v, &a));
	GCHECK_OK(sys_handle_dup(v, RIGHT_SAME, &same));
	GCHECK(same != v);
	GCHECK_OK(sys_handle_info(same, &b));
	GCHECK_EQ(b.rights, a.rights);
	GCHECK_EQ(b.koid, a.koid);
	GCHECK_EQ(b.type, OBJ_VMO);
	GCHECK_OK(sys_handle_dup(v, RIGHT_READ | RIGHT_DUPLICATE, &less));
	GCHECK_OK(sys_handle_info(less, &b));
	GCHECK_EQ(b.rights, RIGHT_READ | RIGHT_DUPLICATE);
	GCHECK_EQ(b.koid, a.koid);
	/* Rights once dropped cannot come back. */
	handle_t h = 1;
	GCHECK_ERR(sys_handle_dup(less,
				  RIGHT_READ | RIGHT_WRITE | RIGHT_DUPLICATE,
				  &h),
		   ERR_ACCESS_DENIED);
	GCHECK_OK(sys_handle_dup(less, 0, &none));
	GCHECK_OK(sys_handle_info(none, &b));
	GCHECK_EQ(b.rights, 0);
	/* No DUPLICATE right: no duplicates at all. */
	GCHECK_ERR(sys_handle_dup(none, RIGHT_SAME, &h), ERR_ACCESS_DENIED);
	GCHECK_ERR(sys_handle_dup(none, 0, &h), ERR_ACCESS_DENIED);
	GCHECK_OK(sys_handle_close(none));
	GCHECK_OK(sys_handle_close(less));
	GCHECK_OK(sys_handle_close(same));
	GCHECK_OK(sys_handle_close(v));
}

GTEST(handle_dup_bad_input)
{
	handle_t v, h;
	GCHECK_OK(sys_vmo_create(PAGE, &v));
	GCHECK_ERR(sys_handle_dup(HANDLE_INVALID, RIGHT_SAME, &h),
		   ERR_BAD_HANDLE);
	GCHECK_ERR(sys_handle_dup(v, 1u << 20, &h), ERR_INVALID_ARGS);
	GCHECK_ERR(sys_handle_dup(v, RIGHT_SAME | RIGHT_READ, &h),
		   ERR_INVALID_ARGS);
	/* A failed copy-out must not leave a handle behind: the object
	 * would outlive the close below (the leak check sees it). */
	GCHECK_ERR(sys_handle_dup(v, RIGHT_SAME, NULL), ERR_FAULT);
	GCHECK_ERR(sys_handle_dup(v, RIGHT_SAME, (handle_t *)KERNEL_PTR),
		   ERR_FAULT);
	GCHECK_ERR(sys_handle_dup(v, RIGHT_SAME, (handle_t *)&g_dup),
		   ERR_FAULT);
	GCHECK_ERR(sys_handle_dup(v, RIGHT_SAME, (handle_t *)g_unmapped_addr()),
		   ERR_FAULT);
	GCHECK_OK(sys_handle_close(v));
}

/* Closing frees the slot; the next object reuses it with a new
 * generation, so the old value names nothing. */
GTEST(handle_stale_values_fail)
{
	static handle_t old[64];
	handle_t v;
	for (int i = 0; i < 64; i++) {
		GCHECK_OK(sys_vmo_create(PAGE, &old[i]));
		GCHECK_OK(sys_handle_close(old[i]));
	}
	GCHECK_OK(sys_vmo_create(PAGE, &v));
	struct handle_info hi;
	uint64_t dummy;
	for (int i = 0; i < 64; i++) {
		GCHECK(old[i] != v);
		GCHECK_ERR(sys_handle_info(old[i], &hi), ERR_BAD_HANDLE);
		GCHECK_ERR(sys_vmo_get_size(old[i], &dummy), ERR_BAD_HANDLE);
		GCHECK_ERR(sys_handle_close(old[i]), ERR_BAD_HANDLE);
	}
	GCHECK_OK(sys_vmo_get_size(v, &dummy));
	GCHECK_OK(sys_handle_close(v));
}

/* Every call that takes a handle refuses a closed one. */
GTEST(handle_closed_refused_everywhere)
{
	handle_t d, h;
	GCHECK_OK(sys_vmo_create(PAGE, &d));
	GCHECK_OK(sys_handle_close(d));
	char buf[8] = "x";
	uint64_t u;
	int64_t st;
	struct handle_info hi;
	struct kernel_stats ks;
	struct fault_report fr;
	struct vm_map_req req = {.len = PAGE, .prot = VM_PROT_READ};
	GCHECK_ERR(sys_debug_write(d, buf, 1), ERR_BAD_HANDLE);
	GCHECK_ERR(sys_handle_dup(d, RIGHT_SAME, &h), ERR_BAD_HANDLE);
	GCHECK_ERR(sys_handle_info(d, &hi), ERR_BAD_HANDLE);
	GCHECK_ERR(sys_task_create(d, "x", 1, PAGE, &h), ERR_BAD_HANDLE);
	GCHECK_ERR(sys_task_kill(d, 0), ERR_BAD_HANDLE);
	GCHECK_ERR(sys_thread_create(d, "x", 1, &h), ERR_BAD_HANDLE);
	GCHECK_ERR(sys_thread_start(d, 0x400000, 0x500000, 0), ERR_BAD_HANDLE);
	GCHECK_ERR(sys_object_wait(d, DEADLINE_POLL, &st), ERR_BAD_HANDLE);
	GCHECK_ERR(sys_vm_map(d, HANDLE_INVALID, &req, &u), ERR_BAD_HANDLE);
	GCHECK_ERR(sys_vm_map(g_self(), d, &req, &u), ERR_BAD_HANDLE);
	GCHECK_ERR(sys_vm_unmap(d, 0x10000000, PAGE), ERR_BAD_HANDLE);
	GCHECK_ERR(sys_vm_protect(d, 0x10000000, PAGE, VM_PROT_READ),
		   ERR_BAD_HANDLE);
	GCHECK_ERR(sys_vmo_read(d, buf, 0, 1), ERR_BAD_HANDLE);
	GCHECK_ERR(sys_vmo_write(d, buf, 0, 1), ERR_BAD_HANDLE);
	GCHECK_ERR(sys_vmo_get_size(d, &u), ERR_BAD_HANDLE);
	struct sched_params sp = {.cls = SCHED_CLASS_BE, .cpu = SCHED_CPU_KEEP};
	GCHECK_ERR(sys_sched_set(g_sched(), d, &sp), ERR_BAD_HANDLE);
	GCHECK_ERR(sys_sched_set(d, execrt_handle(START_H_SELF_THREAD), &sp),
		   ERR_BAD_HANDLE);
	GCHECK_ERR(sys_sched_get(d, &sp), ERR_BAD_HANDLE);
	GCHECK_ERR(sys_task_give_handle(d, g_console(), RIGHT_SAME, &h),
		   ERR_BAD_HANDLE);
	GCHECK_ERR(sys_task_give_handle(g_self(), d, RIGHT_SAME, &h),
		   ERR_BAD_HANDLE);
	GCHECK_ERR(sys_kernel_stats(d, &ks), ERR_BAD_HANDLE);
	GCHECK_ERR(sys_task_set_fault_handler(d, 1), ERR_BAD_HANDLE);
	GCHECK_ERR(sys_fault_wait(d, DEADLINE_POLL, &fr), ERR_BAD_HANDLE);
	GCHECK_ERR(sys_fault_resume(d, 1), ERR_BAD_HANDLE);
}

/* A handle of the wrong kind gets ERR_WRONG_TYPE. */
GTEST(handle_wrong_type)
{
	handle_t v, h;
	char buf[4];
	uint64_t u;
	struct fault_report fr;
	struct sched_params sp = {.cls = SCHED_CLASS_BE, .cpu = SCHED_CPU_KEEP};
	GCHECK_OK(sys_vmo_create(PAGE, &v));
	struct vm_map_req req = {.len = PAGE, .prot = VM_PROT_READ};
	long r[] = {
		sys_vmo_read(g_self(), buf, 0, 1),
		sys_vmo_write(g_console(), buf, 0, 1),
		sys_vmo_get_size(execrt_handle(START_H_SELF_THREAD), &u),
		sys_task_kill(v, 0),
		sys_task_create(v, "x", 1, PAGE, &h),
		sys_thread_create(v, "x", 1, &h),
		sys_thread_start(v, 0x400000, 0x500000, 0),
		sys_sched_set(g_sched(), g_self(), &sp),
		sys_sched_set(g_self(), execrt_handle(START_H_SELF_THREAD), &sp),
		sys_sched_get(v, &sp),
		sys_sched_trace_read(g_sched(), 0, 0, NULL, 0, NULL),
		sys_vm_map(v, HANDLE_INVALID, &req, &u),
		sys_vm_map(g_self(), g_self(), &req, &u),
		sys_vm_unmap(v, 0x10000000, PAGE),
		sys_task_give_handle(v, g_console(), RIGHT_SAME, &h),
		sys_task_set_fault_handler(v, 1),
		sys_fault_wait(v, DEADLINE_POLL, &fr),
		sys_fault_resume(v, 1),
		sys_object_wait(v, DEADLINE_POLL, (int64_t *)&u),
	};
	sys_handle_close(v);
	for (unsigned i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
		if (r[i] != ERR_WRONG_TYPE)
			printf("    call %u: %s\n", i, err_name(r[i]));
		GCHECK_ERR(r[i], ERR_WRONG_TYPE);
	}
}

/* 1024 handles per task: then ERR_NO_RESOURCES; closing one makes room. */
GTEST(handle_quota)
{
	static handle_t h[HANDLE_QUOTA + 8];
	unsigned n = 0;
	long r = 0;
	gtest_allow_growth(); /* the table stays at its grown size */
	while (n < HANDLE_QUOTA + 8) {
		r = sys_handle_dup(g_console(), RIGHT_SAME, &h[n]);
		if (r < 0)
			break;
		n++;
	}
	long again = r < 0 ? sys_handle_dup(g_console(), RIGHT_SAME, &h[n]) : 0;
	/* Still usable: one closed, one more fits, then full again. */
	long reuse = -1, full = -1;
	if (n > 0) {
		sys_handle_close(h[--n]);
		reuse = sys_handle_dup(g_console(), RIGHT_SAME, &h[n]);
		if (reuse == 0)
			n++;
		full = sys_handle_dup(g_console(), RIGHT_SAME, &h[n]);
		if (full == 0)
			n++;
	}
	unsigned got = n;
	while (n > 0)
		sys_handle_close(h[--n]);
	GCHECK_ERR(r, ERR_NO_RESOURCES);
	GCHECK_ERR(again, ERR_NO_RESOURCES);
	GCHECK_ERR(reuse, 0);
	GCHECK_ERR(full, ERR_NO_RESOURCES);
	/* The start-up handles and a few of the suite's own count too. */
	GCHECK(got <= HANDLE_QUOTA && got >= HANDLE_QUOTA - 32);
	handle_t v;
	GCHECK_OK(sys_vmo_create(PAGE, &v));
	GCHECK_OK(sys_handle_close(v));
}
