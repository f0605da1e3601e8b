/* cop_engine: the lock-free handover between copperd's server and DL
 * threads (cop_engine.h has the protocol). */
#include "cop_engine.h"

#include <string.h>

#define LOAD(p)	    __atomic_load_n(p, __ATOMIC_ACQUIRE)
#define STORE(p, v) __atomic_store_n(p, v, __ATOMIC_RELEASE)
#define RLX(p)	    __atomic_load_n(p, __ATOMIC_RELAXED)
#define SET(p, v)   __atomic_store_n(p, v, __ATOMIC_RELAXED)
#define BUMP(p, v)  SET(p, RLX(p) + (v)) /* single writer */

void cop_eng_init(struct cop_engine *e)
{
	memset(e, 0, sizeof(*e));
	e->next_id = 1;
}

/* ---- the server thread ---- */

long cop_eng_add(struct cop_engine *e, struct cop_prog *p, uint64_t owner)
{
	for (unsigned i = 0; i < COP_MAX_PROGS; i++) {
		struct cop_slot *s = &e->slot[i];
		if (s->used)
			continue;
		s->used = true;
		s->id = e->next_id++;
		if (!e->next_id) /* 2^32 loads later: never 0 */
			e->next_id = 1;
		s->owner = owner;
		s->prog = p;
		SET(&s->state, COP_STOPPED);
		SET(&s->ops_run, 0);
		STORE(&s->want, COP_W_STOP); /* publishes prog */
		return s->id;
	}
	return -1;
}

struct cop_slot *cop_eng_find(struct cop_engine *e, uint32_t id)
{
	for (unsigned i = 0; i < COP_MAX_PROGS; i++) {
		struct cop_slot *s = &e->slot[i];
		if (s->used && s->id == id && RLX(&s->want) != COP_W_UNLOAD)
			return s;
	}
	return NULL;
}

void cop_eng_start(struct cop_slot *s)
{
	STORE(&s->gen, RLX(&s->gen) + 1);
	STORE(&s->want, COP_W_RUN);
}

void cop_eng_stop(struct cop_slot *s)
{
	STORE(&s->want, COP_W_STOP);
}

void cop_eng_unload(struct cop_slot *s)
{
	STORE(&s->want, COP_W_UNLOAD);
}

unsigned cop_eng_drop_owner(struct cop_engine *e, uint64_t owner)
{
	unsigned n = 0;
	for (unsigned i = 0; i < COP_MAX_PROGS; i++) {
		struct cop_slot *s = &e->slot[i];
		if (s->used && s->owner == owner &&
		    RLX(&s->want) != COP_W_UNLOAD) {
			cop_eng_unload(s);
			n++;
		}
	}
	return n;
}

unsigned cop_eng_reap(struct cop_engine *e)
{
	unsigned used = 0;
	for (unsigned i = 0; i < COP_MAX_PROGS; i++) {
		struct cop_slot *s = &e->slot[i];
		if (s->used && RLX(&s->want) == COP_W_UNLOAD &&
		    LOAD(&s->released)) {
			cop_prog_free(s->prog);
			s->prog = NULL;
			s->used = false;
			SET(&s->released, 0);
			STORE(&s->want, COP_W_EMPTY);
		}
		used += s->used;
	}
	return used;
}

uint32_t cop_eng_state(const struct cop_slot *s)
{
	return LOAD(&s->state);
}

bool cop_eng_next_event(struct cop_engine *e, struct cop_event *out)
{
	uint32_t tail = e->ev_tail;
	if (tail == LOAD(&e->ev_head))
		return false;
	*out = e->ev[tail % COP_EV_RING];
	STORE(&e->ev_tail, tail + 1);
	return true;
}

void cop_eng_counts(const struct cop_engine *e, struct cop_counts *o)
{
	o->jobs = RLX(&e->n.jobs);
	o->ops = RLX(&e->n.ops);
	o->writes = RLX(&e->n.writes);
	o->deferred = RLX(&e->n.deferred);
	o->irqs = RLX(&e->n.irqs);
	o->watchdogs = RLX(&e->n.watchdogs);
	o->ev_lost = RLX(&e->n.ev_lost);
}

void cop_eng_fini(struct cop_engine *e)
{
	for (unsigned i = 0; i < COP_MAX_PROGS; i++)
		if (e->slot[i].used)
			cop_prog_free(e->slot[i].prog);
	cop_eng_init(e);
}

