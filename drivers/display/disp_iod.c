/* A driver's calls to iod (disp_iod.h). */
#include "disp_iod.h"

#include <stdbool.h>
#include <string.h>

#include <execrt/errors.h>
#include <execrt/runtime.h>

static int call(uint32_t op, uint32_t a, uint32_t b, void *data, uint32_t cap,
		handle_t *h, uint32_t hcap, uint64_t *val)
{
	struct iod_req q = {.op = op, .a = a, .b = b};
	_Alignas(8) uint8_t ans[sizeof(struct iod_resp) + 512];
	struct port_msg m = {.data = &q, .len = sizeof(q)};
	struct port_rx rx = {
		.buf = ans, .cap = sizeof(ans), .handles = h, .hcap = hcap};
	handle_t iod = execrt_handle(START_H_SERVICE);
	if (!iod)
		return ERR_NOT_FOUND;
	long r = sys_port_call(iod, &m, &rx,
			       (uint64_t)sys_clock_now() + 5000000000ull);
	if (r < 0)
		return (int)r;
	struct iod_resp resp;
	if (rx.len < sizeof(resp))
		return ERR_NOT_SUPPORTED;
	memcpy(&resp, ans, sizeof(resp));
	if (resp.err < 0) {
		for (uint32_t i = 0; i < rx.nhandles; i++)
			sys_handle_close(h[i]);
		return resp.err;
	}
	if (resp.len > rx.len - sizeof(resp) || resp.len > cap)
		return ERR_NOT_SUPPORTED;
	if (data)
		memcpy(data, ans + sizeof(resp), resp.len);
	if (val)
		*val = resp.val;
	return (int)rx.nhandles;
}

int disp_iod_info(struct iod_dev_info *info)
{
	memset(info, 0, sizeof(*info));
	int r = call(IOD_DEV_INFO, 0, 0, info, sizeof(*info), NULL, 0, NULL);
	return r < 0 ? r : 0;
}

int disp_iod_handles(handle_t h[IOD_H_COUNT])
{
	handle_t got[PORT_HANDLES_MAX] = {0};
	uint64_t val = 0;
	int r = call(IOD_DEV_HANDLES, 0, 0, NULL, 0, got, PORT_HANDLES_MAX,
		     &val);
	if (r < 0)
		return r;
	/* packed: val says which slots came (an absent IRQ2 before the
	 * second I/O range, ac97) */
	iod_handles_unpack(val, got, (uint32_t)r, h);
	for (int i = 0; i < r; i++) {
		bool used = false;
		for (int k = 0; k < IOD_H_COUNT; k++)
			used |= h[k] == got[i];
		if (!used)
			sys_handle_close(got[i]);
	}
	return 0;
}

int disp_iod_bar(uint32_t bar, uint32_t cache, handle_t *vmo,
		 volatile uint8_t **va, uint64_t *size, uint64_t *phys)
{
	handle_t h[PORT_HANDLES_MAX] = {0};
	uint64_t base = 0;
	int r = call(IOD_DEV_BAR, bar, cache, NULL, 0, h, PORT_HANDLES_MAX,
		     &base);
	if (r < 0)
		return r;
	if (r != 1) {
		for (int i = 0; i < r; i++)
			sys_handle_close(h[i]);
		return ERR_NOT_SUPPORTED;
	}
	uint64_t len;
	long e = sys_vmo_get_size(h[0], &len);
	struct vm_map_req q = {.len = (len + 4095) & ~4095ull,
			       .prot = VM_PROT_READ | VM_PROT_WRITE};
	uint64_t addr = 0;
	if (e == 0)
		e = sys_vm_map(execrt_handle(START_H_SELF_TASK), h[0], &q,
			       &addr);
	if (e < 0) {
		sys_handle_close(h[0]);
		return (int)e;
	}
	*vmo = h[0];
	*va = (volatile uint8_t *)addr;
	*size = q.len;
	if (phys)
		*phys = base;
	return 0;
}
