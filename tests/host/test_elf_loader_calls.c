/* elf_load() (libs/runtime/elf_load.c) against a fake kernel: the file is
 * compiled here with EXECRT_EMULATE, so its system calls come to
 * __execrt_emulate() below, which keeps memory objects and mappings in
 * host memory. Checks what lands where, and the clean-up on failure. */
#define EXECRT_EMULATE 1
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "../../libs/runtime/elf_load.c"

#define CHILD 7
#define NVMO  32
#define NMAP  32

static struct {
	unsigned char *mem;
	uint64_t size;
	int open;
} vmo[NVMO];
static struct {
	uint64_t addr, len;
	uint32_t prot;
	int vmo, live;
} map[NMAP];
static int nvmo, nmap, map_calls, fail_map_at;

static void fake_reset(void)
{
	for (int i = 0; i < nvmo; i++)
		free(vmo[i].mem);
	memset(vmo, 0, sizeof(vmo));
	memset(map, 0, sizeof(map));
	nvmo = nmap = map_calls = 0;
	fail_map_at = -1;
}

static int vmo_index(long h)
{
	long i = h - 100;
	return i >= 0 && i < nvmo && vmo[i].open ? (int)i : -1;
}

long __execrt_emulate(long n, long a, long b, long c, long d, long e, long f)
{
	(void)e;
	(void)f;
	int v;
	switch (n) {
	case SYS_VMO_CREATE:
		if (nvmo == NVMO || a <= 0 || a > (64 << 20))
			return ERR_NO_MEMORY;
		vmo[nvmo].mem = calloc(1, (size_t)a);
		vmo[nvmo].size = (uint64_t)a;
		vmo[nvmo].open = 1;
		*(handle_t *)b = (handle_t)(100 + nvmo++);
		return 0;
	case SYS_VMO_WRITE:
		if ((v = vmo_index(a)) < 0)
			return ERR_BAD_HANDLE;
		if ((uint64_t)c > vmo[v].size || (uint64_t)d > vmo[v].size - c)
			return ERR_OUT_OF_RANGE;
		memcpy(vmo[v].mem + c, (const void *)b, (size_t)d);
		return 0;
	case SYS_VM_MAP: {
		const struct vm_map_req *r = (const void *)c;
		if (a != CHILD)
			return ERR_BAD_HANDLE;
		if ((v = vmo_index(b)) < 0)
			return ERR_BAD_HANDLE;
		if (map_calls++ == fail_map_at)
			return ERR_NO_MEMORY;
		if ((r->addr | r->len) & 0xfff || r->len > vmo[v].size ||
		    ((r->prot & VM_PROT_WRITE) && (r->prot & VM_PROT_EXEC)))
			return ERR_INVALID_ARGS;
		map[nmap].addr = r->addr;
		map[nmap].len = r->len;
		map[nmap].prot = r->prot;
		map[nmap].vmo = v;
		map[nmap].live = 1;
		*(uint64_t *)d = r->addr;
		nmap++;
		return 0;
	}
	case SYS_VM_UNMAP:
		for (int i = 0; i < nmap; i++)
			if (map[i].live && map[i].addr == (uint64_t)b &&
			    map[i].len == (uint64_t)c) {
				map[i].live = 0;
				return 0;
			}
		return ERR_NOT_FOUND;
	case SYS_HANDLE_CLOSE:
		if ((v = vmo_index(a)) < 0)
			return ERR_BAD_HANDLE;
		vmo[v].open = 0;
		return 0;
	default:
		return ERR_BAD_SYSCALL;
	}
}

/* The byte at a child address, or -1 when nothing is mapped there. */
static int peek(uint64_t addr)
{
	for (int i = 0; i < nmap; i++)
		if (map[i].live && addr >= map[i].addr &&
		    addr - map[i].addr < map[i].len)
			return vmo[map[i].vmo].mem[addr - map[i].addr];
	return -1;
}

static int live_maps(void)
{
	int n = 0;
	for (int i = 0; i < nmap; i++)
		n += map[i].live;
	return n;
}

static int open_vmos(void)
{
	int n = 0;
	for (int i = 0; i < nvmo; i++)
		n += vmo[i].open;
	return n;
}

/* text RX at 0x400000 (file 0x100..0x180), data RW at 0x402010 (file
 * 0x180..0x190, 0x30 in memory), entry 0x400004. */
static unsigned char file[0x200];

static void make_file(void)
{
	static const uint64_t ph[2][7] = {
		{1 | (5ull << 32), 0x100, 0x400000, 0x400000, 0x80, 0x80, 16},
		{1 | (6ull << 32), 0x180, 0x402010, 0x402010, 0x10, 0x30, 16},
	};
	memset(file, 0, sizeof(file));
	memcpy(file,
	       "\x7f"
	       "ELF\x02\x01\x01",
	       7);
	uint16_t h16[] = {2, 62};
	memcpy(file + 16, h16, 4);
	uint32_t ver = 1;
	memcpy(file + 20, &ver, 4);
	uint64_t entry = 0x400004, phoff = 64;
	memcpy(file + 24, &entry, 8);
	memcpy(file + 32, &phoff, 8);
	uint16_t sizes[] = {64, 56, 2};
	memcpy(file + 52, sizes, 6);
	memcpy(file + 64, ph, sizeof(ph));
	for (int i = 0x100; i < 0x190; i++)
		file[i] = (unsigned char)(i * 7 + 1);
}

