/* /svc/iod: ports/v0 JSON (docs/devices.md "/svc/iod"): ping, status,
 * list (paged), info, restart. */
#include <stdio.h>
#include <string.h>

#include <execrt/errors.h>

#include "iod_core.h"
#include "json.h"

#define LIST_PAGE 10 /* devices per `list` answer (fits 4 KiB) */

static void w_hex(struct json_w *w, const char *key, uint64_t v, int digits)
{
	char b[24];
	snprintf(b, sizeof(b), "%0*llx", digits, (unsigned long long)v);
	json_w_key(w, key);
	json_w_str(w, b);
}

static void w_uint(struct json_w *w, const char *key, uint64_t v)
{
	json_w_key(w, key);
	json_w_uint(w, v);
}

static void w_str(struct json_w *w, const char *key, const char *v)
{
	json_w_key(w, key);
	json_w_str(w, v);
}

static void w_common(struct json_w *w, const struct iod_dev *d)
{
	char bdf[16];
	w_str(w, "dev", d->info.name);
	if (d->info.kind == IOD_KIND_PCI) {
		iod_bdf_str(d->pci.bdf, bdf, sizeof(bdf));
		w_str(w, "bdf", bdf);
		w_hex(w, "vendor", d->info.vendor, 4);
		w_hex(w, "device", d->info.device, 4);
		w_hex(w, "class",
		      (uint64_t)d->info.class_code << 8 | d->info.subclass, 4);
		const char *cn =
			pci_class_name(d->info.class_code, d->info.subclass);
		w_str(w, "class_name", cn ? cn : "Device");
	} else {
		w_str(w, "kind", d->info.kind == IOD_KIND_ISA ? "isa" : "fb");
	}
	w_str(w, "driver", d->drv ? d->drv->program : "");
	w_str(w, "state", iod_state_name(d->state));
	w_uint(w, "restarts", d->restarts);
	w_uint(w, "task", d->koid);
}

static void list(struct iod *s, struct json_w *w, uint64_t from)
{
	json_w_key(w, "devices");
	json_w_arr(w);
	uint64_t i = from;
	for (; i < (uint64_t)s->n && i < from + LIST_PAGE; i++) {
		json_w_obj(w);
		w_common(w, &s->dev[i]);
		json_w_end(w);
	}
	json_w_end(w);
	json_w_key(w, "more");
	json_w_bool(w, i < (uint64_t)s->n);
	if (i < (uint64_t)s->n)
		w_uint(w, "next", i);
}

static const char *via_name(int via)
{
	static const char *const n[] = {"none", "acpi-prt", "interrupt-line",
					"isa"};
	return via >= 0 && via <= IOD_VIA_ISA ? n[via] : "?";
}

