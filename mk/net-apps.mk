# Room net-apps (issue 17): httpd, nc, ping, ifconfig built for the Linux
# host from the same sources (docs/net-programs.md "Testing"), with ASan and
# UBSan; tests/host-user/test_net_apps.py runs them on loopback.
#   make net-apps-host    $(O)/host-user/{httpd,nc,ping,ifconfig}
NETAPPS_HOST := $(O)/host-user
NETAPPS_HCFLAGS := -std=gnu17 -O1 -g -fsanitize=address,undefined \
	-fno-omit-frame-pointer -fno-sanitize-recover=all $(WARN) \
	-Ilibs/sdk-c -Iapps/httpd -Iapps/nc -Iapps/ping -Iapps/ifconfig
NETAPPS_HOST_SRCS_httpd := apps/httpd/httpd.c apps/httpd/http.c \
	apps/httpd/status.c apps/httpd/stat_linux.c libs/sdk-c/json_write.c
NETAPPS_HOST_SRCS_nc := apps/nc/nc.c apps/nc/ncutil.c
NETAPPS_HOST_SRCS_ping := apps/ping/ping.c apps/ping/icmp.c
NETAPPS_HOST_SRCS_ifconfig := apps/ifconfig/ifconfig.c apps/ifconfig/ifc.c \
	apps/ifconfig/ifsrc_linux.c libs/sdk-c/json.c
NETAPPS_HOST_PROGS := httpd nc ping ifconfig
define netapps_host
$(NETAPPS_HOST)/$(1): $(NETAPPS_HOST_SRCS_$(1)) $(wildcard apps/$(1)/*.h)
	@mkdir -p $$(dir $$@)
	@echo "  HOSTCC  $$@"
	$(Q)$(HOSTCC) $(NETAPPS_HCFLAGS) -o $$@ $(NETAPPS_HOST_SRCS_$(1)) -lm
endef
$(foreach p,$(NETAPPS_HOST_PROGS),$(eval $(call netapps_host,$(p))))
.PHONY: net-apps-host
net-apps-host: $(patsubst %,$(NETAPPS_HOST)/%,$(NETAPPS_HOST_PROGS))
