/* Legacy 8259 PICs: remapped away from the exception vectors and fully
 * masked. Interrupts come through the IOAPIC instead; the remap matters
 * because a masked PIC can still raise a spurious IRQ7/IRQ15. */
#include <arch/cpu.h>
#include <arch/pic.h>
#include <arch/trap.h>
#include <arch/vectors.h>

#define PIC1_CMD  0x20
#define PIC1_DATA 0x21
#define PIC2_CMD  0xa0
#define PIC2_DATA 0xa1

static void io_wait(void)
{
	outb(0x80, 0); /* POST port: a short, harmless delay */
}

/* Spurious IRQ7/15 from a masked PIC: no EOI (nothing is in service). */
static void pic_spurious(struct trap_frame *tf)
{
	(void)tf;
}

void pic_disable(void)
{
	outb(PIC1_CMD, 0x11); /* ICW1: init, ICW4 follows */
	io_wait();
	outb(PIC2_CMD, 0x11);
	io_wait();
	outb(PIC1_DATA, VEC_PIC_BASE); /* ICW2: vector offsets */
	io_wait();
	outb(PIC2_DATA, VEC_PIC_BASE + 8);
	io_wait();
	outb(PIC1_DATA, 1 << 2); /* ICW3: slave on IRQ2 */
	io_wait();
	outb(PIC2_DATA, 2);
	io_wait();
	outb(PIC1_DATA, 0x01); /* ICW4: 8086 mode */
	io_wait();
	outb(PIC2_DATA, 0x01);
	io_wait();
	outb(PIC1_DATA, 0xff);
	outb(PIC2_DATA, 0xff);
	irq_set_handler(VEC_PIC_BASE + 7, pic_spurious);
	irq_set_handler(VEC_PIC_BASE + 15, pic_spurious);
}

uint16_t pic_get_mask(void)
{
	return (uint16_t)(inb(PIC1_DATA) | (inb(PIC2_DATA) << 8));
}
