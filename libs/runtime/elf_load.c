/* Loading a parsed ELF image into a child task: one memory object per
 * segment (filled with SYS_VMO_WRITE, mapped with the segment's rights),
 * and a stack object with the start_info block at its top. */
#include <string.h>

#include <execrt/elf_load.h>
#include <execrt/sys.h>

struct mapped {
	uint64_t addr, len;
};

static void unmap_all(handle_t task, const struct mapped *m, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		sys_vm_unmap(task, m[i].addr, m[i].len);
}

/* A fresh memory object of len bytes with data at offset, mapped into the
 * task (at addr exactly when fixed). */
static long map_object(handle_t task, uint64_t len, const void *data,
		       uint64_t offset, uint64_t data_len, uint64_t addr,
		       uint32_t prot, int fixed, uint64_t *out_addr)
{
	handle_t vmo = HANDLE_INVALID;
	long r = sys_vmo_create(len, &vmo);
	if (r < 0)
		return r;
	if (data_len)
		r = sys_vmo_write(vmo, data, offset, data_len);
	if (r >= 0) {
		struct vm_map_req req = {
			.addr = addr,
			.len = len,
			.offset = 0,
			.prot = prot,
			.flags = fixed ? VM_MAP_FIXED : 0,
		};
		r = sys_vm_map(task, vmo, &req, out_addr);
	}
	/* The mapping holds the object; this handle is not needed. */
	sys_handle_close(vmo);
	return r < 0 ? r : 0;
}

long elf_load(const struct elf_load_args *a, struct elf_loaded *out,
	      int *parse_err)
{
	struct elf_image img;
	struct mapped done[ELF_MAX_SEGMENTS + 1];
	unsigned ndone = 0;

	*parse_err = ELF_OK;
	if (!a->start_info || a->start_info->magic != START_INFO_MAGIC)
		return ERR_INVALID_ARGS;
	int err = elf_parse(a->image, a->image_len,
			    a->dyn_base ? a->dyn_base : ELF_DEFAULT_DYN_BASE,
			    &img);
	if (err) {
		*parse_err = err;
		return ERR_INVALID_ARGS;
	}

	long r = 0;
	for (unsigned i = 0; i < img.nsegs; i++) {
		const struct elf_segment *s = &img.seg[i];
		uint64_t len = s->map_end - s->map_start, got = 0;
		r = map_object(a->task, len, (const char *)a->image + s->offset,
			       s->vaddr - s->map_start, s->filesz, s->map_start,
			       s->prot, 1, &got);
		if (r < 0)
			goto fail;
		done[ndone++] = (struct mapped){s->map_start, len};
	}

	uint64_t ssize = a->stack_size	  ? a->stack_size
			 : img.stack_size ? img.stack_size
					  : ELF_DEFAULT_STACK_SIZE;
	if (ssize > ELF_MAX_STACK_SIZE) {
		r = ERR_INVALID_ARGS;
		goto fail;
	}
	ssize = (ssize + PAGE_SIZE_USER - 1) & ~(PAGE_SIZE_USER - 1);
	uint64_t si_size = (sizeof(struct start_info) + 63) & ~63ull;
	/* At least a page below the block; whole pages (a small PT_GNU_STACK
	 * must not make an unaligned object). */
	if (ssize < si_size + PAGE_SIZE_USER)
		ssize = (si_size + 2 * PAGE_SIZE_USER - 1) &
			~(PAGE_SIZE_USER - 1);
	/* The block as the child will read it: cmdline always terminated. */
	struct start_info si;
	memcpy(&si, a->start_info, sizeof(si));
	si.cmdline[sizeof(si.cmdline) - 1] = 0;
	uint64_t base = 0;
	r = map_object(a->task, ssize, &si, ssize - si_size, sizeof(si),
		       ELF_STACK_HINT - ssize, VM_PROT_READ | VM_PROT_WRITE, 0,
		       &base);
	if (r < 0)
		goto fail;
	out->entry = img.entry;
	out->stack_base = base;
	out->start_info = base + ssize - si_size;
	out->stack_top = out->start_info; /* 64-byte aligned */
	return 0;
fail:
	unmap_all(a->task, done, ndone);
	return r;
}
