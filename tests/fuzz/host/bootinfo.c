/* Boot information from the loader: multiboot2_parse() (kernel/boot/
 * multiboot2.c) on the input as the Multiboot2 information structure (its
 * total-size field set to the input's size, as a loader's would be), then
 * bootinfo_finish() and the command-line lookups (kernel/boot/bootinfo.c).
 * Checked: no read outside the structure (ASan), strings terminated, counts
 * within the arrays, and a normalised memory map: sorted, disjoint, whole
 * pages for RAM, each region's type the most restrictive of the loader's
 * regions covering it. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kern/bootinfo.h>
#include <kern/lib.h>
#include <kern/mm.h>

static struct boot_info bi;
static struct mem_region given[BOOT_MAX_REGIONS];
static size_t ngiven;

static void fail(const char *what, unsigned long long v)
{
	fprintf(stderr, "bootinfo fuzz: %s (%#llx)\n", what, v);
	abort();
}

static int rank(uint32_t type)
{
	static const int r[] = {[MEM_USABLE] = 0,
				[MEM_ACPI_RECLAIM] = 1,
				[MEM_ACPI_NVS] = 2,
				[MEM_RESERVED] = 3,
				[MEM_BAD] = 4};
	return r[type];
}

/* What the loader's regions say about the page at a: the most restrictive
 * type among those covering it after page rounding (RAM shrinks, the rest
 * grows), 0 when none does. */
static uint32_t type_at(uint64_t a)
{
	uint32_t best = 0;
	for (size_t i = 0; i < ngiven; i++) {
		const struct mem_region *r = &given[i];
		uint64_t b = r->base, e = r->base + r->len;
		if (r->type == MEM_USABLE) {
			b = ALIGN_UP(b, PAGE_SIZE);
			e = ALIGN_DOWN(e, PAGE_SIZE);
		} else {
			b = ALIGN_DOWN(b, PAGE_SIZE);
			e = e > UINT64_MAX - PAGE_SIZE ? e
						       : ALIGN_UP(e, PAGE_SIZE);
		}
		if (b <= a && a < e && (!best || rank(r->type) > rank(best)))
			best = r->type;
	}
	return best;
}

static void check_map(void)
{
	if (bi.nmem > BOOT_MAX_REGIONS)
		fail("too many regions", bi.nmem);
	for (size_t i = 0; i < bi.nmem; i++) {
		const struct mem_region *r = &bi.mem[i];
		if (!r->len || r->base + r->len < r->base)
			fail("empty or wrapping region", r->base);
		if (r->type < MEM_USABLE || r->type > MEM_BAD)
			fail("bad type", r->type);
		if (r->type == MEM_USABLE &&
		    ((r->base | r->len) & (PAGE_SIZE - 1)))
			fail("RAM not in whole pages", r->base);
		if (i && r->base < bi.mem[i - 1].base + bi.mem[i - 1].len)
			fail("regions unsorted or overlapping", r->base);
		/* first and last page of the region; pages of a wrapping
		 * reserved end are not pages */
		uint64_t last = (r->base + r->len - 1) & ~(PAGE_SIZE - 1);
		if (type_at(r->base) != r->type ||
		    (last >= r->base && type_at(last) != r->type))
			fail("region type is not the loader's", r->base);
	}
	/* Every page the loader described is kept (unless the map was
	 * truncated at BOOT_MAX_REGIONS). */
	if (bi.nmem == BOOT_MAX_REGIONS)
		return;
	for (size_t i = 0; i < ngiven; i++) {
		uint64_t a = ALIGN_UP(given[i].base, PAGE_SIZE);
		if (a < given[i].base || !type_at(a))
			continue;
		bool found = false;
		for (size_t j = 0; j < bi.nmem && !found; j++)
			found = bi.mem[j].base <= a &&
				a - bi.mem[j].base < bi.mem[j].len;
		if (!found)
			fail("a described page was lost", a);
	}
}

/* The key of the word at w (n bytes): up to its first '='. */
static size_t key_len(const char *w, size_t n)
{
	const char *eq = memchr(w, '=', n);
	return eq ? (size_t)(eq - w) : n;
}

