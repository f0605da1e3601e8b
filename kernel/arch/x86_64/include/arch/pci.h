/* x86_64 PCI configuration mechanisms (pci_cfg.c), below kern/pci.h's
 * arch_pci_cfg_*: the port mechanism on its own (0xcf8/0xcfc, 256 bytes
 * per function; every x86 chipset QEMU models has it, q35 included) and
 * which one arch_pci_cfg_* use, for the in-kernel tests. */
#pragma once
#include <kern/types.h>

uint32_t pci_port_read(uint32_t bdf, uint32_t offset, unsigned width);
void pci_port_write(uint32_t bdf, uint32_t offset, unsigned width,
		    uint32_t value);
bool pci_uses_ecam(void);
/* Decoding writes park the other CPUs (not with "pci_park=off"). */
bool pci_park_enabled(void);
