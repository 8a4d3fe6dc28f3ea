#!/usr/bin/env python3
# dns_server.py HOST PORTFILE NAME LOG: a tiny DNS server for the resolver
# tests, UDP and TCP on one port (port 0, or $DNS_SERVER_PORT; the port goes
# to PORTFILE).
# Answers NAME A 203.0.113.2, NAME MX 10 mail.NAME, NAME TXT
# "socksify-txt-ok", _sip._tcp.NAME SRV 0 5 5060 sip.NAME; anything else
# NXDOMAIN.  Each query is logged to LOG as "udp|tcp QNAME QTYPE".
import os, socket, struct, sys, threading

host, pf, name, logpath = sys.argv[1:5]
name = name.lower().rstrip('.')
lock = threading.Lock()


def enc_name(n):
    return b''.join(bytes([len(l)]) + l.encode() for l in n.split('.')) + b'\0'


def parse_q(msg):
    off, labels = 12, []
    while msg[off]:
        l = msg[off]
        labels.append(msg[off + 1:off + 1 + l].decode())
        off += 1 + l
    qtype, qclass = struct.unpack('!HH', msg[off + 1:off + 5])
    return '.'.join(labels).lower(), qtype, off + 5


def answer(msg, proto):
    qname, qtype, end = parse_q(msg)
    with lock:
        with open(logpath, 'a') as f:
            f.write('%s %s %d\n' % (proto, qname, qtype))
    rr = []
    if qname == name and qtype == 1:
        rr.append((1, bytes([203, 0, 113, 2])))
    elif qname == name and qtype == 15:
        rr.append((15, struct.pack('!H', 10) + enc_name('mail.' + name)))
    elif qname == name and qtype == 16:
        t = b'socksify-txt-ok'
        rr.append((16, bytes([len(t)]) + t))
    elif qname == '_sip._tcp.' + name and qtype == 33:
        rr.append((33, struct.pack('!HHH', 0, 5, 5060) + enc_name('sip.' + name)))
    known = qname in (name, '_sip._tcp.' + name)
    rcode = 0 if known else 3
    hdr = msg[:2] + struct.pack('!BBHHHH', 0x81, 0x80 | rcode, 1, len(rr), 0, 0)
    body = msg[12:end]
    for t, rd in rr:
        body += enc_name(qname) + struct.pack('!HHIH', t, 1, 60, len(rd)) + rd
    return hdr + body


fam = socket.AF_INET6 if ':' in host else socket.AF_INET
u = socket.socket(fam, socket.SOCK_DGRAM)
u.bind((host, int(os.environ.get('DNS_SERVER_PORT', '0'))))
port = u.getsockname()[1]
t = socket.socket(fam, socket.SOCK_STREAM)
t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t.bind((host, port))
t.listen(16)


def udp_loop():
    while True:
        msg, peer = u.recvfrom(4096)
        try:
            u.sendto(answer(msg, 'udp'), peer)
        except Exception:
            pass


def recv_all(c, n):
    b = b''
    while len(b) < n:
        d = c.recv(n - len(b))
        if not d:
            raise EOFError
        b += d
    return b


def tcp_conn(c):
    try:
        while True:
            (n,) = struct.unpack('!H', recv_all(c, 2))
            a = answer(recv_all(c, n), 'tcp')
            c.sendall(struct.pack('!H', len(a)) + a)
    except Exception:
        pass
    finally:
        c.close()


threading.Thread(target=udp_loop, daemon=True).start()
open(pf + '.tmp', 'w').write(str(port))
os.rename(pf + '.tmp', pf)
while True:
    c, _ = t.accept()
    threading.Thread(target=tcp_conn, args=(c,), daemon=True).start()
