/* AC97 PCM out (drivers/ac97/ac97_hw.c) against a register model of the
 * ICH AC'97 controller: reset and codec bring-up, the circular 32-entry
 * descriptor list over a ring of power-of-two periods, the position from
 * CIV/PICB, the interrupt acknowledge and the last-valid index kept
 * behind the current one, so a long run never halts; the bytes the model
 * "plays" are the ring's, in order. */
#include <stdlib.h>

#include "ac97_hw.h"
#include "audio_core.h"
#include "harness.h"

#include <execrt/errors.h>

#define PHYS_BASE 0x200000u

struct model {
	uint16_t nam[0x40];
	uint32_t bdbar, glob_cnt, glob_sta;
	uint8_t civ, lvi, cr, piv;
	uint16_t sr, picb;
	bool no_codec;
	/* DMA memory: phys PHYS_BASE.. maps to mem */
	_Alignas(8) uint8_t mem[64 * 1024];
	/* what was played: a running hash and a count of bytes */
	uint8_t played[64 * 1024];
	uint32_t nplayed;
	uint32_t irq_pending;
};

static struct model M;

static void *va_of(uint32_t phys)
{
	return M.mem + (phys - PHYS_BASE);
}

/* The next entry, as the ICH (and QEMU's model) moves: CIV = PIV. */
static void advance(void)
{
	M.civ = M.piv;
	M.piv = (M.piv + 1) & 31;
	M.picb = ((const struct ac97_bd *)va_of(M.bdbar + M.civ * 8u))->samples;
}

static uint32_t m_nam_r16(void *ctx, uint32_t reg)
{
	(void)ctx;
	if (reg == AC97_POWERDOWN)
		return 0xf;
	if (reg == AC97_EXT_AUDIO_ID)
		return 1;
	return M.nam[reg / 2];
}

static void m_nam_w16(void *ctx, uint32_t reg, uint32_t v)
{
	(void)ctx;
	if (reg == AC97_RESET) {
		memset(M.nam, 0, sizeof(M.nam));
		M.nam[AC97_MASTER_VOL / 2] = AC97_VOL_MUTE;
		M.nam[AC97_PCM_OUT_VOL / 2] = AC97_VOL_MUTE | 0x0808;
		M.nam[AC97_PCM_FRONT_RATE / 2] = 48000;
		return;
	}
	if (reg == AC97_PCM_FRONT_RATE && !(M.nam[AC97_EXT_AUDIO_CTL / 2] & 1))
		return; /* fixed at 48 kHz without VRA */
	M.nam[reg / 2] = (uint16_t)v;
}

static uint32_t m_nabm_r(void *ctx, uint32_t reg, uint32_t w)
{
	(void)ctx;
	switch (reg) {
	case AC97_PO_BDBAR:
		return w == 4 ? M.bdbar : 0;
	case AC97_PO_CIV:
		return M.civ;
	case AC97_PO_LVI:
		return M.lvi;
	case AC97_PO_SR:
		return M.sr;
	case AC97_PO_PICB:
		return M.picb;
	case AC97_PO_CR:
		return M.cr;
	case AC97_GLOB_CNT:
		return M.glob_cnt;
	case AC97_GLOB_STA:
		return M.glob_sta;
	}
	return 0;
}

static void m_nabm_w(void *ctx, uint32_t reg, uint32_t w, uint32_t v)
{
	(void)ctx;
	(void)w;
	switch (reg) {
	case AC97_PO_BDBAR:
		M.bdbar = v & ~7u;
		break;
	case AC97_PO_LVI:
		/* a halted engine with the run bit goes on with the next */
		if ((M.cr & AC97_CR_RPBM) && (M.sr & AC97_SR_DCH)) {
			M.sr &= (uint16_t) ~(AC97_SR_DCH | AC97_SR_CELV);
			advance();
		}
		M.lvi = (uint8_t)(v & 31);
		break;
	case AC97_PO_SR:
		M.sr &= (uint16_t) ~(v & 0x1c);
		break;
	case AC97_PO_CR:
		if (v & AC97_CR_RR) {
			M.civ = M.lvi = M.piv = 0;
			M.picb = 0;
			M.bdbar = 0;
			M.sr = AC97_SR_DCH;
			M.cr = 0;
			break;
		}
		M.cr = (uint8_t)v;
		/* as QEMU's model: every write with the run bit moves to
		 * the next entry (so a driver must not write it while the
		 * engine runs) */
		if (v & AC97_CR_RPBM) {
			M.sr &= (uint16_t) ~(AC97_SR_DCH | AC97_SR_CELV);
			advance();
		} else
			M.sr |= AC97_SR_DCH;
		break;
	case AC97_GLOB_CNT:
		M.glob_cnt = v;
		if (!(v & AC97_GC_COLD))
			M.glob_sta &= ~AC97_GS_PCR; /* the link in reset */
		else if (!M.no_codec)
			M.glob_sta |= AC97_GS_PCR;
		break;
	}
}

