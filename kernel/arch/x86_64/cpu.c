/* CPU identification, the arch hooks of kern/arch.h, and per-CPU data. */
#include <arch/cpu.h>
#include <arch/layout.h>
#include <arch/percpu.h>
#include <arch/serial.h>
#include <kern/arch.h>
#include <kern/lib.h>

struct cpu_features cpu_features;
struct cpu cpus[MAX_CPUS];
unsigned ncpus_online;

__cold void cpu_detect(void)
{
	struct cpu_features *f = &cpu_features;
	uint32_t a, b, c, d, max, maxext;
	cpuid(0, 0, &max, &b, &c, &d);
	memcpy(f->vendor, &b, 4);
	memcpy(f->vendor + 4, &d, 4);
	memcpy(f->vendor + 8, &c, 4);
	f->vendor[12] = 0;
	cpuid(1, 0, &a, &b, &c, &d);
	f->tsc_deadline = c & (1u << 24);
	f->x2apic = c & (1u << 21);
	f->pge = d & (1u << 13);
	f->pat = d & (1u << 16);
	if (max >= 7) {
		cpuid(7, 0, &a, &b, &c, &d);
		f->fsgsbase = b & (1u << 0);
		f->smep = b & (1u << 7);
		f->smap = b & (1u << 20);
		f->umip = c & (1u << 2);
	}
	cpuid(0x80000000, 0, &maxext, &b, &c, &d);
	if (maxext >= 0x80000001) {
		cpuid(0x80000001, 0, &a, &b, &c, &d);
		f->nx = d & (1u << 20);
		f->pdpe1gb = d & (1u << 26);
		f->rdtscp = d & (1u << 27);
	}
	if (maxext >= 0x80000004) {
		uint32_t *p = (uint32_t *)f->brand;
		for (uint32_t leaf = 0; leaf < 3; leaf++)
			cpuid(0x80000002 + leaf, 0, &p[leaf * 4], &p[leaf * 4 + 1],
			      &p[leaf * 4 + 2], &p[leaf * 4 + 3]);
		f->brand[48] = 0;
	}
	if (maxext >= 0x80000007) {
		cpuid(0x80000007, 0, &a, &b, &c, &d);
		f->invariant_tsc = d & (1u << 8);
	}
}

void percpu_init(struct cpu *c, unsigned id, uint32_t apic_id)
{
	c->self = c;
	c->id = id;
	c->apic_id = apic_id;
	wrmsr(MSR_GS_BASE, (uintptr_t)c);
	wrmsr(MSR_KERNEL_GS_BASE, 0);
}

void arch_cpu_relax(void)
{
	cpu_pause();
}

unsigned arch_cpus_online(void)
{
	return __atomic_load_n(&ncpus_online, __ATOMIC_RELAXED);
}

void arch_set_current_thread(struct thread *t)
{
	this_cpu()->cur = t;
}

void arch_console_write(const char *s, size_t n)
{
	serial_write(s, n);
}

void arch_halt(void)
{
	for (;;)
		__asm__ volatile("cli; hlt");
}

void arch_exit(bool ok)
{
	/* isa-debug-exit turns this into QEMU's exit status (33 or 35). On
	 * a machine without it, fall through to pvpanic for failures, and
	 * halt. */
	outl(QEMU_EXIT_PORT, ok ? QEMU_EXIT_SUCCESS : QEMU_EXIT_FAILURE);
	if (!ok)
		outb(0x505, 1);
	arch_halt();
}
