// Offline validation of rendered Kubernetes objects against the Kubernetes
// JSON schemas (SPEC §10 R-OPS), with the validators that the npm package
// kubernetes-models compiles from the Kubernetes OpenAPI definitions
// (installed by scripts/install-deps.sh into .cache/k8s-validator).
//
//   /usr/bin/python3 -c '...yaml -> json...' | \
//     node tests/k8s/schema_check.mjs \
//       --modules .cache/k8s-validator/node_modules
//
// Input: a JSON array of objects on stdin. Output: one line per problem,
//   Kind/name: /json/pointer: message
// and exit status 0 (all valid), 1 (problems) or 2 (usage, or no validator).
//
// Two checks per object:
//   - schema: types, required fields, enums and formats (quantities, ...);
//   - strict: no field the schema does not define (a misspelt
//     `readinessProbes` would otherwise be dropped silently by the API
//     server). The compiled validators look up exactly the properties their
//     schema defines, so the object is validated through a Proxy that records
//     which keys were looked up: an own key nobody looked up is unknown.
//     Objects the validator iterates (maps such as labels) or never looks
//     into (free-form fields) are not judged.
// An apiVersion/kind with no schema is a problem too.
import { readFileSync, existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

function usage(message) {
  process.stderr.write(`schema_check: ${message}\n`);
  process.exit(2);
}

const argv = process.argv.slice(2);
let modules = null;
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === "--modules" && i + 1 < argv.length) {
    modules = resolve(argv[++i]);
  } else {
    usage(`unknown argument ${argv[i]}`);
  }
}
if (modules === null) usage("--modules NODE_MODULES_DIR is required");
const root = join(modules, "kubernetes-models");
if (!existsSync(join(root, "package.json"))) {
  usage(`no kubernetes-models under ${modules}; run scripts/install-deps.sh`);
}

// apiVersion "apps/v1" -> apps/v1/Deployment.js; "v1" -> v1/ConfigMap.js.
async function modelFor(apiVersion, kind) {
  if (typeof apiVersion !== "string" || typeof kind !== "string" ||
      !/^[A-Za-z0-9.\/-]+$/.test(apiVersion) || !/^[A-Za-z0-9]+$/.test(kind)) {
    return null;
  }
  const file = join(root, apiVersion, `${kind}.js`);
  if (!existsSync(file)) return null;
  const mod = await import(pathToFileURL(file).href);
  return mod[kind] ?? null;
}

const seen = new WeakMap();
function record(target) {
  let r = seen.get(target);
  if (!r) {
    r = { keys: new Set(), iterated: false };
    seen.set(target, r);
  }
  return r;
}
function track(value) {
  if (value === null || typeof value !== "object") return value;
  return new Proxy(value, {
    get(t, k, receiver) {
      if (typeof k === "string") record(t).keys.add(k);
      return track(Reflect.get(t, k, receiver));
    },
    has(t, k) {
      if (typeof k === "string") record(t).keys.add(k);
      return Reflect.has(t, k);
    },
    ownKeys(t) {
      record(t).iterated = true;
      return Reflect.ownKeys(t);
    },
  });
}
function unknownFields(value, path, out) {
  if (value === null || typeof value !== "object") return;
  if (Array.isArray(value)) {
    value.forEach((v, i) => unknownFields(v, `${path}/${i}`, out));
    return;
  }
  const r = seen.get(value);
  if (r && !r.iterated && r.keys.size > 0) {
    for (const k of Object.keys(value)) {
      if (!r.keys.has(k)) out.push(`${path}/${k}: unknown field`);
    }
  }
  for (const k of Object.keys(value)) {
    unknownFields(value[k], `${path}/${k}`, out);
  }
}

let docs;
try {
  docs = JSON.parse(readFileSync(0, "utf8"));
} catch (e) {
  usage(`stdin is not JSON: ${e.message}`);
}
if (!Array.isArray(docs)) usage("stdin must be a JSON array of objects");

const problems = [];
for (const doc of docs) {
  const name = `${doc?.kind ?? "?"}/${doc?.metadata?.name ?? "?"}`;
  const Model = await modelFor(doc?.apiVersion, doc?.kind);
  if (Model === null) {
    problems.push(`${name}: no schema for apiVersion ${doc?.apiVersion} ` +
                  `kind ${doc?.kind}`);
    continue;
  }
  try {
    Model.prototype.validate.call(track(doc));
  } catch (e) {
    for (const err of e.errors ?? [{ instancePath: "", message: e.message }]) {
      const detail = err.params ? ` ${JSON.stringify(err.params)}` : "";
      const where = err.instancePath || "/";
      problems.push(`${name}: ${where}: ${err.message}${detail}`);
    }
  }
  const unknown = [];
  unknownFields(doc, "", unknown);
  for (const u of unknown) problems.push(`${name}: ${u}`);
}
for (const p of problems) process.stdout.write(`${p}\n`);
process.exit(problems.length === 0 ? 0 : 1);
