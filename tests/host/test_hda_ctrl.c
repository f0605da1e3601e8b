/* drivers/hda/hda_ctrl.c and hda_dev.c against the modelled controller
 * (tests/host/hda_model.c): reset, CORB/RIRB (QEMU's response-count
 * stall, unsolicited responses, a silent codec), the BDL, a played ring
 * coming out byte for byte with one interrupt per period and the position
 * buffer, stop/start, errors, the audio_hw_ops. */
#include <stdlib.h>

#include "harness.h"
#include "hda_dev.h"
#include "hda_model.h"
#include "hda_regs.h"

#include <execrt/errors.h>

#define MEM_PHYS  0x12340000ull
#define RING_PHYS 0x80000000ull

static _Alignas(4096) uint8_t mem[HDA_MEM_BYTES];
static struct hm_ctrl m;
static struct hm_codec cod[2];
static struct hda_io io;

static void setup(void)
{
	free(m.out);
	hm_ctrl_init(&m, mem, MEM_PHYS, sizeof(mem));
	hm_ctrl_io(&m, &io);
	hm_codec_qemu_output(&cod[0], true);
	m.codec[0] = &cod[0];
}

TEST(hda_ctrl_reset_and_rings)
{
	setup();
	m.corbwp = 9; /* left over by a previous instance */
	m.corbctl = HDA_CORBCTL_RUN;
	struct hda_ctrl c;
	CHECK_EQ(hda_ctrl_init(&c, &io, mem, MEM_PHYS), 0);
	CHECK_EQ(c.codecs, 1);
	CHECK_EQ(c.iss, 4);
	CHECK_EQ(c.oss, 4);
	CHECK_EQ(c.sd, 4); /* first output engine after the inputs */
	CHECK_EQ(c.corb_n, 256);
	CHECK_EQ(c.rirb_n, 256);
	CHECK_EQ(m.corb_lbase, (uint32_t)MEM_PHYS + HDA_MEM_CORB);
	CHECK_EQ(m.rirb_lbase, (uint32_t)MEM_PHYS + HDA_MEM_RIRB);
	CHECK(m.corbctl & HDA_CORBCTL_RUN);
	CHECK(m.rirbctl & HDA_RIRBCTL_DMA);
	CHECK(m.rintcnt != 0);
	CHECK(m.now >= 1100000); /* >= 100 us low + 1 ms for the codecs */
	CHECK_EQ(m.statests, 0); /* acknowledged */
	/* 600 verbs: more than the ring and than RINTCNT (QEMU's model
	 * stalls the CORB until the response flag is cleared) */
	for (int i = 0; i < 600; i++) {
		uint32_t r = 0;
		CHECK_EQ(hda_ctrl_verb(&c, hda_verb(0, 0, 0xf00, 0), &r), 0);
		CHECK_EQ(r, cod[0].vendor);
	}
	CHECK_EQ(c.timeouts, 0);
	CHECK_EQ(m.bad_access, 0);
}

TEST(hda_ctrl_unsolicited_and_silent_codecs)
{
	setup();
	struct hda_ctrl c;
	CHECK_EQ(hda_ctrl_init(&c, &io, mem, MEM_PHYS), 0);
	m.unsol_before = 3;
	uint32_t r;
	CHECK_EQ(hda_ctrl_verb(&c, hda_verb(0, 2, HDA_V_GET_PARAM, HDA_P_WCAP),
			       &r),
		 0);
	CHECK_EQ(r, cod[0].n[2].wcap);
	CHECK_EQ(c.unsol, 3);
	m.unsol_before = 0;
	/* a codec address with nothing there: a timeout, bounded in time */
	uint64_t t0 = m.now;
	CHECK_EQ(hda_ctrl_verb(&c, hda_verb(5, 0, 0xf00, 0), &r),
		 ERR_TIMED_OUT);
	CHECK(m.now - t0 >= 10000000 && m.now - t0 < 20000000);
	CHECK_EQ(c.timeouts, 1);
	/* and the rings still work afterwards */
	CHECK_EQ(hda_ctrl_verb(&c, hda_verb(0, 0, 0xf00, 0), &r), 0);
	CHECK_EQ(r, cod[0].vendor);
}

