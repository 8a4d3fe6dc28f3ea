// SPDX-License-Identifier: MIT
/*
 * RTM_NEWADDR for an IPv6 address (iso_nl.h): one request, one ack.
 *
 *   nlmsghdr | ifaddrmsg (family, prefixlen, flags NODAD|PERMANENT,
 *              scope universe, index) | rtattr IFA_LOCAL: 16 bytes
 *                                     | rtattr IFA_ADDRESS: 16 bytes
 */
#include "config.h"

#include <errno.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "isolate/iso_nl.h"

struct nl_addr6_req {
	struct nlmsghdr nh;
	struct ifaddrmsg ifa;
	char attrs[2 * RTA_SPACE(sizeof(struct in6_addr))];
};

/* Append attribute @type holding @addr to @req. */
static void nl_put_addr(struct nl_addr6_req *req, unsigned short type,
			const struct in6_addr *addr)
{
	struct rtattr *rta =
		(struct rtattr *)((char *)req + NLMSG_ALIGN(req->nh.nlmsg_len));

	rta->rta_type = type;
	rta->rta_len = RTA_LENGTH(sizeof(*addr));
	memcpy(RTA_DATA(rta), addr, sizeof(*addr));
	req->nh.nlmsg_len =
		NLMSG_ALIGN(req->nh.nlmsg_len) + RTA_ALIGN(rta->rta_len);
}

/* Read the kernel's ack to sequence @seq on @s.  0 or -errno. */
static int nl_ack(int s, unsigned seq)
{
	union {
		struct nlmsghdr nh;
		char b[1024];
	} buf;
	struct nlmsghdr *nh;
	struct nlmsgerr *e;
	ssize_t n;

	for (;;) {
		n = recv(s, &buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		for (nh = &buf.nh; NLMSG_OK(nh, (size_t)n);
		     nh = NLMSG_NEXT(nh, n)) {
			if (nh->nlmsg_seq != seq ||
			    nh->nlmsg_type != NLMSG_ERROR)
				continue;
			if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
				return -EIO;
			e = NLMSG_DATA(nh);
			return e->error; /* 0 or -errno */
		}
	}
}

/* Contract: iso_nl.h. */
int iso_nl_addr6(int ifindex, const struct in6_addr *addr, unsigned prefixlen)
{
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	struct nl_addr6_req req;
	int s, rc;

	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(req.ifa));
	req.nh.nlmsg_type = RTM_NEWADDR;
	req.nh.nlmsg_flags =
		NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
	req.nh.nlmsg_seq = 1;
	req.ifa.ifa_family = AF_INET6;
	req.ifa.ifa_prefixlen = (unsigned char)prefixlen;
	req.ifa.ifa_flags = IFA_F_NODAD | IFA_F_PERMANENT;
	req.ifa.ifa_scope = RT_SCOPE_UNIVERSE;
	req.ifa.ifa_index = (unsigned)ifindex;
	nl_put_addr(&req, IFA_LOCAL, addr);
	nl_put_addr(&req, IFA_ADDRESS, addr);
	s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (s < 0)
		return -errno;
	if (sendto(s, &req, req.nh.nlmsg_len, 0, (struct sockaddr *)&kernel,
		   sizeof(kernel)) < 0)
		rc = -errno;
	else
		rc = nl_ack(s, req.nh.nlmsg_seq);
	close(s);
	return rc;
}