static struct start_info si = {
	.magic = START_INFO_MAGIC,
	.nhandles = 3,
	.handles = {11, 12, 13},
};

static struct elf_load_args args(void)
{
	struct elf_load_args a = {.task = CHILD,
				  .image = file,
				  .image_len = sizeof(file),
				  .start_info = &si};
	return a;
}

TEST(elf_load_maps_segments_and_stack)
{
	struct elf_loaded out;
	int perr = -1;
	fake_reset();
	make_file();
	memset(si.cmdline, 'x', sizeof(si.cmdline)); /* unterminated */
	struct elf_load_args a = args();
	CHECK_EQ(elf_load(&a, &out, &perr), 0);
	CHECK_EQ(perr, ELF_OK);
	CHECK_EQ(out.entry, 0x400004);
	CHECK_EQ(live_maps(), 3);
	CHECK_EQ(open_vmos(), 0); /* every vmo handle closed */
	CHECK_EQ(map[0].prot, VM_PROT_READ | VM_PROT_EXEC);
	CHECK_EQ(map[1].prot, VM_PROT_READ | VM_PROT_WRITE);
	CHECK_EQ(map[1].addr, 0x402000);
	CHECK_EQ(peek(0x400000), file[0x100]);
	CHECK_EQ(peek(0x40007f), file[0x17f]);
	CHECK_EQ(peek(0x400080), 0);
	CHECK_EQ(peek(0x402010), file[0x180]);
	CHECK_EQ(peek(0x40201f), file[0x18f]);
	CHECK_EQ(peek(0x402020), 0); /* bss */
	CHECK_EQ(peek(0x402000), 0);
	CHECK_EQ(peek(0x403000), -1);
	/* stack: default size, start_info at the top, cmdline terminated */
	CHECK_EQ(map[2].len, ELF_DEFAULT_STACK_SIZE);
	CHECK_EQ(map[2].prot, VM_PROT_READ | VM_PROT_WRITE);
	CHECK_EQ(out.stack_base, map[2].addr);
	CHECK_EQ(out.stack_top, out.start_info);
	CHECK_EQ(out.stack_top & 15, 0);
	CHECK(out.start_info + sizeof(struct start_info) <=
	      map[2].addr + map[2].len);
	struct start_info got;
	for (size_t i = 0; i < sizeof(got); i++)
		((unsigned char *)&got)[i] =
			(unsigned char)peek(out.start_info + i);
	CHECK_EQ(got.magic, START_INFO_MAGIC);
	CHECK_EQ(got.handles[2], 13);
	CHECK_EQ(got.cmdline[sizeof(got.cmdline) - 1], 0);
	CHECK_EQ(got.cmdline[0], 'x');
	fake_reset();
}

TEST(elf_load_cleans_up_on_failure)
{
	struct elf_loaded out;
	int perr;
	make_file();
	for (int at = 0; at < 3; at++) { /* fail each of the three maps */
		fake_reset();
		fail_map_at = at;
		struct elf_load_args a = args();
		CHECK_EQ(elf_load(&a, &out, &perr), ERR_NO_MEMORY);
		CHECK_EQ(live_maps(), 0);
		CHECK_EQ(open_vmos(), 0);
	}
	fake_reset();
	file[18] = 3; /* EM_386: refused before any system call */
	struct elf_load_args a = args();
	CHECK_EQ(elf_load(&a, &out, &perr), ERR_INVALID_ARGS);
	CHECK_EQ(perr, ELF_E_MACHINE);
	CHECK_EQ(nvmo, 0);
	make_file();
	a.stack_size = ELF_MAX_STACK_SIZE + 1;
	CHECK_EQ(elf_load(&a, &out, &perr), ERR_INVALID_ARGS);
	CHECK_EQ(live_maps(), 0);
	struct start_info bad = {.magic = 1};
	a = args();
	a.start_info = &bad;
	CHECK_EQ(elf_load(&a, &out, &perr), ERR_INVALID_ARGS);
	fake_reset();
}

TEST(elf_load_small_stack_is_whole_pages)
{
	struct elf_loaded out;
	int perr;
	fake_reset();
	make_file();
	struct elf_load_args a = args();
	a.stack_size = 1; /* as a PT_GNU_STACK of a few bytes asks */
	CHECK_EQ(elf_load(&a, &out, &perr), 0);
	CHECK_EQ(live_maps(), 3);
	CHECK_EQ(map[2].len & 0xfff, 0);
	CHECK(map[2].len >= sizeof(struct start_info) + 0x1000);
	CHECK_EQ(out.stack_top & 15, 0);
	fake_reset();
}
