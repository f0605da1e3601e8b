/* guest-tests: the root task in test mode. Runs every GTEST (or those whose
 * name contains the filter) and exits 0 when all passed, else 1; the kernel
 * turns that into QEMU's exit code. Filter: a word "gtest=<text>" anywhere
 * on the command line, or a plain first argument. */
#include <stdbool.h>
#include <string.h>

#include "gtest.h"
#include "gutil.h"

static int g_argc;
static char **g_argv;

const char *g_arg(const char *key)
{
	size_t n = strlen(key);
	for (int i = 1; i < g_argc; i++)
		if (!strncmp(g_argv[i], key, n) && g_argv[i][n] == '=')
			return g_argv[i] + n + 1;
	return NULL;
}

static const char *find_filter(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (!strncmp(argv[i], "gtest=", 6))
			return argv[i] + 6;
	if (argc >= 2 && !strchr(argv[1], '=') && strcmp(argv[1], "utest"))
		return argv[1];
	return NULL;
}

static int64_t warm_thread(uint64_t arg)
{
	return (int64_t)arg;
}

/* Caches the kernel fills on first use (slab pages, handle table, page
 * tables of our heap) are filled before any baseline is taken. */
static void warm_up(void)
{
	struct child c;
	int64_t st;
	if (g_spawn(CHILD_WORK, "exit:0", CHILD_QUOTA, 0, &c) == 0)
		g_reap(&c, 5000 * MS, &st);
	/* As many threads at once as the biggest thread test, so the
	 * kernel's thread-object slabs have grown (it keeps one spare). */
	struct gthread t[8];
	bool ok[8];
	for (int i = 0; i < 8; i++)
		ok[i] = gthread_start(&t[i], warm_thread, 1) == 0;
	for (int i = 0; i < 8; i++)
		if (ok[i])
			gthread_join(&t[i], DEADLINE_NONE, &st);
	handle_t v[32];
	for (int i = 0; i < 32; i++)
		if (sys_vmo_create(PAGE, &v[i]) < 0)
			v[i] = HANDLE_INVALID;
	for (int i = 0; i < 32; i++)
		sys_handle_close(v[i]);
}

int main(int argc, char **argv)
{
	const struct start_info *si = execrt_start_info();
	g_argc = argc;
	g_argv = argv;
	printf("guest-tests: start_info %s, quota %llu KiB\n",
	       si ? "present" : "MISSING",
	       si ? (unsigned long long)(si->mem_quota >> 10) : 0ull);
	long r = g_initrd_load();
	if (r < 0)
		printf("guest-tests: no initrd (%s): child tests will fail\n",
		       err_name(r));
	warm_up();
	return gtest_run(find_filter(argc, argv));
}
