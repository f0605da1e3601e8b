/* names_proto: the JSON requests of the name service (docs/names.md),
 * turned into names_core calls. No system calls. */
#include <stdio.h>
#include <string.h>

#include "names_core.h"

#define RESULT_MAX 4000 /* an answer must fit one 4096-byte message */

static const char *code_of(int e)
{
	switch (e) {
	case NC_E_DENIED:
		return "DENIED";
	case NC_E_BUSY:
		return "BUSY";
	case NC_E_NOT_FOUND:
		return "NOT_FOUND";
	case NC_E_NO_MEMORY:
		return "NO_MEMORY";
	default:
		return "BAD_ARG";
	}
}

static void err(struct names_core *nc, uint32_t reply, int e, const char *m)
{
	nc->ops.reply_err(nc->ops.ctx, reply, code_of(e), m);
}

static void ok(struct names_core *nc, uint32_t reply, const char *result)
{
	nc->ops.reply_ok(nc->ops.ctx, reply, result, 0);
}

/* The "name" member, a valid name. */
static bool get_name(struct names_core *nc, char *n)
{
	return json_get_str(&nc->doc, "name", n, NC_NAME_MAX) >= 0 &&
	       nc_valid_name(n);
}

/* Up to NC_MAX_PATTERNS strings of the array at key (absent: none). */
static int get_patterns(struct names_core *nc, const char *key,
			char (*out)[NC_NAME_MAX], const char **ptr, unsigned *n)
{
	*n = 0;
	int t = json_find(&nc->doc, 0, key);
	if (t == JSON_ERR_NOTFOUND)
		return 0;
	if (t < 0 || json_type_of(&nc->doc, t) != JSON_ARRAY ||
	    nc->doc.tok[t].size > NC_MAX_PATTERNS)
		return -1;
	for (int i = 0; i < nc->doc.tok[t].size; i++) {
		int e = json_index(&nc->doc, t, i);
		if (json_type_of(&nc->doc, e) != JSON_STRING ||
		    json_str(&nc->doc, e, out[i], NC_NAME_MAX) < 0)
			return -1;
		ptr[i] = out[i];
	}
	*n = (unsigned)nc->doc.tok[t].size;
	return 0;
}

static void do_acl(struct names_core *nc, uint32_t reply)
{
	static char reg[NC_MAX_PATTERNS][NC_NAME_MAX];
	static char look[NC_MAX_PATTERNS][NC_NAME_MAX];
	const char *rp[NC_MAX_PATTERNS], *lp[NC_MAX_PATTERNS];
	unsigned nr, nl;
	uint64_t badge;
	if (json_get_uint(&nc->doc, "badge", &badge) < 0 ||
	    badge == NC_BADGE_INIT ||
	    get_patterns(nc, "register", reg, rp, &nr) < 0 ||
	    get_patterns(nc, "lookup", look, lp, &nl) < 0) {
		err(nc, reply, NC_E_BAD_ARG,
		    "badge: N (not 1), register/lookup: [patterns]");
		return;
	}
	int e = nc_acl_set(nc, badge, rp, nr, lp, nl);
	if (e < 0)
		err(nc, reply, e, "bad pattern or too many badges");
	else
		ok(nc, reply, NULL);
}

static void do_forget(struct names_core *nc, uint32_t reply)
{
	uint64_t badge;
	if (json_get_uint(&nc->doc, "badge", &badge) < 0 ||
	    badge == NC_BADGE_INIT) {
		err(nc, reply, NC_E_BAD_ARG, "badge: N (not 1)");
		return;
	}
	char res[48];
	snprintf(res, sizeof(res), "{\"dropped\":%d}", nc_forget(nc, badge));
	ok(nc, reply, res);
}

static void do_register(struct names_core *nc, uint64_t badge, uint32_t *h,
			uint32_t nh, uint32_t reply)
{
	char n[NC_NAME_MAX];
	int64_t idx = -1;
	if (!get_name(nc, n)) {
		err(nc, reply, NC_E_BAD_ARG, "name: /svc/<name>");
		return;
	}
	if (json_get_int(&nc->doc, "port", &idx) < 0 || idx < 0 ||
	    (uint64_t)idx >= nh || !h[idx]) {
		err(nc, reply, NC_E_BAD_ARG, "port: index of a handle");
		return;
	}
	/* The rights are checked before the handle is touched. */
	if (!nc_may_register(nc, badge, n)) {
		nc->st.denied++;
		err(nc, reply, NC_E_DENIED, "may not register this name");
		return;
	}
	uint32_t kept;
	if (nc->ops.adopt_send(nc->ops.ctx, h[idx], &kept) < 0) {
		nc->st.bad_handles++;
		err(nc, reply, NC_E_BAD_ARG,
		    "port: must be a port send endpoint with WRITE");
		return;
	}
	h[idx] = 0; /* consumed by adopt_send */
	int e = nc_register(nc, badge, n, kept);
	if (e < 0) {
		nc->ops.close(nc->ops.ctx, kept);
		err(nc, reply, e,
		    e == NC_E_BUSY ? "name held by another service"
				   : "too many names");
		return;
	}
	ok(nc, reply, NULL);
}

static void do_unregister(struct names_core *nc, uint64_t badge, uint32_t reply)
{
	char n[NC_NAME_MAX];
	if (!get_name(nc, n)) {
		err(nc, reply, NC_E_BAD_ARG, "name: /svc/<name>");
		return;
	}
	int e = nc_unregister(nc, badge, n);
	if (e < 0)
		err(nc, reply, e, n);
	else
		ok(nc, reply, NULL);
}

