/* Memory objects: create, size, read/write, ranges, rights, pointers,
 * quota. */
#include <string.h>

#include "gtest.h"
#include "gutil.h"

static uint64_t own_quota(void)
{
	const struct start_info *si = execrt_start_info();
	return si ? si->mem_quota : 0;
}

GTEST(vmo_create_size_zeroed)
{
	handle_t v;
	uint64_t size = 0;
	static uint8_t buf[3 * 4096];
	struct handle_info hi;
	GCHECK_OK(sys_vmo_create(3 * PAGE, &v));
	GCHECK_OK(sys_vmo_get_size(v, &size));
	GCHECK_OK(sys_handle_info(v, &hi));
	memset(buf, 0xee, sizeof(buf));
	long r = sys_vmo_read(v, buf, 0, sizeof(buf));
	sys_handle_close(v);
	GCHECK_EQ(size, 3 * PAGE);
	GCHECK_EQ(hi.type, OBJ_VMO);
	uint32_t want = RIGHT_READ | RIGHT_WRITE | RIGHT_MAP | RIGHT_DUPLICATE |
			RIGHT_TRANSFER;
	GCHECK_EQ(hi.rights & want, want);
	GCHECK_OK(r);
	for (unsigned i = 0; i < sizeof(buf); i++)
		GCHECK_EQ(buf[i], 0);
}

GTEST(vmo_create_bad_input)
{
	handle_t v;
	GCHECK_ERR(sys_vmo_create(0, &v), ERR_INVALID_ARGS);
	/* Beyond the largest object the kernel makes (VMO_MAX_SIZE). */
	GCHECK_ERR(sys_vmo_create(UINT64_MAX, &v), ERR_OUT_OF_RANGE);
	GCHECK_ERR(sys_vmo_create(1ull << 46, &v), ERR_OUT_OF_RANGE);
	/* No object may be left by a failed copy-out (leak check). */
	GCHECK_ERR(sys_vmo_create(PAGE, NULL), ERR_FAULT);
	GCHECK_ERR(sys_vmo_create(PAGE, (handle_t *)KERNEL_PTR), ERR_FAULT);
	GCHECK_ERR(sys_vmo_create(PAGE, (handle_t *)&own_quota), ERR_FAULT);
	GCHECK_ERR(sys_vmo_create(PAGE, (handle_t *)g_unmapped_addr()),
		   ERR_FAULT);
}

/* Larger than the quota: ERR_NO_MEMORY, and the task goes on. */
GTEST(vmo_create_over_quota)
{
	handle_t v;
	GCHECK(own_quota() > 0);
	GCHECK_ERR(sys_vmo_create((own_quota() + 2 * PAGE) & ~(PAGE - 1), &v),
		   ERR_NO_MEMORY);
	GCHECK_ERR(sys_vmo_create(1ull << 35, &v), ERR_NO_MEMORY);
	GCHECK_OK(sys_vmo_create(PAGE, &v));
	GCHECK_OK(sys_handle_close(v));
}

GTEST(vmo_read_write_roundtrip)
{
	handle_t v;
	static char in[2 * 4096], out[2 * 4096];
	for (unsigned i = 0; i < sizeof(in); i++)
		in[i] = (char)(i * 7 + 3);
	GCHECK_OK(sys_vmo_create(3 * PAGE, &v));
	/* Unaligned offsets and lengths, across page boundaries. */
	long w1 = sys_vmo_write(v, in, 100, sizeof(in));
	long r1 = sys_vmo_read(v, out, 100, sizeof(out));
	int same = !memcmp(in, out, sizeof(in));
	long w2 = sys_vmo_write(v, "end", 3 * PAGE - 3, 3);
	char e[3] = {0};
	long r2 = sys_vmo_read(v, e, 3 * PAGE - 3, 3);
	long z1 = sys_vmo_read(v, out, 3 * PAGE, 0);
	long z2 = sys_vmo_write(v, in, 0, 0);
	sys_handle_close(v);
	GCHECK_OK(w1);
	GCHECK_OK(r1);
	GCHECK(same);
	GCHECK_OK(w2);
	GCHECK_OK(r2);
	GCHECK(!memcmp(e, "end", 3));
	GCHECK_OK(z1);
	GCHECK_OK(z2);
}

GTEST(vmo_range_errors)
{
	handle_t v;
	char buf[128];
	GCHECK_OK(sys_vmo_create(PAGE, &v));
	long r[] = {
		sys_vmo_read(v, buf, PAGE, 1),
		sys_vmo_read(v, buf, PAGE - 1, 2),
		sys_vmo_read(v, buf, UINT64_MAX - 10, 100),
		sys_vmo_read(v, buf, 1ull << 62, 1),
		sys_vmo_write(v, buf, PAGE, 1),
		sys_vmo_write(v, buf, PAGE - 100, 101),
		sys_vmo_write(v, buf, UINT64_MAX - 10, 100),
		/* Huge lengths from a valid buffer: the object's end comes
		 * first. */
		sys_vmo_read(v, buf, 0, 1ull << 62),
		sys_vmo_write(v, buf, 0, UINT64_MAX),
	};
	sys_handle_close(v);
	for (unsigned i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
		if (r[i] != ERR_OUT_OF_RANGE)
			printf("    call %u: %s\n", i, err_name(r[i]));
		GCHECK_ERR(r[i], ERR_OUT_OF_RANGE);
	}
}

