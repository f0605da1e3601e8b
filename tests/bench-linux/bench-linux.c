/* The Linux side of `make bench-linux`: the same operations as
 * tests/bench/bench.c, measured the same way (rdtsc around batches, the
 * median of BATCHES batches per operation), run as part of a busybox
 * initramfs under Debian's Linux 6.1 in the same QEMU. Built on the host
 * with `gcc -static` (host libc: this program never runs on exec-rt).
 * Lines start with "lbench: KEY" so tools/bench-linux.sh can pair them
 * with exec-rt's figures. `bench-linux exit` leaves QEMU through
 * isa-debug-exit (status 33). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/io.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lbench.h"

#define BATCHES 15

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

long errors; /* a figure of failing operations would be a lie */

/* As bench() in tests/bench/bench.c: one warm-up run, then BATCHES
 * batches of iters operations; min / median / max cycles per operation. */
void bench(const char *key, unsigned iters, void (*fn)(unsigned))
{
	uint64_t per[BATCHES];
	long before = errors;
	fn(iters / 10 + 1);
	for (int b = 0; b < BATCHES; b++) {
		uint64_t t0 = rdtsc();
		fn(iters);
		per[b] = (rdtsc() - t0) / iters;
	}
	qsort(per, BATCHES, sizeof(per[0]), cmp_u64);
	if (errors != before) {
		printf("lbench: %s FAILED (%ld errors)\n", key,
		       errors - before);
		return;
	}
	printf("lbench: %-24s median %9llu  min %9llu  max %9llu cycles/op\n",
	       key, (unsigned long long)per[BATCHES / 2],
	       (unsigned long long)per[0],
	       (unsigned long long)per[BATCHES - 1]);
	fflush(stdout);
}

static void xread(int fd, void *buf, size_t len)
{
	char *p = buf;
	while (len) {
		ssize_t r = read(fd, p, len);
		if (r <= 0) {
			if (r < 0 && errno == EINTR)
				continue;
			errors++;
			return;
		}
		p += r;
		len -= (size_t)r;
	}
}

static void xwrite(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len) {
		ssize_t r = write(fd, p, len);
		if (r <= 0) {
			if (r < 0 && errno == EINTR)
				continue;
			errors++;
			return;
		}
		p += r;
		len -= (size_t)r;
	}
}

/* ---- null call ---- */

static void getppid_loop(unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		syscall(SYS_getppid); /* glibc may cache getpid, not this */
}

/* ---- ping-pong between two processes (exec-rt: port call/reply) ---- */

static int to_peer, from_peer; /* the parent's ends */
static char msg[16];

static void stream_pingpong(unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		xwrite(to_peer, msg, sizeof(msg));
		xread(from_peer, msg, sizeof(msg));
	}
}

/* Child: echo 16-byte messages until EOF. */
static void echo_child(int in, int out)
{
	char b[16];
	for (;;) {
		size_t got = 0;
		while (got < sizeof(b)) {
			ssize_t r = read(in, b + got, sizeof(b) - got);
			if (r <= 0)
				_exit(0);
			got += (size_t)r;
		}
		if (write(out, b, sizeof(b)) != (ssize_t)sizeof(b))
			_exit(1);
	}
}

static void pipe_bench(void)
{
	int a[2], b[2];
	if (pipe(a) || pipe(b)) {
		errors++;
		return;
	}
	pid_t c = fork();
	if (c == 0) {
		close(a[1]);
		close(b[0]);
		echo_child(a[0], b[1]);
	}
	close(a[0]);
	close(b[1]);
	to_peer = a[1];
	from_peer = b[0];
	bench("pipe_pingpong_16", 2000, stream_pingpong);
	close(a[1]);
	close(b[0]);
	waitpid(c, NULL, 0);
}

static void unix_bench(void)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv)) {
		errors++;
		return;
	}
	pid_t c = fork();
	if (c == 0) {
		close(sv[0]);
		echo_child(sv[1], sv[1]);
	}
	close(sv[1]);
	to_peer = from_peer = sv[0];
	bench("unix_pingpong_16", 2000, stream_pingpong);
	close(sv[0]);
	waitpid(c, NULL, 0);
}

/* ---- futex ping-pong: the word says whose turn it is ---- */

static long futex(_Atomic uint32_t *w, int op, uint32_t val)
{
	return syscall(SYS_futex, w, op, val, NULL, NULL, 0);
}

static _Atomic uint32_t *fword;
static int fpriv; /* FUTEX_PRIVATE_FLAG between threads */

enum { F_PING = 1, F_PONG = 2, F_STOP = 3 };

static void fwait_for(uint32_t want)
{
	uint32_t v;
	while ((v = atomic_load(fword)) != want && v != F_STOP)
		futex(fword, FUTEX_WAIT | fpriv, v);
}

static void fset(uint32_t v)
{
	atomic_store(fword, v);
	futex(fword, FUTEX_WAKE | fpriv, 1);
}

static void futex_pingpong(unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		fset(F_PING);
		fwait_for(F_PONG);
	}
}

