/* The ELF loader: elf_parse() (libs/runtime/elf_parse.c) on arbitrary
 * bytes, then elf_load() (libs/runtime/elf_load.c, compiled here with
 * EXECRT_EMULATE as in tests/host/test_elf_loader_calls.c) against a fake
 * kernel keeping memory objects and mappings in host memory. Checked: what
 * the parser accepts keeps its promises (segments inside the file and user
 * space, page-aligned, no shared page, no W+X, entry in code, the size
 * bound); the loader maps exactly those bytes and zeros, puts start_info at
 * the top of the stack, and leaves nothing mapped or open when a system
 * call fails (one run fails a map or a create on purpose). */
#define EXECRT_EMULATE 1
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../../libs/runtime/elf_load.c"

#define CHILD	   7
#define NVMO	   (ELF_MAX_SEGMENTS + 2)
#define VMO_BUDGET (1u << 20) /* bytes the fake kernel lends in one load */
#define PG	   PAGE_SIZE_USER

static struct {
	unsigned char *mem;
	uint64_t size;
	int open;
} vmo[NVMO];
static struct {
	uint64_t addr, len;
	uint32_t prot;
	int vmo, live;
} map[NVMO];
static int nvmo, nmap, calls, fail_at;
static uint64_t lent;

static void fail(const char *what, unsigned long long a)
{
	fprintf(stderr, "elf fuzz: %s (%#llx)\n", what, a);
	abort();
}
#define CHECK(c, v)                                                            \
	do {                                                                   \
		if (!(c))                                                      \
			fail(#c, (unsigned long long)(v));                     \
	} while (0)

static void fake_reset(int fail_call)
{
	for (int i = 0; i < nvmo; i++)
		free(vmo[i].mem);
	memset(vmo, 0, sizeof(vmo));
	memset(map, 0, sizeof(map));
	nvmo = nmap = calls = 0;
	lent = 0;
	fail_at = fail_call;
}

static int vmo_index(long h)
{
	long i = h - 100;
	return i >= 0 && i < nvmo && vmo[i].open ? (int)i : -1;
}

static bool overlaps(uint64_t a, uint64_t len)
{
	for (int i = 0; i < nmap; i++)
		if (map[i].live && a < map[i].addr + map[i].len &&
		    map[i].addr < a + len)
			return true;
	return false;
}

long __execrt_emulate(long n, long a, long b, long c, long d, long e, long f)
{
	(void)e;
	(void)f;
	int v;
	switch (n) {
	case SYS_VMO_CREATE:
		CHECK(a > 0 && (a & (PG - 1)) == 0, a);
		if (calls++ == fail_at || nvmo == NVMO ||
		    (uint64_t)a > VMO_BUDGET - lent)
			return ERR_NO_MEMORY;
		lent += (uint64_t)a;
		vmo[nvmo].mem = calloc(1, (size_t)a);
		vmo[nvmo].size = (uint64_t)a;
		vmo[nvmo].open = 1;
		*(handle_t *)b = (handle_t)(100 + nvmo++);
		return 0;
	case SYS_VMO_WRITE:
		v = vmo_index(a);
		CHECK(v >= 0, a);
		CHECK((uint64_t)c <= vmo[v].size &&
			      (uint64_t)d <= vmo[v].size - c,
		      c);
		memcpy(vmo[v].mem + c, (const void *)b, (size_t)d);
		return 0;
	case SYS_VM_MAP: {
		const struct vm_map_req *r = (const void *)c;
		CHECK(a == CHILD, a);
		v = vmo_index(b);
		CHECK(v >= 0, b);
		CHECK(!((r->addr | r->len) & (PG - 1)) && r->len &&
			      r->len <= vmo[v].size,
		      r->len);
		CHECK(!((r->prot & VM_PROT_WRITE) && (r->prot & VM_PROT_EXEC)),
		      r->prot);
		if (calls++ == fail_at)
			return ERR_NO_MEMORY;
		uint64_t at = r->addr;
		if (r->flags & VM_MAP_FIXED) {
			/* parse promised segments in user space, apart */
			CHECK(at >= USER_BASE && at < USER_TOP &&
				      r->len <= USER_TOP - at,
			      at);
			CHECK(!overlaps(at, r->len), at);
		} else {
			while (at >= USER_BASE + r->len && overlaps(at, r->len))
				at -= r->len;
			if (at < USER_BASE || overlaps(at, r->len))
				return ERR_NO_MEMORY;
		}
		map[nmap].addr = at;
		map[nmap].len = r->len;
		map[nmap].prot = r->prot;
		map[nmap].vmo = v;
		map[nmap].live = 1;
		*(uint64_t *)d = at;
		nmap++;
		return 0;
	}
	case SYS_VM_UNMAP:
		CHECK(a == CHILD, a);
		for (int i = 0; i < nmap; i++)
			if (map[i].live && map[i].addr == (uint64_t)b &&
			    map[i].len == (uint64_t)c) {
				map[i].live = 0;
				return 0;
			}
		fail("unmap of something not mapped", (uint64_t)b);
		return ERR_NOT_FOUND;
	case SYS_HANDLE_CLOSE:
		v = vmo_index(a);
		CHECK(v >= 0, a);
		vmo[v].open = 0;
		return 0;
	default:
		fail("unexpected system call", (uint64_t)n);
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

/* The memory behind the live mapping of exactly [start, end) with prot. */
static const unsigned char *mapped_at(uint64_t start, uint64_t end,
				      uint32_t prot)
{
	for (int i = 0; i < nmap; i++)
		if (map[i].live && map[i].addr == start &&
		    map[i].len == end - start && map[i].prot == prot)
			return vmo[map[i].vmo].mem;
	fail("segment not mapped as parsed", start);
	return NULL;
}

static void check_image(const struct elf_image *img, size_t size, uint64_t base)
{
	CHECK(img->type == 2 || img->type == 3, img->type);
	CHECK(img->nsegs >= 1 && img->nsegs <= ELF_MAX_SEGMENTS, img->nsegs);
	CHECK(img->type == 3 ? img->bias == base : img->bias == 0, img->bias);
	uint64_t total = 0;
	bool entry_ok = false;
	for (unsigned i = 0; i < img->nsegs; i++) {
		const struct elf_segment *s = &img->seg[i];
		CHECK(s->filesz <= s->memsz && s->memsz > 0, s->memsz);
		CHECK(s->offset <= size && s->filesz <= size - s->offset,
		      s->offset);
		CHECK(!(s->map_start & (PG - 1)) && !(s->map_end & (PG - 1)),
		      s->map_start);
		CHECK(s->map_start >= USER_BASE && s->map_end <= USER_TOP,
		      s->map_start);
		CHECK(s->map_start <= s->vaddr && s->vaddr < s->map_end &&
			      s->memsz <= s->map_end - s->vaddr,
		      s->vaddr);
		CHECK(s->map_end - s->map_start < s->memsz + 2 * PG,
		      s->map_end);
		CHECK(s->prot & VM_PROT_READ, s->prot);
		CHECK(!((s->prot & VM_PROT_WRITE) && (s->prot & VM_PROT_EXEC)),
		      s->prot);
		for (unsigned j = 0; j < i; j++)
			CHECK(s->map_end <= img->seg[j].map_start ||
				      img->seg[j].map_end <= s->map_start,
			      s->map_start);
		total += s->map_end - s->map_start;
		if ((s->prot & VM_PROT_EXEC) && img->entry >= s->vaddr &&
		    img->entry - s->vaddr < s->memsz)
			entry_ok = true;
	}
	CHECK(total <= ELF_MAX_IMAGE, total);
	CHECK(entry_ok, img->entry);
}

static void check_clean(void)
{
	for (int i = 0; i < nmap; i++)
		CHECK(!map[i].live, map[i].addr);
	for (int i = 0; i < nvmo; i++)
		CHECK(!vmo[i].open, i);
}

static struct start_info si = {
	.magic = START_INFO_MAGIC,
	.nhandles = 2,
	.handles = {11, 12},
};

static void check_loaded(const uint8_t *file, const struct elf_image *img,
			 const struct elf_loaded *out)
{
	for (int i = 0; i < nvmo; i++)
		CHECK(!vmo[i].open, i); /* the mappings hold them */
	for (unsigned i = 0; i < img->nsegs; i++) {
		const struct elf_segment *s = &img->seg[i];
		const unsigned char *mem =
			mapped_at(s->map_start, s->map_end, s->prot);
		uint64_t head = s->vaddr - s->map_start,
			 len = s->map_end - s->map_start;
		for (uint64_t k = 0; k < len; k++) {
			if (k == head && s->filesz) {
				CHECK(!memcmp(mem + k, file + s->offset,
					      s->filesz),
				      s->vaddr);
				k += s->filesz - 1;
				continue;
			}
			CHECK(mem[k] == 0, s->map_start + k);
		}
	}
	CHECK(out->entry == img->entry, out->entry);
	CHECK(!(out->stack_top & 15), out->stack_top);
	struct start_info got;
	for (size_t i = 0; i < sizeof(got); i++) {
		int b = peek(out->start_info + i);
		CHECK(b >= 0, out->start_info + i);
		((unsigned char *)&got)[i] = (unsigned char)b;
	}
	CHECK(got.magic == START_INFO_MAGIC && got.handles[1] == 12, got.magic);
	CHECK(got.cmdline[sizeof(got.cmdline) - 1] == 0, 0);
	CHECK(peek(out->stack_base) == 0, out->stack_base);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct elf_image img;
	/* ET_DYN images also at an odd and at a high base */
	static const uint64_t bases[] = {ELF_DEFAULT_DYN_BASE,
					 0x7ffe00000000ull, 0x400800};
	for (unsigned b = 0; b < 3; b++) {
		int err = elf_parse(data, size, bases[b], &img);
		CHECK(err >= 0 && err < ELF_E_COUNT, err);
		CHECK(elf_strerror(err) != NULL, err);
		if (err == ELF_OK)
			check_image(&img, size, bases[b]);
		if (b == 2)
			CHECK(err != ELF_OK || img.type == 2, err);
	}
	memset(si.cmdline, 'x', sizeof(si.cmdline)); /* unterminated */

	/* A full load, then one with a system call failing: a create or a
	 * map chosen by the input's length. */
	for (int pass = 0; pass < 2; pass++) {
		int perr = -1;
		struct elf_loaded out;
		struct elf_load_args a = {.task = CHILD,
					  .image = data,
					  .image_len = size,
					  .start_info = &si};
		fake_reset(pass ? (int)(size % 7) : -1);
		long r = elf_load(&a, &out, &perr);
		int err = elf_parse(data, size, ELF_DEFAULT_DYN_BASE, &img);
		CHECK(perr == err, perr);
		if (err) {
			CHECK(r == ERR_INVALID_ARGS && nvmo == 0, r);
		} else if (r == 0) {
			CHECK(pass == 0 || calls <= fail_at, calls);
			check_loaded(data, &img, &out);
		} else {
			check_clean();
		}
		fake_reset(-1);
		if (err)
			break;
	}
	return 0;
}
