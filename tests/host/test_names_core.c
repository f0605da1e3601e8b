/* The name service's portable core (servers/names/names_core.c,
 * names_proto.c): access control, the impostor rule, handle checks,
 * per-badge limits, waiting lookups (cap, eviction, expiry), forget, and
 * the JSON requests, against fake system calls that record what the core
 * asks for. Every handle handed to the core must come back closed or
 * answered exactly once (checked at the end of each test). */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "names_core.h"

#define S 1000000000ull

/* The fake kernel: handles 1000.. are "send endpoints" (adopt_send
 * accepts them and hands out 5000..), 2000.. are "memory objects" (refused),
 * 3000.. reply handles. */
struct fake {
	int open[8192]; /* 1 while a handle value is live */
	char last_code[32];
	char last_result[4096];
	uint32_t last_reply, last_send;
	int oks, errs, closes;
	uint32_t next_kept;
};
static struct fake fk;
static struct names_core nc;

static void f_reply_ok(void *c, uint32_t reply, const char *res, uint32_t send)
{
	(void)c;
	if (!fk.open[reply])
		abort(); /* an answer on a handle not held: a double answer */
	fk.open[reply] = 0;
	fk.oks++;
	fk.last_reply = reply;
	fk.last_send = send;
	fk.last_code[0] = 0;
	snprintf(fk.last_result, sizeof(fk.last_result), "%s",
		 res ? res : "{}");
	if (send && !fk.open[send])
		abort(); /* duplicating a handle no longer held */
}

static void f_reply_err(void *c, uint32_t reply, const char *code,
			const char *msg)
{
	(void)c;
	(void)msg;
	if (!fk.open[reply])
		abort();
	fk.open[reply] = 0;
	fk.errs++;
	fk.last_reply = reply;
	snprintf(fk.last_code, sizeof(fk.last_code), "%s", code);
}

static void f_close(void *c, uint32_t h)
{
	(void)c;
	if (!fk.open[h])
		abort(); /* double close */
	fk.open[h] = 0;
	fk.closes++;
}

static int f_adopt(void *c, uint32_t h, uint32_t *out)
{
	(void)c;
	if (h < 1000 || h >= 2000)
		return -1;
	fk.open[h] = 0;
	*out = fk.next_kept++;
	fk.open[*out] = 1;
	return 0;
}

static const struct nc_ops fops = {.reply_ok = f_reply_ok,
				   .reply_err = f_reply_err,
				   .close = f_close,
				   .adopt_send = f_adopt};

static uint32_t next_send = 1000, next_vmo = 2000, next_reply = 3000;

static void setup(void)
{
	memset(&fk, 0, sizeof(fk));
	fk.next_kept = 5000;
	next_send = 1000;
	next_vmo = 2000;
	next_reply = 3000;
	nc_init(&nc, &fops);
}

static uint32_t new_send(void)
{
	fk.open[next_send] = 1;
	return next_send++;
}

static uint32_t new_reply(void)
{
	fk.open[next_reply] = 1;
	return next_reply++;
}

/* One request; returns the reply handle used (answered or waiting). */
static uint32_t req(uint64_t badge, const char *json, uint32_t *h, uint32_t nh,
		    uint64_t now)
{
	uint32_t r = new_reply();
	fk.last_code[0] = 0;
	fk.last_reply = 0;
	nc_request(&nc, badge, json, strlen(json), h, nh, r, now);
	for (uint32_t i = 0; i < nh; i++) /* what names.c does */
		if (h[i] && fk.open[h[i]])
			f_close(NULL, h[i]);
	return r;
}

/* The request was answered ok (code "") or with code. */
static bool answered(uint32_t r, const char *code)
{
	return fk.last_reply == r && !fk.open[r] && !strcmp(fk.last_code, code);
}

static bool reg(uint64_t badge, const char *name, const char *code)
{
	char j[128];
	snprintf(j, sizeof(j),
		 "{\"cmd\":\"register\",\"name\":\"%s\","
		 "\"port\":0}",
		 name);
	uint32_t h = new_send();
	uint32_t r = req(badge, j, &h, 1, 0);
	return answered(r, code);
}

static bool acl(uint64_t badge, const char *regs, const char *looks)
{
	char j[512];
	snprintf(j, sizeof(j),
		 "{\"cmd\":\"acl\",\"badge\":%llu,\"register\":[%s],"
		 "\"lookup\":[%s]}",
		 (unsigned long long)badge, regs, looks);
	uint32_t r = req(NC_BADGE_INIT, j, NULL, 0, 0);
	return answered(r, "");
}

