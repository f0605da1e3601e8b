/* Modelled HDA controller and codecs (hda_model.h). */
#include "hda_model.h"

#include <stdlib.h>
#include <string.h>

#include "hda_regs.h"

#define WCAP(type) ((uint32_t)(type) << 20)
#define PCM_QEMU   (HDA_PCM_16BIT | 0x1fc) /* 16 bit, 16-96 kHz */
#define CFG(port, dev, assoc, seq)                                             \
	((uint32_t)(port) << 30 | (uint32_t)(dev) << 20 |                      \
	 (uint32_t)(assoc) << 4 | (seq))

static struct hm_node *node(struct hm_codec *c, uint32_t nid)
{
	c->n[nid].present = true;
	return &c->n[nid];
}

static void conn(struct hm_node *n, int cnt, const uint16_t *e, bool lng)
{
	n->wcap |= HDA_WCAP_CONN;
	n->conn_len = (uint32_t)cnt | (lng ? 0x80 : 0);
	memcpy(n->conn, e, sizeof(uint16_t) * (size_t)cnt);
}

static void afg(struct hm_codec *c, uint32_t nid, uint32_t first,
		uint32_t count, uint32_t pcm)
{
	struct hm_node *f = node(c, nid);
	f->fg_type = HDA_FG_AUDIO;
	f->nodes = first << 16 | count;
	f->pcm = pcm;
	f->stream = HDA_STREAM_PCM;
	c->root_nodes = nid << 16 | 1;
}

void hm_codec_qemu_output(struct hm_codec *c, bool mixer)
{
	memset(c, 0, sizeof(*c));
	c->vendor = 0x1af40000u | (mixer ? 0x12 : 0x11);
	afg(c, 1, 2, 2, PCM_QEMU);
	struct hm_node *dac = node(c, 2);
	dac->wcap = WCAP(HDA_W_OUT) | HDA_WCAP_FMT_OVRD | HDA_WCAP_AMP_OVRD |
		    HDA_WCAP_OUT_AMP | HDA_WCAP_STEREO;
	dac->pcm = PCM_QEMU;
	dac->stream = HDA_STREAM_PCM;
	if (mixer)
		dac->amp_out = HDA_AMPCAP_MUTE | 3u << 16 | 0x4au << 8 | 0x4a;
	struct hm_node *pin = node(c, 3);
	pin->wcap = WCAP(HDA_W_PIN) | HDA_WCAP_STEREO;
	pin->pincap = HDA_PINCAP_OUT;
	pin->config = CFG(0, HDA_DEV_LINE_OUT, 1, 0) | 4u << 12;
	conn(pin, 1, (uint16_t[]){2}, false);
}

void hm_codec_qemu_duplex(struct hm_codec *c)
{
	hm_codec_qemu_output(c, true);
	c->vendor = 0x1af40022;
	c->n[1].nodes = 2u << 16 | 4;
	struct hm_node *adc = node(c, 4);
	adc->wcap = WCAP(HDA_W_IN) | HDA_WCAP_FMT_OVRD | HDA_WCAP_AMP_OVRD |
		    HDA_WCAP_IN_AMP | HDA_WCAP_STEREO;
	adc->pcm = PCM_QEMU;
	conn(adc, 1, (uint16_t[]){5}, false);
	struct hm_node *in = node(c, 5);
	in->wcap = WCAP(HDA_W_PIN) | HDA_WCAP_STEREO;
	in->pincap = HDA_PINCAP_IN;
	in->config = CFG(0, 0x8 /* line in */, 2, 0);
}

/* A 2-DAC desktop codec: 0x02/0x03 analog DACs, 0x06 SPDIF DAC, 0x0b the
 * analog loopback mixer, 0x0c/0x0d the output mixers (DAC + loopback),
 * pins 0x14 line out, 0x15 HP, 0x17 speaker (no connection), 0x18 mic,
 * 0x1e SPDIF out. The other NIDs are vendor widgets. */
