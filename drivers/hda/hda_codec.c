/* HDA codec walk, output path search, path and stream verbs, format
 * words (hda_codec.h). */
#include "hda_codec.h"

#include <string.h>

#include <execrt/audio_proto.h>
#include <execrt/errors.h>

#include "hda_regs.h"

static int cmd(struct hda_codec *c, hda_verb_fn fn, void *ctx, uint32_t nid,
	       uint32_t verb, uint32_t payload, uint32_t *resp)
{
	c->verbs++;
	int r = fn(ctx, hda_verb(c->cad, nid, verb, payload), resp);
	if (r < 0)
		c->errors++;
	return r;
}

static int param(struct hda_codec *c, hda_verb_fn fn, void *ctx, uint32_t nid,
		 uint32_t id, uint32_t *resp)
{
	return cmd(c, fn, ctx, nid, HDA_V_GET_PARAM, id, resp);
}

int hda_conn_list(hda_verb_fn fn, void *ctx, uint8_t cad, uint8_t nid,
		  uint32_t lenparam, uint8_t out[HDA_CONN_MAX], bool *truncated)
{
	bool lng = lenparam & 0x80;
	uint32_t len = lenparam & 0x7f;
	uint32_t per = lng ? 2 : 4, bits = lng ? 16 : 8;
	uint32_t range = 1u << (bits - 1), mask = range - 1;
	uint32_t n = 0, prev = 0;
	*truncated = false;
	for (uint32_t i = 0; i < len; i += per) {
		uint32_t r;
		int e = fn(ctx, hda_verb(cad, nid, HDA_V_GET_CONN_LIST, i), &r);
		if (e < 0)
			return e;
		for (uint32_t k = 0; k < per && i + k < len; k++) {
			uint32_t ent = (r >> (k * bits)) & ((1u << bits) - 1);
			uint32_t v = ent & mask;
			uint32_t lo = v;
			/* A range entry adds prev+1..v; one with no entry
			 * before it, or going backwards, is malformed and
			 * only v itself is taken. */
			if ((ent & range) && prev && prev < v)
				lo = prev + 1;
			for (uint32_t x = lo; x <= v; x++) {
				if (x == 0 || x >= HDA_NID_MAX)
					continue; /* not a widget we can name */
				if (n == HDA_CONN_MAX) {
					*truncated = true;
					break;
				}
				out[n++] = (uint8_t)x;
			}
			prev = v;
		}
	}
	return (int)n;
}

static void read_widget(struct hda_codec *c, hda_verb_fn fn, void *ctx,
			uint32_t nid, uint32_t afg_amp_in, uint32_t afg_amp_out,
			uint32_t afg_pcm, uint32_t afg_stream)
{
	struct hda_widget *w = &c->w[nid];
	uint32_t v;
	memset(w, 0, sizeof(*w));
	if (param(c, fn, ctx, nid, HDA_P_WCAP, &v) < 0)
		return;
	w->present = true;
	w->caps = v;
	w->type = (uint8_t)HDA_WCAP_TYPE(v);
	w->amp_in = afg_amp_in;
	w->amp_out = afg_amp_out;
	if ((v & HDA_WCAP_AMP_OVRD) &&
	    param(c, fn, ctx, nid, HDA_P_AMP_IN, &w->amp_in) == 0)
		param(c, fn, ctx, nid, HDA_P_AMP_OUT, &w->amp_out);
	w->pcm = afg_pcm;
	w->stream = afg_stream;
	if ((w->type == HDA_W_OUT || w->type == HDA_W_IN) &&
	    (v & HDA_WCAP_FMT_OVRD) &&
	    param(c, fn, ctx, nid, HDA_P_PCM, &w->pcm) == 0)
		param(c, fn, ctx, nid, HDA_P_STREAM, &w->stream);
	if (w->type == HDA_W_PIN) {
		param(c, fn, ctx, nid, HDA_P_PIN_CAP, &w->pincap);
		cmd(c, fn, ctx, nid, HDA_V_GET_CONFIG_DEF, 0, &w->config);
	}
	if (v & HDA_WCAP_CONN) {
		uint32_t len;
		if (param(c, fn, ctx, nid, HDA_P_CONN_LEN, &len) == 0) {
			int n = hda_conn_list(fn, ctx, c->cad, (uint8_t)nid,
					      len, w->conn, &w->conn_truncated);
			w->nconn = n > 0 ? (uint8_t)n : 0;
		}
	}
}

