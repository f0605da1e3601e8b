/* The root task: the only program the kernel loads itself. Its ELF file
 * comes from the initrd (a cpio archive, the first boot module), named by
 * "init=<name>" on the command line (default "init"; looked up as
 * bin/<name>, then <name>). The kernel maps its
 * segments and a stack, writes the start_info block at the stack top and
 * hands it the initial handles; everything else is loaded in user space. */
#include <execrt/cpio.h>
#include <execrt/elf_load.h>
#include <execrt/syscall.h>
#include <kern/acpi.h>
#include <kern/bootinfo.h>
#include <kern/lib.h>
#include <kern/log.h>
#include <kern/mm.h>
#include <kern/pmm.h>
#include <kern/resource.h>
#include <kern/sched_auth.h>
#include <kern/arch.h>
#include <kern/syscall.h>
#include <kern/task.h>
#include <kern/thread.h>
#include <kern/uvm.h>
#include <kern/vmo.h>

#define ROOT_STACK_SIZE (256ull << 10)

static int give(struct task *t, struct kobject *o, uint32_t rights,
		struct start_info *si, unsigned slot)
{
	handle_t h;
	int err = handle_alloc(&t->handles, o, rights, &h);
	if (!err)
		si->handles[slot] = h;
	return err;
}

static int give_resource(struct task *t, uint32_t kind, uint64_t base,
			 uint64_t size, uint32_t rights, struct start_info *si,
			 unsigned slot)
{
	struct resource *r;
	int err = resource_create(kind, base, size, &r);
	if (err)
		return err;
	err = give(t, &r->obj, rights, si, slot);
	kobj_put(&r->obj);
	return err;
}

/* What user space needs of ACPI to power off and reset the machine and to
 * find the ISA interrupts (docs/tasks.md, "The root task"): the kernel
 * parsed it, user space acts on it. Lines absent when not found. */
static size_t acpi_lines(char *text, size_t cap)
{
	size_t n = (size_t)ksnprintf(text, cap,
				     "acpi_pm1a_cnt 0x%x\nacpi_pm1b_cnt 0x%x\n",
				     acpi.pm1a_cnt, acpi.pm1b_cnt);
	if (acpi.has_s5 && n < cap)
		n += (size_t)ksnprintf(text + n, cap - n, "acpi_s5 %u %u\n",
				       acpi.s5_slp_typ_a, acpi.s5_slp_typ_b);
	if (acpi.has_reset && n < cap)
		n += (size_t)ksnprintf(
			text + n, cap - n, "acpi_reset %u 0x%llx 0x%x\n",
			acpi.reset_space, (unsigned long long)acpi.reset_addr,
			acpi.reset_value);
	for (uint8_t irq = 0; irq < 16 && n < cap; irq++)
		n += (size_t)ksnprintf(text + n, cap - n, "isa_irq %u %u\n",
				       irq, acpi_isa_to_gsi(&acpi, irq, NULL));
	return MIN(n, cap);
}

/* The boot information as text, one "key value" per line: stable for user
 * space, independent of the kernel's structure layout. */
static int bootinfo_vmo(struct task *t, const struct boot_info *bi,
			struct vmo **out)
{
	static char text[8192];
	size_t n = 0;
	n += (size_t)ksnprintf(text + n, sizeof(text) - n,
			       "protocol %s\nfirmware %s\ncmdline %s\nrsdp 0x%llx\n"
			       "kernel_entry_ns %llu\n",
			       bi->protocol, bi->uefi ? "uefi" : "bios",
			       bi->cmdline, (unsigned long long)bi->rsdp,
			       (unsigned long long)arch_kernel_entry_ns());
	n += acpi_lines(text + n, sizeof(text) - n);
	for (size_t i = 0; i < bi->nmem && n < sizeof(text); i++)
		n += (size_t)ksnprintf(text + n, sizeof(text) - n,
				       "mem 0x%llx 0x%llx %u\n",
				       (unsigned long long)bi->mem[i].base,
				       (unsigned long long)bi->mem[i].len,
				       bi->mem[i].type);
	if (bi->has_fb && n < sizeof(text))
		n += (size_t)ksnprintf(text + n, sizeof(text) - n,
				       "fb 0x%llx %u %u %u %u\n",
				       (unsigned long long)bi->fb.addr,
				       bi->fb.width, bi->fb.height,
				       bi->fb.pitch, bi->fb.bpp);
	if (bi->has_fb && n < sizeof(text))
		n += (size_t)ksnprintf(text + n, sizeof(text) - n,
				       "fb_rgb %u %u %u %u %u %u\n",
				       bi->fb.red_pos, bi->fb.red_size,
				       bi->fb.green_pos, bi->fb.green_size,
				       bi->fb.blue_pos, bi->fb.blue_size);
	if (bi->kernel_end > bi->kernel_start && n < sizeof(text))
		n += (size_t)ksnprintf(text + n, sizeof(text) - n,
				       "kernel_image 0x%llx 0x%llx\n",
				       (unsigned long long)bi->kernel_start,
				       (unsigned long long)bi->kernel_end);
	if (acpi.mcfg.valid && n < sizeof(text))
		n += (size_t)ksnprintf(text + n, sizeof(text) - n,
				       "pci_ecam 0x%llx %u %u %u\n",
				       (unsigned long long)acpi.mcfg.base,
				       acpi.mcfg.segment, acpi.mcfg.bus_start,
				       acpi.mcfg.bus_end);
	n = MIN(n, sizeof(text) - 1);
	int err = vmo_create(t, ALIGN_UP(n + 1, PAGE_SIZE), out);
	if (!err)
		err = vmo_write(*out, 0, text, n + 1);
	return err;
}

