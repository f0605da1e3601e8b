/* Application processor start-up and inter-processor calls.
 *
 * CPU ids are dense (0 = boot CPU, 1..n-1 in MADT order); struct cpu keeps
 * the LAPIC id. Cross-calls run a function on another CPU in interrupt
 * context and wait for it to finish. */
#pragma once

/* Parameter block in the trampoline page, written by the boot CPU before
 * each AP is started. Offsets are used by trampoline.S. */
#define APB_CR3	  0  /* u32: kernel PML4 (below 4 GiB) */
#define APB_EFER  4  /* u32: EFER bits to set (LME, NXE) */
#define APB_CR4	  8  /* u32: CR4 before paging (PAE, PGE) */
#define APB_ALIVE 12 /* u32: set to 1 by the AP in real mode */
#define APB_ENTRY 16 /* u64: 64-bit entry, called as entry(cpu) */
#define APB_STACK 24 /* u64: initial stack top */
#define APB_CPU	  32 /* u64: struct cpu * */
#define APB_SIZE  40

#ifndef __ASSEMBLY__
#include <arch/percpu.h>
#include <kern/types.h>

struct ap_boot_params {
	uint32_t cr3, efer, cr4, alive;
	uint64_t entry, stack, cpu;
};

/* Trampoline image (kernel.ld: .ap_trampoline) and its parameter block. */
extern const char __ap_trampoline_start[], __ap_trampoline_end[];
extern const char ap_trampoline_params[];

/* Cross-calls. fn runs with interrupts off, on the target CPU, and must
 * not issue cross-calls itself. Callers may have interrupts off: while
 * waiting they serve calls aimed at their own CPU, so two CPUs calling
 * each other do not deadlock. */
typedef void (*smp_call_fn_t)(void *arg);
/* Runs fn(arg) on CPU cpu_id (directly if it is this CPU) and waits.
 * Returns 0, or -1 if that CPU is not online. */
int smp_call_on(unsigned cpu_id, smp_call_fn_t fn, void *arg);
/* Runs fn(arg) on every online CPU, this one included, concurrently;
 * returns when all are done. */
void smp_call_all(smp_call_fn_t fn, void *arg);
/* Same, on every online CPU but this one. */
void smp_call_others(smp_call_fn_t fn, void *arg);

/* Runs fn(arg) on this CPU while every other online CPU spins with
 * interrupts off in a loop that touches no device (a posted cross-call
 * that waits for the release). Waits at most timeout_ns, posting
 * included, for them to arrive, then runs fn anyway (counted:
 * smp_quiesce_late()). Returns how many CPUs were parked during fn. For PCI
 * configuration writes under QEMU 7.2 TCG (pci_cfg.c). */
unsigned smp_run_quiesced(smp_call_fn_t fn, void *arg, uint64_t timeout_ns);
/* How many runs there have been. */
uint64_t smp_quiesce_runs(void);
uint64_t smp_quiesce_late(void);

/* TLB shootdown (the paging code's tlb_remote_flush): every online CPU of
 * `cpus` but this one invalidates [va, va + size) (a full flush, global
 * pages included, for large ranges); returns once all have. `user` says
 * which per-CPU counter the request counts in (a user space or the
 * kernel's, arch_tlb_ipis()). */
void smp_tlb_shootdown(uint64_t targets, bool user, virt_addr_t va,
		       size_t size);

/* Panic path (nmi.c): arch_stop_others() halts every other CPU with an
 * NMI; nmi_stop() is the NMI's handler: false when no stop is under way,
 * else it halts this CPU (returning true only on the stopping CPU). */
struct trap_frame;
bool nmi_stop(const struct trap_frame *tf);

void ipi_init(void);		   /* once on the boot CPU: IPI handlers */
unsigned smp_ncpus_possible(void); /* enabled CPUs in the MADT */
#endif
