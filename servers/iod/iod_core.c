/* iod's device list, driver supervision and device requests
 * (iod_core.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <execrt/errors.h>

#include "iod_core.h"

/* One line into iod's log (plat.log). */
__attribute__((format(printf, 2, 3))) static void logf_(struct iod *s,
							const char *fmt, ...)
{
	char line[160];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (s->plat.log)
		s->plat.log(s->plat.ctx, line);
}

void iod_bdf_str(uint16_t bdf, char *out, size_t cap)
{
	snprintf(out, cap, "%02x:%02x.%x", PCI_BUS(bdf), PCI_DEV(bdf),
		 PCI_FN(bdf));
}

void iod_init(struct iod *s, const struct iod_plat *plat)
{
	memset(s, 0, sizeof(*s));
	s->plat = *plat;
	s->next_badge = 1;
	s->prt_status = AML_NO_PRT;
}

/* The bridge whose secondary bus is bus, or NULL. */
static const struct pci_dev *parent_of(const struct pci_dev *all, int n,
				       uint8_t bus)
{
	for (int i = 0; i < n; i++)
		if (all[i].header_type == 1 && all[i].secondary == bus)
			return &all[i];
	return NULL;
}

/* The legacy line of d: the root bus's _PRT (after the standard bridge
 * swizzle, pin + device number, for each bridge on the way up), else the
 * interrupt-line register through the ISA map. */
static uint32_t route(struct iod_dev *dv, const struct pci_dev *all, int n,
		      const struct prt *prt, int prt_status,
		      const struct iod_boot *b)
{
	const struct pci_dev *d = &dv->pci;
	if (!d->intx_pin)
		return IOD_GSI_NONE;
	if (prt_status == AML_OK) {
		uint16_t bdf = d->bdf;
		unsigned pin = d->intx_pin - 1u;
		for (int hops = 0; PCI_BUS(bdf) != 0 && hops < 16; hops++) {
			const struct pci_dev *br =
				parent_of(all, n, (uint8_t)PCI_BUS(bdf));
			if (!br)
				break;
			pin = (pin + PCI_DEV(bdf)) % 4;
			bdf = br->bdf;
		}
		uint32_t g = PCI_BUS(bdf) == 0
				     ? prt_lookup(prt, (uint8_t)PCI_DEV(bdf),
						  (uint8_t)pin)
				     : PRT_GSI_NONE;
		if (g != PRT_GSI_NONE) {
			dv->irq_via = IOD_VIA_PRT;
			return g;
		}
	}
	if (d->intx_line >= 1 && d->intx_line < 16) {
		dv->irq_via = IOD_VIA_LINE;
		return b->isa_gsi[d->intx_line];
	}
	return IOD_GSI_NONE;
}

static struct iod_dev *new_dev(struct iod *s, uint32_t kind, const char *name)
{
	if (s->n >= IOD_DEV_MAX)
		return NULL;
	struct iod_dev *d = &s->dev[s->n++];
	memset(d, 0, sizeof(*d));
	d->info.kind = kind;
	snprintf(d->info.name, sizeof(d->info.name), "%s", name);
	d->info.legacy_gsi = d->info.legacy_gsi2 = IOD_GSI_NONE;
	return d;
}

static void set_driver(struct iod *s, struct iod_dev *d,
		       const struct drv_entry *e)
{
	d->drv = e;
	if (!e) {
		d->state = IOD_ST_NONE;
		return;
	}
	snprintf(d->info.driver, sizeof(d->info.driver), "%s", e->program);
	d->info.dma_budget = e->dma;
	for (int i = 0; i < 6; i++)
		d->info.bar_wc[i] = (e->bar_wc >> i) & 1;
	if (s->plat.have_program &&
	    !s->plat.have_program(s->plat.ctx, e->program)) {
		d->state = IOD_ST_MISSING;
		logf_(s, "%s: driver %s not in /boot/bin: skipped",
		      d->info.name, e->program);
		return;
	}
	d->state = IOD_ST_WAITING;
	d->dirty = true;
}

