/* The user-space ELF loader's validation (libs/runtime/elf_parse.c) on
 * hand-made images, good and malicious. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include <execrt/elf_load.h>

#define EHDR	     64
#define PHDR	     56
#define PT_LOAD	     1
#define PT_INTERP    3
#define PT_GNU_STACK 0x6474e551u
#define PF_X	     1
#define PF_W	     2
#define PF_R	     4

/* An image being built: header, up to 20 program headers, then data. */
static unsigned char img[8192];
static struct elf_image out;

static void put16(size_t off, uint16_t v)
{
	memcpy(img + off, &v, 2);
}
static void put32(size_t off, uint32_t v)
{
	memcpy(img + off, &v, 4);
}
static void put64(size_t off, uint64_t v)
{
	memcpy(img + off, &v, 8);
}

static void set_phnum(uint16_t n)
{
	put16(56, n);
}

static void set_ph(unsigned i, uint32_t type, uint32_t flags, uint64_t off,
		   uint64_t vaddr, uint64_t filesz, uint64_t memsz,
		   uint64_t align)
{
	size_t p = EHDR + i * PHDR;
	put32(p, type);
	put32(p + 4, flags);
	put64(p + 8, off);
	put64(p + 16, vaddr);
	put64(p + 24, vaddr);
	put64(p + 32, filesz);
	put64(p + 40, memsz);
	put64(p + 48, align);
}

/* A good static executable: text RX at 0x400000 (file 0x1000..0x1100),
 * data RW at 0x401000 (file 0x1100..0x1180, 0x1000 bytes in memory). */
static void make_good(void)
{
	memset(img, 0, sizeof(img));
	memcpy(img,
	       "\x7f"
	       "ELF",
	       4);
	img[4] = 2;	     /* ELFCLASS64 */
	img[5] = 1;	     /* little-endian */
	img[6] = 1;	     /* EV_CURRENT */
	put16(16, 2);	     /* ET_EXEC */
	put16(18, 62);	     /* EM_X86_64 */
	put32(20, 1);	     /* e_version */
	put64(24, 0x400010); /* e_entry */
	put64(32, EHDR);     /* e_phoff */
	put16(52, EHDR);     /* e_ehsize */
	put16(54, PHDR);     /* e_phentsize */
	set_phnum(3);
	set_ph(0, PT_LOAD, PF_R | PF_X, 0x1000, 0x400000, 0x100, 0x100, 0x1000);
	set_ph(1, PT_LOAD, PF_R | PF_W, 0x1100, 0x401100, 0x80, 0x1000, 0x1000);
	set_ph(2, PT_GNU_STACK, PF_R | PF_W, 0, 0, 0, 0x20000, 16);
}

static int parse(void)
{
	return elf_parse(img, sizeof(img), 0, &out);
}

TEST(elf_accepts_static_exec)
{
	make_good();
	CHECK_EQ(parse(), ELF_OK);
	CHECK_EQ(out.type, 2);
	CHECK_EQ(out.entry, 0x400010);
	CHECK_EQ(out.bias, 0);
	CHECK_EQ(out.nsegs, 2);
	CHECK_EQ(out.stack_size, 0x20000);
	CHECK_EQ(out.seg[0].map_start, 0x400000);
	CHECK_EQ(out.seg[0].map_end, 0x401000);
	CHECK_EQ(out.seg[0].prot, VM_PROT_READ | VM_PROT_EXEC);
	CHECK_EQ(out.seg[0].offset, 0x1000);
	CHECK_EQ(out.seg[1].vaddr, 0x401100);
	CHECK_EQ(out.seg[1].map_start, 0x401000);
	CHECK_EQ(out.seg[1].map_end, 0x403000);
	CHECK_EQ(out.seg[1].filesz, 0x80);
	CHECK_EQ(out.seg[1].memsz, 0x1000);
	CHECK_EQ(out.seg[1].prot, VM_PROT_READ | VM_PROT_WRITE);
}

TEST(elf_places_et_dyn_at_base)
{
	make_good();
	put16(16, 3); /* ET_DYN, linked at 0 */
	set_ph(0, PT_LOAD, PF_R | PF_X, 0x1000, 0x0, 0x100, 0x100, 0x1000);
	set_ph(1, PT_LOAD, PF_R | PF_W, 0x1100, 0x1100, 0x80, 0x80, 0x1000);
	put64(24, 0x20);
	CHECK_EQ(elf_parse(img, sizeof(img), 0x10000000, &out), ELF_OK);
	CHECK_EQ(out.bias, 0x10000000);
	CHECK_EQ(out.entry, 0x10000020);
	CHECK_EQ(out.seg[1].map_start, 0x10001000);
	CHECK_EQ(elf_parse(img, sizeof(img), 0x10000800, &out), ELF_E_BASE);
	/* Left at 0 it would start below USER_BASE. */
	CHECK_EQ(elf_parse(img, sizeof(img), 0, &out), ELF_E_SEG_RANGE);
}

