"""End-to-end harness: real redis-server and real peermatchd processes.

    with RedisServer() as redis, Peermatchd(redis.url) as server:
        members = server.stub(member_service_pb2_grpc.MemberServiceStub)
        members.UpsertMember(...)

Every process gets a free loopback port and its own temporary directory, and
is killed when the test ends. A missing binary is a test failure, never a
skip (R-TEST). Binaries come from the environment the CTest entry sets:
PEERMATCHD, REDIS_SERVER (and PEERMATCH_CLI when the CLI is built).
"""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import grpc

import health_pb2
import health_pb2_grpc
from peermatch.v1 import google_rpc_pb2


def free_port(below=65536):
    """A free loopback port under `below` (cluster nodes also need port +
    10000 for their bus, so they ask for one under 55536)."""
    for _ in range(1000):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port < below:
            return port
    for port in range(20000, below):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    raise AssertionError("no free port")


def wait_until(predicate, timeout, interval=0.05, what="condition"):
    """Polls `predicate` until it is truthy; fails after `timeout` seconds."""
    end = time.monotonic() + timeout
    last = None
    while time.monotonic() < end:
        try:
            last = predicate()
            if last:
                return last
        except Exception as e:  # noqa: BLE001 - reported below
            last = e
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}: {last!r}")


def binary(env_name, fallback=None):
    path = os.environ.get(env_name) or fallback
    if not path or not os.path.exists(path):
        raise AssertionError(f"{env_name} is not set to an existing binary: {path!r}")
    return path


class RedisServer:
    """A redis-server on a free loopback port with its own data directory."""

    def __init__(self, password=None, extra_args=(), port=None):
        self.port = port or free_port()
        self.password = password
        self.extra_args = list(extra_args)
        self.dir = tempfile.mkdtemp(prefix="pm-redis-")
        self.proc = None

    @property
    def url(self):
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}127.0.0.1:{self.port}"

    def start(self):
        args = [binary("REDIS_SERVER", shutil.which("redis-server")),
                "--port", str(self.port), "--bind", "127.0.0.1",
                "--dir", self.dir, "--save", "", "--appendonly", "no",
                "--enable-debug-command", "local",
                "--logfile", os.path.join(self.dir, "redis.log")]
        if self.password:
            args += ["--requirepass", self.password]
        self.proc = subprocess.Popen(args + self.extra_args,
                                     stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        wait_until(self.ping, 10, what="redis-server to answer PING")
        return self

    def command(self, *args):
        """Sends one command over a raw socket; returns the raw reply bytes."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as s:
            payload = b""
            if self.password:
                payload += self._encode("AUTH", self.password)
            payload += self._encode(*args)
            s.sendall(payload)
            time.sleep(0.05)
            s.settimeout(5)
            return s.recv(1 << 20)

    @staticmethod
    def _encode(*args):
        out = f"*{len(args)}\r\n".encode()
        for a in args:
            b = a if isinstance(a, bytes) else str(a).encode()
            out += f"${len(b)}\r\n".encode() + b + b"\r\n"
        return out

    def ping(self):
        try:
            return b"PONG" in self.command("PING")
        except OSError:
            return False

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        self.proc = None

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self.proc = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


class RedisCluster:
    """Three redis-server masters joined into a Redis Cluster (R-TEST)."""

    def __init__(self, masters=3):
        self.nodes = [RedisServer(extra_args=["--cluster-enabled", "yes",
                                              "--cluster-config-file", "nodes.conf",
                                              "--cluster-node-timeout", "2000"],
                                  port=free_port(below=55536))
                      for _ in range(masters)]

    @property
    def url(self):
        return ",".join(f"redis://127.0.0.1:{n.port}" for n in self.nodes)

    def start(self):
        for n in self.nodes:
            n.start()
        cli = shutil.which("redis-cli") or "/usr/bin/redis-cli"
        subprocess.run([cli, "--cluster", "create"]
                       + [f"127.0.0.1:{n.port}" for n in self.nodes]
                       + ["--cluster-replicas", "0", "--cluster-yes"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=60)
        wait_until(lambda: all(b"cluster_state:ok" in n.command("CLUSTER", "INFO")
                               for n in self.nodes), 30, what="cluster_state:ok")
        return self

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        for n in self.nodes:
            n.__exit__(*exc)


class Peermatchd:
    """The real peermatchd binary, listening on a free loopback port."""

    def __init__(self, redis_url, extra_args=(), health_interval_ms=200):
        self.port = free_port()
        self.metrics_port = free_port()
        self.redis_url = redis_url
        self.extra_args = list(extra_args)
        self.health_interval_ms = health_interval_ms
        self.dir = tempfile.mkdtemp(prefix="pm-server-")
        self.log_path = os.path.join(self.dir, "peermatchd.log")
        self.proc = None
        self.channel = None

    @property
    def target(self):
        return f"127.0.0.1:{self.port}"

    def start(self, wait_serving=True):
        args = [binary("PEERMATCHD"),
                "--listen", self.target,
                "--redis", self.redis_url,
                "--metrics-listen", f"127.0.0.1:{self.metrics_port}",
                "--health-interval-ms", str(self.health_interval_ms),
                "--redis-connect-timeout-ms", "200",
                "--redis-command-timeout-ms", "1000",
                "--grace-period-ms", "5000",
                "--log-level", "debug"] + self.extra_args
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(args, stdout=self._log, stderr=self._log)
        self.channel = grpc.insecure_channel(self.target)
        if wait_serving:
            wait_until(lambda: self.health() == "SERVING", 20,
                       what="peermatchd to report SERVING")
        return self

    def stub(self, stub_class):
        return stub_class(self.channel)

    def health(self, service=""):
        stub = health_pb2_grpc.HealthStub(self.channel)
        try:
            resp = stub.Check(health_pb2.HealthCheckRequest(service=service),
                              timeout=2)
        except grpc.RpcError as e:
            return e.code().name
        return health_pb2.HealthCheckResponse.ServingStatus.Name(resp.status)

    def log_text(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def terminate(self, timeout=30):
        """Sends SIGTERM and returns the exit status."""
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout)

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        if self.channel:
            self.channel.close()
        self.kill()
        if self._log:
            self._log.close()
        if exc[0] is not None:
            # Make failures debuggable from the CTest output.
            print("---- peermatchd log ----\n" + self.log_text()[-20000:])
        shutil.rmtree(self.dir, ignore_errors=True)


def bad_request_fields(rpc_error):
    """The field paths of the google.rpc.BadRequest details of an error."""
    for key, value in rpc_error.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            status = google_rpc_pb2.Status.FromString(value)
            fields = []
            for any_msg in status.details:
                if any_msg.type_url.endswith("google.rpc.BadRequest"):
                    bad = google_rpc_pb2.BadRequest.FromString(any_msg.value)
                    fields += [v.field for v in bad.field_violations]
            return fields
    return []
