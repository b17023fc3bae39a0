// Checks an Envoy config (a bootstrap, or any message) against Envoy's real API definitions: the
// envoy/api .proto files shipped inside @grpc/grpc-js-xds, loaded with protobufjs.
//
// The YAML is read the way Envoy reads it (proto3 JSON mapping, unknown fields rejected): every
// key must be a field of the message (proto name or lowerCamel JSON name), every value must have
// the field's type, enum names must exist, an Any's "@type" must name a loaded message and its
// other keys are checked against that message. Also rejected: two members of one oneof, fields
// and enum values marked `deprecated` in the protos, and the protoc-gen-validate rules that are
// cheap to check here (string min_len, repeated min_items, message required, enum defined_only).
//
// Not checked (Envoy checks them when it loads the config): cross references (a route to an
// unknown cluster), most numeric PGV bounds, and whether an extension is compiled into the binary.
// The protos are the snapshot grpc-js-xds ships, which may be older than the pinned Envoy: a field
// added to Envoy after that snapshot is reported as unknown (fail safe, never a false pass).
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import protobuf from "protobufjs";

const require = createRequire(import.meta.url);

// Entry files: the bootstrap pulls in listener, route, cluster and endpoint; typed_config
// payloads are separate extension files that must be loaded to be resolvable from an Any.
const ENTRY_FILES = [
  "envoy/config/bootstrap/v3/bootstrap.proto",
  "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto",
  "envoy/extensions/filters/http/router/v3/router.proto",
  "envoy/extensions/upstreams/http/v3/http_protocol_options.proto",
  "envoy/extensions/access_loggers/stream/v3/stream.proto",
];

const TYPE_PREFIX = "type.googleapis.com/";

let cachedRoot = null;

/** Loads (once) and returns the protobufjs Root holding Envoy's API. */
export function envoyRoot() {
  if (cachedRoot) return cachedRoot;
  const xdsPkg = path.dirname(require.resolve("@grpc/grpc-js-xds/package.json"));
  const pbPkg = path.dirname(require.resolve("protobufjs/package.json"));
  const dirs = ["envoy-api", "xds", "googleapis", "protoc-gen-validate"]
    .map((d) => path.join(xdsPkg, "deps", d))
    .concat([pbPkg]); // google/protobuf/descriptor.proto
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => {
    for (const d of dirs) {
      const p = path.join(d, target);
      if (fs.existsSync(p)) return p;
    }
    return target; // protobufjs' bundled well-known types
  };
  root.loadSync(ENTRY_FILES, { keepCase: true });
  root.resolveAll();
  cachedRoot = root;
  return root;
}

/** Where the protos came from, for messages. */
export function protoSource() {
  const p = require("@grpc/grpc-js-xds/package.json");
  return `@grpc/grpc-js-xds ${p.version} (deps/envoy-api)`;
}

const INT32 = new Set(["int32", "sint32", "sfixed32", "uint32", "fixed32"]);
const INT64 = new Set(["int64", "sint64", "sfixed64", "uint64", "fixed64"]);
const WRAPPERS = {
  "google.protobuf.DoubleValue": "double",
  "google.protobuf.FloatValue": "float",
  "google.protobuf.Int64Value": "int64",
  "google.protobuf.UInt64Value": "uint64",
  "google.protobuf.Int32Value": "int32",
  "google.protobuf.UInt32Value": "uint32",
  "google.protobuf.BoolValue": "bool",
  "google.protobuf.StringValue": "string",
  "google.protobuf.BytesValue": "bytes",
};
const DURATION_RE = /^-?\d+(\.\d{1,9})?s$/;
const TIMESTAMP_RE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)$/;

function fullName(t) {
  return t.fullName.replace(/^\./, "");
}

