/* exec-rt user runtime (libexecrt): start-up state and helpers. */
#pragma once
#include <stdbool.h>

#include <execrt/sys.h>

/* The block the task was started with (NULL if it had none or a bad
 * magic). Valid for the task's life. */
const struct start_info *execrt_start_info(void);

/* handles[i] of the start_info, HANDLE_INVALID when absent. */
handle_t execrt_handle(enum start_handle i);

/* True when the task koid is known to have ended (asked through the
 * start block's sysinfo handle; false without it or on any error). */
bool execrt_task_ended(uint64_t koid);

/* The errno value (positive) for an exec-rt error (negative ERR_*). */
int execrt_errno(long err);

/* Split a command line in place on blanks: at most max - 1 words go to
 * argv, which ends with NULL (the rest is dropped). A word that starts
 * with EXECRT_ARG_QUOTE runs to the next one, blanks included (how sh
 * passes an argument holding blanks, or an empty one: command lines never
 * hold that control character otherwise); any other word is taken as it
 * is, quotes and all. Returns the word count. */
#define EXECRT_ARG_QUOTE '\x01'
int execrt_split_args(char *line, char **argv, int max);

/* Linux system-call translation used by musl (glue.c). */
long __execrt_syscall(long n, long a, long b, long c, long d, long e, long f);

/* Drops this task's connection to fsd (docs/userland.md "Files"): the
 * next file call connects again (and waits for /svc/fsd as the first one
 * did). Open fds stay as they are. The guest tests use it to leave no
 * handle behind. */
void execrt_fs_disconnect(void);

/* Drops the connection to netd and the wake-up notification (sockets
 * still open become dead: ECONNRESET); the next socket call connects
 * again. For the guest tests, to leave no handle behind. */
void execrt_net_disconnect(void);

/* One address of a host name (what musl's name lookup takes). */
struct execrt_addr {
	int family;	/* AF_INET, AF_INET6 */
	unsigned scope; /* IPv6 scope id */
	unsigned char addr[16];
};
/* Resolves name through netd (NET_RESOLVE; family AF_UNSPEC, AF_INET or
 * AF_INET6): up to max addresses of that family, their count, or
 * -ENOENT (no such name), -ENETDOWN (no netd), -ETIMEDOUT, -errno.
 * musl's getaddrinfo reaches it through the overlaid lookup_name.c, which
 * declares it again with the same layout. */
long __execrt_resolve(const char *name, int family, struct execrt_addr *out,
		      unsigned max);
