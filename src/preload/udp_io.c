// SPDX-License-Identifier: MIT
/*
 * The datagrams of an associated UDP socket (udp_assoc.h): the kind's
 * sendmsg and recvmsg operations, which every send and receive call of
 * the program becomes (hook_write.c, hook_read.c).
 *
 * Send: the destination (the message's, else the program's connected
 * peer) is routed (udp_dest: the last one is cached with its header);
 * direct goes to the kernel as the program made it, via the proxy the
 * header is put in front of the program's own iovecs (no copy) and the
 * datagram goes to the relay.  The kernel then counts the header in its
 * size limit: EMSGSIZE comes 10 (IPv4), 22 (IPv6) or 7 + name bytes
 * earlier, as RFC 1928 section 7 says it must.  MSG_MORE and UDP_SEGMENT
 * would merge datagrams behind one header: refused (EOPNOTSUPP).
 *
 * Receive: one datagram is read into a buffer the size of the program's
 * plus the largest header (MSG_TRUNC asked of the kernel, so the real
 * length is known), checked and decapsulated, and copied out with the
 * source the program expects: the address it sent to, a fake address for
 * a name, its connected peer.  A datagram not from the relay (possible
 * only while the socket is not connected to it), with FRAG != 0 or a
 * malformed header is consumed and dropped, also under MSG_PEEK, so it
 * never leaves the socket readable for nothing; the call then goes on
 * with the next one, or reports EAGAIN / waits as the kernel would.
 * Waiting (a blocking socket, SO_RCVTIMEO) polls the socket and the
 * control connection together: a dead association is an error
 * (ECONNRESET), never a hang.  O_NONBLOCK and SO_RCVTIMEO come from the
 * copy the kind keeps (udp_settings_read), so a blocking receive in
 * request/response costs two system calls: the poll and the recvmsg.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/uio.h>

#include "common/io.h"
#include "common/log.h"
#include "preload/fakedns.h"
#include "preload/real.h"
#include "preload/udp_assoc.h"

#ifndef SOL_UDP
#define SOL_UDP 17
#endif
#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif

#define UDP_IOV_STACK 16   /* iovecs on the stack, header included */
#define UDP_BUF_STACK 2048 /* receive buffers on the stack up to this */

/* Contract: udp_assoc.h. */
int udp_hdr_encode(uint8_t *buf, const struct socks_addr *dst)
{
	struct socks5_udp_header h;
	ssize_t n;

	h.frag = 0;
	h.addr = *dst;
	n = socks5_udp_header_encode(buf, UDP_HDR_MAX, &h);
	return n < 0 ? -EINVAL : (int)n;
}

/* Does @msg carry a UDP_SEGMENT (GSO) control message? */
static bool udp_io_has_gso(const struct msghdr *msg)
{
	struct cmsghdr *c;

	if (!msg->msg_control || msg->msg_controllen < sizeof(struct cmsghdr))
		return false;
	for (c = CMSG_FIRSTHDR((struct msghdr *)msg); c;
	     c = CMSG_NXTHDR((struct msghdr *)msg, c))
		if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_SEGMENT)
			return true;
	return false;
}

/* Is the call non-blocking (@flags, else the file's O_NONBLOCK)?  Asks
 * the kernel: for a socket whose association is not set up yet. */
static bool udp_io_nonblock(int fd, int flags)
{
	int fl;

	if (flags & MSG_DONTWAIT)
		return true;
	fl = real.fcntl(fd, F_GETFL);
	return fl >= 0 && (fl & O_NONBLOCK);
}

