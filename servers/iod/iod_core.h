/* iod's core (docs/devices.md "iod"): the device list built from the PCI
 * scan, the _PRT and the boot information; one driver instance per
 * matched device and its supervision (start, death, device reset,
 * backoff); the device-request protocol (iod_proto.h) and /svc/iod's
 * JSON (iod_json.c). No system calls: what needs the kernel goes
 * through struct iod_plat, so tests/host/test_iod_core.c drives it with
 * fakes. Single-threaded. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <execrt/iod_proto.h>

#include "aml.h"
#include "drvtab.h"
#include "pci.h"

#define IOD_DEV_MAX	48
#define IOD_BACKOFF_MIN (10ull * 1000 * 1000)	/* 10 ms */
#define IOD_BACKOFF_MAX (1000ull * 1000 * 1000) /* 1 s */
#define IOD_STABLE_NS	(1000ull * 1000 * 1000) /* up 1 s: "running" */
/* IOD_FAIL_MAX failed starts (a start error, or an end before
 * IOD_STABLE_NS that `restart` did not ask for) within IOD_FAIL_WINDOW
 * (the last IOD_FAIL_MAX of them, a sliding window, as init's services):
 * the driver is marked failed and not started again until a `restart`
 * (a driver that can never fit, e.g. on a small machine). */
#define IOD_FAIL_MAX	10
#define IOD_FAIL_WINDOW (60ull * 1000 * 1000 * 1000) /* 60 s */
#define IOD_NEVER	UINT64_MAX

enum iod_state {
	IOD_ST_NONE,	 /* no driver in the table (bridges, ...) */
	IOD_ST_MISSING,	 /* its driver is not in /boot/bin: skipped */
	IOD_ST_WAITING,	 /* to be started (at due_ns) */
	IOD_ST_STARTING, /* its task runs, for less than IOD_STABLE_NS */
	IOD_ST_RUNNING,	 /* up for at least IOD_STABLE_NS */
	IOD_ST_BACKOFF,	 /* it died; starts again at due_ns */
	IOD_ST_FAILED,	 /* IOD_FAIL_MAX failed starts: only `restart` */
};

struct iod_dev {
	struct iod_dev_info info; /* what IOD_DEV_INFO answers */
	struct pci_dev pci;	  /* PCI only */
	const struct drv_entry *drv;
	uint8_t state;	  /* enum iod_state */
	bool dirty;	  /* reset before the next start */
	bool restart_now; /* a `restart` command: next start without delay */
	uint8_t irq_via;  /* IOD_VIA_* */
	uint64_t badge;	  /* the live instance's badge; 0: none */
	uint32_t task;	  /* the platform's handle of its task; 0: none */
	uint64_t koid;	  /* its task's koid (for `list`) */
	/* What the live instance was given (IOD_DEV_HANDLES, IOD_DEV_BAR
	 * bit per index): once each, so one instance holds one DMA budget
	 * and a bounded number of iod-charged objects. */
	bool handles_given;
	uint8_t bars_given;
	uint32_t starts, restarts;
	uint64_t fail_at[IOD_FAIL_MAX]; /* the last failed starts (ring) */
	uint8_t nfails, fail_next;
	uint64_t started_ns, due_ns, delay_ns;
	int64_t last_status;
	bool exited; /* last_status is set */
};

#define IOD_VIA_NONE 0
#define IOD_VIA_PRT  1 /* ACPI _PRT */
#define IOD_VIA_LINE 2 /* interrupt-line register + isa_irq (fallback) */
#define IOD_VIA_ISA  3 /* a legacy ISA device: isa_irq lines */

struct iod_plat {
	void *ctx;
	/* Is /boot/bin/<program> there? */
	bool (*have_program)(void *ctx, const char *program);
	/* Starts d's driver with an endpoint minted with badge: 0 and
	 * d->task/d->koid set, or a negative error. */
	long (*start)(void *ctx, struct iod_dev *d, uint64_t badge);
	/* Kills d's task and waits a little for its end: true and *status
	 * when it ended (the caller then finishes it: iod_exited), false
	 * when its end is left to the death notice. */
	bool (*kill)(void *ctx, struct iod_dev *d, int64_t *status);
	/* Forgets d's ended task (closes the handle). */
	void (*reap)(void *ctx, struct iod_dev *d);
	/* Resets the device (pci_reset_*; an FLR sleeps 100 ms). */
	void (*reset)(void *ctx, struct iod_dev *d);
	/* Sizes d->pci's BARs (pci_size_bars): devices without a driver
	 * are sized when first asked about (`info`). */
	void (*size)(void *ctx, struct iod_dev *d);
	/* IOD_DEV_HANDLES: fills h[IOD_H_COUNT] (0 where absent). */
	long (*handles)(void *ctx, struct iod_dev *d, uint32_t *h);
	/* IOD_DEV_BAR: a memory object over [base, base+size). */
	long (*bar)(void *ctx, struct iod_dev *d, uint64_t base, uint64_t size,
		    uint32_t cache, uint32_t *h);
	void (*log)(void *ctx, const char *line);
};