/* The BARs and I/O ranges of info from the scan (once sized). */
static void fill_bars(struct iod_dev *d)
{
	const struct pci_dev *p = &d->pci;
	struct iod_dev_info *in = &d->info;
	int nio = 0;
	memset(in->bar, 0, sizeof(in->bar));
	memset(in->io, 0, sizeof(in->io));
	for (int i = 0; i < 6; i++) {
		in->bar[i].base = p->bar[i].base;
		in->bar[i].size = p->bar[i].size;
		in->bar[i].flags = p->bar[i].flags; /* same bits as IOD_BAR_ */
		if ((p->bar[i].flags & PCI_BAR_IO) && nio < IOD_IO_RANGES &&
		    p->bar[i].size <= 0x10000) {
			in->io[nio].base = (uint16_t)p->bar[i].base;
			in->io[nio++].size = (uint16_t)p->bar[i].size;
		}
	}
}

void iod_sized(struct iod *s, struct iod_dev *d)
{
	if (d->info.kind != IOD_KIND_PCI || d->pci.sized)
		return;
	if (s->plat.size)
		s->plat.size(s->plat.ctx, d);
	fill_bars(d);
}

static void add_pci(struct iod *s, const struct pci_dev *all, int n, int k,
		    const struct prt *prt, int prt_status,
		    const struct iod_boot *b)
{
	const struct pci_dev *p = &all[k];
	char name[IOD_NAME_MAX], bdf[16];
	iod_bdf_str(p->bdf, bdf, sizeof(bdf));
	snprintf(name, sizeof(name), "pci-%s", bdf);
	struct iod_dev *d = new_dev(s, IOD_KIND_PCI, name);
	if (!d)
		return;
	struct iod_dev_info *in = &d->info;
	d->pci = *p;
	in->bdf = p->bdf;
	in->vendor = p->vendor;
	in->device = p->device;
	in->subsys_vendor = p->subsys_vendor;
	in->subsys_device = p->subsys_device;
	in->class_code = p->class_code;
	in->subclass = p->subclass;
	in->progif = p->progif;
	in->revision = p->revision;
	in->header_type = p->header_type;
	in->intx_pin = p->intx_pin;
	in->pcie_cap = p->pcie_cap;
	fill_bars(d);
	if (p->msix_cap) {
		in->irq_flags |= IOD_IRQ_MSIX;
		in->msix_cap = p->msix_cap;
		in->msix_count = p->msix_count;
		in->msix_table_bar = p->msix_table_bar;
		in->msix_table_off = p->msix_table_off;
		in->msix_pba_bar = p->msix_pba_bar;
		in->msix_pba_off = p->msix_pba_off;
	}
	if (p->msi_cap) {
		in->irq_flags |= IOD_IRQ_MSI | (p->msi64 ? IOD_IRQ_MSI64 : 0);
		in->msi_cap = p->msi_cap;
		in->msi_count = p->msi_count;
	}
	in->ncaps = p->ncaps;
	for (int i = 0; i < p->ncaps && i < IOD_CAPS_MAX; i++)
		in->caps[i] = (struct iod_cap){.id = p->caps[i].id,
					       .off = p->caps[i].off,
					       .len = p->caps[i].len,
					       .arg = p->caps[i].arg};
	in->legacy_gsi = route(d, all, n, prt, prt_status, b);
	if (in->legacy_gsi != IOD_GSI_NONE)
		in->irq_flags |= IOD_IRQ_LEGACY;
	set_driver(s, d, drv_match_pci(p));
}

void iod_build(struct iod *s, const struct pci_dev *pci, int n,
	       const struct prt *prt, int prt_status, const struct iod_boot *b)
{
	s->prt_status = prt_status;
	s->prt_entries = prt_status == AML_OK ? prt->n : 0;
	bool display = false;
	for (int k = 0; k < n; k++) {
		add_pci(s, pci, n, k, prt, prt_status, b);
		const struct iod_dev *d = &s->dev[s->n - 1];
		display |=
			d->drv && d->drv->display && d->state == IOD_ST_WAITING;
	}
	if (b->has_8042 != 0) { /* a PC has one unless the FADT says not */
		struct iod_dev *d = new_dev(s, IOD_KIND_ISA, "isa-i8042");
		if (d) {
			d->info.io[0].base = 0x60;
			d->info.io[0].size = 1;
			d->info.io[1].base = 0x64;
			d->info.io[1].size = 1;
			d->info.legacy_gsi = b->isa_gsi[1];
			d->info.legacy_gsi2 = b->isa_gsi[12];
			d->info.irq_flags = IOD_IRQ_LEGACY;
			d->irq_via = IOD_VIA_ISA;
			set_driver(s, d, drv_match_kind(IOD_KIND_ISA));
		}
	}
	if (b->has_fb && !display) {
		struct iod_dev *d = new_dev(s, IOD_KIND_FB, "fb0");
		if (d) {
			struct iod_dev_info *in = &d->info;
			in->fb_addr = b->fb_addr;
			in->fb_width = b->fb_width;
			in->fb_height = b->fb_height;
			in->fb_pitch = b->fb_pitch;
			in->fb_bpp = b->fb_bpp;
			in->fb_red_pos = b->fb_rgb[0];
			in->fb_red_size = b->fb_rgb[1];
			in->fb_green_pos = b->fb_rgb[2];
			in->fb_green_size = b->fb_rgb[3];
			in->fb_blue_pos = b->fb_rgb[4];
			in->fb_blue_size = b->fb_rgb[5];
			set_driver(s, d, drv_match_kind(IOD_KIND_FB));
		}
	}
}

