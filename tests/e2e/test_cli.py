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
