// SPDX-License-Identifier: MIT
/*
 * The isolated program's namespace (iso_ns.h).  Configured with ioctls
 * and one netlink request (iso_nl.c), not ip(8): a dozen calls, no
 * dependency.  The child reports a setup failure as an errno value and
 * the step that failed on the socket pair instead of the TUN descriptor,
 * and exits 126; the parent says in one line what failed and what to do.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <pwd.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/errtext.h"
#include "common/log.h"
#include "isolate/iso.h"
#include "isolate/iso_nl.h"
#include "isolate/iso_ns.h"
#include "isolate/iso_tun.h"

/* The setup steps in the child, for the parent's error line. */
enum ns_step {
	NS_USERNS,   /* unshare(CLONE_NEWUSER) */
	NS_UIDMAP,   /* /proc/self/uid_map */
	NS_GIDMAP,   /* /proc/self/gid_map */
	NS_NETNS,    /* unshare(CLONE_NEWNET | CLONE_NEWNS) */
	NS_LO,	     /* lo up */
	NS_TUN_OPEN, /* open("/dev/net/tun") */
	NS_TUNSETIFF,
	NS_TUN_CONF, /* the device up, its IPv4 address and route */
};

#define NS_TUN_PATH "/dev/net/tun"

static enum ns_step ns_at; /* the child's current step */

/* What the child sends when it fails. */
struct ns_fail {
	int err;
	int step;
};

/* Write @text to the file @path.  0 or -errno. */
static int ns_write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -EIO;
}

/* Map @id to itself in the user namespace's map file @path.  0 or
 * -errno. */
static int ns_map_self(const char *path, unsigned id)
{
	char map[64];

	snprintf(map, sizeof(map), "%u %u 1\n", id, id);
	return ns_write_file(path, map);
}

/* New namespaces for this process (see iso_ns.h).  0 or -errno. */
static int ns_unshare(void)
{
	uid_t uid = getuid();
	gid_t gid = getgid();
	int rc;

	if (geteuid() != 0) {
		ns_at = NS_USERNS;
		if (unshare(CLONE_NEWUSER) < 0)
			return -errno;
		ns_at = NS_UIDMAP;
		rc = ns_map_self("/proc/self/uid_map", (unsigned)uid);
		if (rc < 0)
			return rc;
		ns_at = NS_GIDMAP;
		(void)ns_write_file("/proc/self/setgroups", "deny");
		rc = ns_map_self("/proc/self/gid_map", (unsigned)gid);
		if (rc < 0)
			return rc;
	}
	ns_at = NS_NETNS;
	return unshare(CLONE_NEWNET | CLONE_NEWNS) < 0 ? -errno : 0;
}

/* Set IFF_UP on @name.  0 or -errno. */
static int ns_link_up(int s, const char *name)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		return -errno;
	ifr.ifr_flags |= IFF_UP;
	return ioctl(s, SIOCSIFFLAGS, &ifr) < 0 ? -errno : 0;
}

/* The IPv4 address, /24 and default route of the device.  0 or -errno. */
static int ns_ipv4(int s)
{
	struct sockaddr_in *sin;
	struct rtentry rt;
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", ISO_IFNAME);
	sin = (struct sockaddr_in *)&ifr.ifr_addr;
	sin->sin_family = AF_INET;
	inet_pton(AF_INET, ISO_PROG_IP4, &sin->sin_addr);
	if (ioctl(s, SIOCSIFADDR, &ifr) < 0)
		return -errno;
	inet_pton(AF_INET, "255.255.255.0", &sin->sin_addr);
	if (ioctl(s, SIOCSIFNETMASK, &ifr) < 0)
		return -errno;
	memset(&rt, 0, sizeof(rt));
	((struct sockaddr_in *)&rt.rt_dst)->sin_family = AF_INET;
	((struct sockaddr_in *)&rt.rt_genmask)->sin_family = AF_INET;
	rt.rt_flags = RTF_UP;
	rt.rt_dev = (char *)ISO_IFNAME;
	return ioctl(s, SIOCADDRT, &rt) < 0 ? -errno : 0;
}

/*
 * The IPv6 address, /64 and default route of the device.  The address is
 * valid at once (iso_nl.h): the program may connect() as soon as it runs.
 * 0 or -errno.
 */
