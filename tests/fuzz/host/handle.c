/* Handle tables (kernel/obj/handle.c) against a reference model. The input
 * is a program: two quota bytes, then operations on two tables and four
 * objects: alloc, get, dup, close, abandon, and moves of 1..4 handles to the
 * other table as a port message makes them (take-many, optionally checked
 * against pinned objects; reserve; commit or cancel; transit done). After every
 * operation the model and the tables must agree: each call's result, the handle
 * counts, every object's handle count and reference count, and the "last handle
 * closed" calls. Closed (stale) values must never resolve again. At the end
 * both tables are destroyed and every object and kernel allocation must be
 * gone. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include <execrt/errors.h>
#include <execrt/rights.h>
#include <kern/handle.h>
#include <kern/slab.h>

#define NOBJ	 4
#define NTAB	 2
#define MAXLIVE	 96 /* per table; the quota byte is kept below */
#define MAXSTALE 512

struct fobj {
	struct kobject obj;
	int destroyed, last_closed;
};

struct entry {
	handle_t h;
	int obj;
	uint32_t rights;
};

static struct model {
	struct entry live[NTAB][MAXLIVE];
	unsigned nlive[NTAB];
	uint32_t quota[NTAB];
	handle_t stale[NTAB][MAXSTALE];
	unsigned nstale[NTAB];
	/* per object: expected handle count (handles in transit
	 * included) and last_handle_closed calls */
	uint32_t handles[NOBJ];
	int last_closed[NOBJ];
} m;

static struct fobj *objs[NOBJ];
static struct handle_table tabs[NTAB];
static const uint32_t obj_type[NOBJ] = {OBJ_VMO, OBJ_PORT, OBJ_VMO,
					OBJ_NOTIFICATION};

