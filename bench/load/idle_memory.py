#!/usr/bin/env python3
"""Memory per idle keep-alive connection of a running server: opens N connections on loopback,
makes one request on each, leaves them idle, and reads the server's RSS before and after.

    ulimit -n 10000
    AILERON_ADDR=127.0.0.1:18700 build/aileron -f bench/load/echo.yaml &
    bench/load/idle_memory.py PID 127.0.0.1 18700 [N=3000]

Finish within the server's idleTimeout (10 s by default) or it closes the connections itself.
"""
import socket
import sys
import time


def rss_kib(pid):
    with open("/proc/%s/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS"):
                return int(line.split()[1])
    raise SystemExit("no VmRSS for pid %s" % pid)


def main():
    pid, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    n = int(sys.argv[4]) if len(sys.argv) > 4 else 3000
    request = ("GET / HTTP/1.1\r\nHost: %s\r\n\r\n" % host).encode()
    warm = socket.create_connection((host, port), timeout=5)   # lazy allocations happen once
    warm.sendall(request)
    warm.recv(4096)
    warm.close()
    time.sleep(0.3)
    before = rss_kib(pid)
    conns = []
    for _ in range(n):
        c = socket.create_connection((host, port), timeout=5)
        c.sendall(request)
        conns.append(c)
    for c in conns:
        c.recv(4096)
    time.sleep(0.5)
    after = rss_kib(pid)
    print("%d idle keep-alive connections: RSS %d KiB -> %d KiB, %d bytes per connection"
          % (n, before, after, (after - before) * 1024 // n))
    for c in conns:
        c.close()


if __name__ == "__main__":
    main()