static int map_segments(struct task *t, const struct elf_image *img,
			const uint8_t *file)
{
	for (unsigned i = 0; i < img->nsegs; i++) {
		const struct elf_segment *s = &img->seg[i];
		uint64_t len = s->map_end - s->map_start, addr;
		struct vmo *v;
		int err = vmo_create(t, len, &v);
		if (err)
			return err;
		err = vmo_write(v, s->vaddr - s->map_start, file + s->offset,
				s->filesz);
		if (!err)
			err = uvm_map(t->uvm, v, s->map_start, len, 0, s->prot,
				      VM_MAP_FIXED, &addr);
		kobj_put(&v->obj);
		if (err)
			return err;
	}
	return 0;
}

/* Stack with the start_info block at its top; returns its user address. */
static int map_stack(struct task *t, const struct start_info *si,
		     uint64_t *si_addr)
{
	struct vmo *v;
	uint64_t base = ELF_STACK_HINT - ROOT_STACK_SIZE, addr;
	uint64_t off = ALIGN_DOWN(ROOT_STACK_SIZE - sizeof(*si), 64);
	int err = vmo_create(t, ROOT_STACK_SIZE, &v);
	if (err)
		return err;
	err = vmo_write(v, off, si, sizeof(*si));
	if (!err)
		err = uvm_map(t->uvm, v, base, ROOT_STACK_SIZE, 0,
			      VM_PROT_READ | VM_PROT_WRITE, VM_MAP_FIXED,
			      &addr);
	kobj_put(&v->obj);
	*si_addr = base + off;
	return err;
}

static int populate(struct task *t, const struct boot_info *bi,
		    const struct boot_module *m, const char *name,
		    struct start_info *si)
{
	struct vmo *initrd, *binfo;
	int err = vmo_create_physical(m->base, ALIGN_UP(m->len, PAGE_SIZE),
				      VM_CACHE_WB, &initrd);
	if (err)
		return err;
	err = give(t, &initrd->obj, RIGHTS_INITRD, si, START_H_INITRD);
	kobj_put(&initrd->obj);
	if (err)
		return err;
	if ((err = bootinfo_vmo(t, bi, &binfo)))
		return err;
	err = give(t, &binfo->obj, RIGHTS_BOOTINFO, si, START_H_BOOTINFO);
	kobj_put(&binfo->obj);
	struct vmo *tables;
	if (!err && (err = acpi_tables_vmo(t, &tables)) == ERR_NOT_FOUND)
		err = 0; /* no ACPI: the handle stays HANDLE_INVALID */
	else if (!err) {
		err = give(t, &tables->obj, RIGHTS_ACPI, si, START_H_ACPI);
		kobj_put(&tables->obj);
	}
	if (!err)
		err = give(t, &t->obj, RIGHTS_TASK, si, START_H_SELF_TASK);
	if (!err)
		err = give_resource(t, RES_CONSOLE, 0, 0,
				    RIGHTS_CONSOLE, si, START_H_CONSOLE);
	if (!err)
		err = give_resource(t, RES_SYSINFO, 0, 0,
				    RIGHTS_SYSINFO, si, START_H_SYSINFO);
	if (!err)
		err = give_resource(t, RES_IOPORT, 0, 0x10000,
				    RIGHTS_DEVICE_AUTH, si, START_H_IOPORT);
	if (!err)
		err = give_resource(t, RES_MMIO, 0, 1ull << 52,
				    RIGHTS_DEVICE_AUTH, si, START_H_MMIO);
	if (!err)
		err = give_resource(t, RES_IRQ, 0, 256,
				    RIGHTS_DEVICE_AUTH, si, START_H_IRQ);
	if (!err) /* a budget as large as any RAM the direct map holds */
		err = give_resource(t, RES_DMA, 0, 1ull << 52,
				    RIGHTS_DEVICE_AUTH, si, START_H_DMA);
	if (!err)
		err = give_resource(t, RES_PCI, 0, PCI_BDF_COUNT,
				    RIGHTS_DEVICE_AUTH, si, START_H_PCI);
	if (!err)
		err = give_resource(t, RES_TELEMETRY, 0, 0,
				    RIGHTS_TELEMETRY, si, START_H_TELEMETRY);
	struct sched_auth *sa;
	if (!err)
		err = sched_auth_create_root(
			(uint64_t)arch_cpus_online() * 1000000ull, &sa);
	if (!err) {
		err = give(t, &sa->obj, RIGHTS_SCHED_AUTH, si, START_H_SCHED);
		kobj_put(&sa->obj);
	}
	(void)name;
	return err;
}