GTEST(vmo_bad_buffers)
{
	gtest_allow_growth();
	handle_t v;
	GCHECK_OK(sys_vmo_create(2 * PAGE, &v));
	char *p = g_map(2 * PAGE);
	GCHECK(p);
	g_unmap(p + PAGE, PAGE);
	void *ro = (void *)&own_quota; /* our code: readable, not writable */
	long r[] = {
		sys_vmo_read(v, NULL, 0, 16),
		sys_vmo_read(v, (void *)KERNEL_PTR, 0, 16),
		sys_vmo_read(v, (void *)NONCANON_PTR, 0, 16),
		sys_vmo_read(v, (void *)g_unmapped_addr(), 0, 16),
		sys_vmo_read(v, ro, 0, 16),
		sys_vmo_read(v, p + PAGE - 8, 0, 16),
		sys_vmo_read(v, (void *)(USER_TOP - 8), 0, 16),
		sys_vmo_write(v, NULL, 0, 16),
		sys_vmo_write(v, (void *)KERNEL_PTR, 0, 16),
		sys_vmo_write(v, (void *)g_unmapped_addr(), 0, 16),
		sys_vmo_write(v, p + PAGE - 8, 0, 16),
	};
	/* The code must be unchanged and the object still usable. */
	int code_ok =
		((const uint8_t *)ro)[0] != 0 || ((const uint8_t *)ro)[1] != 0;
	long ok = sys_vmo_write(v, p, 0, 16);
	g_unmap(p, PAGE);
	sys_handle_close(v);
	for (unsigned i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
		if (r[i] != ERR_FAULT)
			printf("    call %u: %s\n", i, err_name(r[i]));
		GCHECK_ERR(r[i], ERR_FAULT);
	}
	GCHECK(code_ok);
	GCHECK_OK(ok);
}

GTEST(vmo_rights)
{
	handle_t v;
	char b[4] = "abc";
	uint64_t size = 0;
	GCHECK_OK(sys_vmo_create(PAGE, &v));
	handle_t ro = g_dup(v, RIGHT_READ);
	handle_t wo = g_dup(v, RIGHT_WRITE);
	handle_t none = g_dup(v, 0);
	long r[] = {
		sys_vmo_write(ro, b, 0, 3),
		sys_vmo_read(wo, b, 0, 3),
		sys_vmo_read(none, b, 0, 3),
		sys_vmo_write(g_initrd(), b, 0, 3),
	};
	long ok_r = sys_vmo_read(ro, b, 0, 3);
	long ok_w = sys_vmo_write(wo, b, 0, 3);
	/* The size needs no right. */
	long sz = sys_vmo_get_size(none, &size);
	sys_handle_close(none);
	sys_handle_close(wo);
	sys_handle_close(ro);
	sys_handle_close(v);
	for (unsigned i = 0; i < sizeof(r) / sizeof(r[0]); i++)
		GCHECK_ERR(r[i], ERR_ACCESS_DENIED);
	GCHECK_OK(ok_r);
	GCHECK_OK(ok_w);
	GCHECK_OK(sz);
	GCHECK_EQ(size, PAGE);
}

GTEST(vmo_get_size_bad_input)
{
	uint64_t s;
	GCHECK_ERR(sys_vmo_get_size(g_initrd(), NULL), ERR_FAULT);
	GCHECK_ERR(sys_vmo_get_size(g_initrd(), (uint64_t *)KERNEL_PTR),
		   ERR_FAULT);
	GCHECK_ERR(sys_vmo_get_size(g_initrd(), (uint64_t *)&own_quota),
		   ERR_FAULT);
	GCHECK_ERR(sys_vmo_get_size(HANDLE_INVALID, &s), ERR_BAD_HANDLE);
	GCHECK_ERR(sys_vmo_get_size(g_console(), &s), ERR_WRONG_TYPE);
	GCHECK_OK(sys_vmo_get_size(g_initrd(), &s));
	GCHECK_EQ(s, g_initrd_len);
}

/* Written pages are real frames, and they go with the last handle. */
GTEST(vmo_frames_come_back)
{
	struct kernel_stats a, b;
	handle_t v;
	const uint64_t n = 64;
	static uint8_t page[4096];
	memset(page, 0x3c, sizeof(page));
	GCHECK_OK(g_stats(&a));
	GCHECK_OK(sys_vmo_create(n * PAGE, &v));
	for (uint64_t i = 0; i < n; i++)
		GCHECK_OK(sys_vmo_write(v, page, i * PAGE, PAGE));
	g_stats(&b);
	GCHECK_OK(sys_handle_close(v));
	GCHECK(b.frames_free + n <= a.frames_free);
	/* The harness checks frames_free comes back exactly. */
}

/* The initrd object reads back the archive it holds. */
GTEST(vmo_initrd_is_cpio)
{
	char magic[6];
	GCHECK_OK(sys_vmo_read(g_initrd(), magic, 0, 6));
	GCHECK(!memcmp(magic, "070701", 6) || !memcmp(magic, "070702", 6));
}
