/* t_race2_*.c: guest-child-race2 run from the test (race2.h). */
#pragma once
#include <stdint.h>

#include <execrt/types.h>

#include "race2.h"

/* When set, a duplicate goes to the child with the answer to its first
 * message (a service endpoint it has no name for). */
extern handle_t race2_give;

/* Runs the child in `mode` for `rounds` (both workers) with `quota`; with
 * kill_after_ns, kills it that long after its workers were pinned (no
 * report then). 0 or an error; *status the child's exit status. */
long race2_run(const char *mode, uint64_t rounds, uint64_t quota,
	       uint64_t kill_after_ns, struct race2_report *rep,
	       int64_t *status);
void race2_print(const char *what, const struct race2_report *p,
		 int64_t status);
