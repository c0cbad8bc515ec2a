"""End-to-end: bearer-token authentication and per-pool authorization (R-SEC)."""

import hashlib
import os
import subprocess
import unittest

import grpc

from harness import Peermatchd, RedisServer
from peermatch.v1 import member_pb2
from peermatch.v1 import member_service_pb2 as ms
from peermatch.v1 import member_service_pb2_grpc as ms_grpc
from peermatch.v1 import pool_service_pb2 as ps
from peermatch.v1 import pool_service_pb2_grpc as ps_grpc

TOKENS = {"web": ("platform", "pool-a", "tok-platform-123"),
          "coord": ("coordinator", "pool-a,pool-b", "tok-coord-456"),
          "ops": ("admin", "*", "tok-admin-789")}


def member(i):
    return member_pb2.Member(
        id=f"m{i}", roles=[member_pb2.ROLE_MENTEE], recovery_stage=2,
        time_zone="UTC", languages=["en"], modalities=[member_pb2.MODALITY_TEXT])


class AuthTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.redis = RedisServer().start()
        cls.dir = cls.redis.dir
        cls.token_file = os.path.join(cls.dir, "tokens")
        with open(cls.token_file, "w") as f:
            f.write("# name hash role pools\n")
            for name, (role, pools, token) in TOKENS.items():
                f.write(f"{name} {hashlib.sha256(token.encode()).hexdigest()} {role} {pools}\n")
        cls.server = Peermatchd(cls.redis.url, ["--token-file", cls.token_file]).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.__exit__(None, None, None)
        cls.redis.__exit__(None, None, None)

    def call(self, stub_class, method, req, token=None):
        md = [("authorization", f"Bearer {token}")] if token else []
        return getattr(self.server.stub(stub_class), method)(req, timeout=5, metadata=md)

    def code(self, *args, **kwargs):
        try:
            self.call(*args, **kwargs)
            return grpc.StatusCode.OK
        except grpc.RpcError as e:
            return e.code()

    def test_tokens_roles_and_pools(self):
        up = ms.UpsertMemberRequest(pool="pool-a", member=member(1))
        self.assertEqual(self.code(ms_grpc.MemberServiceStub, "UpsertMember", up),
                         grpc.StatusCode.UNAUTHENTICATED)
        self.assertEqual(self.code(ms_grpc.MemberServiceStub, "UpsertMember", up,
                                   token="wrong"), grpc.StatusCode.UNAUTHENTICATED)
        self.assertEqual(self.code(ms_grpc.MemberServiceStub, "UpsertMember", up,
                                   token=TOKENS["web"][2]), grpc.StatusCode.OK)
        # Another pool's data is never visible through this pool's token.
        other = ms.GetMemberRequest(pool="pool-b", id="m1")
        self.assertEqual(self.code(ms_grpc.MemberServiceStub, "GetMember", other,
                                   token=TOKENS["web"][2]), grpc.StatusCode.PERMISSION_DENIED)
        # Platform tokens may not read or change pool settings.
        self.assertEqual(self.code(ps_grpc.PoolServiceStub, "GetPoolSettings",
                                   ps.GetPoolSettingsRequest(pool="pool-a"),
                                   token=TOKENS["web"][2]), grpc.StatusCode.PERMISSION_DENIED)
        self.assertEqual(self.code(ps_grpc.PoolServiceStub, "GetPoolSettings",
                                   ps.GetPoolSettingsRequest(pool="pool-a"),
                                   token=TOKENS["coord"][2]), grpc.StatusCode.OK)
        self.assertEqual(self.code(ms_grpc.MemberServiceStub, "GetMember",
                                   ms.GetMemberRequest(pool="pool-a", id="m1"),
                                   token=TOKENS["ops"][2]), grpc.StatusCode.OK)
        # Health needs no token (probes).
        self.assertEqual(self.server.health(), "SERVING")

    def test_audit_names_the_token_and_logs_never_hold_tokens(self):
        self.call(ms_grpc.MemberServiceStub, "UpsertMember",
                  ms.UpsertMemberRequest(pool="pool-b", member=member(2)), token=TOKENS["coord"][2])
        self.call(ms_grpc.MemberServiceStub, "DeleteMember",
                  ms.DeleteMemberRequest(pool="pool-b", id="m2"), token=TOKENS["coord"][2])
        audit = self.redis.command("XRANGE", "pm:{pool-b}:audit", "-", "+")
        self.assertIn(b"member.delete", audit)
        self.assertIn(b"coord", audit)
        log = self.server.log_text()
        for _, _, token in TOKENS.values():
            self.assertNotIn(token, log)
        self.assertIn("token authentication on", log)

    def test_cli_sends_the_token(self):
        cli = os.environ.get("PEERMATCH_CLI")
        self.assertTrue(cli and os.path.exists(cli), "PEERMATCH_CLI must point at the CLI")
        base = [cli, "--target", self.server.target]
        denied = subprocess.run(base + ["members", "list", "--pool", "pool-a"],
                                capture_output=True, text=True, timeout=30)
        self.assertEqual(denied.returncode, 1)
        self.assertIn("UNAUTHENTICATED", denied.stderr)
        ok = subprocess.run(base + ["--token", TOKENS["web"][2], "members", "list",
                                    "--pool", "pool-a"], capture_output=True, text=True,
                            timeout=30)
        self.assertEqual(ok.returncode, 0, ok.stderr)
        env = dict(os.environ, PEERMATCH_TOKEN=TOKENS["web"][2])
        ok_env = subprocess.run(base + ["members", "list", "--pool", "pool-a"],
                                capture_output=True, text=True, timeout=30, env=env)
        self.assertEqual(ok_env.returncode, 0, ok_env.stderr)


if __name__ == "__main__":
    unittest.main()
