"""Shared helpers of the tests/k8s checks: render, parse, schema-validate.

The environment (set by tests/k8s/CMakeLists.txt) names the tools:
  KUBECTL                kubectl (its built-in kustomize renders)
  NODE                   node, which runs schema_check.mjs
  K8S_VALIDATOR_MODULES  node_modules holding kubernetes-models
                         (scripts/install-deps.sh installs it under .cache/)
  PEERMATCH_SOURCE_DIR   the repository root
A missing tool is a test failure, never a skip.
"""

import copy
import functools
import json
import os
import shutil
import subprocess
import tempfile

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.environ.get("PEERMATCH_SOURCE_DIR",
                            os.path.normpath(os.path.join(HERE, "..", "..")))
K8S_DIR = os.path.join(SOURCE_DIR, "k8s")

# Every kustomization the repository ships, by a short name.
TARGETS = {
    "base": "base",
    "dev": "overlays/dev",
    "production": "overlays/production",
}
COMPONENTS = {"auth": "components/auth"}


class ToolMissing(AssertionError):
    pass


def _tool(var, fallback):
    path = os.environ.get(var) or shutil.which(fallback)
    if not path or path.endswith("-NOTFOUND") or not os.path.exists(path):
        raise ToolMissing("%s not found (set %s); the k8s checks need it" %
                          (fallback, var))
    return path


def kubectl():
    return _tool("KUBECTL", "kubectl")


def validator_modules():
    modules = os.environ.get(
        "K8S_VALIDATOR_MODULES",
        os.path.join(SOURCE_DIR, ".cache", "k8s-validator", "node_modules"))
    if not os.path.exists(os.path.join(modules, "kubernetes-models",
                                       "package.json")):
        raise ToolMissing("kubernetes-models not installed under %s: run "
                          "scripts/install-deps.sh" % modules)
    return modules


class RenderError(AssertionError):
    pass


def render_dir(path):
    """`kubectl kustomize path`, parsed; RenderError when it fails."""
    proc = subprocess.run([kubectl(), "kustomize", path],
                          capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        raise RenderError("kubectl kustomize %s failed:\n%s" %
                          (path, proc.stderr))
    return [d for d in yaml.safe_load_all(proc.stdout) if d]


@functools.lru_cache(maxsize=None)
def _render_cached(target, components):
    if not components:
        return render_dir(os.path.join(K8S_DIR, TARGETS[target]))
    # A throwaway kustomization that adds the components to a shipped one.
    with tempfile.TemporaryDirectory() as tmp:
        rel = lambda p: os.path.relpath(os.path.join(K8S_DIR, p), tmp)
        with open(os.path.join(tmp, "kustomization.yaml"), "w") as f:
            yaml.safe_dump({
                "apiVersion": "kustomize.config.k8s.io/v1beta1",
                "kind": "Kustomization",
                "resources": [rel(TARGETS[target])],
                "components": [rel(COMPONENTS[c]) for c in components],
            }, f)
        return render_dir(tmp)


def render(target, components=()):
    """The parsed output of a shipped kustomization (a fresh copy)."""
    return copy.deepcopy(_render_cached(target, tuple(components)))


def find(docs, kind, name=None):
    """The one object of `kind` (and `name`), or AssertionError."""
    hits = [d for d in docs if d.get("kind") == kind and
            (name is None or d["metadata"]["name"] == name)]
    if len(hits) != 1:
        raise AssertionError("expected one %s %s, found %d" %
                             (kind, name or "", len(hits)))
    return hits[0]


def find_all(docs, kind):
    return [d for d in docs if d.get("kind") == kind]


def schema_problems(docs):
    """Problems schema_check.mjs reports for `docs` (empty when valid)."""
    node = _tool("NODE", "node")
    proc = subprocess.run(
        [node, os.path.join(HERE, "schema_check.mjs"), "--modules",
         validator_modules()],
        input=json.dumps(docs), capture_output=True, text=True, timeout=120)
    if proc.returncode not in (0, 1):
        raise AssertionError("schema_check.mjs failed (%d): %s" %
                             (proc.returncode, proc.stderr))
    problems = proc.stdout.splitlines()
    if (proc.returncode == 1) != bool(problems):
        raise AssertionError("schema_check.mjs exit %d with output %r" %
                             (proc.returncode, problems))
    return problems


def container(doc, name):
    """The container `name` of a workload's pod template."""
    spec = doc["spec"]
    if doc["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    for c in spec["template"]["spec"]["containers"]:
        if c["name"] == name:
            return c
    raise AssertionError("no container %s in %s" % (name, doc["kind"]))


def pod_spec(doc):
    spec = doc["spec"]
    if doc["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    return spec["template"]["spec"]
