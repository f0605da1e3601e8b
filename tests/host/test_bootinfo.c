/* Boot information: memory-map normalisation, command line, and the two
 * protocol parsers fed with hand-built structures. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include <kern/bootinfo.h>
#include <kern/mm.h>

static struct boot_info bi;

static void reset(void)
{
	memset(&bi, 0, sizeof(bi));
}

TEST(cmdline_finds_bare_keys_and_values)
{
	reset();
	strcpy(bi.cmdline, "debug ktest=vm  smp=2 x=");
	char v[16];
	CHECK(bootinfo_cmdline_has(&bi, "debug"));
	CHECK(!bootinfo_cmdline_has(&bi, "deb"));
	CHECK(!bootinfo_cmdline_has(&bi, "vm"));
	CHECK(bootinfo_cmdline_get(&bi, "ktest", v, sizeof(v)));
	CHECK(!strcmp(v, "vm"));
	CHECK(bootinfo_cmdline_get(&bi, "smp", v, sizeof(v)));
	CHECK(!strcmp(v, "2"));
	CHECK(bootinfo_cmdline_get(&bi, "debug", v, sizeof(v)));
	CHECK(!strcmp(v, ""));
	CHECK(bootinfo_cmdline_get(&bi, "x", v, sizeof(v)));
	CHECK(!strcmp(v, ""));
	CHECK(!bootinfo_cmdline_get(&bi, "nothere", v, sizeof(v)));
}

TEST(cmdline_value_is_truncated_to_buffer)
{
	reset();
	strcpy(bi.cmdline, "ktest=abcdefgh");
	char v[4];
	CHECK(bootinfo_cmdline_get(&bi, "ktest", v, sizeof(v)));
	CHECK(!strcmp(v, "abc"));
}

TEST(memmap_sorted_merged_and_overlaps_resolved)
{
	reset();
	/* Unsorted, overlapping, unaligned input as firmware may give it. */
	bootinfo_add_mem(&bi, 0x100000, 0x7f00000, MEM_USABLE);
	bootinfo_add_mem(&bi, 0x0, 0x9fc00, MEM_USABLE);
	bootinfo_add_mem(&bi, 0x9fc00, 0x400, MEM_RESERVED);
	bootinfo_add_mem(&bi, 0x1000000, 0x1000, MEM_ACPI_RECLAIM); /* inside */
	bootinfo_add_mem(&bi, 0x8000000, 0x1000, MEM_USABLE);      /* adjacent */
	bootinfo_finish(&bi);

	CHECK_EQ(bi.nmem, 5);
	CHECK_EQ(bi.mem[0].base, 0);
	CHECK_EQ(bi.mem[0].len, 0x9f000); /* usable shrinks to whole pages */
	CHECK_EQ(bi.mem[1].type, MEM_RESERVED);
	CHECK_EQ(bi.mem[1].base, 0x9f000); /* reserved grows to whole pages */
	CHECK_EQ(bi.mem[2].base, 0x100000);
	CHECK_EQ(bi.mem[2].len, 0xf00000);
	CHECK_EQ(bi.mem[3].type, MEM_ACPI_RECLAIM);
	CHECK_EQ(bi.mem[4].base, 0x1001000);
	CHECK_EQ(bi.mem[4].len, 0x8001000 - 0x1001000); /* merged */
	for (size_t i = 1; i < bi.nmem; i++)
		CHECK(bi.mem[i - 1].base + bi.mem[i - 1].len <= bi.mem[i].base);
}

TEST(memmap_rejects_empty_and_wrapping_regions)
{
	reset();
	CHECK(bootinfo_add_mem(&bi, 0x1000, 0, MEM_USABLE) < 0);
	CHECK(bootinfo_add_mem(&bi, UINT64_MAX - 10, 100, MEM_USABLE) < 0);
	CHECK_EQ(bootinfo_add_mem(&bi, 0x1000, 0x1000, 99), 0);
	CHECK_EQ(bi.mem[0].type, MEM_RESERVED); /* unknown types: hands off */
}

/* A Multiboot2 information structure built tag by tag. */
struct mb2_builder {
	uint8_t buf[4096] __attribute__((aligned(8)));
	uint32_t len;
};

