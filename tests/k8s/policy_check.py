#!/usr/bin/python3
"""Policy check of rendered Kubernetes manifests (SPEC §10 R-OPS, §9 R-SEC).

    kubectl kustomize k8s/overlays/dev | tests/k8s/policy_check.py

Reads YAML documents (files named on the command line, or stdin) and prints
one line per violation, `Kind/name ...: what is wrong`; exits 1 when there is
any, 0 otherwise. As a module: `violations(docs)` returns the same lines.

Every container of every workload (Deployment, StatefulSet, DaemonSet,
ReplicaSet, Pod, Job, CronJob; init containers too) must have:
  - resource requests and limits for cpu and memory;
  - runAsNonRoot true and an explicit non-zero runAsUser (container or pod
    level), and no runAsGroup 0;
  - readOnlyRootFilesystem true, allowPrivilegeEscalation false, not
    privileged, no added capabilities and `drop: [ALL]`;
  - a RuntimeDefault or Localhost seccomp profile;
  - an image with an explicit tag or digest other than `latest`.
Containers of long-running workloads (all but Job and CronJob, whose
containers run to completion and are exempt) also need liveness and readiness
probes; init containers are exempt from probes.
Pods must not share the host's network, PID or IPC namespaces, mount
hostPath volumes, or mount a service-account token; ServiceAccounts must not
automount their token.
Secrets may hold placeholders only: every value of `stringData`, and every
base64-decoded value of `data`, must match REPLACE_ME[A-Z0-9_]*.
"""

import base64
import binascii
import re
import sys

import yaml

WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Pod",
             "Job", "CronJob"}
RUN_TO_COMPLETION = {"Job", "CronJob"}
PLACEHOLDER = re.compile(r"REPLACE_ME[A-Z0-9_]*")
RESOURCE_NAMES = ("cpu", "memory")


def pod_spec(doc):
    """The pod spec of a workload object, or None."""
    kind = doc.get("kind")
    spec = doc.get("spec") or {}
    if kind == "Pod":
        return spec
    if kind == "CronJob":
        spec = ((spec.get("jobTemplate") or {}).get("spec")) or {}
    return ((spec.get("template") or {}).get("spec")) or None


def _name(doc):
    return "%s/%s" % (doc.get("kind"), (doc.get("metadata") or {}).get("name"))


def _container_violations(where, c, pod_sc, needs_probes):
    out = []
    res = c.get("resources") or {}
    for section in ("requests", "limits"):
        for r in RESOURCE_NAMES:
            if (res.get(section) or {}).get(r) in (None, ""):
                out.append("%s: no resources.%s.%s" % (where, section, r))
    if needs_probes:
        for probe in ("livenessProbe", "readinessProbe"):
            if not c.get(probe):
                out.append("%s: no %s" % (where, probe))
    sc = c.get("securityContext") or {}

    def effective(key):
        return sc[key] if key in sc else pod_sc.get(key)

    if effective("runAsNonRoot") is not True:
        out.append("%s: runAsNonRoot is not true" % where)
    user = effective("runAsUser")
    if not isinstance(user, int) or isinstance(user, bool) or user == 0:
        out.append("%s: runAsUser must be an explicit non-zero uid, got %r"
                   % (where, user))
    if effective("runAsGroup") == 0:
        out.append("%s: runAsGroup is 0 (root group)" % where)
    if sc.get("readOnlyRootFilesystem") is not True:
        out.append("%s: readOnlyRootFilesystem is not true" % where)
    if sc.get("allowPrivilegeEscalation") is not False:
        out.append("%s: allowPrivilegeEscalation is not false" % where)
    if sc.get("privileged") is True:
        out.append("%s: privileged" % where)
    caps = sc.get("capabilities") or {}
    if caps.get("add"):
        out.append("%s: adds capabilities %s" % (where, caps["add"]))
    if "ALL" not in (caps.get("drop") or []):
        out.append("%s: capabilities do not drop ALL" % where)
    seccomp = (effective("seccompProfile") or {}).get("type")
    if seccomp not in ("RuntimeDefault", "Localhost"):
        out.append("%s: seccompProfile is %r, not RuntimeDefault" %
                   (where, seccomp))
    image = c.get("image") or ""
    last = image.rsplit("/", 1)[-1]
    if "@" not in last and (":" not in last or last.endswith(":latest")):
        out.append("%s: image %r has no pinned tag" % (where, image))
    return out


def _workload_violations(doc):
    out = []
    spec = pod_spec(doc)
    name = _name(doc)
    if spec is None:
        return ["%s: no pod template" % name]
    pod_sc = spec.get("securityContext") or {}
    for key in ("hostNetwork", "hostPID", "hostIPC"):
        if spec.get(key) is True:
            out.append("%s: %s is true" % (name, key))
    for v in spec.get("volumes") or []:
        if "hostPath" in v:
            out.append("%s: hostPath volume %s" % (name, v.get("name")))
    if spec.get("automountServiceAccountToken") is not False:
        out.append("%s: automountServiceAccountToken is not false" % name)
    needs_probes = doc.get("kind") not in RUN_TO_COMPLETION
    containers = spec.get("containers") or []
    if not containers:
        out.append("%s: no containers" % name)
    for c in containers:
        out += _container_violations(
            "%s container %s" % (name, c.get("name")), c, pod_sc, needs_probes)
    for c in spec.get("initContainers") or []:
        out += _container_violations(
            "%s initContainer %s" % (name, c.get("name")), c, pod_sc, False)
    return out


def _secret_violations(doc):
    out = []
    name = _name(doc)
    for key, value in (doc.get("stringData") or {}).items():
        if not isinstance(value, str) or not PLACEHOLDER.fullmatch(value):
            out.append("%s: stringData.%s is not a REPLACE_ME placeholder" %
                       (name, key))
    for key, value in (doc.get("data") or {}).items():
        try:
            decoded = base64.b64decode(str(value), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            decoded = None
        if decoded is None or not PLACEHOLDER.fullmatch(decoded):
            out.append("%s: data.%s is not a REPLACE_ME placeholder" %
                       (name, key))
    return out


def violations(docs):
    """Returns the violations of `docs` (parsed objects) as text lines."""
    out = []
    for doc in docs:
        if not isinstance(doc, dict):
            continue
        kind = doc.get("kind")
        if kind in WORKLOADS:
            out += _workload_violations(doc)
        elif kind == "Secret":
            out += _secret_violations(doc)
        elif kind == "ServiceAccount":
            if doc.get("automountServiceAccountToken") is not False:
                out.append("%s: automountServiceAccountToken is not false" %
                           _name(doc))
    return out


def main(argv):
    docs = []
    for path in argv[1:] or ["-"]:
        with (sys.stdin if path == "-" else open(path, encoding="utf-8")) as f:
            docs += [d for d in yaml.safe_load_all(f) if d]
    found = violations(docs)
    for line in found:
        print(line)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
