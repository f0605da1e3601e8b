/* names_core: the name service's state and protocol without system calls
 * (docs/names.md): the registry, the access-control lists per badge, the
 * waiting lookups, and the JSON requests that drive them. names.c feeds it
 * received messages and carries out what it asks through struct nc_ops
 * (answers, closing handles, checking a registered handle); the host tests
 * (tests/host/test_names_*.c) drive it with fakes.
 *
 * Handles are opaque 32-bit values here; 0 is "none". Whoever passes a
 * handle in keeps it unless the call says the core took it. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "json.h"

#define NC_NAME_MAX	     64 /* with the NUL: "/svc/" + 1..58 */
#define NC_MAX_NAMES	     48
#define NC_NAMES_PER_BADGE   8
#define NC_MAX_WAITERS	     32
#define NC_WAITERS_PER_BADGE 4
#define NC_MAX_WAIT_NS	     30000000000ull /* a lookup waits 30 s at most */
#define NC_MAX_ACLS	     64
#define NC_MAX_PATTERNS	     8 /* per list (register, lookup) */
#define NC_BADGE_INIT	     1 /* init's control endpoint */
#define NC_DEADLINE_NONE     UINT64_MAX

/* Results of the core's calls (names.c never sees them on the wire). */
#define NC_OK	       0
#define NC_WAITING     1 /* the lookup waits: the core keeps the reply */
#define NC_E_DENIED    (-1)
#define NC_E_BUSY      (-2)
#define NC_E_NOT_FOUND (-3)
#define NC_E_BAD_ARG   (-4)
#define NC_E_NO_MEMORY (-5)

/* What the core needs done. Every reply handle given to an answer is
 * consumed by it (answered, or closed if the caller is gone). */
struct nc_ops {
	void *ctx;
	/* {"ok":true,"result":result}; with send != 0 a duplicate of the
	 * registered handle send is attached (result names it "port":0).
	 * The implementation answers NO_MEMORY if it cannot duplicate. */
	void (*reply_ok)(void *ctx, uint32_t reply, const char *result,
			 uint32_t send);
	void (*reply_err)(void *ctx, uint32_t reply, const char *code,
			  const char *msg);
	void (*close)(void *ctx, uint32_t h);
	/* h (received, ours) is to be registered: 0 and *out = the handle to
	 * keep (a port send endpoint with WRITE, reduced to WRITE | DUPLICATE
	 * | TRANSFER; h is consumed) or < 0 (h is not such a handle; still
	 * ours). */
	int (*adopt_send)(void *ctx, uint32_t h, uint32_t *out);
};

struct nc_entry {
	bool used;
	char name[NC_NAME_MAX];
	uint64_t badge; /* owner */
	uint32_t send;	/* reduced send endpoint, ours */
};

struct nc_waiter {
	bool used;
	char name[NC_NAME_MAX];
	uint64_t badge;
	uint32_t reply;
	uint64_t deadline; /* absolute ns */
	uint64_t seq;	   /* age: lower is older */
};

struct nc_acl {
	bool used;
	uint64_t badge;
	uint8_t nreg, nlook;
	char reg[NC_MAX_PATTERNS][NC_NAME_MAX];
	char look[NC_MAX_PATTERNS][NC_NAME_MAX];
};

struct nc_stats {
	uint64_t requests, denied, busy, evicted, expired, bad_handles;
};

struct names_core {
	struct nc_ops ops;
	struct nc_entry names[NC_MAX_NAMES];
	struct nc_waiter waiters[NC_MAX_WAITERS];
	struct nc_acl acls[NC_MAX_ACLS];
	uint64_t seq;
	struct nc_stats st;
	struct json_doc doc; /* the request being handled */
};

void nc_init(struct names_core *nc, const struct nc_ops *ops);

/* "/svc/" and then 1..58 printable characters: no blanks, quotes,
 * backslashes or '*'. */
bool nc_valid_name(const char *n);
/* A valid name, "*", or a valid name's prefix (at least "/svc/") followed
 * by one '*' at the end. */
bool nc_valid_pattern(const char *p);
bool nc_match(const char *pattern, const char *name);
bool nc_may_register(const struct names_core *nc, uint64_t badge,
		     const char *name);
bool nc_may_lookup(const struct names_core *nc, uint64_t badge,
		   const char *name);

/* Sets (replaces) badge's rights; registrations the new list no longer
 * allows are dropped. Patterns are checked first: nothing changes on
 * NC_E_BAD_ARG. NC_E_NO_MEMORY when NC_MAX_ACLS badges have lists. */
int nc_acl_set(struct names_core *nc, uint64_t badge, const char *const *reg,
	       unsigned nreg, const char *const *look, unsigned nlook);
/* badge's instance is gone: its names, waiters and rights go. Returns
 * how many names were dropped. */
int nc_forget(struct names_core *nc, uint64_t badge);

/* NC_OK: send is the core's (waiters for the name are answered);
 * otherwise send is still the caller's. */
int nc_register(struct names_core *nc, uint64_t badge, const char *name,
		uint32_t send);
int nc_unregister(struct names_core *nc, uint64_t badge, const char *name);
/* NC_OK with *send (the entry's handle: answer with a duplicate),
 * NC_WAITING (reply taken; it is answered later), or an error (reply
 * still the caller's). wait_ns 0: no waiting. */
int nc_lookup(struct names_core *nc, uint64_t badge, const char *name,
	      uint64_t wait_ns, uint64_t now, uint32_t reply, uint32_t *send);
/* Waiters whose deadline passed get NOT_FOUND; returns the earliest
 * deadline left (NC_DEADLINE_NONE if none). */
uint64_t nc_expire(struct names_core *nc, uint64_t now);

unsigned nc_count_names(const struct names_core *nc, uint64_t badge);
unsigned nc_count_waiters(const struct names_core *nc, uint64_t badge);
/* Counts over all badges. */
unsigned nc_total_names(const struct names_core *nc);
unsigned nc_total_waiters(const struct names_core *nc);

/* One received call: JSON text (len bytes, need not be terminated) from
 * badge with handles h[0..nh). The reply is always consumed (answered now
 * or kept by a waiting lookup). Handles the core keeps are set to 0 in h;
 * the caller closes the rest. */
void nc_request(struct names_core *nc, uint64_t badge, const char *text,
		size_t len, uint32_t *h, uint32_t nh, uint32_t reply,
		uint64_t now);
