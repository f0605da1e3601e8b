/* REVIEW-18 (fd table, libs/runtime/fd_glue.c): two threads of one
 * program, one per CPU, doing file I/O at once through the runtime's
 * glue against the real fsd. POSIX wants read/write on regular files
 * atomic with respect to each other (2.9.7), and pread/pwrite exist for
 * threads sharing one fd; neither may see the other's bytes.
 *
 * R1: an fd's bulk window (one per fd, set up on the first large I/O)
 * was used by every thread at once: fsd put thread B's bytes in the
 * window while thread A copied its own out of it (and both set one up
 * at first, one leaking). R2: writev's join buffer was one static array
 * for the whole program: two threads writev-ing small pieces (musl's
 * stdio flush is a writev) to two files copied into it at once, so a
 * file got the other thread's bytes. Under both: fs_conn.c's static
 * message buffers and fs_glue.c's static path buffers, shared by every
 * thread's calls. Both tests failed on the old code within seconds
 * (foreign bytes); now every fsd call holds the file client's lock, the
 * window is used under it, and the buffers are the caller's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <execrt/cpio.h>
#include <execrt/errors.h>
#include <execrt/fd.h>
#include <execrt/rights.h>
#include <execrt/runtime.h>

#include "cl_ports.h"
#include "gtest.h"
#include "gutil.h"
#include "names_env.h"

#define SC(n, a, b, c, d, e, f)                                                \
	__execrt_syscall(SYS_##n, (long)(a), (long)(b), (long)(c), (long)(d),  \
			 (long)(e), (long)(f))
#define FSD_QUOTA (24ull << 20)
#define FSD_ARGS  "--tmp-size 4M --initrd @"
#define RACE_NS	  (3000 * MS)
#define FILE_LEN  (256u * 1024)
#define CHUNK	  (8u * 1024) /* above FS_INLINE_MAX: the bulk window */
#define PIECE	  700u	      /* a writev of 2 pieces: the join buffer */

static struct {
	struct names_env n;
	handle_t ns;
	struct child fsd;
} env;

static long env_start(void)
{
	memset(&env, 0, sizeof(env));
	struct cpio_file f;
	if (cpio_find(g_initrd_buf, g_initrd_len, "bin/fsd", &f) != CPIO_OK)
		return 1;
	long r = nenv_start(&env.n);
	if (r)
		return r;
	if (!(env.ns = nenv_mint(&env.n, 2)))
		return ERR_NO_MEMORY;
	if ((r = nenv_acl(&env.n, 2, "[\"*\"]", "[\"*\"]")) < 0)
		return r;
	g_spawn_names = env.ns;
	cl_set_names(env.ns);
	execrt_fs_disconnect();
	handle_t initrd = g_dup(g_initrd(), RIGHT_SAME);
	if (!initrd)
		return ERR_NO_MEMORY;
	r = g_spawn_ex("fsd", FSD_ARGS, FSD_QUOTA, 0, initrd, RIGHT_SAME,
		       &env.fsd);
	if (r < 0)
		sys_handle_close(initrd);
	return r;
}

static void env_stop(void)
{
	int64_t st;
	execrt_fs_disconnect();
	if (env.fsd.task) {
		sys_task_kill(env.fsd.task, -1);
		g_reap(&env.fsd, 2000 * MS, &st);
	}
	nenv_stop(&env.n);
	g_spawn_names = HANDLE_INVALID;
	cl_set_names(HANDLE_INVALID);
	if (env.ns)
		sys_handle_close(env.ns);
	memset(&env, 0, sizeof(env));
}

#define START()                                                                \
	do {                                                                   \
		gtest_allow_growth();                                          \
		long _s = env_start();                                         \
		if (_s == 1) {                                                 \
			env_stop();                                            \
			return;                                                \
		}                                                              \
		if (_s < 0)                                                    \
			env_stop();                                            \
		GCHECK_OK(_s);                                                 \
	} while (0)

/* The byte at offset o of the test file: no two 8 KiB chunks alike. */
static uint8_t pat(uint32_t o)
{
	return (uint8_t)((o >> 10) * 7 + (o & 1023) * 13 + (o >> 3));
}

static struct {
	int fd[2];
	uint64_t end;
	int stop;
	long fail;
	long ops[2];
} rr;

static void rfail(long why)
{
	if (!__atomic_load_n(&rr.fail, __ATOMIC_ACQUIRE))
		__atomic_store_n(&rr.fail, why, __ATOMIC_RELEASE);
	__atomic_store_n(&rr.stop, 1, __ATOMIC_RELEASE);
}

static bool go_on(void)
{
	return !__atomic_load_n(&rr.stop, __ATOMIC_ACQUIRE) && g_now() < rr.end;
}

