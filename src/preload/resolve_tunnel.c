/* SPDX-License-Identifier: MIT */
/*
 * DNS through the proxy: see resolve_tunnel.h.
 *
 * The nameserver is socks.conf's `nameserver`, else the first nameserver
 * of /etc/resolv.conf (read once, with open/read, no stdio) unless that is
 * a loopback address: a local stub resolver (127.0.0.53) is not what the
 * proxy can reach, and asking it would put the query on this machine's
 * network, so the lookup fails with a log line saying what to set.
 *
 * One blocking internal TCP socket per query: client_init() + client_run()
 * (the same driver hook_connect.c uses) CONNECT it through the route's
 * proxies to the nameserver, then io_write_all() sends the length-prefixed
 * query and io_read_all() reads the length-prefixed answer.  The socket is
 * AF_INET6 when the kernel has IPv6 (it reaches IPv4 proxies through their
 * v4-mapped address), else AF_INET.  The re-entry guard is held
 * throughout, so nothing the driver calls is routed again.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/io.h"
#include "common/log.h"
#include "common/net.h"
#include "preload/client.h"
#include "preload/init.h"
#include "preload/preload.h"
#include "preload/proxy_addr.h"
#include "preload/real.h"
#include "preload/resolve_tunnel.h"
#include "proto/dns.h"
#include "proto/proto.h"

#define RESOLVCONF_PATH "/etc/resolv.conf"
#define RESOLVCONF_MAX 8192

/* resolv.conf's first nameserver, read once. */
static struct {
	bool found; /* a numeric nameserver line */
	struct net_ip ip;
	char text[64]; /* as written, for the log line */
} tunnel_sys;
static pthread_once_t tunnel_sys_once = PTHREAD_ONCE_INIT;

