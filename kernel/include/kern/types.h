/* Basic kernel types. Only freestanding headers, so this compiles in the
 * kernel and in host unit tests alike. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint64_t phys_addr_t;
typedef uint64_t virt_addr_t;

#define PAGE_SHIFT 12
#define PAGE_SIZE  ((size_t)1 << PAGE_SHIFT)
#define PAGE_MASK  (~(uint64_t)(PAGE_SIZE - 1))
#define LARGE_PAGE_SIZE ((size_t)2 << 20)

#define KiB(x) ((uint64_t)(x) << 10)
#define MiB(x) ((uint64_t)(x) << 20)
#define GiB(x) ((uint64_t)(x) << 30)

#define ALIGN_DOWN(x, a) ((x) & ~((__typeof__(x))(a) - 1))
#define ALIGN_UP(x, a)   ALIGN_DOWN((x) + (__typeof__(x))(a) - 1, (a))
#define IS_ALIGNED(x, a) (((x) & ((__typeof__(x))(a) - 1)) == 0)
#define ARRAY_SIZE(a)    (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b)        ((a) < (b) ? (a) : (b))
#define MAX(a, b)        ((a) > (b) ? (a) : (b))

#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - __builtin_offsetof(type, member)))

#define likely(x)   __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define __noreturn  __attribute__((noreturn))
#define __packed    __attribute__((packed))
#define __unused    __attribute__((unused))
#define __printf(a, b) __attribute__((format(printf, a, b)))
/* Boot, set-up and report code in a file the hot paths share: built for
 * size and kept apart from the hot text, as mk/kcold.mk does per file
 * (gcc's cold implies -Os for the function; clang needs minsize). */
#ifdef __clang__
#define __cold __attribute__((cold, minsize))
#else
#define __cold __attribute__((cold))
#endif

#define READ_ONCE(x)     (*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v) (*(volatile __typeof__(x) *)&(x) = (v))