static int ns_ipv6(int ifindex)
{
	struct in6_rtmsg rt;
	struct in6_addr a;
	int s, rc;

	inet_pton(AF_INET6, ISO_PROG_IP6, &a);
	rc = iso_nl_addr6(ifindex, &a, 64);
	if (rc < 0)
		return rc;
	s = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	memset(&rt, 0, sizeof(rt));
	rt.rtmsg_flags = RTF_UP;
	rt.rtmsg_metric = 1;
	rt.rtmsg_ifindex = ifindex;
	if (rc == 0 && ioctl(s, SIOCADDRT, &rt) < 0)
		rc = -errno;
	close(s);
	return rc;
}

/* lo, the TUN device, addresses, routes.  The device's fd or -errno. */
static int ns_network(void)
{
	struct ifreq ifr;
	int s, tun, rc;

	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	ns_at = NS_LO;
	rc = ns_link_up(s, "lo");
	if (rc == 0)
		ns_at = NS_TUN_OPEN;
	tun = rc == 0 ? open(NS_TUN_PATH, O_RDWR | O_CLOEXEC) : -1;
	if (rc == 0 && tun < 0)
		rc = -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", ISO_IFNAME);
	ifr.ifr_flags = ISO_TUN_FLAGS;
	if (rc == 0)
		ns_at = NS_TUNSETIFF;
	if (rc == 0 && ioctl(tun, TUNSETIFF, &ifr) < 0)
		rc = -errno;
	/* No link-local address: the program's only IPv6 source is
	 * ISO_PROG_IP6, which lwIP answers (IPv6 may be off: no file). */
	(void)ns_write_file(
		"/proc/sys/net/ipv6/conf/" ISO_IFNAME "/addr_gen_mode", "1");
	if (rc == 0) {
		ns_at = NS_TUN_CONF;
		ifr.ifr_mtu = ISO_MTU;
		if (ioctl(s, SIOCSIFMTU, &ifr) < 0)
			rc = -errno;
	}
	if (rc == 0)
		rc = ns_link_up(s, ISO_IFNAME);
	if (rc == 0)
		rc = ns_ipv4(s);
	if (rc == 0 && ns_ipv6((int)if_nametoindex(ISO_IFNAME)) < 0)
		LOG_WARN("no IPv6 inside isolation (IPv6 disabled?)");
	close(s);
	if (rc < 0) {
		if (tun >= 0)
			close(tun);
		return rc;
	}
	return tun;
}

/*
 * /etc/resolv.conf in this mount namespace: the resolver address inside.
 * A failure is logged, not fatal: DNS to any address is answered anyway.
 */
static void ns_resolv_conf(void)
{
	char tmpl[] = "/tmp/socksify-resolv.XXXXXX";
	static const char text[] = "# socksify --isolate\n"
				   "nameserver " ISO_GW_IP4 "\n"
				   "nameserver " ISO_GW_IP6 "\n";
	int fd;

	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		LOG_WARN("cannot make the mounts private: %s", strerror(errno));
		return;
	}
	fd = mkstemp(tmpl);
	if (fd < 0)
		return;
	if (write(fd, text, sizeof(text) - 1) != (ssize_t)sizeof(text) - 1 ||
	    fchmod(fd, 0644) < 0 ||
	    mount(tmpl, "/etc/resolv.conf", NULL, MS_BIND, NULL) < 0)
		LOG_WARN("/etc/resolv.conf not replaced inside isolation (%s);"
			 " DNS is answered at any address anyway",
			 strerror(errno));
	close(fd);
	unlink(tmpl);
}

/* Hand @tun (or the error @err at step ns_at) to the parent over @sock. */
static void ns_send(int sock, int tun, int err)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct ns_fail fl = {.err = err, .step = (int)ns_at};
	struct iovec iov = {.iov_base = &fl, .iov_len = sizeof(fl)};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	struct cmsghdr *cm;

	if (tun >= 0) {
		memset(cbuf, 0, sizeof(cbuf));
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &tun, sizeof(int));
	}
	(void)sendmsg(sock, &mh, MSG_NOSIGNAL);
}

/* The child: namespaces, network, resolver, then the program. */
static void ns_child(int sock, const char *path, char **argv)
{
	int tun, rc;

	rc = ns_unshare();
	if (rc < 0) {
		ns_send(sock, -1, -rc);
		_exit(126);
	}
	tun = ns_network();
	if (tun < 0) {
		ns_send(sock, -1, -tun);
		_exit(126);
	}
	ns_resolv_conf();
	ns_send(sock, tun, 0);
	close(tun);
	close(sock);
	execv(path, argv);
	fprintf(stderr, "socksify: %s: cannot execute: %s\n", path,
		strerror(errno));
	_exit(errno == ENOENT ? 127 : 126);
}

