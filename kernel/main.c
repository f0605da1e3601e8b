/* Portable kernel entry: the arch code calls kmain() once the console works
 * and the boot information is gathered. */
#include <execrt/syscall.h>
#include <kern/acpi.h>
#include <kern/arch.h>
#include <kern/bootinfo.h>
#include <kern/ktest.h>
#include <kern/lib.h>
#include <kern/sched.h>
#include <kern/task.h>
#include <kern/thread.h>
#include <kern/log.h>
#include <kern/mmio.h>
#include <kern/reaper.h>
#include <kern/pci.h>
#include <kern/pmm.h>
#include <kern/vm.h>

void kmain(struct boot_info *bi);

static const char *mem_type_name(uint32_t t)
{
	static const char *names[] = {"?", "usable", "reserved", "ACPI",
				      "ACPI NVS", "bad"};
	return t < ARRAY_SIZE(names) ? names[t] : "?";
}

/* The least usable RAM that runs the kernel and init from the initrd
 * (measured under QEMU: -m 6M gives 5 MiB usable and runs init; with
 * 4 MiB the root task cannot start). Below it the boot stops at once with
 * a message rather than failing somewhere later. */
#define MIN_USABLE_RAM MiB(5)

static uint64_t dump_boot_info(const struct boot_info *bi)
{
	pr_info("boot: %s%s, cmdline \"%s\"", bi->protocol,
		bi->uefi ? " (UEFI)" : "", bi->cmdline);
	if (bi->cmdline_len >= sizeof(bi->cmdline))
		pr_warn("boot: command line cut to its first %zu of %zu bytes",
			sizeof(bi->cmdline) - 1, bi->cmdline_len);
	uint64_t usable = 0;
	for (size_t i = 0; i < bi->nmem; i++) {
		const struct mem_region *r = &bi->mem[i];
		pr_debug("mem: %016llx-%016llx %s",
			 (unsigned long long)r->base,
			 (unsigned long long)(r->base + r->len - 1),
			 mem_type_name(r->type));
		if (r->type == MEM_USABLE)
			usable += r->len;
	}
	pr_info("mem: %zu regions, %llu MiB usable", bi->nmem,
		(unsigned long long)(usable >> 20));
	for (size_t i = 0; i < bi->nmods; i++)
		pr_info("module: %016llx +%llu \"%s\"",
			(unsigned long long)bi->mods[i].base,
			(unsigned long long)bi->mods[i].len, bi->mods[i].name);
	if (bi->has_fb)
		pr_info("fb: %ux%u %u bpp at %llx, rgb %u:%u %u:%u %u:%u",
			bi->fb.width, bi->fb.height, bi->fb.bpp,
			(unsigned long long)bi->fb.addr, bi->fb.red_pos,
			bi->fb.red_size, bi->fb.green_pos, bi->fb.green_size,
			bi->fb.blue_pos, bi->fb.blue_size);
	pr_info("acpi: rsdp at %llx", (unsigned long long)bi->rsdp);
	return usable;
}

/* Boot figure: arch_cycles() at the end of each step of kmain, printed in
 * microseconds once the clock can convert them (also the cycles read
 * before it was calibrated). */
enum { PH_START, PH_MEM, PH_ACPI, PH_TIME, PH_SCHED, PH_SMP, PH_COUNT };
static uint64_t phase_end[PH_COUNT];

static void phase_done(unsigned ph)
{
	phase_end[ph] = arch_cycles();
}

static void print_phases(void)
{
	static const char *names[PH_COUNT] = {"start-up",  "memory",
					      "ACPI",	   "clock and timers",
					      "scheduler", "other CPUs"};
	char buf[192];
	size_t n = 0;
	uint64_t prev = arch_kernel_entry_ns(), first = prev;
	for (unsigned i = 0; i < PH_COUNT; i++) {
		uint64_t t = arch_cycles_to_ns(phase_end[i]);
		n += ksnprintf(buf + n, sizeof(buf) - n, "%s%s %llu",
			       i ? ", " : "", names[i],
			       (unsigned long long)(t - prev) / 1000);
		if (n >= sizeof(buf))
			break;
		prev = t;
	}
	uint64_t total = prev - first;
	pr_info("boot: %llu.%03llu ms from kernel entry (us: %s)",
		(unsigned long long)(total / 1000000),
		(unsigned long long)(total / 1000 % 1000), buf);
}