static void futex_partner(void)
{
	for (;;) {
		fwait_for(F_PING);
		if (atomic_load(fword) == F_STOP)
			return;
		fset(F_PONG);
	}
}

static void *futex_thread(void *arg)
{
	(void)arg;
	futex_partner();
	return NULL;
}

static void futex_benches(void)
{
	/* Between processes: a shared page, shared (non-private) futex. */
	fword = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (fword == MAP_FAILED) {
		errors++;
		return;
	}
	fpriv = 0;
	atomic_store(fword, 0);
	pid_t c = fork();
	if (c == 0) {
		futex_partner();
		_exit(0);
	}
	bench("futex_pingpong_proc", 2000, futex_pingpong);
	fset(F_STOP);
	waitpid(c, NULL, 0);

	/* Between threads of one process (exec-rt's notification figure is
	 * between two threads of one task). */
	fpriv = FUTEX_PRIVATE_FLAG;
	atomic_store(fword, 0);
	pthread_t t;
	if (pthread_create(&t, NULL, futex_thread, NULL)) {
		errors++;
		return;
	}
	bench("futex_wake_thread", 2000, futex_pingpong);
	fset(F_STOP);
	pthread_join(t, NULL);
	munmap((void *)fword, 4096);
}

/* ---- eventfd round trip between two threads ---- */

static int ev_ping, ev_pong;
static _Atomic int ev_stop;

static void *ev_partner(void *arg)
{
	(void)arg;
	uint64_t v;
	while (read(ev_ping, &v, sizeof(v)) == sizeof(v) &&
	       !atomic_load(&ev_stop)) {
		v = 1;
		if (write(ev_pong, &v, sizeof(v)) != sizeof(v))
			break;
	}
	return NULL;
}

static void eventfd_rt(unsigned n)
{
	uint64_t v;
	for (unsigned i = 0; i < n; i++) {
		v = 1;
		xwrite(ev_ping, &v, sizeof(v));
		xread(ev_pong, &v, sizeof(v));
	}
}

static void eventfd_bench(void)
{
	ev_ping = eventfd(0, 0);
	ev_pong = eventfd(0, 0);
	pthread_t t;
	if (ev_ping < 0 || ev_pong < 0 ||
	    pthread_create(&t, NULL, ev_partner, NULL)) {
		errors++;
		return;
	}
	bench("eventfd_thread", 2000, eventfd_rt);
	atomic_store(&ev_stop, 1);
	uint64_t v = 1;
	xwrite(ev_ping, &v, sizeof(v));
	pthread_join(t, NULL);
	close(ev_ping);
	close(ev_pong);
}

/* ---- 1 MiB: through a pipe, and memfd map + unmap (exec-rt: grant) ---- */

static char *big;

static void pipe_1m(unsigned n)
{
	char ack;
	for (unsigned i = 0; i < n; i++) {
		xwrite(to_peer, big, MIB);
		xread(from_peer, &ack, 1);
	}
}

static void pipe_1m_bench(void)
{
	int a[2], b[2];
	big = malloc(MIB);
	if (!big || pipe(a) || pipe(b)) {
		errors++;
		return;
	}
	memset(big, 0x5a, MIB);
	pid_t c = fork();
	if (c == 0) {
		close(a[1]);
		close(b[0]);
		char *in = malloc(MIB);
		for (;;) {
			size_t got = 0;
			while (got < MIB) {
				ssize_t r = read(a[0], in + got, MIB - got);
				if (r <= 0)
					_exit(0);
				got += (size_t)r;
			}
			if (write(b[1], "k", 1) != 1)
				_exit(1);
		}
	}
	close(a[0]);
	close(b[1]);
	to_peer = a[1];
	from_peer = b[0];
	bench("pipe_1m", 20, pipe_1m); /* 16 x 20 MiB copied twice */
	close(a[1]);
	close(b[0]);
	waitpid(c, NULL, 0);
}

static int memfd;

static void memfd_map_unmap(unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		void *p = mmap(NULL, MIB, PROT_READ | PROT_WRITE,
			       MAP_SHARED | MAP_POPULATE, memfd, 0);
		if (p == MAP_FAILED) {
			errors++;
			continue;
		}
		munmap(p, MIB);
	}
}

static void memfd_bench(void)
{
	memfd = memfd_create("bench", 0);
	if (memfd < 0 || ftruncate(memfd, MIB)) {
		errors++;
		return;
	}
	/* Allocate the pages once, like an existing exec-rt grant. */
	char *p = mmap(NULL, MIB, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	if (p == MAP_FAILED) {
		errors++;
		return;
	}
	memset(p, 1, MIB);
	munmap(p, MIB);
	bench("memfd_map_unmap_1m", 100, memfd_map_unmap);
	close(memfd);
}

/* ---- yield ping-pong between two threads ---- */

static _Atomic int stop;

static void *yielder(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop))
		sched_yield();
	return NULL;
}

static void yield_loop(unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		sched_yield();
}

static int set_fifo(int prio)
{
	struct sched_param sp = {.sched_priority = prio};
	return sched_setscheduler(0, prio ? SCHED_FIFO : SCHED_OTHER, &sp);
}

