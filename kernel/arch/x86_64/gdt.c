/* Per-CPU GDT and TSS. The TSS carries the interrupt stacks (IST) that
 * double fault, NMI and machine check switch to, so they run on a known
 * good stack even when the kernel stack is the problem. */
#include <arch/cpu.h>
#include <arch/percpu.h>
#include <arch/trap.h>
#include <arch/vectors.h>
#include <kern/lib.h>

struct tss {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __packed;

static struct tss tss[MAX_CPUS];
static uint64_t gdt[MAX_CPUS][8] __attribute__((aligned(16)));

void gdt_init_cpu(struct cpu *c, const uintptr_t ist_top[3])
{
	uint64_t *g = gdt[c->id];
	struct tss *t = &tss[c->id];

	memset(t, 0, sizeof(*t));
	t->ist[IST_DOUBLE_FAULT - 1] = ist_top[0];
	t->ist[IST_NMI - 1] = ist_top[1];
	t->ist[IST_MCE - 1] = ist_top[2];
	t->iomap_base = sizeof(*t); /* no I/O bitmap: user port I/O faults */

	g[0] = 0;
	g[1] = 0x00af9a000000ffff; /* 0x08 kernel code, 64-bit */
	g[2] = 0x00cf92000000ffff; /* 0x10 kernel data */
	g[3] = 0;                  /* 0x18 placeholder (SYSRET layout) */
	g[4] = 0x00cff2000000ffff; /* 0x20 user data, DPL 3 */
	g[5] = 0x00affa000000ffff; /* 0x28 user code, 64-bit, DPL 3 */
	uint64_t base = (uintptr_t)t, limit = sizeof(*t) - 1;
	g[6] = (limit & 0xffff) | ((base & 0xffffff) << 16) |
	       (0x89ull << 40) | (((base >> 24) & 0xff) << 56);
	g[7] = base >> 32;

	struct {
		uint16_t limit;
		uint64_t base;
	} __packed gdtr = {sizeof(gdt[0]) - 1, (uintptr_t)g};
	__asm__ volatile("lgdt %0\n\t"
			 "pushq %1\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:\n\t"
			 "movw %w2, %%ds\n\t"
			 "movw %w2, %%es\n\t"
			 "movw %w2, %%ss\n\t"
			 :
			 : "m"(gdtr), "i"(GDT_KCODE), "r"(GDT_KDATA)
			 : "rax", "memory");
	/* Reloading fs/gs selectors would clear the GS base: leave them. */
	__asm__ volatile("ltr %w0" : : "r"(GDT_TSS));
	c->tss = t;
	c->gdt = g;
}

void tss_set_rsp0(struct cpu *c, uintptr_t rsp0)
{
	((struct tss *)c->tss)->rsp[0] = rsp0;
}

void tss_set_ist(struct cpu *c, unsigned ist, uintptr_t top)
{
	WRITE_ONCE(((struct tss *)c->tss)->ist[ist - 1], top);
}

uintptr_t tss_get_ist(struct cpu *c, unsigned ist)
{
	return READ_ONCE(((struct tss *)c->tss)->ist[ist - 1]);
}
