/* lspci: the devices iod found (`list` on /svc/iod, docs/devices.md),
 * one line each in the manner of Linux's lspci:
 *   00:02.0 VGA compatible controller [0300]: 1af4:1050 driver=virtio-gpu
 * running Devices that are not PCI functions (the PS/2 controller, the boot
 * framebuffer) follow with their iod name. */
#include <stdio.h>
#include <string.h>

#include <execrt/iod_proto.h>
#include <execrt/sys.h>

#include "sh.h"

#define IOD_WAIT_NS 500000000ull

static struct cl_resp resp;

static void line(const struct cl_resp *r, int i)
{
	char k[48], bdf[16] = "", cls[8] = "", cname[48] = "", ven[8] = "",
		    dev[8] = "", drv[32] = "", st[16] = "", kind[8] = "",
		    name[32] = "";
	int64_t restarts = 0;
#define S(field, buf)                                                          \
	snprintf(k, sizeof(k), "devices.%d." field, i);                        \
	cl_resp_str(r, k, buf, sizeof(buf))
	S("dev", name);
	S("bdf", bdf);
	S("class", cls);
	S("class_name", cname);
	S("vendor", ven);
	S("device", dev);
	S("driver", drv);
	S("state", st);
	S("kind", kind);
#undef S
	snprintf(k, sizeof(k), "devices.%d.restarts", i);
	cl_resp_int(r, k, &restarts);
	if (bdf[0])
		printf("%s %s [%s]: %s:%s", bdf, cname, cls, ven, dev);
	else
		printf("%s %s device:", name,
		       !strcmp(kind, "fb") ? "framebuffer" : "legacy");
	if (drv[0])
		printf(" driver=%s %s", drv, st);
	if (restarts)
		printf(" (restarts %lld)", (long long)restarts);
	printf("\n");
}

void sh_lspci(struct sh *s)
{
	struct cl_conn c;
	cl_err_t e = cl_connect(IOD_SVC_NAME,
				(uint64_t)sys_clock_now() + IOD_WAIT_NS, &c);
	if (e < 0) {
		printf("lspci: %s: %s\n", IOD_SVC_NAME, cl_strerror(e));
		s->status = SH_STATUS_ERROR;
		return;
	}
	int64_t from = 0;
	for (int page = 0; page < 16; page++) {
		char req[48];
		snprintf(req, sizeof(req), "{\"cmd\":\"list\",\"from\":%lld}",
			 (long long)from);
		e = cl_request(&c, req, &resp);
		if (e < 0) {
			printf("lspci: %s\n", e == CL_ERR_REMOTE
						      ? resp.message
						      : cl_strerror(e));
			s->status = SH_STATUS_ERROR;
			break;
		}
		for (int i = 0;; i++) {
			char k[32], v[IOD_NAME_MAX];
			snprintf(k, sizeof(k), "devices.%d.dev", i);
			if (cl_resp_str(&resp, k, v, sizeof(v)) < 0)
				break;
			line(&resp, i);
		}
		if (cl_resp_int(&resp, "next", &from) < 0)
			break;
	}
	cl_resp_close(&resp);
	cl_close(&c);
}
