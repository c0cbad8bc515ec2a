"""End-to-end: coordinator batch jobs through real peermatchd replicas and a
real redis-server (R-JOBS, R-API, R-TEST fault tests).

JobApiTest (one replica, a small cohort): lifecycle seen through WatchJob,
results equal to the committed matches, the fixed reference time, idempotency
keys (also under concurrency), validation and NOT_FOUND codes, paging, the
audit stream, and the CLI's `jobs start --wait` exit statuses.

JobFailoverTest (two replicas sharing Redis, 20,000 mentees x 5,000 mentors so
that MENTOR_MATCHING takes seconds): the watcher limit, cancel in the middle
of a run leaves the pool's matches as they were, kill -9 of the replica
running a job makes the other replica take it over and commit exactly once,
and SIGTERM gives the job back (exit 0) so the other replica finishes it.
"""

import os
import random
import signal
import subprocess
import threading
import time
import unittest

import grpc
from google.protobuf import timestamp_pb2

from cohort import cohort, make_member
from harness import Peermatchd, RedisServer, bad_request_fields, wait_until
from peermatch.v1 import coordination_service_pb2 as cs
from peermatch.v1 import coordination_service_pb2_grpc as cs_grpc
from peermatch.v1 import group_pb2
from peermatch.v1 import group_service_pb2 as gs
from peermatch.v1 import group_service_pb2_grpc as gs_grpc
from peermatch.v1 import job_pb2
from peermatch.v1 import match_pb2
from peermatch.v1 import member_pb2 as pb
from peermatch.v1 import matching_service_pb2 as mt
from peermatch.v1 import matching_service_pb2_grpc as mt_grpc
from peermatch.v1 import member_service_pb2 as ms
from peermatch.v1 import member_service_pb2_grpc as ms_grpc

TERMINAL = (job_pb2.JOB_STATE_SUCCEEDED, job_pb2.JOB_STATE_FAILED,
            job_pb2.JOB_STATE_CANCELLED)
MENTOR_MATCHING = job_pb2.JOB_KIND_MENTOR_MATCHING


def upsert_all(stub, pool, members, batch=1000):
    reqs = [ms.UpsertMemberRequest(member=m) for m in members]
    for i in range(0, len(reqs), batch):
        r = stub.BatchUpsertMembers(
            ms.BatchUpsertMembersRequest(pool=pool, requests=reqs[i:i + batch]),
            timeout=60)
        assert r.failed == 0, [x.message for x in r.results if x.code][:3]


def parse_resp(data):
    """Parses one RESP2 reply (bytes) into Python values."""
    def parse(i):
        kind, end = data[i:i + 1], data.index(b"\r\n", i)
        line = data[i + 1:end]
        if kind in (b"+", b"-"):
            return line, end + 2
        if kind == b":":
            return int(line), end + 2
        if kind == b"$":
            n = int(line)
            if n < 0:
                return None, end + 2
            return data[end + 2:end + 2 + n], end + 4 + n
        if kind == b"*":
            n, out, i = int(line), [], end + 2
            for _ in range(max(n, 0)):
                v, i = parse(i)
                out.append(v)
            return out, i
        raise ValueError(f"bad RESP at {i}")
    return parse(0)[0]


def audit_entries(redis, pool):
    """The pool's audit stream as dicts of str -> str."""
    raw = redis.command("XRANGE", f"pm:{{{pool}}}:audit", "-", "+")
    out = []
    for _, fields in parse_resp(raw):
        out.append({fields[i].decode(): fields[i + 1].decode()
                    for i in range(0, len(fields), 2)})
    return out


def all_matches(matching, pool):
    out, token = [], ""
    while True:
        r = matching.ListMatches(mt.ListMatchesRequest(
            pool=pool, page_size=1000, page_token=token), timeout=30)
        out += list(r.matches)
        token = r.next_page_token
        if not token:
            return out


