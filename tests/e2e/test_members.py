"""End-to-end: member sync through the real peermatchd and redis-server.

R-MEMBER, R-STORE, R-API, R-OPS: CRUD, validation with field paths and
google.rpc.BadRequest details, health, Redis outage and recovery, graceful
SIGTERM, and no profile content in logs (R-SEC).
"""

import json
import os
import subprocess
import threading
import time
import unittest

import grpc

from harness import Peermatchd, RedisServer, bad_request_fields, binary, wait_until
import reflection_pb2
import reflection_pb2_grpc
from peermatch.v1 import member_pb2
from peermatch.v1 import member_service_pb2 as ms
from peermatch.v1 import member_service_pb2_grpc as ms_grpc

POOL = "e2e-pool"
SECRET_TAG = "xyzzy-private-trigger"


def member(i, **overrides):
    m = member_pb2.Member(
        id=f"m-{i:04d}",
        roles=[member_pb2.ROLE_MENTEE],
        triggers=[SECRET_TAG, "phone-calls"],
        interests=["hiking"],
        recovery_stage=2,
        availability=[member_pb2.AvailabilityWindow(
            day=member_pb2.MONDAY, start_minute=18 * 60, end_minute=21 * 60)],
        time_zone="Europe/Berlin",
        languages=["en-GB"],
        modalities=[member_pb2.MODALITY_VIDEO],
    )
    for k, v in overrides.items():
        if isinstance(v, list):
            del getattr(m, k)[:]
            getattr(m, k).extend(v)
        else:
            setattr(m, k, v)
    return m


class MemberCrudTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.redis = RedisServer().start()
        cls.server = Peermatchd(cls.redis.url).start()
        cls.members = cls.server.stub(ms_grpc.MemberServiceStub)

    @classmethod
    def tearDownClass(cls):
        cls.server.__exit__(None, None, None)
        cls.redis.__exit__(None, None, None)

    def test_upsert_get_list_delete(self):
        pool = "crud"
        r = self.members.UpsertMember(
            ms.UpsertMemberRequest(pool=pool, member=member(1, triggers=["  Phone-Calls "])),
            timeout=5)
        self.assertTrue(r.created)
        self.assertEqual(r.member.version, 1)
        self.assertEqual(list(r.member.triggers), ["phone-calls"])

        got = self.members.GetMember(ms.GetMemberRequest(pool=pool, id="m-0001"), timeout=5)
        self.assertEqual(got.member.id, "m-0001")
        self.assertEqual(got.member.time_zone, "Europe/Berlin")
        self.assertEqual(got.member.version, 1)
        self.assertEqual(list(got.member.triggers), ["phone-calls"])

        r2 = self.members.UpsertMember(
            ms.UpsertMemberRequest(pool=pool, member=member(1, recovery_stage=3)), timeout=5)
        self.assertFalse(r2.created)
        self.assertEqual(r2.member.version, 2)

        for i in range(2, 8):
            self.members.UpsertMember(ms.UpsertMemberRequest(pool=pool, member=member(i)), timeout=5)
        seen, token = [], ""
        while True:
            page = self.members.ListMembers(
                ms.ListMembersRequest(pool=pool, page_size=3, page_token=token), timeout=5)
            self.assertLessEqual(len(page.members), 3)
            self.assertEqual(page.total_size, 7)
            seen += [m.id for m in page.members]
            token = page.next_page_token
            if not token:
                break
        self.assertEqual(seen, [f"m-{i:04d}" for i in range(1, 8)])

        self.members.DeleteMember(ms.DeleteMemberRequest(pool=pool, id="m-0003"), timeout=5)
        with self.assertRaises(grpc.RpcError) as e:
            self.members.GetMember(ms.GetMemberRequest(pool=pool, id="m-0003"), timeout=5)
        self.assertEqual(e.exception.code(), grpc.StatusCode.NOT_FOUND)
        with self.assertRaises(grpc.RpcError) as e:
            self.members.DeleteMember(ms.DeleteMemberRequest(pool=pool, id="m-0003"), timeout=5)
        self.assertEqual(e.exception.code(), grpc.StatusCode.NOT_FOUND)

    def test_expected_version_mismatch_is_aborted_and_writes_nothing(self):
        pool = "versions"
        self.members.UpsertMember(ms.UpsertMemberRequest(pool=pool, member=member(1)), timeout=5)
        with self.assertRaises(grpc.RpcError) as e:
            self.members.UpsertMember(
                ms.UpsertMemberRequest(pool=pool, member=member(1, recovery_stage=5),
                                       expected_version=7), timeout=5)
        self.assertEqual(e.exception.code(), grpc.StatusCode.ABORTED)
        got = self.members.GetMember(ms.GetMemberRequest(pool=pool, id="m-0001"), timeout=5)
        self.assertEqual(got.member.recovery_stage, 2)
        self.assertEqual(got.member.version, 1)
        ok = self.members.UpsertMember(
            ms.UpsertMemberRequest(pool=pool, member=member(1, recovery_stage=5),
                                   expected_version=1), timeout=5)
        self.assertEqual(ok.member.version, 2)
        with self.assertRaises(grpc.RpcError) as e:
            self.members.UpsertMember(
                ms.UpsertMemberRequest(pool=pool, member=member(2), expected_version=1), timeout=5)
        self.assertEqual(e.exception.code(), grpc.StatusCode.ABORTED)
        with self.assertRaises(grpc.RpcError) as e:
            self.members.GetMember(ms.GetMemberRequest(pool=pool, id="m-0002"), timeout=5)
        self.assertEqual(e.exception.code(), grpc.StatusCode.NOT_FOUND)

    def test_bad_inputs_name_the_field(self):
        cases = [
            (ms.UpsertMemberRequest(pool="Bad_Pool", member=member(1)), "pool"),
            (ms.UpsertMemberRequest(pool=POOL, member=member(1, id="has space")), "member.id"),
            (ms.UpsertMemberRequest(pool=POOL, member=member(1, recovery_stage=6)),
             "member.recovery_stage"),
            (ms.UpsertMemberRequest(pool=POOL, member=member(1, time_zone="Mars/Base")),
             "member.time_zone"),
            (ms.UpsertMemberRequest(pool=POOL, member=member(1, triggers=["x" * 49])),
             "member.triggers[0]"),
            (ms.UpsertMemberRequest(pool=POOL, member=member(1, mentor_capacity=21)),
             "member.mentor_capacity"),
            (ms.UpsertMemberRequest(pool=POOL, member=member(
                1, modalities=[member_pb2.MODALITY_IN_PERSON])), "member.region"),
        ]
        for req, field in cases:
            with self.subTest(field=field):
                with self.assertRaises(grpc.RpcError) as e:
                    self.members.UpsertMember(req, timeout=5)
                self.assertEqual(e.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
                self.assertIn(field, e.exception.details())
                self.assertIn(field, bad_request_fields(e.exception))
        with self.assertRaises(grpc.RpcError) as e:
            self.members.ListMembers(ms.ListMembersRequest(pool=POOL, page_size=1001), timeout=5)
        self.assertEqual(e.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("page_size", e.exception.details())
        with self.assertRaises(grpc.RpcError) as e:
            self.members.ListMembers(ms.ListMembersRequest(pool=POOL, page_token="garbage!"),
                                     timeout=5)
        self.assertEqual(e.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("page_token", e.exception.details())
        with self.assertRaises(grpc.RpcError) as e:
            self.members.GetMember(ms.GetMemberRequest(pool=POOL, id=""), timeout=5)
        self.assertEqual(e.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)

    def test_batch_stores_valid_members_and_reports_the_rest(self):
        pool = "batch"
        reqs = [ms.UpsertMemberRequest(member=member(i)) for i in range(10)]
        reqs[3].member.recovery_stage = 0
        reqs[7].member.time_zone = "Nowhere/Atlantis"
        r = self.members.BatchUpsertMembers(
            ms.BatchUpsertMembersRequest(pool=pool, requests=reqs), timeout=10)
        self.assertEqual(len(r.results), 10)
        self.assertEqual(r.succeeded, 8)
        self.assertEqual(r.failed, 2)
        for i, res in enumerate(r.results):
            self.assertEqual(res.id, f"m-{i:04d}")
            if i in (3, 7):
                self.assertEqual(res.code, grpc.StatusCode.INVALID_ARGUMENT.value[0])
                self.assertIn(f"requests[{i}].member.", res.message)
            else:
                self.assertEqual(res.code, 0, res.message)
                self.assertEqual(res.version, 1)
        page = self.members.ListMembers(ms.ListMembersRequest(pool=pool, page_size=100), timeout=5)
        self.assertEqual([m.id for m in page.members],
                         [f"m-{i:04d}" for i in range(10) if i not in (3, 7)])
        with self.assertRaises(grpc.RpcError) as e:
            self.members.BatchUpsertMembers(ms.BatchUpsertMembersRequest(
                pool=pool, requests=[ms.UpsertMemberRequest(member=member(i)) for i in range(1001)]),
                timeout=10)
        self.assertEqual(e.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("requests", e.exception.details())

    def test_health_and_reflection(self):
        self.assertEqual(self.server.health(), "SERVING")
        self.assertEqual(self.server.health("peermatch.liveness"), "SERVING")
        self.assertEqual(self.server.health("peermatch.v1.MemberService"), "SERVING")
        refl = self.server.stub(reflection_pb2_grpc.ServerReflectionStub)
        responses = refl.ServerReflectionInfo(
            iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=5)
        names = [s.name for r in responses for s in r.list_services_response.service]
        for svc in ("peermatch.v1.MemberService", "peermatch.v1.MatchingService",
                    "peermatch.v1.GroupService", "peermatch.v1.CoordinationService",
                    "peermatch.v1.PoolService", "grpc.health.v1.Health"):
            self.assertIn(svc, names)

    def test_logs_never_contain_profile_content(self):
        self.members.UpsertMember(ms.UpsertMemberRequest(pool="privacy", member=member(1)),
                                  timeout=5)
        with self.assertRaises(grpc.RpcError):
            self.members.UpsertMember(ms.UpsertMemberRequest(
                pool="privacy", member=member(2, triggers=[SECRET_TAG + "_"])), timeout=5)
        log = self.server.log_text()
        self.assertIn('"level"', log)  # it does log, as JSON lines
        self.assertNotIn(SECRET_TAG, log)
        self.assertNotIn("hiking", log)
        self.assertNotIn("Europe/Berlin", log)

    def test_every_log_line_is_json_even_grpc_own(self):
        # A listen address gRPC cannot resolve makes gRPC itself log an error
        # before peermatchd gives up (SPEC §10: one JSON object per line).
        bad = Peermatchd(self.redis.url)
        bad.extra_args = ["--listen", "999.1.1.1:50051"]
        bad.start(wait_serving=False)
        self.assertNotEqual(bad.proc.wait(timeout=30), 0)
        lines = bad.log_text().strip().splitlines()
        parsed = [json.loads(line) for line in lines]
        self.assertTrue(any(p.get("msg") == "grpc" and p["level"] == "error"
                            for p in parsed), lines)
        self.assertEqual(len(parsed), len(lines))


    def test_bad_configuration_exits_with_the_flag_named(self):
        # Flags and their PEERMATCH_* variables are range-checked at start
        # (SPEC §10); the environment form is read too.
        env = dict(os.environ, PEERMATCH_SNAPSHOT_POLL_MS="5")
        proc = subprocess.run([binary("PEERMATCHD"), "--redis", self.redis.url],
                              env=env, capture_output=True, text=True, timeout=30)
        self.assertNotEqual(proc.returncode, 0)
        line = json.loads(proc.stderr.strip().splitlines()[-1])
        self.assertEqual(line["msg"], "bad configuration")
        self.assertIn("--snapshot-poll-ms", line["error"])


class RedisOutageTest(unittest.TestCase):
    def test_unavailable_while_redis_is_down_and_recovers_without_restart(self):
        # AOF so the member written before the outage survives the restart.
        with RedisServer(extra_args=["--appendonly", "yes", "--appendfsync", "always"]) as redis, \
                Peermatchd(redis.url) as server:
            members = server.stub(ms_grpc.MemberServiceStub)
            members.UpsertMember(ms.UpsertMemberRequest(pool=POOL, member=member(1)), timeout=5)
            redis.stop()
            start = time.monotonic()
            with self.assertRaises(grpc.RpcError) as e:
                members.GetMember(ms.GetMemberRequest(pool=POOL, id="m-0001"), timeout=3)
            self.assertEqual(e.exception.code(), grpc.StatusCode.UNAVAILABLE)
            self.assertLess(time.monotonic() - start, 3)
            wait_until(lambda: server.health() == "NOT_SERVING", 5,
                       what="NOT_SERVING while redis is down")
            self.assertEqual(server.health("peermatch.v1.MemberService"), "NOT_SERVING")
            # The liveness name stays SERVING: the process is fine, only
            # readiness should take it out of rotation.
            self.assertEqual(server.health("peermatch.liveness"), "SERVING")
            redis.start()
            wait_until(lambda: server.health() == "SERVING", 10,
                       what="SERVING after redis is back")
            got = wait_until(lambda: members.GetMember(
                ms.GetMemberRequest(pool=POOL, id="m-0001"), timeout=3), 10,
                what="GetMember after redis is back")
            self.assertEqual(got.member.id, "m-0001")
            self.assertEqual(server.proc.poll(), None)  # never restarted


class ShutdownTest(unittest.TestCase):
    def test_sigterm_completes_in_flight_call_and_exits_zero(self):
        with RedisServer() as redis, Peermatchd(redis.url) as server:
            members = server.stub(ms_grpc.MemberServiceStub)
            members.UpsertMember(ms.UpsertMemberRequest(pool=POOL, member=member(1)), timeout=5)
            # Make Redis stall for 0.8 s (below the 1 s command timeout) so the next call is in flight when
            # SIGTERM arrives.
            threading.Thread(target=redis.command, args=("DEBUG", "SLEEP", "0.8")).start()
            time.sleep(0.2)
            result = {}

            def call():
                try:
                    result["resp"] = members.GetMember(
                        ms.GetMemberRequest(pool=POOL, id="m-0001"), timeout=10)
                except grpc.RpcError as e:
                    result["error"] = e

            t = threading.Thread(target=call)
            t.start()
            time.sleep(0.3)
            rc = server.terminate()
            t.join(10)
            self.assertEqual(rc, 0)
            self.assertNotIn("error", result, result.get("error"))
            self.assertEqual(result["resp"].member.id, "m-0001")
            self.assertIn("shutdown complete", server.log_text())


if __name__ == "__main__":
    unittest.main()
