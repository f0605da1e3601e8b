/* names_core: registry, access control and waiting lookups (see
 * names_core.h, docs/names.md). No system calls: what needs doing goes
 * through nc->ops. */
#include "names_core.h"

#include <string.h>

void nc_init(struct names_core *nc, const struct nc_ops *ops)
{
	memset(nc, 0, sizeof(*nc));
	nc->ops = *ops;
}

static bool name_char(char c)
{
	return c > ' ' && c <= '~' && c != '"' && c != '\\' && c != '*';
}

/* Services under /svc/, device endpoints for drivers under /drv/ (a
 * program whose lookups are limited to the /svc/ prefix cannot reach
 * them). */
static bool name_space(const char *n)
{
	return !strncmp(n, "/svc/", 5) || !strncmp(n, "/drv/", 5);
}

bool nc_valid_name(const char *n)
{
	size_t l = strnlen(n, NC_NAME_MAX);
	if (l <= 5 || l >= NC_NAME_MAX || !name_space(n))
		return false;
	for (size_t i = 5; i < l; i++)
		if (!name_char(n[i]))
			return false;
	return true;
}

bool nc_valid_pattern(const char *p)
{
	size_t l = strnlen(p, NC_NAME_MAX);
	if (l == 1 && p[0] == '*')
		return true;
	if (l >= NC_NAME_MAX || l < 6)
		return false;
	if (p[l - 1] != '*')
		return nc_valid_name(p);
	if (!name_space(p))
		return false;
	for (size_t i = 5; i + 1 < l; i++)
		if (!name_char(p[i]))
			return false;
	return true;
}

bool nc_match(const char *pattern, const char *name)
{
	size_t l = strlen(pattern);
	if (l && pattern[l - 1] == '*')
		return !strncmp(pattern, name, l - 1);
	return !strcmp(pattern, name);
}

static const struct nc_acl *acl_of(const struct names_core *nc, uint64_t badge)
{
	for (int i = 0; i < NC_MAX_ACLS; i++)
		if (nc->acls[i].used && nc->acls[i].badge == badge)
			return &nc->acls[i];
	return NULL;
}

static bool any_match(const char (*pats)[NC_NAME_MAX], unsigned n,
		      const char *name)
{
	for (unsigned i = 0; i < n; i++)
		if (nc_match(pats[i], name))
			return true;
	return false;
}

/* init (badge 1) may do anything; everybody else what its list says. */
bool nc_may_register(const struct names_core *nc, uint64_t badge,
		     const char *name)
{
	if (badge == NC_BADGE_INIT)
		return true;
	const struct nc_acl *a = acl_of(nc, badge);
	return a && any_match(a->reg, a->nreg, name);
}

bool nc_may_lookup(const struct names_core *nc, uint64_t badge,
		   const char *name)
{
	if (badge == NC_BADGE_INIT)
		return true;
	const struct nc_acl *a = acl_of(nc, badge);
	return a && any_match(a->look, a->nlook, name);
}

static void drop_entry(struct names_core *nc, struct nc_entry *e)
{
	nc->ops.close(nc->ops.ctx, e->send);
	memset(e, 0, sizeof(*e));
}

static void drop_waiter(struct names_core *nc, struct nc_waiter *w,
			const char *code, const char *msg)
{
	if (code)
		nc->ops.reply_err(nc->ops.ctx, w->reply, code, msg);
	else
		nc->ops.close(nc->ops.ctx, w->reply);
	memset(w, 0, sizeof(*w));
}

