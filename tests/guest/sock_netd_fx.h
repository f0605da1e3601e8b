/* The fixture of the socket tests against the real netd
 * (t_sock_netd.c): netd as a child task in the tests' own name service
 * (sock_env.h), the START/SCHECK macros that stop it on a failed check,
 * a poll-driven echo server and its client. */
#pragma once

#include <netinet/in.h>
#include <stdint.h>

#include "gutil.h"

#define SC(n, a, b, c, d, e, f)                                                \
	__execrt_syscall(SYS_##n, (long)(a), (long)(b), (long)(c), (long)(d),  \
			 (long)(e), (long)(f))

#define START()                                                                \
	do {                                                                   \
		gtest_allow_growth();                                          \
		long _s = netd_env_start();                                    \
		if (_s != 0)                                                   \
			netd_env_stop();                                       \
		if (_s == 1)                                                   \
			return;                                                \
		GCHECK_OK(_s);                                                 \
	} while (0)

#define SCHECK(c)                                                              \
	do {                                                                   \
		if (!(c)) {                                                    \
			netd_env_stop();                                       \
			GCHECK(c);                                             \
		}                                                              \
	} while (0)
#define SCHECK_EQ(a, b)                                                        \
	do {                                                                   \
		long long _x = (long long)(a), _y = (long long)(b);            \
		if (_x != _y) {                                                \
			netd_env_stop();                                       \
			GCHECK_EQ(_x, _y);                                     \
		}                                                              \
	} while (0)

extern struct child netd;
extern const char *netd_args; /* netd's arguments for the next spawn */
long netd_spawn(void);
void netd_kill(void);
/* 0 started, 1 skipped, < 0 failed. */
long netd_env_start(void);
void netd_env_stop(void);
struct sockaddr_in lo(int port);
uint8_t pat(uint32_t seed, uint64_t i);
/* A listening TCP socket on 127.0.0.1:port (non-blocking), or -errno. */
long listener(int port);

struct srv {
	long lfd;
	int conns; /* to serve, then end */
	int stop;
	long err; /* first failure (step << 16 | -errno) */
	uint64_t bytes;
};
/* A raw thread (arg: struct srv *): serves sv->conns connections. */
int64_t echo_server(uint64_t arg);
/* 0 or (step << 16 | -errno). */
long echo_client(int port, uint64_t total, uint32_t seed);
