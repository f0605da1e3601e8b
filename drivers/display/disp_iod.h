/* A driver's calls to iod (include/execrt/iod_proto.h) on its
 * START_H_SERVICE endpoint: device information, handles, BAR mappings. */
#pragma once
#include <execrt/iod_proto.h>
#include <execrt/sys.h>

#ifndef VMO_CACHE_WC /* syscall.h of the devk-mem room has them */
#define VMO_CACHE_UC 0u
#define VMO_CACHE_WC 1u
#endif

/* IOD_DEV_INFO into *info. 0 or ERR_*. */
int disp_iod_info(struct iod_dev_info *info);
/* IOD_DEV_HANDLES: h[IOD_H_COUNT] (absent ones HANDLE_INVALID). */
int disp_iod_handles(handle_t h[IOD_H_COUNT]);
/* IOD_DEV_BAR(bar, cache): the memory object over it, mapped read-write
 * at *va; *size its (page-rounded) length, *phys its base. */
int disp_iod_bar(uint32_t bar, uint32_t cache, handle_t *vmo,
		 volatile uint8_t **va, uint64_t *size, uint64_t *phys);
