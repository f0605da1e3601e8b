/* In-kernel tests of the live MMIO deny list (kern/mmio.h) on this
 * machine: the kernel's own devices, its image and RAM are refused, a
 * hole (the legacy VGA window) is not. The list's logic is host-tested
 * (tests/host/test_mmio.c). */
#include <execrt/errors.h>
#include <kern/acpi.h>
#include <kern/bootinfo.h>
#include <kern/ktest.h>
#include <kern/lib.h>
#include <kern/mm.h>
#include <kern/mmio.h>

static bool denied_for(uint64_t base, uint64_t size, uint32_t want)
{
	uint32_t why = 0;
	return mmio_check(&mmio_denied, base, size, &why) ==
		       ERR_ACCESS_DENIED &&
	       (!want || why == want);
}

KTEST(mmio_deny_list_covers_kernel_devices_and_ram)
{
	KT_CHECK(!mmio_denied.overflow);
	KT_CHECK(acpi.has_madt);
	KT_CHECK(denied_for(acpi.lapic_addr, PAGE_SIZE, MMIO_DENY_LAPIC));
	KT_CHECK(denied_for(0xfee00000 + 0x1000, PAGE_SIZE, MMIO_DENY_LAPIC));
	KT_CHECK(acpi.nioapics >= 1);
	for (size_t i = 0; i < acpi.nioapics; i++)
		KT_CHECK(denied_for(ALIGN_DOWN(acpi.ioapics[i].addr, PAGE_SIZE),
				    PAGE_SIZE, MMIO_DENY_IOAPIC));
	KT_CHECK(acpi.has_hpet);
	KT_CHECK(denied_for(ALIGN_DOWN(acpi.hpet_addr, PAGE_SIZE), PAGE_SIZE,
			    MMIO_DENY_HPET));
	/* q35 has an MCFG (pc does not: then there is nothing to refuse). */
	for (size_t i = 0; i < acpi.necam; i++) {
		uint64_t lo, size;
		acpi_mcfg_window(&acpi.ecam[i], &lo, &size);
		KT_CHECK(denied_for(lo, PAGE_SIZE, MMIO_DENY_ECAM));
		KT_CHECK(denied_for(lo + size - PAGE_SIZE, PAGE_SIZE,
				    MMIO_DENY_ECAM));
	}
	const struct boot_info *bi = &boot_info;
	KT_CHECK(bi->kernel_end > bi->kernel_start);
	KT_CHECK(denied_for(ALIGN_DOWN(bi->kernel_start, PAGE_SIZE), PAGE_SIZE,
			    0));
	KT_CHECK(denied_for(ALIGN_DOWN(bi->kernel_end - 1, PAGE_SIZE),
			    PAGE_SIZE, 0));
	unsigned ram = 0;
	for (size_t i = 0; i < bi->nmem; i++) {
		const struct mem_region *r = &bi->mem[i];
		if (r->type == MEM_RESERVED || r->len < PAGE_SIZE)
			continue;
		ram++;
		KT_CHECK(denied_for(ALIGN_DOWN(r->base, PAGE_SIZE), PAGE_SIZE,
				    0));
		KT_CHECK(denied_for(ALIGN_DOWN(r->base + r->len - 1, PAGE_SIZE),
				    PAGE_SIZE, 0));
	}
	KT_CHECK(ram >= 1);
	KT_CHECK_EQ(mmio_check(&mmio_denied, 0xa0000, 0x20000, NULL), 0);
}
