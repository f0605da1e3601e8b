/* Host unit tests link the portable kernel code without the arch tree:
 * stand-ins for the page tables and user copies uvm.c and vmo.c call.
 * Nothing here is built into the kernel. */
#ifdef HOST_TEST
#include <execrt/errors.h>
#include <execrt/syscall.h>
#include <kern/lib.h>
#include <kern/uaccess.h>
#include <kern/vm.h>
#include <stdlib.h>

struct vm_space {
	uint64_t tables;
};

struct vm_space *vm_space_create(void)
{
	struct vm_space *s = calloc(1, sizeof(*s));
	if (s)
		s->tables = 1;
	return s;
}

void vm_space_destroy(struct vm_space *s)
{
	free(s);
}

void vm_space_activate(struct vm_space *s)
{
	(void)s;
}

void vm_space_lazy(void)
{
}

bool vm_space_leave_lazy(void)
{
	return false;
}

uint64_t vm_space_tables(struct vm_space *s)
{
	return s->tables;
}

unsigned arch_vm_cache_flags(enum vm_cache c)
{
	return c == VM_CACHE_UC ? VM_UNCACHED : c == VM_CACHE_WC ? VM_WC : 0;
}

int vm_map(struct vm_space *s, virt_addr_t va, phys_addr_t pa, size_t size,
	   unsigned flags, bool large)
{
	return 0;
}

int vm_unmap(struct vm_space *s, virt_addr_t va, size_t size)
{
	return 0;
}

int vm_protect(struct vm_space *s, virt_addr_t va, size_t size, unsigned flags)
{
	return 0;
}

bool vm_translate(struct vm_space *s, virt_addr_t va, phys_addr_t *pa,
		  unsigned *flags)
{
	return false;
}

int copy_from_user(void *dst, const void *usrc, size_t len)
{
	return ERR_FAULT;
}

int copy_to_user(void *udst, const void *src, size_t len)
{
	return ERR_FAULT;
}
#endif