static unsigned count_words(const char *s)
{
	unsigned n = 0;
	for (bool in = false; *s; s++) {
		bool blank = *s == ' ' || *s == '\t' || *s == '\n' || *s == '\r';
		n += !blank && !in;
		in = !blank;
	}
	return n;
}

int root_task_start(const struct boot_info *bi, struct task **out)
{
	char name[32] = "init";
	bootinfo_cmdline_get(bi, "init", name, sizeof(name));
	if (bi->nmods == 0) {
		pr_err("root: no initrd module: nothing to run");
		return ERR_NOT_FOUND;
	}
	const struct boot_module *m = &bi->mods[0];
	if (!IS_ALIGNED(m->base, PAGE_SIZE))
		return ERR_INVALID_ARGS;
	/* Programs live under bin/ (docs/system.md); a bare name is the
	 * fallback for hand-made archives. */
	struct cpio_file f;
	char path[40];
	ksnprintf(path, sizeof(path), "bin/%s", name);
	int cerr = cpio_find(phys_to_virt(m->base), m->len, path, &f);
	if (cerr == CPIO_E_NOT_FOUND)
		cerr = cpio_find(phys_to_virt(m->base), m->len, name, &f);
	if (cerr) {
		pr_err("root: \"%s\" not in the initrd: %s", name,
		       cpio_strerror(cerr));
		return ERR_NOT_FOUND;
	}
	struct elf_image img;
	int eerr = elf_parse(f.data, f.size, ELF_DEFAULT_DYN_BASE, &img);
	if (eerr) {
		pr_err("root: \"%s\" is not a loadable ELF: %s", name,
		       elf_strerror(eerr));
		return ERR_INVALID_ARGS;
	}

	/* The root's memory quota: most of what is free now. */
	struct pmm_stats ps;
	pmm_get_stats(&ps);
	uint64_t quota = ps.free_frames * PAGE_SIZE / 8 * 7;
	struct task *t;
	int err = task_create(NULL, name, quota, &t);
	if (err)
		return err;

	static struct start_info si;
	memset(&si, 0, sizeof(si));
	si.magic = START_INFO_MAGIC;
	si.nhandles = START_H_COUNT;
	/* fd slots, START_H_FS and cwd stay zero: the runtime's defaults
	 * (fds 1 and 2 on START_H_CONSOLE, "/"; docs/userland.md). */
	si.mem_quota = quota;
	/* argv: the program name, then whatever follows " -- ". */
	const char *args = strstr(bi->cmdline, " -- ");
	int len = ksnprintf(si.cmdline, sizeof(si.cmdline), "%s%s%s", name,
			    args ? " " : "", args ? args + 4 : "");
	if (len >= (int)sizeof(si.cmdline))
		pr_warn("root: arguments cut to their first %zu of %d bytes",
			sizeof(si.cmdline) - 1, len);
	unsigned words = count_words(si.cmdline);
	if (words > START_ARGV_MAX)
		pr_warn("root: %u words of arguments; the runtime passes the "
			"first %u (program name included)",
			words, START_ARGV_MAX);

	struct thread *th = NULL;
	uint64_t si_addr = 0;
	err = populate(t, bi, m, name, &si);
	if (!err)
		err = map_segments(t, &img, f.data);
	if (!err)
		err = thread_create_user(t, "main", &th);
	if (!err)
		err = give(t, &th->obj, RIGHTS_THREAD, &si, START_H_SELF_THREAD);
	if (!err)
		err = map_stack(t, &si, &si_addr);
	if (!err)
		err = thread_start_user(th, img.entry, si_addr, si_addr);
	if (th)
		kobj_put(&th->obj);
	if (err) {
		pr_err("root: cannot start \"%s\": %s", name, err_name(err));
		task_kill(t, err);
		kobj_put(&t->obj);
		return err;
	}
	pr_info("root: started \"%s\" (entry 0x%llx, quota %llu MiB)", name,
		(unsigned long long)img.entry,
		(unsigned long long)(quota >> 20));
	*out = t;
	return 0;
}
