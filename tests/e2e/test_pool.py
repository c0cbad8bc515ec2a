"""End-to-end: pool settings and statistics (R-POOL, R-API)."""

import collections
import unittest

import grpc

from cohort import cohort
from harness import Peermatchd, RedisServer, bad_request_fields, wait_until
from peermatch.v1 import member_pb2
from peermatch.v1 import member_service_pb2 as ms
from peermatch.v1 import member_service_pb2_grpc as ms_grpc
from peermatch.v1 import matching_service_pb2 as mt
from peermatch.v1 import matching_service_pb2_grpc as mt_grpc
from peermatch.v1 import pool_service_pb2 as ps
from peermatch.v1 import pool_service_pb2_grpc as ps_grpc
from peermatch.v1 import settings_pb2

POOL = "settings-pool"


class PoolServiceTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.redis = RedisServer().start()
        cls.a = Peermatchd(cls.redis.url).start()
        cls.b = Peermatchd(cls.redis.url).start()
        cls.cohort = cohort(seed=5, mentees=60, mentors=40)
        members = cls.a.stub(ms_grpc.MemberServiceStub)
        r = members.BatchUpsertMembers(ms.BatchUpsertMembersRequest(
            pool=POOL, requests=[ms.UpsertMemberRequest(member=m) for m in cls.cohort]),
            timeout=30)
        assert r.failed == 0

    @classmethod
    def tearDownClass(cls):
        for s in (cls.a, cls.b):
            s.__exit__(None, None, None)
        cls.redis.__exit__(None, None, None)

    def test_defaults_then_versioned_updates(self):
        pools = self.a.stub(ps_grpc.PoolServiceStub)
        got = pools.GetPoolSettings(ps.GetPoolSettingsRequest(pool=POOL), timeout=5).settings
        self.assertEqual(got.version, 0)
        self.assertAlmostEqual(got.mentee_weights.triggers, 0.35)
        self.assertEqual(got.mentor_weights.modality, 0)
        self.assertEqual(got.mentor_min_stage, 4)
        self.assertEqual(got.session_minutes, 90)
        self.assertEqual(got.proposal_ttl_seconds, 7 * 24 * 3600)

        up = pools.UpdatePoolSettings(ps.UpdatePoolSettingsRequest(
            pool=POOL, settings=settings_pb2.PoolSettings(min_size=3, target_size=5),
            expected_version=0), timeout=5).settings
        self.assertEqual(up.version, 1)
        self.assertEqual(up.min_size, 3)
        self.assertEqual(up.max_size, 8)  # untouched fields keep their value
        with self.assertRaises(grpc.RpcError) as e:
            pools.UpdatePoolSettings(ps.UpdatePoolSettingsRequest(
                pool=POOL, settings=settings_pb2.PoolSettings(min_size=4),
                expected_version=0), timeout=5)
        self.assertEqual(e.exception.code(), grpc.StatusCode.ABORTED)
        again = pools.GetPoolSettings(ps.GetPoolSettingsRequest(pool=POOL), timeout=5).settings
        self.assertEqual((again.version, again.min_size, again.target_size), (1, 3, 5))

    def test_invalid_settings_name_the_field_and_write_nothing(self):
        pools = self.a.stub(ps_grpc.PoolServiceStub)
        before = pools.GetPoolSettings(ps.GetPoolSettingsRequest(pool=POOL), timeout=5).settings
        cases = [
            (settings_pb2.PoolSettings(mentee_weights=settings_pb2.Weights(triggers=-0.1)),
             "settings.mentee_weights.triggers"),
            (settings_pb2.PoolSettings(mentee_weights=settings_pb2.Weights(
                triggers=0, interests=0, stage=0, availability=0, modality=0, language=0)),
             "settings.mentee_weights"),
            (settings_pb2.PoolSettings(mentor_weights=settings_pb2.Weights(
                stage=float("inf"))), "settings.mentor_weights.stage"),
            (settings_pb2.PoolSettings(session_minutes=100), "settings.session_minutes"),
            (settings_pb2.PoolSettings(min_score=1.5), "settings.min_score"),
            (settings_pb2.PoolSettings(min_size=9), "settings.max_size"),
            (settings_pb2.PoolSettings(mentor_min_stage=0), "settings.mentor_min_stage"),
            (settings_pb2.PoolSettings(proposal_ttl_seconds=0), "settings.proposal_ttl_seconds"),
        ]
        for patch, field in cases:
            with self.subTest(field=field):
                with self.assertRaises(grpc.RpcError) as e:
                    pools.UpdatePoolSettings(ps.UpdatePoolSettingsRequest(
                        pool=POOL, settings=patch), timeout=5)
                self.assertEqual(e.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
                self.assertIn(field, bad_request_fields(e.exception))
        after = pools.GetPoolSettings(ps.GetPoolSettingsRequest(pool=POOL), timeout=5).settings
        self.assertEqual(before, after)

    def test_unknown_pool_is_not_found(self):
        pools = self.a.stub(ps_grpc.PoolServiceStub)
        for call, req in ((pools.GetPoolSettings, ps.GetPoolSettingsRequest(pool="no-such-pool")),
                          (pools.GetPoolStats, ps.GetPoolStatsRequest(pool="no-such-pool"))):
            with self.assertRaises(grpc.RpcError) as e:
                call(req, timeout=5)
            self.assertEqual(e.exception.code(), grpc.StatusCode.NOT_FOUND)

    def test_settings_change_reaches_the_other_replica(self):
        pools = self.a.stub(ps_grpc.PoolServiceStub)
        match_b = self.b.stub(mt_grpc.MatchingServiceStub)
        mentee = next(m.id for m in self.cohort if m.id.startswith("e-")
                      and len(match_b.RecommendMentors(mt.RecommendMentorsRequest(
                          pool=POOL, mentee_id=m.id, k=5), timeout=5).recommendations) >= 2)
        recs = match_b.RecommendMentors(mt.RecommendMentorsRequest(
            pool=POOL, mentee_id=mentee, k=5), timeout=5).recommendations
        # Raise min_score just above the best mentee-view score: nothing left.
        best = max(r.explanation.mentee_view.score_micros for r in recs) / 1e6
        current = pools.GetPoolSettings(ps.GetPoolSettingsRequest(pool=POOL), timeout=5).settings
        pools.UpdatePoolSettings(ps.UpdatePoolSettingsRequest(
            pool=POOL, settings=settings_pb2.PoolSettings(min_score=min(1.0, best + 1e-6)),
            expected_version=current.version), timeout=5)
        wait_until(lambda: len(match_b.RecommendMentors(mt.RecommendMentorsRequest(
            pool=POOL, mentee_id=mentee, k=5), timeout=5).recommendations) == 0, 1.0,
            interval=0.02, what="replica B to apply the new min_score within 1 s")
        pools.UpdatePoolSettings(ps.UpdatePoolSettingsRequest(
            pool=POOL, settings=settings_pb2.PoolSettings(min_score=0)), timeout=5)

    def test_stats_count_the_pool(self):
        st = self.a.stub(ps_grpc.PoolServiceStub).GetPoolStats(
            ps.GetPoolStatsRequest(pool=POOL), timeout=5).stats
        self.assertEqual(st.members, len(self.cohort))
        roles = collections.Counter(member_pb2.Role.Name(r) for m in self.cohort for r in m.roles)
        self.assertEqual({kv.key: kv.count for kv in st.by_role}, dict(roles))
        stages = collections.Counter(str(m.recovery_stage) for m in self.cohort)
        self.assertEqual({kv.key: kv.count for kv in st.by_stage if kv.count},
                         dict(stages))
        self.assertEqual(st.safety_hold, sum(m.safety_hold for m in self.cohort))
        eligible = [m for m in self.cohort if member_pb2.ROLE_MENTEE in m.roles
                    and not m.safety_hold]
        self.assertEqual(st.mentees_eligible, len(eligible))
        cap = sum(m.mentor_capacity for m in self.cohort
                  if member_pb2.ROLE_MENTOR in m.roles and not m.safety_hold)
        self.assertEqual(st.mentor_capacity, cap)


if __name__ == "__main__":
    unittest.main()
