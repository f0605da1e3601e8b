/* guest-child-grant: maps the grant H given by the parent, the way argv[1]
 * says (docs/ipc.md "## Grants").
 *   rw H    map read-write, check the parent's word, answer; exit 0
 *   ro H    map read-only, check a read-write map is refused, then write
 *           (faults: the task ends without reaching its exit)
 *   wait H  map read-write, answer and publish the address, then keep
 *           reading until the parent revokes (faults)
 * Exit status 100 + n when something went wrong (n: which check). */
#include <stdlib.h>
#include <string.h>

#include <execrt/runtime.h>

#include "gchild.h"

int main(int argc, char **argv)
{
	if (argc < 3)
		return 100;
	const char *m = argv[1];
	handle_t self = execrt_handle(START_H_SELF_TASK);
	handle_t g = (handle_t)strtoull(argv[2], NULL, 0);
	uint32_t perms = VM_PROT_READ;
	if (strcmp(m, "ro"))
		perms |= VM_PROT_WRITE;
	uint64_t addr = 0;
	if (!strcmp(m, "ro") &&
	    sys_grant_map(self, g, VM_PROT_READ | VM_PROT_WRITE, 0, &addr) !=
		    ERR_ACCESS_DENIED)
		return 101;
	if (sys_grant_map(self, g, perms, 0, &addr) < 0 || !addr)
		return 102;
	volatile uint64_t *p = (volatile uint64_t *)addr;
	if (p[0] != GRANT_MAGIC_P)
		return 103;
	if (!strcmp(m, "rw")) {
		p[1] = GRANT_MAGIC_C;
		if (sys_grant_unmap(self, addr) < 0)
			return 104;
		return 0;
	}
	if (!strcmp(m, "ro")) {
		p[1] = GRANT_MAGIC_C; /* faults */
		return 105;
	}
	if (!strcmp(m, "wait")) {
		p[2] = addr;
		p[1] = GRANT_MAGIC_C;
		for (;;) {
			(void)p[0]; /* faults once revoked */
			sys_yield();
		}
	}
	return 110;
}
