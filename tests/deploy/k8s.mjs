// Validates Kubernetes objects the way the API server would with strict field validation
// (kubectl's default since 1.27), without a cluster:
//  1. types, required fields and formats: the JSON schemas compiled into the kubernetes-models
//     packages (kubernetes-models for the built-in kinds, @kubernetes-models/gateway-api for
//     HTTPRoute and GRPCRoute);
//  2. unknown fields: every key must be a field of its type, from the OpenAPI-generated models of
//     @kubernetes/client-node (its attributeTypeMap, release-1.36 API), because the
//     kubernetes-models schemas allow additional properties.
// CRDs with no model package (SMI TrafficSplit) and the fields of HTTPRoute and GRPCRoute get a strict
// schema of our own in schemas/, written from the published API reference.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import Ajv from "ajv";
import * as models from "@kubernetes/client-node/dist/gen/models/all.js";

const here = path.dirname(fileURLToPath(import.meta.url));

// apiVersion -> the module of kubernetes-models (or another models package) holding the kind.
function modelModule(apiVersion) {
  if (apiVersion === "v1") return "kubernetes-models/v1";
  if (apiVersion.startsWith("gateway.networking.k8s.io/")) return `@kubernetes-models/gateway-api/${apiVersion}`;
  return `kubernetes-models/${apiVersion}`;
}

// Our own strict schemas, by "apiVersion/kind".
const ajv = new Ajv({ allErrors: true, strict: true });
const LOCAL_SCHEMAS = {
  "split.smi-spec.io/v1alpha2/TrafficSplit": "trafficsplit.v1alpha2.json",
  "gateway.networking.k8s.io/v1/HTTPRoute": "httproute.v1.fields.json",
  "gateway.networking.k8s.io/v1/GRPCRoute": "grpcroute.v1.fields.json",
};
const compiled = new Map();
function localSchema(key) {
  if (!LOCAL_SCHEMAS[key]) return null;
  if (!compiled.has(key)) {
    const schema = JSON.parse(fs.readFileSync(path.join(here, "schemas", LOCAL_SCHEMAS[key]), "utf8"));
    compiled.set(key, ajv.compile(schema));
  }
  return compiled.get(key);
}

// client-node class name for a built-in kind: apps/v1 Deployment -> V1Deployment.
function modelClass(apiVersion, kind) {
  const version = apiVersion.split("/").pop();
  const name = version.charAt(0).toUpperCase() + version.slice(1) + kind;
  return models[name] ? name : null;
}

// Walks obj as the client-node model `cls`, reporting keys that are not fields of it.
function unknownFields(obj, cls, where, errors) {
  const model = models[cls];
  if (!model || !model.attributeTypeMap || obj === null || typeof obj !== "object") return;
  const fields = new Map(model.attributeTypeMap.map((a) => [a.baseName, a.type]));
  for (const [k, v] of Object.entries(obj)) {
    const at = `${where}.${k}`;
    if (!fields.has(k)) {
      errors.push(`${at}: unknown field "${k}" (not in ${cls})`);
      continue;
    }
    const t = fields.get(k);
    let m;
    if ((m = /^Array<(\w+)>$/.exec(t))) {
      if (Array.isArray(v)) v.forEach((e, i) => unknownFields(e, m[1], `${at}[${i}]`, errors));
    } else if ((m = /^\{ \[key: string\]: (\w+); \}$/.exec(t))) {
      if (v && typeof v === "object") for (const [mk, mv] of Object.entries(v)) unknownFields(mv, m[1], `${at}[${mk}]`, errors);
    } else if (models[t]) {
      unknownFields(v, t, at, errors);
    }
  }
}

/** Validates one object; returns a list of error strings (empty: valid). */
export async function validateObject(obj) {
  const errors = [];
  if (!obj || typeof obj !== "object") return ["not an object"];
  const { apiVersion, kind } = obj;
  if (typeof apiVersion !== "string" || typeof kind !== "string") return ["apiVersion and kind are required"];
  const id = `${kind}/${obj.metadata?.name ?? "?"}`;

  const local = localSchema(`${apiVersion}/${kind}`);
  if (local && !local(obj)) {
    for (const e of local.errors) errors.push(`${id}${e.instancePath}: ${e.message}${e.params?.additionalProperty ? ` "${e.params.additionalProperty}"` : ""}`);
  }

  let mod = null;
  try {
    mod = await import(modelModule(apiVersion));
  } catch {
    if (!local) return [`${id}: unknown apiVersion ${apiVersion} (no schema for it)`];
  }
  if (mod) {
    const Model = mod[kind];
    if (!Model) return [`${id}: unknown kind ${kind} in ${apiVersion}`];
    try {
      new Model(obj).validate();
    } catch (e) {
      errors.push(`${id}: ${e.message}`);
    }
  }
  const cls = modelClass(apiVersion, kind);
  if (cls) unknownFields(obj, cls, id, errors);
  else if (!local) errors.push(`${id}: no field list for ${apiVersion} ${kind}, unknown fields cannot be checked`);
  return errors;
}
