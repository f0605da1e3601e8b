/* AC97 PCM out (ac97_hw.h). The descriptor list is a circle of 32
 * entries, entry i playing period i % periods (periods is a power of two,
 * so the circle and the ring agree), each with IOC. The last valid index
 * is kept periods - 1 entries past the current one at each interrupt:
 * the engine may run at most a ring ahead of the driver, so its position
 * is never ambiguous; a driver that much late finds it halted at the
 * last valid entry (a hardware underrun, counted) and runs it again. */
#include "ac97_hw.h"

#include <string.h>

#include <execrt/errors.h>

static uint32_t nabm_r(struct ac97 *a, uint32_t reg, uint32_t w)
{
	return a->io->nabm_r(a->ctx, reg, w);
}

static void nabm_w(struct ac97 *a, uint32_t reg, uint32_t w, uint32_t v)
{
	a->io->nabm_w(a->ctx, reg, w, v);
}

/* Resets the PCM-out box (halted, indices 0) and points it at the list. */
static void box_reset(struct ac97 *a)
{
	nabm_w(a, AC97_PO_CR, 1, 0);
	for (int i = 0; i < 1000 && !(nabm_r(a, AC97_PO_SR, 2) & AC97_SR_DCH);
	     i++)
		a->io->delay_us(a->ctx, 10);
	nabm_w(a, AC97_PO_CR, 1, AC97_CR_RR);
	for (int i = 0; i < 1000 && (nabm_r(a, AC97_PO_CR, 1) & AC97_CR_RR);
	     i++)
		a->io->delay_us(a->ctx, 10);
	nabm_w(a, AC97_PO_SR, 2, AC97_SR_LVBCI | AC97_SR_BCIS | AC97_SR_FIFOE);
	nabm_w(a, AC97_PO_BDBAR, 4, (uint32_t)a->bdl_phys);
}

int ac97_init(struct ac97 *a, const struct ac97_io *io, void *ctx,
	      struct ac97_bd *bdl, uint64_t bdl_phys)
{
	memset(a, 0, sizeof(*a));
	a->io = io;
	a->ctx = ctx;
	a->bdl = bdl;
	a->bdl_phys = bdl_phys;
	if (bdl_phys >> 32 || (bdl_phys & 7))
		return ERR_OUT_OF_RANGE;
	/* cold reset: the link's reset# asserted (bit clear), then released */
	nabm_w(a, AC97_GLOB_CNT, 4, 0);
	io->delay_us(ctx, 10);
	nabm_w(a, AC97_GLOB_CNT, 4, AC97_GC_COLD);
	int i = 0;
	while (!(nabm_r(a, AC97_GLOB_STA, 4) & AC97_GS_PCR) && i++ < 1000)
		io->delay_us(ctx, 100);
	if (i > 1000)
		return ERR_TIMED_OUT;
	io->nam_w16(ctx, AC97_RESET, 0);
	/* the DAC and the analog mixer ready */
	i = 0;
	while ((io->nam_r16(ctx, AC97_POWERDOWN) & 0x3) != 0x3 && i++ < 1000)
		io->delay_us(ctx, 100);
	if (i > 1000)
		return ERR_TIMED_OUT;
	a->vra = io->nam_r16(ctx, AC97_EXT_AUDIO_ID) & 1;
	/* Master 0 dB. PCM out: the spec's 0 dB is 0x08, but QEMU's codec
	 * maps the gain linearly (0x08 plays at -2.56 dB, 0x00 is unity):
	 * 0x00 gives the samples through unchanged there, and +12 dB on a
	 * real codec (docs/audio.md "Drivers"). */
	io->nam_w16(ctx, AC97_MASTER_VOL, 0);
	io->nam_w16(ctx, AC97_PCM_OUT_VOL, AC97_PCM_UNITY);
	box_reset(a);
	return 0;
}

static void a_info(void *dev, struct audio_info *o)
{
	struct ac97 *a = dev;
	memset(o, 0, sizeof(*o));
	memcpy(o->name, "ac97", 5);
	o->rates = AUDIO_RATE_48000;
	if (a->vra)
		o->rates |= AUDIO_RATE_8000 | AUDIO_RATE_11025 |
			    AUDIO_RATE_16000 | AUDIO_RATE_22050 |
			    AUDIO_RATE_32000 | AUDIO_RATE_44100;
	o->channels_max = 2;
	o->formats = 1u << AUDIO_FMT_S16LE;
	o->period_min = AC97_PERIOD_MIN;
	o->period_max = AC97_PERIOD_MAX;
}

static int a_fit(void *dev, struct audio_fmt *f)
{
	(void)dev;
	/* PCM out is stereo 16-bit; 96 kHz is not an AC97 rate */
	if (f->channels != 2 || f->format != AUDIO_FMT_S16LE || f->rate > 48000)
		return ERR_NOT_SUPPORTED;
	if (f->period_frames < AC97_PERIOD_MIN ||
	    f->period_frames > AC97_PERIOD_MAX || !f->periods ||
	    f->periods > AC97_BDL_N)
		return ERR_INVALID_ARGS;
	/* a power of two divides the 32-entry circle */
	uint32_t p = 1;
	while (p < f->periods)
		p <<= 1;
	f->periods = p;
	return 0;
}