void hm_codec_desktop(struct hm_codec *c)
{
	memset(c, 0, sizeof(*c));
	c->vendor = 0x10ec0888;
	afg(c, 1, 2, 0x1e, HDA_PCM_16BIT | 0x160 /* 44.1 48 96 */);
	c->n[1].amp_out = 0x40u << 8 | 0x40 | 5u << 16;
	for (uint32_t nid = 2; nid < 0x20; nid++)
		node(c, nid)->wcap = WCAP(HDA_W_VENDOR);
	uint32_t dacw = WCAP(HDA_W_OUT) | HDA_WCAP_OUT_AMP | HDA_WCAP_STEREO |
			HDA_WCAP_POWER;
	node(c, 2)->wcap = dacw; /* AFG defaults: pcm, amp */
	node(c, 3)->wcap = dacw;
	struct hm_node *spdif = node(c, 6);
	spdif->wcap = WCAP(HDA_W_OUT) | HDA_WCAP_DIGITAL | HDA_WCAP_STEREO;
	node(c, 8)->wcap = WCAP(HDA_W_IN) | HDA_WCAP_STEREO;
	struct hm_node *lb = node(c, 0x0b);
	lb->wcap = WCAP(HDA_W_MIXER) | HDA_WCAP_IN_AMP | HDA_WCAP_STEREO |
		   HDA_WCAP_AMP_OVRD;
	lb->amp_in = HDA_AMPCAP_MUTE | 0x1fu << 8 | 0x17;
	conn(lb, 5, (uint16_t[]){0x18, 0x19, 0x1a, 0x14, 0x15}, false);
	for (uint32_t m = 0x0c; m <= 0x0d; m++) {
		struct hm_node *x = node(c, m);
		x->wcap = WCAP(HDA_W_MIXER) | HDA_WCAP_IN_AMP |
			  HDA_WCAP_STEREO | HDA_WCAP_AMP_OVRD;
		x->amp_in = HDA_AMPCAP_MUTE; /* mute only */
		conn(x, 2, (uint16_t[]){(uint16_t)(m - 0x0a), 0x0b}, false);
	}
	uint32_t pinw = WCAP(HDA_W_PIN) | HDA_WCAP_STEREO | HDA_WCAP_OUT_AMP |
			HDA_WCAP_AMP_OVRD;
	struct hm_node *lo = node(c, 0x14);
	lo->wcap = pinw;
	lo->amp_out = HDA_AMPCAP_MUTE;
	lo->pincap = HDA_PINCAP_OUT | HDA_PINCAP_IN | HDA_PINCAP_HP |
		     HDA_PINCAP_EAPD;
	lo->config = CFG(0, HDA_DEV_LINE_OUT, 1, 0);
	conn(lo, 2, (uint16_t[]){0x0c, 0x0d}, false);
	struct hm_node *hp = node(c, 0x15);
	*hp = *lo;
	hp->config = CFG(0, HDA_DEV_HP_OUT, 2, 0);
	hp->pincap &= ~HDA_PINCAP_EAPD;
	conn(hp, 2, (uint16_t[]){0x0c, 0x0d}, false);
	struct hm_node *spk = node(c, 0x17);
	*spk = *lo;
	spk->config = CFG(HDA_PORT_NONE, HDA_DEV_SPEAKER, 1, 0);
	struct hm_node *mic = node(c, 0x18);
	mic->wcap = WCAP(HDA_W_PIN) | HDA_WCAP_STEREO;
	mic->pincap = HDA_PINCAP_IN;
	mic->config = CFG(0, 0xa, 4, 0);
	struct hm_node *so = node(c, 0x1e);
	so->wcap = WCAP(HDA_W_PIN) | HDA_WCAP_DIGITAL;
	so->pincap = HDA_PINCAP_OUT;
	so->config = CFG(0, 0x4 /* SPDIF out */, 3, 0);
	conn(so, 1, (uint16_t[]){0x06}, false);
}

