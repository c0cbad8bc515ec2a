"""SPEC §10 (R-OPS) and §9 (R-SEC) as the rendered manifests must show them:
the Deployment's probes, shutdown timing and configuration, the headless
Service, HPA, PDB, NetworkPolicy, CronJob, dev Redis and the production
overlay. Checks that could pass vacuously are also run on a mutated copy."""

import glob
import os
import re
import unittest

import k8s_support as k

GRPC_PORT = 50051
METRICS_PORT = 9464
CLI = "/usr/local/bin/peermatch"


def server_flags():
    """Flags peermatchd defines (FlagSet::Define in service/)."""
    names = set()
    for path in glob.glob(os.path.join(k.SOURCE_DIR, "service", "**", "*.cc"),
                          recursive=True):
        with open(path, encoding="utf-8") as f:
            names |= set(re.findall(r'Define\(\s*"([a-z0-9-]+)"', f.read()))
    return names


def cli_env_names():
    """Environment variables the peermatch CLI reads."""
    names = set()
    for path in glob.glob(os.path.join(k.SOURCE_DIR, "cli", "*.cc")):
        with open(path, encoding="utf-8") as f:
            names |= set(re.findall(r'Env\("(PEERMATCH_[A-Z0-9_]+)"', f.read()))
    return names


def config_maps(docs):
    return {d["metadata"]["name"]: d.get("data") or {}
            for d in k.find_all(docs, "ConfigMap")}


def resolved_env(docs, c):
    """The container's environment as the kubelet builds it: envFrom
    ConfigMaps first, then `env` in order with $(VAR) expanded; values from
    Secrets appear as SECRET[NAME.KEY]. Raises on a missing ConfigMap."""
    cms = config_maps(docs)
    env = {}
    for src in c.get("envFrom") or []:
        name = src["configMapRef"]["name"]
        if name not in cms:
            raise AssertionError("envFrom names missing ConfigMap %s" % name)
        env.update(cms[name])
    for e in c.get("env") or []:
        if "value" in e:
            env[e["name"]] = re.sub(
                r"\$\(([A-Za-z0-9_]+)\)",
                lambda m: env.get(m.group(1), m.group(0)), e["value"])
        else:
            ref = e["valueFrom"]
            if "secretKeyRef" in ref:
                s = ref["secretKeyRef"]
                env[e["name"]] = "SECRET[%s.%s]" % (s["name"], s["key"])
            elif "configMapKeyRef" in ref:
                s = ref["configMapKeyRef"]
                env[e["name"]] = cms[s["name"]][s["key"]]
            else:
                env[e["name"]] = "<fieldRef>"
    return env


def server(docs):
    return k.container(k.find(docs, "Deployment", "peermatchd"), "peermatchd")


def env_problems(docs):
    """PEERMATCH_* variables that no flag of peermatchd / the CLI reads (the
    binaries would silently ignore a misspelt name)."""
    flags = {"PEERMATCH_" + f.upper().replace("-", "_") for f in server_flags()}
    out = []
    for name in resolved_env(docs, server(docs)):
        if name.startswith("PEERMATCH_") and name not in flags:
            out.append("peermatchd: %s is not a flag" % name)
    cli = cli_env_names()
    regroup = k.container(k.find(docs, "CronJob"), "regroup")
    for name in resolved_env(docs, regroup):
        if name.startswith("PEERMATCH_") and name not in cli:
            out.append("regroup: %s is not read by the CLI" % name)
    return out


def shutdown_problems(docs):
    """preStop sleep + --grace-period-ms must fit in the pod's
    terminationGracePeriodSeconds, with 5 s to spare for the rest of the
    shutdown (executor, snapshots)."""
    d = k.find(docs, "Deployment", "peermatchd")
    c = server(docs)
    cmd = c["lifecycle"]["preStop"]["exec"]["command"]
    if cmd[0] != "/bin/sleep" or len(cmd) != 2:
        return ["preStop is not /bin/sleep N: %s" % cmd]
    sleep_s = int(cmd[1])
    grace_ms = int(resolved_env(docs, c)["PEERMATCH_GRACE_PERIOD_MS"])
    total = k.pod_spec(d)["terminationGracePeriodSeconds"]
    if sleep_s < 5:
        return ["preStop sleeps %d s: too short for endpoints to drain" %
                sleep_s]
    if sleep_s + grace_ms / 1000 + 5 > total:
        return ["preStop %d s + grace %d ms + 5 s exceeds "
                "terminationGracePeriodSeconds %d" % (sleep_s, grace_ms, total)]
    return []


