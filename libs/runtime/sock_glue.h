/* Helpers sock_glue.c (control, options) and sock_data.c (send, recv)
 * share: private to those two. */
#ifndef EXECRT_SOCK_GLUE_H
#define EXECRT_SOCK_GLUE_H

#include <errno.h>
#include <sys/socket.h>

#include "fs_int.h"
#include "sock_int.h"

static inline long lookup(long fd, struct execrt_sock **s, uint32_t *flags)
{
	*s = rtsk_get(fd, flags);
	if (*s)
		return 0;
	return fsc_fd(fd) ? -ENOTSOCK : -EBADF;
}

static inline uint32_t state(struct execrt_sock *s)
{
	return __atomic_load_n(&s->r.shm->state, __ATOMIC_ACQUIRE);
}

/* netd's error (NET_ST_ERROR) as -errno; err_taken records that it was
 * reported (SO_ERROR then says 0). */
static inline long take_err(struct execrt_sock *s)
{
	int32_t e = s->r.shm->error;
	s->err_taken = true;
	return e > 0 && e < 4096 ? -(long)e : -EIO;
}

static inline uint64_t deadline_of(uint64_t timeo)
{
	return timeo ? rtsk_after(timeo) : DEADLINE_NONE;
}

static inline bool is_stream(const struct execrt_sock *s)
{
	return s->type == SOCK_STREAM;
}

#endif