/* Contract: udp_assoc.h (fdt_ops sendmsg). */
ssize_t udp_io_sendmsg(struct fdt_entry *e, int fd, const struct msghdr *msg,
		       int flags)
{
	struct udp_sock *u = udp_of(e);
	const struct sockaddr *to = msg->msg_name;
	socklen_t tl = msg->msg_namelen;
	struct sockaddr_in v4;
	struct sockaddr_storage relay;
	socklen_t rl = 0;
	struct rule_result r;
	uint8_t hdr[UDP_HDR_MAX];
	struct iovec stackv[UDP_IOV_STACK], *iov = stackv;
	struct msghdr m;
	size_t hl, n = msg->msg_iovlen + 1, total = 0;
	ssize_t rc;
	int v;

	if (to && tl == 0)
		to = NULL;
	if (to && udp_unspec_as_inet(fd, to, tl, &v4)) {
		to = (const struct sockaddr *)&v4;
		tl = sizeof(v4);
	}
	if (to && to->sa_family != AF_INET && to->sa_family != AF_INET6)
		return FDT_OP_PASS; /* the kernel's error */
	fdt_lock(e);
	rc = udp_assoc_check(e, fd);
	if (rc == -EBADF) {
		rc = FDT_OP_PASS; /* not ours any more */
		goto out_unlock;
	}
	if (rc == 0 && u->st == UA_FAILED)
		rc = udp_assoc_report(u);
	if (rc < 0)
		goto out_unlock;
	if (to) {
		v = udp_dest(u, to, tl, &r);
	} else if (u->has_peer) {
		v = udp_dest(u, (struct sockaddr *)&u->peer, u->peerlen, &r);
	} else {
		/* Not connected for the program: EDESTADDRREQ, as the
		 * kernel, even if the socket is connected to the relay. */
		rc = u->kconnected ? -EDESTADDRREQ : FDT_OP_PASS;
		goto out_unlock;
	}
	if (v == 0) {
		udp_use_direct(u, fd);
		rc = FDT_OP_PASS;
		goto out_unlock;
	}
	if (v < 0) {
		rc = v;
		goto out_unlock;
	}
	if ((flags & MSG_MORE) || udp_io_has_gso(msg)) {
		LOG_ERR("UDP through a proxy: MSG_MORE and UDP_SEGMENT are not "
			"supported (each datagram needs its own header)");
		rc = -EOPNOTSUPP;
		goto out_unlock;
	}
	hl = u->hdrlen;
	memcpy(hdr, u->hdr, hl);
	if (u->st != UA_READY) {
		rc = udp_assoc_ensure(e, fd, &r, udp_io_nonblock(fd, flags));
		if (rc < 0)
			goto out_unlock;
	}
	if (n > UDP_IOV_STACK) {
		iov = malloc(n * sizeof(*iov));
		if (!iov) {
			rc = -ENOMEM;
			goto out_unlock;
		}
	}
	iov[0].iov_base = hdr;
	iov[0].iov_len = hl;
	for (size_t i = 1; i < n; i++) {
		iov[i] = msg->msg_iov[i - 1];
		total += iov[i].iov_len;
	}
	if (u->st == UA_SETUP) {
		/* A non-blocking caller: sent when the relay is known. */
		rc = udp_assoc_queue(u, iov, n);
		if (rc == 0)
			rc = (ssize_t)total;
		goto out_unlock;
	}
	if (!u->kconnected) {
		rl = u->relaylen;
		memcpy(&relay, &u->relay, rl);
	}
	fdt_unlock(e);

	m = *msg;
	m.msg_name = rl ? &relay : NULL;
	m.msg_namelen = rl;
	m.msg_iov = iov;
	m.msg_iovlen = n;
	rc = real.sendmsg(fd, &m, flags | MSG_NOSIGNAL);
	if (rc < 0)
		rc = -errno;
	else
		rc = (size_t)rc >= hl ? rc - (ssize_t)hl : 0;
	goto out;
out_unlock:
	fdt_unlock(e);
out:
	if (iov != stackv)
		free(iov);
	return rc;
}

/* Same address and port? */
static bool udp_io_same_sa(const struct sockaddr_storage *a, socklen_t al,
			   const struct sockaddr_storage *b, socklen_t bl)
{
	struct net_ip ia, ib;
	uint16_t pa = 0, pb = 0;

	if (net_ip_from_sockaddr(&ia, &pa, (const struct sockaddr *)a, al) <
		    0 ||
	    net_ip_from_sockaddr(&ib, &pb, (const struct sockaddr *)b, bl) < 0)
		return false;
	return pa == pb && ia.family == ib.family &&
	       memcmp(ia.b, ib.b, ia.family == AF_INET ? 4 : 16) == 0;
}

