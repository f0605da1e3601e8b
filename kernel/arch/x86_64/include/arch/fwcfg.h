/* QEMU fw_cfg as a fall-back source of boot information (fwcfg.c). */
#pragma once
#include <kern/bootinfo.h>

/* Fills bi (command line, memory map, initrd) from QEMU's fw_cfg; -1 when
 * there is no fw_cfg or no memory map in it. */
int fwcfg_boot_info(struct boot_info *bi);