static void info(const struct iod_dev *d, struct json_w *w)
{
	const struct iod_dev_info *in = &d->info;
	w_common(w, d);
	json_w_key(w, "bars");
	json_w_arr(w);
	for (int i = 0; i < 6; i++) {
		const struct iod_bar *b = &in->bar[i];
		if (!b->size)
			continue;
		json_w_obj(w);
		w_uint(w, "bar", (uint64_t)i);
		w_hex(w, "base", b->base, 1);
		w_uint(w, "size", b->size);
		w_str(w, "type",
		      b->flags & IOD_BAR_IO   ? "io"
		      : b->flags & IOD_BAR_64 ? "mem64"
					      : "mem32");
		json_w_key(w, "prefetch");
		json_w_bool(w, (b->flags & IOD_BAR_PREFETCH) != 0);
		json_w_end(w);
	}
	json_w_end(w);
	json_w_key(w, "caps");
	json_w_arr(w);
	for (int i = 0; i < in->ncaps && i < IOD_CAPS_MAX; i++) {
		json_w_obj(w);
		w_hex(w, "id", in->caps[i].id, 2);
		w_hex(w, "off", in->caps[i].off, 2);
		if (in->caps[i].id == PCI_CAP_VENDOR)
			w_uint(w, "cfg_type", in->caps[i].arg);
		json_w_end(w);
	}
	json_w_end(w);
	json_w_key(w, "irq");
	json_w_obj(w);
	if (in->irq_flags & IOD_IRQ_MSIX) {
		json_w_key(w, "msix");
		json_w_obj(w);
		w_uint(w, "count", in->msix_count);
		w_uint(w, "table_bar", in->msix_table_bar);
		w_hex(w, "table_off", in->msix_table_off, 1);
		w_uint(w, "pba_bar", in->msix_pba_bar);
		w_hex(w, "pba_off", in->msix_pba_off, 1);
		json_w_end(w);
	}
	if (in->irq_flags & IOD_IRQ_MSI) {
		json_w_key(w, "msi");
		json_w_obj(w);
		w_uint(w, "count", in->msi_count);
		json_w_key(w, "addr64");
		json_w_bool(w, (in->irq_flags & IOD_IRQ_MSI64) != 0);
		json_w_end(w);
	}
	json_w_key(w, "legacy");
	json_w_obj(w);
	if (in->intx_pin) {
		char pin[2] = {(char)('A' + in->intx_pin - 1), 0};
		w_str(w, "pin", pin);
	}
	json_w_key(w, "gsi");
	if (in->legacy_gsi == IOD_GSI_NONE)
		json_w_null(w);
	else
		json_w_uint(w, in->legacy_gsi);
	if (in->legacy_gsi2 != IOD_GSI_NONE)
		w_uint(w, "gsi2", in->legacy_gsi2);
	w_str(w, "via", via_name(d->irq_via));
	json_w_end(w);
	json_w_end(w);
	json_w_key(w, "io");
	json_w_arr(w);
	for (int i = 0; i < IOD_IO_RANGES; i++)
		if (in->io[i].size) {
			char r[24];
			snprintf(r, sizeof(r), "0x%x-0x%x", in->io[i].base,
				 in->io[i].base + in->io[i].size - 1u);
			json_w_str(w, r);
		}
	json_w_end(w);
	w_uint(w, "dma_budget", in->dma_budget);
	if (in->kind == IOD_KIND_FB) {
		w_hex(w, "fb_addr", in->fb_addr, 1);
		w_uint(w, "width", in->fb_width);
		w_uint(w, "height", in->fb_height);
		w_uint(w, "pitch", in->fb_pitch);
		w_uint(w, "bpp", in->fb_bpp);
	}
	json_w_key(w, "last_exit");
	if (d->exited)
		json_w_int(w, d->last_status);
	else
		json_w_null(w);
}

static size_t fail(char *out, size_t cap, const char *code, const char *msg)
{
	int n = json_w_error(out, cap, code, msg);
	return n < 0 ? 0 : (size_t)n;
}

