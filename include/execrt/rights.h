/* Handle rights. A handle carries a subset of these; duplicating can keep
 * or drop rights, never add them. Which rights matter depends on the
 * object (docs/objects-and-handles.md has the table). */
#pragma once

#define RIGHT_READ      (1u << 0)  /* read state / contents */
#define RIGHT_WRITE     (1u << 1)  /* change contents */
#define RIGHT_MAP       (1u << 2)  /* map a memory object (its READ/WRITE rights bound the mapping) */
#define RIGHT_EXECUTE   (1u << 3)  /* map a memory object executable */
#define RIGHT_TRANSFER  (1u << 4)  /* move the handle to another task (IPC) */
#define RIGHT_DUPLICATE (1u << 5)  /* make another handle to the same object */
#define RIGHT_MANAGE    (1u << 6)  /* control: kill, create threads in, map into, set quotas */
#define RIGHT_SIGNAL    (1u << 7)  /* raise signals / notification bits */
#define RIGHT_WAIT      (1u << 8)  /* wait for the object's end or signals */

#define RIGHT_DMA       (1u << 9)  /* read a DMA memory object's physical address */

#define RIGHTS_ALL      0x3ffu
#define RIGHTS_BASIC    (RIGHT_TRANSFER | RIGHT_DUPLICATE | RIGHT_WAIT)
#define RIGHT_SAME      0x80000000u /* handle_dup: keep the rights as they are */

/* The rights a new handle comes with, per object type: the one table the
 * kernel uses when it makes a handle to a new object (and the one user
 * space and the tests compare with). */
#define RIGHTS_TASK       (RIGHT_READ | RIGHT_MANAGE | RIGHTS_BASIC)
#define RIGHTS_THREAD     (RIGHT_READ | RIGHT_MANAGE | RIGHTS_BASIC)
#define RIGHTS_VMO                                                             \
	(RIGHT_READ | RIGHT_WRITE | RIGHT_MAP | RIGHT_EXECUTE | RIGHTS_BASIC)
/* A pager-backed memory object: MANAGE supplies its pages. */
#define RIGHTS_PAGER_VMO (RIGHTS_VMO | RIGHT_MANAGE)
/* DMA memory: DMA reveals its physical address (drop it before handing
 * the buffer to a task that is not the driver). */
#define RIGHTS_DMA_VMO  (RIGHTS_VMO | RIGHT_DMA)
/* MMIO memory (SYS_VMO_CREATE_PHYS): never executable. */
#define RIGHTS_MMIO_VMO (RIGHTS_VMO & ~RIGHT_EXECUTE)
#define RIGHTS_SCHED_AUTH (RIGHT_READ | RIGHT_WRITE | RIGHT_MANAGE | RIGHTS_BASIC)
#define RIGHTS_PORT_RECV  (RIGHT_READ | RIGHT_MANAGE | RIGHTS_BASIC)
#define RIGHTS_PORT_SEND  (RIGHT_WRITE | RIGHTS_BASIC)
#define RIGHTS_REPLY      (RIGHT_WRITE | RIGHT_TRANSFER)
#define RIGHTS_NOTIF                                                           \
	(RIGHT_SIGNAL | RIGHT_WAIT | RIGHT_DUPLICATE | RIGHT_TRANSFER)
#define RIGHTS_IRQ        (RIGHT_WRITE | RIGHT_DUPLICATE | RIGHT_TRANSFER)
/* A grant: WRITE only when the grant is writable. */
#define RIGHTS_GRANT_RO                                                        \
	(RIGHT_READ | RIGHT_MAP | RIGHT_MANAGE | RIGHT_TRANSFER |              \
	 RIGHT_DUPLICATE)
#define RIGHTS_GRANT_RW (RIGHTS_GRANT_RO | RIGHT_WRITE)
/* The root task's initial handles (docs/tasks.md). */
#define RIGHTS_INITRD     (RIGHT_READ | RIGHT_MAP | RIGHTS_BASIC)
#define RIGHTS_BOOTINFO   (RIGHT_READ | RIGHT_MAP | RIGHTS_BASIC)
#define RIGHTS_ACPI       (RIGHT_READ | RIGHT_MAP | RIGHTS_BASIC)
#define RIGHTS_CONSOLE    (RIGHT_WRITE | RIGHTS_BASIC)
#define RIGHTS_SYSINFO    (RIGHT_READ | RIGHTS_BASIC)
#define RIGHTS_TELEMETRY  (RIGHT_READ | RIGHTS_BASIC)
#define RIGHTS_DEVICE_AUTH (RIGHTS_ALL & ~RIGHT_EXECUTE) /* I/O ports, MMIO, IRQs */