static void pin_run(int64_t (*fn)(uint64_t))
{
	struct gthread th[2];
	memset(th, 0, sizeof(th));
	long r = gthread_start(&th[0], fn, 0);
	if (r == 0)
		r = gthread_start(&th[1], fn, 1);
	if (r < 0)
		rfail(r);
	for (int i = 0; r == 0 && i < 2 && g_ncpus() >= 2; i++)
		sys_sched_affinity(g_sched(), th[i].h, 1ull << i);
	int64_t st;
	for (int i = 0; i < 2; i++)
		if (th[i].h)
			gthread_join(&th[i], DEADLINE_NONE, &st);
}

/* Each thread preads 8 KiB chunks of its own half of the file from the
 * one shared fd and checks every byte. */
static int64_t preader(uint64_t me)
{
	static uint8_t bufs[2][CHUNK];
	uint8_t *b = bufs[me];
	for (uint32_t i = 0; go_on(); i++) {
		uint32_t off = (uint32_t)me * (FILE_LEN / 2) +
			       (i % (FILE_LEN / 2 / CHUNK)) * CHUNK;
		long n = SC(pread64, rr.fd[0], b, CHUNK, off, 0, 0);
		if (n != CHUNK) {
			rfail(1000 + (n < 0 ? -n : 500));
			break;
		}
		for (uint32_t k = 0; k < CHUNK; k++)
			if (b[k] != pat(off + k)) {
				rfail(2000 + (long)me);
				return 0;
			}
		rr.ops[me]++;
	}
	return 0;
}

GTEST(review18_pread_threads_share_no_window)
{
	START();
	static uint8_t buf[CHUNK];
	int fd = open("/tmp/r18", O_RDWR | O_CREAT | O_TRUNC, 0600);
	GCHECK(fd >= 0);
	for (uint32_t o = 0; o < FILE_LEN; o += CHUNK) {
		for (uint32_t k = 0; k < CHUNK; k++)
			buf[k] = pat(o + k);
		GCHECK_EQ(pwrite(fd, buf, CHUNK, o), CHUNK);
	}
	int base = execrt_fd_count();
	memset(&rr, 0, sizeof(rr));
	rr.fd[0] = fd;
	rr.end = g_now() + RACE_NS;
	pin_run(preader);
	printf("    %ld + %ld preads, fail %ld\n", rr.ops[0], rr.ops[1],
	       rr.fail);
	long fail = rr.fail;
	GCHECK_EQ(execrt_fd_count(), base);
	GCHECK_OK(close(fd));
	GCHECK_OK(unlink("/tmp/r18"));
	env_stop();
	GCHECK_EQ(fail, 0);
	GCHECK(rr.ops[0] > 0 && rr.ops[1] > 0);
}

/* Each thread writev's two small pieces of its own letter to its own
 * file (appending), as stdio's flush does. */
static int64_t writever(uint64_t me)
{
	static char bytes[2][PIECE];
	memset(bytes[me], me ? 'B' : 'A', PIECE);
	struct iovec v[2] = {{bytes[me], PIECE / 2},
			     {bytes[me] + PIECE / 2, PIECE - PIECE / 2}};
	while (go_on() && rr.ops[me] < 2000) {
		long n = SC(writev, rr.fd[me], v, 2, 0, 0, 0);
		if (n != PIECE) {
			rfail(3000 + (n < 0 ? -n : 500));
			break;
		}
		rr.ops[me]++;
	}
	return 0;
}

/* The first byte of file fd that is not c, or -1 (all c); < -1: error. */
static long first_other(int fd, char c, long len)
{
	static char buf[4096];
	for (long o = 0; o < len;) {
		long n = pread(fd, buf, sizeof(buf), o);
		if (n <= 0)
			return -2;
		for (long k = 0; k < n; k++)
			if (buf[k] != c)
				return o + k;
		o += n;
	}
	return -1;
}

GTEST(review18_writev_threads_two_files)
{
	START();
	memset(&rr, 0, sizeof(rr));
	rr.fd[0] = open("/tmp/r18a", O_RDWR | O_CREAT | O_TRUNC, 0600);
	rr.fd[1] = open("/tmp/r18b", O_RDWR | O_CREAT | O_TRUNC, 0600);
	GCHECK(rr.fd[0] >= 0 && rr.fd[1] >= 0);
	rr.end = g_now() + RACE_NS;
	pin_run(writever);
	long fail = rr.fail;
	long bad[2];
	for (int i = 0; i < 2; i++)
		bad[i] = first_other(rr.fd[i], i ? 'B' : 'A',
				     rr.ops[i] * (long)PIECE);
	printf("    %ld + %ld writevs, fail %ld, foreign byte at %ld / %ld\n",
	       rr.ops[0], rr.ops[1], fail, bad[0], bad[1]);
	GCHECK_OK(close(rr.fd[0]));
	GCHECK_OK(close(rr.fd[1]));
	GCHECK_OK(unlink("/tmp/r18a"));
	GCHECK_OK(unlink("/tmp/r18b"));
	env_stop();
	GCHECK_EQ(fail, 0);
	GCHECK_EQ(bad[0], -1);
	GCHECK_EQ(bad[1], -1);
}
