/* iod's ACPI reader (docs/devices.md "Interrupt routing"): the tables
 * object (START_H_ACPI: every table whole, one after another, the DSDT
 * first) and a small AML reader for the PCI root's _PRT in the forms
 * QEMU's pc and q35 DSDTs use. No system calls; host-tested against the
 * DSDTs QEMU generates (tests/host/data/acpi-*.bin, tools/acpi-dump.py).
 *
 * Not an AML interpreter: it walks the namespace-level terms (Scope,
 * Device, Name, Method, OperationRegion, Field...), skipping method
 * bodies; the _PRT is either Name(_PRT, Package) or a Method whose body
 * is If/Else/Return choosing a named Package by the PIC-mode variable
 * (the one \_PIC stores Arg0 into), evaluated in APIC mode only. A link
 * device's GSI comes from a static _CRS (Name(_CRS, Buffer): Extended
 * Interrupt or IRQ descriptor). Anything else is reported, not guessed:
 * pc's _PRT is a Method computing the table in a While loop and its
 * LNKx _CRS read the PIIX4 routing registers, so iod falls back to the
 * interrupt-line register the firmware wrote (an ISA IRQ) + the ISA
 * override mapping (bootinfo `isa_irq`). */
#pragma once
#include <stddef.h>
#include <stdint.h>

#define AML_OK		0
#define AML_NO_ROOT	-1 /* no PCI root device (PNP0A03/PNP0A08) */
#define AML_NO_PRT	-2 /* the root has no _PRT */
#define AML_UNSUPPORTED -3 /* a form this reader does not evaluate */
#define AML_BAD		-4 /* malformed AML */

#define PRT_MAX	     160
#define PRT_GSI_NONE 0xffffffffu

struct prt_entry {
	uint8_t slot; /* device number on the root bus */
	uint8_t pin;  /* 0-3: INTA-INTD */
	uint32_t gsi; /* PRT_GSI_NONE: link device without a static _CRS */
};

struct prt {
	struct prt_entry e[PRT_MAX];
	int n;
};

/* The nth table with this signature in the tables object, or NULL. */
const uint8_t *acpi_table(const uint8_t *blob, size_t len, const char *sig,
			  int nth, uint32_t *tlen);

/* FADT IAPC_BOOT_ARCH's 8042 bit: 1 set, 0 clear, -1 not said (no FADT
 * or one older than ACPI 2.0: a PC then has an 8042). */
int acpi_has_8042(const uint8_t *blob, size_t len);

/* The root's _PRT in APIC mode. isa_gsi maps an IRQ descriptor's ISA IRQ
 * to its GSI. AML_OK and *out filled, or an AML_* error. */
int aml_root_prt(const uint8_t *dsdt, size_t len, const uint32_t isa_gsi[16],
		 struct prt *out);

/* The GSI of slot/pin (0-3) on the root bus, or PRT_GSI_NONE. */
uint32_t prt_lookup(const struct prt *p, uint8_t slot, uint8_t pin);

const char *aml_strerror(int e);