TEST(hda_ctrl_reset_failures)
{
	setup();
	struct hda_ctrl c;
	m.crst_stuck = true;
	CHECK_EQ(hda_ctrl_init(&c, &io, mem, MEM_PHYS), ERR_TIMED_OUT);
	setup();
	m.codec[0] = NULL;
	CHECK_EQ(hda_ctrl_init(&c, &io, mem, MEM_PHYS), ERR_NOT_FOUND);
	setup();
	m.gcap = 0x0401; /* inputs only */
	CHECK_EQ(hda_ctrl_init(&c, &io, mem, MEM_PHYS), ERR_NOT_FOUND);
	setup();
	m.gcap = 0x0409; /* 4 in, 1 bidirectional */
	CHECK_EQ(hda_ctrl_init(&c, &io, mem, MEM_PHYS), 0);
	CHECK_EQ(c.sd, 4);
	CHECK(c.bidir);
	CHECK_EQ(hda_ctrl_init(&c, &io, mem, MEM_PHYS + 64), ERR_INVALID_ARGS);
}

TEST(hda_bdl_layout)
{
	uint8_t bdl[HDA_BDL_MAX * 16];
	CHECK_EQ(hda_bdl_fill(bdl, 0x1234500000ull, 512, 4), 0);
	for (int i = 0; i < 4; i++) {
		uint8_t *e = bdl + 16 * i;
		uint64_t a = 0;
		for (int k = 7; k >= 0; k--)
			a = a << 8 | e[k];
		CHECK_EQ(a, 0x1234500000ull + 512u * (unsigned)i);
		CHECK_EQ(e[8] | e[9] << 8 | e[10] << 16 | e[11] << 24, 512);
		CHECK_EQ(e[12], HDA_BDL_IOC);
	}
	CHECK_EQ(hda_bdl_fill(bdl, 0, 512, 1), ERR_INVALID_ARGS);
	CHECK_EQ(hda_bdl_fill(bdl, 0, 512, HDA_BDL_MAX + 1), ERR_INVALID_ARGS);
	CHECK_EQ(hda_bdl_fill(bdl, 0, 500, 4), ERR_INVALID_ARGS);
	CHECK_EQ(hda_bdl_fill(bdl, 64, 512, 4), ERR_INVALID_ARGS);
	CHECK_EQ(hda_bdl_fill(bdl, 0, 0, 4), ERR_INVALID_ARGS);
}

static struct hda_dev dev;
static uint8_t ring[4 * 128 * 4];

static int open_default(uint32_t period, uint32_t periods)
{
	struct audio_fmt f = {.rate = 48000,
			      .channels = 2,
			      .format = AUDIO_FMT_S16LE,
			      .period_frames = period,
			      .periods = periods};
	int r = hda_hw_ops.fit(&dev, &f);
	if (r < 0)
		return r;
	struct audio_hw_ring hr = {ring, RING_PHYS,
				   f.period_frames * 4 * f.periods};
	m.ring = ring;
	m.ring_phys = RING_PHYS;
	m.ring_len = sizeof(ring);
	return hda_hw_ops.open(&dev, &f, &hr);
}