/* ---- the DL thread ---- */

static struct cop_event *ev_slot(struct cop_engine *e)
{
	uint32_t head = e->ev_head;
	if (head - LOAD(&e->ev_tail) >= COP_EV_RING) {
		BUMP(&e->n.ev_lost, 1);
		return NULL;
	}
	struct cop_event *ev = &e->ev[head % COP_EV_RING];
	memset(ev, 0, sizeof(*ev));
	return ev;
}

static void ev_push(struct cop_engine *e)
{
	STORE(&e->ev_head, e->ev_head + 1);
}

static void set_state(struct cop_engine *e, struct cop_slot *s, uint32_t state,
		      uint64_t usec)
{
	STORE(&s->state, state);
	s->active = state == COP_RUNNING;
	struct cop_event *ev = ev_slot(e);
	if (!ev)
		return;
	ev->type = COP_EV_STATE;
	ev->id = s->id;
	ev->state = state;
	ev->usec = usec;
	ev_push(e);
}

static void irqs(struct cop_engine *e, struct cop_slot *s,
		 const struct cop_step *st, uint64_t usec)
{
	BUMP(&e->n.irqs, st->nirq + st->irq_lost);
	if (st->irq_lost)
		BUMP(&e->n.ev_lost, st->irq_lost);
	for (uint32_t i = 0; i < st->nirq; i++) {
		struct cop_event *ev = ev_slot(e);
		if (!ev)
			continue; /* counted lost */
		ev->type = COP_EV_IRQ;
		ev->id = s->id;
		ev->usec = usec;
		memcpy(ev->tag, s->prog->tags[st->irq[i]], COP_TAG_MAX);
		ev_push(e);
	}
}

/* The server's wishes for slot s; whether s's program is ours now. */
static bool apply(struct cop_engine *e, struct cop_slot *s, uint64_t frame,
		  uint64_t usec)
{
	uint32_t want = LOAD(&s->want);
	if (want == COP_W_EMPTY)
		return false;
	if (want == COP_W_UNLOAD) {
		if (!RLX(&s->released)) {
			s->active = false;
			s->seen_gen = LOAD(&s->gen);
			STORE(&s->released, 1);
		}
		return false;
	}
	uint32_t gen = LOAD(&s->gen);
	if (want == COP_W_RUN && gen != s->seen_gen) {
		s->seen_gen = gen;
		cop_prog_reset(s->prog, frame);
		set_state(e, s, COP_RUNNING, usec);
	} else if (want == COP_W_STOP && s->active) {
		set_state(e, s, COP_STOPPED, usec);
	}
	return true;
}

uint32_t cop_eng_job(struct cop_engine *e, uint64_t frame, uint64_t period_ns,
		     uint64_t usec, struct comp_reg_write *w, uint32_t cap)
{
	uint32_t nw = 0;
	uint64_t ops = 0, deferred = 0;
	for (unsigned i = 0; i < COP_MAX_PROGS; i++) {
		struct cop_slot *s = &e->slot[i];
		if (!apply(e, s, frame, usec))
			continue;
		struct cop_prog *p = s->prog;
		if (s->active) {
			struct cop_step st;
			cop_prog_step(p, frame, period_ns, &st);
			ops += st.ops;
			SET(&s->ops_run, p->ops_run);
			if (st.nirq || st.irq_lost)
				irqs(e, s, &st, usec);
			if (st.watchdog)
				BUMP(&e->n.watchdogs, 1);
			if (st.state != COP_RUNNING)
				set_state(e, s, st.state, usec);
		}
		/* A stopped program's last writes still go out. */
		for (uint32_t k = 0; k < p->nregs; k++) {
			struct cop_reg *r = &p->regs[k];
			if (!r->dirty)
				continue;
			if (nw == cap) {
				deferred++;
				continue;
			}
			w[nw].layer = r->layer;
			w[nw].reg = r->reg;
			w[nw].value = r->value;
			nw++;
			r->dirty = false;
		}
	}
	BUMP(&e->n.jobs, 1);
	BUMP(&e->n.ops, ops);
	BUMP(&e->n.writes, nw);
	BUMP(&e->n.deferred, deferred);
	return nw;
}