/* @ss (@len) as an address of the program socket's @family, in place.
 * Returns the new length, or 0 when it cannot be one. */
static socklen_t udp_io_to_family(struct sockaddr_storage *ss, socklen_t len,
				  int family)
{
	if (ss->ss_family == (sa_family_t)family)
		return len;
	if (ss->ss_family == AF_INET && family == AF_INET6) {
		struct sockaddr_in s4 = *(struct sockaddr_in *)ss;
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		memset(s6, 0, sizeof(*s6));
		s6->sin6_family = AF_INET6;
		s6->sin6_port = s4.sin_port;
		s6->sin6_addr.s6_addr[10] = 0xff;
		s6->sin6_addr.s6_addr[11] = 0xff;
		memcpy(&s6->sin6_addr.s6_addr[12], &s4.sin_addr, 4);
		return sizeof(*s6);
	}
	if (ss->ss_family == AF_INET6 && family == AF_INET) {
		struct sockaddr_in6 s6 = *(struct sockaddr_in6 *)ss;
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		if (!IN6_IS_ADDR_V4MAPPED(&s6.sin6_addr))
			return 0;
		memset(s4, 0, sizeof(*s4));
		s4->sin_family = AF_INET;
		s4->sin_port = s6.sin6_port;
		memcpy(&s4->sin_addr, &s6.sin6_addr.s6_addr[12], 4);
		return sizeof(*s4);
	}
	return 0;
}

/*
 * The source the program is to see for a datagram the relay says came
 * from @a (e->lock held): the connected peer (others are dropped, as the
 * kernel drops them for a connected socket), the fake address of a name
 * the program sent to, or the address itself.  Returns the length in
 * @out, or 0 to drop the datagram.
 */
static socklen_t udp_io_source(struct udp_sock *u, const struct socks_addr *a,
			       struct sockaddr_storage *out)
{
	socklen_t len = sizeof(*out);
	struct net_ip ip, pip;
	uint16_t pport = 0;

	if (a->type == SOCKS5_ATYP_DOMAINNAME) {
		for (unsigned i = 0; i < UDP_NAMES; i++)
			if (u->names[i].used && u->names[i].port == a->port &&
			    strcmp(u->names[i].name, a->u.name) == 0) {
				memcpy(out, &u->names[i].fake,
				       u->names[i].fakelen);
				return u->names[i].fakelen;
			}
		return 0;
	}
	if (socks_addr_to_sockaddr(a, out, &len) < 0)
		return 0;
	if (u->has_peer) {
		if (net_ip_from_sockaddr(&pip, &pport,
					 (struct sockaddr *)&u->peer,
					 u->peerlen) < 0 ||
		    pport != a->port)
			return 0;
		if (!fakedns_is_fake(&pip) &&
		    !udp_io_same_sa(out, len, &u->peer, u->peerlen))
			return 0;
		memcpy(out, &u->peer, u->peerlen);
		return u->peerlen;
	}
	/* A name's datagrams come back from an address the program never
	 * saw: the fake address it used, unless it did send to this one. */
	if (net_ip_from_sockaddr(&ip, &pport, (struct sockaddr *)out, len) ==
		    0 &&
	    !(u->valid && u->port == a->port && u->ip.family == ip.family &&
	      memcmp(u->ip.b, ip.b, ip.family == AF_INET ? 4 : 16) == 0)) {
		for (unsigned i = 0; i < UDP_NAMES; i++)
			if (u->names[i].used && u->names[i].port == a->port) {
				memcpy(out, &u->names[i].fake,
				       u->names[i].fakelen);
				return u->names[i].fakelen;
			}
	}
	return udp_io_to_family(out, len, u->family);
}

