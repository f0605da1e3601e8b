/* HDA controller: reset, CORB/RIRB, the output stream (hda_ctrl.h). */
#include "hda_ctrl.h"

#include <string.h>

#include <execrt/errors.h>

#include "hda_regs.h"

#define MS 1000000ull

static uint32_t rd(struct hda_ctrl *c, uint32_t off, uint32_t w)
{
	return c->io.rd(c->io.ctx, off, w);
}

static void wr(struct hda_ctrl *c, uint32_t off, uint32_t w, uint32_t v)
{
	c->io.wr(c->io.ctx, off, w, v);
}

/* Polls until (reg & mask) == want or timeout_ns passes. */
static bool wait_bits(struct hda_ctrl *c, uint32_t off, uint32_t w,
		      uint32_t mask, uint32_t want, uint64_t timeout_ns)
{
	uint64_t end = c->io.now_ns(c->io.ctx) + timeout_ns;
	for (;;) {
		if ((rd(c, off, w) & mask) == want)
			return true;
		if (c->io.now_ns(c->io.ctx) >= end)
			return false;
		c->io.pause_us(c->io.ctx, 10);
	}
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const volatile uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* Size code and entries for a ring: the largest the controller offers. */
static uint32_t ring_size(struct hda_ctrl *c, uint32_t reg)
{
	uint32_t cap = HDA_RINGSIZE_CAP(rd(c, reg, 1));
	uint32_t code = (cap & 4) ? 2 : (cap & 2) ? 1 : 0;
	wr(c, reg, 1, code);
	code = rd(c, reg, 1) & 3; /* what it took */
	return code == 2 ? 256 : code == 1 ? 16 : 2;
}

static int rings_init(struct hda_ctrl *c)
{
	uint64_t corb = c->phys + HDA_MEM_CORB, rirb = c->phys + HDA_MEM_RIRB;
	wr(c, HDA_CORBCTL, 1, 0);
	wr(c, HDA_RIRBCTL, 1, 0);
	if (!wait_bits(c, HDA_CORBCTL, 1, HDA_CORBCTL_RUN, 0, 10 * MS) ||
	    !wait_bits(c, HDA_RIRBCTL, 1, HDA_RIRBCTL_DMA, 0, 10 * MS))
		return ERR_TIMED_OUT;
	wr(c, HDA_CORBLBASE, 4, (uint32_t)corb);
	wr(c, HDA_CORBUBASE, 4, (uint32_t)(corb >> 32));
	c->corb_n = ring_size(c, HDA_CORBSIZE);
	wr(c, HDA_CORBWP, 2, 0);
	/* Read pointer reset: set, seen set (not every controller shows
	 * it: no error), cleared, seen clear. */
	wr(c, HDA_CORBRP, 2, HDA_CORBRP_RST);
	wait_bits(c, HDA_CORBRP, 2, HDA_CORBRP_RST, HDA_CORBRP_RST, 1 * MS);
	wr(c, HDA_CORBRP, 2, 0);
	if (!wait_bits(c, HDA_CORBRP, 2, HDA_CORBRP_RST, 0, 10 * MS))
		return ERR_TIMED_OUT;
	wr(c, HDA_RIRBLBASE, 4, (uint32_t)rirb);
	wr(c, HDA_RIRBUBASE, 4, (uint32_t)(rirb >> 32));
	c->rirb_n = ring_size(c, HDA_RIRBSIZE);
	wr(c, HDA_RIRBWP, 2, HDA_RIRBWP_RST);
	/* Responses before the response-interrupt flag: never 0 (QEMU's
	 * model then stalls the CORB); the flag is cleared after every
	 * response, and INTCTL.CIE stays off, so it never interrupts. */
	wr(c, HDA_RINTCNT, 2, c->rirb_n > 1 ? c->rirb_n - 1 : 1);
	wr(c, HDA_RIRBSTS, 1, HDA_RIRBSTS_INT | HDA_RIRBSTS_OVR);
	c->corb_wp = 0;
	c->rirb_rp = 0;
	wr(c, HDA_RIRBCTL, 1, HDA_RIRBCTL_DMA | HDA_RIRBCTL_INT);
	wr(c, HDA_CORBCTL, 1, HDA_CORBCTL_RUN);
	return 0;
}

/* Clears RUN on every stream engine that has it, keeping its tag, and
 * waits for it to stop. A reset alone would also stop them, but the
 * codecs are told a stream stopped only by RUN falling: QEMU's codec
 * otherwise keeps believing the stream of a driver killed while playing
 * runs, and the next instance's format verb then silences it for good. */
static void stop_engines(struct hda_ctrl *c)
{
	uint32_t g = rd(c, HDA_GCAP, 2);
	uint32_t n = HDA_GCAP_ISS(g) + HDA_GCAP_OSS(g) + HDA_GCAP_BSS(g);
	for (uint32_t i = 0; i < n && i < 30; i++) {
		uint32_t sd = HDA_SD(i);
		uint32_t ctl = rd(c, sd + HDA_SD_CTL, 4) & 0xffffff;
		if (!(ctl & HDA_SD_CTL_RUN))
			continue;
		wr(c, sd + HDA_SD_CTL, 4, ctl & ~HDA_SD_CTL_RUN);
		wait_bits(c, sd + HDA_SD_CTL, 4, HDA_SD_CTL_RUN, 0, 10 * MS);
	}
}

int hda_ctrl_init(struct hda_ctrl *c, const struct hda_io *io, void *mem,
		  uint64_t phys)
{
	if (!mem || (phys & (HDA_BDL_ALIGN - 1)))
		return ERR_INVALID_ARGS;
	memset(c, 0, sizeof(*c));
	c->io = *io;
	c->mem = mem;
	c->phys = phys;
	memset(mem, 0, HDA_MEM_BYTES);
	/* Whatever ran before (a previous instance, firmware): DMA off. */
	wr(c, HDA_INTCTL, 4, 0);
	stop_engines(c);
	wr(c, HDA_CORBCTL, 1, 0);
	wr(c, HDA_RIRBCTL, 1, 0);
	wr(c, HDA_DPLBASE, 4, 0);
	wr(c, HDA_STATESTS, 2, 0x7fff);
	wr(c, HDA_GCTL, 4, rd(c, HDA_GCTL, 4) & ~HDA_GCTL_CRST);
	if (!wait_bits(c, HDA_GCTL, 4, HDA_GCTL_CRST, 0, 100 * MS))
		return ERR_TIMED_OUT;
	c->io.pause_us(c->io.ctx, 100); /* CRST low for >= 100 us */
	wr(c, HDA_GCTL, 4, rd(c, HDA_GCTL, 4) | HDA_GCTL_CRST);
	if (!wait_bits(c, HDA_GCTL, 4, HDA_GCTL_CRST, HDA_GCTL_CRST, 100 * MS))
		return ERR_TIMED_OUT;
	/* Codecs ask for an address within 25 frames (521 us). */
	c->io.pause_us(c->io.ctx, 1000);
	c->codecs = (uint16_t)(rd(c, HDA_STATESTS, 2) & 0x7fff);
	wr(c, HDA_STATESTS, 2, 0x7fff);
	c->gcap = (uint16_t)rd(c, HDA_GCAP, 2);
	c->iss = HDA_GCAP_ISS(c->gcap);
	c->oss = HDA_GCAP_OSS(c->gcap);
	c->bss = HDA_GCAP_BSS(c->gcap);
	if (c->iss + c->oss + c->bss > 30)
		return ERR_NOT_SUPPORTED; /* the position buffer's room */
	if (c->oss) {
		c->sd = c->iss;
	} else if (c->bss) {
		c->sd = c->iss + c->oss;
		c->bidir = true;
	} else {
		return ERR_NOT_FOUND;
	}
	c->tag = 1;
	if (!c->codecs)
		return ERR_NOT_FOUND;
	return rings_init(c);
}

int hda_ctrl_verb(void *ctrl, uint32_t cmd, uint32_t *resp)
{
	struct hda_ctrl *c = ctrl;
	uint32_t wp = (c->corb_wp + 1) % c->corb_n;
	put32(c->mem + HDA_MEM_CORB + 4 * wp, cmd);
	__atomic_thread_fence(__ATOMIC_SEQ_CST); /* entry before pointer */
	wr(c, HDA_CORBWP, 2, wp);
	c->corb_wp = wp;
	c->verbs++;
	uint64_t end = c->io.now_ns(c->io.ctx) + 10 * MS;
	for (;;) {
		uint32_t hw = rd(c, HDA_RIRBWP, 2) % c->rirb_n;
		while (c->rirb_rp != hw) {
			c->rirb_rp = (c->rirb_rp + 1) % c->rirb_n;
			__atomic_thread_fence(__ATOMIC_SEQ_CST);
			const volatile uint8_t *e =
				c->mem + HDA_MEM_RIRB + 8 * c->rirb_rp;
			uint32_t r = get32(e), ex = get32(e + 4);
			if ((ex & HDA_RESPEX_UNSOL) ||
			    HDA_RESPEX_CAD(ex) != cmd >> 28) {
				c->unsol++;
				continue;
			}
			wr(c, HDA_RIRBSTS, 1,
			   HDA_RIRBSTS_INT | HDA_RIRBSTS_OVR);
			*resp = r;
			return 0;
		}
		if (c->io.now_ns(c->io.ctx) >= end)
			break;
		c->io.pause_us(c->io.ctx, 10);
	}
	wr(c, HDA_RIRBSTS, 1, HDA_RIRBSTS_INT | HDA_RIRBSTS_OVR);
	c->timeouts++;
	return ERR_TIMED_OUT;
}

int hda_bdl_fill(uint8_t *bdl, uint64_t ring_phys, uint32_t period_bytes,
		 uint32_t periods)
{
	if (periods < 2 || periods > HDA_BDL_MAX || !period_bytes ||
	    (period_bytes & (HDA_BUF_ALIGN - 1)) ||
	    (ring_phys & (HDA_BUF_ALIGN - 1)))
		return ERR_INVALID_ARGS;
	for (uint32_t i = 0; i < periods; i++) {
		uint8_t *e = bdl + HDA_BDL_ENTRY * i;
		uint64_t a = ring_phys + (uint64_t)i * period_bytes;
		put32(e, (uint32_t)a);
		put32(e + 4, (uint32_t)(a >> 32));
		put32(e + 8, period_bytes);
		put32(e + 12, HDA_BDL_IOC);
	}
	return 0;
}

void hda_stream_reset(struct hda_ctrl *c)
{
	uint32_t sd = HDA_SD(c->sd);
	hda_stream_run(c, false);
	wr(c, HDA_INTCTL, 4, 0);
	wr(c, sd + HDA_SD_CTL, 4, HDA_SD_CTL_SRST);
	/* Seen set, then cleared: QEMU's model clears it at once. */
	wait_bits(c, sd + HDA_SD_CTL, 4, HDA_SD_CTL_SRST, HDA_SD_CTL_SRST,
		  1 * MS);
	wr(c, sd + HDA_SD_CTL, 4, 0);
	wait_bits(c, sd + HDA_SD_CTL, 4, HDA_SD_CTL_SRST, 0, 10 * MS);
	wr(c, sd + HDA_SD_STS, 1, HDA_SD_STS_ALL);
	c->ring_bytes = 0;
}

int hda_stream_setup(struct hda_ctrl *c, uint16_t fmt, uint64_t ring_phys,
		     uint32_t period_bytes, uint32_t periods)
{
	uint8_t *bdl = c->mem + HDA_MEM_BDL;
	uint64_t bdl_phys = c->phys + HDA_MEM_BDL;
	uint64_t pos = c->phys + HDA_MEM_POS;
	uint32_t sd = HDA_SD(c->sd);
	int r = hda_bdl_fill(bdl, ring_phys, period_bytes, periods);
	if (r < 0)
		return r;
	hda_stream_reset(c);
	memset(c->mem + HDA_MEM_POS, 0, 8 * 32);
	wr(c, sd + HDA_SD_BDPL, 4, (uint32_t)bdl_phys);
	wr(c, sd + HDA_SD_BDPU, 4, (uint32_t)(bdl_phys >> 32));
	wr(c, sd + HDA_SD_CBL, 4, period_bytes * periods);
	wr(c, sd + HDA_SD_LVI, 2, periods - 1);
	wr(c, sd + HDA_SD_FMT, 2, fmt);
	uint32_t ctl = HDA_SD_CTL_TAG(c->tag) | HDA_SD_CTL_IOCE |
		       HDA_SD_CTL_FEIE | HDA_SD_CTL_DEIE;
	if (c->bidir)
		ctl |= 1u << 19; /* DIR: this engine outputs */
	wr(c, sd + HDA_SD_CTL, 4, ctl);
	wr(c, HDA_DPUBASE, 4, (uint32_t)(pos >> 32));
	wr(c, HDA_DPLBASE, 4, (uint32_t)pos | 1);
	wr(c, HDA_INTCTL, 4, HDA_INTCTL_GIE | 1u << c->sd);
	c->ring_bytes = period_bytes * periods;
	return 0;
}

int hda_stream_run(struct hda_ctrl *c, bool on)
{
	uint32_t sd = HDA_SD(c->sd);
	uint32_t ctl = rd(c, sd + HDA_SD_CTL, 4) & 0xffffff;
	if (on) {
		if (!c->ring_bytes)
			return ERR_BAD_STATE;
		memset(c->mem + HDA_MEM_POS + 8 * c->sd, 0, 8);
		wr(c, sd + HDA_SD_STS, 1, HDA_SD_STS_ALL);
		wr(c, sd + HDA_SD_CTL, 4, ctl | HDA_SD_CTL_RUN);
		c->running = true;
		return 0;
	}
	wr(c, sd + HDA_SD_CTL, 4, ctl & ~HDA_SD_CTL_RUN);
	c->running = false;
	bool ok = wait_bits(c, sd + HDA_SD_CTL, 4, HDA_SD_CTL_RUN, 0, 10 * MS);
	wr(c, sd + HDA_SD_STS, 1, HDA_SD_STS_ALL);
	return ok ? 0 : ERR_TIMED_OUT;
}

uint32_t hda_stream_pos(const struct hda_ctrl *c)
{
	if (!c->ring_bytes)
		return 0;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	uint32_t p = get32(c->mem + HDA_MEM_POS + 8 * c->sd);
	return p % c->ring_bytes; /* the device's word: never past the ring */
}

int hda_ctrl_irq(struct hda_ctrl *c)
{
	uint32_t is = rd(c, HDA_INTSTS, 4);
	if (is == 0xffffffffu)
		return ERR_PEER_CLOSED;
	if (is & HDA_INTCTL_CIE) { /* controller: responses, wake events */
		wr(c, HDA_RIRBSTS, 1, HDA_RIRBSTS_INT | HDA_RIRBSTS_OVR);
		wr(c, HDA_STATESTS, 2, 0x7fff);
	}
	uint32_t sd = HDA_SD(c->sd);
	uint32_t sts = rd(c, sd + HDA_SD_STS, 1) & HDA_SD_STS_ALL;
	if (!sts) {
		c->spurious++;
		return 0;
	}
	wr(c, sd + HDA_SD_STS, 1, sts); /* write-1-to-clear: DMA goes on */
	if (sts & (HDA_SD_STS_FIFOE | HDA_SD_STS_DESE)) {
		c->errors++;
		return ERR_BAD_STATE;
	}
	c->ioc++;
	return 1;
}

void hda_ctrl_shutdown(struct hda_ctrl *c)
{
	if (c->corb_n) {
		hda_stream_reset(c);
		wr(c, HDA_DPLBASE, 4, 0);
		wr(c, HDA_DPUBASE, 4, 0);
	}
	wr(c, HDA_INTCTL, 4, 0);
	wr(c, HDA_CORBCTL, 1, 0);
	wr(c, HDA_RIRBCTL, 1, 0);
	wait_bits(c, HDA_CORBCTL, 1, HDA_CORBCTL_RUN, 0, 10 * MS);
	wait_bits(c, HDA_RIRBCTL, 1, HDA_RIRBCTL_DMA, 0, 10 * MS);
}