static void m_delay(void *ctx, uint32_t us)
{
	(void)ctx;
	(void)us;
}

static const struct ac97_io mio = {m_nam_r16, m_nam_w16, m_nabm_r, m_nabm_w,
				   m_delay};

/* The engine moves n 16-bit samples (stops at a halt). */
static void play(uint32_t n)
{
	while (n && !(M.sr & AC97_SR_DCH) && (M.cr & AC97_CR_RPBM)) {
		const struct ac97_bd *bd = va_of(M.bdbar + M.civ * 8u);
		uint32_t done = bd->samples - M.picb;
		const uint8_t *src = va_of(bd->addr + done * 2);
		if (M.nplayed + 2 <= sizeof(M.played))
			memcpy(M.played + M.nplayed, src, 2);
		M.nplayed += 2;
		n--;
		if (--M.picb)
			continue;
		if (bd->flags & AC97_BD_IOC) {
			M.sr |= AC97_SR_BCIS;
			M.irq_pending++;
		}
		if (M.civ == M.lvi) {
			M.sr |= AC97_SR_DCH | AC97_SR_CELV | AC97_SR_LVBCI;
			break;
		}
		advance();
	}
}

static struct ac97 A;

static int setup(void)
{
	memset(&M, 0, sizeof(M));
	return ac97_init(&A, &mio, NULL, (struct ac97_bd *)M.mem, PHYS_BASE);
}

TEST(ac97_init_brings_up_the_codec_unmuted)
{
	CHECK_EQ(setup(), 0);
	CHECK_EQ(M.nam[AC97_MASTER_VOL / 2], 0);
	CHECK_EQ(M.nam[AC97_PCM_OUT_VOL / 2], AC97_PCM_UNITY); /* unmuted */
	CHECK_EQ(M.bdbar, PHYS_BASE);
	CHECK(M.sr & AC97_SR_DCH);
	struct audio_info in;
	ac97_ops.info(&A, &in);
	STR_EQ(in.name, "ac97");
	CHECK(in.rates & AUDIO_RATE_48000);
	CHECK(in.rates & AUDIO_RATE_44100); /* the model has VRA */
	CHECK(!(in.rates & AUDIO_RATE_96000));
	memset(&M, 0, sizeof(M));
	M.no_codec = true;
	CHECK_EQ(ac97_init(&A, &mio, NULL, (struct ac97_bd *)M.mem, PHYS_BASE),
		 ERR_TIMED_OUT);
	CHECK_EQ(ac97_init(&A, &mio, NULL, (struct ac97_bd *)M.mem,
			   0x100000000ull),
		 ERR_OUT_OF_RANGE);
}

TEST(ac97_fit_rounds_periods_to_a_power_of_two)
{
	CHECK_EQ(setup(), 0);
	struct audio_fmt f = {48000, 2, AUDIO_FMT_S16LE, 128, 3};
	CHECK_EQ(ac97_ops.fit(&A, &f), 0);
	CHECK_EQ(f.periods, 4);
	f.periods = 17;
	CHECK_EQ(ac97_ops.fit(&A, &f), 0);
	CHECK_EQ(f.periods, 32);
	f.channels = 1;
	CHECK_EQ(ac97_ops.fit(&A, &f), ERR_NOT_SUPPORTED);
	f.channels = 2;
	f.rate = 96000;
	CHECK_EQ(ac97_ops.fit(&A, &f), ERR_NOT_SUPPORTED);
	f.rate = 48000;
	f.period_frames = AC97_PERIOD_MAX + 1;
	CHECK_EQ(ac97_ops.fit(&A, &f), ERR_INVALID_ARGS);
}

/* Opens 4 periods of 64 frames over a ring right after the list. */
static int open4(uint32_t rate, struct audio_hw_ring *ring)
{
	struct audio_fmt f = {rate, 2, AUDIO_FMT_S16LE, 64, 4};
	int r = ac97_ops.fit(&A, &f);
	if (r < 0)
		return r;
	ring->phys = PHYS_BASE + 4096;
	ring->va = va_of((uint32_t)ring->phys);
	ring->bytes = 64 * 4 * 4;
	return ac97_ops.open(&A, &f, ring);
}