/* start << 16 | count, clamped to NIDs 1..127. false if empty. */
static bool node_range(uint32_t v, uint32_t *first, uint32_t *last)
{
	uint32_t s = (v >> 16) & 0xff, n = v & 0xff;
	if (s == 0)
		s = 1;
	if (n == 0 || s >= HDA_NID_MAX)
		return false;
	uint32_t e = s + n - 1;
	*first = s;
	*last = e >= HDA_NID_MAX ? HDA_NID_MAX - 1 : e;
	return true;
}

int hda_codec_probe(struct hda_codec *c, uint8_t cad, hda_verb_fn fn, void *ctx)
{
	memset(c, 0, sizeof(*c));
	c->cad = cad;
	uint32_t v, s, e;
	int r = param(c, fn, ctx, 0, HDA_P_VENDOR, &c->vendor);
	if (r < 0)
		return r;
	param(c, fn, ctx, 0, HDA_P_REV, &c->revision);
	if ((r = param(c, fn, ctx, 0, HDA_P_NODES, &v)) < 0)
		return r;
	if (!node_range(v, &s, &e))
		return ERR_NOT_FOUND;
	for (uint32_t fg = s; fg <= e && !c->afg; fg++) {
		uint32_t t;
		if (param(c, fn, ctx, fg, HDA_P_FG_TYPE, &t) == 0 &&
		    (t & 0xff) == HDA_FG_AUDIO)
			c->afg = (uint8_t)fg;
	}
	if (!c->afg)
		return ERR_NOT_FOUND;
	/* Function group defaults, used by widgets without overrides. */
	uint32_t amp_in = 0, amp_out = 0, pcm = 0, stream = 0;
	param(c, fn, ctx, c->afg, HDA_P_AMP_IN, &amp_in);
	param(c, fn, ctx, c->afg, HDA_P_AMP_OUT, &amp_out);
	param(c, fn, ctx, c->afg, HDA_P_PCM, &pcm);
	param(c, fn, ctx, c->afg, HDA_P_STREAM, &stream);
	if ((r = param(c, fn, ctx, c->afg, HDA_P_NODES, &v)) < 0)
		return r;
	if (!node_range(v, &s, &e))
		return ERR_NOT_FOUND;
	c->first = (uint8_t)s;
	c->last = (uint8_t)e;
	for (uint32_t nid = s; nid <= e; nid++)
		read_widget(c, fn, ctx, nid, amp_in, amp_out, pcm, stream);
	return 0;
}

static bool dac_usable(const struct hda_widget *w)
{
	return w->present && w->type == HDA_W_OUT &&
	       !(w->caps & HDA_WCAP_DIGITAL) && (w->pcm & HDA_PCM_16BIT) &&
	       (w->pcm & hda_pcm_rate_bit(48000)) &&
	       (!w->stream || (w->stream & HDA_STREAM_PCM));
}

static int dev_rank(uint32_t dev)
{
	switch (dev) {
	case HDA_DEV_LINE_OUT:
		return 0;
	case HDA_DEV_SPEAKER:
		return 1;
	case HDA_DEV_HP_OUT:
		return 2;
	default:
		return -1;
	}
}

/* Breadth-first from the pin through connection lists: the shortest
 * path to a usable DAC. Only mixers and selectors are passed through. */
static bool path_from(const struct hda_codec *c, uint8_t pin,
		      struct hda_path *p)
{
	uint8_t from[HDA_NID_MAX] = {0}, idx[HDA_NID_MAX] = {0};
	uint8_t depth[HDA_NID_MAX] = {0};
	uint8_t q[HDA_NID_MAX];
	bool seen[HDA_NID_MAX] = {false};
	uint32_t head = 0, tail = 0;
	q[tail++] = pin;
	seen[pin] = true;
	depth[pin] = 1;
	while (head < tail) {
		uint8_t u = q[head++];
		const struct hda_widget *w = &c->w[u];
		if (u != pin && dac_usable(w)) {
			uint32_t n = depth[u];
			uint8_t x = u;
			p->n = (uint8_t)n;
			for (uint32_t i = n; i-- > 0;) {
				p->nid[i] = x;
				if (i > 0) {
					p->sel[i - 1] = idx[x];
					x = from[x];
				}
			}
			p->sel[n - 1] = 0;
			return true;
		}
		if (u != pin && w->type != HDA_W_MIXER &&
		    w->type != HDA_W_SELECTOR)
			continue;
		if (depth[u] >= HDA_PATH_MAX)
			continue;
		for (uint32_t k = 0; k < w->nconn; k++) {
			uint8_t v = w->conn[k];
			if (v < c->first || v > c->last || seen[v] ||
			    !c->w[v].present)
				continue;
			seen[v] = true;
			from[v] = u;
			idx[v] = (uint8_t)k;
			depth[v] = (uint8_t)(depth[u] + 1);
			q[tail++] = v;
		}
	}
	return false;
}

