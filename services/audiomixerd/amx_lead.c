/* amx_lead: see amx_lead.h. */
#include "amx_lead.h"

_Bool amx_lead_adaptive;

void amx_lead_start(struct amx_lead *l, uint32_t period, uint32_t most,
		    uint64_t t)
{
	l->period = period ? period : 1;
	l->most = most ? most : 1;
	l->lead = l->most;
	l->step_max = l->last_frames = 0;
	l->started_ns = t;
}

uint32_t amx_lead_notice(struct amx_lead *l, uint64_t frames, uint64_t t)
{
	uint64_t step = frames - l->last_frames;
	l->last_frames = frames;
	uint64_t since = t - l->started_ns;
	if (!amx_lead_adaptive || since < AMX_LEAD_SETTLE_NS)
		return l->lead;
	if (step > l->step_max)
		l->step_max = step;
	if (since >= AMX_LEAD_SETTLE_NS + AMX_LEAD_LEARN_NS) {
		uint64_t p = (l->step_max + l->period - 1) / l->period +
			     AMX_LEAD_MARGIN;
		l->lead = p < l->most ? (uint32_t)p : l->most;
	}
	return l->lead;
}