/* Copy @n bytes of @data into @msg's iovecs; returns the count copied. */
static size_t udp_io_copyout(struct msghdr *msg, const uint8_t *data, size_t n)
{
	size_t off = 0;

	for (size_t i = 0; i < msg->msg_iovlen && off < n; i++) {
		size_t k = msg->msg_iov[i].iov_len;

		if (k > n - off)
			k = n - off;
		memcpy(msg->msg_iov[i].iov_base, data + off, k);
		off += k;
	}
	return off;
}

/* Hand a datagram of @full bytes (@got of them in @data) from @src to the
 * program; returns what recvmsg returns. */
static ssize_t udp_io_deliver(struct msghdr *msg, int flags,
			      const uint8_t *data, size_t got, size_t full,
			      const struct sockaddr_storage *src,
			      socklen_t srclen, const struct msghdr *km)
{
	size_t copied = udp_io_copyout(msg, data, got);

	if (msg->msg_name) {
		memcpy(msg->msg_name, src,
		       msg->msg_namelen < srclen ? msg->msg_namelen : srclen);
		msg->msg_namelen = srclen;
	}
	msg->msg_controllen = km->msg_controllen;
	msg->msg_flags =
		(km->msg_flags & MSG_CTRUNC) | (full > copied ? MSG_TRUNC : 0);
	return (flags & MSG_TRUNC) ? (ssize_t)full : (ssize_t)copied;
}

/* A receive call's waiting state (udp_io_wait). */
struct udp_wait {
	int64_t deadline; /* io_now_ms() when SO_RCVTIMEO ends, -1: none */
	bool nonblock;	  /* MSG_DONTWAIT or O_NONBLOCK */
	bool peek_ctl;	  /* the control connection said something */
};

/*
 * Nothing to read: wait for @fd or the control connection (a blocking
 * call, up to SO_RCVTIMEO from the call's start), or say EAGAIN.  A
 * non-blocking call peeks the control connection (udp_assoc_alive); a
 * blocking one only when the poll saw it stir.  Returns 0 (read again),
 * -EAGAIN, -EINTR, or the error of a dead association.
 */
static int udp_io_wait(struct fdt_entry *e, int fd, struct udp_wait *w)
{
	struct udp_sock *u = udp_of(e);
	struct pollfd p[2];
	bool nonblock = w->nonblock;
	int ctl, n, ms = -1;

	fdt_lock(e);
	if ((nonblock || w->peek_ctl) && !udp_assoc_alive(u)) {
		int rc = u->st == UA_FAILED ? udp_assoc_report(u) : -EAGAIN;

		fdt_unlock(e);
		return rc;
	}
	ctl = u->ctl;
	fdt_unlock(e);
	w->peek_ctl = false;
	if (nonblock)
		return -EAGAIN;
	if (w->deadline >= 0) {
		int64_t left = w->deadline - io_now_ms();

		if (left <= 0)
			return -EAGAIN;
		ms = left > 60000 ? 60000 : (int)left;
	}
	p[0].fd = fd;
	p[0].events = POLLIN;
	p[1].fd = ctl;
	p[1].events = POLLIN;
	n = real.poll(p, 2, ms);
	if (n < 0)
		return -errno;
	if (n > 0 && p[1].revents)
		w->peek_ctl = true;
	return 0;
}

/* Consume the datagram at the head of @fd's queue (after a peek). */
static void udp_io_drop(int fd, int flags)
{
	char c;

	if (flags & MSG_PEEK)
		(void)!real.recv(fd, &c, 0, MSG_DONTWAIT);
}