int nc_acl_set(struct names_core *nc, uint64_t badge, const char *const *reg,
	       unsigned nreg, const char *const *look, unsigned nlook)
{
	if (nreg > NC_MAX_PATTERNS || nlook > NC_MAX_PATTERNS ||
	    (nreg && !reg) || (nlook && !look))
		return NC_E_BAD_ARG;
	for (unsigned i = 0; i < nreg; i++)
		if (!nc_valid_pattern(reg[i]))
			return NC_E_BAD_ARG;
	for (unsigned i = 0; i < nlook; i++)
		if (!nc_valid_pattern(look[i]))
			return NC_E_BAD_ARG;
	struct nc_acl *a = (struct nc_acl *)acl_of(nc, badge);
	for (int i = 0; i < NC_MAX_ACLS && !a; i++)
		if (!nc->acls[i].used)
			a = &nc->acls[i];
	if (!a)
		return NC_E_NO_MEMORY;
	memset(a, 0, sizeof(*a));
	a->used = true;
	a->badge = badge;
	a->nreg = (uint8_t)nreg;
	a->nlook = (uint8_t)nlook;
	for (unsigned i = 0; i < nreg; i++)
		strcpy(a->reg[i], reg[i]); /* length checked by valid_pattern */
	for (unsigned i = 0; i < nlook; i++)
		strcpy(a->look[i], look[i]);
	/* Narrowed rights take effect at once. */
	for (int i = 0; i < NC_MAX_NAMES; i++) {
		struct nc_entry *e = &nc->names[i];
		if (e->used && e->badge == badge &&
		    !nc_may_register(nc, badge, e->name))
			drop_entry(nc, e);
	}
	for (int i = 0; i < NC_MAX_WAITERS; i++) {
		struct nc_waiter *w = &nc->waiters[i];
		if (w->used && w->badge == badge &&
		    !nc_may_lookup(nc, badge, w->name))
			drop_waiter(nc, w, "DENIED", "lookup not allowed");
	}
	return NC_OK;
}

int nc_forget(struct names_core *nc, uint64_t badge)
{
	int n = 0;
	for (int i = 0; i < NC_MAX_NAMES; i++) {
		if (nc->names[i].used && nc->names[i].badge == badge) {
			drop_entry(nc, &nc->names[i]);
			n++;
		}
	}
	/* Its callers are gone: closing the reply is all that is left. */
	for (int i = 0; i < NC_MAX_WAITERS; i++)
		if (nc->waiters[i].used && nc->waiters[i].badge == badge)
			drop_waiter(nc, &nc->waiters[i], NULL, NULL);
	for (int i = 0; i < NC_MAX_ACLS; i++)
		if (nc->acls[i].used && nc->acls[i].badge == badge)
			memset(&nc->acls[i], 0, sizeof(nc->acls[i]));
	return n;
}

static struct nc_entry *find(struct names_core *nc, const char *name)
{
	for (int i = 0; i < NC_MAX_NAMES; i++)
		if (nc->names[i].used && !strcmp(nc->names[i].name, name))
			return &nc->names[i];
	return NULL;
}

unsigned nc_count_names(const struct names_core *nc, uint64_t badge)
{
	unsigned n = 0;
	for (int i = 0; i < NC_MAX_NAMES; i++)
		n += nc->names[i].used && nc->names[i].badge == badge;
	return n;
}

unsigned nc_count_waiters(const struct names_core *nc, uint64_t badge)
{
	unsigned n = 0;
	for (int i = 0; i < NC_MAX_WAITERS; i++)
		n += nc->waiters[i].used && nc->waiters[i].badge == badge;
	return n;
}

unsigned nc_total_names(const struct names_core *nc)
{
	unsigned n = 0;
	for (int i = 0; i < NC_MAX_NAMES; i++)
		n += nc->names[i].used;
	return n;
}

unsigned nc_total_waiters(const struct names_core *nc)
{
	unsigned n = 0;
	for (int i = 0; i < NC_MAX_WAITERS; i++)
		n += nc->waiters[i].used;
	return n;
}

int nc_register(struct names_core *nc, uint64_t badge, const char *name,
		uint32_t send)
{
	if (!nc_valid_name(name) || !send)
		return NC_E_BAD_ARG;
	if (!nc_may_register(nc, badge, name)) {
		nc->st.denied++;
		return NC_E_DENIED;
	}
	struct nc_entry *e = find(nc, name);
	if (e && e->badge != badge) { /* never handed to an impostor */
		nc->st.busy++;
		return NC_E_BUSY;
	}
	if (e) { /* the same instance registers again: its new endpoint */
		nc->ops.close(nc->ops.ctx, e->send);
		e->send = send;
	} else {
		if (nc_count_names(nc, badge) >= NC_NAMES_PER_BADGE)
			return NC_E_NO_MEMORY;
		for (int i = 0; i < NC_MAX_NAMES && !e; i++)
			if (!nc->names[i].used)
				e = &nc->names[i];
		if (!e)
			return NC_E_NO_MEMORY;
		e->used = true;
		strcpy(e->name, name);
		e->badge = badge;
		e->send = send;
	}
	for (int i = 0; i < NC_MAX_WAITERS; i++) {
		struct nc_waiter *w = &nc->waiters[i];
		if (!w->used || strcmp(w->name, name))
			continue;
		nc->ops.reply_ok(nc->ops.ctx, w->reply, "{\"port\":0}",
				 e->send);
		memset(w, 0, sizeof(*w));
	}
	return NC_OK;
}