static uint32_t lookup(uint64_t badge, const char *name, uint64_t wait_us,
		       uint64_t now)
{
	char j[160];
	snprintf(j, sizeof(j),
		 "{\"cmd\":\"lookup\",\"name\":\"%s\",\"wait_usec\":%llu}",
		 name, (unsigned long long)wait_us);
	return req(badge, j, NULL, 0, now);
}

/* Nothing the core was given is left unaccounted for: only registered
 * endpoints and waiting replies are still open. */
static bool balanced(void)
{
	int open = 0;
	for (int i = 0; i < 8192; i++)
		open += fk.open[i];
	return (unsigned)open == nc_total_names(&nc) + nc_total_waiters(&nc);
}

TEST(names_patterns)
{
	CHECK(nc_valid_name("/svc/test"));
	CHECK(nc_valid_name("/drv/netd")); /* drivers' endpoints */
	CHECK(!nc_valid_name("/dev/netd"));
	CHECK(nc_valid_pattern("/drv/*"));
	CHECK(!nc_match("/svc/*", "/drv/netd")); /* sh cannot reach it */
	CHECK(!nc_valid_name("/svc/"));
	CHECK(!nc_valid_name("svc/test"));
	CHECK(!nc_valid_name("/svc/a b"));
	CHECK(!nc_valid_name("/svc/a*"));
	CHECK(!nc_valid_name("/svc/a\"b"));
	char lng[80];
	memset(lng, 'x', sizeof(lng));
	memcpy(lng, "/svc/", 5);
	lng[64] = 0;
	CHECK(!nc_valid_name(lng));
	lng[63] = 0; /* "/svc/" + 58 */
	CHECK(nc_valid_name(lng));
	CHECK(nc_valid_pattern("*"));
	CHECK(nc_valid_pattern("/svc/*"));
	CHECK(nc_valid_pattern("/svc/te*"));
	CHECK(nc_valid_pattern("/svc/test"));
	CHECK(!nc_valid_pattern("/sv*"));
	CHECK(!nc_valid_pattern("**"));
	CHECK(!nc_valid_pattern("/svc/a*b"));
	CHECK(!nc_valid_pattern("/svc/a**"));
	CHECK(!nc_valid_pattern(""));
	CHECK(nc_match("*", "/svc/x"));
	CHECK(nc_match("/svc/te*", "/svc/test"));
	CHECK(nc_match("/svc/te*", "/svc/te"));
	CHECK(!nc_match("/svc/te*", "/svc/t"));
	CHECK(nc_match("/svc/test", "/svc/test"));
	CHECK(!nc_match("/svc/test", "/svc/test2"));
}

TEST(names_acl_denies_without_rights)
{
	setup();
	/* No list at all: nothing. */
	CHECK(reg(5, "/svc/x", "DENIED"));
	CHECK(answered(lookup(5, "/svc/x", 0, 0), "DENIED"));
	CHECK(acl(5, "\"/svc/x\"", "\"/svc/y*\""));
	CHECK(reg(5, "/svc/x", ""));
	CHECK(reg(5, "/svc/z", "DENIED"));
	CHECK(answered(lookup(5, "/svc/x", 0, 0), "DENIED"));
	CHECK(answered(lookup(5, "/svc/yes", 0, 0), "NOT_FOUND"));
	/* Control calls are init's alone. */
	uint32_t r =
		req(5, "{\"cmd\":\"acl\",\"badge\":5,\"register\":[\"*\"]}",
		    NULL, 0, 0);
	CHECK(answered(r, "DENIED"));
	r = req(0, "{\"cmd\":\"forget\",\"badge\":5}", NULL, 0, 0);
	CHECK(answered(r, "DENIED"));
	CHECK(nc_total_names(&nc) == 1);
	/* Bad lists change nothing. */
	r = req(1, "{\"cmd\":\"acl\",\"badge\":5,\"register\":[\"/x*\"]}", NULL,
		0, 0);
	CHECK(answered(r, "BAD_ARG"));
	r = req(1, "{\"cmd\":\"acl\",\"badge\":5,\"register\":\"*\"}", NULL, 0,
		0);
	CHECK(answered(r, "BAD_ARG"));
	r = req(1,
		"{\"cmd\":\"acl\",\"badge\":5,\"register\":[\"*\",\"*\",\"*\","
		"\"*\",\"*\",\"*\",\"*\",\"*\",\"*\"]}",
		NULL, 0, 0);
	CHECK(answered(r, "BAD_ARG"));
	r = req(1, "{\"cmd\":\"acl\",\"badge\":1,\"register\":[]}", NULL, 0, 0);
	CHECK(answered(r, "BAD_ARG"));
	CHECK(nc_may_register(&nc, 5, "/svc/x"));
	/* Narrowing drops what is no longer allowed. */
	CHECK(acl(5, "", "\"*\""));
	CHECK(nc_total_names(&nc) == 0);
	CHECK(balanced());
}