/* Contract: udp_assoc.h (fdt_ops recvmsg). */
ssize_t udp_io_recvmsg(struct fdt_entry *e, int fd, struct msghdr *msg,
		       int flags)
{
	struct udp_sock *u = udp_of(e);
	uint8_t stackbuf[UDP_BUF_STACK + UDP_HDR_MAX], *buf = stackbuf;
	struct sockaddr_storage relay;
	socklen_t rl;
	size_t total = 0, cap;
	struct udp_wait w = {.deadline = -1};
	bool kconn, direct, first = true;
	ssize_t rc;

	if (flags & (MSG_ERRQUEUE | MSG_OOB))
		return FDT_OP_PASS;
	fdt_lock(e);
	rc = udp_assoc_check(e, fd);
	if (rc < 0) {
		fdt_unlock(e);
		return rc == -EBADF ? FDT_OP_PASS : rc;
	}
	for (;;) {
		if (u->st == UA_FAILED) {
			rc = udp_assoc_report(u);
			fdt_unlock(e);
			return rc;
		}
		if (u->st == UA_NONE) {
			fdt_unlock(e);
			return FDT_OP_PASS; /* nothing goes via a proxy */
		}
		w.nonblock = (flags & MSG_DONTWAIT) || u->nonblock;
		if (u->st == UA_READY)
			break;
		if (w.nonblock) {
			fdt_unlock(e);
			return -EAGAIN; /* nothing can have come yet */
		}
		udp_assoc_wait(e);
	}
	if (!w.nonblock && u->rcvtimeo_ms > 0)
		w.deadline = io_now_ms() + u->rcvtimeo_ms;
	kconn = u->kconnected;
	direct = u->direct_used;
	rl = u->relaylen;
	memcpy(&relay, &u->relay, rl);
	fdt_unlock(e);

	for (size_t i = 0; i < msg->msg_iovlen; i++)
		total += msg->msg_iov[i].iov_len;
	cap = total + UDP_HDR_MAX;
	if (total > UDP_BUF_STACK) {
		buf = malloc(cap);
		if (!buf)
			return -ENOMEM;
	}
	for (;;) {
		struct socks5_udp_header h;
		struct sockaddr_storage src, shown;
		struct iovec bv = {.iov_base = buf, .iov_len = cap};
		struct msghdr km;
		socklen_t sl;
		size_t got;
		ssize_t n, hl;

		/* A blocking call waits first: in request/response the
		 * answer is seldom there yet, and the poll says when. */
		if (first && !(flags & MSG_PEEK) && !w.nonblock) {
			rc = udp_io_wait(e, fd, &w);
			if (rc < 0)
				break;
		}
		first = false;
		memset(&km, 0, sizeof(km));
		km.msg_name = &src;
		km.msg_namelen = sizeof(src);
		km.msg_iov = &bv;
		km.msg_iovlen = 1;
		km.msg_control = msg->msg_control;
		km.msg_controllen = msg->msg_controllen;
		n = real.recvmsg(fd, &km, flags | MSG_DONTWAIT | MSG_TRUNC);
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				rc = -errno;
				break;
			}
			rc = udp_io_wait(e, fd, &w);
			if (rc < 0)
				break;
			continue;
		}
		got = (size_t)n < cap ? (size_t)n : cap;
		if (!kconn &&
		    !udp_io_same_sa(&src, km.msg_namelen, &relay, rl)) {
			if (direct) {
				/* A direct peer's datagram: as it came. */
				rc = udp_io_deliver(msg, flags, buf, got,
						    (size_t)n, &src,
						    km.msg_namelen, &km);
				break;
			}
			udp_io_drop(fd, flags); /* not from the relay */
			continue;
		}
		hl = socks5_udp_header_decode(buf, got, &h);
		if (hl <= 0 || h.frag != 0) {
			if (hl > 0 && !u->warned_frag) {
				u->warned_frag = true;
				LOG_WARN("UDP via proxy: fragmented datagrams "
					 "(FRAG != 0) are dropped");
			}
			udp_io_drop(fd, flags);
			continue;
		}
		fdt_lock(e);
		sl = udp_io_source(u, &h.addr, &shown);
		fdt_unlock(e);
		if (!sl) {
			udp_io_drop(fd, flags);
			continue;
		}
		rc = udp_io_deliver(msg, flags, buf + hl, got - (size_t)hl,
				    (size_t)n - (size_t)hl, &shown, sl, &km);
		break;
	}
	if (buf != stackbuf)
		free(buf);
	return rc;
}