def wait_terminal(coord, pool, job_id, timeout=180):
    return wait_until(
        lambda: (lambda j: j if j.state in TERMINAL else None)(
            coord.GetJob(cs.GetJobRequest(pool=pool, job_id=job_id),
                         timeout=10).job),
        timeout, interval=0.1, what=f"job {job_id} to end")


def check_proposals(test, matches, members_by_id, report):
    """The PROPOSED matches are one consistent commit: as many as the report
    says, each mentee at most once, no mentor over capacity."""
    proposed = [m for m in matches if m.state == match_pb2.MATCH_STATE_PROPOSED]
    test.assertEqual(len(proposed), report.matched)
    mentees = [m.mentee_id for m in proposed]
    test.assertEqual(len(mentees), len(set(mentees)))
    load = {}
    for m in proposed:
        load[m.mentor_id] = load.get(m.mentor_id, 0) + 1
    for mentor, n in load.items():
        test.assertLessEqual(n, members_by_id[mentor].mentor_capacity, mentor)
    return proposed


class JobApiTest(unittest.TestCase):
    POOL = "jobs-api"

    @classmethod
    def setUpClass(cls):
        cls.redis = RedisServer().start()
        cls.server = Peermatchd(cls.redis.url,
                                extra_args=["--job-lease-ms", "3000"]).start()
        cls.coord = cls.server.stub(cs_grpc.CoordinationServiceStub)
        cls.matching = cls.server.stub(mt_grpc.MatchingServiceStub)
        members = cls.server.stub(ms_grpc.MemberServiceStub)
        cls.cohort = cohort(seed=21, mentees=150, mentors=80)
        cls.by_id = {m.id: m for m in cls.cohort}
        upsert_all(members, cls.POOL, cls.cohort)
        for pool in ("jobs-nothing-here", "jobs-paging", "jobs-ref", "jobs-idem",
                     "jobs-cli-empty"):
            emptied_pool(members, pool)

    @classmethod
    def tearDownClass(cls):
        cls.server.__exit__(None, None, None)
        cls.redis.__exit__(None, None, None)

    def start(self, pool=None, **kw):
        kw.setdefault("kind", MENTOR_MATCHING)
        return self.coord.StartJob(
            cs.StartJobRequest(pool=pool or self.POOL, **kw), timeout=10)

    def test_lifecycle_through_watch_with_results_as_committed(self):
        started = self.start()
        self.assertFalse(started.existing)
        job_id = started.job.id
        self.assertEqual(started.job.pool, self.POOL)
        self.assertIn(started.job.state, (job_pb2.JOB_STATE_QUEUED,
                                          job_pb2.JOB_STATE_RUNNING,
                                          job_pb2.JOB_STATE_SUCCEEDED))
        seen = list(self.coord.WatchJob(
            cs.WatchJobRequest(pool=self.POOL, job_id=job_id), timeout=60))
        self.assertGreaterEqual(len(seen), 1)
        states = [j.state for j in seen]
        self.assertEqual(states, sorted(states), "states only move forward")
        self.assertEqual(states[-1], job_pb2.JOB_STATE_SUCCEEDED)
        self.assertTrue(all(s not in TERMINAL for s in states[:-1]))
        progress = [j.progress_percent for j in seen]
        self.assertEqual(seen[-1].phase, "done")
        self.assertEqual(progress[-1], 100)

        job = self.coord.GetJob(cs.GetJobRequest(pool=self.POOL, job_id=job_id),
                                timeout=10).job
        self.assertEqual(job.state, job_pb2.JOB_STATE_SUCCEEDED)
        self.assertEqual(job.attempt, 1)
        self.assertEqual(job.actor, "unauthenticated")
        self.assertTrue(job.HasField("start_time") and job.HasField("end_time"))
        self.assertLessEqual(job.create_time.ToMilliseconds(),
                             job.start_time.ToMilliseconds())
        report = job.result.matching
        self.assertEqual(report.blocking_pairs, 0)
        self.assertGreater(report.matched, 0)
        matches = all_matches(self.matching, self.POOL)
        proposed = check_proposals(self, matches, self.by_id, report)
        self.assertEqual(sum(1 for m in proposed if m.job_id == job_id),
                         report.proposals_created)

        listed = self.coord.ListJobs(cs.ListJobsRequest(pool=self.POOL),
                                     timeout=10).jobs
        self.assertIn(job_id, [j.id for j in listed])
        actions = [(e["action"], e.get("job")) for e in
                   audit_entries(self.redis, self.POOL)]
        self.assertIn(("job.start", job_id), actions)
        self.assertEqual(actions.count(("matching.commit", job_id)), 1)

    def test_reference_time_is_fixed_at_creation(self):
        t = timestamp_pb2.Timestamp(seconds=1763942400)  # 2025-11-24T00:00Z
        job = self.start(pool="jobs-ref", matching_options=match_pb2.MatchingOptions(
            reference_time=t)).job
        self.assertEqual(job.reference_time, t)
        self.assertEqual(job.matching_options.reference_time, t)
        self.assertEqual(job.grouping_options.reference_time, t)
        before = int(time.time() * 1000)
        job2 = self.start(pool="jobs-ref").job
        self.assertGreaterEqual(job2.reference_time.ToMilliseconds(), before - 1)
        got = self.coord.GetJob(cs.GetJobRequest(pool="jobs-ref", job_id=job2.id),
                                timeout=10).job
        self.assertEqual(got.reference_time, job2.reference_time)

    def test_same_idempotency_key_returns_the_same_job(self):
        first = self.start(pool="jobs-idem", idempotency_key="nightly-1")
        again = self.start(pool="jobs-idem", idempotency_key="nightly-1",
                           kind=job_pb2.JOB_KIND_BOTH)
        self.assertFalse(first.existing)
        self.assertTrue(again.existing)
        self.assertEqual(again.job.id, first.job.id)
        self.assertEqual(again.job.kind, MENTOR_MATCHING)
        other = self.start(pool="jobs-idem", idempotency_key="nightly-2")
        self.assertNotEqual(other.job.id, first.job.id)

        results, errors = [], []

        def call():
            try:
                results.append(self.start(pool="jobs-idem",
                                          idempotency_key="concurrent-key"))
            except grpc.RpcError as e:  # reported below
                errors.append(e)
        threads = [threading.Thread(target=call) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        self.assertEqual(len({r.job.id for r in results}), 1)
        self.assertEqual(sum(1 for r in results if not r.existing), 1)

    def test_bad_requests_and_unknown_jobs(self):
        cases = [
            (dict(kind=job_pb2.JOB_KIND_UNSPECIFIED), "kind"),
            (dict(idempotency_key="has space"), "idempotency_key"),
            (dict(idempotency_key="k" * 129), "idempotency_key"),
            (dict(matching_options=match_pb2.MatchingOptions(max_candidates=1001)),
             "matching_options.max_candidates"),
            (dict(grouping_options=group_pb2.GroupingOptions(time_budget_ms=60001)),
             "grouping_options.time_budget_ms"),
        ]
        for kw, field in cases:
            with self.assertRaises(grpc.RpcError) as e:
                self.start(**kw)
            self.assertEqual(e.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
            self.assertIn(field, bad_request_fields(e.exception))
        with self.assertRaises(grpc.RpcError) as e:
            self.start(pool="Bad_Pool")
        self.assertEqual(e.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
        # A pool nobody created is NOT_FOUND (a mistyped id is not "no jobs").
        for rpc, req in [
                (self.coord.StartJob, cs.StartJobRequest(pool="never-created",
                                                         kind=MENTOR_MATCHING)),
                (self.coord.ListJobs, cs.ListJobsRequest(pool="never-created"))]:
            with self.assertRaises(grpc.RpcError) as e:
                rpc(req, timeout=10)
            self.assertEqual(e.exception.code(), grpc.StatusCode.NOT_FOUND)
        for rpc, req in [
                (self.coord.GetJob, cs.GetJobRequest(pool=self.POOL, job_id="j999999")),
                (self.coord.CancelJob, cs.CancelJobRequest(pool=self.POOL,
                                                           job_id="j999999"))]:
            with self.assertRaises(grpc.RpcError) as e:
                rpc(req, timeout=10)
            self.assertEqual(e.exception.code(), grpc.StatusCode.NOT_FOUND)
        with self.assertRaises(grpc.RpcError) as e:
            self.coord.GetJob(cs.GetJobRequest(pool=self.POOL, job_id="x1"),
                              timeout=10)
        self.assertEqual(e.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
        with self.assertRaises(grpc.RpcError) as e:
            list(self.coord.WatchJob(cs.WatchJobRequest(pool=self.POOL,
                                                        job_id="j999999"),
                                     timeout=10))
        self.assertEqual(e.exception.code(), grpc.StatusCode.NOT_FOUND)
        with self.assertRaises(grpc.RpcError) as e:
            list(self.coord.WatchJob(cs.WatchJobRequest(pool=self.POOL,
                                                        job_id="nope"),
                                     timeout=10))
        self.assertEqual(e.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
        # A finished job cannot be cancelled.
        job = self.start(pool="jobs-nothing-here").job  # fails: empty pool
        done = wait_terminal(self.coord, "jobs-nothing-here", job.id)
        self.assertEqual(done.state, job_pb2.JOB_STATE_FAILED)
        self.assertTrue(done.error.startswith("NOT_FOUND"), done.error)
        with self.assertRaises(grpc.RpcError) as e:
            self.coord.CancelJob(cs.CancelJobRequest(pool="jobs-nothing-here",
                                                     job_id=job.id), timeout=10)
        self.assertEqual(e.exception.code(), grpc.StatusCode.FAILED_PRECONDITION)

    def test_list_pages_newest_first(self):
        pool = "jobs-paging"
        ids = [self.start(pool=pool).job.id for _ in range(5)]
        listed, token, pages = [], "", 0
        while True:
            r = self.coord.ListJobs(cs.ListJobsRequest(
                pool=pool, page_size=2, page_token=token), timeout=10)
            listed += [j.id for j in r.jobs]
            pages += 1
            token = r.next_page_token
            if not token:
                break
        self.assertEqual(listed, list(reversed(ids)))
        self.assertEqual(pages, 3)
        with self.assertRaises(grpc.RpcError) as e:
            self.coord.ListJobs(cs.ListJobsRequest(pool="other-pool",
                                                   page_token=r.next_page_token
                                                   or "bogus"), timeout=10)
        self.assertEqual(e.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)

    def test_cli_start_wait_exit_statuses(self):
        cli = os.environ.get("PEERMATCH_CLI")
        self.assertTrue(cli and os.path.exists(cli), "PEERMATCH_CLI must be set")
        base = [cli, "--target", self.server.target]
        ok = subprocess.run(base + ["--output", "json", "jobs", "start",
                                    "--pool", self.POOL, "--kind",
                                    "MENTOR_MATCHING", "--wait"],
                            capture_output=True, text=True, timeout=120)
        self.assertEqual(ok.returncode, 0, ok.stderr)
        self.assertIn('"state":"JOB_STATE_SUCCEEDED"', ok.stdout)
        self.assertIn("done", ok.stderr)  # the progress view
        bad = subprocess.run(base + ["jobs", "start", "--pool", "jobs-cli-empty",
                                     "--kind", "MENTOR_MATCHING", "--wait"],
                             capture_output=True, text=True, timeout=120)
        self.assertEqual(bad.returncode, 3, bad.stderr)
        self.assertIn("FAILED", bad.stdout)
        job_id = bad.stdout.split()[0]
        got = subprocess.run(base + ["jobs", "get", "--pool", "jobs-cli-empty",
                                     job_id], capture_output=True, text=True,
                             timeout=30)
        self.assertEqual(got.returncode, 0, got.stderr)
        self.assertIn("FAILED", got.stdout)
        usage = subprocess.run(base + ["jobs", "start", "--pool", self.POOL,
                                       "--kind", "NOPE"],
                               capture_output=True, text=True, timeout=30)
        self.assertEqual(usage.returncode, 2)
        call = subprocess.run(base + ["jobs", "start", "--pool", self.POOL,
                                      "--kind", "BOTH", "--max-candidates",
                                      "5000"],
                              capture_output=True, text=True, timeout=30)
        self.assertEqual(call.returncode, 1)
        self.assertIn("INVALID_ARGUMENT", call.stderr)


def emptied_pool(members, pool):
    """A pool that exists (a member was written) but has no members: its jobs
    fail NOT_FOUND when they run, while StartJob accepts them."""
    m = make_member(random.Random(0), 0, "mentee")
    members.UpsertMember(ms.UpsertMemberRequest(pool=pool, member=m), timeout=10)
    members.DeleteMember(ms.DeleteMemberRequest(pool=pool, id=m.id), timeout=10)


def group_people(seed, n):
    """Group members who can form groups: English video, shared evenings."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        m = pb.Member(
            id=f"g-{i:05d}",
            roles=[pb.ROLE_GROUP_MEMBER] + ([pb.ROLE_FACILITATOR] if i % 6 == 0 else []),
            triggers=rng.sample(["crowds", "phone-calls", "parties", "small-talk"], 2),
            interests=rng.sample(["hiking", "films", "music", "games", "art"], 2),
            recovery_stage=5 if i % 6 == 0 else rng.randint(2, 4),
            time_zone=rng.choice(["UTC", "Europe/London", "Europe/Berlin"]),
            languages=["en"], modalities=[pb.MODALITY_VIDEO], screened=True)
        m.availability.add(day=rng.choice([2, 3, 4]), start_minute=17 * 60,
                           end_minute=22 * 60)
        out.append(m)
    return out


def live_groups(groups, pool):
    r = groups.ListGroups(gs.ListGroupsRequest(
        pool=pool, states=[group_pb2.GROUP_STATE_ACTIVE, group_pb2.GROUP_STATE_PROPOSED],
        page_size=1000), timeout=30)
    return sorted((g.id, tuple(g.member_ids), g.state, g.version) for g in r.groups)


def big_cohort(seed, mentees, mentors):
    """cohort() without its block lists (quadratic to build at this size)."""
    rng = random.Random(seed)
    out = [make_member(rng, i, "mentee") for i in range(mentees)]
    out += [make_member(rng, i, "mentor") for i in range(mentors)]
    return out


class JobFailoverTest(unittest.TestCase):
    POOL = "jobs-big"
    LEASE_MS = 3000

    @classmethod
    def setUpClass(cls):
        cls.redis = RedisServer().start()
        # A short grace period, so that SIGTERM reaches the give-back while
        # a complete 20k x 5k run is still computing.
        cls.args = ["--job-lease-ms", str(cls.LEASE_MS), "--job-watch-max",
                    "2", "--grace-period-ms", "100"]
        cls.replicas = [Peermatchd(cls.redis.url, extra_args=cls.args).start()
                        for _ in range(2)]
        members = cls.replicas[0].stub(ms_grpc.MemberServiceStub)
        cls.cohort = (big_cohort(seed=77, mentees=20000, mentors=5000) +
                      group_people(seed=78, n=600))
        cls.by_id = {m.id: m for m in cls.cohort}
        upsert_all(members, cls.POOL, cls.cohort)

    @classmethod
    def tearDownClass(cls):
        for r in cls.replicas:
            r.__exit__(None, None, None)
        cls.redis.__exit__(None, None, None)

    def coord(self, replica=None):
        return (replica or self.live()[0]).stub(cs_grpc.CoordinationServiceStub)

    def live(self):
        return [r for r in self.replicas if r.proc and r.proc.poll() is None]

    def running(self, job_id):
        """Waits until the job is RUNNING and computing, well before its
        commit (the runner reports 80% right before it); returns it."""
        coord = self.coord()
        return wait_until(
            lambda: (lambda j: j if j.state == job_pb2.JOB_STATE_RUNNING and
                     j.phase in ("loading", "matching") and
                     j.progress_percent < 50 else None)(
                coord.GetJob(cs.GetJobRequest(pool=self.POOL, job_id=job_id),
                             timeout=10).job),
            120, interval=0.02, what=f"job {job_id} to compute")

    def replica_running(self, job_id):
        """The replica whose log says it started `job_id` last."""
        pattern = f'"msg":"job started","pool":"{self.POOL}","job":"{job_id}"'
        owners = [r for r in self.live() if pattern in r.log_text()]
        self.assertEqual(len(owners), 1, "exactly one live replica runs it")
        return owners[0]

    def commits_of(self, job_id):
        return sum(1 for e in audit_entries(self.redis, self.POOL)
                   if e["action"] == "matching.commit" and e.get("job") == job_id)

    def test_a2_cancel_of_both_leaves_groups_and_matches_then_both_commits(self):
        coord = self.coord()
        groups = self.live()[0].stub(gs_grpc.GroupServiceStub)
        matching = self.live()[0].stub(mt_grpc.MatchingServiceStub)
        formed = wait_terminal(coord, self.POOL, coord.StartJob(cs.StartJobRequest(
            pool=self.POOL, kind=job_pb2.JOB_KIND_GROUPS), timeout=10).job.id)
        self.assertEqual(formed.state, job_pb2.JOB_STATE_SUCCEEDED, formed.error)
        self.assertGreater(formed.result.grouping.groups, 50)
        groups_before = live_groups(groups, self.POOL)
        self.assertEqual(len(groups_before), formed.result.grouping.groups)
        matches_before = sorted((m.id, m.state, m.version)
                                for m in all_matches(matching, self.POOL))

        both = coord.StartJob(cs.StartJobRequest(
            pool=self.POOL, kind=job_pb2.JOB_KIND_BOTH), timeout=10).job
        self.running(both.id)
        coord.CancelJob(cs.CancelJobRequest(pool=self.POOL, job_id=both.id), timeout=10)
        ended = wait_terminal(coord, self.POOL, both.id)
        self.assertEqual(ended.state, job_pb2.JOB_STATE_CANCELLED)
        self.assertEqual(live_groups(groups, self.POOL), groups_before)
        self.assertEqual(sorted((m.id, m.state, m.version)
                                for m in all_matches(matching, self.POOL)),
                         matches_before)
        self.assertEqual([e for e in audit_entries(self.redis, self.POOL)
                          if e.get("job") == both.id and e["action"] in
                          ("matching.commit", "groups.apply")], [])

        # Run to the end, BOTH commits matches and keeps the valid groups.
        again = wait_terminal(coord, self.POOL, coord.StartJob(cs.StartJobRequest(
            pool=self.POOL, kind=job_pb2.JOB_KIND_BOTH), timeout=10).job.id)
        self.assertEqual(again.state, job_pb2.JOB_STATE_SUCCEEDED, again.error)
        self.assertGreater(again.result.matching.matched, 0)
        self.assertEqual(again.result.matching.blocking_pairs, 0)
        # PROPOSED groups are replaced (nobody saw them), by the same member
        # sets: the pool did not change and grouping is deterministic.
        self.assertEqual(sorted(g[1] for g in live_groups(groups, self.POOL)),
                         sorted(g[1] for g in groups_before))
        proposed = [m for m in all_matches(matching, self.POOL)
                    if m.state == match_pb2.MATCH_STATE_PROPOSED]
        self.assertEqual(len(proposed), again.result.matching.matched)
        self.assertEqual(self.commits_of(again.id), 1)

    def test_a_cancel_mid_run_leaves_matches_unchanged(self):
        coord = self.coord()
        first = coord.StartJob(cs.StartJobRequest(
            pool=self.POOL, kind=MENTOR_MATCHING), timeout=10).job
        done = wait_terminal(coord, self.POOL, first.id)
        self.assertEqual(done.state, job_pb2.JOB_STATE_SUCCEEDED, done.error)
        ran = done.end_time.ToMilliseconds() - done.start_time.ToMilliseconds()
        print(f"20k x 5k MENTOR_MATCHING job ran {ran / 1000:.1f}s, "
              f"matched {done.result.matching.matched}")
        matching = self.live()[0].stub(mt_grpc.MatchingServiceStub)
        before = sorted((m.id, m.mentee_id, m.mentor_id, m.state, m.version)
                        for m in all_matches(matching, self.POOL))
        self.assertEqual(len(before), done.result.matching.matched)

        second = coord.StartJob(cs.StartJobRequest(
            pool=self.POOL, kind=MENTOR_MATCHING,
            matching_options=match_pb2.MatchingOptions(
                proposing_side=match_pb2.PROPOSING_SIDE_MENTOR)),
            timeout=10).job
        self.running(second.id)
        w1 = coord.WatchJob(cs.WatchJobRequest(pool=self.POOL,
                                               job_id=second.id), timeout=120)
        self.assertEqual(next(w1).id, second.id)
        cancelled = coord.CancelJob(cs.CancelJobRequest(
            pool=self.POOL, job_id=second.id), timeout=10).job
        self.assertEqual(cancelled.state, job_pb2.JOB_STATE_RUNNING)
        self.assertTrue(cancelled.cancel_requested)
        last = None
        for last in w1:  # the stream ends after the terminal state
            pass
        self.assertEqual(last.state, job_pb2.JOB_STATE_CANCELLED)
        after = sorted((m.id, m.mentee_id, m.mentor_id, m.state, m.version)
                       for m in all_matches(matching, self.POOL))
        self.assertEqual(after, before)
        self.assertEqual(self.commits_of(second.id), 0)

    def test_d_watch_limit_cancellation_and_deadline(self):
        # A pool whose lease another holder keeps: its job stays QUEUED, so
        # the streams stay open as long as the test needs.
        pool = "jobs-held"
        emptied_pool(self.live()[0].stub(ms_grpc.MemberServiceStub), pool)
        self.redis.command("HSET", f"pm:{{{pool}}}:lease", "token", "1",
                           "owner", "elsewhere", "job", "",
                           "exp", "9999999999999")
        coord = self.live()[0].stub(cs_grpc.CoordinationServiceStub)
        job = coord.StartJob(cs.StartJobRequest(pool=pool, kind=MENTOR_MATCHING),
                             timeout=10).job
        req = cs.WatchJobRequest(pool=pool, job_id=job.id)
        w1 = coord.WatchJob(req, timeout=120)
        w2 = coord.WatchJob(req, timeout=120)
        self.assertEqual(next(w1).state, job_pb2.JOB_STATE_QUEUED)
        self.assertEqual(next(w2).state, job_pb2.JOB_STATE_QUEUED)
        # At most --job-watch-max (2) streams per replica.
        with self.assertRaises(grpc.RpcError) as e:
            next(coord.WatchJob(req, timeout=30))
        self.assertEqual(e.exception.code(), grpc.StatusCode.RESOURCE_EXHAUSTED)
        # A client that goes away frees its slot; a client deadline ends the
        # stream.
        w2.cancel()

        def third_watch_until_its_deadline():
            w3 = coord.WatchJob(req, timeout=1.5)
            self.assertEqual(next(w3).id, job.id)
            with self.assertRaises(grpc.RpcError) as e3:
                for _ in w3:
                    pass
            return e3.exception.code() == grpc.StatusCode.DEADLINE_EXCEEDED
        wait_until(third_watch_until_its_deadline, 30, interval=0.2,
                   what="a freed watch slot and a client deadline")
        # The open stream sees the cancel and ends.
        self.assertEqual(coord.CancelJob(cs.CancelJobRequest(
            pool=pool, job_id=job.id), timeout=10).job.state,
            job_pb2.JOB_STATE_CANCELLED)
        last = None
        for last in w1:
            pass
        self.assertEqual(last.state, job_pb2.JOB_STATE_CANCELLED)

    def test_b_kill_9_of_the_running_replica_hands_the_job_over(self):
        coord = self.coord()
        job = coord.StartJob(cs.StartJobRequest(
            pool=self.POOL, kind=MENTOR_MATCHING,
            matching_options=match_pb2.MatchingOptions(max_candidates=50)),
            timeout=10).job
        self.running(job.id)
        victim = self.replica_running(job.id)
        survivor = [r for r in self.live() if r is not victim][0]
        victim.proc.send_signal(signal.SIGKILL)
        victim.proc.wait(10)
        killed_at = time.monotonic()
        coord = survivor.stub(cs_grpc.CoordinationServiceStub)
        done = wait_terminal(coord, self.POOL, job.id)
        print(f"takeover and rerun finished {time.monotonic() - killed_at:.1f}s "
              f"after kill -9 (lease {self.LEASE_MS} ms)")
        self.assertEqual(done.state, job_pb2.JOB_STATE_SUCCEEDED, done.error)
        self.assertEqual(done.attempt, 2)
        self.assertIn('"takeover":true', survivor.log_text())
        self.assertEqual(self.commits_of(job.id), 1)
        matches = all_matches(survivor.stub(mt_grpc.MatchingServiceStub),
                              self.POOL)
        check_proposals(self, matches, self.by_id, done.result.matching)
        self.assertEqual(done.result.matching.blocking_pairs, 0)
        # A fresh replica joins for the next test.
        self.replicas.append(Peermatchd(self.redis.url,
                                        extra_args=self.args).start())

    def test_c_sigterm_gives_the_job_back(self):
        coord = self.coord()
        job = coord.StartJob(cs.StartJobRequest(
            pool=self.POOL, kind=MENTOR_MATCHING), timeout=10).job
        self.running(job.id)
        leaving = self.replica_running(job.id)
        staying = [r for r in self.live() if r is not leaving][0]
        watch = leaving.stub(cs_grpc.CoordinationServiceStub).WatchJob(
            cs.WatchJobRequest(pool=self.POOL, job_id=job.id), timeout=120)
        self.assertEqual(next(watch).id, job.id)
        self.assertEqual(leaving.terminate(timeout=120), 0)
        # Its watch streams ended UNAVAILABLE: watch again elsewhere.
        with self.assertRaises(grpc.RpcError) as e:
            for _ in watch:
                pass
        self.assertEqual(e.exception.code(), grpc.StatusCode.UNAVAILABLE)
        self.assertIn('"outcome":"given_back"', leaving.log_text())
        coord = staying.stub(cs_grpc.CoordinationServiceStub)
        done = wait_terminal(coord, self.POOL, job.id)
        self.assertEqual(done.state, job_pb2.JOB_STATE_SUCCEEDED, done.error)
        self.assertEqual(done.attempt, 1)  # a give-back is not a lost lease
        self.assertEqual(self.commits_of(job.id), 1)
        check_proposals(self, all_matches(staying.stub(
            mt_grpc.MatchingServiceStub), self.POOL), self.by_id,
            done.result.matching)


if __name__ == "__main__":
    unittest.main()
