// SPDX-License-Identifier: MIT
/*
 * socksify-isolate PATH ARGV...: started by `socksify --isolate` with the
 * environment the wrapper checked (SOCKS_CONF or SOCKS_PROXY, SOCKS_DEBUG,
 * SOCKS_LOG, SOCKS_USERNAME/SOCKS_PASSWORD).  Builds the namespace, runs
 * the program there, serves its TUN device until the program exits, and
 * exits with the program's status (128 + signal when it was killed).
 *
 * The loop (one thread): epoll on the TUN device, the program's pidfd and
 * every proxy socket (each registered with a struct iso_ev that says
 * what it is); lwIP's core lock is held while anything is handled.  DNS
 * is answered here, other UDP goes to iso_udp.c, TCP to iso_flow.c.
 * Packets no route takes (ICMP, other protocols) are dropped and
 * counted; the count is logged at the end.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "isolate/iso.h"
#include "isolate/iso_dns.h"
#include "isolate/iso_flow.h"
#include "isolate/iso_ns.h"
#include "isolate/iso_pkt.h"
#include "isolate/iso_stack.h"
#include "isolate/iso_tun.h"
#include "isolate/iso_udp.h"
#include "preload/proxy_addr.h"

#define ISO_TICK_MS 100

struct iso_ctx iso;

/* epoll data for the two fixed fds */
static struct iso_ev tag_tun = {ISO_EV_TUN}, tag_pid = {ISO_EV_PID};

/*
 * rules_match() for a DNS question (name only, port and command unknown),
 * route by route as the library's resolver policy does: a deny route
 * limited to some ports or commands does not deny the name (the
 * connection is checked when it is made).
 */
static enum rule_action iso_route_name(struct rule_query *q,
				       struct rule_result *r)
{
	struct conf one;
	enum rule_action a;
	size_t i;

	for (i = 0; i < iso.conf->nroutes; i++) {
		const struct conf_route *rt = &iso.conf->routes[i];

		one = *iso.conf;
		one.routes = &iso.conf->routes[i];
		one.nroutes = 1;
		a = rules_match(&one, q, r);
		if (r->route == NULL)
			continue;
		if (a == RULE_DENY &&
		    (rt->ports.n != 0 ||
		     (rt->commands & CONF_CMD_ALL) != CONF_CMD_ALL))
			continue;
		return a;
	}
	memset(r, 0, sizeof(*r));
	return RULE_DENY;
}

/* Contract: iso.h. */
enum rule_action iso_route(const struct net_ip *ip, const char *name,
			   uint16_t port, struct rule_result *r)
{
	return iso_route_cmd(ip, name, port,
			     ip == NULL && port == 0 ? 0 : CONF_CMD_CONNECT, r);
}

/* Contract: iso.h. */
enum rule_action iso_route_cmd(const struct net_ip *ip, const char *name,
			       uint16_t port, unsigned cmd,
			       struct rule_result *r)
{
	struct rule_query q;
	enum rule_action a;
	char dest[300], buf[64];

	memset(&q, 0, sizeof(q));
	q.command = cmd;
	q.port = port;
	q.program = iso.program;
	q.uid = iso.uid;
	q.user = iso.user;
	if (ip != NULL) {
		q.has_ip = true;
		q.ip = *ip;
	}
	q.hostname = name;
	memset(r, 0, sizeof(*r));
	a = q.command == 0 ? iso_route_name(&q, r)
			   : rules_match(iso.conf, &q, r);
	if (a == RULE_PROXY && r->nproxies == 0)
		a = RULE_DENY;
	if (a != RULE_DENY)
		return a;
	snprintf(dest, sizeof(dest), "%.253s%s%.0u",
		 name ? name : net_ip_format(ip, buf, sizeof(buf)),
		 port ? ":" : "", port);
	if (r->route)
		LOG_USER("%s denied by the route at line %d of %.200s", dest,
			 r->route->line, iso.conf->path);
	else
		LOG_USER("%s denied: no route matches", dest);
	return a;
}

/* One packet from the program. */
static void iso_packet(const uint8_t *buf, size_t len)
{
	static uint8_t out[2048];
	struct iso_pkt p;
	int n;

	if (iso_pkt_parse(buf, len, &p) < 0) {
		iso.dropped++;
		return;
	}
	if (log_level >= LOG_LVL_TRACE) {
		char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];

		LOG_TRACE("from the program: %zu bytes, %s port %u -> %s port "
			  "%u, protocol %u, flags %#x",
			  len, net_ip_format(&p.src, a, sizeof(a)), p.sport,
			  net_ip_format(&p.dst, b, sizeof(b)), p.dport, p.proto,
			  p.tcp_flags);
	}
	if (p.proto == IPPROTO_TCP) {
		iso_flow_tcp(&p, buf, len);
		return;
	}
	if (p.proto == IPPROTO_UDP && p.dport == 53 && p.payload != NULL) {
		n = iso_dns_answer(p.payload, p.payload_len, out + 64,
				   sizeof(out) - 64);
		if (n > 0)
			n = iso_pkt_udp_reply(&p, out + 64, (size_t)n, out,
					      sizeof(out));
		if (n > 0)
			iso_tun_send(out, (size_t)n);
		return;
	}
	if (p.proto == IPPROTO_UDP && p.payload != NULL) {
		iso_udp_packet(&p, buf, len);
		return;
	}
	if (p.proto == IPPROTO_ICMPV6) {
		iso_stack_input(buf, len); /* neighbour and router messages */
		return;
	}
	if (iso.dropped++ == 0)
		LOG_WARN("dropping packets no route can take (protocol %u); "
			 "only TCP and UDP leave isolation",
			 p.proto);
}

