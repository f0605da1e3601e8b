/* Plain mmap() through vmgr (docs/userland.md "Memory mappings"): names,
 * fsd and vmgr as children (vmgr registers /svc/vmgr as under init), then
 * apps/mmaptest run with a small quota: a file of /boot/share mapped
 * byte for byte, a 64 MiB MAP_NORESERVE region touched sparsely, munmap
 * giving the pages back (its mem_used and vmgr's usage). Without vmgr:
 * ENODEV for files, eager memory for MAP_NORESERVE. The harness checks
 * the kernel's counters after each test. */
#include <string.h>

#include <execrt/errors.h>
#include <execrt/rights.h>
#include <execrt/vmgr_proto.h>

#include "cl_ports.h"
#include "fsd_env.h"
#include "gtest.h"
#include "gutil.h"

#define VMGR_BADGE     90
#define LOOK_BADGE     2 /* fsd_env's: may look up anything */
#define VMGR_QUOTA     (8ull << 20)
#define MMAPTEST_QUOTA (6ull << 20) /* far below the 64 MiB it maps */
#define RUN_WAIT       (60000 * MS)

static long start_vmgr(struct fsd_env *e, struct child *vm)
{
	long r = nenv_acl(&e->ns, VMGR_BADGE, "[\"" VMGR_NAME "\"]", "[]");
	if (r < 0)
		return r;
	g_spawn_names = nenv_mint(&e->ns, VMGR_BADGE);
	g_spawn_sysinfo = g_sysinfo();
	r = g_spawn("vmgr", "", VMGR_QUOTA, 0, vm);
	sys_handle_close(g_spawn_names);
	g_spawn_names = HANDLE_INVALID;
	g_spawn_sysinfo = HANDLE_INVALID;
	if (r < 0)
		return r;
	/* Registered once a lookup finds it. */
	struct cl_conn c;
	cl_set_names(e->lookup);
	r = cl_connect(VMGR_NAME, g_now() + 5000 * MS, &c);
	cl_set_names(HANDLE_INVALID);
	if (r == 0)
		cl_close(&c);
	return r;
}

/* mmaptest with args: its exit status. */
static int64_t run_mmaptest(struct fsd_env *e, const char *args)
{
	struct child c;
	int64_t st = -1;
	g_spawn_names = nenv_mint(&e->ns, LOOK_BADGE);
	g_spawn_sysinfo = g_sysinfo();
	long r = g_spawn("mmaptest", args, MMAPTEST_QUOTA, 0, &c);
	sys_handle_close(g_spawn_names);
	g_spawn_names = HANDLE_INVALID;
	g_spawn_sysinfo = HANDLE_INVALID;
	if (r < 0)
		return -1000;
	if (g_reap(&c, RUN_WAIT, &st) == ERR_TIMED_OUT)
		return -1001;
	return st;
}

static void run(int with_vmgr)
{
	gtest_allow_growth();
	struct fsd_env e;
	long r = fenv_start(&e, "");
	if (r == 1)
		return; /* no fsd in this initrd */
	GCHECK_OK(r);
	struct child vm = {0};
	if (with_vmgr)
		r = start_vmgr(&e, &vm);
	int64_t st = r ? -1 : run_mmaptest(&e, with_vmgr ? "" : "novmgr");
	if (vm.task)
		g_reap(&vm, 0, NULL); /* kills it */
	fenv_stop(&e);
	GCHECK_OK(r);
	GCHECK_EQ(st, 0);
}

GTEST(mmap_file_and_noreserve_through_vmgr)
{
	run(1);
}

GTEST(mmap_without_vmgr_enodev_and_eager)
{
	run(0);
}