static void do_lookup(struct names_core *nc, uint64_t badge, uint32_t reply,
		      uint64_t now)
{
	char n[NC_NAME_MAX];
	uint64_t wait_us = 0;
	if (!get_name(nc, n)) {
		err(nc, reply, NC_E_BAD_ARG, "name: /svc/<name>");
		return;
	}
	int t = json_find(&nc->doc, 0, "wait_usec");
	if (t >= 0 && json_uint(&nc->doc, t, &wait_us) < 0) {
		err(nc, reply, NC_E_BAD_ARG, "wait_usec: microseconds");
		return;
	}
	/* Capped long before the multiplication could overflow. */
	uint64_t wait_ns = wait_us > NC_MAX_WAIT_NS / 1000 ? NC_MAX_WAIT_NS
							   : wait_us * 1000;
	uint32_t send = 0;
	int e = nc_lookup(nc, badge, n, wait_ns, now, reply, &send);
	if (e == NC_OK)
		nc->ops.reply_ok(nc->ops.ctx, reply, "{\"port\":0}", send);
	else if (e < 0)
		err(nc, reply, e, n);
}

/* Names the caller may look up, with their owners' badges. Names hold no
 * character that needs escaping (nc_valid_name). */
static void do_list(struct names_core *nc, uint64_t badge, uint32_t reply)
{
	static char res[RESULT_MAX];
	size_t n = (size_t)snprintf(res, sizeof(res), "{\"names\":[");
	bool first = true, cut = false;
	for (int i = 0; i < NC_MAX_NAMES; i++) {
		const struct nc_entry *e = &nc->names[i];
		if (!e->used || !nc_may_lookup(nc, badge, e->name))
			continue;
		int m = snprintf(res + n, sizeof(res) - n,
				 "%s{\"name\":\"%s\",\"badge\":%llu}",
				 first ? "" : ",", e->name,
				 (unsigned long long)e->badge);
		if (m < 0 || (size_t)m >= sizeof(res) - n - 32) {
			res[n] = 0; /* leave room to close the answer */
			cut = true;
			break;
		}
		n += (size_t)m;
		first = false;
	}
	snprintf(res + n, sizeof(res) - n, "],\"truncated\":%s}",
		 cut ? "true" : "false");
	ok(nc, reply, res);
}

static void do_status(struct names_core *nc, uint64_t badge, uint32_t reply)
{
	char res[512];
	snprintf(res, sizeof(res),
		 "{\"names\":%u,\"waiters\":%u,\"yours\":{\"names\":%u,"
		 "\"waiters\":%u},\"limits\":{\"names\":%d,\"names_per_badge\":"
		 "%d,\"waiters\":%d,\"waiters_per_badge\":%d,\"wait_usec\":%llu"
		 "},\"requests\":%llu,\"denied\":%llu,\"busy\":%llu,"
		 "\"evicted\":%llu,\"expired\":%llu,\"bad_handles\":%llu}",
		 nc_total_names(nc), nc_total_waiters(nc),
		 nc_count_names(nc, badge), nc_count_waiters(nc, badge),
		 NC_MAX_NAMES, NC_NAMES_PER_BADGE, NC_MAX_WAITERS,
		 NC_WAITERS_PER_BADGE, NC_MAX_WAIT_NS / 1000,
		 (unsigned long long)nc->st.requests,
		 (unsigned long long)nc->st.denied,
		 (unsigned long long)nc->st.busy,
		 (unsigned long long)nc->st.evicted,
		 (unsigned long long)nc->st.expired,
		 (unsigned long long)nc->st.bad_handles);
	ok(nc, reply, res);
}

void nc_request(struct names_core *nc, uint64_t badge, const char *text,
		size_t len, uint32_t *h, uint32_t nh, uint32_t reply,
		uint64_t now)
{
	struct json_doc *d = &nc->doc;
	nc->st.requests++;
	if (json_parse(d, text, len) < 0 || json_type_of(d, 0) != JSON_OBJECT) {
		nc->ops.reply_err(nc->ops.ctx, reply, "BAD_JSON",
				  "not a JSON object");
		return;
	}
	int cmd = json_find(d, 0, "cmd");
	if (json_str_eq(d, cmd, "acl") || json_str_eq(d, cmd, "forget")) {
		if (badge != NC_BADGE_INIT) {
			nc->st.denied++;
			err(nc, reply, NC_E_DENIED, "control calls: init only");
		} else if (json_str_eq(d, cmd, "acl")) {
			do_acl(nc, reply);
		} else {
			do_forget(nc, reply);
		}
	} else if (json_str_eq(d, cmd, "register")) {
		do_register(nc, badge, h, nh, reply);
	} else if (json_str_eq(d, cmd, "unregister")) {
		do_unregister(nc, badge, reply);
	} else if (json_str_eq(d, cmd, "lookup")) {
		do_lookup(nc, badge, reply, now);
	} else if (json_str_eq(d, cmd, "list")) {
		do_list(nc, badge, reply);
	} else if (json_str_eq(d, cmd, "status")) {
		do_status(nc, badge, reply);
	} else if (json_str_eq(d, cmd, "ping")) {
		ok(nc, reply,
		   "{\"name\":\"names\",\"version\":\"0.2.0\","
		   "\"protocol\":\"ports/v0\"}");
	} else {
		nc->ops.reply_err(nc->ops.ctx, reply, "BAD_CMD", "unknown cmd");
	}
}
