/* ELF64 validation and segment layout: pure code, no system calls, so the
 * same file is host-tested (tests/host/test_elf_load.c). The image is
 * untrusted: every field is checked before it is used, and every sum is
 * checked for overflow. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <execrt/elf_load.h>

/* The few ELF definitions needed, so no <elf.h> is required. */
struct ehdr64 {
	unsigned char ident[16];
	uint16_t type, machine;
	uint32_t version;
	uint64_t entry, phoff, shoff;
	uint32_t flags;
	uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct phdr64 {
	uint32_t type, flags;
	uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

_Static_assert(sizeof(struct ehdr64) == 64, "Elf64_Ehdr");
_Static_assert(sizeof(struct phdr64) == 56, "Elf64_Phdr");

enum {
	EI_CLASS = 4,
	EI_DATA = 5,
	EI_VERSION = 6,
	EI_OSABI = 7,
	ELFCLASS64 = 2,
	ELFDATA2LSB = 1,
	EV_CURRENT = 1,
	OSABI_SYSV = 0,
	OSABI_GNU = 3,
	EM_X86_64 = 62,
	ET_EXEC = 2,
	ET_DYN = 3,
	PN_XNUM = 0xffff,
	PT_LOAD = 1,
	PT_INTERP = 3,
	PT_GNU_STACK = 0x6474e551,
	PF_X = 1,
	PF_W = 2,
};

#define PAGE_MASK (PAGE_SIZE_USER - 1)

static const char *const elf_errors[ELF_E_COUNT] = {
	[ELF_OK] = "ok",
	[ELF_E_TOO_SMALL] = "file shorter than an ELF header",
	[ELF_E_MAGIC] = "bad ELF magic",
	[ELF_E_CLASS] = "not a 64-bit ELF file",
	[ELF_E_DATA] = "not little-endian",
	[ELF_E_VERSION] = "unknown ELF version",
	[ELF_E_OSABI] = "unsupported OS ABI",
	[ELF_E_MACHINE] = "not an x86_64 file",
	[ELF_E_TYPE] = "neither ET_EXEC nor ET_DYN",
	[ELF_E_HEADER_SIZE] = "bad header or program-header size",
	[ELF_E_PHDRS] = "program headers missing or out of the file",
	[ELF_E_INTERP] = "dynamically linked (PT_INTERP)",
	[ELF_E_NO_LOAD] = "no loadable segment",
	[ELF_E_TOO_MANY] = "too many loadable segments",
	[ELF_E_FILESZ] = "segment p_filesz > p_memsz",
	[ELF_E_SEG_FILE] = "segment data past the end of the file",
	[ELF_E_SEG_WRAP] = "segment address range overflows",
	[ELF_E_SEG_RANGE] = "segment outside user space",
	[ELF_E_ALIGN] = "bad segment alignment",
	[ELF_E_WX] = "writable and executable segment",
	[ELF_E_OVERLAP] = "segments overlap",
	[ELF_E_TOO_BIG] = "image too big",
	[ELF_E_ENTRY] = "entry point not in an executable segment",
	[ELF_E_BASE] = "load base not page-aligned",
};

const char *elf_strerror(int err)
{
	if (err < 0 || err >= ELF_E_COUNT || !elf_errors[err])
		return "unknown ELF error";
	return elf_errors[err];
}

static int check_header(const struct ehdr64 *eh, size_t len)
{
	static const unsigned char magic[4] = {0x7f, 'E', 'L', 'F'};
	if (memcmp(eh->ident, magic, 4))
		return ELF_E_MAGIC;
	if (eh->ident[EI_CLASS] != ELFCLASS64)
		return ELF_E_CLASS;
	if (eh->ident[EI_DATA] != ELFDATA2LSB)
		return ELF_E_DATA;
	if (eh->ident[EI_VERSION] != EV_CURRENT || eh->version != EV_CURRENT)
		return ELF_E_VERSION;
	if (eh->ident[EI_OSABI] != OSABI_SYSV &&
	    eh->ident[EI_OSABI] != OSABI_GNU)
		return ELF_E_OSABI;
	if (eh->machine != EM_X86_64)
		return ELF_E_MACHINE;
	if (eh->type != ET_EXEC && eh->type != ET_DYN)
		return ELF_E_TYPE;
	if (eh->ehsize < sizeof(struct ehdr64) ||
	    eh->phentsize != sizeof(struct phdr64))
		return ELF_E_HEADER_SIZE;
	if (eh->phnum == 0 || eh->phnum == PN_XNUM || eh->phoff == 0 ||
	    (eh->phoff & 7))
		return ELF_E_PHDRS;
	uint64_t ph_bytes = (uint64_t)eh->phnum * sizeof(struct phdr64);
	if (eh->phoff > len || ph_bytes > len - eh->phoff)
		return ELF_E_PHDRS;
	return ELF_OK;
}

static int is_pow2(uint64_t x)
{
	return x && !(x & (x - 1));
}

/* One PT_LOAD with memory: checks and its slot in img. */
static int add_load(struct elf_image *img, const struct phdr64 *ph, size_t len,
		    uint64_t *total)
{
	if (ph->filesz > ph->memsz)
		return ELF_E_FILESZ;
	if (ph->offset > len || ph->filesz > len - ph->offset)
		return ELF_E_SEG_FILE;
	if (ph->align > 1 &&
	    (!is_pow2(ph->align) ||
	     (ph->vaddr & (ph->align - 1)) != (ph->offset & (ph->align - 1))))
		return ELF_E_ALIGN;
	if ((ph->flags & PF_W) && (ph->flags & PF_X))
		return ELF_E_WX;
	uint64_t start, end, map_end;
	if (__builtin_add_overflow(ph->vaddr, img->bias, &start) ||
	    __builtin_add_overflow(start, ph->memsz, &end) ||
	    __builtin_add_overflow(end, PAGE_MASK, &map_end))
		return ELF_E_SEG_WRAP;
	map_end &= ~PAGE_MASK;
	uint64_t map_start = start & ~PAGE_MASK;
	if (map_start < USER_BASE || map_end > USER_TOP)
		return ELF_E_SEG_RANGE;
	if (map_end - map_start > ELF_MAX_IMAGE - *total)
		return ELF_E_TOO_BIG;
	*total += map_end - map_start;
	for (unsigned i = 0; i < img->nsegs; i++)
		if (map_start < img->seg[i].map_end &&
		    img->seg[i].map_start < map_end)
			return ELF_E_OVERLAP;
	if (img->nsegs == ELF_MAX_SEGMENTS)
		return ELF_E_TOO_MANY;
	struct elf_segment *s = &img->seg[img->nsegs++];
	s->vaddr = start;
	s->offset = ph->offset;
	s->filesz = ph->filesz;
	s->memsz = ph->memsz;
	s->map_start = map_start;
	s->map_end = map_end;
	s->prot = VM_PROT_READ | ((ph->flags & PF_W) ? VM_PROT_WRITE : 0) |
		  ((ph->flags & PF_X) ? VM_PROT_EXEC : 0);
	return ELF_OK;
}

int elf_parse(const void *buf, size_t len, uint64_t dyn_base,
	      struct elf_image *img)
{
	struct ehdr64 eh;
	memset(img, 0, sizeof(*img));
	if (!buf || len < sizeof(eh))
		return ELF_E_TOO_SMALL;
	memcpy(&eh, buf, sizeof(eh)); /* buf need not be aligned */
	int err = check_header(&eh, len);
	if (err)
		return err;
	img->type = eh.type;
	if (eh.type == ET_DYN) {
		if (dyn_base & PAGE_MASK)
			return ELF_E_BASE;
		img->bias = dyn_base;
	}

	uint64_t total = 0;
	for (unsigned i = 0; i < eh.phnum; i++) {
		struct phdr64 ph;
		memcpy(&ph, (const char *)buf + eh.phoff + i * sizeof(ph),
		       sizeof(ph));
		if (ph.type == PT_INTERP)
			return ELF_E_INTERP;
		if (ph.type == PT_GNU_STACK) {
			if (ph.flags & PF_X)
				return ELF_E_WX;
			img->stack_size = ph.memsz;
		}
		if (ph.type != PT_LOAD || ph.memsz == 0)
			continue;
		err = add_load(img, &ph, len, &total);
		if (err)
			return err;
	}
	if (img->nsegs == 0)
		return ELF_E_NO_LOAD;

	if (__builtin_add_overflow(eh.entry, img->bias, &img->entry))
		return ELF_E_ENTRY;
	for (unsigned i = 0; i < img->nsegs; i++) {
		const struct elf_segment *s = &img->seg[i];
		if ((s->prot & VM_PROT_EXEC) && img->entry >= s->vaddr &&
		    img->entry - s->vaddr < s->memsz)
			return ELF_OK;
	}
	return ELF_E_ENTRY;
}
