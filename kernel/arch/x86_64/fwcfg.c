/* QEMU's fw_cfg interface (selector port 0x510, data port 0x511): where a
 * PVH boot gets its information when the start info is unusable. QEMU's PVH
 * option ROM (pvh.bin, QEMU 7.2) copies the command line into a 4 KiB
 * buffer without a bound, so a longer line overwrites the start info that
 * follows it; fw_cfg still holds the originals: the command line, the
 * memory map ("etc/e820") and the initrd's address and size (the ROM loads
 * the initrd after copying the line, so it is intact). The RSDP is found by
 * the usual BIOS-area scan. fw_cfg's map lists RAM only: what SeaBIOS
 * keeps at the top of low RAM (ACPI and SMBIOS tables, its own data: 132
 * KiB under QEMU 7.2, bounded by its high-table zone) is reserved here:
 * the top FIRMWARE_TOP bytes of the highest RAM range below 4 GiB, or less
 * when the initrd is there (QEMU puts it as high as it can, just below the
 * room it leaves the firmware). */
#include <arch/cpu.h>
#include <arch/fwcfg.h>
#include <kern/lib.h>

#define FW_CFG_PORT_SEL	    0x510
#define FW_CFG_PORT_DATA    0x511
#define FW_CFG_SIGNATURE    0x00
#define FW_CFG_INITRD_ADDR  0x0a
#define FW_CFG_INITRD_SIZE  0x0b
#define FW_CFG_CMDLINE_SIZE 0x14
#define FW_CFG_CMDLINE_DATA 0x15
#define FW_CFG_FILE_DIR	    0x19
#define FIRMWARE_TOP	    MiB(1)

struct fw_cfg_file { /* big-endian */
	uint32_t size;
	uint16_t select;
	uint16_t reserved;
	char name[56];
};

struct e820_entry { /* little-endian */
	uint64_t addr, len;
	uint32_t type;
} __attribute__((packed));

static void fw_select(uint16_t key)
{
	outw(FW_CFG_PORT_SEL, key);
}

static void fw_read(void *buf, size_t n)
{
	uint8_t *p = buf;
	while (n--)
		*p++ = inb(FW_CFG_PORT_DATA);
}

static uint32_t fw_u32(uint16_t key)
{
	uint32_t v = 0;
	fw_select(key);
	fw_read(&v, sizeof(v));
	return v;
}

/* The selector of a named file, 0 when absent; *size its length. */
static uint16_t fw_find(const char *name, uint32_t *size)
{
	uint32_t n = 0;
	fw_select(FW_CFG_FILE_DIR);
	fw_read(&n, sizeof(n));
	n = __builtin_bswap32(n);
	for (uint32_t i = 0; i < n && i < 4096; i++) {
		struct fw_cfg_file f;
		fw_read(&f, sizeof(f));
		f.name[sizeof(f.name) - 1] = 0;
		if (!strcmp(f.name, name)) {
			*size = __builtin_bswap32(f.size);
			return __builtin_bswap16(f.select);
		}
	}
	return 0;
}

int fwcfg_boot_info(struct boot_info *bi)
{
	char sig[4];
	fw_select(FW_CFG_SIGNATURE);
	fw_read(sig, sizeof(sig));
	if (memcmp(sig, "QEMU", 4))
		return -1;
	uint32_t mapsize = 0;
	uint16_t map = fw_find("etc/e820", &mapsize);
	if (!map)
		return -1; /* no memory map: nothing safe to allocate from */
	bi->protocol = "pvh";

	uint32_t len = fw_u32(FW_CFG_CMDLINE_SIZE); /* with its NUL */
	if (len) {
		char buf[BOOT_CMDLINE_MAX];
		size_t n = MIN((size_t)len, sizeof(buf) - 1);
		fw_select(FW_CFG_CMDLINE_DATA);
		fw_read(buf, n);
		buf[n] = 0;
		bootinfo_set_cmdline(bi, buf, n);
		bi->cmdline_len = MAX(bi->cmdline_len, (size_t)len - 1);
	}

	fw_select(map);
	uint64_t low_top = 0;
	for (uint32_t i = 0; i < mapsize / sizeof(struct e820_entry); i++) {
		struct e820_entry e;
		fw_read(&e, sizeof(e));
		bootinfo_add_mem(bi, e.addr, e.len, e.type);
		if (e.type == MEM_USABLE && e.addr + e.len <= GiB(4))
			low_top = MAX(low_top, e.addr + e.len);
	}
	uint64_t fw = low_top > FIRMWARE_TOP ? low_top - FIRMWARE_TOP : 0;
	uint32_t isize = fw_u32(FW_CFG_INITRD_SIZE);
	if (isize) {
		uint64_t ibase = fw_u32(FW_CFG_INITRD_ADDR);
		bootinfo_add_module(bi, ibase, isize, "initrd");
		if (ibase < low_top)
			fw = MAX(fw, ALIGN_UP(ibase + isize, PAGE_SIZE));
	}
	if (fw && fw < low_top)
		bootinfo_add_mem(bi, fw, low_top - fw, MEM_RESERVED);
	return 0;
}
