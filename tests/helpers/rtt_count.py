#!/usr/bin/env python3
"""Round trips before the first HTTP response byte, from a packet capture.

rtt_count.py PCAP CLIENT_IP SERVER_IP SERVER_PORT

Reads a classic pcap file (tcpdump -w; Ethernet, Linux cooked or raw IP
link types; IPv4 or IPv6) and, for each TCP connection from CLIENT_IP to
SERVER_IP:SERVER_PORT in the order they start, prints one line:
"<client port> <round trips>".  A round trip is a flight: a packet from the
client that carries a SYN or data, sent after the client last heard from
the server (a SYN or data from it; pure ACKs do not count) or as the very
first packet.  Counting stops at the first server segment whose data
holds "HTTP/" (the response reaching the program); a connection that
never sees one prints "-".  Pure: reads the file, nothing else.
"""
import ipaddress
import struct
import sys


def packets(path):
    with open(path, 'rb') as f:
        data = f.read()
    magic = struct.unpack('<I', data[:4])[0]
    end = '<' if magic in (0xa1b2c3d4, 0xa1b23c4d) else '>'
    linktype = struct.unpack(end + 'I', data[20:24])[0]
    off = 24
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack(end + 'IIII', data[off:off + 16])
        off += 16
        frame = data[off:off + incl]
        off += incl
        if linktype == 1:  # Ethernet
            etype = struct.unpack('>H', frame[12:14])[0]
            pos = 14
            while etype == 0x8100:
                etype = struct.unpack('>H', frame[pos + 2:pos + 4])[0]
                pos += 4
            ip = frame[pos:]
        elif linktype == 113:  # Linux cooked
            ip = frame[16:]
        elif linktype == 276:  # Linux cooked v2
            ip = frame[20:]
        else:  # raw IP (101, 12, 228, 229)
            ip = frame
        if not ip:
            continue
        ver = ip[0] >> 4
        if ver == 4:
            ihl = (ip[0] & 15) * 4
            if ip[9] != 6:
                continue
            src, dst = ipaddress.ip_address(ip[12:16]), ipaddress.ip_address(ip[16:20])
            total = struct.unpack('>H', ip[2:4])[0]
            tcp = ip[ihl:total]
        elif ver == 6:
            if ip[6] != 6:
                continue
            src, dst = ipaddress.ip_address(ip[8:24]), ipaddress.ip_address(ip[24:40])
            plen = struct.unpack('>H', ip[4:6])[0]
            tcp = ip[40:40 + plen]
        else:
            continue
        sport, dport = struct.unpack('>HH', tcp[0:4])
        doff = (tcp[12] >> 4) * 4
        flags = tcp[13]
        yield src, sport, dst, dport, flags, tcp[doff:]


def main():
    path, cip, sip, sport = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    cip, sip = ipaddress.ip_address(cip), ipaddress.ip_address(sip)
    conns = {}  # client port -> [round trips, heard, done]
    order = []
    for src, sp, dst, dp, flags, payload in packets(path):
        syn = flags & 0x02
        if src == cip and dst == sip and dp == sport:
            c = conns.get(sp)
            if c is None:
                if not syn or flags & 0x10:
                    continue  # not the start of a connection we saw
                c = conns[sp] = [0, True, False]
                order.append(sp)
            if c[2]:
                continue
            if (syn or payload) and c[1]:
                c[0] += 1
                c[1] = False
        elif src == sip and sp == sport and dst == cip and dp in conns:
            c = conns[dp]
            if c[2]:
                continue
            if syn or payload:
                c[1] = True
            if b'HTTP/' in payload:
                c[2] = True
    for p in order:
        c = conns[p]
        print(p, c[0] if c[2] else '-')


if __name__ == '__main__':
    main()