/* Long-form lists with ranges: pin 0x03 (speaker, fixed) -> selector
 * 0x05 [0x10, 0x11..0x22] -> analog DAC 0x22 (0x10 is digital); pin 0x04
 * (line out) -> 0x07 <-> 0x08, a loop with no DAC; selector 0x06 with a
 * 40-entry range (truncated). */
void hm_codec_ranges(struct hm_codec *c)
{
	memset(c, 0, sizeof(*c));
	c->vendor = 0x11d41984;
	afg(c, 1, 2, 0x2f, HDA_PCM_16BIT | 0x7f);
	for (uint32_t nid = 2; nid <= 0x30; nid++)
		node(c, nid)->wcap = WCAP(HDA_W_VENDOR);
	node(c, 0x10)->wcap = WCAP(HDA_W_OUT) | HDA_WCAP_DIGITAL;
	node(c, 0x22)->wcap = WCAP(HDA_W_OUT) | HDA_WCAP_STEREO;
	struct hm_node *sel = node(c, 5);
	sel->wcap = WCAP(HDA_W_SELECTOR) | HDA_WCAP_STEREO;
	conn(sel, 2, (uint16_t[]){0x10, 0x8022}, true);
	struct hm_node *big = node(c, 6);
	big->wcap = WCAP(HDA_W_SELECTOR);
	conn(big, 2, (uint16_t[]){0x02, 0x802a}, true);
	struct hm_node *spk = node(c, 3);
	spk->wcap = WCAP(HDA_W_PIN) | HDA_WCAP_STEREO;
	spk->pincap = HDA_PINCAP_OUT;
	spk->config = CFG(2, HDA_DEV_SPEAKER, 1, 0);
	conn(spk, 1, (uint16_t[]){5}, false);
	struct hm_node *lo = node(c, 4);
	*lo = *spk;
	lo->config = CFG(0, HDA_DEV_LINE_OUT, 1, 0);
	conn(lo, 1, (uint16_t[]){7}, false);
	node(c, 7)->wcap = WCAP(HDA_W_SELECTOR);
	conn(&c->n[7], 1, (uint16_t[]){8}, false);
	node(c, 8)->wcap = WCAP(HDA_W_SELECTOR);
	conn(&c->n[8], 1, (uint16_t[]){7}, false);
}

static uint32_t get_param(struct hm_codec *c, uint32_t nid, uint32_t id)
{
	struct hm_node *n = &c->n[nid];
	if (nid == 0) {
		switch (id) {
		case HDA_P_VENDOR:
			return c->vendor;
		case HDA_P_REV:
			return 0x100101;
		case HDA_P_NODES:
			return c->root_nodes;
		}
		return 0;
	}
	switch (id) {
	case HDA_P_NODES:
		return n->nodes;
	case HDA_P_FG_TYPE:
		return n->fg_type;
	case HDA_P_WCAP:
		return n->wcap;
	case HDA_P_PCM:
		return n->pcm;
	case HDA_P_STREAM:
		return n->stream;
	case HDA_P_PIN_CAP:
		return n->pincap;
	case HDA_P_AMP_IN:
		return n->amp_in;
	case HDA_P_AMP_OUT:
		return n->amp_out;
	case HDA_P_CONN_LEN:
		return n->conn_len;
	}
	return 0;
}

