/* Protocol-independent boot information: the memory map is normalised here
 * (sorted, overlaps resolved, usable RAM page-aligned) so that everything
 * after boot can trust it. */
#include <kern/bootinfo.h>
#include <kern/lib.h>
#include <kern/log.h>

struct boot_info boot_info;

int bootinfo_add_mem(struct boot_info *bi, phys_addr_t base, uint64_t len,
		     uint32_t type)
{
	if (len == 0 || base + len < base)
		return -1;
	if (bi->nmem == BOOT_MAX_REGIONS)
		return -1;
	if (type < MEM_USABLE || type > MEM_BAD)
		type = MEM_RESERVED; /* unknown firmware types: hands off */
	bi->mem[bi->nmem++] = (struct mem_region){base, len, type};
	return 0;
}

int bootinfo_add_module(struct boot_info *bi, phys_addr_t base, uint64_t len,
			const char *name)
{
	if (bi->nmods == BOOT_MAX_MODULES || base + len < base)
		return -1;
	struct boot_module *m = &bi->mods[bi->nmods++];
	m->base = base;
	m->len = len;
	strlcpy(m->name, name ? name : "", sizeof(m->name));
	return 0;
}

void bootinfo_set_cmdline(struct boot_info *bi, const char *src, size_t max)
{
	size_t n = strnlen(src, max);
	bi->cmdline_len = n;
	n = MIN(n, sizeof(bi->cmdline) - 1);
	memcpy(bi->cmdline, src, n);
	bi->cmdline[n] = 0;
}

uint64_t bootinfo_clip_ram(struct boot_info *bi, phys_addr_t limit)
{
	uint64_t dropped = 0;
	size_t n = 0;
	for (size_t i = 0; i < bi->nmem; i++) {
		struct mem_region r = bi->mem[i];
		bool ram = r.type == MEM_USABLE || r.type == MEM_ACPI_RECLAIM ||
			   r.type == MEM_ACPI_NVS;
		if (ram && r.base + r.len > limit) {
			uint64_t keep = r.base < limit ? limit - r.base : 0;
			if (r.type == MEM_USABLE)
				dropped += r.len - keep;
			r.len = keep;
		}
		if (r.len)
			bi->mem[n++] = r;
	}
	bi->nmem = n;
	return dropped;
}

/* Higher rank wins where regions overlap. */
static int rank(uint32_t type)
{
	static const int r[] = {[MEM_USABLE] = 0, [MEM_ACPI_RECLAIM] = 1,
				[MEM_ACPI_NVS] = 2, [MEM_RESERVED] = 3,
				[MEM_BAD] = 4};
	return r[type];
}

void bootinfo_finish(struct boot_info *bi)
{
	static uint64_t pts[2 * BOOT_MAX_REGIONS];
	static struct mem_region out[BOOT_MAX_REGIONS];
	size_t npts = 0, nout = 0;

	/* Usable RAM shrinks to whole pages; other types grow to whole
	 * pages, so a partial page is never handed out. */
	for (size_t i = 0; i < bi->nmem; i++) {
		struct mem_region *r = &bi->mem[i];
		uint64_t b = r->base, e = r->base + r->len;
		if (r->type == MEM_USABLE) {
			b = ALIGN_UP(b, PAGE_SIZE);
			e = ALIGN_DOWN(e, PAGE_SIZE);
		} else {
			b = ALIGN_DOWN(b, PAGE_SIZE);
			e = e > UINT64_MAX - PAGE_SIZE ? e : ALIGN_UP(e, PAGE_SIZE);
		}
		r->base = b;
		r->len = e > b ? e - b : 0;
		if (r->len) {
			pts[npts++] = b;
			pts[npts++] = e;
		}
	}
	sort_u64(pts, npts);

	for (size_t p = 0; p + 1 < npts; p++) {
		uint64_t b = pts[p], e = pts[p + 1];
		if (b == e)
			continue;
		int best = -1;
		uint32_t type = 0;
		for (size_t i = 0; i < bi->nmem; i++) {
			struct mem_region *r = &bi->mem[i];
			if (r->len && r->base <= b && e <= r->base + r->len &&
			    rank(r->type) > best) {
				best = rank(r->type);
				type = r->type;
			}
		}
		if (best < 0)
			continue; /* a hole */
		if (nout && out[nout - 1].type == type &&
		    out[nout - 1].base + out[nout - 1].len == b) {
			out[nout - 1].len += e - b;
			continue;
		}
		if (nout == BOOT_MAX_REGIONS) {
			pr_warn("boot: memory map truncated at %zu regions", nout);
			break;
		}
		out[nout++] = (struct mem_region){b, e - b, type};
	}
	memcpy(bi->mem, out, nout * sizeof(out[0]));
	bi->nmem = nout;
}

/* Finds "key" or "key=value" as a whole word; returns the value start. */
static const char *cmdline_find(const char *s, const char *key, size_t *vlen)
{
	size_t klen = strlen(key);
	while (*s) {
		while (*s == ' ')
			s++;
		const char *w = s;
		while (*s && *s != ' ')
			s++;
		size_t wlen = (size_t)(s - w);
		if (wlen >= klen && !strncmp(w, key, klen) &&
		    (wlen == klen || w[klen] == '=')) {
			const char *v = wlen == klen ? w + wlen : w + klen + 1;
			*vlen = (size_t)(s - v);
			return v;
		}
	}
	return NULL;
}

bool bootinfo_cmdline_get(const struct boot_info *bi, const char *key,
			  char *buf, size_t buflen)
{
	size_t vlen;
	const char *v = cmdline_find(bi->cmdline, key, &vlen);
	if (!v)
		return false;
	if (buflen) {
		size_t k = MIN(vlen, buflen - 1);
		memcpy(buf, v, k);
		buf[k] = 0;
	}
	return true;
}

bool bootinfo_cmdline_has(const struct boot_info *bi, const char *key)
{
	size_t vlen;
	return cmdline_find(bi->cmdline, key, &vlen) != NULL;
}
