/* ifconfig: the network interfaces, their addresses and counters
 * (docs/net-programs.md).  ifconfig [NAME]
 * Exit status: 0, 1 no such interface or no network service. */
#include <stdio.h>
#include <string.h>

#include "ifc.h"
#include "ifsrc.h"

static struct ifc ifs[IFC_MAX];

int main(int argc, char **argv)
{
	if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
		fprintf(stderr, "usage: ifconfig [NAME]\n");
		return 2;
	}
	int n = ifsrc_list(ifs, IFC_MAX);
	if (n < 0)
		return 1;
	int shown = 0;
	char buf[1024];
	for (int i = 0; i < n; i++) {
		if (argc == 2 && strcmp(argv[1], ifs[i].name))
			continue;
		ifc_fmt(buf, sizeof(buf), &ifs[i]);
		printf("%s%s", shown ? "\n" : "", buf);
		shown++;
	}
	if (argc == 2 && !shown) {
		fprintf(stderr, "ifconfig: %s: no such interface\n", argv[1]);
		return 1;
	}
	return 0;
}
