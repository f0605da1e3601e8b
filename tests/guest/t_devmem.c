/* Device memory (docs/devices.md "Kernel: MMIO and DMA"): memory objects
 * over a physical MMIO range made with SYS_VMO_CREATE_PHYS from the MMIO
 * authority, mapped uncached or write-combining; what is refused (RAM, the
 * kernel image, LAPIC and the MSI window, IOAPICs, HPET, the ECAM window,
 * ranges outside the authority, bad arguments); the rights of the handle;
 * and the ACPI tables object (START_H_ACPI). The range mapped is the first
 * pages of a display BAR (QEMU's std VGA framebuffer on q35). Multiple
 * mappings, task death and a race on two CPUs are in t_devmem_race.c. */
#include <stdlib.h>
#include <string.h>

#include "devmem.h"
#include "gtest.h"
#include "gutil.h"

static uint32_t cfg_read(uint32_t dev, uint32_t off)
{
	uint32_t v = 0xffffffffu;
	sys_pci_cfg_read(execrt_handle(START_H_PCI), PCI_BDF(0, dev, 0), off, 4,
			 &v);
	return v;
}

uint64_t dm_display_bar(void)
{
	for (uint32_t dev = 0; dev < 32; dev++) {
		uint32_t id = cfg_read(dev, 0);
		if ((id & 0xffff) == 0xffff)
			continue;
		uint32_t cls = cfg_read(dev, 8) >> 24;
		uint32_t cmd = cfg_read(dev, 4) & 0xffff;
		uint32_t bar = cfg_read(dev, 0x10);
		/* Display class, memory decoding on, BAR 0 in memory. */
		if (cls != 0x03 || !(cmd & 2) || (bar & 1))
			continue;
		uint64_t base = bar & ~0xfull;
		if ((bar & 6) == 4) /* 64-bit */
			base |= (uint64_t)cfg_read(dev, 0x14) << 32;
		if (base)
			return base;
	}
	return 0;
}

static char bi_text[8192];

const char *dm_bootinfo(void)
{
	handle_t bi = execrt_handle(START_H_BOOTINFO);
	uint64_t size = 0;
	if (sys_vmo_get_size(bi, &size) < 0)
		return NULL;
	if (size > sizeof(bi_text) - 1)
		size = sizeof(bi_text) - 1;
	memset(bi_text, 0, sizeof(bi_text));
	return sys_vmo_read(bi, bi_text, 0, size) < 0 ? NULL : bi_text;
}

