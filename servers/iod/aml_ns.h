/* The AML reader's namespace (aml.c), shared with the _PRT evaluation
 * (prt.c). Private to servers/iod. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#define NS_MAX	 768
#define SEGS_MAX 8

enum ns_kind { NS_SCOPE, NS_DEVICE, NS_NAME, NS_METHOD };

struct ns_obj {
	char path[SEGS_MAX * 4]; /* segments, 4 bytes each, no dots */
	uint8_t nseg, kind;
	uint32_t off, end; /* Name: the data object; else the body */
};

struct aml {
	const uint8_t *p;
	uint32_t len;
	struct ns_obj o[NS_MAX];
	int n;
};

struct name {
	char seg[SEGS_MAX][4];
	int nseg, up; /* up: '^' prefixes; -1: absolute ('\') */
};

/* The namespace-level objects of a DSDT (method bodies skipped). */
void aml_load(struct aml *a, const uint8_t *dsdt, uint32_t len);
uint32_t aml_le32(const uint8_t *p);
/* A PkgLength at *pos: *end set, *pos past it; AML_OK or AML_BAD. */
int aml_pkglen(const struct aml *a, uint32_t *pos, uint32_t *end);
int aml_namestring(const struct aml *a, uint32_t *pos, struct name *n);
bool aml_is_name_start(uint8_t c);
const struct ns_obj *aml_find_exact(const struct aml *a, const char *path,
				    int nseg);
/* ACPI's search rules from scope (nseg segments). */
const struct ns_obj *aml_lookup(const struct aml *a, const char *scope,
				int nseg, const struct name *n);
/* A constant integer term at *pos (Zero, One, Ones, Byte..QWordConst). */
int aml_integer(const struct aml *a, uint32_t *pos, uint64_t *v);
/* o's child named seg, or NULL. */
const struct ns_obj *aml_child(const struct aml *a, const struct ns_obj *o,
			       const char *seg);