TEST(names_impostor_cannot_replace)
{
	setup();
	CHECK(acl(2, "\"/svc/comp\"", "\"*\""));
	CHECK(acl(3, "\"*\"", "\"*\""));
	CHECK(reg(2, "/svc/comp", ""));
	uint32_t first = nc.names[0].send;
	CHECK(reg(3, "/svc/comp", "BUSY"));
	/* The owner may re-register (its new endpoint). */
	CHECK(reg(2, "/svc/comp", ""));
	CHECK(nc.names[0].send != first && nc.names[0].badge == 2);
	uint32_t r = lookup(3, "/svc/comp", 0, 0);
	CHECK(answered(r, ""));
	CHECK(fk.last_send == nc.names[0].send);
	/* Only the owner unregisters. */
	r = req(3, "{\"cmd\":\"unregister\",\"name\":\"/svc/comp\"}", NULL, 0,
		0);
	CHECK(answered(r, "DENIED"));
	r = req(2, "{\"cmd\":\"unregister\",\"name\":\"/svc/comp\"}", NULL, 0,
		0);
	CHECK(answered(r, ""));
	r = req(2, "{\"cmd\":\"unregister\",\"name\":\"/svc/comp\"}", NULL, 0,
		0);
	CHECK(answered(r, "NOT_FOUND"));
	CHECK(reg(3, "/svc/comp", ""));
	CHECK(balanced());
}

TEST(names_refuses_other_handles)
{
	setup();
	CHECK(acl(2, "\"*\"", "\"*\""));
	uint32_t v = next_vmo++;
	fk.open[v] = 1;
	uint32_t r =
		req(2, "{\"cmd\":\"register\",\"name\":\"/svc/a\",\"port\":0}",
		    &v, 1, 0);
	CHECK(answered(r, "BAD_ARG"));
	CHECK(!fk.open[v]); /* closed, not kept */
	CHECK(nc_total_names(&nc) == 0);
	CHECK(nc.st.bad_handles == 1);
	/* Bad index, no handle, bad names. */
	uint32_t h = new_send();
	r = req(2, "{\"cmd\":\"register\",\"name\":\"/svc/a\",\"port\":1}", &h,
		1, 0);
	CHECK(answered(r, "BAD_ARG"));
	r = req(2, "{\"cmd\":\"register\",\"name\":\"/svc/a\",\"port\":0}",
		NULL, 0, 0);
	CHECK(answered(r, "BAD_ARG"));
	CHECK(reg(2, "/svc/a b", "BAD_ARG"));
	CHECK(reg(2, "/svc/*", "BAD_ARG"));
	/* Denied before the handle is even looked at. */
	CHECK(reg(9, "/svc/a", "DENIED"));
	CHECK(nc.st.bad_handles == 1);
	CHECK(balanced());
}

TEST(names_per_badge_limit)
{
	setup();
	CHECK(acl(2, "\"*\"", "\"*\""));
	CHECK(acl(3, "\"*\"", "\"*\""));
	char n[32];
	for (int i = 0; i < NC_NAMES_PER_BADGE; i++) {
		snprintf(n, sizeof(n), "/svc/f%d", i);
		CHECK(reg(2, n, ""));
	}
	for (int i = 0; i < 40; i++) {
		snprintf(n, sizeof(n), "/svc/g%d", i);
		CHECK(reg(2, n, "NO_MEMORY"));
	}
	/* Others still can. */
	CHECK(reg(3, "/svc/other", ""));
	CHECK(nc_count_names(&nc, 2) == NC_NAMES_PER_BADGE);
	/* The whole table is bounded too. */
	int ok = 0;
	for (uint64_t b = 10; b < 20; b++) {
		CHECK(acl(b, "\"*\"", ""));
		for (int i = 0; i < NC_NAMES_PER_BADGE; i++) {
			snprintf(n, sizeof(n), "/svc/b%llu-%d",
				 (unsigned long long)b, i);
			ok += reg(b, n, "");
		}
	}
	CHECK(nc_total_names(&nc) == NC_MAX_NAMES);
	CHECK(ok == NC_MAX_NAMES - NC_NAMES_PER_BADGE - 1);
	/* The list stays one message. */
	uint32_t r = req(3, "{\"cmd\":\"list\"}", NULL, 0, 0);
	CHECK(answered(r, ""));
	CHECK(strlen(fk.last_result) < 4000);
	CHECK(strstr(fk.last_result, "\"/svc/other\",\"badge\":3"));
	CHECK(balanced());
}

