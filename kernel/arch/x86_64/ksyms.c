/* Symbolization from the table that tools/gen-ksyms.py links into .ksyms,
 * and frame-pointer backtraces (the kernel is built with frame pointers). */
#include <arch/ksyms.h>
#include <kern/arch.h>
#include <kern/lib.h>
#include <kern/log.h>

extern const uint64_t ksyms_table[];
extern const char __text_start[], __text_end[], __ksyms_end[];

const char *ksym_lookup(uintptr_t addr, uintptr_t *offset)
{
	uint64_t n = ksyms_table[0];
	const uint64_t *addrs = &ksyms_table[1];
	/* A count that does not fit the section means the table was
	 * overwritten (firmware, a stray write): no names then. */
	uint64_t room = (uint64_t)(__ksyms_end - (const char *)addrs);
	if (n == 0 || n > room / 12)
		return NULL;
	const uint32_t *offs = (const uint32_t *)&addrs[n];
	const char *names = (const char *)&offs[n];
	if (addr < addrs[0] || addr >= (uintptr_t)__text_end)
		return NULL;
	/* Last symbol whose address is <= addr. */
	uint64_t lo = 0, hi = n;
	while (hi - lo > 1) {
		uint64_t mid = (lo + hi) / 2;
		if (addrs[mid] <= addr)
			lo = mid;
		else
			hi = mid;
	}
	if (offs[lo] >= (uint64_t)(__ksyms_end - names))
		return NULL;
	*offset = addr - addrs[lo];
	return names + offs[lo];
}

static void print_frame(unsigned i, uintptr_t rip)
{
	uintptr_t off;
	const char *name = ksym_lookup(rip, &off);
	if (name)
		kprintf("  #%-2u %016lx %s+0x%lx\n", i, rip, name, off);
	else
		kprintf("  #%-2u %016lx ?\n", i, rip);
}

/* Frames live on kernel stacks, all of which are in the kernel half. */
static bool frame_ok(uintptr_t rbp)
{
	return rbp >= 0xffff800000000000ul && (rbp & 7) == 0 &&
	       rbp < UINTPTR_MAX - 16;
}

void backtrace_from(uintptr_t rip, uintptr_t rbp)
{
	kprintf("backtrace:\n");
	print_frame(0, rip);
	for (unsigned i = 1; i < 32 && frame_ok(rbp); i++) {
		uintptr_t *fp = (uintptr_t *)rbp;
		uintptr_t ret = fp[1];
		if (ret < (uintptr_t)__text_start || ret >= (uintptr_t)__text_end)
			break;
		/* Return addresses point after the call; step back one byte
		 * so the symbol is the caller's even for noreturn calls. */
		print_frame(i, ret - 1);
		if (fp[0] <= rbp)
			break; /* frames must move up the stack */
		rbp = fp[0];
	}
}

void arch_dump_stack(void)
{
	uintptr_t *fp = __builtin_frame_address(0);
	backtrace_from((uintptr_t)__builtin_return_address(0) - 1, fp[0]);
}