TEST(hda_dev_plays_the_ring_one_irq_per_period)
{
	setup();
	CHECK_EQ(hda_dev_init(&dev, &io, mem, MEM_PHYS), 0);
	struct audio_info info;
	hda_hw_ops.info(&dev, &info);
	STR_EQ(info.name, "hda");
	CHECK(info.rates & AUDIO_RATE_48000);
	CHECK(!(info.rates & AUDIO_RATE_8000)); /* QEMU: 16k..96k */
	CHECK_EQ(info.channels_max, 2);
	CHECK_EQ(cod[0].n[3].pinctl, HDA_PINCTL_OUT);
	CHECK_EQ(open_default(128, 4), 0);
	/* the codec's converter bound to tag 1, 48k stereo 16-bit */
	CHECK_EQ(cod[0].n[2].conv, 0x10);
	CHECK_EQ(cod[0].n[2].fmt, 0x0011);
	struct hm_sd *s = &m.sd[4];
	CHECK_EQ(s->fmt, 0x0011);
	CHECK_EQ(s->cbl, 2048);
	CHECK_EQ(s->lvi, 3);
	CHECK_EQ((s->ctl >> 20) & 0xf, 1);
	CHECK(s->ctl & HDA_SD_CTL_IOCE);
	CHECK_EQ(m.dplbase, (uint32_t)MEM_PHYS + HDA_MEM_POS + 1);
	CHECK_EQ(m.intctl, HDA_INTCTL_GIE | 1u << 4);
	for (size_t i = 0; i < sizeof(ring); i++)
		ring[i] = (uint8_t)(i * 7 + 3);
	CHECK_EQ(hda_hw_ops.irq(&dev), 0); /* nothing yet */
	CHECK_EQ(hda_hw_ops.start(&dev), 0);
	CHECK_EQ(m.codec_running, 1u << 1);
	/* 3 ring cycles in 192-byte steps: a period (512 bytes) never
	 * aligns with a step, so positions inside periods are seen. The
	 * device stalls while a completion is unacknowledged (QEMU). */
	int irqs = 0;
	size_t total = 0;
	while (total < 3 * 2048) {
		size_t n = hm_play(&m, 192);
		total += n;
		CHECK_EQ(hda_hw_ops.position(&dev), m.sd[4].lpib % 2048);
		if (hm_intsts(&m) & HDA_INTSTS_GIS) {
			CHECK_EQ(hda_hw_ops.irq(&dev), 1);
			CHECK(!(hm_intsts(&m) & HDA_INTSTS_GIS));
			irqs++;
		} else {
			CHECK_EQ(n, 192);
		}
	}
	CHECK_EQ(irqs, 12);
	CHECK_EQ(m.out_len, 3 * 2048);
	for (size_t i = 0; i < m.out_len; i++)
		CHECK_EQ(m.out[i], ring[i % 2048]);
	/* stop: the engine halts, start plays from offset 0 again */
	hda_hw_ops.stop(&dev);
	CHECK(!(m.sd[4].ctl & HDA_SD_CTL_RUN));
	CHECK_EQ(hm_play(&m, 64), 0);
	CHECK_EQ(hda_hw_ops.start(&dev), 0);
	CHECK_EQ(hda_hw_ops.position(&dev), 0);
	m.out_len = 0;
	CHECK_EQ(hm_play(&m, 64), 64);
	CHECK_EQ(m.out[0], ring[0]);
	hda_hw_ops.close(&dev);
	CHECK_EQ(m.codec_running, 0);
	CHECK_EQ(cod[0].n[2].conv, 0);
	CHECK(!(m.sd[4].ctl & HDA_SD_CTL_RUN));
	CHECK_EQ(m.intctl, 0);
	CHECK_EQ(hda_hw_ops.start(&dev), ERR_BAD_STATE);
	hda_dev_fini(&dev);
	CHECK(!(m.corbctl & HDA_CORBCTL_RUN));
	CHECK_EQ(m.dplbase, 0);
	CHECK_EQ(m.bad_access, 0);
}

