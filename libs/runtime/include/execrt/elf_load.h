/* User-space ELF64 loader. elf_parse() validates a static x86_64 ELF image
 * held in memory and describes its loadable segments without any system
 * call (host-tested); elf_load() puts a parsed image into a child task. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include <execrt/syscall.h>
#include <execrt/types.h>

#define ELF_MAX_SEGMENTS 16
#define ELF_MAX_IMAGE	 (1ull << 30) /* sum of the mapped segment sizes */

enum elf_error {
	ELF_OK = 0,
	ELF_E_TOO_SMALL,   /* shorter than an ELF header */
	ELF_E_MAGIC,	   /* no \x7fELF */
	ELF_E_CLASS,	   /* not ELFCLASS64 */
	ELF_E_DATA,	   /* not little-endian */
	ELF_E_VERSION,	   /* e_ident or e_version not EV_CURRENT */
	ELF_E_OSABI,	   /* neither System V nor GNU/Linux */
	ELF_E_MACHINE,	   /* not EM_X86_64 */
	ELF_E_TYPE,	   /* neither ET_EXEC nor ET_DYN */
	ELF_E_HEADER_SIZE, /* e_ehsize or e_phentsize wrong */
	ELF_E_PHDRS,	   /* program headers absent, misaligned or past
			      the end of the file */
	ELF_E_INTERP,	   /* needs a dynamic linker (PT_INTERP) */
	ELF_E_NO_LOAD,	   /* no PT_LOAD segment with memory */
	ELF_E_TOO_MANY,	   /* more than ELF_MAX_SEGMENTS PT_LOADs */
	ELF_E_FILESZ,	   /* p_filesz > p_memsz */
	ELF_E_SEG_FILE,	   /* segment data past the end of the file */
	ELF_E_SEG_WRAP,	   /* address + size overflows */
	ELF_E_SEG_RANGE,   /* segment outside [USER_BASE, USER_TOP) */
	ELF_E_ALIGN,	   /* p_align not a power of two, or vaddr and
			      offset disagree modulo p_align */
	ELF_E_WX,	   /* writable and executable (or executable
			      stack) */
	ELF_E_OVERLAP,	   /* two segments share a page */
	ELF_E_TOO_BIG,	   /* more than ELF_MAX_IMAGE bytes */
	ELF_E_ENTRY,	   /* entry point not in an executable segment */
	ELF_E_BASE,	   /* load base for ET_DYN not page-aligned */
	ELF_E_COUNT
};

const char *elf_strerror(int err);

struct elf_segment {
	uint64_t vaddr;	 /* where the segment starts (bias applied) */
	uint64_t offset; /* of its data in the file */
	uint64_t filesz; /* bytes from the file; the rest up to memsz is 0 */
	uint64_t memsz;
	uint64_t map_start; /* page-aligned: the mapping [map_start, map_end) */
	uint64_t map_end;
	uint32_t prot; /* VM_PROT_*: READ always, WRITE or EXEC */
};

struct elf_image {
	uint64_t entry;	     /* bias applied */
	uint64_t bias;	     /* 0 for ET_EXEC, the load base for ET_DYN */
	uint64_t stack_size; /* PT_GNU_STACK p_memsz, 0 if none given */
	uint16_t type;	     /* 2 = ET_EXEC, 3 = ET_DYN */
	unsigned nsegs;
	struct elf_segment seg[ELF_MAX_SEGMENTS];
};

/* Validate buf[0, len) and fill *img. dyn_base: where an ET_DYN image is
 * placed (page-aligned; ignored for ET_EXEC). Returns ELF_OK or an
 * ELF_E_* code; *img is only meaningful on ELF_OK. */
int elf_parse(const void *buf, size_t len, uint64_t dyn_base,
	      struct elf_image *img);

/* Loading into a child task (elf_load.c, system calls). The caller has made
 * the task, moved the handles the child gets into it and filled
 * start_info.handles with their values there; the block is copied to the
 * top of the new stack. Then it starts the child with
 *   SYS_THREAD_CREATE(task, ...) and
 *   SYS_THREAD_START(thread, out.entry, out.stack_top, out.start_info). */
struct elf_load_args {
	handle_t task;	   /* the child [MANAGE] */
	const void *image; /* the ELF file in memory */
	size_t image_len;
	uint64_t dyn_base;   /* 0: ELF_DEFAULT_DYN_BASE */
	uint64_t stack_size; /* 0: PT_GNU_STACK or the default */
	const struct start_info *start_info;
};

struct elf_loaded {
	uint64_t entry;
	uint64_t stack_top;  /* initial rsp, 16-byte aligned */
	uint64_t start_info; /* its address in the child (the rdi argument) */
	uint64_t stack_base; /* lowest address of the stack mapping */
};

#define ELF_DEFAULT_DYN_BASE   0x400000ull
#define ELF_DEFAULT_STACK_SIZE (256ull << 10)
#define ELF_MAX_STACK_SIZE     (64ull << 20)
#define ELF_STACK_HINT	       0x00007fff00000000ull

/* Returns 0, a negative ERR_* of a failed system call, or ERR_INVALID_ARGS
 * with *parse_err set to the ELF_E_* code of a refused image. On failure
 * what was mapped into the child is unmapped again. */
long elf_load(const struct elf_load_args *args, struct elf_loaded *out,
	      int *parse_err);
