/* Host stand-in for the PCI configuration hooks of kern/pci.h: no
 * configuration mechanism (size 0), every function absent. */
#include <kern/pci.h>

uint32_t arch_pci_cfg_size(void)
{
	return 0;
}
uint32_t arch_pci_cfg_read(uint32_t bdf, uint32_t offset, unsigned width)
{
	(void)bdf;
	(void)offset;
	return 0xffffffffu >> (32 - 8 * width);
}
void arch_pci_cfg_write(uint32_t bdf, uint32_t offset, unsigned width,
			uint32_t value, bool decoding)
{
	(void)decoding;
	(void)bdf;
	(void)offset;
	(void)width;
	(void)value;
}