static uint8_t *mb2_tag(struct mb2_builder *b, uint32_t type, uint32_t size)
{
	uint8_t *t = b->buf + b->len;
	memcpy(t, &type, 4);
	memcpy(t + 4, &size, 4);
	b->len += (size + 7) & ~7u;
	return t + 8;
}

static void mb2_finish(struct mb2_builder *b)
{
	mb2_tag(b, 0, 8);
	memcpy(b->buf, &b->len, 4);
}

TEST(multiboot2_parses_cmdline_mmap_modules_rsdp)
{
	static struct mb2_builder b;
	memset(&b, 0, sizeof(b));
	b.len = 8;
	strcpy((char *)mb2_tag(&b, 1, 8 + 11), "smoke debug");
	uint8_t *m = mb2_tag(&b, 3, 8 + 8 + 7);
	uint32_t ms = 0x300000, me = 0x310000;
	memcpy(m, &ms, 4);
	memcpy(m + 4, &me, 4);
	strcpy((char *)m + 8, "initrd");
	uint8_t *mm = mb2_tag(&b, 6, 8 + 8 + 2 * 24);
	uint32_t esz = 24, ever = 0;
	memcpy(mm, &esz, 4);
	memcpy(mm + 4, &ever, 4);
	uint64_t e0[2] = {0, 0x9f000}, e1[2] = {0x100000, 0x1000000};
	uint32_t t1 = 1;
	memcpy(mm + 8, e0, 16);
	memcpy(mm + 24, &t1, 4);
	memcpy(mm + 32, e1, 16);
	memcpy(mm + 48, &t1, 4);
	uint8_t *r = mb2_tag(&b, 14, 8 + 20);
	memcpy(r, "RSD PTR ", 8);
	mb2_tag(&b, 12, 16); /* EFI 64-bit system table pointer */
	mb2_finish(&b);

	reset();
	CHECK_EQ(multiboot2_parse(&bi, b.buf), 0);
	CHECK(!strcmp(bi.cmdline, "smoke debug"));
	CHECK_EQ(bi.nmods, 1);
	CHECK_EQ(bi.mods[0].base, 0x300000);
	CHECK_EQ(bi.mods[0].len, 0x10000);
	CHECK(!strcmp(bi.mods[0].name, "initrd"));
	CHECK_EQ(bi.nmem, 2);
	CHECK_EQ(bi.mem[1].len, 0x1000000);
	CHECK_EQ(bi.rsdp_copy_len, 20);
	CHECK(!memcmp(bi.rsdp_copy, "RSD PTR ", 8));
	CHECK(bi.uefi);
}

TEST(multiboot2_rejects_corrupt_tags)
{
	static struct mb2_builder b;
	memset(&b, 0, sizeof(b));
	b.len = 8;
	uint8_t *t = mb2_tag(&b, 1, 16);
	(void)t;
	mb2_finish(&b);
	uint32_t huge = 4096; /* tag claims to run past the structure */
	memcpy(b.buf + 12, &huge, 4);
	reset();
	CHECK(multiboot2_parse(&bi, b.buf) < 0);
	uint32_t tiny = 4; /* smaller than a tag header */
	memcpy(b.buf + 12, &tiny, 4);
	reset();
	CHECK(multiboot2_parse(&bi, b.buf) < 0);
	uint32_t total = 8 * 1024 * 1024;
	memcpy(b.buf, &total, 4);
	reset();
	CHECK(multiboot2_parse(&bi, b.buf) < 0);
}

/* A memory-map entry size near 2^32 must not wrap the entry walk into
 * reading past the tag (and the structure). */
TEST(multiboot2_mmap_entry_size_cannot_wrap)
{
	static struct mb2_builder b;
	memset(&b, 0, sizeof(b));
	b.len = 8;
	uint8_t *mm = mb2_tag(&b, 6, 8 + 8);
	uint32_t esz = 0xfffffffcu;
	memcpy(mm, &esz, 4);
	mb2_finish(&b);
	/* What a wrapped walk would read, past the end tag. */
	uint64_t bogus[2] = {0x100000, 0x100000};
	uint32_t usable = MEM_USABLE;
	memcpy(b.buf + b.len, bogus, 16);
	memcpy(b.buf + b.len + 16, &usable, 4);
	reset();
	CHECK_EQ(multiboot2_parse(&bi, b.buf), 0);
	CHECK_EQ(bi.nmem, 0);
}