static void start(struct iod *s, struct iod_dev *d, uint64_t now)
{
	if (d->dirty && s->plat.reset)
		s->plat.reset(s->plat.ctx, d);
	d->dirty = false;
	uint64_t badge = s->next_badge++;
	d->starts++;
	d->started_ns = now;
	long r = s->plat.start(s->plat.ctx, d, badge);
	if (r < 0) {
		logf_(s, "%s: %s did not start (error %ld)", d->info.name,
		      d->drv->program, r);
		d->badge = 0;
		d->task = 0;
		iod_exited(s, (int)(d - s->dev), r, now);
		return;
	}
	d->badge = badge;
	d->handles_given = false;
	d->bars_given = 0;
	d->state = IOD_ST_STARTING;
	if (d->starts > 1)
		d->restarts++;
}

uint64_t iod_tick(struct iod *s, uint64_t now)
{
	uint64_t next = IOD_NEVER;
	for (int i = 0; i < s->n; i++) {
		struct iod_dev *d = &s->dev[i];
		if ((d->state == IOD_ST_WAITING ||
		     d->state == IOD_ST_BACKOFF) &&
		    d->due_ns <= now)
			start(s, d, now);
		if (d->state == IOD_ST_STARTING) {
			uint64_t up = d->started_ns + IOD_STABLE_NS;
			if (up <= now)
				d->state = IOD_ST_RUNNING;
			else if (up < next)
				next = up;
		}
		if ((d->state == IOD_ST_WAITING ||
		     d->state == IOD_ST_BACKOFF) &&
		    d->due_ns < next)
			next = d->due_ns;
	}
	return next;
}

/* One more failed start of d: true when the last IOD_FAIL_MAX lie
 * within IOD_FAIL_WINDOW; d is then marked failed (one log line, nothing
 * due). */
static bool count_fail(struct iod *s, struct iod_dev *d, uint64_t now)
{
	d->fail_at[d->fail_next] = now;
	d->fail_next = (uint8_t)((d->fail_next + 1) % IOD_FAIL_MAX);
	if (d->nfails < IOD_FAIL_MAX)
		d->nfails++;
	/* The oldest of the last IOD_FAIL_MAX is at fail_next. */
	uint64_t first = d->fail_at[d->fail_next];
	if (d->nfails < IOD_FAIL_MAX || now - first > IOD_FAIL_WINDOW)
		return false;
	d->state = IOD_ST_FAILED;
	d->due_ns = IOD_NEVER;
	logf_(s,
	      "%s: driver %s failed %u starts in %llu ms (last status %lld); "
	      "marked failed, not started again until a restart",
	      d->info.name, d->drv ? d->drv->program : "?",
	      (unsigned)IOD_FAIL_MAX,
	      (unsigned long long)((now - first) / 1000000),
	      (long long)d->last_status);
	return true;
}