int hda_find_output(const struct hda_codec *c, struct hda_path *p)
{
	int best_key = -1;
	for (uint32_t nid = c->first; c->afg && nid <= c->last; nid++) {
		const struct hda_widget *w = &c->w[nid];
		if (!w->present || w->type != HDA_W_PIN ||
		    !(w->pincap & HDA_PINCAP_OUT) ||
		    HDA_CFG_PORT(w->config) == HDA_PORT_NONE)
			continue;
		int rank = dev_rank(HDA_CFG_DEVICE(w->config));
		if (rank < 0)
			continue;
		int key = rank << 8 | (int)HDA_CFG_ASSOC(w->config) << 4 |
			  (int)HDA_CFG_SEQ(w->config);
		struct hda_path t;
		if (best_key >= 0 && key >= best_key)
			continue; /* NIDs ascend: equal keys keep the first */
		if (!path_from(c, (uint8_t)nid, &t))
			continue;
		best_key = key;
		*p = t;
	}
	return best_key < 0 ? ERR_NOT_FOUND : 0;
}

/* Gain at 0 dB (the amplifier's offset step), capped to its steps. */
static uint32_t zero_db(uint32_t ampcap)
{
	uint32_t off = HDA_AMPCAP_OFFSET(ampcap);
	uint32_t steps = HDA_AMPCAP_STEPS(ampcap);
	return off > steps ? steps : off;
}

#define PUT(x)                                                                 \
	do {                                                                   \
		if (n == cap)                                                  \
			return ERR_BUFFER_TOO_SMALL;                           \
		v[n++] = (x);                                                  \
	} while (0)

int hda_path_verbs(const struct hda_codec *c, const struct hda_path *p,
		   uint32_t *v, uint32_t cap)
{
	uint32_t n = 0, cad = c->cad;
	if (p->n < 2 || p->n > HDA_PATH_MAX)
		return ERR_INVALID_ARGS;
	PUT(hda_verb(cad, c->afg, HDA_V_SET_POWER, 0));
	for (uint32_t i = p->n; i-- > 0;) { /* DAC first, pin last */
		uint8_t nid = p->nid[i];
		const struct hda_widget *w = &c->w[nid];
		if (w->caps & HDA_WCAP_POWER)
			PUT(hda_verb(cad, nid, HDA_V_SET_POWER, 0));
		bool last = i == p->n - 1u;
		if (!last && w->type != HDA_W_MIXER && w->nconn > 1)
			PUT(hda_verb(cad, nid, HDA_V_SET_CONN_SEL, p->sel[i]));
		if (!last && w->type == HDA_W_MIXER &&
		    (w->caps & HDA_WCAP_IN_AMP)) {
			uint32_t g = zero_db(w->amp_in);
			for (uint32_t k = 0; k < w->nconn && k < 16; k++) {
				uint32_t pl = HDA_AMP_SET_IN |
					      HDA_AMP_SET_LEFT |
					      HDA_AMP_SET_RIGHT |
					      HDA_AMP_SET_INDEX(k);
				pl |= k == p->sel[i] ? g : HDA_AMP_MUTE;
				PUT(hda_verb4(cad, nid, HDA_V4_SET_AMP, pl));
			}
		} else if (!last && (w->caps & HDA_WCAP_IN_AMP)) {
			/* A selector's or pin's input amp: only the index
			 * selected matters (index 0 on most). */
			PUT(hda_verb4(cad, nid, HDA_V4_SET_AMP,
				      HDA_AMP_SET_IN | HDA_AMP_SET_LEFT |
					      HDA_AMP_SET_RIGHT |
					      HDA_AMP_SET_INDEX(p->sel[i]) |
					      zero_db(w->amp_in)));
		}
		if (w->caps & HDA_WCAP_OUT_AMP)
			PUT(hda_verb4(cad, nid, HDA_V4_SET_AMP,
				      HDA_AMP_SET_OUT | HDA_AMP_SET_LEFT |
					      HDA_AMP_SET_RIGHT |
					      zero_db(w->amp_out)));
	}
	const struct hda_widget *pin = &c->w[p->nid[0]];
	uint32_t ctl = HDA_PINCTL_OUT;
	if (HDA_CFG_DEVICE(pin->config) == HDA_DEV_HP_OUT &&
	    (pin->pincap & HDA_PINCAP_HP))
		ctl |= HDA_PINCTL_HP;
	PUT(hda_verb(cad, p->nid[0], HDA_V_SET_PIN_CTL, ctl));
	if (pin->pincap & HDA_PINCAP_EAPD)
		PUT(hda_verb(cad, p->nid[0], HDA_V_SET_EAPD, HDA_EAPD_ENABLE));
	return (int)n;
}

