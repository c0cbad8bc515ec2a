"""Policy holds on every rendering (SPEC §10: probes, resources, non-root),
and every rule of policy_check.py can fail: each test mutates a copy of a
rendered manifest and expects the checker to name the problem."""

import base64
import subprocess
import sys
import unittest

import yaml

import k8s_support as k
import policy_check


class PolicyTest(unittest.TestCase):

    def assertFlags(self, docs, expected):
        found = policy_check.violations(docs)
        self.assertIn(expected, found)

    def test_every_rendering_passes(self):
        for target in k.TARGETS:
            for components in ((), ("auth",)):
                with self.subTest(target=target, components=components):
                    docs = k.render(target, components)
                    self.assertEqual(policy_check.violations(docs), [])

    def test_command_line_reads_yaml_and_exits_nonzero(self):
        docs = k.render("dev")
        del k.container(k.find(docs, "StatefulSet"), "redis")["livenessProbe"]
        proc = subprocess.run(
            [sys.executable, policy_check.__file__],
            input=yaml.safe_dump_all(docs), capture_output=True, text=True)
        self.assertEqual(proc.returncode, 1)
        self.assertEqual(
            proc.stdout,
            "StatefulSet/redis container redis: no livenessProbe\n")
        ok = subprocess.run([sys.executable, policy_check.__file__],
                            input=yaml.safe_dump_all(k.render("dev")),
                            capture_output=True, text=True)
        self.assertEqual((ok.returncode, ok.stdout), (0, ""))

    def test_flags_missing_probes(self):
        docs = k.render("base")
        del k.container(k.find(docs, "Deployment"),
                        "peermatchd")["readinessProbe"]
        self.assertFlags(docs, "Deployment/peermatchd container peermatchd: "
                         "no readinessProbe")

    def test_cronjob_containers_need_no_probes(self):
        docs = k.render("base")
        c = k.container(k.find(docs, "CronJob"), "regroup")
        self.assertNotIn("livenessProbe", c)
        self.assertNotIn("readinessProbe", c)
        self.assertEqual(policy_check.violations(docs), [])

    def test_flags_missing_resources(self):
        docs = k.render("dev")
        del k.container(k.find(docs, "StatefulSet"),
                        "redis")["resources"]["limits"]["memory"]
        del k.container(k.find(docs, "CronJob"), "regroup")["resources"][
            "requests"]
        found = policy_check.violations(docs)
        self.assertIn("StatefulSet/redis container redis: no "
                      "resources.limits.memory", found)
        self.assertIn("CronJob/peermatch-regroup container regroup: no "
                      "resources.requests.cpu", found)

    def test_flags_root_user(self):
        docs = k.render("base")
        k.container(k.find(docs, "CronJob"),
                    "regroup")["securityContext"]["runAsUser"] = 0
        self.assertFlags(docs, "CronJob/peermatch-regroup container regroup: "
                         "runAsUser must be an explicit non-zero uid, got 0")

    def test_flags_missing_user_and_run_as_non_root(self):
        docs = k.render("base")
        d = k.find(docs, "Deployment")
        del k.pod_spec(d)["securityContext"]["runAsUser"]
        sc = k.container(d, "peermatchd")["securityContext"]
        del sc["runAsUser"]
        sc["runAsNonRoot"] = False
        found = policy_check.violations(docs)
        self.assertIn("Deployment/peermatchd container peermatchd: runAsUser "
                      "must be an explicit non-zero uid, got None", found)
        self.assertIn("Deployment/peermatchd container peermatchd: "
                      "runAsNonRoot is not true", found)

    def test_pod_level_settings_count(self):
        # A container inherits runAsNonRoot/runAsUser from the pod.
        docs = k.render("base")
        d = k.find(docs, "Deployment")
        sc = k.container(d, "peermatchd")["securityContext"]
        del sc["runAsUser"], sc["runAsNonRoot"]
        self.assertEqual(policy_check.violations(docs), [])
        k.pod_spec(d)["securityContext"]["runAsUser"] = 0
        self.assertFlags(docs, "Deployment/peermatchd container peermatchd: "
                         "runAsUser must be an explicit non-zero uid, got 0")

    def test_flags_writable_root_filesystem(self):
        docs = k.render("dev")
        k.container(k.find(docs, "StatefulSet"), "redis")["securityContext"][
            "readOnlyRootFilesystem"] = False
        self.assertFlags(docs, "StatefulSet/redis container redis: "
                         "readOnlyRootFilesystem is not true")

    def test_flags_added_capabilities(self):
        docs = k.render("base")
        k.container(k.find(docs, "Deployment"), "peermatchd")[
            "securityContext"]["capabilities"]["add"] = ["NET_ADMIN"]
        self.assertFlags(docs, "Deployment/peermatchd container peermatchd: "
                         "adds capabilities ['NET_ADMIN']")

    def test_flags_capabilities_not_dropped(self):
        docs = k.render("base")
        del k.container(k.find(docs, "Deployment"), "peermatchd")[
            "securityContext"]["capabilities"]
        self.assertFlags(docs, "Deployment/peermatchd container peermatchd: "
                         "capabilities do not drop ALL")

    def test_flags_privilege_escalation_and_privileged(self):
        docs = k.render("base")
        sc = k.container(k.find(docs, "Deployment"),
                         "peermatchd")["securityContext"]
        sc["allowPrivilegeEscalation"] = True
        sc["privileged"] = True
        found = policy_check.violations(docs)
        self.assertIn("Deployment/peermatchd container peermatchd: "
                      "allowPrivilegeEscalation is not false", found)
        self.assertIn("Deployment/peermatchd container peermatchd: "
                      "privileged", found)

    def test_flags_unconfined_seccomp(self):
        docs = k.render("base")
        d = k.find(docs, "Deployment")
        k.pod_spec(d)["securityContext"]["seccompProfile"]["type"] = \
            "Unconfined"
        del k.container(d, "peermatchd")["securityContext"]["seccompProfile"]
        self.assertFlags(docs, "Deployment/peermatchd container peermatchd: "
                         "seccompProfile is 'Unconfined', not RuntimeDefault")

    def test_flags_unpinned_images(self):
        docs = k.render("dev")
        k.container(k.find(docs, "StatefulSet"), "redis")["image"] = \
            "redis:latest"
        k.container(k.find(docs, "Deployment"), "peermatchd")["image"] = \
            "registry.example.com:5000/peermatchd"
        found = policy_check.violations(docs)
        self.assertIn("StatefulSet/redis container redis: image "
                      "'redis:latest' has no pinned tag", found)
        self.assertIn("Deployment/peermatchd container peermatchd: image "
                      "'registry.example.com:5000/peermatchd' has no pinned "
                      "tag", found)

    def test_flags_init_containers(self):
        docs = k.render("base")
        spec = k.pod_spec(k.find(docs, "Deployment"))
        spec["initContainers"] = [{"name": "setup", "image": "busybox:1.36"}]
        found = policy_check.violations(docs)
        self.assertIn("Deployment/peermatchd initContainer setup: no "
                      "resources.limits.cpu", found)
        self.assertNotIn("Deployment/peermatchd initContainer setup: no "
                         "livenessProbe", found)

    def test_flags_host_namespaces_and_host_paths(self):
        docs = k.render("dev")
        spec = k.pod_spec(k.find(docs, "StatefulSet"))
        spec["hostNetwork"] = True
        spec.setdefault("volumes", []).append(
            {"name": "host", "hostPath": {"path": "/"}})
        found = policy_check.violations(docs)
        self.assertIn("StatefulSet/redis: hostNetwork is true", found)
        self.assertIn("StatefulSet/redis: hostPath volume host", found)

    def test_flags_mounted_service_account_tokens(self):
        docs = k.render("base")
        del k.pod_spec(k.find(docs, "CronJob"))["automountServiceAccountToken"]
        k.find(docs, "ServiceAccount")["automountServiceAccountToken"] = True
        found = policy_check.violations(docs)
        self.assertIn("CronJob/peermatch-regroup: automountServiceAccountToken "
                      "is not false", found)
        self.assertIn("ServiceAccount/peermatchd: automountServiceAccountToken "
                      "is not false", found)

    def test_flags_real_looking_secret_values(self):
        docs = k.render("base")
        secret = k.find(docs, "Secret", "peermatch-redis")
        secret["stringData"]["password"] = "hunter2"
        secret["data"] = {
            "tls.key": base64.b64encode(
                b"-----BEGIN PRIVATE KEY-----").decode(),
            "ok": base64.b64encode(b"REPLACE_ME_TOO").decode(),
            "garbage": "not base64!",
        }
        found = policy_check.violations(docs)
        self.assertEqual(found, [
            "Secret/peermatch-redis: stringData.password is not a REPLACE_ME "
            "placeholder",
            "Secret/peermatch-redis: data.tls.key is not a REPLACE_ME "
            "placeholder",
            "Secret/peermatch-redis: data.garbage is not a REPLACE_ME "
            "placeholder",
        ])


if __name__ == "__main__":
    unittest.main()
