#!/usr/bin/env python3
"""Resolve N distinct names under the preload library (resolve = remote,
a small fake_network, fake_ttl = TTL seconds) and check the fake-address
table's recycling (tests/netns/names_shared.sh):
  - every answer maps back to its name (getnameinfo NI_NAMEREQD);
  - a "hot" name looked up before every resolution keeps its address;
  - an address handed to a new name was last used by this program more
    than TTL seconds earlier (never a live address);
  - when the network is full of addresses used within the TTL, resolution
    fails (fails closed) until one expires: retried, bounded.
Usage: names_many.py N TTL.  Prints "names_many: ok ..." on success."""
import socket
import sys
import time

n, ttl = int(sys.argv[1]), float(sys.argv[2])


def resolve(name):
    return socket.getaddrinfo(name, 80, socket.AF_INET,
                              socket.SOCK_STREAM)[0][4][0]


def name_of(addr):
    return socket.getnameinfo((addr, 80), socket.NI_NAMEREQD)[0]


hot = resolve("hot.names.test")
owner = {}      # address -> (name, time of its last use by us)
recycled = refused = 0
deadline = time.monotonic() + 100
for i in range(n):
    name = "n%d.names.test" % i
    while True:
        if name_of(hot) != "hot.names.test":
            sys.exit("names_many: the hot name lost its address")
        try:
            addr = resolve(name)
            break
        except socket.gaierror:
            refused += 1  # full: nothing expired yet
            if time.monotonic() > deadline:
                sys.exit("names_many: still full after 100 s at %d" % i)
            time.sleep(0.05)
    now = time.monotonic()
    if addr == hot:
        sys.exit("names_many: %s got the hot address" % name)
    prev = owner.get(addr)
    if prev is not None:
        if now - prev[1] <= ttl:
            sys.exit("names_many: %s got %s, used by %s %.3f s ago"
                     % (name, addr, prev[0], now - prev[1]))
        recycled += 1
    if name_of(addr) != name:
        sys.exit("names_many: %s does not map back to %s" % (addr, name))
    owner[addr] = (name, time.monotonic())
if recycled == 0:
    sys.exit("names_many: no address was recycled")
print("names_many: ok %d names, %d addresses, %d recycled, %d refused "
      "while full" % (n, len(owner), recycled, refused))