TEST(hda_dev_fit_rounds_and_refuses)
{
	setup();
	CHECK_EQ(hda_dev_init(&dev, &io, mem, MEM_PHYS), 0);
	struct audio_fmt f = {48000, 2, AUDIO_FMT_S16LE, 100, 4};
	CHECK_EQ(hda_hw_ops.fit(&dev, &f), 0);
	CHECK_EQ(f.period_frames, 128); /* 128-byte buffers: 32 frames */
	f.channels = 1;
	f.period_frames = 100;
	CHECK_EQ(hda_hw_ops.fit(&dev, &f), 0);
	CHECK_EQ(f.period_frames, 128); /* mono: 64 frames */
	f.period_frames = 1;
	CHECK_EQ(hda_hw_ops.fit(&dev, &f), 0);
	CHECK_EQ(f.period_frames, HDA_PERIOD_MIN * 2);
	struct audio_fmt bad[] = {
		{48000, 2, AUDIO_FMT_S16LE, 128, 1},
		{48000, 2, AUDIO_FMT_S16LE, 128, 33},
		{48000, 2, AUDIO_FMT_S16LE, 0, 4},
		{48000, 2, AUDIO_FMT_S16LE, HDA_PERIOD_MAX + 1, 4},
		{48000, 0, AUDIO_FMT_S16LE, 128, 4},
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_EQ(hda_hw_ops.fit(&dev, &bad[i]), ERR_INVALID_ARGS);
	struct audio_fmt ns[] = {
		{8000, 2, AUDIO_FMT_S16LE, 128, 4}, /* QEMU's DAC: no 8k */
		{12345, 2, AUDIO_FMT_S16LE, 128, 4},
		{48000, 3, AUDIO_FMT_S16LE, 128, 4},
		{48000, 2, 2, 128, 4},
	};
	for (unsigned i = 0; i < sizeof(ns) / sizeof(ns[0]); i++)
		CHECK_EQ(hda_hw_ops.fit(&dev, &ns[i]), ERR_NOT_SUPPORTED);
	/* open refuses a format fit would change, and a ring of another
	 * size */
	struct audio_fmt g = {48000, 2, AUDIO_FMT_S16LE, 100, 4};
	struct audio_hw_ring hr = {ring, RING_PHYS, 1600};
	CHECK_EQ(hda_hw_ops.open(&dev, &g, &hr), ERR_INVALID_ARGS);
	g.period_frames = 128;
	CHECK_EQ(hda_hw_ops.open(&dev, &g, &hr), ERR_INVALID_ARGS);
	hr.phys = RING_PHYS + 64;
	hr.bytes = 2048;
	CHECK_EQ(hda_hw_ops.open(&dev, &g, &hr), ERR_INVALID_ARGS);
}

TEST(hda_dev_dma_errors_and_second_codec)
{
	setup();
	/* codec 0 has no output (a modem-only function), codec 1 has */
	hm_codec_qemu_output(&cod[0], true);
	cod[0].n[1].fg_type = 2;
	hm_codec_desktop(&cod[1]);
	m.codec[1] = &cod[1];
	CHECK_EQ(hda_dev_init(&dev, &io, mem, MEM_PHYS), 0);
	CHECK_EQ(dev.codec.cad, 1);
	CHECK_EQ(dev.path.nid[0], 0x14);
	CHECK_EQ(cod[1].n[0x14].pinctl, HDA_PINCTL_OUT);
	CHECK_EQ(open_default(128, 2), 0);
	CHECK_EQ(cod[1].n[2].conv, 0x10);
	CHECK_EQ(hda_hw_ops.start(&dev), 0);
	/* the ring outside what the device reaches: descriptor error */
	m.ring_len = 0;
	hm_play(&m, 64);
	CHECK_EQ(hda_hw_ops.irq(&dev), ERR_BAD_STATE);
	CHECK_EQ(dev.ctl.errors, 1);
	CHECK_EQ(hda_hw_ops.irq(&dev), 0); /* acknowledged */
	hda_dev_fini(&dev);
	/* no codec with an output at all */
	setup();
	cod[0].n[3].pincap = HDA_PINCAP_IN;
	CHECK_EQ(hda_dev_init(&dev, &io, mem, MEM_PHYS), ERR_NOT_FOUND);
}

/* The device vanishing (reads all ones): the interrupt says so. */
static uint32_t gone_rd(void *ctx, uint32_t off, uint32_t w)
{
	(void)ctx;
	(void)off;
	(void)w;
	return 0xffffffffu;
}

TEST(hda_ctrl_irq_controller_causes_and_a_vanished_device)
{
	setup();
	CHECK_EQ(hda_dev_init(&dev, &io, mem, MEM_PHYS), 0);
	CHECK_EQ(open_default(128, 4), 0);
	/* a response flag and a wake event pending: cleared, not a period */
	m.rirbsts = HDA_RIRBSTS_INT;
	m.statests = 1;
	CHECK_EQ(hda_hw_ops.irq(&dev), 0);
	CHECK_EQ(m.rirbsts, 0);
	CHECK_EQ(m.statests, 0);
	CHECK_EQ(dev.ctl.spurious, 1);
	dev.ctl.io.rd = gone_rd;
	CHECK_EQ(hda_hw_ops.irq(&dev), ERR_PEER_CLOSED);
	dev.ctl.io.rd = io.rd;
	/* a position word past the ring is never believed */
	mem[HDA_MEM_POS + 8 * 4] = 0x10;     /* 0x??10 */
	mem[HDA_MEM_POS + 8 * 4 + 1] = 0x27; /* 0x2710 = 10000 > 2048 */
	CHECK(hda_hw_ops.position(&dev) < 2048);
}

/* A driver killed while playing leaves the engine running: the next
 * instance stops it by RUN (the codec hears of it) before the reset,
 * which alone would leave the codec believing tag 1 still runs. */
TEST(hda_ctrl_init_stops_a_running_engine_before_the_reset)
{
	setup();
	CHECK_EQ(hda_dev_init(&dev, &io, mem, MEM_PHYS), 0);
	CHECK_EQ(open_default(128, 4), 0);
	CHECK_EQ(hda_hw_ops.start(&dev), 0);
	CHECK_EQ(m.codec_running, 1u << 1);
	hm_play(&m, 100);
	/* the "killed" instance does nothing more; a new one starts */
	static struct hda_dev again;
	CHECK_EQ(hda_dev_init(&again, &io, mem, MEM_PHYS), 0);
	CHECK_EQ(m.codec_running, 0);
	CHECK(!(m.sd[4].ctl & HDA_SD_CTL_RUN));
	/* while a reset alone tells the codec nothing */
	m.sd[4].ctl = HDA_SD_CTL_RUN | HDA_SD_CTL_TAG(1);
	m.codec_running = 1u << 1;
	io.wr(io.ctx, HDA_GCTL, 4, 0);
	CHECK_EQ(m.codec_running, 1u << 1);
}