function isObject(v) {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

class Checker {
  constructor(root) {
    this.root = root;
    this.errors = [];
  }

  err(where, msg) {
    this.errors.push(`${where || "<root>"}: ${msg}`);
  }

  scalar(where, type, v) {
    if (INT32.has(type) || INT64.has(type)) {
      const ok =
        (typeof v === "number" && Number.isInteger(v)) ||
        (typeof v === "string" && /^-?\d+$/.test(v) && INT64.has(type));
      if (!ok) return this.err(where, `expected ${type}, got ${JSON.stringify(v)}`);
      if (type.startsWith("u") || type.startsWith("fixed")) {
        if (Number(v) < 0) this.err(where, `expected ${type}, got negative ${v}`);
      }
      return;
    }
    if (type === "double" || type === "float") {
      if (typeof v !== "number" && !["NaN", "Infinity", "-Infinity"].includes(v))
        this.err(where, `expected ${type}, got ${JSON.stringify(v)}`);
      return;
    }
    if (type === "bool") {
      if (typeof v !== "boolean") this.err(where, `expected bool, got ${JSON.stringify(v)}`);
      return;
    }
    if (type === "string") {
      if (typeof v !== "string") this.err(where, `expected string, got ${JSON.stringify(v)}`);
      return;
    }
    if (type === "bytes") {
      if (typeof v !== "string" || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(v))
        this.err(where, `expected base64 bytes, got ${JSON.stringify(v)}`);
      return;
    }
    this.err(where, `internal: unhandled scalar type ${type}`);
  }

  enumValue(where, en, v, rules) {
    let name = null;
    if (typeof v === "string") {
      if (!(v in en.values)) return this.err(where, `unknown ${fullName(en)} value ${JSON.stringify(v)}`);
      name = v;
    } else if (typeof v === "number" && Number.isInteger(v)) {
      name = en.valuesById[v];
      if (name === undefined && rules["(validate.rules).enum.defined_only"])
        return this.err(where, `undefined ${fullName(en)} value ${v}`);
    } else {
      return this.err(where, `expected enum ${fullName(en)}, got ${JSON.stringify(v)}`);
    }
    if (name && en.valuesOptions && en.valuesOptions[name] && en.valuesOptions[name].deprecated)
      this.err(where, `deprecated enum value ${fullName(en)}.${name}`);
  }

  // One value of a field (an element, for repeated fields).
  value(where, field, v) {
    const rt = field.resolvedType;
    if (rt instanceof protobuf.Enum) return this.enumValue(where, rt, v, field.options || {});
    if (rt instanceof protobuf.Type) return this.message(where, rt, v);
    return this.scalar(where, field.type, v);
  }

  message(where, type, v) {
    const name = fullName(type);
    switch (name) {
      case "google.protobuf.Duration":
        if (typeof v !== "string" || !DURATION_RE.test(v))
          this.err(where, `expected a Duration such as "1s" or "0.25s", got ${JSON.stringify(v)}`);
        return;
      case "google.protobuf.Timestamp":
        if (typeof v !== "string" || !TIMESTAMP_RE.test(v)) this.err(where, `expected an RFC 3339 Timestamp`);
        return;
      case "google.protobuf.FieldMask":
        if (typeof v !== "string") this.err(where, "expected a FieldMask string");
        return;
      case "google.protobuf.Struct":
        if (!isObject(v)) this.err(where, "expected an object (Struct)");
        return;
      case "google.protobuf.Value":
        return;
      case "google.protobuf.ListValue":
        if (!Array.isArray(v)) this.err(where, "expected a list (ListValue)");
        return;
      case "google.protobuf.Empty":
        if (!isObject(v) || Object.keys(v).length) this.err(where, "expected {} (Empty)");
        return;
      case "google.protobuf.Any":
        return this.any(where, v);
      default:
        if (WRAPPERS[name]) return this.scalar(where, WRAPPERS[name], v);
    }
    if (!isObject(v)) return this.err(where, `expected an object (${name}), got ${JSON.stringify(v)}`);
    this.fields(where, type, v);
  }

  any(where, v) {
    if (!isObject(v)) return this.err(where, "expected an object with \"@type\" (Any)");
    const url = v["@type"];
    if (typeof url !== "string" || !url.startsWith(TYPE_PREFIX))
      return this.err(where, `Any needs "@type": "${TYPE_PREFIX}<message>", got ${JSON.stringify(url)}`);
    let t;
    try {
      t = this.root.lookupType(url.slice(TYPE_PREFIX.length));
    } catch {
      return this.err(where, `unknown @type ${url} (no such message in the Envoy API)`);
    }
    const rest = { ...v };
    delete rest["@type"];
    const tn = fullName(t);
    if (tn.startsWith("google.protobuf.") && ["Duration", "Timestamp", "FieldMask", "Struct", "Value", "ListValue"].includes(tn.split(".").pop())) {
      return this.message(`${where}.value`, t, rest.value);
    }
    if (WRAPPERS[tn]) return this.scalar(`${where}.value`, WRAPPERS[tn], rest.value);
    this.fields(where, t, rest);
  }

  fields(where, type, obj) {
    const byJson = new Map();
    for (const f of type.fieldsArray) {
      byJson.set(f.name, f);
      const camel = f.name.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());
      byJson.set(camel, f);
    }
    const seen = new Set();
    const oneofSet = new Map();
    for (const [k, v] of Object.entries(obj)) {
      const here = where ? `${where}.${k}` : k;
      const f = byJson.get(k);
      if (!f) {
        this.err(here, `unknown field "${k}" in ${fullName(type)}`);
        continue;
      }
      if (seen.has(f.name)) this.err(here, `field ${f.name} given twice (proto and JSON names)`);
      seen.add(f.name);
      if (v === null) continue; // null means "default" in the JSON mapping
      const opts = f.options || {};
      if (opts.deprecated) this.err(here, `deprecated field ${fullName(type)}.${f.name}`);
      if (f.partOf && !f.partOf.name.startsWith("_")) {
        const prev = oneofSet.get(f.partOf.name);
        if (prev) this.err(here, `oneof ${f.partOf.name}: both ${prev} and ${f.name} are set`);
        oneofSet.set(f.partOf.name, f.name);
      }
      if (f.map) {
        if (!isObject(v)) {
          this.err(here, "expected an object (map)");
          continue;
        }
        for (const [mk, mv] of Object.entries(v)) this.value(`${here}[${mk}]`, f, mv);
      } else if (f.repeated) {
        if (!Array.isArray(v)) {
          this.err(here, `expected a list, got ${JSON.stringify(v)}`);
          continue;
        }
        const minItems = opts["(validate.rules).repeated.min_items"];
        if (minItems && v.length < minItems) this.err(here, `needs at least ${minItems} item(s)`);
        v.forEach((e, i) => this.value(`${here}[${i}]`, f, e));
      } else {
        this.value(here, f, v);
        const minLen = opts["(validate.rules).string.min_len"];
        if (minLen && typeof v === "string" && v.length < minLen)
          this.err(here, `must be at least ${minLen} character(s) long`);
      }
    }
    for (const f of type.fieldsArray) {
      if (f.partOf && !f.partOf.name.startsWith("_")) continue; // the oneof rule below covers it
      const opts = f.options || {};
      const present = seen.has(f.name) && obj[f.name] !== null;
      if (opts["(validate.rules).message.required"] && !present && !(f.name in obj))
        this.err(where, `missing required field ${fullName(type)}.${f.name}`);
      if (opts["(validate.rules).string.min_len"] && !seen.has(f.name))
        this.err(where, `missing required (non-empty) field ${fullName(type)}.${f.name}`);
    }
    for (const o of type.oneofsArray) {
      if (o.options && o.options["(validate.required)"] && !oneofSet.has(o.name))
        this.err(where, `oneof ${fullName(type)}.${o.name} must be set (one of: ${o.oneof.join(", ")})`);
    }
  }
}

