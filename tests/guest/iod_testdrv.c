/* iod-testdrv: a driver started by iod in the guest tests (t_iod.c, iod
 * --match VVVV:DDDD=iod-testdrv). It asks iod for its device as every
 * driver does (iod_proto.h) and checks that what it got reaches its own
 * device only: its PCI handle reads its function and no other and cannot
 * write the BARs, its BAR object cannot be mapped wider than the BAR,
 * nothing it holds makes an MMIO object, its DMA budget and IRQ handle
 * are bounded. It prints one line the test reads from iod's log,
 *   iod-testdrv pci-00:02.0: ok N checks (badge-less)
 * or the first failed check, then waits to be killed (iod restarts it). */
#include <stdio.h>
#include <string.h>

#include <execrt/errors.h>
#include <execrt/iod_proto.h>
#include <execrt/runtime.h>
#include <execrt/sys.h>

static handle_t ep;
static struct iod_dev_info info;
static const char *dev = "?";
static int checks;

static long call(uint32_t op, uint32_t a, uint32_t b, void *data, size_t cap,
		 handle_t *h, uint32_t *nh, uint64_t *val)
{
	struct iod_req q = {.op = op, .a = a, .b = b};
	static _Alignas(8) uint8_t ans[PORT_MSG_MAX];
	handle_t got[PORT_HANDLES_MAX];
	struct port_msg m = {.data = &q, .len = sizeof(q)};
	struct port_rx rx = {.buf = ans,
			     .cap = sizeof(ans),
			     .handles = got,
			     .hcap = PORT_HANDLES_MAX};
	long r = sys_port_call(ep, &m, &rx,
			       (uint64_t)sys_clock_now() + 5000000000ull);
	if (r < 0)
		return r;
	struct iod_resp rs;
	if (rx.len < sizeof(rs))
		return ERR_BAD_STATE;
	memcpy(&rs, ans, sizeof(rs));
	if (data && rs.len <= cap && rx.len == sizeof(rs) + rs.len)
		memcpy(data, ans + sizeof(rs), rs.len);
	if (h)
		memcpy(h, got, rx.nhandles * sizeof(handle_t));
	if (nh)
		*nh = rx.nhandles;
	if (val)
		*val = rs.val;
	return rs.err;
}

#define CHECK(cond, got)                                                       \
	do {                                                                   \
		checks++;                                                      \
		if (!(cond)) {                                                 \
			printf("iod-testdrv %s: FAIL check %d (line %d): "     \
			       "got %ld\n",                                    \
			       dev, checks, __LINE__, (long)(got));            \
			return 1;                                              \
		}                                                              \
	} while (0)

static int pci_checks(handle_t pci)
{
	struct handle_info hi;
	long r = sys_handle_info(pci, &hi);
	CHECK(r == 0 && hi.type == OBJ_RESOURCE && !(hi.rights & RIGHT_MANAGE),
	      hi.rights);
	uint32_t v = 0;
	r = sys_pci_cfg_read(pci, info.bdf, 0, 4, &v);
	CHECK(r == 0 && v == (info.vendor | (uint32_t)info.device << 16), v);
	/* another function: the host bridge (or 00:01.0 for the bridge) */
	uint32_t other = info.bdf ? 0 : 8;
	r = sys_pci_cfg_read(pci, other, 0, 4, &v);
	CHECK(r == ERR_ACCESS_DENIED, r);
	r = sys_pci_cfg_write(pci, other, 4, 2, 0);
	CHECK(r == ERR_ACCESS_DENIED, r);
	/* its own BARs: MANAGE needed, which it has not */
	uint32_t bar0 = 0;
	sys_pci_cfg_read(pci, info.bdf, 0x10, 4, &bar0);
	r = sys_pci_cfg_write(pci, info.bdf, 0x10, 4, bar0);
	CHECK(r == ERR_ACCESS_DENIED, r);
	/* MSI: on its own function, not on another */
	if (info.irq_flags & (IOD_IRQ_MSIX | IOD_IRQ_MSI)) {
		handle_t n;
		struct irq_msi msg;
		r = sys_notif_create(&n);
		CHECK(r == 0, r);
		r = sys_irq_create_msi(pci, info.bdf, n, 1, &msg);
		CHECK(r == 0 && msg.irq && msg.addr, r);
		sys_handle_close(msg.irq);
		r = sys_irq_create_msi(pci, other, n, 1, &msg);
		CHECK(r == ERR_ACCESS_DENIED, r);
		sys_handle_close(n);
	}
	/* the handle cannot be widened to the next function */
	handle_t w;
	r = sys_resource_derive(pci, info.bdf, 2, RIGHT_SAME, &w);
	CHECK(r == ERR_OUT_OF_RANGE, r);
	return 0;
}

