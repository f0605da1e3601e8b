/* iod started by a guest test (iod_env.h). */
#include <string.h>

#include <execrt/cpio.h>
#include <execrt/errors.h>
#include <execrt/rights.h>
#include <execrt/sys.h>

#include "gutil.h"
#include "iod_env.h"

bool iod_env_have_virtio_net(void)
{
	for (uint32_t d = 0; d < 32; d++) {
		uint32_t id = 0;
		sys_pci_cfg_read(execrt_handle(START_H_PCI), d << 3, 0, 4, &id);
		if (id == 0x10001af4u || id == 0x10411af4u)
			return true;
	}
	return false;
}

long iod_env_spawn(struct execrt_child *iod, handle_t names, handle_t console,
		   const char *cmdline, bool ps2_ports)
{
	handle_t io = 0, dma = 0, send = 0;
	struct cpio_file f;
	long r = 0;
	if (cpio_find(g_initrd_buf, g_initrd_len, "bin/iod", &f) != CPIO_OK)
		r = ERR_NOT_FOUND;
	if (r == 0 && ps2_ports)
		r = sys_resource_derive(execrt_handle(START_H_IOPORT), 0x60, 5,
					RIGHT_SAME, &io);
	if (r == 0)
		r = sys_resource_derive(execrt_handle(START_H_DMA), 0, 16 << 20,
					RIGHT_SAME, &dma);
	if (r == 0)
		r = sys_handle_dup(console, RIGHT_SAME, &send);
	if (r == 0)
		r = execrt_spawn_create("iod", IOD_ENV_QUOTA, iod);
	if (r == 0) {
		struct execrt_spawn_args a = {.image = f.data,
					      .image_len = f.size,
					      .cmdline = cmdline,
					      .quota = IOD_ENV_QUOTA};
		a.give[START_H_CONSOLE] = send;
		a.give[START_H_NAMES] = names;
		a.give[START_H_PCI] = execrt_handle(START_H_PCI);
		a.give[START_H_ACPI] = execrt_handle(START_H_ACPI);
		a.give[START_H_MMIO] = execrt_handle(START_H_MMIO);
		a.give[START_H_IRQ] = execrt_handle(START_H_IRQ);
		a.give[START_H_IOPORT] = io;
		a.give[START_H_DMA] = dma;
		a.give[START_H_INITRD] = g_initrd();
		a.give[START_H_BOOTINFO] = execrt_handle(START_H_BOOTINFO);
		int perr = 0;
		r = execrt_spawn_start(iod, &a, &perr);
		if (r < 0)
			execrt_spawn_abort(iod);
	}
	handle_t mine[] = {names, io, dma, send};
	for (unsigned i = 0; i < 4; i++)
		if (mine[i])
			sys_handle_close(mine[i]);
	return r;
}

void iod_env_kill(struct execrt_child *iod)
{
	int64_t st;
	if (!iod->task)
		return;
	sys_task_kill(iod->task, -1);
	sys_object_wait(iod->task, g_now() + 5000 * MS, &st);
	sys_handle_close(iod->task);
	sys_handle_close(iod->thread);
	memset(iod, 0, sizeof(*iod));
}

void iod_env_drain(handle_t recv, uint64_t deadline, char *buf, size_t cap,
		   size_t *len)
{
	for (;;) {
		char b[PORT_MSG_MAX];
		handle_t h[PORT_HANDLES_MAX];
		struct port_rx rx = {.buf = b,
				     .cap = sizeof(b),
				     .handles = h,
				     .hcap = PORT_HANDLES_MAX};
		if (sys_port_recv(recv, &rx, deadline) < 0)
			return;
		for (uint32_t i = 0; i < rx.nhandles; i++)
			sys_handle_close(h[i]);
		if (rx.reply)
			sys_handle_close(rx.reply);
		deadline = DEADLINE_POLL;
		if (!buf)
			continue;
		size_t n = rx.len;
		if (*len + n >= cap) { /* keep the newest half */
			memmove(buf, buf + cap / 2, *len - cap / 2);
			*len -= cap / 2;
		}
		memcpy(buf + *len, b, n);
		*len += n;
		buf[*len] = 0;
	}
}