static void fail(const char *what, long a, long b)
{
	fprintf(stderr, "handle fuzz: %s (%ld vs %ld)\n", what, a, b);
	abort();
}
#define EXPECT_EQ(a, b)                                                        \
	do {                                                                   \
		long _a = (long)(a), _b = (long)(b);                           \
		if (_a != _b)                                                  \
			fail(#a " == " #b, _a, _b);                            \
	} while (0)

static void fobj_destroy(struct kobject *o)
{
	container_of(o, struct fobj, obj)->destroyed++;
}

static void fobj_last(struct kobject *o)
{
	container_of(o, struct fobj, obj)->last_closed++;
}

static const struct kobj_ops fobj_ops = {.name = "fuzz",
					 .destroy = fobj_destroy,
					 .last_handle_closed = fobj_last};

/* The input, consumed from the front; zeros once it runs out. */
static const uint8_t *in;
static size_t in_len;

static uint8_t byte(void)
{
	if (!in_len)
		return 0;
	in_len--;
	return *in++;
}

static uint32_t rights_from(uint8_t b)
{
	/* Mostly small subsets of the real rights; now and then RIGHT_SAME or
	 * undefined bits. */
	uint32_t r = ((uint32_t)b * 0x9u) & RIGHTS_ALL;
	if (b == 0xff)
		return RIGHT_SAME;
	if (b == 0xfe)
		return 0xffffffffu & ~RIGHT_SAME;
	return r;
}

static int find_live(int t, handle_t h)
{
	for (unsigned i = 0; i < m.nlive[t]; i++)
		if (m.live[t][i].h == h)
			return (int)i;
	return -1;
}

static void forget_live(int t, int i)
{
	if (m.nstale[t] < MAXSTALE)
		m.stale[t][m.nstale[t]++] = m.live[t][i].h;
	m.live[t][i] = m.live[t][--m.nlive[t]];
}

/* A handle value to try: a live one, a stale one, or raw bits. */
static handle_t pick(int t)
{
	uint8_t b = byte();
	unsigned kind = b >> 6, k = b & 63;
	if (kind <= 1 && m.nlive[t])
		return m.live[t][k % m.nlive[t]].h;
	if (kind == 2 && m.nstale[t])
		return m.stale[t][k % m.nstale[t]];
	handle_t h = 0;
	for (int i = 0; i < 4; i++)
		h = h << 8 | byte();
	return h;
}

static bool is_stale(int t, handle_t h)
{
	for (unsigned i = 0; i < m.nstale[t]; i++)
		if (m.stale[t][i] == h)
			return true;
	return false;
}

/* A value the table just handed out: never 0, never a live or an old one. */
static void add_live(int t, handle_t h, int o, uint32_t rights)
{
	if (h == HANDLE_INVALID || find_live(t, h) >= 0 || is_stale(t, h))
		fail("new handle value is 0, live or stale", (long)h, t);
	if (m.nlive[t] >= MAXLIVE)
		fail("model table overflow", m.nlive[t], MAXLIVE);
	m.live[t][m.nlive[t]++] = (struct entry){h, o, rights};
	m.handles[o]++;
}

/* The object's handles dropped by one through close/destroy. */
static void model_drop(int o)
{
	if (--m.handles[o] == 0)
		m.last_closed[o]++;
}

static void check_all(void)
{
	for (int t = 0; t < NTAB; t++)
		EXPECT_EQ(handle_count(&tabs[t]), m.nlive[t]);
	for (int o = 0; o < NOBJ; o++) {
		struct fobj *f = objs[o];
		EXPECT_EQ(f->obj.handles, m.handles[o]);
		/* our own reference + one per handle (in a table or in
		 * transit) */
		EXPECT_EQ(f->obj.refcount, 1 + m.handles[o]);
		EXPECT_EQ(f->last_closed, m.last_closed[o]);
		EXPECT_EQ(f->destroyed, 0);
	}
}

/* handle_get() on h in table t, checked against the model. */
static void do_get(int t, handle_t h, uint32_t type, uint32_t need)
{
	struct kobject *got = NULL;
	uint32_t r = 0;
	int err = handle_get(&tabs[t], h, type, need, &got, &r);
	int i = find_live(t, h);
	if (i < 0) {
		EXPECT_EQ(err, ERR_BAD_HANDLE);
		return;
	}
	struct entry *e = &m.live[t][i];
	int want = 0;
	if (type != OBJ_NONE && type != obj_type[e->obj])
		want = ERR_WRONG_TYPE;
	else if ((e->rights & need) != need)
		want = ERR_ACCESS_DENIED;
	EXPECT_EQ(err, want);
	if (!err) {
		if (got != &objs[e->obj]->obj)
			fail("get: wrong object", e->obj, -1);
		EXPECT_EQ(r, e->rights);
		kobj_put(got);
	}
}

static void step(void)
{
	uint8_t op = byte();
	int t = op & 1;
	switch ((op >> 1) % 7) {
	case 0: { /* alloc */
		int o = byte() % NOBJ;
		uint32_t rights = rights_from(byte());
		handle_t h = HANDLE_INVALID;
		int err = handle_alloc(&tabs[t], &objs[o]->obj, rights, &h);
		if (m.nlive[t] >= m.quota[t]) {
			EXPECT_EQ(err, ERR_NO_RESOURCES);
			break;
		}
		EXPECT_EQ(err, 0);
		add_live(t, h, o, rights & RIGHTS_ALL);
		break;
	}
	case 1: /* get */
	case 2: {
		handle_t h = pick(t);
		uint8_t b = byte();
		uint32_t type = b & 0x80 ? obj_type[b % NOBJ] : OBJ_NONE;
		do_get(t, h, type, rights_from(byte()));
		break;
	}
	case 3: { /* dup */
		handle_t h = pick(t), nh = HANDLE_INVALID;
		uint32_t rights = rights_from(byte());
		int err = handle_dup(&tabs[t], h, rights, &nh);
		int i = find_live(t, h);
		if (i < 0) {
			EXPECT_EQ(err, ERR_BAD_HANDLE);
			break;
		}
		struct entry e = m.live[t][i];
		uint32_t want_r = rights == RIGHT_SAME ? e.rights : rights;
		if (!(e.rights & RIGHT_DUPLICATE) || (want_r & ~e.rights))
			EXPECT_EQ(err, ERR_ACCESS_DENIED);
		else if (m.nlive[t] >= m.quota[t])
			EXPECT_EQ(err, ERR_NO_RESOURCES);
		else {
			EXPECT_EQ(err, 0);
			add_live(t, nh, e.obj, want_r & RIGHTS_ALL);
			do_get(t, nh, OBJ_NONE, want_r & RIGHTS_ALL);
		}
		break;
	}
	case 4: { /* close */
		handle_t h = pick(t);
		int err = handle_close(&tabs[t], h);
		int i = find_live(t, h);
		if (i < 0) {
			EXPECT_EQ(err, ERR_BAD_HANDLE);
			break;
		}
		EXPECT_EQ(err, 0);
		int o = m.live[t][i].obj;
		forget_live(t, i);
		model_drop(o);
		break;
	}
	case 5: { /* move 1..4 handles to the other table, as a message */
		int u = 1 - t;
		uint32_t k = 1 + byte() % 4, need;
		handle_t hv[4], nv[4];
		struct kobject *expect[4], *got[4];
		uint32_t rights[4];
		int oi[4];
		for (uint32_t i = 0; i < k; i++)
			hv[i] = pick(t);
		need = rights_from(byte());
		uint8_t how = byte();
		int want = 0;
		for (uint32_t i = 0; i < k && !want; i++) {
			int li = find_live(t, hv[i]);
			oi[i] = li < 0 ? 0 : m.live[t][li].obj;
			expect[i] = &objs[oi[i]]->obj;
			if (li < 0)
				want = ERR_BAD_HANDLE;
			else if ((m.live[t][li].rights & need) != need)
				want = ERR_ACCESS_DENIED;
			for (uint32_t j = 0; j < i && !want; j++)
				if (hv[j] == hv[i])
					want = ERR_INVALID_ARGS;
		}
		if (!want && (how & 4)) { /* the caller pinned another object */
			expect[k - 1] = &objs[(oi[k - 1] + 1) % NOBJ]->obj;
			want = ERR_BAD_HANDLE;
		}
		int err =
			handle_take_many(&tabs[t], k, hv, need,
					 how & 6 ? expect : NULL, got, rights);
		EXPECT_EQ(err, want);
		if (err)
			break;
		for (uint32_t i = 0; i < k; i++) {
			int li = find_live(t, hv[i]);
			if (got[i] != &objs[oi[i]]->obj)
				fail("take_many: wrong object", oi[i], (long)i);
			EXPECT_EQ(rights[i], m.live[t][li].rights);
			forget_live(t, li); /* its count stays: in transit */
		}
		check_all();
		err = handle_reserve(&tabs[u], k, nv);
		EXPECT_EQ(err,
			  m.nlive[u] + k > m.quota[u] ? ERR_NO_RESOURCES : 0);
		if (!err) {
			/* set aside: counted, but naming nothing yet */
			EXPECT_EQ(handle_count(&tabs[u]), m.nlive[u] + k);
			for (uint32_t i = 0; i < k; i++) {
				if (nv[i] == HANDLE_INVALID ||
				    find_live(u, nv[i]) >= 0 ||
				    is_stale(u, nv[i]))
					fail("reserved value is 0, live or "
					     "stale",
					     (long)nv[i], u);
				for (uint32_t j = 0; j < i; j++)
					if (nv[j] == nv[i])
						fail("reserved twice",
						     (long)nv[i], u);
				do_get(u, nv[i], OBJ_NONE, 0);
			}
			if (how & 8) {
				handle_cancel(&tabs[u], k, nv);
				for (uint32_t i = 0; i < k; i++)
					if (m.nstale[u] < MAXSTALE)
						m.stale[u][m.nstale[u]++] =
							nv[i];
			} else {
				EXPECT_EQ(handle_commit(&tabs[u], k, nv, got,
							rights),
					  0);
				for (uint32_t i = 0; i < k; i++)
					add_live(u, nv[i], oi[i], rights[i]);
			}
		}
		check_all();
		/* Installed or not, the travelling counts go. */
		for (uint32_t i = 0; i < k; i++) {
			handle_transit_done(got[i]);
			model_drop(oi[i]);
		}
		break;
	}
	case 6: { /* a stale value in either table stays dead */
		uint8_t b = byte();
		int u = b & 1;
		if (b & 2) { /* a reference dropped without ever a handle */
			int o = (b >> 2) % NOBJ;
			kobj_get(&objs[o]->obj);
			handle_abandon(&objs[o]->obj);
			if (m.handles[o] == 0)
				m.last_closed[o]++;
			break;
		}
		if (m.nstale[u]) {
			handle_t h = m.stale[u][byte() % m.nstale[u]];
			if (find_live(u, h) >= 0)
				fail("stale value is live again", (long)h, u);
			do_get(u, h, OBJ_NONE, 0);
		}
		break;
	}
	}
	check_all();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	if (!ready) {
		if (host_mm_setup())
			abort();
		ready = true;
	}
	uint64_t live0 = kobj_live_count(), kmem0 = kmem_objects_in_use();
	in = data;
	in_len = size;
	memset(&m, 0, sizeof(m));
	for (int t = 0; t < NTAB; t++) {
		/* 0..MAXLIVE-1; 0 also covers the "no handles at all" table */
		m.quota[t] = byte() % MAXLIVE;
		EXPECT_EQ(handle_table_init(&tabs[t], m.quota[t], NULL), 0);
	}
	for (int o = 0; o < NOBJ; o++) {
		objs[o] = calloc(1, sizeof(*objs[o]));
		kobj_init(&objs[o]->obj, obj_type[o], &fobj_ops);
	}
	while (in_len)
		step();
	for (int t = 0; t < NTAB; t++) {
		handle_table_destroy(&tabs[t]);
		for (unsigned i = 0; i < m.nlive[t]; i++)
			model_drop(m.live[t][i].obj);
		m.nlive[t] = 0;
	}
	for (int o = 0; o < NOBJ; o++) {
		struct fobj *f = objs[o];
		EXPECT_EQ(f->obj.handles, 0);
		EXPECT_EQ(f->obj.refcount, 1);
		EXPECT_EQ(f->last_closed, m.last_closed[o]);
		kobj_put(&f->obj);
		EXPECT_EQ(f->destroyed, 1);
		free(f);
	}
	EXPECT_EQ(kobj_live_count(), live0);
	EXPECT_EQ(kmem_objects_in_use(), kmem0);
	return 0;
}