int hda_stream_verbs(const struct hda_codec *c, const struct hda_path *p,
		     uint32_t tag, uint16_t fmt, uint32_t *v)
{
	uint8_t dac = p->nid[p->n - 1];
	v[0] = hda_verb(c->cad, dac, HDA_V_SET_CONV, (tag & 0xf) << 4);
	v[1] = hda_verb4(c->cad, dac, HDA_V4_SET_FMT, fmt);
	return 2;
}

/* rate = base * mult / div, base 48000 or 44100. */
static const struct {
	uint32_t rate, base44, mult, div, pcm_bit, audio_bit;
} rates[] = {
	{8000, 0, 1, 6, 1u << 0, AUDIO_RATE_8000},
	{11025, 1, 1, 4, 1u << 1, AUDIO_RATE_11025},
	{16000, 0, 1, 3, 1u << 2, AUDIO_RATE_16000},
	{22050, 1, 1, 2, 1u << 3, AUDIO_RATE_22050},
	{32000, 0, 2, 3, 1u << 4, AUDIO_RATE_32000},
	{44100, 1, 1, 1, 1u << 5, AUDIO_RATE_44100},
	{48000, 0, 1, 1, 1u << 6, AUDIO_RATE_48000},
	{88200, 1, 2, 1, 1u << 7, 0},
	{96000, 0, 2, 1, 1u << 8, AUDIO_RATE_96000},
	{176400, 1, 4, 1, 1u << 9, 0},
	{192000, 0, 4, 1, 1u << 10, 0},
};
#define NRATES (sizeof(rates) / sizeof(rates[0]))

int hda_fmt_word(uint32_t rate, uint32_t bits, uint32_t channels, uint16_t *out)
{
	uint32_t b;
	switch (bits) {
	case 8:
		b = 0;
		break;
	case 16:
		b = 1;
		break;
	case 20:
		b = 2;
		break;
	case 24:
		b = 3;
		break;
	case 32:
		b = 4;
		break;
	default:
		return ERR_NOT_SUPPORTED;
	}
	if (channels < 1 || channels > 16)
		return ERR_NOT_SUPPORTED;
	for (uint32_t i = 0; i < NRATES; i++) {
		if (rates[i].rate != rate)
			continue;
		*out = (uint16_t)(rates[i].base44 << 14 |
				  (rates[i].mult - 1) << 11 |
				  (rates[i].div - 1) << 8 | b << 4 |
				  (channels - 1));
		return 0;
	}
	return ERR_NOT_SUPPORTED;
}

uint32_t hda_fmt_rate(uint16_t fmt)
{
	if (fmt & 0x8000)
		return 0;
	uint32_t base = (fmt & 0x4000) ? 44100 : 48000;
	uint32_t mult = ((fmt >> 11) & 7) + 1, div = ((fmt >> 8) & 7) + 1;
	if (mult > 4)
		return 0; /* reserved */
	return base * mult / div;
}

uint32_t hda_pcm_to_audio_rates(uint32_t pcm)
{
	uint32_t r = 0;
	for (uint32_t i = 0; i < NRATES; i++)
		if (pcm & rates[i].pcm_bit)
			r |= rates[i].audio_bit;
	return r;
}

uint32_t hda_pcm_rate_bit(uint32_t rate)
{
	for (uint32_t i = 0; i < NRATES; i++)
		if (rates[i].rate == rate)
			return rates[i].pcm_bit;
	return 0;
}
