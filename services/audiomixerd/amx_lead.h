/* amx_lead: the mixer's adaptive lead (docs/audio.md "The lead"), no
 * system calls. After a start the lead is the most the ring allows (the
 * start's bursts); the device's steps (frames its position moved between
 * two notices the period thread rendered on) are ignored for settle_ns,
 * measured for learn_ns more, and from then on the lead is
 * ceil(step_max / period) + margin periods, at most the ring's; step_max
 * only grows, and the lead with it. */
#pragma once
#include <stdint.h>

#define AMX_LEAD_SETTLE_NS 500000000ull /* the start's bursts */
#define AMX_LEAD_LEARN_NS  500000000ull /* steps measured, full lead */
#define AMX_LEAD_MARGIN	   2		/* periods past the largest step */

/* Off by default (audiomixerd --adaptive-lead turns it on): QEMU's audio
 * devices are clocked by the host, and a later step three times the one
 * learned (AC97: 1440 frames after 480, seen in make check under
 * -icount) gave xruns no margin covered. Off, the lead stays the ring's. */
extern _Bool amx_lead_adaptive;

struct amx_lead {
	uint32_t period, most; /* frames per period; the ring's lead */
	uint32_t lead;	       /* periods to keep written past the playing */
	uint64_t step_max;     /* frames */
	uint64_t last_frames, started_ns;
};

/* At a start (the ring prefilled with most periods) at time t. */
void amx_lead_start(struct amx_lead *l, uint32_t period, uint32_t most,
		    uint64_t t);
/* A notice: the device had played frames at t. Returns the lead. */
uint32_t amx_lead_notice(struct amx_lead *l, uint64_t frames, uint64_t t);