/* Read every packet waiting on the device. */
static void iso_tun_drain(void)
{
	static uint8_t buf[65536];
	ssize_t n;
	int i;

	for (i = 0; i < 256; i++) {
		n = iso_tun_read(buf, sizeof(buf));
		if (n <= 0)
			return;
		iso_packet(buf, (size_t)n);
	}
}

/* @events on the fd registered with @t. */
static void iso_dispatch(struct iso_ev *t, uint32_t events)
{
	switch (t->kind) {
	case ISO_EV_TUN:
		iso_tun_drain();
		break;
	case ISO_EV_FLOW:
		iso_flow_event((struct flow *)t, events);
		break;
	case ISO_EV_UDP_CTL:
	case ISO_EV_UDP_RELAY:
		iso_udp_event(t, events);
		break;
	case ISO_EV_PID:
		break; /* after the batch: iso_loop */
	}
}

/* The loop until the program exits.  Returns its wait status. */
static int iso_loop(pid_t pid, int pidfd)
{
	struct epoll_event ev[64], e;
	int ep = epoll_create1(EPOLL_CLOEXEC), n, i, status = 0;

	if (ep < 0)
		return -errno;
	iso_flow_set_epoll(ep);
	iso_udp_set_epoll(ep);
	e.events = EPOLLIN;
	e.data.ptr = &tag_tun;
	epoll_ctl(ep, EPOLL_CTL_ADD, iso_tun_fd(), &e);
	e.data.ptr = &tag_pid;
	epoll_ctl(ep, EPOLL_CTL_ADD, pidfd, &e);
	for (;;) {
		n = epoll_wait(ep, ev, 64, ISO_TICK_MS);
		iso_stack_lock();
		iso_tun_batch_begin();
		for (i = 0; i < n; i++)
			iso_dispatch(ev[i].data.ptr, ev[i].events);
		iso_flow_tick();
		iso_udp_tick();
		iso_tun_batch_end();
		iso_stack_unlock();
		for (i = 0; i < n; i++) {
			if (ev[i].data.ptr == &tag_pid &&
			    waitpid(pid, &status, WNOHANG) == pid) {
				close(ep);
				return status;
			}
		}
	}
}

/*
 * Room for ISO_FLOWS_MAX proxy sockets: the soft RLIMIT_NOFILE up to the
 * hard one.  After the program started: it keeps the user's limits.
 */
static void iso_raise_nofile(void)
{
	struct rlimit rl;
	rlim_t want = ISO_FLOWS_MAX + 256;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want
			      ? want
			      : rl.rlim_max;
	(void)setrlimit(RLIMIT_NOFILE, &rl);
}

/* Forward a terminating signal to the program. */
static pid_t iso_child;
static void iso_forward(int sig)
{
	if (iso_child > 0)
		kill(iso_child, sig);
}

/* Config from the environment the wrapper set.  Exits 2 on error. */
static const struct conf *iso_load_conf(void)
{
	const char *url = getenv("SOCKS_PROXY"), *file = getenv("SOCKS_CONF");
	char err[CONF_ERR_MAX];
	struct conf *c = NULL;
	int rc;

	if (url != NULL && url[0] != '\0')
		rc = conf_from_url(url, &c, err, sizeof(err));
	else
		rc = conf_load_file(file && *file ? file
						  : SYSCONFDIR "/socks.conf",
				    &c, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "socksify: %s\n", err);
		exit(2);
	}
	return c;
}

int main(int argc, char **argv)
{
	const char *dbg = getenv("SOCKS_DEBUG"), *slash;
	struct passwd *pw;
	struct sigaction sa;
	int pidfd, status, rc, level, tun;
	pid_t pid;

	if (argc < 3) {
		fprintf(stderr, "usage: socksify --isolate program [args]\n");
		return 2;
	}
	iso.conf = iso_load_conf();
	level = dbg && *dbg ? atoi(dbg) : iso.conf->debug;
	if (log_open("socksify", level,
		     getenv("SOCKS_LOG") ? getenv("SOCKS_LOG") : "stderr") < 0)
		(void)log_open("socksify", level, "stderr");
	iso_shim_init(iso.conf);
	iso.env_user = getenv("SOCKS_USERNAME");
	iso.env_pass = getenv("SOCKS_PASSWORD");
	slash = strrchr(argv[1], '/');
	iso.program = slash ? slash + 1 : argv[1];
	iso.uid = getuid();
	pw = getpwuid(iso.uid);
	iso.user = pw ? strdup(pw->pw_name) : NULL;
	pxa_refresh(iso.conf);

	rc = iso_ns_spawn(argv[1], argv + 2, &pid, &tun);
	if (rc < 0)
		return 126;
	iso_tun_set(tun);
	iso_raise_nofile();
	/* lwIP allocates every segment (up to 64 KiB) with malloc: keep
	 * freed memory for the next ones instead of returning it to the
	 * kernel and faulting it in again. */
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
	mallopt(M_MMAP_THRESHOLD, 1 << 20);
	iso_child = pid;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = iso_forward;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGINT, SIG_IGN); /* the terminal sends it to the program too */
	signal(SIGQUIT, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	fcntl(tun, F_SETFL, fcntl(tun, F_GETFL) | O_NONBLOCK);
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0 || iso_stack_init() < 0) {
		LOG_USER("cannot serve the isolated program: %s",
			 strerror(errno));
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return 126;
	}
	status = iso_loop(pid, pidfd);
	iso_stack_lock();
	iso_udp_end_all();
	iso_stack_unlock();
	if (iso.dropped)
		LOG_INFO("%llu packets dropped (no route takes them)",
			 (unsigned long long)iso.dropped);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
