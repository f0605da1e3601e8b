/* Shared by the benchmark program's files. */
#pragma once
#include <stdint.h>

#include <execrt/types.h>

static inline uint64_t bench_rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

int bench_cmp_u64(const void *a, const void *b);
/* bench_smp.c: the figures of the `-smp 2` run ("bench smp"). */
void smp_benches(void);
/* bench_fs.c: the file server (fsd) figures. */
void fs_benches(void);
/* bench_input.c: a key from the 8042 to an input subscriber. */
void input_benches(void);
/* bench_vm.c: first-touch faults through a pager (vmgr room). */
void vm_benches(void);
int vm_pager_main(handle_t recv);
/* bench_irq.c: interrupt to driver thread, MSI and IOAPIC (devk-pci). */
void irq_benches(void);
/* PCI configuration read and write costs (bench_irq.c). */
void pci_cfg_benches(void);
/* bench_blit.c: blitterd's kernels vs musl memset/memcpy (gfx-blit). */
void blit_benches(void);
