/* Traps and interrupts: the saved register frame, handler registration and
 * fault recovery. */
#pragma once

/* The distance between two vector stubs of trap.S (the IDT points at
 * trap_stubs_start + TRAP_STUB_BYTES * vector). */
#define TRAP_STUB_BYTES 12

#ifndef __ASSEMBLY__
#include <arch/percpu.h>
#include <kern/types.h>

struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	/* pushed by the CPU */
	uint64_t rip, cs, rflags, rsp, ss;
};

#define GDT_KCODE 0x08
#define GDT_KDATA 0x10
#define GDT_UDATA 0x20 /* | 3 */
#define GDT_UCODE 0x28 /* | 3 */
#define GDT_TSS   0x30

typedef void (*irq_handler_t)(struct trap_frame *tf);

void gdt_init_cpu(struct cpu *c, const uintptr_t ist_top[3]);
void tss_set_rsp0(struct cpu *c, uintptr_t rsp0);
/* Moves c's interrupt stack `ist` (IST_*) to a new stack top. */
void tss_set_ist(struct cpu *c, unsigned ist, uintptr_t top);
uintptr_t tss_get_ist(struct cpu *c, unsigned ist);
void idt_init(void);      /* once, on the boot CPU */
void idt_load(void);      /* every CPU */
/* Route a vector (>= 32) to a handler; the handler sends the EOI. */
void irq_set_handler(unsigned vector, irq_handler_t fn);
void trap_dispatch(struct trap_frame *tf);
void trap_report(const struct trap_frame *tf);
/* Interrupts and exceptions that arrived from user mode (syscall.c). */
void arch_user_trap(struct trap_frame *tf);
/* A #PF error code as the VM_PROT_* access asked for; *present: the page
 * was mapped (a protection fault, never a page-in). */
uint32_t arch_pf_access(uint64_t error, bool *present);
void arch_syscall_init_cpu(void);

/* Runs fn(arg); if it faults in kernel mode, the fault is recorded in
 * *out (when non-NULL) and the call returns true instead of the machine
 * dying. Used by in-kernel tests and, later, by user-copy routines. */
struct caught_fault {
	uint64_t vector, error, cr2, rip;
};
bool trap_catch(void (*fn)(void *), void *arg, struct caught_fault *out);

const char *trap_name(unsigned vector);
/* A page fault on a user address inside the user-copy loops: redirects tf
 * to their error return (uaccess.c). */
bool uaccess_fixup(struct trap_frame *tf);
#endif /* __ASSEMBLY__ */
