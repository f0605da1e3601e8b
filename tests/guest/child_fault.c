/* guest-child-fault: faults on purpose, the way argv[1] says.
 *   pf   read address 8 (null page)      -> #PF (14)
 *   gp   read a non-canonical address    -> #GP (13)
 *   ud   ud2                             -> #UD (6)
 *   de   divide by zero                  -> #DE (0)
 *   pfw  write a read-only page at PFW_ADDR; exits with the byte read back
 *        once the parent fixed the page and resumed the thread
 *   pgr H, pgq H N, pgu H N: pager memory (gchild.h)
 * Exit status 200 + n when the fault did not happen (n: which mode). */
#include <stdlib.h>
#include <string.h>

#include <execrt/runtime.h>

#include "gchild.h"

static volatile uint64_t zero;

static int pager_read(handle_t v)
{
	struct vm_map_req req = {.addr = PGR_ADDR,
				 .len = PAGE_SIZE_USER,
				 .prot = VM_PROT_READ,
				 .flags = VM_MAP_FIXED};
	uint64_t got = 0;
	if (sys_vm_map(execrt_handle(START_H_SELF_TASK), v, &req, &got) < 0)
		return 211;
	return *(volatile uint8_t *)PGR_ADDR; /* the pager's byte */
}

/* "pgu": a second thread reads the N pages of H round and round while the
 * first unmaps them under it; the reader's next fault is a real one. */
static volatile uint64_t pgu_addr, pgu_pages;

__attribute__((no_stack_protector, noreturn)) static void
pgu_reader(uint64_t arg)
{
	(void)arg;
	for (uint64_t sum = 0;; sum++)
		for (uint64_t i = 0; i < pgu_pages; i++)
			sum += *(volatile uint8_t *)(pgu_addr +
						     i * PAGE_SIZE_USER);
}

static int pager_unmap(handle_t v, uint64_t pages)
{
	handle_t self = execrt_handle(START_H_SELF_TASK), t;
	uint64_t len = pages * PAGE_SIZE_USER, addr = 0, stack = 0;
	struct vm_map_req req = {.len = len,
				 .prot = VM_PROT_READ | VM_PROT_WRITE};
	struct vm_map_req sreq = {.len = 16 * PAGE_SIZE_USER,
				  .prot = VM_PROT_READ | VM_PROT_WRITE};
	if (sys_vm_map(self, v, &req, &addr) < 0 ||
	    sys_vm_map(self, HANDLE_INVALID, &sreq, &stack) < 0 ||
	    sys_thread_create(self, "reader", 6, &t) < 0)
		return 215;
	pgu_addr = addr;
	pgu_pages = pages;
	if (sys_thread_start(t, (uint64_t)pgu_reader,
			     stack + 16 * PAGE_SIZE_USER - 8, 0) < 0)
		return 216;
	sys_sleep_until((uint64_t)sys_clock_now() + 20000000);
	if (sys_vm_unmap(self, addr, len) < 0)
		return 217;
	sys_sleep_until((uint64_t)sys_clock_now() + 5000000000ull);
	return 218; /* the reader should have ended us */
}

static int pager_quota(handle_t send, uint64_t pages)
{
	handle_t v, dup;
	uint64_t len = pages * PAGE_SIZE_USER, addr = 0;
	if (sys_pager_vmo_create(send, PGQ_KEY, len, &v) < 0 ||
	    sys_handle_dup(v, RIGHT_SAME, &dup) < 0)
		return 212;
	struct port_msg msg = {.nhandles = 1, .handles = &dup};
	if (sys_port_send(send, &msg, DEADLINE_NONE) < 0)
		return 213;
	struct vm_map_req req = {.len = len,
				 .prot = VM_PROT_READ | VM_PROT_WRITE};
	if (sys_vm_map(execrt_handle(START_H_SELF_TASK), v, &req, &addr) < 0)
		return 214;
	for (uint64_t i = 0; i < pages; i++)
		((volatile uint8_t *)addr)[i * PAGE_SIZE_USER] = 1;
	return 0;
}

int main(int argc, char **argv)
{
	const char *m = argc > 1 ? argv[1] : "";
	if (!strcmp(m, "pf")) {
		(void)*(volatile int *)(8 + zero);
		return 201;
	}
	if (!strcmp(m, "gp")) {
		(void)*(volatile int *)(0x8000000000000000ull + zero);
		return 202;
	}
	if (!strcmp(m, "ud")) {
		__asm__ __volatile__("ud2");
		return 203;
	}
	if (!strcmp(m, "de")) {
		volatile uint64_t a = 7;
		return (int)(204 + a / zero);
	}
	if (!strcmp(m, "pfw")) {
		struct vm_map_req req = {.addr = PFW_ADDR,
					 .len = PAGE_SIZE_USER,
					 .prot = VM_PROT_READ,
					 .flags = VM_MAP_FIXED};
		uint64_t got = 0;
		long r = sys_vm_map(execrt_handle(START_H_SELF_TASK),
				    HANDLE_INVALID, &req, &got);
		if (r < 0 || got != PFW_ADDR)
			return 210;
		volatile uint8_t *p = (volatile uint8_t *)PFW_ADDR;
		*p = PFW_BYTE; /* faults; the parent fixes and resumes */
		return *p;
	}
	if (!strcmp(m, "pgr") && argc > 2)
		return pager_read((handle_t)strtoul(argv[2], NULL, 0));
	if (!strcmp(m, "pgu") && argc > 3)
		return pager_unmap((handle_t)strtoul(argv[2], NULL, 0),
				   strtoull(argv[3], NULL, 0));
	if (!strcmp(m, "pgq") && argc > 3)
		return pager_quota((handle_t)strtoul(argv[2], NULL, 0),
				   strtoull(argv[3], NULL, 0));
	return 250;
}
