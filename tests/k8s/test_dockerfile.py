"""The Dockerfile builds the image the manifests name, and runs it safely
(SPEC §10 R-OPS, §9 R-SEC). There is no container engine on the build
machines, so the Dockerfile is checked as text, against the manifests, the
project version and the shared libraries the built binaries really load.
Every check is also run on a mutated copy to show that it can fail."""

import json
import os
import re
import subprocess
import unittest

import k8s_support as k

RUNTIME_PACKAGES = {"libgrpc++1.51", "libprotobuf32", "libabsl20220623",
                    "libhiredis0.14", "libsimdjson14", "tzdata",
                    "ca-certificates"}
BIN = "/usr/local/bin/"


def read(path):
    with open(os.path.join(k.SOURCE_DIR, path), encoding="utf-8") as f:
        return f.read()


def project_version():
    m = re.search(r"project\(peermatch VERSION ([0-9.]+)",
                  read("CMakeLists.txt"))
    return m.group(1)


def instructions(text):
    """(INSTRUCTION, arguments) pairs, continuation lines joined."""
    out, current = [], ""
    for line in text.splitlines():
        if not current and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.rstrip().endswith("\\"):
            current += line.rstrip()[:-1] + " "
            continue
        current += line
        word, _, rest = current.strip().partition(" ")
        out.append((word.upper(), rest.strip()))
        current = ""
    return out


def stages(text):
    """[{"from": image, "name": alias, "ins": [...]}] per FROM."""
    result = []
    for ins, args in instructions(text):
        if ins == "FROM":
            words = args.split()
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" \
                else None
            result.append({"from": words[0], "name": name, "ins": []})
        elif result:
            result[-1]["ins"].append((ins, args))
    return result


def apt_installs(stage):
    pkgs = set()
    for ins, args in stage["ins"]:
        if ins == "RUN":
            for m in re.finditer(r"apt-get install ([^&;|]*)", args):
                pkgs |= {w for w in m.group(1).split() if not w.startswith("-")}
    return pkgs


def manifest_images():
    """Images of every peermatch container in every shipped rendering."""
    images = set()
    for target in k.TARGETS:
        docs = k.render(target)
        for kind in ("Deployment", "CronJob"):
            for d in k.find_all(docs, kind):
                for c in k.pod_spec(d)["containers"]:
                    images.add(c["image"])
    return images


def cmake_source_dirs(cmakelists):
    """The directories the top-level CMakeLists.txt builds, tests and
    benchmarks left out (the image is built without them)."""
    dirs = set(re.findall(r"add_subdirectory\((\w+)\)", cmakelists))
    return dirs - {"tests", "bench"}


def dockerfile_problems(dockerfile, dockerignore, images, version,
                        source_dirs=()):
    out = []
    st = stages(dockerfile)
    if len(st) < 2:
        return ["not a multi-stage build"]
    for s in st:
        if s["from"] != "debian:bookworm-slim":
            out.append("stage from %s, not debian:bookworm-slim" % s["from"])
    build, final = st[0], st[-1]
    # Build stage: a Release build of both binaries.
    runs = " ".join(a for i, a in build["ins"] if i == "RUN")
    if "-DCMAKE_BUILD_TYPE=Release" not in runs:
        out.append("build stage is not a Release build")
    m = re.search(r"--target ([\w ]+)", runs)
    targets = set(m.group(1).split()) if m else set()
    if not {"peermatchd", "peermatch"} <= targets:
        out.append("build stage builds %s, not peermatchd and peermatch" %
                   sorted(targets))
    # Every directory the build needs is copied (a layer added to the tree
    # but not to the Dockerfile breaks the image build).
    copied_src = {src.rstrip("/") for ins, args in build["ins"]
                  if ins == "COPY" and not args.startswith("--from")
                  for src in args.split()[:-1]}
    for d in sorted(source_dirs):
        if d not in copied_src:
            out.append("build stage does not copy %s/" % d)
    # The build context: what the build stage copies must not be ignored.
    ignore = [l.strip() for l in dockerignore.splitlines()
              if l.strip() and not l.startswith("#")]
    for ins, args in build["ins"]:
        if ins == "COPY" and not args.startswith("--from"):
            for src in args.split()[:-1]:
                src = src.rstrip("/")
                if ignore[:1] == ["*"] and "!" + src not in ignore:
                    out.append(".dockerignore leaves out %s" % src)
    # Runtime stage: libraries only, both binaries, non-root, ports.
    runtime = apt_installs(final)
    if not RUNTIME_PACKAGES <= runtime:
        out.append("runtime stage lacks %s" %
                   sorted(RUNTIME_PACKAGES - runtime))
    dev = sorted(p for p in runtime if p.endswith("-dev") or
                 p in ("build-essential", "cmake", "g++", "gcc"))
    if dev:
        out.append("runtime stage installs build tools %s" % dev)
    copied = set()
    for ins, args in final["ins"]:
        if ins == "COPY" and args.startswith("--from=%s " % build["name"]):
            copied.add(args.split()[-1])
    for binary in ("peermatchd", "peermatch"):
        if BIN + binary not in copied:
            out.append("runtime stage does not copy %s%s" % (BIN, binary))
    users = [a for i, a in final["ins"] if i == "USER"]
    if not users:
        out.append("runtime stage has no USER")
    elif not re.fullmatch(r"[1-9][0-9]*:[1-9][0-9]*", users[-1]):
        out.append("USER %s is not a numeric non-root uid:gid" % users[-1])
    exposed = {p for i, a in final["ins"] if i == "EXPOSE" for p in a.split()}
    if not {"50051", "9464"} <= exposed:
        out.append("EXPOSE %s lacks 50051 and 9464" % sorted(exposed))
    entry = [a for i, a in final["ins"] if i == "ENTRYPOINT"]
    try:
        entrypoint = json.loads(entry[-1]) if entry else None
    except json.JSONDecodeError:
        entrypoint = None  # shell form: signals would go to a shell
    if entrypoint != [BIN + "peermatchd"]:
        out.append("ENTRYPOINT is not [\"%speermatchd\"]" % BIN)
    # The image name and version: the build command in the header, the
    # label, the project version and the manifests agree.
    m = re.search(r"docker build -t (\S+) \.", dockerfile)
    tag = m.group(1) if m else None
    if tag is None or not tag.endswith(":" + version):
        out.append("documented build tag %s is not version %s" % (tag, version))
    if images != {tag}:
        out.append("manifests use %s, the Dockerfile builds %s" %
                   (sorted(images), tag))
    label = re.search(r'org\.opencontainers\.image\.version="([^"]+)"',
                      dockerfile)
    if not label or label.group(1) != version:
        out.append("image version label is not %s" % version)
    return out


