/* The pure checks of port message decoding (kernel/ipc/msg_decode.c, run
 * by sys_port.c on every send, call, reply and receive) against an
 * independent statement of the rules, with 128-bit arithmetic so that no
 * wrap-around can hide on either side. The input gives a port_msg, a
 * port_rx and a handle-value array; pointers are either raw bits or one of
 * the user-space bounds plus a small signed offset. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <execrt/errors.h>
#include <execrt/syscall.h>
#include <kern/msg_decode.h>

static const uint8_t *in;
static size_t in_len;

static uint64_t take(int n)
{
	uint64_t v = 0;
	for (int i = 0; i < n; i++) {
		v = v << 8 | (in_len ? *in : 0);
		if (in_len)
			in++, in_len--;
	}
	return v;
}

static uint64_t pointer(void)
{
	static const uint64_t base[] = {0,	    USER_BASE,
					USER_TOP,   USER_TOP / 2,
					UINT64_MAX, 0xffff800000000000ull};
	uint8_t sel = (uint8_t)take(1);
	if (sel & 0x80)
		return take(8);
	int16_t delta = (int16_t)take(2);
	return base[sel % (sizeof(base) / sizeof(base[0]))] + (uint64_t)delta;
}

static uint32_t count(void)
{
	uint8_t sel = (uint8_t)take(1);
	if (sel & 0x80)
		return (uint32_t)take(4);
	return sel; /* around the limits (8 handles, 4096 bytes) */
}

static uint32_t length(void)
{
	uint8_t sel = (uint8_t)take(1);
	if (sel & 0x80)
		return (uint32_t)take(4);
	return (uint32_t)(sel * 64 + (take(1) & 63)); /* 0 .. ~8 KiB */
}

static bool in_user(uint64_t addr, uint64_t len)
{
	return addr >= USER_BASE &&
	       (unsigned __int128)addr + len <= (unsigned __int128)USER_TOP;
}

static void expect(int got, int want, const char *what)
{
	if (got != want) {
		fprintf(stderr, "msg_decode fuzz: %s gave %d, expected %d\n",
			what, got, want);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	in = data;
	in_len = size;

	struct port_msg pm;
	memset(&pm, 0, sizeof(pm));
	pm.data = (const void *)(uintptr_t)pointer();
	pm.len = length();
	pm.handles = (const handle_t *)(uintptr_t)pointer();
	pm.nhandles = count();
	int want = 0;
	if (pm.len > PORT_MSG_MAX || pm.nhandles > PORT_HANDLES_MAX)
		want = ERR_INVALID_ARGS;
	else if ((pm.len && !in_user((uintptr_t)pm.data, pm.len)) ||
		 (pm.nhandles &&
		  !in_user((uintptr_t)pm.handles,
			   sizeof(handle_t) * (uint64_t)pm.nhandles)))
		want = ERR_FAULT;
	expect(msg_check_header(&pm), want, "msg_check_header");

	struct port_rx rx;
	memset(&rx, 0xa5, sizeof(rx)); /* out fields must not matter */
	rx.buf = (void *)(uintptr_t)pointer();
	rx.cap = length();
	rx.handles = (handle_t *)(uintptr_t)pointer();
	rx.hcap = count();
	want = 0;
	if ((rx.cap && !in_user((uintptr_t)rx.buf, rx.cap)) ||
	    (rx.hcap && !in_user((uintptr_t)rx.handles,
				 sizeof(handle_t) * (uint64_t)rx.hcap)))
		want = ERR_FAULT;
	expect(msg_check_rx(&rx), want, "msg_check_rx");

	/* The values of a message whose header passed: n <= the maximum,
	 * held in exactly n slots (ASan sees any read beyond). Values come
	 * from a small alphabet so that duplicates are common. */
	uint32_t n = (uint32_t)take(1) % (PORT_HANDLES_MAX + 1);
	handle_t *hv = malloc(n * sizeof(*hv) + 1);
	for (uint32_t i = 0; i < n; i++) {
		uint8_t b = (uint8_t)take(1);
		hv[i] = b & 0x80 ? (handle_t)take(4) : (handle_t)(b & 7) << 16;
	}
	want = 0;
	for (uint32_t i = 0; i < n && !want; i++)
		for (uint32_t j = i + 1; j < n; j++)
			if (hv[i] == hv[j])
				want = ERR_INVALID_ARGS;
	expect(msg_check_handle_values(hv, n), want, "msg_check_handle_values");
	free(hv);
	return 0;
}
