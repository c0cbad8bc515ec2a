"""End-to-end: batch stable matching through the API and the match
lifecycle (R-STABLE, R-LIFECYCLE, R-MATCHREC, R-STORE)."""

import threading
import unittest

import grpc

from cohort import cohort
from harness import Peermatchd, RedisServer, bad_request_fields, wait_until
from peermatch.v1 import coordination_service_pb2 as cs
from peermatch.v1 import coordination_service_pb2_grpc as cs_grpc
from peermatch.v1 import group_service_pb2 as gs
from peermatch.v1 import group_service_pb2_grpc as gs_grpc
from peermatch.v1 import match_pb2
from peermatch.v1 import member_pb2
from peermatch.v1 import member_service_pb2 as ms
from peermatch.v1 import member_service_pb2_grpc as ms_grpc
from peermatch.v1 import matching_service_pb2 as mt
from peermatch.v1 import matching_service_pb2_grpc as mt_grpc
from peermatch.v1 import pool_service_pb2 as ps
from peermatch.v1 import pool_service_pb2_grpc as ps_grpc
from peermatch.v1 import settings_pb2


def upsert_all(stub, pool, members):
    r = stub.BatchUpsertMembers(ms.BatchUpsertMembersRequest(
        pool=pool, requests=[ms.UpsertMemberRequest(member=m) for m in members]), timeout=30)
    assert r.failed == 0, [x.message for x in r.results if x.code]


def blocking_pairs(explain, mentees, mentors, matches):
    """Counts blocking pairs from the definition (SPEC §4), using only the
    pair-score RPC: (e, m) blocks when both find each other acceptable, e is
    unmatched or prefers m to its partner, and m has a free seat or prefers
    e to one of its mentees. Preferences: own view's score, ties to the
    lower id."""
    partner = {e: m for e, m in matches}
    assigned = {m.id: [] for m in mentors}
    for e, m in matches:
        assigned[m].append(e)
    cap = {m.id: m.mentor_capacity for m in mentors}
    scores = {}
    for e in mentees:
        for m in mentors:
            ex = explain(e.id, m.id)
            if ex.acceptable:
                scores[(e.id, m.id)] = (ex.mentee_view.score_micros,
                                        ex.mentor_view.score_micros)

    def e_prefers(e, a, b):  # mentee e prefers mentor a to b
        sa, sb = scores[(e, a)][0], scores[(e, b)][0]
        return sa > sb or (sa == sb and a < b)

    def m_prefers(m, a, b):  # mentor m prefers mentee a to b
        sa, sb = scores[(a, m)][1], scores[(b, m)][1]
        return sa > sb or (sa == sb and a < b)

    count = 0
    for (e, m) in scores:
        if partner.get(e) == m or cap[m] == 0:
            continue
        if e in partner and not e_prefers(e, m, partner[e]):
            continue
        if len(assigned[m]) < cap[m] or any(m_prefers(m, e, x) for x in assigned[m]):
            count += 1
    return count, scores


class LifecycleTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.redis = RedisServer().start()
        cls.server = Peermatchd(cls.redis.url, ["--expiry-interval-s", "1"]).start()
        cls.members = cls.server.stub(ms_grpc.MemberServiceStub)
        cls.matching = cls.server.stub(mt_grpc.MatchingServiceStub)
        cls.coord = cls.server.stub(cs_grpc.CoordinationServiceStub)
        cls.pools = cls.server.stub(ps_grpc.PoolServiceStub)

    @classmethod
    def tearDownClass(cls):
        cls.server.__exit__(None, None, None)
        cls.redis.__exit__(None, None, None)

    def explain(self, pool):
        return lambda e, m: self.matching.ExplainPair(mt.ExplainPairRequest(
            pool=pool, mentee_id=e, mentor_id=m), timeout=5).explanation

    def test_batch_run_is_stable_and_rerun_proposes_nothing_new(self):
        pool = "batch"
        members = cohort(seed=21, mentees=45, mentors=25)
        upsert_all(self.members, pool, members)
        r = self.coord.RunMatching(cs.RunMatchingRequest(pool=pool), timeout=60)
        self.assertEqual(r.report.blocking_pairs, 0)
        pairs = [(m.mentee_id, m.mentor_id) for m in r.proposed]
        self.assertGreater(len(pairs), 5)
        mentees = [m for m in members if m.id.startswith("e-")]
        mentors = [m for m in members if m.id.startswith("m-")]
        count, scores = blocking_pairs(self.explain(pool), mentees, mentors, pairs)
        self.assertEqual(count, 0)
        for m in r.proposed:
            self.assertIn((m.mentee_id, m.mentor_id), scores)  # acceptable
            self.assertEqual(m.state, match_pb2.MATCH_STATE_PROPOSED)
        load = {}
        for _, m in pairs:
            load[m] = load.get(m, 0) + 1
        for m in mentors:
            self.assertLessEqual(load.get(m.id, 0), m.mentor_capacity)
        unmatched = {u.id for u in r.report.unmatched_mentees}
        self.assertEqual(unmatched | {e for e, _ in pairs}, {m.id for m in mentees})
        # Proposals stay invisible to the platform list of ACTIVE matches.
        again = self.coord.RunMatching(cs.RunMatchingRequest(pool=pool), timeout=60)
        self.assertEqual(again.report.proposals_created, 0)
        self.assertEqual(again.report.proposals_discarded, 0)
        self.assertEqual(sorted((m.id, m.mentee_id, m.mentor_id) for m in again.proposed),
                         sorted((m.id, m.mentee_id, m.mentor_id) for m in r.proposed))
        # After publishing, a re-run has nobody left to propose for them.
        pub = self.coord.PublishMatches(cs.PublishMatchesRequest(pool=pool), timeout=10)
        self.assertEqual(pub.published, len(pairs))
        third = self.coord.RunMatching(cs.RunMatchingRequest(pool=pool), timeout=60)
        self.assertTrue(all(m.mentee_id not in dict(pairs) for m in third.proposed))
        listed = self.matching.ListMatches(mt.ListMatchesRequest(
            pool=pool, states=[match_pb2.MATCH_STATE_ACTIVE], page_size=1000), timeout=10)
        self.assertEqual(len(listed.matches), len(pairs))
        st = self.pools.GetPoolStats(ps.GetPoolStatsRequest(pool=pool), timeout=5).stats
        self.assertEqual({kv.key: kv.count for kv in st.matches_by_state},
                         {"MATCH_STATE_PROPOSED": len(third.proposed),
                          "MATCH_STATE_ACTIVE": len(pairs)})
        self.assertEqual(st.mentees_matched, len(pairs) + len(third.proposed))

    def test_auto_publish_creates_active_matches_and_says_so(self):
        pool = "auto"
        upsert_all(self.members, pool, cohort(seed=23, mentees=12, mentors=6))
        self.pools.UpdatePoolSettings(ps.UpdatePoolSettingsRequest(
            pool=pool, settings=settings_pb2.PoolSettings(auto_publish=True)), timeout=5)
        r = self.coord.RunMatching(cs.RunMatchingRequest(pool=pool), timeout=60)
        self.assertGreater(len(r.proposed), 0)
        for m in r.proposed:
            self.assertEqual(m.state, match_pb2.MATCH_STATE_ACTIVE)
            stored = self.matching.GetMatch(mt.GetMatchRequest(
                pool=pool, match_id=m.id), timeout=5).match
            self.assertEqual(stored.state, match_pb2.MATCH_STATE_ACTIVE)

    def test_fifty_concurrent_manual_matches_on_capacity_two(self):
        pool = "manual-cap"
        mentor = member_pb2.Member(
            id="mentor", roles=[member_pb2.ROLE_MENTOR], recovery_stage=5,
            time_zone="UTC", languages=["en"], modalities=[member_pb2.MODALITY_TEXT],
            mentor_capacity=2, triggers=["a"],
            availability=[member_pb2.AvailabilityWindow(day=1, start_minute=0, end_minute=600)])
        mentees = []
        for i in range(50):
            mentees.append(member_pb2.Member(
                id=f"mentee-{i:02d}", roles=[member_pb2.ROLE_MENTEE], recovery_stage=2,
                time_zone="UTC", languages=["en"], modalities=[member_pb2.MODALITY_TEXT],
                triggers=["a"],
                availability=[member_pb2.AvailabilityWindow(day=1, start_minute=0,
                                                            end_minute=600)]))
        upsert_all(self.members, pool, [mentor] + mentees)
        codes = []
        lock = threading.Lock()

        def attempt(e):
            try:
                self.coord.CreateManualMatch(cs.CreateManualMatchRequest(
                    pool=pool, mentee_id=e.id, mentor_id="mentor"), timeout=30)
                code = grpc.StatusCode.OK
            except grpc.RpcError as err:
                code = err.code()
            with lock:
                codes.append(code)

        threads = [threading.Thread(target=attempt, args=(e,)) for e in mentees]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(codes.count(grpc.StatusCode.OK), 2, codes)
        self.assertEqual(codes.count(grpc.StatusCode.FAILED_PRECONDITION), 48)
        listed = self.matching.ListMatches(mt.ListMatchesRequest(
            pool=pool, member_id="mentor"), timeout=10)
        self.assertEqual(len(listed.matches), 2)
        # A coordinator may override the full capacity, with a reason that
        # stays on the record (the audit stream names only the actor).
        matched = {m.mentee_id for m in listed.matches}
        free = next(e.id for e in mentees if e.id not in matched)
        with self.assertRaises(grpc.RpcError) as e:
            self.coord.CreateManualMatch(cs.CreateManualMatchRequest(
                pool=pool, mentee_id=free, mentor_id="mentor", override=True),
                timeout=10)
        self.assertEqual(e.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("reason", bad_request_fields(e.exception))
        over = self.coord.CreateManualMatch(cs.CreateManualMatchRequest(
            pool=pool, mentee_id=free, mentor_id="mentor", override=True,
            reason="agreed with both"), timeout=10).match
        self.assertTrue(over.override)
        got = self.matching.GetMatch(mt.GetMatchRequest(pool=pool, match_id=over.id),
                                     timeout=5).match
        self.assertEqual(got.override_reason, "agreed with both")
        self.assertEqual(got.state, match_pb2.MATCH_STATE_ACTIVE)

    def test_decline_is_final_and_expiry_frees_capacity(self):
        pool = "decline"
        def person(i, role, stage, cap=0):
            return member_pb2.Member(
                id=i, roles=[role], recovery_stage=stage, time_zone="UTC",
                languages=["en"], modalities=[member_pb2.MODALITY_VIDEO],
                mentor_capacity=cap, triggers=["crowds"],
                availability=[member_pb2.AvailabilityWindow(day=3, start_minute=600,
                                                            end_minute=900)])
        upsert_all(self.members, pool, [
            person("alice", member_pb2.ROLE_MENTEE, 2),
            person("m-best", member_pb2.ROLE_MENTOR, 4, cap=1),
            person("m-next", member_pb2.ROLE_MENTOR, 5, cap=1)])
        first = self.coord.RunMatching(cs.RunMatchingRequest(pool=pool), timeout=30)
        self.assertEqual(len(first.proposed), 1)
        match = first.proposed[0]
        self.coord.PublishMatches(cs.PublishMatchesRequest(pool=pool, match_ids=[match.id]),
                                  timeout=10)
        declined = self.matching.RespondToMatch(mt.RespondToMatchRequest(
            pool=pool, match_id=match.id, member_id="alice", accept=False), timeout=10).match
        self.assertEqual(declined.state, match_pb2.MATCH_STATE_DECLINED)
        ex = self.matching.ExplainPair(mt.ExplainPairRequest(
            pool=pool, mentee_id="alice", mentor_id=match.mentor_id), timeout=5).explanation
        self.assertIn(match_pb2.CONSTRAINT_DECLINED, ex.failed_constraints)
        # Re-matching never proposes the declined pair; alice gets the other.
        for _ in range(3):
            r = self.coord.RunMatching(cs.RunMatchingRequest(pool=pool), timeout=30)
            self.assertNotIn(("alice", match.mentor_id),
                             [(m.mentee_id, m.mentor_id) for m in r.proposed])
        self.assertEqual([m.mentor_id for m in r.proposed],
                         [x for x in ("m-best", "m-next") if x != match.mentor_id])
        with self.assertRaises(grpc.RpcError) as e:
            self.coord.CreateManualMatch(cs.CreateManualMatchRequest(
                pool=pool, mentee_id="alice", mentor_id=match.mentor_id), timeout=10)
        self.assertIn(e.exception.code(), (grpc.StatusCode.FAILED_PRECONDITION,
                                           grpc.StatusCode.ALREADY_EXISTS))
        # Expiry: with a 1 s TTL the open proposal expires and the mentor's
        # capacity comes back.
        self.pools.UpdatePoolSettings(ps.UpdatePoolSettingsRequest(
            pool=pool, settings=settings_pb2.PoolSettings(proposal_ttl_seconds=1)), timeout=5)
        # The open proposal keeps its 7-day expiry; discard it so the next run
        # makes one under the new TTL.
        self.coord.DiscardProposals(cs.DiscardProposalsRequest(pool=pool), timeout=10)
        r = self.coord.RunMatching(cs.RunMatchingRequest(pool=pool), timeout=30)
        self.assertEqual(len(r.proposed), 1)
        wait_until(lambda: self.matching.GetMatch(mt.GetMatchRequest(
            pool=pool, match_id=r.proposed[0].id), timeout=5).match.state
            == match_pb2.MATCH_STATE_EXPIRED, 10, what="the proposal to expire")
        stats = self.pools.GetPoolStats(ps.GetPoolStatsRequest(pool=pool), timeout=5).stats
        self.assertEqual(stats.mentor_load, 0)

    def test_ending_with_exclude_and_bad_transitions(self):
        pool = "ending"
        upsert_all(self.members, pool, cohort(seed=8, mentees=10, mentors=6))
        r = self.coord.RunMatching(cs.RunMatchingRequest(pool=pool), timeout=30)
        self.assertGreater(len(r.proposed), 0)
        m = r.proposed[0]
        with self.assertRaises(grpc.RpcError) as e:
            self.matching.EndMatch(mt.EndMatchRequest(pool=pool, match_id=m.id, reason="x"),
                                   timeout=5)
        self.assertEqual(e.exception.code(), grpc.StatusCode.FAILED_PRECONDITION)
        self.coord.PublishMatches(cs.PublishMatchesRequest(pool=pool), timeout=10)
        with self.assertRaises(grpc.RpcError) as e:
            self.coord.PublishMatches(cs.PublishMatchesRequest(pool=pool, match_ids=[m.id]),
                                      timeout=10)
        self.assertEqual(e.exception.code(), grpc.StatusCode.FAILED_PRECONDITION)
        ended = self.matching.EndMatch(mt.EndMatchRequest(
            pool=pool, match_id=m.id, reason="completed", exclude=True), timeout=5).match
        self.assertEqual(ended.state, match_pb2.MATCH_STATE_ENDED)
        self.assertTrue(ended.excluded)
        ex = self.matching.ExplainPair(mt.ExplainPairRequest(
            pool=pool, mentee_id=m.mentee_id, mentor_id=m.mentor_id), timeout=5).explanation
        self.assertIn(match_pb2.CONSTRAINT_EXCLUDED, ex.failed_constraints)
        for req, code, field in [
            (mt.GetMatchRequest(pool=pool, match_id="x999999"), grpc.StatusCode.NOT_FOUND, ""),
            (mt.GetMatchRequest(pool="no-such", match_id="x1"), grpc.StatusCode.NOT_FOUND, ""),
            (mt.GetMatchRequest(pool="BAD", match_id="x1"), grpc.StatusCode.INVALID_ARGUMENT,
             "pool")]:
            with self.assertRaises(grpc.RpcError) as e:
                self.matching.GetMatch(req, timeout=5)
            self.assertEqual(e.exception.code(), code)
            self.assertIn(field, e.exception.details())
        with self.assertRaises(grpc.RpcError) as e:
            self.matching.EndMatch(mt.EndMatchRequest(pool=pool, match_id=m.id), timeout=5)
        self.assertEqual(e.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("reason", bad_request_fields(e.exception))
        # Unknown pools are NOT_FOUND everywhere, never an empty answer.
        groups = self.server.stub(gs_grpc.GroupServiceStub)
        for call, req in [
                (self.coord.RunMatching, cs.RunMatchingRequest(pool="no-such-pool")),
                (self.coord.PublishMatches, cs.PublishMatchesRequest(pool="no-such-pool")),
                (self.coord.DiscardProposals,
                 cs.DiscardProposalsRequest(pool="no-such-pool")),
                (self.coord.PublishGroups, cs.PublishGroupsRequest(pool="no-such-pool")),
                (self.matching.ListMatches, mt.ListMatchesRequest(pool="no-such-pool")),
                (groups.ListGroups, gs.ListGroupsRequest(pool="no-such-pool")),
                (self.pools.GetPoolStats, ps.GetPoolStatsRequest(pool="no-such-pool"))]:
            with self.assertRaises(grpc.RpcError) as e:
                call(req, timeout=5)
            self.assertEqual(e.exception.code(), grpc.StatusCode.NOT_FOUND, req)
        with self.assertRaises(grpc.RpcError) as e:
            self.coord.RunMatching(cs.RunMatchingRequest(
                pool=pool, options=match_pb2.MatchingOptions(max_candidates=1001)), timeout=5)
        self.assertIn("options.max_candidates", bad_request_fields(e.exception))

    def test_erasure_ends_matches(self):
        pool = "erase"
        upsert_all(self.members, pool, cohort(seed=9, mentees=10, mentors=6))
        r = self.coord.RunMatching(cs.RunMatchingRequest(pool=pool), timeout=30)
        self.coord.PublishMatches(cs.PublishMatchesRequest(pool=pool), timeout=10)
        m = r.proposed[0]
        d = self.members.DeleteMember(ms.DeleteMemberRequest(pool=pool, id=m.mentee_id),
                                      timeout=10)
        self.assertEqual(d.matches_ended, 1)
        after = self.matching.GetMatch(mt.GetMatchRequest(pool=pool, match_id=m.id),
                                       timeout=5).match
        self.assertEqual(after.state, match_pb2.MATCH_STATE_ENDED)
        self.assertEqual(after.mentee_id, "")
        keys = self.redis.command("KEYS", "pm:{erase}:*")
        self.assertNotIn(m.mentee_id.encode(), keys)


if __name__ == "__main__":
    unittest.main()