size_t iod_json(struct iod *s, const char *msg, size_t len, char *out,
		size_t cap, uint64_t now, bool ctl)
{
	static struct json_doc doc;
	char cmd[16], dev[IOD_NAME_MAX + 8];
	if (json_parse(&doc, msg, len) < 0 || doc.tok[0].type != JSON_OBJECT)
		return fail(out, cap, "BAD_JSON", "not a JSON object");
	if (json_get_str(&doc, "cmd", cmd, sizeof(cmd)) < 0)
		return fail(out, cap, "BAD_CMD", "no cmd");
	int di = -1;
	if (!strcmp(cmd, "restart") && !ctl)
		return fail(out, cap, "DENIED",
			    "restart is served on " IOD_CTL_SVC_NAME);
	bool needs_dev = !strcmp(cmd, "info") || !strcmp(cmd, "restart");
	if (needs_dev) {
		if (json_get_str(&doc, "dev", dev, sizeof(dev)) < 0)
			return fail(out, cap, "BAD_ARG", "dev missing");
		if ((di = iod_find_name(s, dev)) < 0)
			return fail(out, cap, "NOT_FOUND", "no such device");
	}
	struct json_w w;
	json_w_init(&w, out, cap);
	json_w_obj(&w);
	json_w_key(&w, "ok");
	json_w_bool(&w, true);
	json_w_key(&w, "result");
	json_w_obj(&w);
	if (!strcmp(cmd, "ping")) {
		w_str(&w, "name", "iod");
		w_str(&w, "version", "0.1.0");
		w_str(&w, "protocol", "ports/v0");
		w_uint(&w, "iod_proto", IOD_PROTO_VERSION);
	} else if (!strcmp(cmd, "status")) {
		uint64_t drivers = 0, running = 0, failed = 0;
		for (int i = 0; i < s->n; i++) {
			drivers += s->dev[i].drv != NULL;
			running += s->dev[i].badge != 0;
			failed += s->dev[i].state == IOD_ST_FAILED;
		}
		w_str(&w, "name", "iod");
		w_uint(&w, "devices", (uint64_t)s->n);
		w_uint(&w, "drivers", drivers);
		w_uint(&w, "running", running);
		w_str(&w, "routing",
		      s->prt_status == AML_OK ? "acpi-prt" : "interrupt-line");
		w_str(&w, "prt", aml_strerror(s->prt_status));
		w_uint(&w, "prt_entries", (uint64_t)s->prt_entries);
		w_uint(&w, "requests", s->requests);
		w_uint(&w, "denied", s->denied);
		w_uint(&w, "names_denied", s->names_denied);
		w_uint(&w, "deaths", s->deaths);
		w_uint(&w, "failed", failed);
	} else if (!strcmp(cmd, "list")) {
		uint64_t from = 0;
		json_get_uint(&doc, "from", &from);
		list(s, &w, from);
	} else if (!strcmp(cmd, "info")) {
		iod_sized(s, &s->dev[di]);
		info(&s->dev[di], &w);
	} else if (!strcmp(cmd, "restart")) {
		if (iod_restart(s, di, now) < 0)
			return fail(out, cap, "BAD_STATE", "no driver runs it");
	} else {
		return fail(out, cap, "BAD_CMD", "unknown cmd");
	}
	json_w_end(&w);
	json_w_end(&w);
	int n = json_w_finish(&w);
	if (n < 0)
		return fail(out, cap, "INTERNAL", "answer too long");
	return (size_t)n;
}

int iod_names_req(struct iod *s, uint64_t badge, const char *msg, size_t len,
		  uint32_t nhandles, char *fwd, size_t fcap, size_t *flen,
		  bool *wait, char *out, size_t ocap, size_t *olen)
{
	static struct json_doc doc;
	char cmd[16], name[64];
	uint64_t us = 0;
	int i = iod_find_badge(s, badge);
	*wait = false;
	if (i < 0 || !s->dev[i].drv) {
		s->names_denied++;
		*olen = fail(out, ocap, "DENIED", "not a live driver");
		return ERR_ACCESS_DENIED;
	}
	const struct drv_entry *e = s->dev[i].drv;
	if (json_parse(&doc, msg, len) < 0 || doc.tok[0].type != JSON_OBJECT ||
	    json_get_str(&doc, "cmd", cmd, sizeof(cmd)) < 0 ||
	    json_get_str(&doc, "name", name, sizeof(name)) < 0) {
		*olen = fail(out, ocap, "BAD_ARG", "cmd and name wanted");
		return ERR_INVALID_ARGS;
	}
	bool reg = !strcmp(cmd, "register"), unreg = !strcmp(cmd, "unregister");
	bool look = !strcmp(cmd, "lookup");
	const char *allowed = reg || unreg ? e->publish
			      : look	   ? e->lookup
					   : NULL;
	if (!allowed || strcmp(name, allowed) || nhandles != (reg ? 1u : 0u)) {
		s->names_denied++;
		*olen = fail(out, ocap, "DENIED", "not this driver's name");
		return ERR_ACCESS_DENIED;
	}
	struct json_w w;
	json_w_init(&w, fwd, fcap);
	json_w_obj(&w);
	w_str(&w, "cmd", cmd);
	w_str(&w, "name", name);
	if (reg)
		w_uint(&w, "port", 0);
	json_w_end(&w);
	int n = json_w_finish(&w);
	if (n < 0) {
		*olen = fail(out, ocap, "INTERNAL", "request too long");
		return ERR_NO_MEMORY;
	}
	*flen = (size_t)n;
	*wait = look && json_get_uint(&doc, "wait_usec", &us) == 0 && us;
	return 0;
}