uint32_t hm_codec_verb(struct hm_codec *c, uint32_t nid, uint32_t v)
{
	c->verbs++;
	struct hm_node *n = &c->n[nid & 0x7f];
	if (!n->present && nid != 0) {
		c->unknown++;
		return 0;
	}
	uint32_t id4 = (v >> 16) & 0xf;
	if (id4 != 0x7 && id4 != 0xf) {
		uint32_t pl = v & 0xffff;
		switch (id4) {
		case HDA_V4_SET_FMT:
			n->fmt = (uint16_t)pl;
			return 0;
		case HDA_V4_GET_FMT:
			return n->fmt;
		case HDA_V4_SET_AMP:
			for (int s = 0; s < 2; s++) {
				if (!(pl & (s ? HDA_AMP_SET_RIGHT
					      : HDA_AMP_SET_LEFT)))
					continue;
				if (pl & HDA_AMP_SET_OUT) {
					n->out_gain[s] = pl & 0x7f;
					n->out_mute[s] = pl & HDA_AMP_MUTE;
				}
				if (pl & HDA_AMP_SET_IN) {
					uint32_t i = (pl >> 8) & 0xf;
					n->in_gain[i][s] = pl & 0x7f;
					n->in_mute[i][s] = pl & HDA_AMP_MUTE;
				}
			}
			return 0;
		case HDA_V4_GET_AMP: {
			int s = (pl & (1u << 13)) ? 0 : 1;
			if (pl & (1u << 15))
				return n->out_gain[s] |
				       (n->out_mute[s] ? 0x80u : 0);
			return n->in_gain[pl & 0xf][s] |
			       (n->in_mute[pl & 0xf][s] ? 0x80u : 0);
		}
		}
		c->unknown++;
		return 0;
	}
	uint32_t verb = (v >> 8) & 0xfff, pl = v & 0xff;
	switch (verb) {
	case HDA_V_GET_PARAM:
		return get_param(c, nid, pl);
	case HDA_V_GET_CONN_LIST: {
		bool lng = n->conn_len & 0x80;
		uint32_t len = n->conn_len & 0x7f, r = 0;
		uint32_t per = lng ? 2 : 4, bits = lng ? 16 : 8;
		for (uint32_t k = 0; k < per && pl + k < len; k++)
			r |= (uint32_t)n->conn[pl + k] << (k * bits);
		return r;
	}
	case HDA_V_GET_CONN_SEL:
		return n->sel;
	case HDA_V_SET_CONN_SEL:
		n->sel = (uint8_t)pl;
		return 0;
	case HDA_V_SET_POWER:
		n->power = (uint8_t)pl;
		return 0;
	case HDA_V_GET_POWER:
		return n->power;
	case HDA_V_SET_CONV:
		n->conv = (uint8_t)pl;
		return 0;
	case HDA_V_GET_CONV:
		return n->conv;
	case HDA_V_SET_PIN_CTL:
		n->pinctl = (uint8_t)pl;
		return 0;
	case HDA_V_GET_PIN_CTL:
		return n->pinctl;
	case HDA_V_SET_EAPD:
		n->eapd = (uint8_t)pl;
		return 0;
	case HDA_V_GET_CONFIG_DEF:
		return n->config;
	}
	c->unknown++;
	return 0;
}

/* ---- controller ---- */

static uint8_t *dma(struct hm_ctrl *m, uint64_t phys, size_t len)
{
	if (phys >= m->mem_phys && phys + len <= m->mem_phys + m->mem_len)
		return m->mem + (phys - m->mem_phys);
	if (m->ring && phys >= m->ring_phys &&
	    phys + len <= m->ring_phys + m->ring_len)
		return m->ring + (phys - m->ring_phys);
	return NULL;
}

static uint32_t ld32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static void st32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void reset_regs(struct hm_ctrl *m)
{
	m->gctl = 0;
	m->intctl = 0;
	m->dplbase = m->dpubase = 0;
	m->corbwp = m->corbrp = m->rirbwp = m->rintcnt = 0;
	m->corbctl = m->rirbctl = m->rirbsts = 0;
	m->corb_lbase = m->corb_ubase = m->rirb_lbase = m->rirb_ubase = 0;
	m->rirb_count = 0;
	memset(m->sd, 0, sizeof(m->sd));
	m->statests = 0;
}

void hm_ctrl_init(struct hm_ctrl *m, uint8_t *mem, uint64_t mem_phys,
		  size_t mem_len)
{
	memset(m, 0, sizeof(*m));
	m->gcap = 0x4401; /* 4 in, 4 out, 64-bit: QEMU's */
	m->corbsize = m->rirbsize = 0x42;
	m->mem = mem;
	m->mem_phys = mem_phys;
	m->mem_len = mem_len;
	m->gctl = HDA_GCTL_CRST; /* firmware left it running */
}