const char *dm_line(const char *text, const char *key)
{
	size_t kl = strlen(key);
	for (const char *p = text; p && *p;) {
		if (!strncmp(p, key, kl) && p[kl] == ' ')
			return p + kl + 1;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return NULL;
}

static uint8_t acpi_buf[256 << 10];

const uint8_t *dm_acpi(uint64_t *len)
{
	handle_t h = execrt_handle(START_H_ACPI);
	if (!h || sys_vmo_get_size(h, len) < 0 || *len > sizeof(acpi_buf))
		return NULL;
	return sys_vmo_read(h, acpi_buf, 0, *len) < 0 ? NULL : acpi_buf;
}

uint64_t dm_le(const uint8_t *p, int n)
{
	uint64_t v = 0;
	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

const uint8_t *dm_acpi_table(const uint8_t *t, uint64_t len, const char *sig)
{
	for (uint64_t off = 0; off + 36 <= len;) {
		uint32_t l = (uint32_t)dm_le(t + off + 4, 4);
		if (l < 36 || l > len - off)
			return NULL;
		if (!memcmp(t + off, sig, 4))
			return t + off;
		off += l;
	}
	return NULL;
}

static handle_t mmio(void)
{
	return execrt_handle(START_H_MMIO);
}

static long map(handle_t v, uint64_t len, uint32_t prot, uint64_t *addr)
{
	struct vm_map_req req = {.len = len, .prot = prot};
	return sys_vm_map(g_self(), v, &req, addr);
}

#define RW (VM_PROT_READ | VM_PROT_WRITE)

GTEST(devmem_bar_maps_uc_and_wc_onto_the_same_memory)
{
	gtest_allow_growth(); /* page tables of this task */
	uint64_t bar = dm_display_bar();
	GCHECK(bar);
	struct kernel_stats s0, s1;
	GCHECK_OK(g_stats(&s0));
	handle_t uc, wc;
	GCHECK_OK(
		sys_vmo_create_phys(mmio(), bar, 2 * PAGE, VMO_CACHE_UC, &uc));
	GCHECK_OK(
		sys_vmo_create_phys(mmio(), bar, 2 * PAGE, VMO_CACHE_WC, &wc));
	GCHECK_OK(g_stats(&s1));
	/* Headers only: no frame behind either object. */
	GCHECK_EQ(s1.kobjects_live, s0.kobjects_live + 2);
	GCHECK(s1.frames_free + s1.frames_slab + 1 >=
	       s0.frames_free + s0.frames_slab);
	struct handle_info hi;
	GCHECK_OK(sys_handle_info(uc, &hi));
	GCHECK_EQ(hi.type, OBJ_VMO);
	GCHECK_EQ(hi.rights, RIGHTS_MMIO_VMO);
	uint64_t size = 0;
	GCHECK_OK(sys_vmo_get_size(wc, &size));
	GCHECK_EQ(size, 2 * PAGE);
	uint64_t a = 0, b = 0;
	GCHECK_OK(map(uc, 2 * PAGE, RW, &a));
	GCHECK_OK(map(wc, 2 * PAGE, RW, &b));
	volatile uint32_t *pu = (volatile uint32_t *)a;
	volatile uint32_t *pw = (volatile uint32_t *)b;
	uint32_t saved[8];
	for (int i = 0; i < 8; i++)
		saved[i] = pu[1024 + i];
	/* Uncached stores, seen through the WC mapping. */
	for (int i = 0; i < 8; i++)
		pu[1024 + i] = 0xc0de0000u + i;
	int uc_seen = 1;
	for (int i = 0; i < 8; i++)
		uc_seen &= pw[1024 + i] == 0xc0de0000u + i;
	/* Write-combined stores, flushed by sfence, seen uncached. */
	for (int i = 0; i < 8; i++)
		pw[1024 + i] = 0x3c000000u + i * 3;
	__asm__ volatile("sfence" ::: "memory");
	int wc_seen = 1;
	for (int i = 0; i < 8; i++)
		wc_seen &= pu[1024 + i] == 0x3c000000u + i * 3;
	for (int i = 0; i < 8; i++)
		pu[1024 + i] = saved[i];
	GCHECK_OK(sys_vm_unmap(g_self(), a, 2 * PAGE));
	GCHECK_OK(sys_vm_unmap(g_self(), b, 2 * PAGE));
	GCHECK_OK(sys_handle_close(uc));
	GCHECK_OK(sys_handle_close(wc));
	GCHECK(uc_seen);
	GCHECK(wc_seen);
}

GTEST(devmem_handle_rights_and_refused_calls)
{
	uint64_t bar = dm_display_bar();
	GCHECK(bar);
	handle_t v, ro;
	GCHECK_OK(sys_vmo_create_phys(mmio(), bar, PAGE, VMO_CACHE_UC, &v));
	uint8_t buf[16];
	/* Not in the direct map: the kernel never copies device memory. */
	GCHECK_ERR(sys_vmo_read(v, buf, 0, sizeof(buf)), ERR_NOT_SUPPORTED);
	GCHECK_ERR(sys_vmo_write(v, buf, 0, sizeof(buf)), ERR_NOT_SUPPORTED);
	GCHECK_ERR(sys_vmo_read(v, buf, 2 * PAGE, 1), ERR_NOT_SUPPORTED);
	/* No DMA right: the creator knows the address anyway. */
	uint64_t pa = 0;
	GCHECK_ERR(sys_vmo_phys(v, &pa), ERR_ACCESS_DENIED);
	/* Never executable; a read-only handle maps read-only. */
	uint64_t addr = 0;
	GCHECK_ERR(map(v, PAGE, VM_PROT_READ | VM_PROT_EXEC, &addr),
		   ERR_ACCESS_DENIED);
	ro = g_dup(v, RIGHT_READ | RIGHT_MAP);
	GCHECK(ro);
	GCHECK_ERR(map(ro, PAGE, RW, &addr), ERR_ACCESS_DENIED);
	GCHECK_ERR(sys_handle_dup(v, RIGHTS_MMIO_VMO | RIGHT_EXECUTE, &ro),
		   ERR_ACCESS_DENIED);
	sys_handle_close(ro);
	GCHECK_OK(sys_handle_close(v));
}

GTEST(devmem_bad_arguments_and_authority)
{
	uint64_t bar = dm_display_bar();
	GCHECK(bar);
	handle_t v = 0, narrow, ronly;
	struct kernel_stats s0, s1;
	GCHECK_OK(g_stats(&s0));
	GCHECK_ERR(sys_vmo_create_phys(mmio(), bar + 8, PAGE, VMO_CACHE_UC, &v),
		   ERR_INVALID_ARGS);
	GCHECK_ERR(sys_vmo_create_phys(mmio(), bar, PAGE + 1, VMO_CACHE_UC, &v),
		   ERR_INVALID_ARGS);
	GCHECK_ERR(sys_vmo_create_phys(mmio(), bar, 0, VMO_CACHE_UC, &v),
		   ERR_INVALID_ARGS);
	GCHECK_ERR(sys_vmo_create_phys(mmio(), bar, PAGE, 2, &v),
		   ERR_INVALID_ARGS);
	GCHECK_ERR(EXECRT_SC(SYS_VMO_CREATE_PHYS, mmio(), bar, PAGE, 1ull << 32,
			     &v, 0),
		   ERR_INVALID_ARGS);
	GCHECK_ERR(
		sys_vmo_create_phys(mmio(), -PAGE, 2 * PAGE, VMO_CACHE_UC, &v),
		ERR_INVALID_ARGS); /* wraps */
	GCHECK_ERR(
		sys_vmo_create_phys(mmio(), 1ull << 52, PAGE, VMO_CACHE_UC, &v),
		ERR_OUT_OF_RANGE); /* beyond the root authority */
	GCHECK_ERR(sys_vmo_create_phys(mmio(), bar, PAGE, VMO_CACHE_UC,
				       (handle_t *)KERNEL_PTR),
		   ERR_FAULT);
	GCHECK_ERR(sys_vmo_create_phys(execrt_handle(START_H_IOPORT), bar, PAGE,
				       VMO_CACHE_UC, &v),
		   ERR_WRONG_TYPE);
	GCHECK_ERR(sys_vmo_create_phys(g_self(), bar, PAGE, VMO_CACHE_UC, &v),
		   ERR_WRONG_TYPE);
	/* A narrowed authority: exactly two pages of the BAR. */
	GCHECK_OK(sys_resource_derive(mmio(), bar + PAGE, 2 * PAGE, RIGHT_SAME,
				      &narrow));
	GCHECK_OK(sys_vmo_create_phys(narrow, bar + PAGE, 2 * PAGE,
				      VMO_CACHE_WC, &v));
	GCHECK_OK(sys_handle_close(v));
	GCHECK_ERR(sys_vmo_create_phys(narrow, bar, PAGE, VMO_CACHE_UC, &v),
		   ERR_OUT_OF_RANGE);
	GCHECK_ERR(sys_vmo_create_phys(narrow, bar + 2 * PAGE, 2 * PAGE,
				       VMO_CACHE_UC, &v),
		   ERR_OUT_OF_RANGE);
	GCHECK_OK(sys_resource_derive(narrow, bar + PAGE, PAGE, RIGHT_READ,
				      &ronly));
	GCHECK_ERR(
		sys_vmo_create_phys(ronly, bar + PAGE, PAGE, VMO_CACHE_UC, &v),
		ERR_ACCESS_DENIED);
	sys_handle_close(ronly);
	sys_handle_close(narrow);
	GCHECK_OK(g_stats(&s1));
	GCHECK_EQ(s1.kobjects_live, s0.kobjects_live);
}

static void refused(uint64_t base, uint64_t size, const char *what, int *bad)
{
	handle_t v = 0;
	base &= ~(PAGE - 1);
	long r = sys_vmo_create_phys(mmio(), base, size, VMO_CACHE_UC, &v);
	if (r != ERR_ACCESS_DENIED) {
		printf("    %s at %#llx: %s\n", what, (unsigned long long)base,
		       err_name(r));
		(*bad)++;
		if (r == 0)
			sys_handle_close(v);
	}
}

GTEST(devmem_refuses_ram_kernel_and_kernel_devices)
{
	const char *bi = dm_bootinfo();
	uint64_t alen = 0;
	const uint8_t *t = dm_acpi(&alen);
	GCHECK(bi && t);
	int bad = 0, ram = 0;
	/* Every RAM region of the memory map, first and last page. */
	for (const char *p = bi; (p = strstr(p, "\nmem ")); p++) {
		char *e;
		uint64_t base = strtoull(p + 5, &e, 0);
		uint64_t len = strtoull(e, &e, 0);
		unsigned type = (unsigned)strtoul(e, &e, 0);
		if (type == 2 || len < PAGE) /* reserved: BARs live there */
			continue;
		ram++;
		refused(base, PAGE, "RAM", &bad);
		refused(base + len - 1, PAGE, "RAM end", &bad);
	}
	GCHECK(ram >= 2);
	/* The kernel image (bootinfo kernel_image START END). */
	const char *k = dm_line(bi, "kernel_image");
	GCHECK(k);
	char *e;
	uint64_t ks = strtoull(k, &e, 0), ke = strtoull(e, &e, 0);
	GCHECK(ke > ks);
	refused(ks, PAGE, "kernel image", &bad);
	refused(ke - 1, PAGE, "kernel image end", &bad);
	/* LAPIC (MADT), the MSI window, each IOAPIC, the HPET. */
	const uint8_t *madt = dm_acpi_table(t, alen, "APIC");
	GCHECK(madt);
	refused(dm_le(madt + 36, 4), PAGE, "LAPIC", &bad);
	refused(0xfee80000, PAGE, "MSI window", &bad);
	uint32_t mlen = (uint32_t)dm_le(madt + 4, 4);
	int ioapics = 0;
	for (uint32_t off = 44; off + 2 <= mlen && madt[off + 1] >= 2;
	     off += madt[off + 1])
		if (madt[off] == 1 && madt[off + 1] >= 12) {
			refused(dm_le(madt + off + 4, 4), PAGE, "IOAPIC", &bad);
			ioapics++;
		}
	GCHECK(ioapics >= 1);
	const uint8_t *hpet = dm_acpi_table(t, alen, "HPET");
	GCHECK(hpet);
	refused(dm_le(hpet + 44, 8), PAGE, "HPET", &bad);
	/* The ECAM window, from the bootinfo line (q35: from the MCFG). */
	const char *ec = dm_line(bi, "pci_ecam");
	GCHECK(ec);
	uint64_t eb = strtoull(ec, &e, 0), seg = strtoull(e, &e, 0);
	uint64_t b0 = strtoull(e, &e, 0), b1 = strtoull(e, &e, 0);
	GCHECK_EQ(seg, 0);
	GCHECK(b1 >= b0);
	refused(eb + (b0 << 20), PAGE, "ECAM", &bad);
	refused(eb + ((b1 + 1) << 20) - PAGE, PAGE, "ECAM end", &bad);
	/* A BAR range reaching one page into something refused. */
	refused(dm_le(hpet + 44, 8) - PAGE, 2 * PAGE, "HPET neighbour", &bad);
	GCHECK_EQ(bad, 0);
}

static int has(const uint8_t *p, uint32_t len, const char *name)
{
	for (uint32_t i = 0; i + 4 <= len; i++)
		if (!memcmp(p + i, name, 4))
			return 1;
	return 0;
}

GTEST(devmem_acpi_object_holds_dsdt_and_every_table)
{
	handle_t h = execrt_handle(START_H_ACPI);
	GCHECK(h);
	struct handle_info hi;
	GCHECK_OK(sys_handle_info(h, &hi));
	GCHECK_EQ(hi.type, OBJ_VMO);
	GCHECK_EQ(hi.rights, RIGHTS_ACPI);
	uint8_t b = 0;
	GCHECK_ERR(sys_vmo_write(h, &b, 0, 1), ERR_ACCESS_DENIED);
	uint64_t len = 0;
	const uint8_t *t = dm_acpi(&len);
	GCHECK(t);
	GCHECK(!memcmp(t, "DSDT", 4));
	/* Walk by header length: every table whole, checksums good. */
	uint64_t off = 0;
	unsigned n = 0;
	while (off + 36 <= len && memcmp(t + off, "\0\0\0\0", 4)) {
		uint32_t l = (uint32_t)dm_le(t + off + 4, 4);
		GCHECK(l >= 36 && l <= len - off);
		uint8_t sum = 0;
		for (uint32_t i = 0; i < l; i++)
			sum += t[off + i];
		GCHECK_EQ(sum, 0);
		off += l;
		n++;
	}
	for (uint64_t i = off; i < len; i++)
		GCHECK_EQ(t[i], 0);
	GCHECK(n >= 4);
	GCHECK(dm_acpi_table(t, len, "FACP"));
	GCHECK(dm_acpi_table(t, len, "APIC"));
	/* The DSDT holds AML: QEMU's has \_S5 and, on q35, _PRT. */
	uint32_t dl = (uint32_t)dm_le(t + 4, 4);
	GCHECK(has(t, dl, "_S5_"));
	GCHECK(has(t, dl, "_PRT"));
	/* q35: the MCFG is there and the bootinfo line says the same. */
	const uint8_t *mcfg = dm_acpi_table(t, len, "MCFG");
	const char *bi = dm_bootinfo();
	GCHECK(mcfg && bi);
	const char *ec = dm_line(bi, "pci_ecam");
	GCHECK(ec);
	GCHECK_EQ(strtoull(ec, NULL, 0), dm_le(mcfg + 44, 8));
	printf("    %u tables, %llu bytes, DSDT %u bytes\n", n,
	       (unsigned long long)off, dl);
}