static void tunnel_sys_read(void)
{
	char buf[RESOLVCONF_MAX];
	size_t len = 0;
	char *pct;
	int fd;

	fd = open(RESOLVCONF_PATH, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	while (len < sizeof(buf)) {
		ssize_t n = real.read(fd, buf + len, sizeof(buf) - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	real.close(fd);
	if (dns_resolvconf_nameserver(buf, len, tunnel_sys.text,
				      sizeof(tunnel_sys.text)) <= 0)
		return;
	pct = strchr(tunnel_sys.text, '%'); /* fe80::1%eth0: scope dropped */
	if (pct != NULL)
		*pct = '\0';
	tunnel_sys.found = net_ip_parse(tunnel_sys.text, &tunnel_sys.ip) == 0;
}

/*
 * The nameserver for proxied queries into @dst.  Returns 0, or
 * -EDESTADDRREQ (logged with what to do) when there is none the proxy can
 * be asked to reach.
 */
static int tunnel_nameserver(const struct conf *c, const char *name,
			     struct socks_addr *dst)
{
	struct net_ip ip;
	uint16_t port = 53;

	if (c->has_nameserver) {
		ip = c->nameserver;
		port = c->nameserver_port;
	} else {
		pthread_once(&tunnel_sys_once, tunnel_sys_read);
		if (!tunnel_sys.found) {
			LOG_ERR("%.200s: lookup through the proxy refused: no "
				"nameserver in " RESOLVCONF_PATH "; set "
				"nameserver in %.200s to one the proxy can "
				"reach",
				name, c->path);
			return -EDESTADDRREQ;
		}
		if (net_ip_is_loopback(&tunnel_sys.ip)) {
			LOG_ERR("%.200s: lookup through the proxy refused: the "
				"system nameserver %.64s is a local one the "
				"proxy cannot reach; set nameserver in %.200s",
				name, tunnel_sys.text, c->path);
			return -EDESTADDRREQ;
		}
		ip = tunnel_sys.ip;
	}
	if (ip.family == AF_INET)
		socks_addr_set_ip4(dst, ip.b, port);
	else
		socks_addr_set_ip6(dst, ip.b, port);
	return 0;
}

/* An internal blocking TCP socket (AF_INET6 if possible), or -errno. */
static int tunnel_socket(int *family)
{
	int fd = real.socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);

	*family = AF_INET6;
	if (fd < 0 && (errno == EAFNOSUPPORT || errno == EPROTONOSUPPORT)) {
		fd = real.socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		*family = AF_INET;
	}
	return fd < 0 ? -errno : fd;
}

/*
 * Read the length-prefixed answer on @fd into @ans (@anscap): a longer one
 * is cut with TC set and the rest drained.  Returns the length or -errno.
 */
static int tunnel_read_answer(int fd, uint8_t *ans, size_t anscap,
			      int64_t deadline)
{
	uint8_t pre[DNS_TCP_PREFIX_LEN], sink[512];
	size_t len, take, rest;
	int rc;

	rc = io_read_all(fd, pre, sizeof(pre), deadline);
	if (rc < 0)
		return rc;
	len = dns_tcp_prefix_decode(pre);
	if (len < DNS_HEADER_LEN)
		return -EPROTO;
	take = len < anscap ? len : anscap;
	rc = io_read_all(fd, ans, take, deadline);
	if (rc < 0)
		return rc;
	for (rest = len - take; rest > 0;) {
		size_t n = rest < sizeof(sink) ? rest : sizeof(sink);

		rc = io_read_all(fd, sink, n, deadline);
		if (rc < 0)
			return rc;
		rest -= n;
	}
	if (take < len && take > 2)
		ans[2] |= 0x02; /* TC: the answer did not fit */
	return (int)take;
}

/* Contract: resolve_tunnel.h. */
int resolve_tunnel_query(const struct rule_result *r, const char *name,
			 const uint8_t *q, size_t qlen, uint8_t *ans,
			 size_t anscap)
{
	const struct conf *c = socksify_conf();
	uint8_t pre[DNS_TCP_PREFIX_LEN];
	char ns[SOCKS_ADDR_STRLEN];
	struct socks_addr dst;
	struct client cl;
	int fd = -1, family, want, rc;
	int64_t deadline;

	if (c == NULL || r->nproxies == 0)
		return -EACCES;
	if (qlen < DNS_HEADER_LEN || anscap < DNS_HEADER_LEN ||
	    dns_tcp_prefix_encode(pre, qlen) < 0)
		return -EMSGSIZE;
	rc = tunnel_nameserver(c, name, &dst);
	if (rc < 0)
		return rc;
	socks_addr_format(&dst, ns, sizeof(ns));
	pxa_refresh(c); /* proxies given by name */
	socksify_guard++;
	rc = tunnel_socket(&family);
	if (rc < 0)
		goto out;
	fd = rc;
	rc = client_init(&cl, SOCKS5_CMD_CONNECT, r->proxies, r->nproxies, &dst,
			 family, c->timeout * 1000, socksify_env_username(),
			 socksify_env_password());
	if (rc < 0) {
		LOG_ERR("%.200s: no proxy of the route can reach nameserver "
			"%s (SOCKS4 needs IPv4, SOCKS4A no IPv6)",
			name, ns);
		goto out;
	}
	cl.no_handoff = true; /* internal socket: finish here */
	rc = client_run(&cl, fd, &want);
	if (rc < 0) {
		LOG_ERR("%.200s: lookup via %.64s: cannot reach nameserver %s "
			"(%s)",
			name, client_proxy(&cl)->name, ns,
			strerrordesc_np(-rc));
		goto out;
	}
	deadline = io_deadline(c->timeout * 1000);
	rc = io_write_all(fd, pre, sizeof(pre), deadline);
	if (rc == 0)
		rc = io_write_all(fd, q, qlen, deadline);
	if (rc == 0)
		rc = tunnel_read_answer(fd, ans, anscap, deadline);
	if (rc >= 0 && dns_id(ans) != dns_id(q))
		rc = -EPROTO;
	if (rc < 0)
		LOG_ERR("%.200s: lookup via %.64s at nameserver %s failed (%s)",
			name, client_proxy(&cl)->name, ns,
			strerrordesc_np(-rc));
	else
		LOG_INFO("%.200s: looked up via %.64s at nameserver %s", name,
			 client_proxy(&cl)->name, ns);
out:
	if (fd >= 0)
		real.close(fd);
	socksify_guard--;
	return rc;
}