static void respond(struct hm_ctrl *m, uint32_t cad, uint32_t r, bool unsol)
{
	if (!(m->rirbctl & HDA_RIRBCTL_DMA))
		return;
	uint32_t wp = (m->rirbwp + 1) & 0xff;
	uint8_t *e = dma(
		m, ((uint64_t)m->rirb_ubase << 32 | m->rirb_lbase) + 8 * wp, 8);
	if (!e) {
		m->bad_access++;
		return;
	}
	st32(e, r);
	st32(e + 4, cad | (unsol ? HDA_RESPEX_UNSOL : 0));
	m->rirbwp = (uint16_t)wp;
	if (++m->rirb_count == m->rintcnt || m->corbrp == m->corbwp)
		if (m->rirbctl & HDA_RIRBCTL_INT)
			m->rirbsts |= HDA_RIRBSTS_INT;
}

static void corb_run(struct hm_ctrl *m)
{
	while ((m->corbctl & HDA_CORBCTL_RUN) && m->corbrp != m->corbwp &&
	       m->rirb_count != m->rintcnt) {
		uint32_t rp = (m->corbrp + 1) & 0xff;
		uint8_t *e =
			dma(m,
			    ((uint64_t)m->corb_ubase << 32 | m->corb_lbase) +
				    4 * rp,
			    4);
		if (!e) {
			m->bad_access++;
			return;
		}
		uint32_t v = ld32(e);
		m->corbrp = (uint16_t)rp;
		uint32_t cad = v >> 28;
		struct hm_codec *c = cad < 15 ? m->codec[cad] : NULL;
		if (!c || c->silent)
			continue;
		for (uint32_t i = 0; i < m->unsol_before; i++)
			respond(m, cad, 0xdead0000u | i, true);
		respond(m, cad, hm_codec_verb(c, (v >> 20) & 0x7f, v & 0xfffff),
			false);
	}
}

uint32_t hm_intsts(const struct hm_ctrl *m)
{
	uint32_t s = 0;
	if (m->rirbsts & (HDA_RIRBSTS_INT | HDA_RIRBSTS_OVR))
		s |= HDA_INTCTL_CIE;
	for (int i = 0; i < 8; i++) /* STS bits 2-4 pair with CTL bits 2-4 */
		if (m->sd[i].sts & m->sd[i].ctl & HDA_SD_STS_ALL)
			s |= 1u << i;
	if ((s & m->intctl & ~HDA_INTCTL_GIE) && (m->intctl & HDA_INTCTL_GIE))
		s |= HDA_INTSTS_GIS;
	return s;
}

static uint32_t rd(void *ctx, uint32_t off, uint32_t w)
{
	struct hm_ctrl *m = ctx;
	if (off >= 0x80 && off < 0x180) {
		struct hm_sd *s = &m->sd[(off - 0x80) / 0x20];
		switch ((off - 0x80) % 0x20) {
		case HDA_SD_CTL:
			return w == 4 ? s->ctl | (uint32_t)s->sts << 24
				      : s->ctl & (w == 1 ? 0xff : 0xffff);
		case HDA_SD_STS:
			return s->sts;
		case HDA_SD_LPIB:
			return s->lpib;
		case HDA_SD_CBL:
			return s->cbl;
		case HDA_SD_LVI:
			return s->lvi;
		case HDA_SD_FMT:
			return s->fmt;
		case HDA_SD_BDPL:
			return s->bdpl;
		case HDA_SD_BDPU:
			return s->bdpu;
		}
		m->bad_access++;
		return 0;
	}
	switch (off) {
	case HDA_GCAP:
		return m->gcap;
	case HDA_GCTL:
		return m->gctl;
	case HDA_STATESTS:
		return m->statests;
	case HDA_INTCTL:
		return m->intctl;
	case HDA_INTSTS:
		return hm_intsts(m);
	case HDA_CORBWP:
		return m->corbwp;
	case HDA_CORBRP:
		return m->corbrp;
	case HDA_CORBCTL:
		return m->corbctl;
	case HDA_CORBSIZE:
		return m->corbsize;
	case HDA_RIRBWP:
		return m->rirbwp;
	case HDA_RIRBCTL:
		return m->rirbctl;
	case HDA_RIRBSTS:
		return m->rirbsts;
	case HDA_RIRBSIZE:
		return m->rirbsize;
	case HDA_DPLBASE:
		return m->dplbase;
	}
	m->bad_access++;
	return 0;
}

