/* x86_64 virtual memory layout (usable from C and assembly).
 *   0x0000000000000000 - 0x00007fffffffffff  user space (later issues)
 *   0xffff800000000000 - ...                 direct map of physical memory
 *   0xffffc00000000000 - ...                 MMIO window (uncached)
 *   0xffffc04000000000 - ...                 kernel stacks, guard pages
 *   0xffffffff80000000 - ...                 kernel image (-2 GiB)      */
#pragma once

#define KERNEL_VMA      0xffffffff80000000
#define KERNEL_LMA      0x200000
#define PHYSMAP_BASE    0xffff800000000000
#define MMIO_BASE       0xffffc00000000000
#define MMIO_SIZE       0x0000004000000000 /* 256 GiB of window */
/* Kernel stacks (kstack.c): 32 KiB slots, the stack at the top of its
 * slot and the rest left unmapped as its guard. */
#define KSTACK_AREA      0xffffc04000000000
#define KSTACK_AREA_SIZE 0x0000000040000000 /* 1 GiB: 32768 slots */
#define KSTACK_SLOT_SIZE 0x8000
#define BOOT_STACK_SIZE 0x4000
#define KSTACK_SIZE     0x4000
#define IST_STACK_SIZE  0x2000

/* Physical page of the AP start-up trampoline (below 1 MiB, real mode). */
#define AP_TRAMPOLINE_PA 0x8000

/* isa-debug-exit: QEMU exits with (value << 1) | 1. */
#define QEMU_EXIT_PORT    0xf4
#define QEMU_EXIT_SUCCESS 0x10 /* exit status 33 */
#define QEMU_EXIT_FAILURE 0x11 /* exit status 35 */
