"""The rendered manifests validate, offline, against the Kubernetes schemas
(kubernetes-models' validators, compiled from the Kubernetes OpenAPI), and
strictly: no field the schema does not know."""

import unittest

import k8s_support as k


class SchemaTest(unittest.TestCase):

    def test_every_rendering_is_valid(self):
        for target in k.TARGETS:
            for components in ((), ("auth",)):
                with self.subTest(target=target, components=components):
                    docs = k.render(target, components)
                    self.assertEqual(k.schema_problems(docs), [])

    def test_flags_wrong_types(self):
        docs = k.render("base")
        c = k.container(k.find(docs, "Deployment", "peermatchd"), "peermatchd")
        c["ports"][0]["containerPort"] = "50051"
        problems = k.schema_problems(docs)
        self.assertTrue(any("Deployment/peermatchd: /spec/template/spec/"
                            "containers/0/ports/0/containerPort: must be "
                            "integer" in p for p in problems), problems)

    def test_flags_bad_quantities_and_enums(self):
        docs = k.render("dev")
        sts = k.find(docs, "StatefulSet", "redis")
        sts["spec"]["volumeClaimTemplates"][0]["spec"]["resources"][
            "requests"]["storage"] = "1 gigabyte"
        svc = k.find(docs, "Service", "redis")
        svc["spec"]["ports"][0]["protocol"] = "QUIC"
        problems = "\n".join(k.schema_problems(docs))
        self.assertIn("StatefulSet/redis: /spec/volumeClaimTemplates/0/spec/"
                      "resources/requests/storage: must match format "
                      "\"quantity\"", problems)
        self.assertIn("Service/redis: /spec/ports/0/protocol: must be equal "
                      "to one of the allowed values", problems)

    def test_flags_missing_required_fields(self):
        docs = k.render("base")
        del k.find(docs, "HorizontalPodAutoscaler")["spec"]["scaleTargetRef"]
        problems = k.schema_problems(docs)
        self.assertTrue(any("HorizontalPodAutoscaler/peermatchd" in p and
                            "scaleTargetRef" in p for p in problems), problems)

    def test_flags_unknown_fields(self):
        docs = k.render("production")
        c = k.container(k.find(docs, "Deployment"), "peermatchd")
        c["readinessProbes"] = c.pop("readinessProbe")
        k.find(docs, "CronJob")["spec"]["concurencyPolicy"] = "Forbid"
        problems = k.schema_problems(docs)
        self.assertIn("Deployment/peermatchd: /spec/template/spec/containers/"
                      "0/readinessProbes: unknown field", problems)
        self.assertIn("CronJob/peermatch-regroup: /spec/concurencyPolicy: "
                      "unknown field", problems)

    def test_maps_are_not_unknown_fields(self):
        # Labels, annotations and ConfigMap data are maps: any key is fine.
        docs = k.render("base")
        d = k.find(docs, "Deployment")
        d["metadata"]["labels"]["example.com/anything"] = "x"
        d["spec"]["template"]["metadata"]["annotations"]["y"] = "z"
        k.find_all(docs, "ConfigMap")[0]["data"]["NEW_KEY"] = "v"
        self.assertEqual(k.schema_problems(docs), [])

    def test_flags_kinds_without_a_schema(self):
        docs = k.render("base") + [{
            "apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor",
            "metadata": {"name": "peermatchd"}}]
        self.assertEqual(k.schema_problems(docs), [
            "ServiceMonitor/peermatchd: no schema for apiVersion "
            "monitoring.coreos.com/v1 kind ServiceMonitor"])


if __name__ == "__main__":
    unittest.main()
