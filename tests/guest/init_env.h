/* The init tests' environment (init_env.c), shared by t_init.c (init's
 * own behaviour) and t_init_restart.c (fsd and vmgr restarted under a
 * client, the ledger limits): a child init started with a test manifest
 * (START, STOP: the kernel's counters must come back), the fake name
 * service a thread plays for it, requests to /svc/init. One test at a
 * time uses it (the guest suite runs tests one by one). */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include <execrt/spawn.h>

#include "cl_ports.h"
#include "gtest.h"
#include "gutil.h"

#define INIT_QUOTA (48ull << 20)
#define MAX_REG	   16
#define MAX_KEPT   512
#define OUT_KEEP   16384

/* The fake name service, run by a thread (no stdio there). */
struct fakens {
	handle_t recv, out, notif;
	int stop;
	int acls, forgets, registers;
	int close_old; /* a name registered again: close the old handle */
	struct {
		char name[32];
		handle_t h;
		int count;
	} reg[MAX_REG];
	int nreg;
	handle_t kept[MAX_KEPT]; /* every handle received, closed at the end */
	int nkept;
	char outbuf[OUT_KEEP]; /* the start of init's output */
	int outlen;
};

struct ienv {
	struct execrt_child init;
	struct fakens ns;
	struct gthread th;
	bool th_running;
};

extern struct ienv env;
extern struct cl_resp resp;	 /* the last answer of ask_init */
extern struct kernel_stats base; /* the counters before START */

static inline int aload(const int *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

/* Whether buf[0..len) holds s. */
bool has(const char *buf, uint32_t len, const char *s);
/* The latest handle registered under name, and how many times it was. */
handle_t reg_handle(const char *name, int *count);
/* Waits up to timeout for name to be registered at least `times`. */
handle_t wait_reg(const char *name, int times, uint64_t timeout);
/* Kills the child init (its services die with it), closes the rest. */
void env_stop(void);
/* A child init with manifest etc/<conf>; 0 or an error. With devices,
 * it also gets the root task's device authorities and ACPI tables. */
long env_start_ex(const char *conf, bool devices);
long env_start(const char *conf);
/* Touches the deepest stack the tests use (before base is taken). */
void warm(void);
/* 0 once the kernel's counters are base's again, else an error. */
long counters_back(void);
/* One request to init's control endpoint (resp holds the answer). */
long ask_init(const char *json);
/* One request to /svc/init, the read-only endpoint. */
long ask_public(const char *json);
/* field of service `name` in the last status answer (-1: absent). */
int64_t status_field(const char *name, const char *field);
/* An integer of the last answer (1: absent). */
int64_t probe_int(const char *key);

#define START(conf)                                                            \
	do {                                                                   \
		gtest_allow_growth();                                          \
		warm();                                                        \
		GCHECK_OK(g_stats(&base));                                     \
		long _s = env_start(conf);                                     \
		if (_s < 0)                                                    \
			env_stop();                                            \
		GCHECK_OK(_s);                                                 \
	} while (0)

#define START_DEVICES(conf)                                                    \
	do {                                                                   \
		gtest_allow_growth();                                          \
		warm();                                                        \
		GCHECK_OK(g_stats(&base));                                     \
		long _s = env_start_ex(conf, true);                            \
		if (_s < 0)                                                    \
			env_stop();                                            \
		GCHECK_OK(_s);                                                 \
	} while (0)

#define STOP()                                                                 \
	do {                                                                   \
		env_stop();                                                    \
		GCHECK_OK(counters_back());                                    \
	} while (0)
