/* poll, ppoll, select and pselect6 over every fd kind. A socket's
 * readiness comes from its region (state word, ring counters: no call);
 * an fsd file or directory is always ready (fsd answers every call), a
 * console or port fd is always writable and never readable, an empty
 * stdin readable (end of file). Waiting is one SYS_NOTIF_WAIT on our
 * notification for the wake bits of the sockets polled (sock_conn.c
 * rtsk_wait), or a sleep when there are none. The signal masks of ppoll and
 * pselect6 are ignored (there are no signals). docs/net-sockets.md. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/select.h>
#include <time.h>

#include "fd_glue.h"
#include "fs_int.h"
#include "sock_int.h"

#define POLL_MAX   4096 /* pollfds per call */
#define NS_PER_SEC 1000000000ull

/* Readiness of fd; sockets add their wake bit to *bits, and the first
 * one is kept (referenced) in *probe for rtsk_wait's liveness probe. */
static unsigned fd_events(long fd, uint64_t *bits, struct execrt_sock **probe)
{
	rtsk_lock();
	struct execrt_fd *e = fsc_fd(fd);
	if (!e) {
		rtsk_unlock();
		return POLLNVAL;
	}
	uint8_t kind = e->kind;
	uint32_t acc = e->flags & O_ACCMODE;
	struct execrt_sock *s = kind == FDK_SOCKET ? e->sock : NULL;
	if (s)
		rtsk_ref(s);
	rtsk_unlock();
	unsigned ev = 0;
	switch (kind) {
	case FDK_SOCKET:
		ev = rtsk_events(s);
		*bits |= s->wake_bit;
		if (!*probe)
			*probe = s;
		else
			rtsk_put(s);
		break;
	case FDK_FILE:
	case FDK_DIR:
		ev = (acc != O_WRONLY ? POLLIN : 0) |
		     (acc != O_RDONLY ? POLLOUT : 0);
		break;
	case FDK_EMPTY:
		ev = POLLIN; /* end of file */
		break;
	default: /* ports and the kernel console take bytes */
		ev = POLLOUT;
	}
	if (ev & POLLIN)
		ev |= POLLRDNORM;
	if (ev & POLLOUT)
		ev |= POLLWRNORM;
	return ev;
}

long rtsk_poll(struct pollfd *p, unsigned long n, uint64_t deadline)
{
	if (n > POLL_MAX)
		return -EINVAL;
	for (;;) {
		uint64_t bits = 0;
		struct execrt_sock *probe = NULL;
		long cnt = 0;
		for (unsigned long i = 0; i < n; i++) {
			p[i].revents = 0;
			if (p[i].fd < 0)
				continue;
			unsigned ev = fd_events(p[i].fd, &bits, &probe);
			unsigned want = (unsigned)(uint16_t)p[i].events |
					POLLERR | POLLHUP | POLLNVAL;
			p[i].revents = (short)(ev & want);
			cnt += p[i].revents != 0;
		}
		long w = cnt || rtsk_now() >= deadline
				 ? -EAGAIN
				 : rtsk_wait(bits, deadline, probe);
		rtsk_put(probe);
		if (w < 0)
			return cnt;
	}
}

/* fd_set bits as the kernel reads them: longs, only the first n bits. */
static bool bit_get(const unsigned long *set, int fd)
{
	return set &&
	       (set[fd / (8 * sizeof(long))] >> (fd % (8 * sizeof(long)))) & 1;
}

static void bit_set(unsigned long *set, int fd)
{
	set[fd / (8 * sizeof(long))] |= 1ul << (fd % (8 * sizeof(long)));
}

long rtsk_select(long n, void *rd, void *wr, void *ex, uint64_t deadline)
{
	enum { WORDS = FD_SETSIZE / (8 * sizeof(long)) };
	unsigned long *sets[3] = {rd, wr, ex};
	if (n < 0 || n > FD_SETSIZE)
		return -EINVAL;
	size_t words = ((size_t)n + 8 * sizeof(long) - 1) / (8 * sizeof(long));
	for (;;) {
		unsigned long out[3][WORDS];
		memset(out, 0, sizeof(out));
		uint64_t bits = 0;
		struct execrt_sock *probe = NULL;
		long cnt = 0;
		for (int fd = 0; fd < n; fd++) {
			bool r = bit_get(sets[0], fd), w = bit_get(sets[1], fd),
			     x = bit_get(sets[2], fd);
			if (!r && !w && !x)
				continue;
			unsigned ev = fd_events(fd, &bits, &probe);
			if (ev & POLLNVAL) {
				rtsk_put(probe);
				return -EBADF;
			}
			if (r && (ev & (POLLIN | POLLHUP | POLLERR))) {
				bit_set(out[0], fd);
				cnt++;
			}
			if (w && (ev & (POLLOUT | POLLERR))) {
				bit_set(out[1], fd);
				cnt++;
			}
			if (x && (ev & POLLPRI)) {
				bit_set(out[2], fd);
				cnt++;
			}
		}
		long w = cnt || rtsk_now() >= deadline
				 ? -EAGAIN
				 : rtsk_wait(bits, deadline, probe);
		rtsk_put(probe);
		if (w < 0) {
			for (int i = 0; i < 3; i++)
				if (sets[i])
					memcpy(sets[i], out[i],
					       words * sizeof(long));
			return cnt;
		}
	}
}

/* A relative timespec -> an absolute deadline (NULL: none). */
long rtsk_ts_deadline(const struct timespec *ts, uint64_t *dl)
{
	if (!ts) {
		*dl = DEADLINE_NONE;
		return 0;
	}
	if (ts->tv_sec < 0 || ts->tv_nsec < 0 ||
	    (uint64_t)ts->tv_nsec >= NS_PER_SEC)
		return -EINVAL;
	uint64_t sec = (uint64_t)ts->tv_sec;
	*dl = sec > UINT64_MAX / NS_PER_SEC - 1
		      ? DEADLINE_NONE
		      : rtsk_after(sec * NS_PER_SEC + (uint64_t)ts->tv_nsec);
	return 0;
}
