/* iod started by a guest test as init would (iod_env.c), shared by
 * t_iod.c, t_netdev.c and t_netd_dev.c: the spawn with the root's device
 * authorities, the kill, the log port drained, the virtio-net probe. One
 * test at a time uses it. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <execrt/spawn.h>

#define IOD_ENV_QUOTA (32ull << 20)

/* Is there a virtio-net function on bus 0 (1af4:1000 or 1af4:1041)? */
bool iod_env_have_virtio_net(void);
/* Starts iod in *iod with cmdline: names (always closed here) as its
 * names handle, a duplicate of console as its log, the root's PCI, ACPI,
 * MMIO, IRQ and boot information, 16 MiB of DMA and, with ps2_ports, the
 * I/O ports 0x60-0x64 (the PS/2 driver's). 0 or an error. */
long iod_env_spawn(struct execrt_child *iod, handle_t names, handle_t console,
		   const char *cmdline, bool ps2_ports);
/* Kills iod (its drivers die with it), waits up to 5 s, closes *iod. */
void iod_env_kill(struct execrt_child *iod);
/* Empties the log port recv, the first wait until deadline: the text is
 * appended to buf (cap bytes, *len used, NUL-terminated; the newest half
 * kept when full), or dropped when buf is NULL. */
void iod_env_drain(handle_t recv, uint64_t deadline, char *buf, size_t cap,
		   size_t *len);