int nc_unregister(struct names_core *nc, uint64_t badge, const char *name)
{
	if (!nc_valid_name(name))
		return NC_E_BAD_ARG;
	struct nc_entry *e = find(nc, name);
	if (!e)
		return NC_E_NOT_FOUND;
	if (e->badge != badge) {
		nc->st.denied++;
		return NC_E_DENIED;
	}
	drop_entry(nc, e);
	return NC_OK;
}

/* The oldest waiter of badge, or NULL. */
static struct nc_waiter *oldest_of(struct names_core *nc, uint64_t badge)
{
	struct nc_waiter *o = NULL;
	for (int i = 0; i < NC_MAX_WAITERS; i++) {
		struct nc_waiter *w = &nc->waiters[i];
		if (w->used && w->badge == badge && (!o || w->seq < o->seq))
			o = w;
	}
	return o;
}

/* A slot for badge's new waiter: a free one while badge is under its own
 * limit; at its limit, its own oldest waiter makes room (abandoned
 * lookups only ever cost their own badge); table full, the oldest waiter
 * of the badge holding the most makes room if that badge holds more than
 * badge. NULL: BUSY. */
static struct nc_waiter *waiter_slot(struct names_core *nc, uint64_t badge)
{
	unsigned mine = nc_count_waiters(nc, badge);
	struct nc_waiter *victim = NULL;
	if (mine >= NC_WAITERS_PER_BADGE) {
		victim = oldest_of(nc, badge);
	} else {
		for (int i = 0; i < NC_MAX_WAITERS; i++)
			if (!nc->waiters[i].used)
				return &nc->waiters[i];
		uint64_t top = 0;
		unsigned most = 0;
		for (int i = 0; i < NC_MAX_WAITERS; i++) {
			unsigned c = nc_count_waiters(nc, nc->waiters[i].badge);
			if (c > most) {
				most = c;
				top = nc->waiters[i].badge;
			}
		}
		if (most > mine + 1)
			victim = oldest_of(nc, top);
	}
	if (!victim)
		return NULL;
	nc->st.evicted++;
	drop_waiter(nc, victim, "BUSY", "lookup displaced by a newer one");
	return victim;
}

int nc_lookup(struct names_core *nc, uint64_t badge, const char *name,
	      uint64_t wait_ns, uint64_t now, uint32_t reply, uint32_t *send)
{
	if (!nc_valid_name(name))
		return NC_E_BAD_ARG;
	if (!nc_may_lookup(nc, badge, name)) {
		nc->st.denied++;
		return NC_E_DENIED;
	}
	struct nc_entry *e = find(nc, name);
	if (e) {
		*send = e->send;
		return NC_OK;
	}
	if (!wait_ns)
		return NC_E_NOT_FOUND;
	struct nc_waiter *w = waiter_slot(nc, badge);
	if (!w) {
		nc->st.busy++;
		return NC_E_BUSY;
	}
	if (wait_ns > NC_MAX_WAIT_NS)
		wait_ns = NC_MAX_WAIT_NS;
	w->used = true;
	strcpy(w->name, name);
	w->badge = badge;
	w->reply = reply;
	w->deadline = now + wait_ns;
	w->seq = ++nc->seq;
	return NC_WAITING;
}

uint64_t nc_expire(struct names_core *nc, uint64_t now)
{
	uint64_t next = NC_DEADLINE_NONE;
	for (int i = 0; i < NC_MAX_WAITERS; i++) {
		struct nc_waiter *w = &nc->waiters[i];
		if (!w->used)
			continue;
		if (w->deadline <= now) {
			nc->st.expired++;
			drop_waiter(nc, w, "NOT_FOUND",
				    "no such name (waited)");
		} else if (w->deadline < next) {
			next = w->deadline;
		}
	}
	return next;
}
