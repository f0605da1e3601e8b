/* Multiboot2 information -> struct boot_info. The loader's structure is
 * read once here; pointers inside it are physical. Tags are bounds-checked
 * against the total size so a corrupt structure cannot make us overread. */
#include <kern/bootinfo.h>
#include <kern/lib.h>
#include <kern/log.h>
#include <kern/mm.h>

enum {
	MB2_TAG_END = 0,
	MB2_TAG_CMDLINE = 1,
	MB2_TAG_MODULE = 3,
	MB2_TAG_MMAP = 6,
	MB2_TAG_FRAMEBUFFER = 8,
	MB2_TAG_EFI64 = 12,
	MB2_TAG_ACPI_OLD = 14,
	MB2_TAG_ACPI_NEW = 15,
	MB2_TAG_EFI_MMAP = 17,
};

struct mb2_tag {
	uint32_t type, size;
};

static void copy_str(char *dst, size_t dlen, const char *src, size_t max)
{
	size_t n = strnlen(src, max);
	n = MIN(n, dlen - 1);
	memcpy(dst, src, n);
	dst[n] = 0;
}

int multiboot2_parse(struct boot_info *bi, const void *mbi)
{
	const uint8_t *base = mbi;
	uint32_t total;
	memcpy(&total, base, 4);
	if (total < 16 || total > MiB(1))
		return -1;
	bi->protocol = "multiboot2";

	for (uint32_t off = 8; off + 8 <= total;) {
		struct mb2_tag tag;
		memcpy(&tag, base + off, sizeof(tag));
		if (tag.type == MB2_TAG_END)
			break;
		if (tag.size < 8 || tag.size > total - off)
			return -1;
		const uint8_t *p = base + off + 8;
		uint32_t plen = tag.size - 8;

		switch (tag.type) {
		case MB2_TAG_CMDLINE:
			bootinfo_set_cmdline(bi, (const char *)p, plen);
			break;
		case MB2_TAG_MODULE: {
			uint32_t start, end;
			if (plen < 8)
				return -1;
			memcpy(&start, p, 4);
			memcpy(&end, p + 4, 4);
			char name[64];
			copy_str(name, sizeof(name), (const char *)p + 8,
				 plen - 8);
			if (end >= start)
				bootinfo_add_module(bi, start, end - start, name);
			break;
		}
		case MB2_TAG_MMAP: {
			uint32_t esize;
			if (plen < 8)
				return -1;
			memcpy(&esize, p, 4);
			if (esize < 24)
				return -1;
			/* esize <= plen - e: e + esize could wrap */
			for (uint32_t e = 8; e <= plen && esize <= plen - e;
			     e += esize) {
				uint64_t b, l;
				uint32_t t;
				memcpy(&b, p + e, 8);
				memcpy(&l, p + e + 8, 8);
				memcpy(&t, p + e + 16, 4);
				bootinfo_add_mem(bi, b, l, t);
			}
			break;
		}
		case MB2_TAG_FRAMEBUFFER: {
			uint8_t fbtype;
			if (plen < 24)
				break;
			memcpy(&fbtype, p + 21, 1);
			if (fbtype != 1 || plen < 30)
				break; /* only direct RGB is useful to us */
			struct boot_fb *fb = &bi->fb;
			memcpy(&fb->addr, p, 8);
			memcpy(&fb->pitch, p + 8, 4);
			memcpy(&fb->width, p + 12, 4);
			memcpy(&fb->height, p + 16, 4);
			fb->bpp = p[20];
			fb->red_pos = p[24];
			fb->red_size = p[25];
			fb->green_pos = p[26];
			fb->green_size = p[27];
			fb->blue_pos = p[28];
			fb->blue_size = p[29];
			bi->has_fb = true;
			break;
		}
		case MB2_TAG_EFI64:
		case MB2_TAG_EFI_MMAP:
			bi->uefi = true;
			break;
		case MB2_TAG_ACPI_OLD:
		case MB2_TAG_ACPI_NEW:
			/* The tag holds a copy of the RSDP, not its address;
			 * keep the copy (v2 preferred over v1). */
			if (tag.type == MB2_TAG_ACPI_OLD && bi->rsdp_copy_len)
				break;
			bi->rsdp_copy_len = MIN(plen, sizeof(bi->rsdp_copy));
			memcpy(bi->rsdp_copy, p, bi->rsdp_copy_len);
			break;
		default:
			break;
		}
		off += ALIGN_UP(tag.size, 8u);
	}
	return 0;
}