TEST(elf_refuses_bad_headers)
{
	CHECK_EQ(elf_parse(NULL, 100, 0, &out), ELF_E_TOO_SMALL);
	make_good();
	CHECK_EQ(elf_parse(img, EHDR - 1, 0, &out), ELF_E_TOO_SMALL);
	img[1] = 'X';
	CHECK_EQ(parse(), ELF_E_MAGIC);
	make_good();
	img[4] = 1;
	CHECK_EQ(parse(), ELF_E_CLASS);
	make_good();
	img[5] = 2;
	CHECK_EQ(parse(), ELF_E_DATA);
	make_good();
	put32(20, 2);
	CHECK_EQ(parse(), ELF_E_VERSION);
	make_good();
	img[7] = 9; /* FreeBSD */
	CHECK_EQ(parse(), ELF_E_OSABI);
	make_good();
	img[7] = 3; /* GNU/Linux is fine */
	CHECK_EQ(parse(), ELF_OK);
	put16(18, 3); /* EM_386 */
	CHECK_EQ(parse(), ELF_E_MACHINE);
	make_good();
	put16(16, 1); /* ET_REL */
	CHECK_EQ(parse(), ELF_E_TYPE);
	make_good();
	put16(54, 32);
	CHECK_EQ(parse(), ELF_E_HEADER_SIZE);
	make_good();
	put16(52, 52);
	CHECK_EQ(parse(), ELF_E_HEADER_SIZE);
}

TEST(elf_refuses_bad_program_header_table)
{
	make_good();
	set_phnum(0);
	CHECK_EQ(parse(), ELF_E_PHDRS);
	make_good();
	set_phnum(0xffff); /* PN_XNUM: extended numbering */
	CHECK_EQ(parse(), ELF_E_PHDRS);
	make_good();
	put64(32, sizeof(img) - PHDR); /* three headers: past the end */
	CHECK_EQ(parse(), ELF_E_PHDRS);
	make_good();
	put64(32, UINT64_MAX - 7); /* offset + size wraps */
	CHECK_EQ(parse(), ELF_E_PHDRS);
	make_good();
	put64(32, EHDR + 4); /* misaligned */
	CHECK_EQ(parse(), ELF_E_PHDRS);
	make_good();
	set_phnum(200); /* 200 * 56 > 8192 */
	CHECK_EQ(parse(), ELF_E_PHDRS);
}

TEST(elf_refuses_dynamic_and_empty)
{
	make_good();
	set_ph(2, PT_INTERP, PF_R, 0x1000, 0x400000, 10, 10, 1);
	CHECK_EQ(parse(), ELF_E_INTERP);
	make_good();
	set_ph(0, PT_GNU_STACK, PF_R, 0, 0, 0, 0, 0);
	set_ph(1, PT_LOAD, PF_R | PF_X, 0x1000, 0x400000, 0, 0, 0x1000);
	CHECK_EQ(parse(), ELF_E_NO_LOAD);
}

TEST(elf_refuses_segment_past_file)
{
	make_good();
	set_ph(1, PT_LOAD, PF_R | PF_W, 0x1100, 0x401100, sizeof(img), 0x100000,
	       0x1000);
	CHECK_EQ(parse(), ELF_E_SEG_FILE);
	make_good();
	set_ph(1, PT_LOAD, PF_R | PF_W, UINT64_MAX - 0xff,
	       0x4010ff - 0xff + 0x100, 0x200, 0x200, 0);
	CHECK_EQ(parse(), ELF_E_SEG_FILE);
	make_good();
	set_ph(1, PT_LOAD, PF_R | PF_W, 0x1100, 0x401100, 0x2000, 0x1000,
	       0x1000);
	CHECK_EQ(parse(), ELF_E_FILESZ);
}

TEST(elf_refuses_bad_addresses)
{
	/* vaddr + memsz wraps around */
	make_good();
	set_ph(1, PT_LOAD, PF_R | PF_W, 0x1000, 0xfffffffffffff000ull, 0x80,
	       0x2000, 0x1000);
	CHECK_EQ(parse(), ELF_E_SEG_WRAP);
	/* page rounding of the end wraps */
	make_good();
	set_ph(1, PT_LOAD, PF_R | PF_W, 0x1001, 0xfffffffffffff001ull, 0, 0xffe,
	       0x1000);
	CHECK_EQ(parse(), ELF_E_SEG_WRAP);
	/* kernel half */
	make_good();
	set_ph(1, PT_LOAD, PF_R | PF_W, 0x1000, 0xffff800000001000ull, 0x80,
	       0x1000, 0x1000);
	CHECK_EQ(parse(), ELF_E_SEG_RANGE);
	/* straddles the top of user space */
	make_good();
	set_ph(1, PT_LOAD, PF_R | PF_W, 0x1000, USER_TOP - 0x1000, 0x80, 0x2000,
	       0x1000);
	CHECK_EQ(parse(), ELF_E_SEG_RANGE);
	/* below USER_BASE (page 0 stays unmapped) */
	make_good();
	set_ph(1, PT_LOAD, PF_R | PF_W, 0x1000, 0x1000, 0x80, 0x1000, 0x1000);
	CHECK_EQ(parse(), ELF_E_SEG_RANGE);
	/* huge p_memsz inside user space */
	make_good();
	set_ph(1, PT_LOAD, PF_R | PF_W, 0x1100, 0x401100, 0x80, 0x7000000000ull,
	       0x1000);
	CHECK_EQ(parse(), ELF_E_TOO_BIG);
}