/* The first thread: tests, or the rest of the boot. */
static void kmain_thread(void *arg)
{
	struct boot_info *bi = arg;
#ifndef EXECRT_NO_KTEST /* kernel-notest.elf: make bench's size figure */
	char opt[64];
	if (bootinfo_cmdline_get(bi, "crashtest", opt, sizeof(opt)))
		crashtest(opt);
	if (bootinfo_cmdline_get(bi, "ktest", opt, sizeof(opt)))
		ktest_main(opt);
#endif

	pr_info("exec-rt: boot complete");
	if (bootinfo_cmdline_has(bi, "smoke"))
		arch_exit(true);

	reaper_start(); /* user tasks end and are freed there */
	struct task *root;
	if (root_task_start(bi, &root) < 0) {
		if (bootinfo_cmdline_has(bi, "utest"))
			arch_exit(false);
		return;
	}
	int64_t status = 0;
	task_wait(root, DEADLINE_NONE, &status);
	pr_info("root: \"%s\" exited with status %lld", root->name,
		(long long)status);
	/* Test mode: the root task's verdict is the machine's. */
	if (bootinfo_cmdline_has(bi, "utest"))
		arch_exit(status == 0);
	kobj_put(&root->obj);
}

void kmain(struct boot_info *bi)
{
	phase_done(PH_START);
	if (bootinfo_cmdline_has(bi, "debug"))
		log_set_console_level(LOG_DEBUG);
	pr_info("exec-rt kernel starting");
	uint64_t usable = dump_boot_info(bi);
	/* A panic before memory, timers and the other CPUs: it must still be
	 * reported and end the run (make check's early-panic test). */
	char opt[16];
	if (bootinfo_cmdline_get(bi, "crashtest", opt, sizeof(opt)) &&
	    !strcmp(opt, "early"))
		panic("crashtest: early, before memory and the other CPUs");
	if (usable < MIN_USABLE_RAM)
		panic("mem: %llu KiB of usable RAM; exec-rt needs at least "
		      "%llu MiB",
		      (unsigned long long)(usable >> 10),
		      (unsigned long long)(MIN_USABLE_RAM >> 20));

	/* Memory first (pmm_init, arch_mm_init), then ACPI, which the
	 * interrupt controllers, timers and CPU start-up all read. */
	/* From the whole map: RAM the kernel cannot reach is dropped next,
	 * and it is still RAM. */
	mmio_deny_boot(&mmio_denied, bi);
	arch_mm_early_init(bi);
	if (pmm_init(bi) < 0)
		panic("pmm: cannot build the frame allocator");
	arch_mm_init(bi);
	struct pmm_stats st;
	pmm_get_stats(&st);
	pr_info("pmm: %llu MiB free of %llu MiB managed",
		(unsigned long long)(st.free_frames >> (20 - PAGE_SHIFT)),
		(unsigned long long)(st.total_frames >> (20 - PAGE_SHIFT)));
	phase_done(PH_MEM);
	if (acpi_init(bi->rsdp, &acpi) < 0)
		pr_warn("acpi: no usable tables; single CPU, legacy timers");
	mmio_deny_acpi(&mmio_denied, &acpi);
	phase_done(PH_ACPI);
	arch_time_init();
	arch_pci_init(); /* PCI configuration access: ECAM or ports */
	phase_done(PH_TIME);

	/* From here on everything runs in threads; this boot context
	 * becomes the boot CPU's idle thread. */
	sched_init();
	arch_sched_init();
	sched_init_cpu();
	phase_done(PH_SCHED);
	arch_smp_init(); /* each AP enters the scheduler as its idle thread */
	phase_done(PH_SMP);
	print_phases();
	/* Above user threads and the in-kernel tests' helpers. */
	struct thread *t = thread_create_kernel(
		kmain_thread, bi, "kmain",
		&(struct sched_params){.cls = SCHED_CLASS_RT, .priority = 50,
				       .cpu = SCHED_CPU_KEEP});

	if (!t)
		panic("kmain: cannot create the main thread");
	thread_start_kernel(t);
	kobj_put(&t->obj);
	sched_start();
}