TEST(names_list_only_what_may_be_looked_up)
{
	setup();
	CHECK(acl(2, "\"/svc/a\",\"/svc/b\"", "\"/svc/a\""));
	CHECK(reg(2, "/svc/a", ""));
	CHECK(reg(2, "/svc/b", ""));
	uint32_t r = req(2, "{\"cmd\":\"list\"}", NULL, 0, 0);
	CHECK(answered(r, ""));
	CHECK(!strcmp(fk.last_result, "{\"names\":[{\"name\":\"/svc/a\","
				      "\"badge\":2}],\"truncated\":false}"));
	r = req(7, "{\"cmd\":\"list\"}", NULL, 0, 0);
	CHECK(answered(r, ""));
	CHECK(!strcmp(fk.last_result, "{\"names\":[],\"truncated\":false}"));
	r = req(7, "{\"cmd\":\"status\"}", NULL, 0, 0);
	CHECK(answered(r, ""));
	CHECK(strstr(fk.last_result, "\"names\":2,"));
	r = req(7, "{\"cmd\":\"ping\"}", NULL, 0, 0);
	CHECK(answered(r, ""));
	r = req(7, "{\"cmd\":\"fly\"}", NULL, 0, 0);
	CHECK(answered(r, "BAD_CMD"));
	r = req(7, "[1]", NULL, 0, 0);
	CHECK(answered(r, "BAD_JSON"));
	CHECK(balanced());
}

TEST(names_waiters_answered_on_register)
{
	setup();
	CHECK(acl(2, "\"/svc/late\"", ""));
	CHECK(acl(3, "", "\"*\""));
	uint32_t w = lookup(3, "/svc/late", 1000000, 0);
	CHECK(fk.open[w]); /* waiting */
	CHECK(nc_count_waiters(&nc, 3) == 1);
	CHECK(reg(2, "/svc/late", ""));
	CHECK(!fk.open[w]);
	CHECK(fk.oks >= 1 && nc_total_waiters(&nc) == 0);
	CHECK(balanced());
}

TEST(names_wait_capped_and_expired)
{
	setup();
	CHECK(acl(3, "", "\"*\""));
	uint32_t w = lookup(3, "/svc/x", 3600ull * 1000000, 100);
	CHECK(fk.open[w]);
	CHECK(nc_expire(&nc, 100) == 100 + NC_MAX_WAIT_NS);
	/* UINT64_MAX microseconds: capped, no overflow. */
	uint32_t w2 = lookup(3, "/svc/x", UINT64_MAX, 100);
	CHECK(fk.open[w2]);
	CHECK(nc_expire(&nc, 100 + NC_MAX_WAIT_NS - 1) == 100 + NC_MAX_WAIT_NS);
	nc_expire(&nc, 100 + NC_MAX_WAIT_NS);
	CHECK(!fk.open[w] && !fk.open[w2]);
	CHECK(!strcmp(fk.last_code, "NOT_FOUND"));
	CHECK(nc_total_waiters(&nc) == 0);
	CHECK(nc.st.expired == 2);
	CHECK(nc_expire(&nc, 0) == NC_DEADLINE_NONE);
	/* A bad wait. */
	uint32_t r = req(3,
			 "{\"cmd\":\"lookup\",\"name\":\"/svc/x\","
			 "\"wait_usec\":-1}",
			 NULL, 0, 0);
	CHECK(answered(r, "BAD_ARG"));
	CHECK(balanced());
}

