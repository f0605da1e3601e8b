/* The ACPI tables memory object (START_H_ACPI of the root task): a copy of
 * every table, so user space (iod) can read what the kernel does not
 * interpret, e.g. the DSDT's _PRT interrupt routing, without any authority
 * over physical memory. A copy rather than a mapping: the tables sit in
 * RAM (ACPI reclaimable/NVS), which SYS_VMO_CREATE_PHYS never maps.
 *
 * Only tables that pass acpi_table_ok() (length bounded, checksum good) go
 * in, so a reader may trust each header's length to find the next. */
#include <execrt/errors.h>
#include <kern/acpi.h>
#include <kern/lib.h>
#include <kern/mm.h>
#include <kern/vmo.h>

#include "acpi_tables.h"

/* Every table that goes in, in order: the DSDT, then the root table's
 * entries. Calls fn for each (0 to go on); returns the first error. */
static int each_table(int (*fn)(void *ctx, phys_addr_t pa, uint32_t len),
		      void *ctx)
{
	struct acpi_sdt_header h;
	const char *why;
	int err = 0;
	if (acpi.dsdt_addr && acpi_table_ok(acpi.dsdt_addr, &h, &why))
		err = fn(ctx, acpi.dsdt_addr, h.length);
	size_t n = acpi_root_count();
	for (size_t i = 0; i < n && !err; i++) {
		phys_addr_t pa = acpi_root_table(i);
		if (acpi_table_ok(pa, &h, &why))
			err = fn(ctx, pa, h.length);
	}
	return err;
}

static int count(void *ctx, phys_addr_t pa, uint32_t len)
{
	(void)pa;
	*(uint64_t *)ctx += len;
	return 0;
}

struct copy_ctx {
	struct vmo *v; /* into the object, or into buf (big enough) */
	uint8_t *buf;
	uint64_t off;
};

static int copy(void *ctx, phys_addr_t pa, uint32_t len)
{
	struct copy_ctx *c = ctx;
	int err = 0;
	if (c->v)
		err = vmo_write(c->v, c->off, phys_to_virt(pa), len);
	else
		memcpy(c->buf + c->off, phys_to_virt(pa), len);
	c->off += len;
	return err;
}

size_t acpi_tables_copy(uint8_t *buf, size_t cap)
{
	uint64_t total = 0;
	each_table(count, &total);
	struct copy_ctx c = {.buf = buf};
	if (buf && total <= cap)
		each_table(copy, &c);
	return total;
}

int acpi_tables_vmo(struct task *t, struct vmo **out)
{
	uint64_t total = 0;
	each_table(count, &total);
	if (!total)
		return ERR_NOT_FOUND;
	struct copy_ctx c = {0};
	int err = vmo_create(t, ALIGN_UP(total, PAGE_SIZE), &c.v);
	if (err)
		return err;
	/* The tables cannot change between the passes (nothing writes
	 * them), so the second fits the size the first counted. */
	if ((err = each_table(copy, &c))) {
		kobj_put(&c.v->obj);
		return err;
	}
	*out = c.v;
	return 0;
}
