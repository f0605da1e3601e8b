/* Where ifconfig's interfaces come from: netd's JSON `ifconfig`
 * (ifsrc_execrt.c) or the host's getifaddrs (ifsrc_linux.c). */
#pragma once
#include "ifc.h"

/* Fills up to max; their count, or -1 after printing why. */
int ifsrc_list(struct ifc *out, int max);
