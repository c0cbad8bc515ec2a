"""End-to-end: real-time matching from the replicas' pool snapshots.

R-RECOMMEND, R-SCORE, R-STORE (snapshot freshness across replicas).
"""

import unittest

import grpc

from cohort import cohort, make_member
from harness import Peermatchd, RedisServer, wait_until
from peermatch.v1 import member_service_pb2 as ms
from peermatch.v1 import member_service_pb2_grpc as ms_grpc
from peermatch.v1 import matching_service_pb2 as mt
from peermatch.v1 import matching_service_pb2_grpc as mt_grpc
from peermatch.v1 import match_pb2

POOL = "rec"


def upsert_all(stub, pool, members):
    reqs = [ms.UpsertMemberRequest(member=m) for m in members]
    for i in range(0, len(reqs), 500):
        r = stub.BatchUpsertMembers(
            ms.BatchUpsertMembersRequest(pool=pool, requests=reqs[i:i + 500]), timeout=30)
        assert r.failed == 0, [x.message for x in r.results if x.code]


class RecommendationTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.redis = RedisServer().start()
        cls.server = Peermatchd(cls.redis.url).start()
        cls.members = cls.server.stub(ms_grpc.MemberServiceStub)
        cls.matching = cls.server.stub(mt_grpc.MatchingServiceStub)
        cls.cohort = cohort(seed=11, mentees=120, mentors=180)
        upsert_all(cls.members, POOL, cls.cohort)

    @classmethod
    def tearDownClass(cls):
        cls.server.__exit__(None, None, None)
        cls.redis.__exit__(None, None, None)

    def brute_force(self, mentee_id, k):
        """Top-k by ExplainPair over every mentor: acceptable, capacity > 0,
        both views >= min_score (0 by default); mentee score desc, id asc."""
        ranked = []
        for m in self.cohort:
            if not m.id.startswith("m-"):
                continue
            ex = self.matching.ExplainPair(mt.ExplainPairRequest(
                pool=POOL, mentee_id=mentee_id, mentor_id=m.id), timeout=5).explanation
            if ex.acceptable and m.mentor_capacity > 0:
                ranked.append((-ex.mentee_view.score_micros, m.id))
        ranked.sort()
        return [(mid, -s) for s, mid in ranked[:k]]

    def test_recommendations_equal_brute_force_over_pair_scores(self):
        checked_nonempty = 0
        for e in [m for m in self.cohort if m.id.startswith("e-")][:40]:
            got = self.matching.RecommendMentors(
                mt.RecommendMentorsRequest(pool=POOL, mentee_id=e.id, k=10), timeout=5)
            got_list = [(r.mentor_id, r.explanation.mentee_view.score_micros)
                        for r in got.recommendations]
            self.assertEqual(got_list, self.brute_force(e.id, 10), e.id)
            for r in got.recommendations:
                self.assertTrue(r.explanation.acceptable)
                self.assertAlmostEqual(r.score, r.explanation.mentee_view.score_micros / 1e6)
                self.assertGreater(r.free_capacity, 0)
            checked_nonempty += bool(got_list)
        self.assertGreater(checked_nonempty, 10)  # the data is not degenerate

    def test_exclusions_and_k(self):
        e = next(m for m in self.cohort if m.id.startswith("e-")
                 and len(self.brute_force(m.id, 5)) == 5)
        full = [m for m, _ in self.brute_force(e.id, 5)]
        got = self.matching.RecommendMentors(mt.RecommendMentorsRequest(
            pool=POOL, mentee_id=e.id, k=3, exclude_ids=[full[0]]), timeout=5)
        self.assertEqual([r.mentor_id for r in got.recommendations], full[1:4])

    def test_explanation_of_unacceptable_pair_names_constraints(self):
        ex = self.matching.ExplainPair(mt.ExplainPairRequest(
            pool=POOL, mentee_id="e-0001", mentor_id="e-0002"), timeout=5).explanation
        self.assertFalse(ex.acceptable)
        self.assertIn(match_pb2.CONSTRAINT_NOT_MENTOR, ex.failed_constraints)
        self.assertEqual(len(ex.mentee_view.components), 6)

    def test_bad_input(self):
        cases = [
            (mt.RecommendMentorsRequest(pool=POOL, mentee_id="e-0001", k=51), "k",
             grpc.StatusCode.INVALID_ARGUMENT),
            (mt.RecommendMentorsRequest(pool="NOPE", mentee_id="e-0001"), "pool",
             grpc.StatusCode.INVALID_ARGUMENT),
            (mt.RecommendMentorsRequest(pool="unknown-pool", mentee_id="e-0001"), "",
             grpc.StatusCode.NOT_FOUND),
            (mt.RecommendMentorsRequest(pool=POOL, mentee_id="nobody"), "",
             grpc.StatusCode.NOT_FOUND),
            (mt.RecommendMentorsRequest(pool=POOL, mentee_id="e-0001",
                                        mentee_weights={"triggers": -1}),
             "mentee_weights.triggers", grpc.StatusCode.INVALID_ARGUMENT),
        ]
        for req, field, code in cases:
            with self.subTest(field=field, code=code):
                with self.assertRaises(grpc.RpcError) as e:
                    self.matching.RecommendMentors(req, timeout=5)
                self.assertEqual(e.exception.code(), code)
                self.assertIn(field, e.exception.details())


class ReplicaFreshnessTest(unittest.TestCase):
    def test_write_through_a_is_visible_in_b_within_one_second(self):
        with RedisServer() as redis, Peermatchd(redis.url) as a, Peermatchd(redis.url) as b:
            members_a = a.stub(ms_grpc.MemberServiceStub)
            match_b = b.stub(mt_grpc.MatchingServiceStub)
            mentee = make_member(__import__("random").Random(1), 1, "mentee")
            mentee.safety_hold = False
            mentee.screened = True
            members_a.UpsertMember(ms.UpsertMemberRequest(pool="fresh", member=mentee), timeout=5)
            # B loads the pool (cold) and finds no mentor yet.
            first = match_b.RecommendMentors(mt.RecommendMentorsRequest(
                pool="fresh", mentee_id=mentee.id), timeout=5)
            self.assertEqual(len(first.recommendations), 0)
            mentor = mentee.__class__()
            mentor.CopyFrom(mentee)
            mentor.id = "m-9999"
            del mentor.roles[:]
            mentor.roles.append(2)  # ROLE_MENTOR
            mentor.recovery_stage = 5
            mentor.mentor_capacity = 2
            mentee.recovery_stage = 2
            members_a.UpsertMember(ms.UpsertMemberRequest(pool="fresh", member=mentee), timeout=5)
            members_a.UpsertMember(ms.UpsertMemberRequest(pool="fresh", member=mentor), timeout=5)
            wait_until(lambda: [r.mentor_id for r in match_b.RecommendMentors(
                mt.RecommendMentorsRequest(pool="fresh", mentee_id=mentee.id),
                timeout=5).recommendations] == ["m-9999"], 1.0, interval=0.02,
                what="B to recommend the mentor written through A within 1 s (R-STORE)")
            # Deleting through A removes it from B's recommendations.
            a.stub(ms_grpc.MemberServiceStub).DeleteMember(
                ms.DeleteMemberRequest(pool="fresh", id="m-9999"), timeout=5)
            wait_until(lambda: len(match_b.RecommendMentors(
                mt.RecommendMentorsRequest(pool="fresh", mentee_id=mentee.id),
                timeout=5).recommendations) == 0, 1.0, interval=0.02,
                what="B to drop the deleted mentor within 1 s (R-STORE)")


if __name__ == "__main__":
    unittest.main()