static void sd_write(struct hm_ctrl *m, int i, uint32_t reg, uint32_t w,
		     uint32_t v)
{
	struct hm_sd *s = &m->sd[i];
	switch (reg) {
	case HDA_SD_CTL: {
		if (w != 4) {
			m->bad_access++;
			return;
		}
		uint32_t old = s->ctl;
		s->ctl = v & 0xffffff;
		s->sts &= (uint8_t) ~(v >> 24); /* write 1 to clear */
		if (s->ctl & HDA_SD_CTL_SRST) {
			uint32_t keep =
				m->srst_reads_back ? HDA_SD_CTL_SRST : 0;
			/* QEMU tells the codecs "stopped" for the tag
			 * the cleared register holds: 0, not the real one */
			if (old & HDA_SD_CTL_RUN)
				m->codec_running &= (uint16_t)~1u;
			memset(s, 0, sizeof(*s));
			s->ctl = keep;
			return;
		}
		uint32_t tag = (s->ctl >> 20) & 0xf;
		if ((s->ctl & HDA_SD_CTL_RUN) && !(old & HDA_SD_CTL_RUN)) {
			s->lpib = s->be = s->bp = 0;
			s->ran = true;
			m->codec_running |= (uint16_t)(1u << tag);
		}
		if (!(s->ctl & HDA_SD_CTL_RUN) && (old & HDA_SD_CTL_RUN))
			m->codec_running &= (uint16_t) ~(1u << tag);
		return;
	}
	case HDA_SD_STS:
		s->sts &= (uint8_t)~v;
		return;
	case HDA_SD_CBL:
		s->cbl = v;
		return;
	case HDA_SD_LVI:
		s->lvi = (uint16_t)(v & 0xff);
		return;
	case HDA_SD_FMT:
		s->fmt = (uint16_t)v;
		return;
	case HDA_SD_BDPL:
		s->bdpl = v & ~0x7fu;
		return;
	case HDA_SD_BDPU:
		s->bdpu = v;
		return;
	}
	m->bad_access++;
}

