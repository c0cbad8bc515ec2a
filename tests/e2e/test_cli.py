"""End-to-end: the real `peermatch` CLI against a real peermatchd (R-API CLI)."""

import json
import os
import subprocess
import tempfile
import unittest

from cohort import cohort
from google.protobuf import json_format
from harness import Peermatchd, RedisServer


class CliTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cli = os.environ.get("PEERMATCH_CLI")
        assert cls.cli and os.path.exists(cls.cli), "PEERMATCH_CLI must be set"
        cls.redis = RedisServer().start()
        cls.server = Peermatchd(cls.redis.url).start()
        cls.tmp = tempfile.mkdtemp(prefix="pm-cli-")

    @classmethod
    def tearDownClass(cls):
        cls.server.__exit__(None, None, None)
        cls.redis.__exit__(None, None, None)

    def run_cli(self, *args, stdin=None, json_out=False):
        base = [self.cli, "--target", self.server.target]
        if json_out:
            base += ["--output", "json"]
        return subprocess.run(base + list(args), input=stdin, capture_output=True,
                              text=True, timeout=120)

    def test_import_reports_bad_lines_and_imports_the_rest(self):
        members = cohort(seed=4, mentees=20, mentors=10)
        lines = [json_format.MessageToJson(m, indent=None) for m in members]
        lines.insert(5, '{"id": "broken", "recovery_stage": ')          # line 6
        bad = json.loads(lines[10])
        bad["recovery_stage"] = 9
        lines[10] = json.dumps(bad)                                      # line 11
        path = os.path.join(self.tmp, "members.jsonl")
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        r = self.run_cli("members", "import", "--pool", "cli", "--batch-size", "7", path)
        self.assertEqual(r.returncode, 4, r.stderr)
        self.assertIn("line 6:", r.stderr)
        self.assertIn("line 11:", r.stderr)
        self.assertIn("recovery_stage", r.stderr)
        self.assertIn("imported 29, rejected 2", r.stdout)
        listed = self.run_cli("members", "list", "--pool", "cli", "--all", json_out=True)
        self.assertEqual(listed.returncode, 0, listed.stderr)
        self.assertEqual(len(listed.stdout.strip().splitlines()), 29)

    def test_match_run_list_and_generic_call(self):
        members = cohort(seed=6, mentees=15, mentors=10)
        path = os.path.join(self.tmp, "m2.jsonl")
        with open(path, "w") as f:
            for m in members:
                f.write(json_format.MessageToJson(m, indent=None) + "\n")
        self.assertEqual(self.run_cli("members", "import", "--pool", "cli2", path).returncode, 0)
        run = self.run_cli("match", "run", "--pool", "cli2", json_out=True)
        self.assertEqual(run.returncode, 0, run.stderr)
        out = json.loads(run.stdout)
        self.assertEqual(out["report"].get("blocking_pairs", "0"), "0")
        proposed = out.get("proposed", [])
        self.assertGreater(len(proposed), 0)
        pub = self.run_cli("match", "publish", "--pool", "cli2")
        self.assertEqual(pub.stdout.strip(), f"published {len(proposed)}")
        listed = self.run_cli("matches", "list", "--pool", "cli2", "--state", "ACTIVE",
                              json_out=True)
        self.assertEqual(len(listed.stdout.strip().splitlines()), len(proposed))
        one = proposed[0]
        got = self.run_cli("call", "MatchingService/GetMatch",
                           json.dumps({"pool": "cli2", "match_id": one["id"]}))
        self.assertEqual(got.returncode, 0, got.stderr)
        self.assertEqual(json.loads(got.stdout)["match"]["mentee_id"], one["mentee_id"])
        stats = self.run_cli("stats", "--pool", "cli2", json_out=True)
        self.assertEqual(int(json.loads(stats.stdout)["mentees_matched"]), len(proposed))
        rec = self.run_cli("explain", "--pool", "cli2", "--mentee", one["mentee_id"],
                           "--mentor", one["mentor_id"])
        self.assertIn("acceptable: yes", rec.stdout)

    CSV = (
        'id,roles,triggers,interests,recovery_stage,availability,time_zone,'
        'languages,modalities,mentor_capacity,screened,region,blocked\n'
        'c-1,MENTOR;facilitator,"crowds; phone-calls",chess,5,'
        '"MONDAY 18:00-21:00; sat 10:00-13:00",Europe/Berlin,de;en,video,2,yes,,c-2\n'
        '\n'
        'c-2,ROLE_MENTEE,"a-tag; b-tag",,2,wed 17:00-24:00,UTC,en,'
        'MODALITY_IN_PERSON,,true,"Berlin, ""Mitte""",\n'           # line 4
        'c-3,MENTEE,x,,two,,UTC,en,video,,,"two\nlines",\n'          # lines 5-6
        'c-4,MENTEE,x,,2,funday 1:00-2:00,UTC,en,video,,,,\n'        # line 7
        'c-5,WIZARD,x,,2,,UTC,en,video,,,,\n'                        # line 8
        'c-6,MENTEE,x,,7,,UTC,en,video,,,,\n')                       # line 9

    def test_import_csv(self):
        path = os.path.join(self.tmp, "members.csv")
        with open(path, "w") as f:
            f.write(self.CSV)
        r = self.run_cli("members", "import", "--pool", "csv", path)
        self.assertEqual(r.returncode, 4, r.stderr)
        self.assertIn("imported 2, rejected 4", r.stdout)
        for line, why in [(5, "recoveryStage: not an integer"),
                          (7, "funday"), (8, "ROLE_WIZARD"),
                          (9, "recovery_stage")]:
            self.assertIn(f"line {line}: ", r.stderr)
            self.assertIn(why, r.stderr)
        got = self.run_cli("members", "get", "--pool", "csv", "c-1", json_out=True)
        self.assertEqual(got.returncode, 0, got.stderr)
        m = json.loads(got.stdout)
        self.assertEqual(m["roles"], ["ROLE_MENTOR", "ROLE_FACILITATOR"])
        self.assertEqual(m["triggers"], ["crowds", "phone-calls"])
        self.assertEqual(m["interests"], ["chess"])
        self.assertEqual(m["recovery_stage"], 5)
        self.assertEqual(m["availability"], [
            {"day": "MONDAY", "start_minute": 18 * 60, "end_minute": 21 * 60},
            {"day": "SATURDAY", "start_minute": 10 * 60, "end_minute": 13 * 60}])
        self.assertEqual(m["time_zone"], "Europe/Berlin")
        self.assertEqual(m["languages"], ["de", "en"])
        self.assertEqual(m["modalities"], ["MODALITY_VIDEO"])
        self.assertEqual(m["mentor_capacity"], 2)
        self.assertTrue(m["screened"])
        self.assertEqual(m["blocked"], ["c-2"])
        got = self.run_cli("members", "get", "--pool", "csv", "c-2", json_out=True)
        m = json.loads(got.stdout)
        self.assertEqual(m["triggers"], ["a-tag", "b-tag"])
        self.assertEqual(m["region"], 'Berlin, "Mitte"')
        self.assertEqual(m["availability"], [
            {"day": "WEDNESDAY", "start_minute": 17 * 60, "end_minute": 24 * 60}])
        self.assertNotIn("interests", m)

        # A header that cannot be used sends nothing: exit 2.
        bad = os.path.join(self.tmp, "bad.csv")
        with open(bad, "w") as f:
            f.write("id,roles,version\nz-1,MENTEE,3\n")
        r = self.run_cli("members", "import", "--pool", "csv-bad", bad)
        self.assertEqual(r.returncode, 2)
        self.assertIn('"version" is not an importable Member field', r.stderr)
        listed = self.run_cli("members", "list", "--pool", "csv-bad", json_out=True)
        self.assertEqual(listed.stdout.strip(), "")

    def test_match_run_wait_and_regroup_run_as_jobs(self):
        members = cohort(seed=8, mentees=12, mentors=6)
        path = os.path.join(self.tmp, "m3.jsonl")
        with open(path, "w") as f:
            for m in members:
                f.write(json_format.MessageToJson(m, indent=None) + "\n")
        self.assertEqual(self.run_cli("members", "import", "--pool", "cli-jobs",
                                      path).returncode, 0)
        r = self.run_cli("match", "run", "--pool", "cli-jobs", "--wait", json_out=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        job = json.loads(r.stdout.strip().splitlines()[-1])
        self.assertEqual(job["kind"], "JOB_KIND_MENTOR_MATCHING")
        self.assertEqual(job["state"], "JOB_STATE_SUCCEEDED")
        self.assertGreater(job["result"]["matching"]["matched"], 0)
        r = self.run_cli("regroup", "--pool", "cli-jobs", json_out=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        job = json.loads(r.stdout.strip().splitlines()[-1])
        self.assertEqual(job["kind"], "JOB_KIND_GROUPS")
        self.assertEqual(job["state"], "JOB_STATE_SUCCEEDED")
        # Exit 3 when the job fails: a pool whose members were all deleted
        # has nobody to match.
        one = json_format.MessageToJson(members[0], indent=None)
        self.assertEqual(self.run_cli("members", "upsert", "--pool", "cli-empty",
                                      one).returncode, 0)
        self.assertEqual(self.run_cli("members", "delete", "--pool", "cli-empty",
                                      members[0].id).returncode, 0)
        r = self.run_cli("match", "run", "--pool", "cli-empty", "--wait")
        self.assertEqual(r.returncode, 3, r.stderr)
        self.assertIn("FAILED", r.stdout)
        # A pool nobody created: the call itself fails (exit 1).
        r = self.run_cli("regroup", "--pool", "cli-never")
        self.assertEqual(r.returncode, 1)
        self.assertIn("NOT_FOUND", r.stderr)

    def test_errors_and_usage(self):
        r = self.run_cli("members", "get", "--pool", "cli", "nobody")
        self.assertEqual(r.returncode, 1)
        self.assertIn("NOT_FOUND", r.stderr)
        r = self.run_cli("settings", "update", "--pool", "cli", '{"session_minutes": 100}')
        self.assertEqual(r.returncode, 1)
        self.assertIn("settings.session_minutes", r.stderr)
        r = self.run_cli("settings", "update", "--pool", "cli", '{"no_such_field": 1}')
        self.assertEqual(r.returncode, 2)
        self.assertEqual(r.stdout, "")
        r = self.run_cli("frobnicate")
        self.assertEqual(r.returncode, 2)
        r = self.run_cli("call", "NoService/Nope", "{}")
        self.assertEqual(r.returncode, 2)


if __name__ == "__main__":
    unittest.main()
