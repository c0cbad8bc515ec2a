"""End-to-end on a real 3-master Redis Cluster (R-STORE, R-TEST): members,
recommendations, a batch run and groups through peermatchd --redis-mode
cluster, with several pools spread over the shards."""

import unittest

from cohort import cohort
from harness import Peermatchd, RedisCluster
from peermatch.v1 import coordination_service_pb2 as cs
from peermatch.v1 import coordination_service_pb2_grpc as cs_grpc
from peermatch.v1 import member_service_pb2 as ms
from peermatch.v1 import member_service_pb2_grpc as ms_grpc
from peermatch.v1 import matching_service_pb2 as mt
from peermatch.v1 import matching_service_pb2_grpc as mt_grpc


class ClusterTest(unittest.TestCase):
    def test_service_on_a_cluster(self):
        with RedisCluster() as cluster, \
                Peermatchd(cluster.url, ["--redis-mode", "cluster"]) as server:
            members = server.stub(ms_grpc.MemberServiceStub)
            matching = server.stub(mt_grpc.MatchingServiceStub)
            coord = server.stub(cs_grpc.CoordinationServiceStub)
            self.assertEqual(server.health(), "SERVING")
            # Pool ids that hash to different slots land on different masters.
            for pool in ("alpha", "beta", "gamma", "delta"):
                people = cohort(seed=len(pool), mentees=12, mentors=8)
                r = members.BatchUpsertMembers(ms.BatchUpsertMembersRequest(
                    pool=pool, requests=[ms.UpsertMemberRequest(member=m) for m in people]),
                    timeout=30)
                self.assertEqual(r.failed, 0)
                page = members.ListMembers(ms.ListMembersRequest(pool=pool, page_size=100),
                                           timeout=10)
                self.assertEqual(page.total_size, 20)
                run = coord.RunMatching(cs.RunMatchingRequest(pool=pool), timeout=60)
                self.assertEqual(run.report.blocking_pairs, 0)
                e = next(m.id for m in people if m.id.startswith("e-"))
                matching.RecommendMentors(mt.RecommendMentorsRequest(
                    pool=pool, mentee_id=e), timeout=10)
                members.DeleteMember(ms.DeleteMemberRequest(pool=pool, id=e), timeout=10)
            owners = set()
            for n in cluster.nodes:
                if b"pm:{" in n.command("KEYS", "pm:{*"):
                    owners.add(n.port)
            self.assertGreater(len(owners), 1)


if __name__ == "__main__":
    unittest.main()