TEST(ac97_plays_the_ring_in_order_for_many_laps)
{
	CHECK_EQ(setup(), 0);
	struct audio_hw_ring ring;
	CHECK_EQ(open4(48000, &ring), 0);
	const struct ac97_bd *bdl = (const struct ac97_bd *)M.mem;
	CHECK_EQ(bdl[0].addr, ring.phys);
	CHECK_EQ(bdl[5].addr, ring.phys + 256);
	CHECK_EQ(bdl[31].samples, 128);
	CHECK(bdl[31].flags & AC97_BD_IOC);
	for (uint32_t i = 0; i < ring.bytes; i++)
		ring.va[i] = (uint8_t)(i * 7 + 1);
	CHECK_EQ(ac97_ops.start(&A), 0);
	CHECK_EQ(ac97_ops.position(&A), 0);
	/* half a period */
	play(64);
	CHECK_EQ(ac97_ops.position(&A), 128);
	/* 3 rings = 12 periods = 3 BDL circles of 32? no: 100 periods, more
	 * than three trips round the 32 entries, the irq served each time */
	uint32_t irqs = 0;
	for (uint32_t k = 0; k < 100 * 2; k++) {
		play(64);
		while (M.irq_pending) {
			M.irq_pending--;
			CHECK_EQ(ac97_ops.irq(&A), 1);
			irqs++;
			CHECK_EQ(M.lvi, (M.civ + 3) & 31);
		}
	}
	CHECK(!(M.sr & AC97_SR_DCH));
	CHECK_EQ(irqs, 100);
	/* played exactly the ring, over and over */
	CHECK_EQ(M.nplayed, 64 * 2 + 200 * 64 * 2);
	for (uint32_t i = 0; i < M.nplayed && i < sizeof(M.played); i++)
		CHECK_EQ(M.played[i], ring.va[i % ring.bytes]);
	/* 100.5 periods in: period 0 of the ring, half way */
	CHECK_EQ(ac97_ops.position(&A), 128);
	/* a spurious interrupt: not ours */
	CHECK_EQ(ac97_ops.irq(&A), 0);
	ac97_ops.stop(&A);
	CHECK(M.sr & AC97_SR_DCH);
	CHECK_EQ(M.civ, 0);
	/* start again: from offset 0 */
	CHECK_EQ(ac97_ops.start(&A), 0);
	M.nplayed = 0;
	play(2);
	CHECK_EQ(M.played[0], ring.va[0]);
	ac97_ops.close(&A);
	CHECK_EQ(M.cr & AC97_CR_RPBM, 0);
}

TEST(ac97_stops_a_ring_ahead_and_runs_again)
{
	CHECK_EQ(setup(), 0);
	struct audio_hw_ring ring;
	CHECK_EQ(open4(48000, &ring), 0);
	for (uint32_t i = 0; i < ring.bytes; i++)
		ring.va[i] = (uint8_t)(i * 13 + 5);
	CHECK_EQ(ac97_ops.start(&A), 0);
	CHECK_EQ(M.lvi, 3);
	/* no interrupt served: the engine plays one ring, no more (the
	 * position cannot be a ring off), and halts on the last entry */
	play(32 * 128);
	CHECK(M.sr & AC97_SR_DCH);
	CHECK_EQ(M.nplayed, 4 * 128 * 2);
	CHECK_EQ(ac97_ops.position(&A), 0); /* the ring's end = its start */
	CHECK_EQ(ac97_ops.irq(&A), AUDIO_HW_IRQ_UNDERRUN);
	CHECK_EQ(A.halts, 1);
	CHECK(!(M.sr & AC97_SR_DCH));
	CHECK_EQ(M.civ, 4); /* resumed with the next entry, none skipped */
	CHECK_EQ(M.lvi, 6); /* from the entry it sat on: < a ring ahead */
	play(130);
	CHECK_EQ(M.nplayed, (4 * 128 + 130) * 2);
	for (uint32_t i = 0; i < M.nplayed; i++)
		CHECK_EQ(M.played[i], ring.va[i % ring.bytes]);
	ac97_ops.close(&A);
}

TEST(ac97_variable_rate_and_the_core_end_to_end)
{
	CHECK_EQ(setup(), 0);
	struct audio_hw_ring ring;
	CHECK_EQ(open4(44100, &ring), 0);
	CHECK_EQ(M.nam[AC97_PCM_FRONT_RATE / 2], 44100);
	CHECK(M.nam[AC97_EXT_AUDIO_CTL / 2] & 1);
	ac97_ops.close(&A);
	/* 48 kHz puts the rate back */
	CHECK_EQ(open4(48000, &ring), 0);
	CHECK_EQ(M.nam[AC97_PCM_FRONT_RATE / 2], 48000);
	ac97_ops.close(&A);
}