static void wr(void *ctx, uint32_t off, uint32_t w, uint32_t v)
{
	struct hm_ctrl *m = ctx;
	if (off >= 0x80 && off < 0x180) {
		sd_write(m, (int)(off - 0x80) / 0x20, (off - 0x80) % 0x20, w,
			 v);
		return;
	}
	switch (off) {
	case HDA_GCTL:
		if (!(v & HDA_GCTL_CRST)) {
			reset_regs(m);
			return;
		}
		if (m->crst_stuck)
			return;
		if (!(m->gctl & HDA_GCTL_CRST))
			for (int i = 0; i < 15; i++)
				if (m->codec[i])
					m->statests |= (uint16_t)(1u << i);
		m->gctl = v & 0x103;
		return;
	case HDA_STATESTS:
		m->statests &= (uint16_t)~v;
		return;
	case HDA_INTCTL:
		m->intctl = v;
		return;
	case HDA_CORBLBASE:
		m->corb_lbase = v & ~0x7fu;
		return;
	case HDA_CORBUBASE:
		m->corb_ubase = v;
		return;
	case HDA_CORBWP:
		m->corbwp = (uint16_t)(v & 0xff);
		corb_run(m);
		return;
	case HDA_CORBRP:
		if (v & HDA_CORBRP_RST)
			m->corbrp = 0;
		return;
	case HDA_CORBCTL:
		m->corbctl = (uint8_t)v;
		corb_run(m);
		return;
	case HDA_CORBSIZE:
	case HDA_RIRBSIZE:
		return; /* one size only, like QEMU */
	case HDA_RIRBLBASE:
		m->rirb_lbase = v & ~0x7fu;
		return;
	case HDA_RIRBUBASE:
		m->rirb_ubase = v;
		return;
	case HDA_RIRBWP:
		if (v & HDA_RIRBWP_RST)
			m->rirbwp = 0;
		return;
	case HDA_RINTCNT:
		m->rintcnt = (uint16_t)(v & 0xff);
		return;
	case HDA_RIRBCTL:
		m->rirbctl = (uint8_t)v;
		return;
	case HDA_RIRBSTS: {
		bool was = m->rirbsts & HDA_RIRBSTS_INT;
		m->rirbsts &= (uint8_t)~v;
		if (was && !(m->rirbsts & HDA_RIRBSTS_INT)) {
			m->rirb_count = 0;
			corb_run(m);
		}
		return;
	}
	case HDA_DPLBASE:
		m->dplbase = v;
		return;
	case HDA_DPUBASE:
		m->dpubase = v;
		return;
	}
	m->bad_access++;
}

static uint64_t now(void *ctx)
{
	return ((struct hm_ctrl *)ctx)->now;
}

static void pause_us(void *ctx, uint32_t us)
{
	((struct hm_ctrl *)ctx)->now += (uint64_t)us * 1000;
}

void hm_ctrl_io(struct hm_ctrl *m, struct hda_io *io)
{
	io->rd = rd;
	io->wr = wr;
	io->now_ns = now;
	io->pause_us = pause_us;
	io->ctx = m;
}

size_t hm_play(struct hm_ctrl *m, size_t bytes)
{
	int i = (int)HDA_GCAP_ISS(m->gcap); /* first output engine */
	struct hm_sd *s = &m->sd[i];
	size_t moved = 0;
	while (moved < bytes && (s->ctl & HDA_SD_CTL_RUN) &&
	       !(s->sts & HDA_SD_STS_BCIS)) {
		uint64_t bdl = (uint64_t)s->bdpu << 32 | s->bdpl;
		uint8_t *e = dma(m, bdl + 16 * s->be, 16);
		if (!e) {
			s->sts |= HDA_SD_STS_DESE;
			break;
		}
		uint64_t addr = (uint64_t)ld32(e + 4) << 32 | ld32(e);
		uint32_t len = ld32(e + 8), fl = ld32(e + 12);
		uint32_t n = len - s->bp;
		if (n > bytes - moved)
			n = (uint32_t)(bytes - moved);
		uint8_t *src = dma(m, addr + s->bp, n);
		if (!src || !len) {
			s->sts |= HDA_SD_STS_DESE;
			break;
		}
		if (m->out_len + n > m->out_cap) {
			m->out_cap = (m->out_len + n) * 2;
			m->out = realloc(m->out, m->out_cap);
		}
		memcpy(m->out + m->out_len, src, n);
		m->out_len += n;
		moved += n;
		s->bp += n;
		s->lpib += n;
		if (s->bp == len) {
			s->bp = 0;
			if (fl & HDA_BDL_IOC)
				s->sts |= HDA_SD_STS_BCIS;
			if (++s->be > s->lvi) {
				s->be = 0;
				s->lpib = 0;
			}
		}
		if (m->dplbase & 1) {
			uint8_t *p = dma(m,
					 ((uint64_t)m->dpubase << 32 |
					  (m->dplbase & ~0x7fu)) +
						 8 * (uint32_t)i,
					 4);
			if (p)
				st32(p, s->lpib);
		}
	}
	return moved;
}