/* Both threads in `policy` (SCHED_OTHER or SCHED_FIFO 50). */
static void yield_bench(const char *key, int prio)
{
	pthread_t t;
	pthread_attr_t at;
	struct sched_param sp = {.sched_priority = prio};
	if (set_fifo(prio)) {
		printf("lbench: %s FAILED (sched_setscheduler: %s)\n", key,
		       strerror(errno));
		return;
	}
	pthread_attr_init(&at);
	pthread_attr_setinheritsched(&at, PTHREAD_EXPLICIT_SCHED);
	pthread_attr_setschedpolicy(&at, prio ? SCHED_FIFO : SCHED_OTHER);
	pthread_attr_setschedparam(&at, &sp);
	atomic_store(&stop, 0);
	if (pthread_create(&t, &at, yielder, NULL)) {
		errors++;
	} else {
		bench(key, 5000, yield_loop);
		atomic_store(&stop, 1);
		pthread_join(t, NULL);
	}
	set_fifo(0);
}

/* ---- thread create + join ---- */

static void *nothing(void *arg)
{
	return arg;
}

static void thread_create_join(unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		pthread_t t;
		if (pthread_create(&t, NULL, nothing, NULL) == 0)
			pthread_join(t, NULL);
		else
			errors++;
	}
}

/* ---- 1 kHz wake-up lateness with a CPU hog (as cyclictest) ---- */

#define PERIODS 2000
#define MS	1000000ull
static uint64_t late[PERIODS];

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

struct sched_attr {
	uint32_t size, sched_policy;
	uint64_t sched_flags;
	int32_t sched_nice;
	uint32_t sched_priority;
	uint64_t sched_runtime, sched_deadline, sched_period;
};

static int periodic_dl; /* else SCHED_FIFO 50 */
static int periodic_err;

static void *periodic(void *arg)
{
	(void)arg;
	if (periodic_dl) {
		struct sched_attr a = {.size = sizeof(a),
				       .sched_policy = 6 /* SCHED_DEADLINE */,
				       .sched_runtime = 200000,
				       .sched_deadline = MS,
				       .sched_period = MS};
		if (syscall(SYS_sched_setattr, 0, &a, 0)) {
			periodic_err = errno;
			return NULL;
		}
	} else if (set_fifo(50)) {
		periodic_err = errno;
		return NULL;
	}
	uint64_t next = now_ns() + MS;
	for (int i = 0; i < PERIODS; i++) {
		struct timespec ts = {.tv_sec = (time_t)(next / 1000000000ull),
				      .tv_nsec = (long)(next % 1000000000ull)};
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts,
				       NULL) == EINTR)
			;
		late[i] = now_ns() - next;
		next += MS;
	}
	return NULL;
}

static void *hog(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop))
		;
	return NULL;
}

static void lateness(const char *key, int dl)
{
	pthread_t t, h;
	periodic_dl = dl;
	periodic_err = 0;
	atomic_store(&stop, 0);
	if (pthread_create(&h, NULL, hog, NULL) ||
	    pthread_create(&t, NULL, periodic, NULL)) {
		printf("lbench: %s FAILED (cannot start the threads)\n", key);
		return;
	}
	pthread_join(t, NULL);
	atomic_store(&stop, 1);
	pthread_join(h, NULL);
	if (periodic_err) {
		printf("lbench: %s FAILED (%s)\n", key, strerror(periodic_err));
		return;
	}
	qsort(late, PERIODS, sizeof(late[0]), cmp_u64);
	uint64_t sum = 0;
	for (int i = 0; i < PERIODS; i++)
		sum += late[i];
	printf("lbench: %-24s min %7llu  avg %7llu  p99 %7llu  max %7llu ns\n",
	       key, (unsigned long long)late[0],
	       (unsigned long long)(sum / PERIODS),
	       (unsigned long long)late[PERIODS * 99 / 100],
	       (unsigned long long)late[PERIODS - 1]);
	fflush(stdout);
}

/* isa-debug-exit at 0xf4: QEMU exits with (value << 1) | 1. */
static int qemu_exit(int value)
{
	if (ioperm(0xf4, 4, 1)) {
		perror("ioperm");
		return 1;
	}
	outb((unsigned char)value, 0xf4);
	return 1; /* not reached under QEMU */
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "exit"))
		return qemu_exit((int)strtol(argv[2], NULL, 0));
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("lbench: Linux micro-benchmarks (TSC cycles per operation, "
	       "median of %d batches)\n",
	       BATCHES);
	bench("getppid", 20000, getppid_loop);
	lateness("lateness_deadline", 1);
	lateness("lateness_fifo", 0);
	yield_bench("yield_other", 0);
	yield_bench("yield_fifo", 50);
	bench("thread_create_join", 200, thread_create_join);
	pipe_bench();
	unix_bench();
	futex_benches();
	eventfd_bench();
	pipe_1m_bench();
	memfd_bench();
	file_benches();
	fault_bench();
	printf(errors ? "lbench: %ld errors\n" : "lbench: done\n", errors);
	return errors != 0;
}