TEST(elf_refuses_wx_and_bad_alignment)
{
	make_good();
	set_ph(1, PT_LOAD, PF_R | PF_W | PF_X, 0x1100, 0x401100, 0x80, 0x80,
	       0x1000);
	CHECK_EQ(parse(), ELF_E_WX);
	make_good();
	set_ph(2, PT_GNU_STACK, PF_R | PF_W | PF_X, 0, 0, 0, 0, 16);
	CHECK_EQ(parse(), ELF_E_WX);
	make_good();
	set_ph(1, PT_LOAD, PF_R | PF_W, 0x1100, 0x401100, 0x80, 0x80, 0x3000);
	CHECK_EQ(parse(), ELF_E_ALIGN);
	make_good();
	set_ph(1, PT_LOAD, PF_R | PF_W, 0x1100, 0x401200, 0x80, 0x80, 0x1000);
	CHECK_EQ(parse(), ELF_E_ALIGN);
	make_good(); /* no alignment constraint: any placement is fine */
	set_ph(1, PT_LOAD, PF_R | PF_W, 0x1100, 0x401200, 0x80, 0x80, 0);
	CHECK_EQ(parse(), ELF_OK);
}

TEST(elf_refuses_overlap_and_too_many)
{
	make_good(); /* the data segment shares the text's page */
	set_ph(1, PT_LOAD, PF_R | PF_W, 0x1100, 0x400100, 0x80, 0x80, 0x1000);
	CHECK_EQ(parse(), ELF_E_OVERLAP);
	make_good(); /* a segment inside another */
	set_ph(0, PT_LOAD, PF_R | PF_X, 0x1000, 0x400000, 0x100, 0x10000,
	       0x1000);
	set_ph(1, PT_LOAD, PF_R | PF_W, 0x1100, 0x405100, 0x80, 0x80, 0x1000);
	CHECK_EQ(parse(), ELF_E_OVERLAP);
	make_good();
	set_phnum(ELF_MAX_SEGMENTS + 1);
	for (unsigned i = 0; i <= ELF_MAX_SEGMENTS; i++)
		set_ph(i, PT_LOAD, PF_R | PF_X, 0x1000, 0x400000 + i * 0x1000,
		       0x10, 0x10, 0x1000);
	CHECK_EQ(parse(), ELF_E_TOO_MANY);
}

TEST(elf_refuses_entry_outside_code)
{
	make_good();
	put64(24, 0x401100); /* in the data segment */
	CHECK_EQ(parse(), ELF_E_ENTRY);
	make_good();
	put64(24, 0x400100); /* one past the text */
	CHECK_EQ(parse(), ELF_E_ENTRY);
	make_good();
	put64(24, 0x4000ff); /* last byte of the text */
	CHECK_EQ(parse(), ELF_OK);
}

TEST(elf_error_strings)
{
	for (int e = 0; e < ELF_E_COUNT; e++)
		CHECK(strcmp(elf_strerror(e), "unknown ELF error") != 0);
	CHECK(!strcmp(elf_strerror(-1), "unknown ELF error"));
	CHECK(!strcmp(elf_strerror(ELF_E_COUNT), "unknown ELF error"));
}

/* Random damage to a good image: refused or accepted, never a crash or a
 * read out of bounds (ASan), and an accepted image stays inside the rules. */
TEST(elf_survives_random_damage)
{
	srand(1234);
	for (int round = 0; round < 3000; round++) {
		make_good();
		int flips = 1 + rand() % 8;
		for (int i = 0; i < flips; i++)
			img[rand() % (EHDR + 3 * PHDR)] = (unsigned char)rand();
		size_t len = (round & 1) ? sizeof(img)
					 : (size_t)(rand() % (int)sizeof(img));
		unsigned char *copy = malloc(len ? len : 1);
		memcpy(copy, img, len);
		int r = elf_parse(copy, len, 0, &out);
		if (r == ELF_OK) {
			for (unsigned i = 0; i < out.nsegs; i++) {
				const struct elf_segment *s = &out.seg[i];
				CHECK(s->map_start >= USER_BASE);
				CHECK(s->map_end <= USER_TOP);
				CHECK(s->offset + s->filesz <= len);
				CHECK(s->filesz <= s->memsz);
				CHECK(!((s->prot & VM_PROT_WRITE) &&
					(s->prot & VM_PROT_EXEC)));
			}
		}
		free(copy);
	}
}
