// SPDX-License-Identifier: MIT
/* Congestion control of loopback legs (see lo_cc.h). */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/net.h"
#include "server/lo_cc.h"
#include "server/srvconf.h"

static char cc_name[SRV_CC_NAME_MAX];
static bool cc_on;

void lo_cc_config(const char *name)
{
	char sys[SRV_CC_NAME_MAX] = "";
	socklen_t len = sizeof(sys) - 1;
	int fd;

	cc_on = false;
	if (!name || !*name || strlen(name) >= sizeof(cc_name))
		return;
	snprintf(cc_name, sizeof(cc_name), "%s", name);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0) {
		if (getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, sys, &len) < 0)
			sys[0] = '\0';
		close(fd);
	}
	cc_on = strcmp(sys, cc_name) != 0;
	if (cc_on)
		LOG_DBG("loopback legs use %s instead of the system's %s",
			cc_name, sys[0] ? sys : "(unknown)");
}

bool lo_cc_wanted(const struct sockaddr *sa)
{
	struct net_ip ip;
	uint16_t port;

	if (!cc_on)
		return false;
	if (net_ip_from_sockaddr(&ip, &port, sa,
				 sa->sa_family == AF_INET6
					 ? sizeof(struct sockaddr_in6)
					 : sizeof(struct sockaddr_in)) < 0)
		return false;
	return net_ip_is_loopback(&ip);
}

void lo_cc_apply(int fd)
{
	if (!cc_on)
		return;
	if (setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, cc_name,
		       (socklen_t)strlen(cc_name)) < 0) {
		int err = errno;

		cc_on = false;
		LOG_WARN("loopback_congestion %s: %s; keeping the system's "
			 "congestion control",
			 cc_name, strerror(err));
	}
}
