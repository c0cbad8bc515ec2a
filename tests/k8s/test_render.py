"""Every shipped kustomization renders, with the objects SPEC §10 asks for."""

import collections
import os
import shutil
import tempfile
import unittest

import k8s_support as k

BASE_KINDS = {
    "ServiceAccount": 1, "ConfigMap": 2, "Secret": 1, "Service": 1,
    "Deployment": 1, "HorizontalPodAutoscaler": 1, "PodDisruptionBudget": 1,
    "NetworkPolicy": 2, "CronJob": 1,
}


def kinds(docs):
    return dict(collections.Counter(d["kind"] for d in docs))


class RenderTest(unittest.TestCase):

    def test_base_renders_the_spec_objects(self):
        self.assertEqual(kinds(k.render("base")), BASE_KINDS)

    def test_dev_adds_namespace_and_redis(self):
        docs = k.render("dev")
        want = dict(BASE_KINDS, Namespace=1, StatefulSet=1, NetworkPolicy=3,
                    Service=3)
        self.assertEqual(kinds(docs), want)
        for d in docs:
            if d["kind"] != "Namespace":
                self.assertEqual(d["metadata"].get("namespace"),
                                 "peermatch-dev", d["kind"])

    def test_production_has_no_redis_and_no_secret(self):
        docs = k.render("production")
        want = dict(BASE_KINDS, Namespace=1)
        del want["Secret"]
        self.assertEqual(kinds(docs), want)

    def test_auth_component_renders_on_every_target(self):
        for target in k.TARGETS:
            with self.subTest(target=target):
                plain = kinds(k.render(target))
                self.assertEqual(kinds(k.render(target, ["auth"])), plain)

    def test_broken_kustomization_fails_to_render(self):
        # The render check can fail: a copy of the base naming a missing file.
        with tempfile.TemporaryDirectory() as tmp:
            copy = os.path.join(tmp, "base")
            shutil.copytree(os.path.join(k.K8S_DIR, "base"), copy)
            os.remove(os.path.join(copy, "hpa.yaml"))
            with self.assertRaises(k.RenderError):
                k.render_dir(copy)


if __name__ == "__main__":
    unittest.main()