void iod_exited(struct iod *s, int i, int64_t status, uint64_t now)
{
	struct iod_dev *d = &s->dev[i];
	if (d->task && s->plat.reap)
		s->plat.reap(s->plat.ctx, d);
	d->task = 0;
	d->badge = 0; /* its endpoint's requests are refused from now */
	d->koid = 0;
	d->last_status = status;
	d->exited = true;
	s->deaths++;
	/* Its DMA and interrupts stop before anything else happens. */
	if (s->plat.reset)
		s->plat.reset(s->plat.ctx, d);
	d->dirty = false;
	bool stable = now - d->started_ns >= IOD_STABLE_NS;
	if (!stable && !d->restart_now && count_fail(s, d, now))
		return;
	if (d->restart_now) {
		d->delay_ns = 0;
	} else if (stable || !d->delay_ns) {
		d->delay_ns = IOD_BACKOFF_MIN;
	} else {
		d->delay_ns *= 2;
		if (d->delay_ns > IOD_BACKOFF_MAX)
			d->delay_ns = IOD_BACKOFF_MAX;
	}
	d->restart_now = false;
	d->state = IOD_ST_BACKOFF;
	d->due_ns = now + d->delay_ns;
	logf_(s,
	      "%s: driver %s exited (status %lld); device reset, restart "
	      "in %llu ms",
	      d->info.name, d->drv ? d->drv->program : "?", (long long)status,
	      (unsigned long long)(d->delay_ns / 1000000));
}

int iod_restart(struct iod *s, int i, uint64_t now)
{
	struct iod_dev *d = &s->dev[i];
	int64_t st = 0;
	switch (d->state) {
	case IOD_ST_STARTING:
	case IOD_ST_RUNNING:
		d->restart_now = true;
		/* Its end seen at once: reset and the new instance now, so
		 * every restart is one (20 in a row are 20). Else the death
		 * notice finishes it, without delay. */
		if (!s->plat.kill(s->plat.ctx, d, &st))
			return 0;
		iod_exited(s, i, st, now);
		start(s, d, now);
		return 0;
	case IOD_ST_FAILED:
		d->nfails = 0;
		d->delay_ns = 0;
		start(s, d, now);
		return 0;
	case IOD_ST_BACKOFF:
	case IOD_ST_WAITING:
		start(s, d, now);
		return 0;
	default:
		return -1;
	}
}

int iod_find_name(const struct iod *s, const char *name)
{
	for (int i = 0; i < s->n; i++)
		if (!strcmp(s->dev[i].info.name, name))
			return i;
	return -1;
}

int iod_find_badge(const struct iod *s, uint64_t badge)
{
	if (!badge)
		return -1;
	for (int i = 0; i < s->n; i++)
		if (s->dev[i].badge == badge)
			return i;
	return -1;
}

const char *iod_state_name(int st)
{
	static const char *const names[] = {"none",	"missing", "waiting",
					    "starting", "running", "backoff",
					    "failed"};
	return st >= 0 && st <= IOD_ST_FAILED ? names[st] : "?";
}

static long bar_request(struct iod *s, struct iod_dev *d,
			const struct iod_req *q, uint64_t *val, uint32_t *h)
{
	uint64_t base, size;
	if (q->b != 0 && q->b != 1) /* VMO_CACHE_UC, VMO_CACHE_WC */
		return ERR_INVALID_ARGS;
	if (d->info.kind == IOD_KIND_FB) {
		if (q->a != 0)
			return ERR_NOT_FOUND;
		base = d->info.fb_addr & ~0xfffull;
		size = (d->info.fb_addr & 0xfff) +
		       (uint64_t)d->info.fb_pitch * d->info.fb_height;
	} else if (d->info.kind == IOD_KIND_PCI) {
		if (q->a >= 6)
			return ERR_INVALID_ARGS;
		const struct iod_bar *b = &d->info.bar[q->a];
		if (!(b->flags & IOD_BAR_MEM) || !b->size || !b->base)
			return ERR_NOT_FOUND;
		base = b->base;
		size = b->size;
	} else {
		return ERR_NOT_FOUND;
	}
	size = (size + 0xfff) & ~0xfffull; /* small BARs: the whole page */
	if (d->bars_given & (1u << q->a))
		return ERR_BAD_STATE; /* the driver has it already */
	*val = base;
	long e = s->plat.bar(s->plat.ctx, d, base & ~0xfffull, size, q->b, h);
	if (e == 0)
		d->bars_given |= (uint8_t)(1u << q->a);
	return e;
}