def installed_depends():
    """{package: [first alternative of each Depends/Pre-Depends]} of every
    installed package, from one dpkg-query call."""
    out = subprocess.run(
        ["dpkg-query", "-W", "-f=${Package}\t${Depends}, ${Pre-Depends}\n"],
        capture_output=True, text=True, check=True).stdout
    deps = {}
    for line in out.splitlines():
        name, _, rest = line.partition("\t")
        deps.setdefault(name, [])
        for alt in rest.split(","):
            dep = alt.split("|")[0].strip().split(" ")[0].split(":")[0]
            if dep:
                deps[name].append(dep)
    return deps


def runtime_closure(packages, deps):
    """The packages `packages` depend on, transitively (themselves too)."""
    seen, todo = set(), list(packages)
    while todo:
        p = todo.pop()
        if p not in seen:
            seen.add(p)
            todo += deps.get(p, [])
    return seen


def owning_packages(binary):
    """Debian packages owning the shared libraries `binary` loads."""
    out = subprocess.run(["ldd", binary], capture_output=True, text=True,
                         check=True).stdout
    libs = re.findall(r"=> (/\S+)", out)
    # Debian 12 has a merged /usr: dpkg knows each library under /lib or
    # /usr/lib, whichever its package ships, so ask for both spellings.
    spellings = {}
    for lib in libs:
        real = os.path.realpath(lib)
        for p in (lib, real):
            for q in (p, "/usr" + p, p[len("/usr"):] if p.startswith("/usr/")
                      else p):
                spellings[q] = lib
    proc = subprocess.run(["dpkg-query", "-S"] + sorted(spellings),
                          capture_output=True, text=True)
    owner = {}
    for line in proc.stdout.splitlines():
        pkg, _, path = line.partition(": ")
        if path.strip() in spellings:
            owner[spellings[path.strip()]] = pkg.split(":")[0].strip()
    owners = {"MISSING " + m for m in
              re.findall(r"(\S+) => not found", out)}
    for lib in libs:
        owners.add(owner.get(lib, "UNOWNED " + lib))
    return owners


class DockerfileTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.dockerfile = read("Dockerfile")
        cls.dockerignore = read(".dockerignore")
        cls.images = manifest_images()
        cls.version = project_version()
        cls.source_dirs = cmake_source_dirs(read("CMakeLists.txt"))

    def problems(self, dockerfile=None, dockerignore=None, images=None):
        return dockerfile_problems(
            self.dockerfile if dockerfile is None else dockerfile,
            self.dockerignore if dockerignore is None else dockerignore,
            self.images if images is None else images, self.version,
            self.source_dirs)

    def test_dockerfile_holds_its_invariants(self):
        self.assertEqual(self.problems(), [])
        self.assertEqual(self.images, {"peermatch/peermatchd:" + self.version})

    def test_flags_root_or_missing_user(self):
        self.assertEqual(
            self.problems(self.dockerfile.replace("USER 65532:65532",
                                                  "USER root")),
            ["USER root is not a numeric non-root uid:gid"])
        self.assertEqual(
            self.problems(self.dockerfile.replace("USER 65532:65532",
                                                  "USER 0:0")),
            ["USER 0:0 is not a numeric non-root uid:gid"])
        self.assertEqual(
            self.problems(self.dockerfile.replace("USER 65532:65532", "")),
            ["runtime stage has no USER"])

    def test_flags_a_missing_binary(self):
        text = re.sub(r"COPY --from=build \S+peermatch \S+\n", "",
                      self.dockerfile)
        self.assertEqual(self.problems(text), [
            "runtime stage does not copy /usr/local/bin/peermatch"])

    def test_flags_build_tools_and_missing_libraries_at_runtime(self):
        text = self.dockerfile.replace("libhiredis0.14 \\",
                                       "libhiredis-dev \\")
        self.assertEqual(self.problems(text), [
            "runtime stage lacks ['libhiredis0.14']",
            "runtime stage installs build tools ['libhiredis-dev']"])

    def test_flags_image_name_and_version_mismatches(self):
        self.assertEqual(
            self.problems(images={"peermatch/peermatchd:9.9.9"}),
            ["manifests use ['peermatch/peermatchd:9.9.9'], the Dockerfile "
             "builds peermatch/peermatchd:%s" % self.version])
        text = self.dockerfile.replace(
            'org.opencontainers.image.version="%s"' % self.version,
            'org.opencontainers.image.version="0.0.1"')
        self.assertEqual(self.problems(text),
                         ["image version label is not %s" % self.version])

    def test_flags_a_source_directory_left_out(self):
        self.assertIn("base", self.source_dirs)
        text = self.dockerfile.replace("COPY base/ base/\n", "")
        self.assertEqual(self.problems(text),
                         ["build stage does not copy base/"])

    def test_flags_ignored_sources(self):
        ignore = self.dockerignore.replace("!service\n", "")
        self.assertEqual(self.problems(dockerignore=ignore),
                         [".dockerignore leaves out service"])

    def test_flags_entrypoint_and_ports(self):
        text = self.dockerfile.replace("EXPOSE 50051 9464", "EXPOSE 50051")
        text = text.replace('ENTRYPOINT ["/usr/local/bin/peermatchd"]',
                            "ENTRYPOINT /usr/local/bin/peermatchd")
        self.assertEqual(self.problems(text), [
            "EXPOSE ['50051'] lacks 50051 and 9464",
            'ENTRYPOINT is not ["/usr/local/bin/peermatchd"]'])

    def test_paths_the_manifests_run_are_in_the_image(self):
        final = stages(self.dockerfile)[-1]
        copied = {a.split()[-1] for i, a in final["ins"] if i == "COPY"}
        for target in k.TARGETS:
            docs = k.render(target)
            cj = k.container(k.find(docs, "CronJob"), "regroup")
            self.assertIn(cj["command"][0], copied)
            server = k.container(k.find(docs, "Deployment"), "peermatchd")
            self.assertNotIn("command", server)  # the ENTRYPOINT runs
            for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
                if "exec" in server[probe]:
                    self.assertIn(server[probe]["exec"]["command"][0], copied)

    def test_runtime_packages_cover_the_binaries_shared_libraries(self):
        # The libraries the real binaries load all come with the runtime
        # stage's packages (or their dependencies) -- checked on this
        # Debian 12 machine, which has the same packages as the image.
        deps = installed_depends()
        closure = runtime_closure(RUNTIME_PACKAGES, deps)
        self.assertIn("libgrpc29", closure)
        for var in ("PEERMATCHD", "PEERMATCH_CLI"):
            binary = os.environ.get(var)
            if not binary or not os.path.exists(binary):
                self.fail("%s is not set to a built binary (run via ctest "
                          "after building peermatchd and peermatch)" % var)
            with self.subTest(binary=binary):
                owners = owning_packages(binary)
                self.assertIn("libhiredis0.14" if var == "PEERMATCHD"
                              else "libgrpc++1.51", owners)
                self.assertEqual(owners - closure, set())
        # ... and the check can fail: without hiredis, peermatchd's
        # libhiredis is not covered.
        smaller = runtime_closure(RUNTIME_PACKAGES - {"libhiredis0.14"}, deps)
        self.assertEqual(owning_packages(os.environ["PEERMATCHD"]) - smaller,
                         {"libhiredis0.14"})


if __name__ == "__main__":
    unittest.main()
