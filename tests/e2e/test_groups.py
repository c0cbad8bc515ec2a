"""End-to-end: support groups through the service (R-GROUPS, R-REGROUP,
R-JOIN, R-GROUPREC, R-SEC erasure)."""

import random
import unittest

import grpc

from harness import Peermatchd, RedisServer
from peermatch.v1 import coordination_service_pb2 as cs
from peermatch.v1 import coordination_service_pb2_grpc as cs_grpc
from peermatch.v1 import group_pb2
from peermatch.v1 import group_service_pb2 as gs
from peermatch.v1 import group_service_pb2_grpc as gs_grpc
from peermatch.v1 import member_pb2 as pb
from peermatch.v1 import member_service_pb2 as ms
from peermatch.v1 import member_service_pb2_grpc as ms_grpc
from peermatch.v1 import pool_service_pb2 as ps
from peermatch.v1 import pool_service_pb2_grpc as ps_grpc
from peermatch.v1 import settings_pb2

REF = {"seconds": 1773316800}  # 2026-03-12T12:00:00Z


def group_member(rng, i, facilitator=False):
    zone = rng.choice(["UTC", "Europe/London", "Europe/Berlin"])
    return pb.Member(
        id=f"g-{i:03d}",
        roles=[pb.ROLE_GROUP_MEMBER] + ([pb.ROLE_FACILITATOR] if facilitator else []),
        triggers=rng.sample(["crowds", "phone-calls", "small-talk", "parties"], 2),
        interests=rng.sample(["hiking", "films", "music", "games", "art"], 2),
        recovery_stage=5 if facilitator else rng.randint(2, 4),
        time_zone=zone, languages=["en"], modalities=[pb.MODALITY_VIDEO],
        availability=[pb.AvailabilityWindow(day=pb.WEDNESDAY, start_minute=17 * 60,
                                            end_minute=22 * 60),
                      pb.AvailabilityWindow(day=pb.SATURDAY, start_minute=10 * 60,
                                            end_minute=13 * 60)],
        screened=True)


class GroupsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.redis = RedisServer().start()
        cls.server = Peermatchd(cls.redis.url).start()
        cls.members = cls.server.stub(ms_grpc.MemberServiceStub)
        cls.coord = cls.server.stub(cs_grpc.CoordinationServiceStub)
        cls.groups = cls.server.stub(gs_grpc.GroupServiceStub)
        cls.pools = cls.server.stub(ps_grpc.PoolServiceStub)

    @classmethod
    def tearDownClass(cls):
        cls.server.__exit__(None, None, None)
        cls.redis.__exit__(None, None, None)

    def upsert(self, pool, members):
        r = self.members.BatchUpsertMembers(ms.BatchUpsertMembersRequest(
            pool=pool, requests=[ms.UpsertMemberRequest(member=m) for m in members]),
            timeout=30)
        self.assertEqual(r.failed, 0, [x.message for x in r.results if x.code])

    def form(self, pool, **options):
        return self.coord.FormGroups(cs.FormGroupsRequest(
            pool=pool, options=group_pb2.GroupingOptions(reference_time=REF, **options)),
            timeout=60)

    def live_groups(self, pool):
        out = self.groups.ListGroups(gs.ListGroupsRequest(
            pool=pool, states=[group_pb2.GROUP_STATE_ACTIVE, group_pb2.GROUP_STATE_PROPOSED],
            page_size=1000), timeout=10)
        return {g.id: g for g in out.groups}

    def check_group(self, g, by_id, settings):
        self.assertGreaterEqual(len(g.member_ids), settings.min_size)
        self.assertLessEqual(len(g.member_ids), settings.max_size)
        self.assertEqual(list(g.member_ids), sorted(g.member_ids))
        self.assertEqual(g.language, "en")
        self.assertIn(g.facilitator, g.member_ids)
        self.assertEqual(g.slot_utc.end_minute - g.slot_utc.start_minute,
                         settings.session_minutes)
        self.assertEqual(len(g.local_slots), len(g.member_ids))
        for ls in g.local_slots:
            self.assertEqual(ls.time_zone, by_id[ls.member_id].time_zone)
        others = [by_id[m].recovery_stage for m in g.member_ids if m != g.facilitator]
        self.assertLessEqual(max(others) - min(others), settings.max_stage_spread)

    def test_form_publish_regroup_and_join(self):
        pool = "groups"
        rng = random.Random(5)
        people = [group_member(rng, i, facilitator=(i % 6 == 0)) for i in range(30)]
        by_id = {m.id: m for m in people}
        self.upsert(pool, people)
        settings = self.pools.GetPoolSettings(ps.GetPoolSettingsRequest(pool=pool),
                                              timeout=5).settings
        r = self.form(pool)
        self.assertGreater(len(r.groups), 2)
        placed = set()
        for g in r.groups:
            self.assertEqual(g.state, group_pb2.GROUP_STATE_PROPOSED)
            self.check_group(g, by_id, settings)
            self.assertFalse(placed & set(g.member_ids))
            placed |= set(g.member_ids)
        self.assertEqual(r.report.placed, len(placed))
        self.assertEqual(placed | {u.id for u in r.report.unplaced_members}, set(by_id))
        # Wednesday 17:00 UTC is the earliest common slot of the week.
        self.assertEqual((r.groups[0].slot_utc.day, r.groups[0].slot_utc.start_minute),
                         (pb.WEDNESDAY, 17 * 60))
        pub = self.coord.PublishGroups(cs.PublishGroupsRequest(pool=pool), timeout=10)
        self.assertEqual(pub.published, len(r.groups))
        # Pool statistics count the groups and who is in none (R-API).
        st = self.pools.GetPoolStats(ps.GetPoolStatsRequest(pool=pool), timeout=5).stats
        self.assertEqual(st.groups_active, len(r.groups))
        self.assertEqual(st.groups_proposed, 0)
        self.assertEqual(st.group_members_placed, len(placed))
        self.assertEqual(st.group_members_unplaced, len(people) - len(placed))
        before = {g.id: list(g.member_ids) for g in self.live_groups(pool).values()}
        self.assertTrue(all(g.state == group_pb2.GROUP_STATE_ACTIVE
                            for g in self.live_groups(pool).values()))

        # Regroup on an unchanged pool moves nobody.
        again = self.form(pool)
        self.assertEqual(len(again.report.churn), 0)
        self.assertEqual({g.id: list(g.member_ids) for g in self.live_groups(pool).values()},
                         before)

        # New members: existing valid groups keep every member they had.
        newcomers = [group_member(rng, 100 + i) for i in range(6)]
        for m in newcomers:
            by_id[m.id] = m
        self.upsert(pool, newcomers)
        grown = self.form(pool)
        after = self.live_groups(pool)
        for gid, members in before.items():
            self.assertIn(gid, after)
            self.assertTrue(set(members) <= set(after[gid].member_ids), gid)
        for c in grown.report.churn:
            self.assertTrue(c.member_id.startswith("g-1"), c)  # only newcomers moved
            self.assertEqual(c.reason, "new_member")

        # R-JOIN: a new member gets the groups with free seats they fit.
        joiner = group_member(rng, 200)
        self.upsert(pool, [joiner])
        cands = self.groups.RankGroupsForMember(gs.RankGroupsForMemberRequest(
            pool=pool, member_id=joiner.id, k=5, reference_time=REF), timeout=10).candidates
        self.assertGreater(len(cands), 0)
        fits = [c.fit for c in cands]
        self.assertEqual(fits, sorted(fits, reverse=True))
        for c in cands:
            self.assertGreater(c.free_seats, 0)
            self.assertEqual(c.group.state, group_pb2.GROUP_STATE_ACTIVE)

    def test_same_pool_state_gives_the_same_groups(self):
        # SPEC §3.1: deterministic whatever order members were written in.
        # The default has no time cap, so the local search runs to the same
        # end on both pools.
        rng = random.Random(11)
        people = [group_member(rng, i, facilitator=(i % 5 == 0)) for i in range(200)]
        self.upsert("det-a", people)
        self.upsert("det-b", list(reversed(people)))
        a, b = self.form("det-a"), self.form("det-b")
        self.assertFalse(a.report.search_cut_by_time)
        self.assertGreater(a.report.placed, 150)
        self.assertEqual(sorted(tuple(g.member_ids) for g in a.groups),
                         sorted(tuple(g.member_ids) for g in b.groups))
        self.assertEqual(a.report.total_fit, b.report.total_fit)
        self.assertEqual(sorted(u.id for u in a.report.unplaced_members),
                         sorted(u.id for u in b.report.unplaced_members))

    def test_erasure_leaves_no_group_below_min_size(self):
        pool = "groups-erase"
        rng = random.Random(9)
        people = [group_member(rng, i, facilitator=(i % 4 == 0)) for i in range(8)]
        self.upsert(pool, people)
        self.pools.UpdatePoolSettings(ps.UpdatePoolSettingsRequest(
            pool=pool, settings=settings_pb2.PoolSettings(min_size=4, max_size=4,
                                                          target_size=4)), timeout=5)
        r = self.form(pool)
        self.coord.PublishGroups(cs.PublishGroupsRequest(pool=pool), timeout=10)
        self.assertEqual(len(r.groups), 2)
        victim = r.groups[0].member_ids[1]
        d = self.members.DeleteMember(ms.DeleteMemberRequest(pool=pool, id=victim), timeout=10)
        self.assertEqual(d.groups_changed, 1)
        for g in self.live_groups(pool).values():
            self.assertGreaterEqual(len(g.member_ids), 4)
            self.assertNotIn(victim, g.member_ids)
        old = self.groups.GetGroup(gs.GetGroupRequest(pool=pool, group_id=r.groups[0].id),
                                   timeout=5).group
        self.assertEqual(old.state, group_pb2.GROUP_STATE_DISSOLVED)
        self.assertNotIn(victim, old.member_ids)
        self.assertTrue(old.dissolve_reason.startswith("member_deleted"))
        self.assertEqual(self.redis.command("KEYS", f"pm:{{{pool}}}:*{victim}*"), b"*0\r\n")

    def test_bad_input(self):
        with self.assertRaises(grpc.RpcError) as e:
            self.coord.FormGroups(cs.FormGroupsRequest(pool="no-such-pool"), timeout=10)
        self.assertEqual(e.exception.code(), grpc.StatusCode.NOT_FOUND)
        with self.assertRaises(grpc.RpcError) as e:
            self.coord.FormGroups(cs.FormGroupsRequest(
                pool="groups", options=group_pb2.GroupingOptions(time_budget_ms=70000)),
                timeout=10)
        self.assertEqual(e.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("options.time_budget_ms", e.exception.details())
        with self.assertRaises(grpc.RpcError) as e:
            self.groups.GetGroup(gs.GetGroupRequest(pool="groups", group_id="g99999"), timeout=5)
        self.assertEqual(e.exception.code(), grpc.StatusCode.NOT_FOUND)


if __name__ == "__main__":
    unittest.main()