REDIS_URL = re.compile(
    r"redis://(?P<user>[A-Za-z0-9._~-]*):(?P<password>[^@/,%]+)@"
    r"(?P<seeds>[A-Za-z0-9._-]+:\d+(?:,[A-Za-z0-9._-]+:\d+)*)")


def redis_url(docs):
    return resolved_env(docs, server(docs))["PEERMATCH_REDIS"]


class SpecTest(unittest.TestCase):

    def targets(self):
        return [(target, k.render(target)) for target in k.TARGETS]

    # --- Deployment ------------------------------------------------------

    def test_replicas(self):
        for target, docs in self.targets():
            with self.subTest(target=target):
                d = k.find(docs, "Deployment", "peermatchd")
                self.assertGreaterEqual(d["spec"]["replicas"],
                                        3 if target == "production" else 2)
                hpa = k.find(docs, "HorizontalPodAutoscaler")
                self.assertGreaterEqual(hpa["spec"]["minReplicas"], 2)
                self.assertLessEqual(hpa["spec"]["minReplicas"],
                                     d["spec"]["replicas"])

    def test_native_grpc_probes_without_tls(self):
        for target in ("base", "dev"):
            c = server(k.render(target))
            for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
                with self.subTest(target=target, probe=probe):
                    # Liveness asks the Redis-independent health name, so a
                    # Redis outage does not restart pods (service/api/server.h).
                    name = ("peermatch.liveness" if probe == "livenessProbe"
                            else "")
                    self.assertEqual(c[probe]["grpc"],
                                     {"port": GRPC_PORT, "service": name})
                    self.assertEqual(set(c[probe]) & {"exec", "httpGet",
                                                      "tcpSocket"}, set())

    def test_production_probes_use_the_cli_over_tls(self):
        docs = k.render("production")
        c = server(docs)
        env = resolved_env(docs, c)
        mounts = {m["name"]: m for m in c["volumeMounts"]}
        volumes = {v["name"]: v for v in k.pod_spec(
            k.find(docs, "Deployment"))["volumes"]}
        tls = mounts["tls"]
        self.assertTrue(tls["readOnly"])
        self.assertEqual(volumes["tls"]["secret"]["secretName"],
                         "peermatchd-tls")
        for flag in ("PEERMATCH_TLS_CERT", "PEERMATCH_TLS_KEY"):
            self.assertTrue(env[flag].startswith(tls["mountPath"] + "/"), flag)
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            with self.subTest(probe=probe):
                self.assertNotIn("grpc", c[probe])
                cmd = c[probe]["exec"]["command"]
                if probe == "livenessProbe":
                    self.assertEqual(cmd[-3:], ["health", "--service",
                                                "peermatch.liveness"])
                    cmd = cmd[:-2]
                self.assertEqual((cmd[0], cmd[-1]), (CLI, "health"))
                self.assertEqual(cmd[cmd.index("--target") + 1],
                                 "localhost:%d" % GRPC_PORT)
                ca = cmd[cmd.index("--tls-ca") + 1]
                self.assertEqual(os.path.dirname(ca), tls["mountPath"])
                # The CLI's own deadline ends before the kubelet gives up.
                deadline_ms = int(cmd[cmd.index("--deadline-ms") + 1])
                self.assertLess(deadline_ms, c[probe]["timeoutSeconds"] * 1000)

    def test_security_context(self):
        for target, docs in self.targets():
            with self.subTest(target=target):
                d = k.find(docs, "Deployment", "peermatchd")
                spec = k.pod_spec(d)
                self.assertIs(spec["automountServiceAccountToken"], False)
                self.assertEqual(spec["serviceAccountName"], "peermatchd")
                sc = server(docs)["securityContext"]
                self.assertEqual(sc["runAsUser"], 65532)
                self.assertIs(sc["runAsNonRoot"], True)
                self.assertIs(sc["readOnlyRootFilesystem"], True)
                self.assertIs(sc["allowPrivilegeEscalation"], False)
                self.assertEqual(sc["capabilities"], {"drop": ["ALL"]})
                self.assertEqual(sc["seccompProfile"],
                                 {"type": "RuntimeDefault"})

    def test_topology_spread_over_zones_and_nodes(self):
        for target, docs in self.targets():
            with self.subTest(target=target):
                d = k.find(docs, "Deployment", "peermatchd")
                labels = d["spec"]["template"]["metadata"]["labels"]
                spread = k.pod_spec(d)["topologySpreadConstraints"]
                self.assertEqual({t["topologyKey"] for t in spread},
                                 {"topology.kubernetes.io/zone",
                                  "kubernetes.io/hostname"})
                for t in spread:
                    for key, value in t["labelSelector"]["matchLabels"].items():
                        self.assertEqual(labels[key], value)

    def test_shutdown_fits_the_termination_grace_period(self):
        for target, docs in self.targets():
            with self.subTest(target=target):
                self.assertEqual(shutdown_problems(docs), [])

    def test_shutdown_check_flags_a_grace_period_that_does_not_fit(self):
        docs = k.render("base")
        for cm in k.find_all(docs, "ConfigMap"):
            if "PEERMATCH_GRACE_PERIOD_MS" in cm.get("data", {}):
                cm["data"]["PEERMATCH_GRACE_PERIOD_MS"] = "40000"
        self.assertEqual(shutdown_problems(docs), [
            "preStop 10 s + grace 40000 ms + 5 s exceeds "
            "terminationGracePeriodSeconds 45"])

    def test_ports_and_listen_addresses_agree(self):
        for target, docs in self.targets():
            with self.subTest(target=target):
                c = server(docs)
                ports = {p["name"]: p["containerPort"] for p in c["ports"]}
                self.assertEqual(ports, {"grpc": GRPC_PORT,
                                         "metrics": METRICS_PORT})
                env = resolved_env(docs, c)
                self.assertEqual(env["PEERMATCH_LISTEN"],
                                 "0.0.0.0:%d" % GRPC_PORT)
                self.assertEqual(env["PEERMATCH_METRICS_LISTEN"],
                                 "0.0.0.0:%d" % METRICS_PORT)

    # --- configuration ---------------------------------------------------

    def test_every_peermatch_variable_is_a_flag(self):
        self.assertIn("grace-period-ms", server_flags())
        self.assertIn("PEERMATCH_TARGET", cli_env_names())
        for target, docs in self.targets():
            with self.subTest(target=target):
                self.assertEqual(env_problems(docs), [])
                for components in (("auth",),):
                    self.assertEqual(env_problems(k.render(target, components)),
                                     [])

    def test_env_check_flags_misspelt_names(self):
        docs = k.render("base")
        server(docs)["env"].append({"name": "PEERMATCH_GRACE_PERIOD",
                                    "value": "1"})
        k.container(k.find(docs, "CronJob"), "regroup").setdefault(
            "env", []).append({"name": "PEERMATCH_TLS_CERT", "value": "x"})
        self.assertEqual(env_problems(docs), [
            "peermatchd: PEERMATCH_GRACE_PERIOD is not a flag",
            "regroup: PEERMATCH_TLS_CERT is not read by the CLI"])

    def test_redis_url_is_composed_from_the_secret(self):
        for target, docs in self.targets():
            with self.subTest(target=target):
                url = redis_url(docs)
                m = REDIS_URL.fullmatch(url)
                self.assertIsNotNone(m, url)
                self.assertEqual(m.group("password"),
                                 "SECRET[peermatch-redis.password]")
                for cm in k.find_all(docs, "ConfigMap"):
                    for key, value in cm.get("data", {}).items():
                        self.assertNotRegex(key, "PASSWORD|TOKEN")
                        self.assertNotIn("@", value, key)

    def test_redis_url_check_flags_an_undefined_variable(self):
        docs = k.render("base")
        for cm in k.find_all(docs, "ConfigMap"):
            cm.get("data", {}).pop("REDIS_SEEDS", None)
        self.assertIsNone(REDIS_URL.fullmatch(redis_url(docs)))

    def test_modes_and_seeds(self):
        dev, prod = k.render("dev"), k.render("production")
        dev_env = resolved_env(dev, server(dev))
        self.assertEqual(dev_env["PEERMATCH_REDIS_MODE"], "standalone")
        redis_svc = k.find(dev, "Service", "redis")
        self.assertEqual(dev_env["REDIS_SEEDS"], "redis:%d" %
                         redis_svc["spec"]["ports"][0]["port"])
        prod_env = resolved_env(prod, server(prod))
        self.assertEqual(prod_env["PEERMATCH_REDIS_MODE"], "cluster")
        self.assertGreaterEqual(len(prod_env["REDIS_SEEDS"].split(",")), 2)

    def test_tokens_only_with_the_auth_component(self):
        for target, docs in self.targets():
            with self.subTest(target=target):
                c = server(docs)
                if target == "production":  # includes the component itself
                    self.assertIn("PEERMATCH_TOKEN_FILE", resolved_env(docs, c))
                else:
                    self.assertNotIn("PEERMATCH_TOKEN_FILE",
                                     resolved_env(docs, c))
                    self.assertNotIn("tokens", {m["name"] for m in
                                                c.get("volumeMounts", [])})
                docs = k.render(target, ["auth"])
                c = server(docs)
                path = resolved_env(docs, c)["PEERMATCH_TOKEN_FILE"]
                [mount] = [m for m in c["volumeMounts"]
                           if m["name"] == "tokens"]
                self.assertTrue(mount["readOnly"])
                self.assertNotIn("subPath", mount)  # rotations must propagate
                volume = [v for v in k.pod_spec(k.find(docs, "Deployment"))[
                    "volumes"] if v["name"] == "tokens"][0]["secret"]
                key = os.path.relpath(path, mount["mountPath"])
                self.assertIn({"key": "tokens", "path": key}, volume["items"])
                regroup = k.container(k.find(docs, "CronJob"), "regroup")
                self.assertEqual(resolved_env(docs, regroup)["PEERMATCH_TOKEN"],
                                 "SECRET[peermatch-regroup-token.token]")

    # --- Service, HPA, PDB, NetworkPolicy, ServiceAccount -----------------

    def test_headless_service(self):
        for target, docs in self.targets():
            with self.subTest(target=target):
                svc = k.find(docs, "Service", "peermatchd")
                self.assertEqual(svc["spec"]["clusterIP"], "None")
                self.assertEqual(
                    {(p["name"], p["port"], p["targetPort"])
                     for p in svc["spec"]["ports"]},
                    {("grpc", GRPC_PORT, "grpc"),
                     ("metrics", METRICS_PORT, "metrics")})
                labels = k.find(docs, "Deployment")["spec"]["template"][
                    "metadata"]["labels"]
                for key, value in svc["spec"]["selector"].items():
                    self.assertEqual(labels[key], value)

    def test_hpa_and_pdb(self):
        for target, docs in self.targets():
            with self.subTest(target=target):
                hpa = k.find(docs, "HorizontalPodAutoscaler")
                self.assertEqual(hpa["apiVersion"], "autoscaling/v2")
                self.assertEqual(hpa["spec"]["scaleTargetRef"],
                                 {"apiVersion": "apps/v1", "kind": "Deployment",
                                  "name": "peermatchd"})
                [metric] = hpa["spec"]["metrics"]
                self.assertEqual(metric["resource"]["name"], "cpu")
                self.assertGreater(hpa["spec"]["maxReplicas"],
                                   hpa["spec"]["minReplicas"])
                pdb = k.find(docs, "PodDisruptionBudget")
                self.assertEqual(pdb["apiVersion"], "policy/v1")
                self.assertGreaterEqual(pdb["spec"]["minAvailable"], 1)
                self.assertLess(pdb["spec"]["minAvailable"],
                                hpa["spec"]["minReplicas"])
                labels = k.find(docs, "Deployment")["spec"]["template"][
                    "metadata"]["labels"]
                selector = pdb["spec"]["selector"]["matchLabels"]
                for key, value in selector.items():
                    self.assertEqual(labels[key], value)

    def test_network_policy(self):
        for target, docs in self.targets():
            with self.subTest(target=target):
                np = k.find(docs, "NetworkPolicy", "peermatchd")
                self.assertEqual(set(np["spec"]["policyTypes"]),
                                 {"Ingress", "Egress"})
                ingress_ports = {(r["ports"][0]["port"]) for r in
                                 np["spec"]["ingress"]}
                self.assertEqual(ingress_ports, {GRPC_PORT, METRICS_PORT})
                for rule in np["spec"]["ingress"]:
                    self.assertEqual(len(rule["ports"]), 1)
                    if rule["ports"][0]["port"] == METRICS_PORT:
                        self.assertEqual(rule["from"], [{"namespaceSelector": {
                            "matchLabels": {"kubernetes.io/metadata.name":
                                            "monitoring"}}}])
                egress_ports = sorted(p["port"] for r in np["spec"]["egress"]
                                      for p in r["ports"])
                self.assertEqual(egress_ports, [53, 53, 6379])
                # The regroup job's pods are admitted to the gRPC port.
                job_labels = k.find(docs, "CronJob")["spec"]["jobTemplate"][
                    "spec"]["template"]["metadata"]["labels"]
                grpc_rule = [r for r in np["spec"]["ingress"]
                             if r["ports"][0]["port"] == GRPC_PORT][0]
                self.assertTrue(any(
                    set(peer) == {"podSelector"} and
                    all(job_labels.get(key) == value for key, value in
                        peer["podSelector"]["matchLabels"].items())
                    for peer in grpc_rule["from"]))

    def test_dev_redis_is_reachable_and_production_redis_is_external(self):
        dev = k.render("dev")
        np = k.find(dev, "NetworkPolicy", "peermatchd")
        redis_labels = k.find(dev, "StatefulSet")["spec"]["template"][
            "metadata"]["labels"]
        [rule] = [r for r in np["spec"]["egress"]
                  if r["ports"][0]["port"] == 6379]
        for key, value in rule["to"][0]["podSelector"]["matchLabels"].items():
            self.assertEqual(redis_labels[key], value)
        prod = k.find(k.render("production"), "NetworkPolicy", "peermatchd")
        [rule] = [r for r in prod["spec"]["egress"]
                  if r["ports"][0]["port"] == 6379]
        self.assertEqual(list(rule["to"][0]), ["ipBlock"])

    def test_service_account(self):
        for target, docs in self.targets():
            with self.subTest(target=target):
                sa = k.find(docs, "ServiceAccount", "peermatchd")
                self.assertIs(sa["automountServiceAccountToken"], False)

    # --- CronJob ---------------------------------------------------------

    def test_cronjob_runs_the_regroup_with_the_cli(self):
        for target, docs in self.targets():
            with self.subTest(target=target):
                cj = k.find(docs, "CronJob", "peermatch-regroup")
                self.assertEqual(cj["spec"]["concurrencyPolicy"], "Forbid")
                c = k.container(cj, "regroup")
                self.assertEqual(c["command"], [CLI])
                env = resolved_env(docs, c)
                args = [re.sub(r"\$\((\w+)\)", lambda m: env[m.group(1)], a)
                        for a in c["args"]]
                self.assertEqual(args, ["jobs", "start", "--pool",
                                        env["REGROUP_POOL"], "--kind", "GROUPS",
                                        "--wait"])
                self.assertNotEqual(env["REGROUP_POOL"], "")
                self.assertEqual(c["image"], server(docs)["image"])
                self.assertEqual(env["PEERMATCH_TARGET"],
                                 "peermatchd:%d" % GRPC_PORT)
                self.assertIs(
                    c["securityContext"]["readOnlyRootFilesystem"], True)
                if target == "production":
                    self.assertEqual(env["PEERMATCH_TLS_CA"],
                                     "/etc/peermatch/tls/ca.crt")
                    [vol] = [v for v in k.pod_spec(cj)["volumes"]]
                    # Only the CA is projected, never the server's key.
                    self.assertEqual(vol["secret"]["items"],
                                     [{"key": "ca.crt", "path": "ca.crt"}])

    # --- dev Redis ---------------------------------------------------------

    def test_dev_redis_statefulset(self):
        docs = k.render("dev")
        sts = k.find(docs, "StatefulSet", "redis")
        c = k.container(sts, "redis")
        self.assertRegex(c["image"], r"^redis:7(\.|-|$)")
        args = c["args"]
        self.assertEqual(args[args.index("--appendonly") + 1], "yes")
        self.assertEqual(args[args.index("--maxmemory-policy") + 1],
                         "noeviction")
        env = resolved_env(docs, c)
        password = args[args.index("--requirepass") + 1]
        self.assertEqual(re.sub(r"\$\((\w+)\)", lambda m: env[m.group(1)],
                                password),
                         "SECRET[peermatch-redis.password]")
        [claim] = sts["spec"]["volumeClaimTemplates"]
        [mount] = [m for m in c["volumeMounts"]
                   if m["name"] == claim["metadata"]["name"]]
        self.assertEqual(mount["mountPath"], args[args.index("--dir") + 1])
        self.assertEqual(sts["spec"]["serviceName"], "redis-headless")
        self.assertEqual(k.find(docs, "Service", "redis-headless")["spec"][
            "clusterIP"], "None")
        for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
            self.assertIn(probe, c)

    # --- namespaces --------------------------------------------------------

    def test_overlay_namespaces_enforce_restricted_pod_security(self):
        for target in ("dev", "production"):
            ns = k.find(k.render(target), "Namespace")
            self.assertEqual(ns["metadata"]["labels"][
                "pod-security.kubernetes.io/enforce"], "restricted")


if __name__ == "__main__":
    unittest.main()
