/* cop_engine: the program table shared by copperd's two threads
 * (docs/graphics.md, "copperd"). The server thread (BE) loads, starts,
 * stops and unloads; the DL thread runs one job per frame. They share no
 * lock, so the DL job never waits on the server thread:
 *
 * - Per slot, the server thread publishes what it wants (`want`, and a
 *   start generation) with release stores; the DL thread reads them with
 *   acquire loads at the start of each job and applies them (a `start`
 *   takes effect at the next job). It answers with `state` and, for an
 *   unload, `released`: only then does the server free the program and
 *   reuse the slot. The program's run state and shadow belong to the DL
 *   thread from publication to release.
 * - Events (irq, state) go back through a single-producer ring; a full
 *   ring loses events (counted).
 *
 * Pure: no system calls (the DL thread makes none here either). Host-
 * tested single-threaded (tests/host/test_copper_engine.c). */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "cop_prog.h"

#define COP_MAX_PROGS 16  /* loaded at once, all sessions */
#define COP_EV_RING   256 /* DL -> server events */

enum cop_want { COP_W_EMPTY = 0, COP_W_STOP, COP_W_RUN, COP_W_UNLOAD };

struct cop_slot {
	/* the server thread's */
	bool used;
	uint32_t id;
	uint64_t owner; /* session badge (0: the public endpoint) */
	struct cop_prog *prog;
	/* server -> DL */
	uint32_t want; /* enum cop_want */
	uint32_t gen;  /* bumped by each start */
	/* DL -> server */
	uint32_t state; /* enum cop_state */
	uint32_t released;
	uint64_t ops_run;
	/* the DL thread's */
	uint32_t seen_gen;
	bool active;
};

enum cop_ev_type { COP_EV_IRQ = 1, COP_EV_STATE = 2 };

struct cop_event {
	uint32_t type; /* enum cop_ev_type */
	uint32_t id;
	uint32_t state; /* COP_EV_STATE: enum cop_state */
	uint64_t usec;
	char tag[COP_TAG_MAX]; /* COP_EV_IRQ */
};

/* Counters the DL thread keeps (the server reads them relaxed). */
struct cop_counts {
	uint64_t jobs;	   /* cop_eng_job calls */
	uint64_t ops;	   /* ops run */
	uint64_t writes;   /* register writes put in batches */
	uint64_t deferred; /* writes held for the next batch (> 255) */
	uint64_t irqs, watchdogs;
	uint64_t ev_lost; /* events the full ring lost */
};

struct cop_engine {
	struct cop_slot slot[COP_MAX_PROGS];
	uint32_t next_id; /* server: ids from 1 */
	struct cop_event ev[COP_EV_RING];
	uint32_t ev_head; /* written by the DL thread */
	uint32_t ev_tail; /* written by the server thread */
	struct cop_counts n;
};

void cop_eng_init(struct cop_engine *e);

/* ---- the server thread ---- */

/* Takes p (published stopped); its id, or -1 when every slot is in use
 * (the program is not taken). */
long cop_eng_add(struct cop_engine *e, struct cop_prog *p, uint64_t owner);
/* A loaded program (not being unloaded), or NULL. */
struct cop_slot *cop_eng_find(struct cop_engine *e, uint32_t id);
void cop_eng_start(struct cop_slot *s);
void cop_eng_stop(struct cop_slot *s);
void cop_eng_unload(struct cop_slot *s);
/* Unloads every program of owner; how many. */
unsigned cop_eng_drop_owner(struct cop_engine *e, uint64_t owner);
/* Frees the programs the DL thread has let go; how many slots are in
 * use afterwards. */
unsigned cop_eng_reap(struct cop_engine *e);
uint32_t cop_eng_state(const struct cop_slot *s);
bool cop_eng_next_event(struct cop_engine *e, struct cop_event *out);
void cop_eng_counts(const struct cop_engine *e, struct cop_counts *out);
/* Frees everything (no DL thread may be running). */
void cop_eng_fini(struct cop_engine *e);

/* ---- the DL thread ---- */

/* One job: applies the server's wishes, runs every running program for
 * `frame` (copperd's frame counter), and puts every register written
 * since the last batch into w (at most cap; the rest wait for the next
 * job). usec stamps the events. The number of writes. */
uint32_t cop_eng_job(struct cop_engine *e, uint64_t frame, uint64_t period_ns,
		     uint64_t usec, struct comp_reg_write *w, uint32_t cap);