static int a_open(void *dev, const struct audio_fmt *f,
		  const struct audio_hw_ring *ring)
{
	struct ac97 *a = dev;
	uint32_t pb = f->period_frames * 4;
	if (ring->phys >> 32 || ring->phys + ring->bytes > (1ull << 32) ||
	    ring->bytes != pb * f->periods || (AC97_BDL_N % f->periods))
		return ERR_INVALID_ARGS;
	if (f->rate != 48000) {
		if (!a->vra)
			return ERR_NOT_SUPPORTED;
		a->io->nam_w16(a->ctx, AC97_EXT_AUDIO_CTL,
			       a->io->nam_r16(a->ctx, AC97_EXT_AUDIO_CTL) | 1);
		a->io->nam_w16(a->ctx, AC97_PCM_FRONT_RATE, f->rate);
		if (a->io->nam_r16(a->ctx, AC97_PCM_FRONT_RATE) != f->rate)
			return ERR_NOT_SUPPORTED;
	} else if (a->vra) {
		a->io->nam_w16(a->ctx, AC97_PCM_FRONT_RATE, 48000);
	}
	box_reset(a);
	for (uint32_t i = 0; i < AC97_BDL_N; i++) {
		a->bdl[i].addr = (uint32_t)(ring->phys + (i % f->periods) * pb);
		a->bdl[i].samples = (uint16_t)(f->period_frames * 2);
		a->bdl[i].flags = AC97_BD_IOC;
	}
	a->fmt = *f;
	a->ring = *ring;
	a->period_bytes = pb;
	a->open = true;
	return 0;
}

static int a_start(void *dev)
{
	struct ac97 *a = dev;
	if (!a->open)
		return ERR_BAD_STATE;
	box_reset(a); /* from entry 0, offset 0 */
	nabm_w(a, AC97_PO_LVI, 1, a->fmt.periods - 1);
	nabm_w(a, AC97_PO_CR, 1,
	       AC97_CR_RPBM | AC97_CR_IOCE | AC97_CR_FEIE | AC97_CR_LVBIE);
	return 0;
}

static void a_stop(void *dev)
{
	box_reset(dev);
}

static uint32_t a_position(void *dev)
{
	struct ac97 *a = dev;
	if (!a->open)
		return 0;
	/* CIV and PICB are two reads: retry if the index moved between */
	uint32_t civ, picb;
	for (int i = 0; i < 4; i++) {
		civ = nabm_r(a, AC97_PO_CIV, 1) & (AC97_BDL_N - 1);
		picb = nabm_r(a, AC97_PO_PICB, 2);
		if ((nabm_r(a, AC97_PO_CIV, 1) & (AC97_BDL_N - 1)) == civ)
			break;
	}
	uint32_t left = picb * 2;
	if (left > a->period_bytes)
		left = a->period_bytes;
	uint32_t off = (civ % a->fmt.periods) * a->period_bytes +
		       (a->period_bytes - left);
	return off % a->ring.bytes;
}

static int a_irq(void *dev)
{
	struct ac97 *a = dev;
	uint32_t sr = nabm_r(a, AC97_PO_SR, 2);
	uint32_t ack = sr & (AC97_SR_LVBCI | AC97_SR_BCIS | AC97_SR_FIFOE);
	if (!ack)
		return 0;
	nabm_w(a, AC97_PO_SR, 2, ack);
	/* at most a ring past the current entry; a halted engine (the
	 * last valid entry reached) sits on it and goes on with the next
	 * one when the index moves (and RPBM is set again for controllers
	 * that cleared it) */
	uint32_t civ = nabm_r(a, AC97_PO_CIV, 1) & (AC97_BDL_N - 1);
	nabm_w(a, AC97_PO_LVI, 1,
	       (civ + a->fmt.periods - 1) & (AC97_BDL_N - 1));
	if ((sr & AC97_SR_DCH) && (sr & AC97_SR_CELV) && a->open) {
		a->halts++;
		/* not resumed by the new index: run (a run bit written to a
		 * running engine would skip an entry, so only if halted) */
		if (nabm_r(a, AC97_PO_SR, 2) & AC97_SR_DCH)
			nabm_w(a, AC97_PO_CR, 1,
			       AC97_CR_RPBM | AC97_CR_IOCE | AC97_CR_FEIE |
				       AC97_CR_LVBIE);
	}
	if (sr & AC97_SR_FIFOE) {
		a->fifo_errors++;
		return ERR_FAULT;
	}
	return (sr & AC97_SR_DCH) && (sr & AC97_SR_CELV) ? AUDIO_HW_IRQ_UNDERRUN
							 : AUDIO_HW_IRQ_PERIOD;
}

static void a_close(void *dev)
{
	struct ac97 *a = dev;
	box_reset(a);
	a->open = false;
	memset(&a->ring, 0, sizeof(a->ring));
}

const struct audio_hw_ops ac97_ops = {
	.info = a_info,
	.fit = a_fit,
	.open = a_open,
	.start = a_start,
	.stop = a_stop,
	.position = a_position,
	.irq = a_irq,
	.close = a_close,
};