void iod_request(struct iod *s, uint64_t badge, const void *msg, size_t len,
		 struct iod_resp *r, void *data, uint32_t *h, uint32_t *nh)
{
	struct iod_req q;
	memset(r, 0, sizeof(*r));
	*nh = 0;
	s->requests++;
	if (len != sizeof(q)) {
		r->err = ERR_INVALID_ARGS;
		return;
	}
	memcpy(&q, msg, sizeof(q));
	int i = iod_find_badge(s, badge);
	if (i < 0) { /* a stale driver, or not a driver's endpoint */
		s->denied++;
		r->err = ERR_ACCESS_DENIED;
		return;
	}
	struct iod_dev *d = &s->dev[i];
	long e = 0;
	iod_sized(s, d); /* a driver's device was sized at the scan */
	if (q.reserved) {
		e = ERR_INVALID_ARGS;
	} else if (q.op == IOD_NOP) {
		r->val = IOD_PROTO_VERSION;
	} else if (q.op == IOD_DEV_INFO) {
		memcpy(data, &d->info, sizeof(d->info));
		r->len = sizeof(d->info);
	} else if (q.op == IOD_DEV_HANDLES && d->handles_given) {
		e = ERR_BAD_STATE; /* a second DMA budget: REVIEW-14 F2 */
	} else if (q.op == IOD_DEV_HANDLES) {
		memset(h, 0, IOD_H_COUNT * sizeof(*h));
		e = s->plat.handles(s->plat.ctx, d, h);
		d->handles_given = e == 0;
		uint32_t all[IOD_H_COUNT];
		memcpy(all, h, sizeof(all));
		for (int k = 0; e == 0 && k < IOD_H_COUNT; k++)
			if (all[k]) { /* packed: no invalid handles sent */
				r->val |= 1ull << k;
				h[(*nh)++] = all[k];
			}
	} else if (q.op == IOD_DEV_BAR) {
		e = bar_request(s, d, &q, &r->val, h);
		if (e == 0)
			*nh = 1;
	} else {
		e = ERR_INVALID_ARGS;
	}
	r->err = (int32_t)e;
	if (e)
		r->val = 0;
}

/* One "key v v ..." line's numbers (decimal or 0x hex): how many. */
static int nums(const char *p, const char *end, uint64_t *v, int max)
{
	int n = 0;
	while (p < end && n < max) {
		while (p < end && *p == ' ')
			p++;
		if (p >= end)
			break;
		uint64_t x = 0;
		int base = 10;
		if (end - p > 2 && p[0] == '0' &&
		    (p[1] == 'x' || p[1] == 'X')) {
			base = 16;
			p += 2;
		}
		const char *st = p;
		for (; p < end && *p != ' '; p++) {
			int dg = *p >= '0' && *p <= '9'	  ? *p - '0'
				 : *p >= 'a' && *p <= 'f' ? *p - 'a' + 10
				 : *p >= 'A' && *p <= 'F' ? *p - 'A' + 10
							  : 99;
			if (dg >= base)
				return n;
			x = x * (uint64_t)base + (uint64_t)dg;
		}
		if (p == st)
			return n;
		v[n++] = x;
	}
	return n;
}

void iod_boot_parse(const char *text, size_t len, struct iod_boot *b)
{
	memset(b, 0, sizeof(*b));
	for (int i = 0; i < 16; i++)
		b->isa_gsi[i] = (uint32_t)i;
	static const uint8_t rgb[6] = {16, 8, 8, 8, 0, 8};
	memcpy(b->fb_rgb, rgb, 6);
	b->has_8042 = -1;
	const char *p = text, *end = text + len;
	while (p < end && *p) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		uint64_t v[6];
		size_t kl = 0;
		while (p + kl < le && p[kl] != ' ')
			kl++;
		if (kl == 7 && !memcmp(p, "isa_irq", 7) &&
		    nums(p + kl, le, v, 2) == 2 && v[0] < 16 && v[1] < 0x10000)
			b->isa_gsi[v[0]] = (uint32_t)v[1];
		else if (kl == 2 && !memcmp(p, "fb", 2) &&
			 nums(p + kl, le, v, 5) == 5 && v[1] && v[2] &&
			 v[3] >= v[1] && v[1] < 0x10000 && v[2] < 0x10000 &&
			 v[3] < 0x100000 && v[4] && v[4] <= 32) {
			b->has_fb = true;
			b->fb_addr = v[0];
			b->fb_width = (uint32_t)v[1];
			b->fb_height = (uint32_t)v[2];
			b->fb_pitch = (uint32_t)v[3];
			b->fb_bpp = (uint32_t)v[4];
		} else if (kl == 6 && !memcmp(p, "fb_rgb", 6) &&
			   nums(p + kl, le, v, 6) == 6) {
			for (int i = 0; i < 6; i++)
				b->fb_rgb[i] = (uint8_t)(v[i] & 63);
		}
		p = nl ? nl + 1 : end;
	}
}