/* PVH: physical pointers resolved through physmap_offset. */
TEST(pvh_parses_start_info)
{
	uint8_t *arena = calloc(1, 0x4000);
	CHECK(arena);
	physmap_offset = (uintptr_t)arena - 0x10000; /* arena = phys 0x10000 */
	uint8_t *si = arena;
	uint32_t magic = 0x336ec578, ver = 1, nmods = 1, nmm = 2;
	uint64_t modlist = 0x11000, cmd = 0x12000, rsdp = 0xf59e0, mmap = 0x13000;
	memcpy(si, &magic, 4);
	memcpy(si + 4, &ver, 4);
	memcpy(si + 12, &nmods, 4);
	memcpy(si + 16, &modlist, 8);
	memcpy(si + 24, &cmd, 8);
	memcpy(si + 32, &rsdp, 8);
	memcpy(si + 40, &mmap, 8);
	memcpy(si + 48, &nmm, 4);
	uint64_t mod[4] = {0x400000, 0x2000, 0, 0};
	memcpy(arena + 0x1000, mod, sizeof(mod));
	strcpy((char *)arena + 0x2000, "ktest");
	uint64_t mme[2][3] = {{0, 0x9f000, 1}, {0x100000, 0x100000, 1}};
	memcpy(arena + 0x3000, mme, sizeof(mme));

	reset();
	int r = pvh_parse(&bi, si);
	physmap_offset = 0;
	free(arena);
	CHECK_EQ(r, 0);
	CHECK(!strcmp(bi.protocol, "pvh"));
	CHECK(!strcmp(bi.cmdline, "ktest"));
	CHECK_EQ(bi.rsdp, 0xf59e0);
	CHECK_EQ(bi.nmods, 1);
	CHECK(!strcmp(bi.mods[0].name, "initrd"));
	CHECK_EQ(bi.nmem, 2);
	CHECK_EQ(bi.mem[1].base, 0x100000);
}

TEST(pvh_rejects_bad_magic)
{
	uint32_t junk[16] = {0x12345678};
	reset();
	CHECK(pvh_parse(&bi, junk) < 0);
}

/* A command line longer than the buffer is cut, and its full length kept
 * so that the kernel can say so. */
TEST(cmdline_cut_keeps_full_length)
{
	static char longline[2000];
	memset(longline, 'x', sizeof(longline) - 1);
	memcpy(longline, "ktest ", 6);
	reset();
	bootinfo_set_cmdline(&bi, longline, (size_t)-1);
	CHECK_EQ(bi.cmdline_len, sizeof(longline) - 1);
	CHECK_EQ(strlen(bi.cmdline), BOOT_CMDLINE_MAX - 1);
	CHECK(bootinfo_cmdline_has(&bi, "ktest"));
	reset();
	bootinfo_set_cmdline(&bi, "debug smoke", 5); /* bounded source */
	CHECK(!strcmp(bi.cmdline, "debug"));
	CHECK_EQ(bi.cmdline_len, 5);
}

/* RAM above a limit is dropped (a crossing region is cut), other types
 * stay, and the usable bytes dropped are counted. */
TEST(memmap_clip_ram_above_limit)
{
	reset();
	bootinfo_add_mem(&bi, 0x100000, 0x7ff00000, MEM_USABLE);
	bootinfo_add_mem(&bi, 0xfec00000, 0x1000, MEM_RESERVED);
	bootinfo_add_mem(&bi, 0x100000000ull, 0x300000000ull, MEM_USABLE);
	bootinfo_add_mem(&bi, 0x500000000ull, 0x1000, MEM_ACPI_NVS);
	bootinfo_finish(&bi);
	uint64_t lost = bootinfo_clip_ram(&bi, 0x200000000ull);
	CHECK_EQ(lost, 0x200000000ull);
	CHECK_EQ(bi.nmem, 3);
	CHECK_EQ(bi.mem[1].type, MEM_RESERVED);
	CHECK_EQ(bi.mem[2].base, 0x100000000ull);
	CHECK_EQ(bi.mem[2].len, 0x100000000ull);
	CHECK_EQ(bootinfo_clip_ram(&bi, 0x200000000ull), 0);
}
