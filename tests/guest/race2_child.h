/* guest-child-race2's parts (child_race2.c, child_race2_vmgr.c): the
 * report and the shared bookkeeping of what the workers hold. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include <execrt/types.h>

#include "race2.h"

extern struct race2_report rep;

/* Kind k reached n held: the most so far, "over" past rep.cap[k]. */
void note_max(int k, int64_t n);
/* A success of kind k (counted, then kept; false: not kept). */
bool got(int k, uint64_t v);
/* A held value of kind k taken out (its count lowered first), or 0. */
uint64_t take(int k, uint64_t rnd);
/* A refusal: documented, or counted in rep.other with its error. */
void refused(bool documented, long e);

/* vmgr (child_race2_vmgr.c): kind 0 shared buffers on the ledger. */
long r2_vmgr_setup(handle_t vmgr);
void r2_vmgr_round(uint64_t r);
void r2_vmgr_release(uint64_t id);