/*
 * Receive the TUN fd, or an errno value and the step that failed
 * (*@step), from the child.  fd or -errno.
 */
static int ns_recv(int sock, int *step)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct ns_fail fl = {.err = EIO, .step = -1};
	int fd = -1;
	struct iovec iov = {.iov_base = &fl, .iov_len = sizeof(fl)};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = cbuf,
			    .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *cm;

	*step = -1;
	if (recvmsg(sock, &mh, MSG_CMSG_CLOEXEC) < (ssize_t)sizeof(fl))
		return -EIO;
	cm = CMSG_FIRSTHDR(&mh);
	if (cm && cm->cmsg_type == SCM_RIGHTS)
		memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	if (fd >= 0)
		return fd;
	*step = fl.step;
	return -(fl.err ? fl.err : EIO);
}

/*
 * /dev/net/tun could not be opened (@err): its mode and owner, and what
 * to do, into @buf (@cap bytes).
 */
static void ns_tun_hint(int err, char *buf, size_t cap)
{
	struct passwd *pw;
	struct stat st;

	if (err == ENOENT || err == ENODEV || err == ENXIO) {
		snprintf(buf, cap,
			 " (no TUN device: load the tun module, or create it "
			 "with mknod " NS_TUN_PATH " c 10 200)");
		return;
	}
	if ((err != EACCES && err != EPERM) || stat(NS_TUN_PATH, &st) < 0) {
		buf[0] = '\0';
		return;
	}
	pw = getpwuid(st.st_uid);
	snprintf(buf, cap,
		 " (its mode is %04o, owner %.32s: run as root, or "
		 "make " NS_TUN_PATH " 0666 as Debian does)",
		 (unsigned)(st.st_mode & 07777),
		 pw ? pw->pw_name : "another user");
}

/* One line for the user: what step @step failed with @err, what to do. */
static void ns_explain(int step, int err)
{
	char hint[160] = "";
	const char *what;

	switch (step) {
	case NS_USERNS:
		what = "cannot create a user namespace as an unprivileged user";
		snprintf(hint, sizeof(hint),
			 " (unprivileged user namespaces are not allowed here: "
			 "user.max_user_namespaces, AppArmor's "
			 "restrict_unprivileged_userns; or run as root)");
		break;
	case NS_UIDMAP:
		what = "cannot map the user's uid in the user namespace "
		       "(/proc/self/uid_map)";
		break;
	case NS_GIDMAP:
		what = "cannot map the user's gid in the user namespace "
		       "(/proc/self/gid_map)";
		break;
	case NS_NETNS:
		what = "cannot create the network and mount namespaces";
		if (err == EPERM && geteuid() == 0)
			snprintf(hint, sizeof(hint),
				 " (root without CAP_SYS_ADMIN: a container?)");
		break;
	case NS_LO:
		what = "cannot bring up lo in the namespace";
		break;
	case NS_TUN_OPEN:
		what = "cannot open " NS_TUN_PATH;
		ns_tun_hint(err, hint, sizeof(hint));
		break;
	case NS_TUNSETIFF:
		what = "cannot create the TUN device " ISO_IFNAME
		       " (TUNSETIFF on " NS_TUN_PATH ")";
		break;
	case NS_TUN_CONF:
		what = "cannot configure the TUN device " ISO_IFNAME;
		break;
	default:
		what = "cannot build the isolated network namespace";
		break;
	}
	LOG_USER("isolation: %s: %s%s", what,
		 errtext(err) ? errtext(err) : strerror(err), hint);
}

/* Contract: iso_ns.h. */
int iso_ns_spawn(const char *path, char **argv, pid_t *pid, int *tun)
{
	int sv[2], fd, step;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	*pid = fork();
	if (*pid < 0) {
		close(sv[0]);
		close(sv[1]);
		return -errno;
	}
	if (*pid == 0) {
		close(sv[0]);
		ns_child(sv[1], path, argv);
	}
	close(sv[1]);
	fd = ns_recv(sv[0], &step);
	close(sv[0]);
	if (fd < 0) {
		ns_explain(step, -fd);
		(void)waitpid(*pid, NULL, 0);
		return fd;
	}
	*tun = fd;
	return 0;
}
