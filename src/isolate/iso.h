/* SPDX-License-Identifier: MIT */
/*
 * socksify --isolate: the program runs in its own network namespace whose
 * only route is a TUN device; this daemon (outside the namespace) reads
 * the device and turns what it reads into SOCKS sessions:
 *
 *   iso_ns.c     the namespace: user namespace when unprivileged, network
 *                and mount namespaces, lo, the TUN device and its routes,
 *                the resolver file; the program is exec'd there
 *   iso_nl.c     the one netlink request: the IPv6 address, valid at once
 *   iso_pkt.c    IPv4/IPv6 + TCP/UDP headers read and written (checksums,
 *                the RST and UDP answers the daemon makes itself)
 *   iso_dns.c    DNS queries to any address, port 53: answered from the
 *                user's fake-name table (the name goes to the proxy later)
 *   iso_dns_tcp.c  the same over TCP (RFC 7766 framing), on lwIP
 *   iso_tun.c    the device: packets in, packets out (iso_gso.c joins
 *                lwIP's segments of a flow into one GSO packet)
 *   iso_stack.c  lwIP (Debian's liblwip): one interface with the
 *                gateway's addresses, one listener per destination port,
 *                packets in and out of the TUN device
 *   iso_nat.c    the translation that lets lwIP see every connection as
 *                made to its own address (source port = the connection)
 *   iso_csum.c   lwIP's checksum routine, a faster one in its place
 *   iso_flow.c   one TCP flow = one SOCKS CONNECT (src/preload/client.c),
 *                then relayed both ways with lwIP's flow control
 *   iso_udp.c    one program UDP socket (source address and port) = one
 *                SOCKS5 UDP ASSOCIATE; datagrams both ways through its relay
 *   iso_main.c   options, config, log, exit status; the event loop (TUN,
 *                proxy sockets, the program's exit)
 *
 * Addresses inside the namespace (documented in socksify(1)): the program
 * side of the TUN device is 10.255.255.2/24 and fd00:736f:636b::2/64, the
 * resolver 10.255.255.1 (fd00:736f:636b::1); routes 0.0.0.0/0 and ::/0
 * lead to the device.
 */
#ifndef SOCKSIFY_ISOLATE_ISO_H
#define SOCKSIFY_ISOLATE_ISO_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/net.h"
#include "conf/conf.h"
#include "conf/rules.h"

#define ISO_IFNAME "stun0"
/* The device's MTU, as large as a TUN device takes: the program's TCP then
 * sends and takes segments of up to 64 KiB, and lwIP is let send them too
 * (iso_flow.c), instead of 1460-byte ones. */
#define ISO_MTU 65535
#define ISO_PROG_IP4 "10.255.255.2"
#define ISO_GW_IP4 "10.255.255.1"
#define ISO_PROG_IP6 "fd00:736f:636b::2"
#define ISO_GW_IP6 "fd00:736f:636b::1"

/* The daemon's facts, set once by iso_main.c. */
struct iso_ctx {
	const struct conf *conf;
	const char *program; /* basename, for routes and logs */
	uid_t uid;
	const char *user; /* login name, or NULL */
	const char *env_user, *env_pass;
	uint64_t dropped; /* packets no route takes */
};

extern struct iso_ctx iso;

/*
 * What an epoll event's data.ptr points to: every object registered with
 * the loop's epoll instance starts with (or holds, for each of its fds)
 * one of these, and the loop dispatches on the kind.
 */
enum iso_ev_kind {
	ISO_EV_TUN,	  /* the device */
	ISO_EV_PID,	  /* the program's pidfd */
	ISO_EV_FLOW,	  /* a TCP flow's proxy socket (iso_flow.c) */
	ISO_EV_UDP_CTL,	  /* a UDP association's control connection */
	ISO_EV_UDP_RELAY, /* a UDP association's socket to the relay */
};

struct iso_ev {
	enum iso_ev_kind kind;
};

/* Bind the borrowed library symbols (iso_shim.c) to @c and libc. */
void iso_shim_init(const struct conf *c);

/*
 * The route for a TCP connection or a name: @ip (NULL for a name only),
 * @name (NULL when not known), @port (0 for a DNS question).  Logs a
 * denial as the library does.  Fills @r.
 */
enum rule_action iso_route(const struct net_ip *ip, const char *name,
			   uint16_t port, struct rule_result *r);

/* iso_route() for the command @cmd (one CONF_CMD_* bit; 0: a name only). */
enum rule_action iso_route_cmd(const struct net_ip *ip, const char *name,
			       uint16_t port, unsigned cmd,
			       struct rule_result *r);

#endif