static void check_cmdline(void)
{
	if (!memchr(bi.cmdline, 0, sizeof(bi.cmdline)))
		fail("command line not terminated", 0);
	/* Each word's key is found; the first word with that key gives the
	 * value (after '=', up to the next blank). */
	static const char *ws[16];
	static size_t wl[16];
	char key[BOOT_CMDLINE_MAX], val[BOOT_CMDLINE_MAX], got[8];
	const char *s = bi.cmdline;
	for (int nw = 0; *s && nw < 16; nw++) {
		while (*s == ' ')
			s++;
		const char *w = s;
		while (*s && *s != ' ')
			s++;
		size_t n = (size_t)(s - w), kl = key_len(w, n);
		ws[nw] = w;
		wl[nw] = n;
		if (!n || !kl)
			continue;
		memcpy(key, w, kl);
		key[kl] = 0;
		if (!bootinfo_cmdline_has(&bi, key) ||
		    !bootinfo_cmdline_get(&bi, key, val, sizeof(val)))
			fail("a word's key is not found",
			     (size_t)(w - bi.cmdline));
		bool first = true;
		for (int i = 0; i < nw && first; i++)
			first = !(key_len(ws[i], wl[i]) == kl &&
				  !memcmp(ws[i], w, kl));
		if (!first)
			continue;
		size_t vl = kl < n ? n - kl - 1 : 0;
		if (strlen(val) != vl || memcmp(val, w + n - vl, vl))
			fail("wrong value", (size_t)(w - bi.cmdline));
		if (!bootinfo_cmdline_get(&bi, key, got, sizeof(got)) ||
		    strncmp(got, val, sizeof(got) - 1) ||
		    strlen(got) != MIN(vl, sizeof(got) - 1))
			fail("value not cut to a small buffer", vl);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 8 || size > (1u << 20))
		return 0;
	/* 8-aligned, of exactly the size the loader states */
	uint8_t *mbi = malloc(size);
	memcpy(mbi, data, size);
	uint32_t total = (uint32_t)size;
	memcpy(mbi, &total, 4);
	memset(&bi, 0, sizeof(bi));
	int r = multiboot2_parse(&bi, mbi);
	free(mbi);
	if (r != 0 && r != -1)
		fail("result", (unsigned long long)r);
	if (bi.nmods > BOOT_MAX_MODULES ||
	    bi.rsdp_copy_len > sizeof(bi.rsdp_copy))
		fail("modules or RSDP copy beyond the arrays", bi.nmods);
	for (size_t i = 0; i < bi.nmods; i++)
		if (!memchr(bi.mods[i].name, 0, sizeof(bi.mods[i].name)))
			fail("module name not terminated", i);
	size_t cl = strlen(bi.cmdline);
	if (cl != MIN(bi.cmdline_len, sizeof(bi.cmdline) - 1))
		fail("command line length", bi.cmdline_len);
	check_cmdline();
	ngiven = bi.nmem;
	memcpy(given, bi.mem, sizeof(given[0]) * ngiven);
	for (size_t i = 0; i < ngiven; i++)
		if (!given[i].len ||
		    given[i].base + given[i].len < given[i].base)
			fail("an empty or wrapping region was accepted", i);
	bootinfo_finish(&bi);
	check_map();

	/* RAM the boot direct map cannot reach is cut off at a limit (from
	 * the input's last bytes): nothing RAM-like stays above it, the
	 * rest is untouched, and the usable bytes dropped are reported. */
	uint64_t limit = 0;
	for (int i = 0; i < 5; i++)
		limit = limit << 8 | data[size - 1 - i];
	static struct mem_region before[BOOT_MAX_REGIONS];
	size_t nbefore = bi.nmem;
	memcpy(before, bi.mem, sizeof(before[0]) * nbefore);
	uint64_t lost = 0;
	for (size_t i = 0; i < nbefore; i++)
		if (before[i].type == MEM_USABLE &&
		    before[i].base + before[i].len > limit)
			lost += before[i].base + before[i].len -
				MAX(before[i].base, limit);
	if (bootinfo_clip_ram(&bi, limit) != lost)
		fail("usable bytes dropped", lost);
	size_t j = 0;
	for (size_t i = 0; i < nbefore; i++) {
		struct mem_region e = before[i];
		if (e.type != MEM_RESERVED && e.type != MEM_BAD &&
		    e.base + e.len > limit)
			e.len = e.base < limit ? limit - e.base : 0;
		if (!e.len)
			continue;
		if (j >= bi.nmem || bi.mem[j].base != e.base ||
		    bi.mem[j].len != e.len || bi.mem[j].type != e.type)
			fail("clipped map", e.base);
		j++;
	}
	if (j != bi.nmem)
		fail("clipped map has extra regions", bi.nmem);
	return 0;
}
