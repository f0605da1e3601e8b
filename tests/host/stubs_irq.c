/* Host stand-ins for the interrupt and I/O-port hooks of kern/irq.h: no
 * controller, so every GSI is out of range and no port exists. */
#include <execrt/errors.h>
#include <kern/irq.h>

unsigned host_irq_slots = 4; /* tests may change it */
unsigned arch_irq_slots(void)
{
	return host_irq_slots;
}
int arch_irq_attach(unsigned slot, uint32_t gsi)
{
	(void)slot;
	(void)gsi;
	return ERR_OUT_OF_RANGE;
}
void arch_irq_detach(unsigned slot, uint32_t gsi)
{
	(void)slot;
	(void)gsi;
}
void arch_irq_mask(uint32_t gsi)
{
	(void)gsi;
}
void arch_irq_unmask(uint32_t gsi)
{
	(void)gsi;
}
int arch_ioport_in(uint16_t port, unsigned width, uint32_t *value)
{
	(void)port;
	(void)width;
	*value = 0;
	return ERR_NOT_SUPPORTED;
}
int arch_ioport_out(uint16_t port, unsigned width, uint32_t value)
{
	(void)port;
	(void)width;
	(void)value;
	return ERR_NOT_SUPPORTED;
}

/* MSI: slot i is "vector" 0x30 + i at a fixed address, so host tests can
 * run the MSI object's life (kernel/ipc/irq.c) without a machine. */
int arch_irq_attach_msi(unsigned slot, uint64_t *addr, uint32_t *data)
{
	*addr = 0xfee00000u;
	*data = 0x30 + slot;
	return 0;
}
bool arch_ioport_kernel_owned(uint16_t port, unsigned width, bool out,
			      uint32_t value)
{
	(void)out;
	(void)value;
	(void)port;
	(void)width;
	return false;
}
