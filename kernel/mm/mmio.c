/* The MMIO deny list (kern/mmio.h). What is refused and why:
 *  - RAM of every kind in the boot memory map (usable, ACPI reclaimable,
 *    ACPI NVS, bad): a mapping would bypass the frame allocator and reach
 *    other tasks' memory, page tables or firmware data. Reserved regions
 *    and holes stay mappable: that is where BARs and framebuffers live.
 *    The boot framebuffer is cut out of RAM regions that contain it (some
 *    firmware reports it so); the frame allocator never hands it out.
 *  - the kernel image (also excluded from the allocator on its own);
 *  - the devices the kernel drives itself: the LAPIC page, and the whole
 *    MSI address window 0xfee00000-0xfeefffff (a store there is an
 *    interrupt message), each IOAPIC page, the HPET page;
 *  - every ECAM window of the MCFG: configuration space is handed out per
 *    function by the PCI calls, never as memory.
 * Ranges are widened outward to pages, so a page shared with a denied
 * range is denied too. */
#include <execrt/errors.h>
#include <kern/lib.h>
#include <kern/mm.h>
#include <kern/mmio.h>

#define MSI_WINDOW_BASE 0xfee00000ull
#define MSI_WINDOW_SIZE 0x100000ull
#define PHYS_TOP	(1ull << 52)

struct mmio_denylist mmio_denied;

void mmio_deny_add(struct mmio_denylist *l, uint64_t base, uint64_t size,
		   uint32_t why)
{
	if (!size)
		return;
	uint64_t end = base + size < base ? PHYS_TOP : base + size;
	base = ALIGN_DOWN(base, PAGE_SIZE);
	end = end > PHYS_TOP - PAGE_SIZE ? PHYS_TOP : ALIGN_UP(end, PAGE_SIZE);
	if (l->n == MMIO_DENY_MAX) {
		l->overflow = true;
		return;
	}
	l->r[l->n++] = (struct mmio_deny){base, end, why};
}

static bool is_ram(uint32_t type)
{
	return type != MEM_RESERVED; /* usable, ACPI, NVS, bad, unknown */
}

void mmio_deny_boot(struct mmio_denylist *l, const struct boot_info *bi)
{
	uint64_t fb = 0, fb_end = 0;
	if (bi->has_fb) {
		fb = ALIGN_DOWN(bi->fb.addr, PAGE_SIZE);
		fb_end = ALIGN_UP(bi->fb.addr + (uint64_t)bi->fb.pitch *
							bi->fb.height,
				  PAGE_SIZE);
	}
	for (size_t i = 0; i < bi->nmem; i++) {
		const struct mem_region *r = &bi->mem[i];
		if (!is_ram(r->type) || !r->len)
			continue;
		uint64_t lo = r->base, hi = r->base + r->len;
		if (hi < lo)
			hi = PHYS_TOP;
		if (fb_end > fb && fb < hi && fb_end > lo) {
			/* The parts before and after the framebuffer. */
			if (lo < fb)
				mmio_deny_add(l, lo, fb - lo, MMIO_DENY_RAM);
			if (fb_end < hi)
				mmio_deny_add(l, fb_end, hi - fb_end,
					      MMIO_DENY_RAM);
			continue;
		}
		mmio_deny_add(l, lo, hi - lo, MMIO_DENY_RAM);
	}
	if (bi->kernel_end > bi->kernel_start)
		mmio_deny_add(l, bi->kernel_start,
			      bi->kernel_end - bi->kernel_start,
			      MMIO_DENY_KERNEL);
}

void mmio_deny_acpi(struct mmio_denylist *l, const struct acpi_info *ai)
{
	mmio_deny_add(l, MSI_WINDOW_BASE, MSI_WINDOW_SIZE, MMIO_DENY_LAPIC);
	if (ai->lapic_addr)
		mmio_deny_add(l, ai->lapic_addr, PAGE_SIZE, MMIO_DENY_LAPIC);
	for (size_t i = 0; i < ai->nioapics; i++)
		mmio_deny_add(l, ai->ioapics[i].addr, PAGE_SIZE,
			      MMIO_DENY_IOAPIC);
	if (ai->has_hpet)
		mmio_deny_add(l, ai->hpet_addr, PAGE_SIZE, MMIO_DENY_HPET);
	for (size_t i = 0; i < ai->necam; i++) {
		uint64_t lo, size;
		acpi_mcfg_window(&ai->ecam[i], &lo, &size);
		mmio_deny_add(l, lo, size, MMIO_DENY_ECAM);
	}
}

int mmio_check(const struct mmio_denylist *l, uint64_t base, uint64_t size,
	       uint32_t *why)
{
	uint64_t end = base + size;
	for (size_t i = 0; i < l->n; i++) {
		const struct mmio_deny *d = &l->r[i];
		if (base < d->end && end > d->base) {
			if (why)
				*why = d->why;
			return ERR_ACCESS_DENIED;
		}
	}
	if (l->overflow) {
		if (why)
			*why = 0;
		return ERR_ACCESS_DENIED;
	}
	return 0;
}
