/* SPDX-License-Identifier: MIT */
/*
 * A UDP socket's state in the registry (the payload of FDT_UDP entries),
 * shared by the three files of the UDP kind:
 *
 *   kind_udp.c   classification, routing per datagram (with a one-entry
 *                cache), connect(), the kind's operations;
 *   udp_assoc.c  the association: its hidden control connection (an
 *                internal fd), set up with the client driver (cmd UDP
 *                ASSOCIATE) inline for a blocking caller or on the engine
 *                for a non-blocking one, its relay address, its end;
 *   udp_io.c     the datagrams: RFC 1928 section 7 encapsulation on send,
 *                decapsulation, source check and drops on receive.
 *
 * The association's life (u->st, under e->lock):
 *
 *   NONE --first datagram (or connect) via a proxy--> SETUP
 *   SETUP --reply 00--> READY (byte FDT_UDP | FDT_F_INTERCEPT)
 *   SETUP --failure--> FAILED --reported once by a data call--> NONE
 *   READY --control connection closed--> FAILED (same)
 *
 * While SETUP, datagrams of a non-blocking caller are queued (sent when
 * the relay is known, dropped on failure: UDP may lose datagrams, and the
 * error is reported by the next call, as ICMP errors are); a blocking
 * caller waits.  The program's fd is never held back from its polls: UDP
 * is always writable, and nothing arrives before the relay answers.
 */
#ifndef SOCKSIFY_PRELOAD_UDP_ASSOC_H
#define SOCKSIFY_PRELOAD_UDP_ASSOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "common/net.h"
#include "conf/rules.h"
#include "preload/client.h"
#include "preload/engine.h"
#include "preload/fdtable.h"
#include "preload/kind_udp.h" /* UDP_VIA_PROXY */

/* RSV(2) FRAG ATYP + a 255-byte name with its length + PORT(2) */
#define UDP_HDR_MAX (4 + 1 + 255 + 2)
#define UDP_NAMES 4	  /* names datagrams went to, for replies */
#define UDP_QUEUE_MAX 32  /* datagrams queued during a setup */
#define UDP_PROXIES_MAX 8 /* SOCKS5 proxies of a route, tried in order */

enum udp_astate { UA_NONE, UA_SETUP, UA_READY, UA_FAILED };

/* A name the program sent datagrams to (through its fake address). */
struct udp_name {
	bool used;
	uint16_t port;
	char name[256];
	struct sockaddr_storage fake; /* what the program used */
	socklen_t fakelen;
};

/* A datagram waiting for the relay: header and data, ready to send. */
struct udp_pending {
	struct udp_pending *next;
	size_t len;
	uint8_t data[];
};

struct udp_sock {
	/* The route cache: the last destination, its verdict and header. */
	bool valid;
	struct net_ip ip;
	uint16_t port;
	int verdict; /* 0 direct, UDP_VIA_PROXY, or -errno */
	const struct conf_proxy *const *route_px; /* the route's proxies */
	size_t route_npx;
	uint8_t hdr[UDP_HDR_MAX];
	size_t hdrlen;

	/* The association. */
	enum udp_astate st;
	int err;    /* positive errno while FAILED */
	int ctl;    /* control connection (internal fd), -1 */
	int nfds;   /* program fds sharing this entry */
	int family; /* of the program's socket */
	struct sockaddr_storage relay; /* BND, in the socket's family */
	socklen_t relaylen;
	const struct conf_proxy *px[UDP_PROXIES_MAX];
	size_t npx;
	bool kconnected;  /* the kernel socket is connected to the relay */
	bool direct_used; /* datagrams went direct too: deliver theirs */
	bool warned_frag;
	int64_t checked_ms; /* io_now_ms() of the last udp_assoc_check */
	int64_t alive_ms;   /* ... of the last control connection peek */

	/* What a receive must know of the program's settings, kept so that
	 * it asks no system call for them (udp_settings_read). */
	bool nonblock;	     /* O_NONBLOCK */
	int64_t rcvtimeo_ms; /* SO_RCVTIMEO, 0: none */

	/* The program's connect() to a destination via the proxy. */
	bool has_peer;
	struct sockaddr_storage peer;
	socklen_t peerlen;

	struct udp_name names[UDP_NAMES];
	unsigned next_name;

	struct client cl;
	struct eng_job job;
	struct udp_pending *q, **qtail;
	unsigned nq;
};

static inline struct udp_sock *udp_of(struct fdt_entry *e)
{
	return fdt_payload(e);
}

