/* tsvc_proto: testsvc's protocol without system calls (docs/names.md,
 * "testsvc"): arguments, the ports/v0 requests and what each asks the
 * program to do, the tick events. Host-tested (tests/host/
 * test_names_testsvc.c). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "json.h"

#define TSVC_MAX_SUBS	  8
#define TSVC_MAX_SLEEPERS 8
#define TSVC_MAX_SLEEP_US 60000000ull /* a sleep answers within a minute */
#define TSVC_RESULT_MAX	  4000

struct tsvc {
	char name[64];	  /* registered as (default /svc/test) */
	uint64_t tick_ns; /* --tick-ms */
	uint64_t
		crash_after; /* --crash-after: the N-th call crashes; 0 never */
	uint64_t calls;	     /* calls received */
	uint64_t ticks, dropped;
	unsigned subscribers, sleepers; /* kept by the program */
	uint64_t start_ns;
	struct json_doc doc;
};

enum tsvc_act {
	TSVC_REPLY,	/* answer now: ok ? result : code/message */
	TSVC_SLEEP,	/* answer result at until_ns */
	TSVC_CRASH,	/* fault on purpose, without answering */
	TSVC_EXIT,	/* answer ok, then exit with status */
	TSVC_SUBSCRIBE, /* keep handle port as a tick subscriber, answer ok */
	TSVC_LOG,	/* print `lines` numbered lines to stdout, then answer */
};

#define TSVC_MAX_LOG_LINES 1000000u

struct tsvc_out {
	enum tsvc_act act;
	bool ok;
	char code[32];
	char message[96];
	char result[TSVC_RESULT_MAX];
	uint64_t until_ns, usec; /* TSVC_SLEEP */
	int64_t status;
	uint32_t port;
	uint64_t lines; /* TSVC_LOG */
};

/* Defaults, then argv[1..]: --tick-ms N, --crash-after N, --name /svc/x.
 * 0, or -1 with a message in err. */
int tsvc_init(struct tsvc *s, int argc, char **argv, uint64_t now, char *err,
	      size_t errcap);
/* One call (text of len bytes with nh handles attached). */
void tsvc_handle(struct tsvc *s, const char *text, size_t len, uint32_t nh,
		 uint64_t now, struct tsvc_out *o);
/* The next tick event {"event":"tick","n":N,"usec":U}; its length. */
int tsvc_tick(struct tsvc *s, uint64_t now, char *buf, size_t cap);