static int bar_checks(handle_t *hs, int nh)
{
	int i = 0;
	while (i < 6 && !(info.bar[i].flags & IOD_BAR_MEM && info.bar[i].size))
		i++;
	if (i == 6)
		return 0;
	handle_t b = HANDLE_INVALID;
	uint32_t n = 0;
	uint64_t phys = 0;
	long r = call(IOD_DEV_BAR, (uint32_t)i, 0, NULL, 0, &b, &n, &phys);
	CHECK(r == 0 && n == 1 && phys == info.bar[i].base, r);
	uint64_t size = 0, want = (info.bar[i].size + 4095) & ~4095ull;
	r = sys_vmo_get_size(b, &size);
	CHECK(r == 0 && size == want, size);
	struct handle_info hi;
	sys_handle_info(b, &hi);
	CHECK(!(hi.rights & RIGHT_EXECUTE), hi.rights);
	struct vm_map_req req = {.len = size + 4096,
				 .prot = VM_PROT_READ | VM_PROT_WRITE};
	uint64_t addr = 0;
	r = sys_vm_map(execrt_handle(START_H_SELF_TASK), b, &req, &addr);
	CHECK(r == ERR_OUT_OF_RANGE, r); /* no wider than the BAR */
	req.len = size;
	r = sys_vm_map(execrt_handle(START_H_SELF_TASK), b, &req, &addr);
	CHECK(r == 0, r);
	sys_vm_unmap(execrt_handle(START_H_SELF_TASK), addr, size);
	/* nothing the driver holds is an MMIO authority: not its BAR again,
	 * not a neighbour's (the page after its BAR), not RAM */
	handle_t v;
	for (int k = 0; k < nh; k++) {
		r = sys_vmo_create_phys(hs[k], info.bar[i].base, 4096, 0, &v);
		CHECK(r == ERR_WRONG_TYPE, r);
		r = sys_vmo_create_phys(hs[k], info.bar[i].base + want, 4096, 0,
					&v);
		CHECK(r == ERR_WRONG_TYPE, r);
	}
	r = sys_vmo_create_phys(b, 0x100000, 4096, 0, &v);
	CHECK(r == ERR_WRONG_TYPE, r);
	sys_handle_close(b);
	/* refused requests: the same BAR again (once per instance), */
	CHECK(call(IOD_DEV_BAR, (uint32_t)i, 0, NULL, 0, NULL, NULL, NULL) ==
		      ERR_BAD_STATE,
	      i);
	CHECK(call(IOD_DEV_BAR, 6, 0, NULL, 0, NULL, NULL, NULL) ==
		      ERR_INVALID_ARGS,
	      6);
	CHECK(call(IOD_DEV_BAR, (uint32_t)i, 7, NULL, 0, NULL, NULL, NULL) ==
		      ERR_INVALID_ARGS,
	      7);
	for (int k = 0; k < 6; k++)
		if (!info.bar[k].size) {
			r = call(IOD_DEV_BAR, (uint32_t)k, 0, NULL, 0, NULL,
				 NULL, NULL);
			CHECK(r == ERR_NOT_FOUND, r);
			break;
		}
	return 0;
}

static int other_checks(const handle_t *h)
{
	long r;
	if (h[IOD_H_DMA]) {
		handle_t v;
		r = sys_vmo_create_dma(h[IOD_H_DMA], 4096, &v);
		CHECK(r == 0, r);
		sys_handle_close(v);
		r = sys_vmo_create_dma(h[IOD_H_DMA], info.dma_budget + 4096,
				       &v);
		CHECK(r < 0, r);
	}
	if (h[IOD_H_IRQ]) {
		handle_t n, irq;
		r = sys_notif_create(&n);
		CHECK(r == 0, r);
		r = sys_irq_create(h[IOD_H_IRQ], info.legacy_gsi + 1, n, 1,
				   &irq);
		CHECK(r == ERR_OUT_OF_RANGE || r == ERR_ACCESS_DENIED, r);
		sys_handle_close(n);
	}
	return 0;
}