/*
 * Route UDP to @sa (@len bytes, IPv4 or IPv6): 0 (direct), UDP_VIA_PROXY
 * with the route in *@r and the destination as the proxy must see it in
 * *@dst (the name behind a fake address), or -EACCES (deny, a SOCKS4-only
 * route, a fake address routed direct: logged).  kind_udp.c.
 */
int udp_route(const struct sockaddr *sa, socklen_t len, struct rule_result *r,
	      struct socks_addr *dst);

/*
 * The verdict for a datagram of @u (e->lock held) to @sa: the cached one
 * when @sa is the last destination, else udp_route()'s, cached with its
 * header (u->hdr, u->hdrlen) and, for a name, noted for the replies.
 * *@r gets the route's proxies.  kind_udp.c.
 */
int udp_dest(struct udp_sock *u, const struct sockaddr *sa, socklen_t len,
	     struct rule_result *r);

/*
 * A datagram of @u's socket @fd goes direct (e->lock held): replies of
 * direct peers must be delivered, so the kernel socket is no longer
 * connected to the relay.  kind_udp.c.
 */
void udp_use_direct(struct udp_sock *u, int fd);

/*
 * Encode the datagram header for @dst into @buf (UDP_HDR_MAX).  Returns
 * its length or -EINVAL.  udp_io.c.
 */
int udp_hdr_encode(uint8_t *buf, const struct socks_addr *dst);

/*
 * Make sure @e (the UDP socket @fd; e->lock held) has an association
 * through the SOCKS5 proxies of route @r, or is setting one up.  A
 * blocking caller (@nonblock false) waits for the setup here, with the
 * lock released meanwhile; a non-blocking one starts it on the engine
 * and returns.  Returns 0 (READY or SETUP), or -errno: -EACCES when the
 * route has no SOCKS5 proxy or the association goes through another
 * proxy than the route names (logged), the reported failure of the
 * setup.  udp_assoc.c.
 */
int udp_assoc_ensure(struct fdt_entry *e, int fd, const struct rule_result *r,
		     bool nonblock);

/*
 * A failure (FAILED) to report now: returns -err and goes back to NONE
 * (the next datagram sets up a new association).  e->lock held.
 */
int udp_assoc_report(struct udp_sock *u);

/*
 * Is the control connection still up?  One non-blocking peek; a closed
 * or reset connection makes the association FAILED (ECONNRESET, logged).
 * e->lock held.  Returns true while READY.
 */
bool udp_assoc_alive(struct udp_sock *u);

/*
 * The data operations' checks, at most every UDP_CHECK_MS (the send
 * path's cost is one system call otherwise): is @e still the socket
 * behind @fd (fdt_still_ours), is the control connection up
 * (udp_assoc_alive)?  The program's settings are read again too
 * (udp_settings_read).  e->lock held.  Returns 0, -EBADF (the number now
 * names another socket: the caller lets the kernel have the call), or
 * the reported error of a dead association.
 */
#define UDP_CHECK_MS 50
int udp_assoc_check(struct fdt_entry *e, int fd);

/*
 * Read @fd's O_NONBLOCK and SO_RCVTIMEO into u->nonblock and
 * u->rcvtimeo_ms (e->lock held): when the association starts, when the
 * program changes them (fcntl F_SETFL, ioctl FIONBIO, setsockopt: the
 * kind's settings operation, hook_settings), and with every
 * udp_assoc_check, which bounds to UDP_CHECK_MS how long a change made
 * where no hook sees it (another process sharing the socket, a raw
 * system call) goes unnoticed.  udp_assoc.c.
 */
void udp_settings_read(struct udp_sock *u, int fd);

/*
 * Wait (e->lock held, released meanwhile) while the association is being
 * set up by another thread or the engine.  Returns with the lock held.
 */
void udp_assoc_wait(struct fdt_entry *e);

/* Queue @len bytes (header + data) until the relay is known.  0 or
 * -EAGAIN (queue full) / -ENOMEM. */
int udp_assoc_queue(struct udp_sock *u, const struct iovec *iov, size_t n);

/* The program's fd @fd goes (close, dup2 over it, reused): the last one
 * ends the association.  e->lock held. */
void udp_assoc_forget(struct fdt_entry *e, int fd);

/* Last reference: what the payload still owns. */
void udp_assoc_destroy(struct fdt_entry *e);

/* Data operations (fdt_ops.h contract): udp_io.c. */
ssize_t udp_io_sendmsg(struct fdt_entry *e, int fd, const struct msghdr *msg,
		       int flags);
ssize_t udp_io_recvmsg(struct fdt_entry *e, int fd, struct msghdr *msg,
		       int flags);

#endif
