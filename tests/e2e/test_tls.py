"""End-to-end: TLS and mutual TLS on the gRPC port (R-SEC), with the real
peermatchd and the real `peermatch` CLI. Certificates come from openssl, made
fresh for the test: a CA, a server certificate for 127.0.0.1, and a client
certificate from the same CA plus one from a CA the server does not trust."""

import os
import subprocess
import tempfile
import unittest

from harness import Peermatchd, RedisServer, wait_until


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True,
                   timeout=60)


def make_ca(d, name):
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
            f"{name}.key", "-out", f"{name}.crt", "-days", "2", "-subj",
            f"/CN={name}", cwd=d)


def make_cert(d, ca, name, ext):
    with open(os.path.join(d, f"{name}.ext"), "w") as f:
        f.write(ext + "\n")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key",
            "-out", f"{name}.csr", "-subj", f"/CN={name}", cwd=d)
    openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.crt", "-CAkey",
            f"{ca}.key", "-CAcreateserial", "-out", f"{name}.crt", "-days", "2",
            "-extfile", f"{name}.ext", cwd=d)


class TlsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cli = os.environ.get("PEERMATCH_CLI")
        assert cls.cli and os.path.exists(cls.cli), "PEERMATCH_CLI must be set"
        cls.dir = tempfile.mkdtemp(prefix="pm-tls-")
        make_ca(cls.dir, "ca")
        make_ca(cls.dir, "other-ca")
        make_cert(cls.dir, "ca", "server",
                  "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                  "extendedKeyUsage=serverAuth")
        make_cert(cls.dir, "ca", "client", "extendedKeyUsage=clientAuth")
        make_cert(cls.dir, "other-ca", "stranger", "extendedKeyUsage=clientAuth")
        cls.redis = RedisServer().start()

    @classmethod
    def tearDownClass(cls):
        cls.redis.__exit__(None, None, None)

    def path(self, name):
        return os.path.join(self.dir, name)

    def health(self, server, *tls_flags):
        return subprocess.run(
            [self.cli, "--target", server.target, "--deadline-ms", "3000",
             *tls_flags, "health"], capture_output=True, text=True, timeout=30)

    def start(self, *extra, client=()):
        server = Peermatchd(self.redis.url, extra_args=[
            "--tls-cert", self.path("server.crt"),
            "--tls-key", self.path("server.key"), *extra])
        server.start(wait_serving=False)
        self.addCleanup(server.__exit__, None, None, None)
        wait_until(lambda: self.health(server, "--tls-ca", self.path("ca.crt"),
                                       *client).returncode == 0
                   or server.proc.poll() is not None, 20,
                   what="peermatchd to serve over TLS")
        self.assertIsNone(server.proc.poll(), server.log_text())
        return server

    def test_tls_needs_the_ca_and_refuses_plaintext(self):
        server = self.start()
        ok = self.health(server, "--tls-ca", self.path("ca.crt"))
        self.assertEqual(ok.returncode, 0, ok.stderr)
        self.assertEqual(ok.stdout.strip(), "SERVING")
        plain = self.health(server)
        self.assertEqual(plain.returncode, 1)
        self.assertIn("UNAVAILABLE", plain.stderr)
        wrong = self.health(server, "--tls-ca", self.path("other-ca.crt"))
        self.assertEqual(wrong.returncode, 1)

    def test_mutual_tls_admits_only_clients_of_the_trusted_ca(self):
        client = ["--tls-cert", self.path("client.crt"),
                  "--tls-key", self.path("client.key")]
        server = self.start("--tls-client-ca", self.path("ca.crt"), client=client)
        ca = ["--tls-ca", self.path("ca.crt")]
        with_cert = self.health(server, *ca, *client)
        self.assertEqual(with_cert.returncode, 0, with_cert.stderr)
        self.assertEqual(with_cert.stdout.strip(), "SERVING")
        without = self.health(server, *ca)
        self.assertEqual(without.returncode, 1)
        stranger = self.health(server, *ca, "--tls-cert", self.path("stranger.crt"),
                               "--tls-key", self.path("stranger.key"))
        self.assertEqual(stranger.returncode, 1)

    def test_cli_tls_flags_are_checked(self):
        r = subprocess.run([self.cli, "--tls-cert", self.path("client.crt"),
                            "health"], capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 2)
        self.assertIn("--tls-key", r.stderr)
        r = subprocess.run([self.cli, "--tls-ca", self.path("missing.crt"),
                            "health"], capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 2)
        self.assertIn("cannot read", r.stderr)


if __name__ == "__main__":
    unittest.main()