/**
 * Checks `obj` (parsed YAML/JSON) as the message `typeName` (default: the Envoy bootstrap).
 * Returns a list of error strings; empty means valid.
 */
export function checkEnvoy(obj, typeName = "envoy.config.bootstrap.v3.Bootstrap") {
  const root = envoyRoot();
  const c = new Checker(root);
  c.message("", root.lookupType(typeName), obj);
  return c.errors;
}

/**
 * The rules this project keeps on top of the API (issue 6): the router filter always has its
 * typed config, every cluster speaks HTTP/2 upstream through typed_extension_protocol_options,
 * admin listens on 8081, and (for ADS bootstraps) node id/cluster come from the command line.
 */
export function checkEnvoyHouseRules(b) {
  const errors = [];
  const adminPort = b?.admin?.address?.socket_address?.port_value;
  if (adminPort !== 8081) errors.push(`admin must listen on port 8081 (got ${adminPort})`);
  const listeners = b?.static_resources?.listeners || [];
  for (const l of listeners) {
    for (const fc of l.filter_chains || []) {
      for (const f of fc.filters || []) {
        const hcm = f.typed_config || {};
        const filters = hcm.http_filters || [];
        if (!filters.length) errors.push(`listener ${l.name}: no http_filters`);
        const last = filters[filters.length - 1] || {};
        if (last.name !== "envoy.filters.http.router" ||
            last.typed_config?.["@type"] !== `${TYPE_PREFIX}envoy.extensions.filters.http.router.v3.Router`)
          errors.push(`listener ${l.name}: the last HTTP filter must be the router with its typed_config`);
      }
    }
  }
  for (const c of b?.static_resources?.clusters || []) {
    const opts = c.typed_extension_protocol_options?.["envoy.extensions.upstreams.http.v3.HttpProtocolOptions"];
    if (!opts || !opts.explicit_http_config || !("http2_protocol_options" in opts.explicit_http_config))
      errors.push(`cluster ${c.name}: upstream HTTP/2 must be set in typed_extension_protocol_options`);
  }
  if (b?.dynamic_resources?.ads_config) {
    if (!b.static_resources?.clusters?.some((c) => c.name === b.dynamic_resources.ads_config.grpc_services?.[0]?.envoy_grpc?.cluster_name))
      errors.push("ads_config names a cluster that static_resources does not define");
  } else if (!listeners.length) {
    errors.push("no static listeners and no ADS: this Envoy would do nothing");
  }
  return errors;
}