struct iod_boot {
	uint32_t isa_gsi[16]; /* bootinfo isa_irq (identity when absent) */
	bool has_fb;
	uint64_t fb_addr;
	uint32_t fb_width, fb_height, fb_pitch, fb_bpp;
	uint8_t fb_rgb[6]; /* red pos/size, green, blue */
	int has_8042;	   /* acpi_has_8042: -1 not said */
};

struct iod {
	struct iod_dev dev[IOD_DEV_MAX];
	int n;
	uint64_t next_badge;
	struct iod_plat plat;
	int prt_status; /* aml_root_prt's answer (AML_NO_PRT: no ACPI) */
	int prt_entries;
	uint64_t requests, denied, deaths;
	uint64_t names_denied; /* drivers' names requests refused */
};

/* The boot information's text (bootinfo lines `isa_irq N GSI`,
 * `fb ADDR W H PITCH BPP`, `fb_rgb RP RS GP GS BP BS`) -> *b (has_8042
 * -1: the caller fills it from the ACPI tables). */
void iod_boot_parse(const char *text, size_t len, struct iod_boot *b);

void iod_init(struct iod *s, const struct iod_plat *plat);
/* The device list: PCI functions (n of them), the PS/2 controller and the
 * boot framebuffer per b; drivers matched, legacy lines routed through
 * prt (prt_status AML_OK) or the interrupt-line fallback. */
void iod_build(struct iod *s, const struct pci_dev *pci, int n,
	       const struct prt *prt, int prt_status, const struct iod_boot *b);

/* Starts what is due (resetting dirty devices first) and moves
 * instances up for IOD_STABLE_NS to running: the next time something is
 * due (IOD_NEVER: nothing). */
uint64_t iod_tick(struct iod *s, uint64_t now);
/* Device i's driver ended with status: reset, backoff (or failed after
 * IOD_FAIL_MAX failed starts in IOD_FAIL_WINDOW), log. */
void iod_exited(struct iod *s, int i, int64_t status, uint64_t now);
/* The `restart` command: kills the instance, resets the device and
 * starts a new instance at once (or ends a backoff, or tries a failed
 * driver again with its failure count cleared). 0, or -1 when i has no
 * driver. */
int iod_restart(struct iod *s, int i, uint64_t now);

/* d's BARs sized (plat.size) and in its info, if not yet. */
void iod_sized(struct iod *s, struct iod_dev *d);

int iod_find_name(const struct iod *s, const char *name);
int iod_find_badge(const struct iod *s, uint64_t badge);
const char *iod_state_name(int state);

/* A device request (iod_proto.h) on badge's endpoint: fills *r, data
 * (at most sizeof(struct iod_dev_info)) and handles (*nh of them, at most
 * IOD_H_COUNT). */
void iod_request(struct iod *s, uint64_t badge, const void *msg, size_t len,
		 struct iod_resp *r, void *data, uint32_t *h, uint32_t *nh);

/* A /svc/iod JSON request: the answer's length in out (< cap). ctl: it
 * came through /svc/iod-ctl, the only endpoint `restart` is served on
 * (REVIEW-14 F3: killing drivers is not for everyone who can list). */
size_t iod_json(struct iod *s, const char *msg, size_t len, char *out,
		size_t cap, uint64_t now, bool ctl);

/* A names request (docs/names.md) a driver sent on its own endpoint
 * (badge): iod forwards it under its own names badge if the driver
 * table allows it (register/unregister of the entry's `publish` name
 * with nhandles send handles; lookup of its `lookup` name, never
 * waiting: *wait says the driver asked to, and a NOT_FOUND answer is
 * then turned into BUSY so the client polls). 0 and the request for
 * names in fwd (*flen bytes), or <0 and the answer in out (*olen). */
int iod_names_req(struct iod *s, uint64_t badge, const char *msg, size_t len,
		  uint32_t nhandles, char *fwd, size_t fcap, size_t *flen,
		  bool *wait, char *out, size_t ocap, size_t *olen);

/* "00:02.0" */
void iod_bdf_str(uint16_t bdf, char *out, size_t cap);