/* A client that abandons lookups only ever fills its own slots. */
TEST(names_abandoned_waiters_cost_their_badge)
{
	setup();
	for (uint64_t b = 2; b < 40; b++)
		CHECK(acl(b, "", "\"*\""));
	CHECK(acl(99, "\"*\"", ""));
	uint32_t first = lookup(2, "/svc/x", 3600ull * 1000000, 0);
	for (int i = 0; i < 100; i++)
		lookup(2, "/svc/x", 3600ull * 1000000, 0);
	CHECK(nc_count_waiters(&nc, 2) == NC_WAITERS_PER_BADGE);
	CHECK(!fk.open[first]); /* displaced with BUSY */
	CHECK(nc.st.evicted == 100 + 1 - NC_WAITERS_PER_BADGE);
	/* Another badge is never BUSY while it is under its share. */
	uint32_t mine = lookup(3, "/svc/x", 1000, 0);
	CHECK(fk.open[mine]);
	/* Fill the whole table with 8 hogs at their limit. */
	for (uint64_t b = 4; b < 4 + 8; b++)
		for (int i = 0; i < 10; i++)
			lookup(b, "/svc/x", 3600ull * 1000000, 0);
	CHECK(nc_total_waiters(&nc) == NC_MAX_WAITERS);
	/* Badge 3 (one waiter) and a newcomer still get in. */
	uint32_t again = lookup(3, "/svc/x", 1000, 0);
	CHECK(fk.open[again]);
	uint32_t fresh = lookup(30, "/svc/x", 1000, 0);
	CHECK(fk.open[fresh]);
	CHECK(nc_total_waiters(&nc) == NC_MAX_WAITERS);
	/* Expiry answers the short ones, registering answers the rest. */
	nc_expire(&nc, 1000 * 1000);
	CHECK(!fk.open[mine] && !fk.open[again] && !fk.open[fresh]);
	CHECK(reg(99, "/svc/x", ""));
	CHECK(nc_total_waiters(&nc) == 0);
	CHECK(balanced());
}

TEST(names_forget_frees_the_name)
{
	setup();
	CHECK(acl(2, "\"/svc/test\"", "\"*\""));
	CHECK(reg(2, "/svc/test", ""));
	uint32_t w = lookup(2, "/svc/other", 1000000, 0);
	CHECK(acl(2, "\"/svc/test\"", "\"/svc/o*\"")); /* still allowed */
	CHECK(fk.open[w] && nc_total_names(&nc) == 1);
	/* The restarted instance (new badge) cannot take it before forget. */
	CHECK(acl(4, "\"/svc/test\"", ""));
	CHECK(reg(4, "/svc/test", "BUSY"));
	uint32_t r = req(1, "{\"cmd\":\"forget\",\"badge\":2}", NULL, 0, 0);
	CHECK(answered(r, ""));
	CHECK(!strcmp(fk.last_result, "{\"dropped\":1}"));
	CHECK(!fk.open[w]); /* closed: its caller is gone */
	CHECK(!nc_may_lookup(&nc, 2, "/svc/test"));
	CHECK(reg(4, "/svc/test", ""));
	CHECK(balanced());
}

/* Random requests from random badges: the accounting always balances. */
TEST(names_random_requests)
{
	setup();
	static const char *const reqs[] = {
		"{\"cmd\":\"register\",\"name\":\"/svc/a\",\"port\":0}",
		"{\"cmd\":\"register\",\"name\":\"/svc/b\",\"port\":1}",
		"{\"cmd\":\"unregister\",\"name\":\"/svc/a\"}",
		"{\"cmd\":\"lookup\",\"name\":\"/svc/b\",\"wait_usec\":5}",
		"{\"cmd\":\"lookup\",\"name\":\"/svc/a\",\"wait_usec\":0}",
		("{\"cmd\":\"acl\",\"badge\":3,\"register\":[\"*\"],"
		 "\"lookup\":[\"/svc/*\"]}"),
		"{\"cmd\":\"acl\",\"badge\":4,\"register\":[\"/svc/a\"]}",
		"{\"cmd\":\"forget\",\"badge\":3}",
		"{\"cmd\":\"list\"}",
		"{\"cmd\":\"status\"}",
		"{\"cmd\":\"register\",\"name\":\"/svc/b\"",
		"{\"cmd\":\"lookup\",\"name\":7}",
	};
	srand(7);
	for (int i = 0; i < 20000; i++) {
		uint32_t h[2] = {0, 0}, nh = (uint32_t)(rand() % 3);
		for (uint32_t k = 0; k < nh; k++) {
			if (rand() % 2) {
				h[k] = new_send();
			} else {
				h[k] = next_vmo++;
				fk.open[h[k]] = 1;
			}
			if (next_send >= 2000)
				next_send = 1000;
			if (next_vmo >= 3000)
				next_vmo = 2000;
		}
		if (next_reply >= 4900)
			next_reply = 3000;
		while (fk.open[next_reply])
			next_reply++;
		const char *j = reqs[rand() % 12];
		req((uint64_t)(rand() % 5), j, h, nh, (uint64_t)i);
		nc_expire(&nc, (uint64_t)i);
		if (fk.next_kept >= 8000)
			break;
		CHECK(balanced());
	}
}
