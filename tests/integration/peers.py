"""nginx and HAProxy as reverse proxies on loopback, for tests that put the gateway behind or in
front of them (the smuggling grid). Standard library only; the binaries come from the Debian
packages nginx-light and haproxy (scripts/setup.sh installs them).

Each peer writes its config into a temp dir it owns, listens on 127.0.0.1:<free port>, proxies
everything to one `http://127.0.0.1:<port>` origin, runs in the foreground as a child of the
test, and is stopped (and its temp dir removed) by `stop()`.
"""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

from gateway import free_port

START_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0

NGINX = "/usr/sbin/nginx"
HAPROXY = "/usr/sbin/haproxy"


def require(path):
    if not os.access(path, os.X_OK):
        raise AssertionError("%s is missing: install the Debian package (bash scripts/setup.sh)" % path)
    return path


class _Peer:
    name = "peer"

    def __init__(self, origin_port):
        self.origin_port = origin_port
        self.port = None
        self.dir = None
        self.proc = None

    def command(self):
        raise NotImplementedError

    def config(self):
        raise NotImplementedError

    def start(self, attempts=3):
        last = ""
        for _ in range(attempts):
            self.port = free_port()
            self.dir = tempfile.mkdtemp(prefix="aileron-%s-" % self.name)
            self.write_config()
            self.log = open(os.path.join(self.dir, "output.log"), "wb")
            self.proc = subprocess.Popen(self.command(), cwd=self.dir, stdin=subprocess.DEVNULL,
                                         stdout=self.log, stderr=subprocess.STDOUT)
            deadline = time.monotonic() + START_TIMEOUT
            while time.monotonic() < deadline and self.proc.poll() is None:
                try:
                    with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                        return self
                except OSError:
                    time.sleep(0.05)
            last = self.output()
            self.stop()
            if "in use" not in last:
                break
        raise AssertionError("%s did not start on 127.0.0.1:%s\n%s" % (self.name, self.port, last))

    def write_config(self):
        with open(os.path.join(self.dir, "peer.conf"), "w") as f:
            f.write(self.config())

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def output(self):
        try:
            with open(os.path.join(self.dir, "output.log"), "rb") as f:
                text = f.read().decode("utf-8", "replace")
            err = os.path.join(self.dir, "error.log")
            if os.path.exists(err):
                with open(err, "rb") as f:
                    text += f.read().decode("utf-8", "replace")
            return text
        except (OSError, TypeError):
            return ""

    def stop(self):
        """Stops the peer (fast shutdown), kills it if needed, removes its temp dir."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(STOP_TIMEOUT)
        if getattr(self, "log", None):
            self.log.close()
            self.log = None
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None


class Nginx(_Peer):
    """nginx with its defaults for a reverse proxy, plus HTTP/1.1 and keep-alive upstream."""

    name = "nginx"

    def command(self):
        return [require(NGINX), "-p", self.dir + "/", "-c", os.path.join(self.dir, "peer.conf"),
                "-e", os.path.join(self.dir, "error.log")]

    def config(self):
        return """\
daemon off;
master_process off;
worker_processes 1;
user root;
pid %(dir)s/nginx.pid;
error_log %(dir)s/error.log warn;
events { worker_connections 512; }
http {
    access_log off;
    client_body_temp_path %(dir)s/body;
    proxy_temp_path %(dir)s/proxy;
    fastcgi_temp_path %(dir)s/fastcgi;
    uwsgi_temp_path %(dir)s/uwsgi;
    scgi_temp_path %(dir)s/scgi;
    client_header_timeout 5s;
    client_body_timeout 5s;
    upstream origin {
        server 127.0.0.1:%(origin)d;
        keepalive 8;
    }
    server {
        listen 127.0.0.1:%(port)d;
        location / {
            proxy_pass http://origin;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_read_timeout 5s;
        }
    }
}
""" % {"dir": self.dir, "origin": self.origin_port, "port": self.port}


class HAProxy(_Peer):
    """HAProxy 2.6 in HTTP mode with its defaults (keep-alive both sides)."""

    name = "haproxy"

    def command(self):
        return [require(HAPROXY), "-db", "-f", os.path.join(self.dir, "peer.conf")]

    def config(self):
        return """\
global
    maxconn 512
defaults
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s
    timeout http-request 5s
frontend fe
    bind 127.0.0.1:%(port)d
    default_backend be
backend be
    server origin 127.0.0.1:%(origin)d
""" % {"origin": self.origin_port, "port": self.port}
