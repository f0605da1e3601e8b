/* COM1 16550 UART: the kernel console. Polled output; 115200 8N1. */
#include <arch/cpu.h>
#include <arch/serial.h>

#define COM1 0x3f8

static bool present;

void serial_init(void)
{
	outb(COM1 + 1, 0x00); /* no interrupts */
	outb(COM1 + 3, 0x80); /* DLAB */
	outb(COM1 + 0, 0x01); /* divisor 1: 115200 baud */
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x03); /* 8N1 */
	outb(COM1 + 2, 0xc7); /* FIFO on, cleared, 14-byte threshold */
	outb(COM1 + 4, 0x03); /* DTR, RTS */
	/* A missing UART reads back 0xff; then we stay silent rather than
	 * spin forever on the line-status register. */
	present = inb(COM1 + 5) != 0xff;
}

static void put(char c)
{
	for (int spin = 0; spin < 100000; spin++)
		if (inb(COM1 + 5) & 0x20)
			break;
	outb(COM1, (uint8_t)c);
}

void serial_write(const char *s, size_t n)
{
	if (!present)
		return;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			put('\r');
		put(s[i]);
	}
}

int serial_getc(void)
{
	if (!present || !(inb(COM1 + 5) & 0x01))
		return -1;
	return inb(COM1);
}
