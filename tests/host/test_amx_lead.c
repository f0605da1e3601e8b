/* audiomixerd's adaptive lead (services/audiomixerd/amx_lead.c,
 * docs/audio.md "The lead"): the full lead through the start's bursts and
 * the learning, then the device's largest step + 2 periods, growing with
 * a larger step, never past the ring's. */
#include "amx_lead.h"
#include "harness.h"

#define MS 1000000ull

/* Feeds notices every dt ns, each `step` frames on, from t to t_end. */
static uint32_t feed(struct amx_lead *l, uint64_t *t, uint64_t *frames,
		     uint64_t t_end, uint64_t dt, uint64_t step)
{
	uint32_t lead = l->lead;
	for (; *t < t_end; *t += dt) {
		*frames += step;
		lead = amx_lead_notice(l, *frames, *t);
	}
	return lead;
}

TEST(amx_lead_follows_the_device_step)
{
	amx_lead_adaptive = 1;
	struct amx_lead l;
	uint64_t t = 1000 * MS, f = 0;
	/* AC97 under QEMU: 480 frames every 10 ms; a burst of 2048 frames
	 * right after the start is not measured */
	amx_lead_start(&l, 128, 16, t);
	CHECK_EQ(l.lead, 16);
	CHECK_EQ(feed(&l, &t, &f, t + 10 * MS, 10 * MS, 2048), 16);
	CHECK_EQ(feed(&l, &t, &f, 1000 * MS + 499 * MS, 10 * MS, 480), 16);
	/* learning: still the full lead, the steps counted */
	CHECK_EQ(feed(&l, &t, &f, 1000 * MS + 999 * MS, 10 * MS, 480), 16);
	CHECK_EQ(l.step_max, 480);
	/* then ceil(480 / 128) + 2 = 6 periods (768 frames) */
	CHECK_EQ(feed(&l, &t, &f, 3000 * MS, 10 * MS, 480), 6);
	/* a larger step (a late render): the lead grows at once, and stays */
	f += 1000;
	CHECK_EQ(amx_lead_notice(&l, f, t), 10);
	CHECK_EQ(feed(&l, &t, &f, t + 500 * MS, 10 * MS, 480), 10);
	/* past the ring: the ring's */
	f += 5000;
	CHECK_EQ(amx_lead_notice(&l, f, t += MS), 16);
	/* a new start forgets it all */
	amx_lead_start(&l, 128, 16, t);
	f = 0;
	CHECK_EQ(l.step_max, 0);
	CHECK_EQ(feed(&l, &t, &f, t + 1100 * MS, 2667 * 1000, 128), 3);
}

TEST(amx_lead_hda_and_other_periods)
{
	amx_lead_adaptive = 1;
	struct amx_lead l;
	uint64_t t = 0, f = 0;
	/* HDA: a period per notice, now and then a period and a ms */
	amx_lead_start(&l, 128, 16, t);
	for (int i = 0; i < 600; i++) {
		f += i % 7 ? 128 : 144;
		amx_lead_notice(&l, f, t += 2667 * 1000);
	}
	CHECK_EQ(l.step_max, 144);
	CHECK_EQ(l.lead, 4); /* 512 frames */
	/* 64-frame periods, a ring of 30: 480-frame steps need 8 + 2 */
	amx_lead_start(&l, 64, 30, t);
	f = 0;
	CHECK_EQ(feed(&l, &t, &f, t + 1500 * MS, 10 * MS, 480), 10);
	/* a device that stands still (step 0) keeps the margin */
	amx_lead_start(&l, 256, 8, t);
	CHECK_EQ(feed(&l, &t, &f, t + 1500 * MS, 10 * MS, 0), 2);
}

/* audiomixerd's default (no --adaptive-lead): the ring's lead throughout,
 * whatever steps the device makes. */
TEST(amx_lead_stays_the_rings_unless_adaptive)
{
	amx_lead_adaptive = 0;
	struct amx_lead l;
	uint64_t t = 1000 * MS, f = 0;
	amx_lead_start(&l, 128, 16, t);
	CHECK_EQ(feed(&l, &t, &f, 4000 * MS, 10 * MS, 480), 16);
	CHECK_EQ(l.lead, 16);
}