/* One JSON request on the names endpoint the driver was given: 1 when
 * the answer is an error with code, 0 otherwise, <0: no answer. */
static long names_denied(const char *js, handle_t h, const char *code)
{
	static char ans[512];
	struct port_msg m = {.data = js,
			     .len = (uint32_t)strlen(js),
			     .handles = &h,
			     .nhandles = h ? 1 : 0};
	handle_t got[PORT_HANDLES_MAX];
	struct port_rx rx = {.buf = ans,
			     .cap = sizeof(ans) - 1,
			     .handles = got,
			     .hcap = PORT_HANDLES_MAX};
	long r = sys_port_call(execrt_handle(START_H_NAMES), &m, &rx,
			       (uint64_t)sys_clock_now() + 5000000000ull);
	if (r < 0)
		return r;
	for (uint32_t i = 0; i < rx.nhandles; i++)
		sys_handle_close(got[i]);
	ans[rx.len] = 0;
	return strstr(ans, "\"ok\":false") && strstr(ans, code);
}

/* A driver cannot take iod's name (or anyone's) through the names
 * endpoint it holds (REVIEW-14 F8): it is iod's proxy, not names. */
static int names_checks(void)
{
	handle_t port, send;
	long r = sys_port_create(0, &port, &send);
	CHECK(r == 0, r);
	r = names_denied("{\"cmd\":\"register\",\"name\":\"/svc/iod\","
			 "\"port\":0}",
			 send, "DENIED");
	CHECK(r == 1, r);
	r = names_denied("{\"cmd\":\"unregister\",\"name\":\"/svc/iod\"}", 0,
			 "DENIED");
	CHECK(r == 1, r);
	r = names_denied("{\"cmd\":\"lookup\",\"name\":\"/svc/iod\"}", 0,
			 "DENIED");
	CHECK(r == 1, r);
	sys_handle_close(port);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		printf("iod-testdrv: usage: iod-testdrv DEV\n");
		return 2;
	}
	dev = argv[1];
	ep = execrt_handle(START_H_SERVICE);
	long r =
		call(IOD_DEV_INFO, 0, 0, &info, sizeof(info), NULL, NULL, NULL);
	CHECK(r == 0 && !strcmp(info.name, dev), r);
	handle_t got[IOD_H_COUNT], h[IOD_H_COUNT];
	uint32_t nh = 0;
	uint64_t val = 0;
	r = call(IOD_DEV_HANDLES, 0, 0, NULL, 0, got, &nh, &val);
	CHECK(r == 0 && nh <= IOD_H_COUNT, r);
	iod_handles_unpack(val, got, nh, h);
	CHECK(h[IOD_H_PCI] && h[IOD_H_DMA], val);
	/* one handle set (one DMA budget) per instance (REVIEW-14 F2) */
	uint32_t nh2 = 0;
	r = call(IOD_DEV_HANDLES, 0, 0, NULL, 0, NULL, &nh2, NULL);
	CHECK(r == ERR_BAD_STATE && nh2 == 0, r);
	if (pci_checks(h[IOD_H_PCI]) || bar_checks(got, (int)nh) ||
	    other_checks(h))
		return 1;
	/* a request that is not an iod_req */
	struct port_msg m = {.data = "x", .len = 1};
	static uint8_t ans[64];
	struct port_rx rx = {.buf = ans, .cap = sizeof(ans)};
	r = sys_port_call(ep, &m, &rx,
			  (uint64_t)sys_clock_now() + 5000000000ull);
	int32_t err = 0;
	memcpy(&err, ans, sizeof(err));
	CHECK(r == 0 && err == ERR_INVALID_ARGS, err);
	if (names_checks())
		return 1;
	printf("iod-testdrv %s: ok %d checks\n", dev, checks);
	fflush(stdout);
	for (;;)
		sys_sleep_until(DEADLINE_NONE);
}
