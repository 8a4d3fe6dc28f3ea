#!/usr/bin/env python3
# DNS over TCP probe for tests/helpers/netns_isolate_body.sh, run inside
# `socksify --isolate`: framing by the two-byte length (RFC 7766) the way
# the daemon must take it.  Usage: dns_tcp_probe.py SERVER NAME DENIED
# [idle].  Checks, each on its own connection:
#   pipelined  three queries (A, AAAA, A) in one write: three answers, in
#              order, matching ids, one record each
#   split      one query written a byte at a time: one answer
#   denied     a name the route denies: REFUSED, no record
#   too long   a length over the daemon's buffer: the connection ends
#              without an answer
#   malformed  a 12-byte "query" that is a response (QR set): ends, no
#              answer
#   idle       (with "idle") nothing sent: the daemon closes within 8-15 s
# Prints "ok: CHECK" per check; exits 1 at the first failure.
import socket, struct, sys, time

server, name, denied = sys.argv[1], sys.argv[2], sys.argv[3]
do_idle = len(sys.argv) > 4 and sys.argv[4] == "idle"
A, AAAA = 1, 28


def query(qid, qname, qtype):
    q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in qname.rstrip(".").split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\0" + struct.pack(">HH", qtype, 1)


def framed(msg):
    return struct.pack(">H", len(msg)) + msg


def conn():
    s = socket.create_connection((server, 53), timeout=10)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def read_exact(s, n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            return None
        b += c
    return b


def answer(s):
    h = read_exact(s, 2)
    if h is None:
        return None
    return read_exact(s, struct.unpack(">H", h)[0])


def fail(what):
    print("FAIL: " + what)
    sys.exit(1)


def check(a, qid, rcode, ancount, what):
    if a is None or len(a) < 12:
        fail("%s: no answer" % what)
    rid, flags, _, an = struct.unpack(">HHHH", a[:8])
    if rid != qid or not flags & 0x8000 or flags & 0xF != rcode or an != ancount:
        fail("%s: id %d flags %#x answers %d (want id %d rcode %d answers %d)"
             % (what, rid, flags, an, qid, rcode, ancount))


def expect_end(s, what):
    try:
        got = s.recv(100)
    except ConnectionResetError:
        got = b""
    if got:
        fail("%s: an answer instead of the end: %r" % (what, got))
    print("ok: " + what)


s = conn()
s.sendall(framed(query(1, name, A)) + framed(query(2, name, AAAA))
          + framed(query(3, "www." + name, A)))
for qid in (1, 2, 3):
    check(answer(s), qid, 0, 1, "pipelined query %d" % qid)
s.close()
print("ok: three pipelined queries, three answers in order")

s = conn()
for b in framed(query(7, name, A)):
    s.send(bytes([b]))
check(answer(s), 7, 0, 1, "split query")
s.close()
print("ok: a query written a byte at a time")

s = conn()
s.sendall(framed(query(9, denied, A)))
check(answer(s), 9, 5, 0, "denied name")
s.close()
print("ok: a denied name: REFUSED")

s = conn()
s.sendall(struct.pack(">H", 4000) + b"x" * 100)
expect_end(s, "a query longer than the buffer ends the connection")
s.close()

s = conn()
s.sendall(framed(struct.pack(">HHHHHH", 5, 0x8100, 0, 0, 0, 0)))
expect_end(s, "a malformed query ends the connection")
s.close()

if do_idle:
    s = conn()
    s.settimeout(20)
    t0 = time.monotonic()
    expect_end(s, "idle connection closed")
    t = time.monotonic() - t0
    if not 8 <= t <= 15:
        fail("idle connection closed after %.1f s" % t)
    s.close()
