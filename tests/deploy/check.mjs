// The static checks of issue 6, one driver for every deploy_* test (no cluster, no Docker engine).
//
//   node check.mjs manifests REPO            every scenario folder: names, schemas, house rules, Envoy configs
//   node check.mjs files FILE...             the same checks for loose files (one file = one folder)
//   node check.mjs kustomize REPO            every kustomization renders (ours; compared with kubectl's if present)
//   node check.mjs envoy FILE                an Envoy bootstrap (YAML) against Envoy's protos and our rules
//   node check.mjs dockerfile FILE           lint (dockerfile-utils) and the targets client, server, xds
//   node check.mjs configmap FILE NAME       prints the config.yaml of ConfigMap NAME (for `xdsd --check`)
//   node check.mjs envoy-configs OUTDIR REPO every Envoy config under deploy/, with the args of the container
//                                            that runs it, written for `envoy --mode validate` (envoy-validate.sh)
//   node check.mjs expect-fail DIR           every fixture in DIR must FAIL its check with the message it names
//
// Exit 0 when everything passes, 1 otherwise; every problem is printed as one line.
import fs from "node:fs";
import path from "node:path";
import { execFileSync } from "node:child_process";
import YAML from "yaml";
import { validate as lintDockerfile } from "dockerfile-utils";
import { validateObject } from "./k8s.mjs";
import { checkEnvoy, checkEnvoyHouseRules, protoSource } from "./envoy.mjs";

// The demo's folder and file names (reference-demo.md), plus ours (proxyless, preview, gamma, zonefailover, istio,
// linkerd, and the seed's options that have no walkthrough: connperrpc, proxymaxage, nodeproxy).
export const SCENARIOS = {
  clusterip: ["server.yaml", "client.yaml"],
  headless: ["server.yaml", "client.yaml"],
  maxage: ["server.yaml", "client.yaml"],
  proxy: ["server.yaml", "proxy.yaml", "client.yaml"],
  clsidecar: ["server.yaml", "client.yaml"],
  canary: ["server-v1.yaml", "server-v2.yaml", "client.yaml"],
  xds: ["xds.yaml", "server-v1.yaml", "server-v2.yaml", "client.yaml"],
  proxyless: ["xds.yaml", "server-v1.yaml", "server-v2.yaml", "client.yaml"],
  preview: ["xds.yaml", "server-v1.yaml", "server-v2.yaml", "client.yaml"],
  gamma: ["xds.yaml", "server-v1.yaml", "server-v2.yaml", "grpcroute.yaml", "client.yaml"],
  zonefailover: ["xds.yaml", "server-near.yaml", "server-far.yaml", "client.yaml"],
  istio: ["server-v1.yaml", "server-v2.yaml", "httproute.yaml", "client.yaml"],
  linkerd: ["server-v1.yaml", "server-v2.yaml", "trafficsplit.yaml", "client.yaml"],
  connperrpc: ["server.yaml", "client.yaml"],
  proxymaxage: ["server.yaml", "proxy.yaml", "client.yaml"],
  nodeproxy: ["server.yaml", "proxy.yaml", "client.yaml"],
};
const OUR_IMAGES = /^grpc-load-balancing\/(client|server|xds):1$/;
// An upstream image is pinned when it names an exact release (vX.Y.Z / X.Y.Z) or a digest.
const PINNED_UPSTREAM = /^[a-z0-9.\-/]+(:v?\d+\.\d+\.\d+)?(@sha256:[0-9a-f]{64})?$/;
const SERVICE_ACCOUNTS = new Set(["client", "server", "proxy", "xds"]);
const CONFIGMAPS = new Set(["proxyconfig", "xdsconfig"]);
// What makes a ConfigMap an Envoy config (xdsconfig is xdsd's) and a container an Envoy: the one rule
// the checks below and `envoy-configs` follow.
const ENVOY_CONFIGMAP = "proxyconfig";
export const isEnvoyConfigMap = (obj) => obj?.kind === "ConfigMap" && obj.metadata?.name === ENVOY_CONFIGMAP;
export const isEnvoyContainer = (c) => /^envoyproxy\/envoy:/.test(c?.image || "");
// The workloads whose pod templates the checks read: Deployments, and the per-node proxy's DaemonSet.
const isWorkload = (obj) => obj?.kind === "Deployment" || obj?.kind === "DaemonSet";
// What xdsd --kubernetes reads, by API group (src/xds/kubewatch.c lists and watches each): the ClusterRole
// of ServiceAccount xds grants list and watch (get is allowed too) on exactly these.
const XDSD_READS = {
  "": ["services"],
  "discovery.k8s.io": ["endpointslices"],
  "gateway.networking.k8s.io": ["grpcroutes", "httproutes"],
};
const XDSD_READS_TEXT = "services, endpointslices, grpcroutes and httproutes";
// The namespace a scenario folder is applied into (docs/kubernetes.md; scripts/kind.sh's namespace_of).
const namespaceOf = (scn) => (scn === "istio" || scn === "linkerd" ? `${scn}-demo` : scn);
// xdsd --kubernetes's name for a Service port, NAME.NAMESPACE:PORT (what a proxyless client dials).
const SERVICE_PORT_NAME = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.([a-z0-9]([-a-z0-9]*[a-z0-9])?):(\d+)$/;

let failures = 0;
function fail(msg) {
  failures++;
  console.log(`FAIL ${msg}`);
}

function parseDocs(file) {
  const text = fs.readFileSync(file, "utf8");
  const docs = YAML.parseAllDocuments(text, { prettyErrors: true, uniqueKeys: true });
  const out = [];
  for (const d of docs) {
    if (d.errors.length) {
      for (const e of d.errors) fail(`${file}: YAML: ${e.message.split("\n")[0]}`);
      continue;
    }
    const o = d.toJS();
    if (o !== null && o !== undefined) out.push({ file, obj: o });
  }
  return out;
}

function durationSeconds(s) {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(String(s));
  if (!m) return NaN;
  return Number(m[1]) * { ms: 0.001, s: 1, m: 60, h: 3600 }[m[2]];
}

function envValue(c, name) {
  const e = (c.env || []).find((x) => x.name === name);
  return e ? e.value : undefined;
}

function allContainers(spec) {
  return [...(spec.initContainers || []), ...(spec.containers || [])];
}

// House rules for one pod template (issue 6: "every pod as people run them in production").
function checkPod(where, dep, docsById) {
  const tpl = dep.spec?.template || {};
  const spec = tpl.spec || {};
  const labels = tpl.metadata?.labels || {};
  for (const l of ["app", "version", "app.kubernetes.io/name", "app.kubernetes.io/part-of"]) {
    if (!labels[l]) fail(`${where}: pod template lacks label ${l}`);
    if (!dep.metadata?.labels?.[l]) fail(`${where}: Deployment lacks label ${l}`);
  }
  const sel = dep.spec?.selector?.matchLabels || {};
  for (const [k, v] of Object.entries(sel)) if (labels[k] !== v) fail(`${where}: selector ${k}=${v} does not match the pod template`);
  if (!SERVICE_ACCOUNTS.has(spec.serviceAccountName)) fail(`${where}: serviceAccountName must be one of ${[...SERVICE_ACCOUNTS]}`);
  else if (!docsById.has(`ServiceAccount/${spec.serviceAccountName}`)) fail(`${where}: ServiceAccount ${spec.serviceAccountName} is not in this folder`);
  if (spec.securityContext?.seccompProfile?.type !== "RuntimeDefault") fail(`${where}: pod seccompProfile must be RuntimeDefault`);
  // Only xdsd in Kubernetes mode talks to the API (and then its ClusterRole must be in the folder).
  const kubeMode = spec.serviceAccountName === "xds" && allContainers(spec).some((c) => (c.args || []).includes("--kubernetes"));
  if (kubeMode) {
    if (spec.automountServiceAccountToken !== true) fail(`${where}: xdsd --kubernetes needs automountServiceAccountToken: true`);
    const bound = [...docsById.values()].some((o) => o.kind === "ClusterRoleBinding" &&
      (o.subjects || []).some((s) => s.kind === "ServiceAccount" && s.name === "xds"));
    if (!bound) fail(`${where}: xdsd --kubernetes needs a ClusterRoleBinding of ServiceAccount xds in this folder`);
  } else if (spec.automountServiceAccountToken !== false) {
    fail(`${where}: automountServiceAccountToken must be false (no pod but xdsd --kubernetes talks to the API)`);
  }
  const volumes = new Map((spec.volumes || []).map((v) => [v.name, v]));
  for (const v of volumes.values()) {
    if (v.configMap) {
      if (!CONFIGMAPS.has(v.configMap.name)) fail(`${where}: ConfigMap ${v.configMap.name} is not proxyconfig or xdsconfig`);
      else if (!docsById.has(`ConfigMap/${v.configMap.name}`)) fail(`${where}: ConfigMap ${v.configMap.name} is not in this folder`);
    }
  }
  for (const c of allContainers(spec)) {
    const cw = `${where} container ${c.name}`;
    const sc = { ...(spec.securityContext || {}), ...(c.securityContext || {}) };
    if (sc.runAsNonRoot !== true) fail(`${cw}: runAsNonRoot must be true`);
    if (c.securityContext?.readOnlyRootFilesystem !== true) fail(`${cw}: readOnlyRootFilesystem must be true`);
    if (c.securityContext?.allowPrivilegeEscalation !== false) fail(`${cw}: allowPrivilegeEscalation must be false`);
    if (!(c.securityContext?.capabilities?.drop || []).includes("ALL")) fail(`${cw}: capabilities must drop ALL`);
    for (const k of ["requests", "limits"]) for (const r of ["cpu", "memory"])
      if (!c.resources?.[k]?.[r]) fail(`${cw}: resources.${k}.${r} is missing`);
    const img = c.image || "";
    if (!OUR_IMAGES.test(img) && !(PINNED_UPSTREAM.test(img) && /[:@]/.test(img) && !/:latest\b/.test(img)))
      fail(`${cw}: image ${img} is neither ours (grpc-load-balancing/{client,server,xds}:1) nor a pinned upstream release`);
    for (const m of c.volumeMounts || []) {
      const v = volumes.get(m.name);
      if (!v) fail(`${cw}: volumeMount ${m.name} has no volume`);
      if (v?.configMap) {
        if (m.mountPath !== "/config") fail(`${cw}: ConfigMap ${v.configMap.name} must be mounted at /config`);
        if (m.subPath) fail(`${cw}: ConfigMap mounted with subPath is never updated; mount the directory`);
      }
    }
    const portNames = new Set((c.ports || []).map((p) => p.name));
    for (const pr of ["readinessProbe", "livenessProbe", "startupProbe"]) {
      const p = c[pr];
      const port = p?.httpGet?.port ?? p?.tcpSocket?.port;
      if (typeof port === "string" && !portNames.has(port)) fail(`${cw}: ${pr} uses port name ${port}, which the container does not declare`);
    }
    if (/^grpc-load-balancing\/server:/.test(img)) {
      for (const pr of ["readinessProbe", "livenessProbe"])
        if (c[pr]?.grpc?.port !== 50051) fail(`${cw}: ${pr} must be a native gRPC probe on 50051`);
      const drain = durationSeconds(envValue(c, "SHUTDOWN_GRACE") ?? "10s");
      const tgp = spec.terminationGracePeriodSeconds ?? 30;
      if (!(tgp > drain)) fail(`${cw}: terminationGracePeriodSeconds ${tgp} must be longer than SHUTDOWN_GRACE (${drain}s)`);
    }
    if (/^grpc-load-balancing\/client:/.test(img)) {
      if (!envValue(c, "SERVER_ADDRESS")) fail(`${cw}: SERVER_ADDRESS is not set`);
      if (JSON.stringify([c.command, c.args]).includes("sleep")) fail(`${cw}: no start-up sleep (WAIT_FOR_READY does that job)`);
    }
    if (isEnvoyContainer(c)) {
      const args = c.args || [];
      const cfg = args[args.indexOf("-c") + 1];
      if (args.indexOf("-c") < 0 || cfg !== "/config/config.yaml") fail(`${cw}: Envoy must run with -c /config/config.yaml`);
      if (c.name !== "proxy") fail(`${cw}: the Envoy container is named proxy (kubectl logs --container proxy)`);
    }
  }
}

function envoyFromConfigMap(where, cm) {
  let b;
  try {
    b = YAML.parse(cm.data["config.yaml"], { uniqueKeys: true });
  } catch (e) {
    return fail(`${where}: config.yaml: ${e.message.split("\n")[0]}`);
  }
  for (const e of checkEnvoy(b)) fail(`${where}: Envoy: ${e}`);
  for (const e of checkEnvoyHouseRules(b)) fail(`${where}: Envoy: ${e}`);
  return b;
}

// "host:port" at the end of a gRPC target or an address; null when it has none.
function hostPort(s) {
  const m = /^(?:dns:\/\/[^/]*\/)?([A-Za-z0-9.-]+):(\d+)$/.exec(s);
  return m ? { host: m[1], port: Number(m[2]) } : null;
}

// The wiring of one folder: every name a pod dials exists in the folder with that port. A typo
// here is valid YAML, valid Kubernetes and valid Envoy, and only shows on a cluster.
function checkWiring(label, docs) {
  const services = new Map();
  for (const { obj } of docs) if (obj.kind === "Service") services.set(obj.metadata.name, (obj.spec?.ports || []).map((p) => p.port));
  const hasService = (host, port) => services.get(host)?.includes(port);
  // A scenario folder's namespace (a loose file has none).
  const ns = label.startsWith("deploy/") ? namespaceOf(label.slice("deploy/".length)) : null;
  const kubeXdsd = docs.some((d) => isWorkload(d.obj) &&
    allContainers(d.obj.spec.template.spec).some((c) => (c.args || []).includes("--kubernetes")));
  // Gateway API routes on a Service (GAMMA): the parent and every backend are Service ports of this folder.
  for (const { obj } of docs) {
    if (obj.kind !== "GRPCRoute" && obj.kind !== "HTTPRoute") continue;
    const where = `${label}: ${obj.kind}/${obj.metadata?.name}`;
    for (const p of obj.spec?.parentRefs || []) {
      if (p.group !== "" || p.kind !== "Service" || (p.namespace && p.namespace !== ns)) continue;
      if (!services.has(p.name)) fail(`${where}: parentRef Service ${p.name} is not a Service of this folder`);
      else if (p.port !== undefined && !hasService(p.name, p.port)) fail(`${where}: parentRef Service ${p.name} has no port ${p.port}`);
    }
    for (const r of obj.spec?.rules || []) for (const b of r.backendRefs || []) {
      if ((b.group ?? "") !== "" || (b.kind ?? "Service") !== "Service" || (b.namespace && b.namespace !== ns)) continue;
      if (!hasService(b.name, b.port)) fail(`${where}: backendRef ${b.name}:${b.port} is not a Service port of this folder`);
    }
  }
  let xdsconfig = null;
  let envoyListeners = [];
  for (const { obj } of docs) {
    if (obj.kind !== "ConfigMap" || !obj.data?.["config.yaml"]) continue;
    let c;
    try {
      c = YAML.parse(obj.data["config.yaml"]);
    } catch {
      continue; // reported elsewhere
    }
    if (obj.metadata.name === "xdsconfig") {
      xdsconfig = c;
      const clusters = new Set((c?.spec?.clusters || []).map((x) => x.name));
      for (const l of c?.spec?.listeners || []) {
        envoyListeners.push(l.port);
        for (const r of l.routes || []) for (const rc of r.clusters || [])
          if (!clusters.has(rc.name)) fail(`${label}: xdsconfig route ${r.name} sends to cluster ${rc.name}, which is not defined`);
      }
      for (const cl of c?.spec?.clusters || []) {
        const eps = [...(cl.endpoints || []), ...(cl.localities || []).flatMap((loc) => loc.endpoints || [])];
        for (const e of eps)
          if (!hasService(e.address, e.port)) fail(`${label}: xdsconfig cluster ${cl.name} endpoint ${e.address}:${e.port} is not a Service port in this folder`);
      }
    } else if (isEnvoyConfigMap(obj)) {
      for (const l of c?.static_resources?.listeners || []) envoyListeners.push(l.address?.socket_address?.port_value);
      for (const cl of c?.static_resources?.clusters || []) {
        for (const loc of cl.load_assignment?.endpoints || []) for (const ep of loc.lb_endpoints || []) {
          const sa = ep.endpoint?.address?.socket_address || {};
          if (!hasService(sa.address, sa.port_value)) fail(`${label}: Envoy cluster ${cl.name} endpoint ${sa.address}:${sa.port_value} is not a Service port in this folder`);
        }
      }
    }
  }
  for (const { obj } of docs) {
    if (!isWorkload(obj)) continue;
    const spec = obj.spec.template.spec;
    const sidecar = allContainers(spec).some(isEnvoyContainer);
    for (const c of allContainers(spec)) {
      const cw = `${label}: ${obj.kind}/${obj.metadata.name} container ${c.name}`;
      // $(VAR) must name an env var defined earlier in the same container (Kubernetes leaves
      // an unknown reference as literal text, silently).
      const defined = [];
      for (const e of c.env || []) {
        for (const m of String(e.value ?? "").matchAll(/\$\((\w+)\)/g)) if (!defined.includes(m[1])) fail(`${cw}: env ${e.name} refers to $(${m[1]}), which is not defined before it`);
        defined.push(e.name);
      }
      for (const a of [...(c.command || []), ...(c.args || [])])
        for (const m of String(a).matchAll(/\$\((\w+)\)/g)) if (!defined.includes(m[1])) fail(`${cw}: argument refers to $(${m[1]}), which is not in the container's env`);
      const target = envValue(c, "SERVER_ADDRESS");
      if (target === undefined) continue;
      if (target.startsWith("xds:///")) {
        const name = target.slice("xds:///".length);
        const gen = SERVICE_PORT_NAME.exec(name);
        if (xdsconfig?.spec?.listeners?.some((l) => l.name === name)) {
          // the file's listener
        } else if (gen && kubeXdsd) { // xdsd --kubernetes's listener of a Service port
          if (!hasService(gen[1], Number(gen[5]))) fail(`${cw}: dials ${target}, but no Service ${gen[1]} with port ${gen[5]} is in this folder`);
          else if (ns && gen[3] !== ns) fail(`${cw}: dials ${target}, but this folder is applied into namespace ${ns}`);
        } else {
          fail(`${cw}: dials ${target}, but no xdsconfig listener is named ${name}${gen ? " (and no xdsd --kubernetes serves Service ports here)" : ""}`);
        }
        const boot = envValue(c, "GRPC_XDS_BOOTSTRAP_CONFIG");
        let b = null;
        try {
          b = JSON.parse(String(boot).replace(/\$\(\w+\)/g, "x"));
        } catch {
          fail(`${cw}: GRPC_XDS_BOOTSTRAP_CONFIG is not JSON`);
        }
        const uri = b?.xds_servers?.[0]?.server_uri;
        const hp = uri && hostPort(uri);
        // "xds:9002" would be read as a URI of scheme xds: the control plane needs dns:/// here.
        if (!uri || !/^dns:\/\/\//.test(uri) || !hp || !hasService(hp.host, hp.port)) fail(`${cw}: xds_servers[0].server_uri ${uri} must be dns:///<Service>:<port> of this folder`);
        if (!b?.xds_servers?.[0]?.channel_creds?.some((x) => x.type === "insecure")) fail(`${cw}: the bootstrap needs channel_creds [{"type":"insecure"}]`);
        if (!/"id":"\$\(POD_NAME\)"/.test(String(boot))) fail(`${cw}: the bootstrap's node id must be the pod name ($(POD_NAME))`);
        continue;
      }
      // The node's own proxy: $(HOST_IP) from status.hostIP, and a DaemonSet's Envoy with that hostPort.
      const viaNode = /^\$\((\w+)\):(\d+)$/.exec(target);
      if (viaNode) {
        const src = (c.env || []).find((e) => e.name === viaNode[1])?.valueFrom?.fieldRef?.fieldPath;
        const port = Number(viaNode[2]);
        const nodeProxy = docs.some((d) => d.obj.kind === "DaemonSet" &&
          allContainers(d.obj.spec.template.spec).some((x) => isEnvoyContainer(x) && (x.ports || []).some((p) => p.hostPort === port)));
        if (src !== "status.hostIP") fail(`${cw}: dials ${target}, but ${viaNode[1]} is not the node's address (fieldRef status.hostIP)`);
        else if (!nodeProxy || !envoyListeners.includes(port)) fail(`${cw}: dials the node's port ${port}, but no DaemonSet's Envoy listens there (hostPort and listener)`);
        continue;
      }
      const hp = hostPort(target);
      if (!hp) {
        fail(`${cw}: SERVER_ADDRESS ${target} is not host:port`);
      } else if (hp.host === "localhost" || hp.host === "127.0.0.1") {
        if (!sidecar) fail(`${cw}: dials ${target} but the pod has no Envoy sidecar`);
        else if (!envoyListeners.includes(hp.port)) fail(`${cw}: dials ${target} but no Envoy listener in this folder listens on ${hp.port}`);
      } else if (!hasService(hp.host, hp.port)) {
        fail(`${cw}: dials ${target}, which is not a Service port in this folder`);
      }
    }
  }
}

// Checks a set of files that are applied together (one scenario folder).
async function checkSet(label, files) {
  const docs = files.flatMap(parseDocs);
  const byId = new Map();
  for (const { file, obj } of docs) {
    const id = `${obj.kind}/${obj.metadata?.name}`;
    if (byId.has(id)) fail(`${label}: ${id} is defined twice (kustomize refuses that)`);
    byId.set(id, obj);
    if (obj.metadata?.namespace) fail(`${file}: ${id} sets a namespace; the commands choose it with -n`);
  }
  for (const { file, obj } of docs) {
    const id = `${obj.kind}/${obj.metadata?.name}`;
    const where = `${file}: ${id}`;
    for (const e of await validateObject(obj)) fail(`${file}: ${e}`);
    switch (obj.kind) {
      case "Deployment":
      case "DaemonSet":
        checkPod(where, obj, byId);
        break;
      case "ServiceAccount":
        if (!SERVICE_ACCOUNTS.has(obj.metadata?.name)) fail(`${where}: ServiceAccounts are client, server, proxy, xds`);
        break;
      case "ClusterRole": {
        // Read-only, and only what xdsd watches; and all of it (without list and watch on a resource,
        // xdsd's watch of it fails with 403: a role left behind by an older release).
        for (const r of obj.rules || []) {
          for (const g of r.apiGroups || []) for (const res of r.resources || [])
            if (!(XDSD_READS[g] || []).includes(res)) fail(`${where}: grants ${g || "core"}/${res}; xdsd reads only ${XDSD_READS_TEXT}`);
          for (const v of r.verbs || []) if (!["get", "list", "watch"].includes(v)) fail(`${where}: verb ${v} is not read-only`);
        }
        for (const [g, list] of Object.entries(XDSD_READS)) for (const res of list) {
          const granted = (obj.rules || []).some((r) => (r.apiGroups || []).includes(g) && (r.resources || []).includes(res) &&
            ["list", "watch"].every((v) => (r.verbs || []).includes(v)));
          if (!granted) fail(`${where}: does not grant list and watch on ${g || "core"}/${res}, which xdsd watches`);
        }
        break;
      }
      case "ClusterRoleBinding":
        if (obj.roleRef?.kind !== "ClusterRole" || !byId.has(`ClusterRole/${obj.roleRef?.name}`))
          fail(`${where}: roleRef must name a ClusterRole of this folder`);
        for (const s of obj.subjects || [])
          if (s.kind !== "ServiceAccount" || s.name !== "xds") fail(`${where}: binds only ServiceAccount xds`);
        break;
      case "ConfigMap": {
        if (!CONFIGMAPS.has(obj.metadata?.name)) fail(`${where}: ConfigMaps are proxyconfig and xdsconfig`);
        if (!obj.data || Object.keys(obj.data).join() !== "config.yaml") fail(`${where}: the only key is config.yaml`);
        else if (isEnvoyConfigMap(obj)) {
          const b = envoyFromConfigMap(where, obj);
          if (b?.dynamic_resources?.ads_config) {
            // node.id comes from the pod name: --service-node "$(POD_NAME)" with POD_NAME from the downward API.
            const users = docs.filter((d) => isWorkload(d.obj)).flatMap((d) => allContainers(d.obj.spec.template.spec))
              .filter(isEnvoyContainer);
            for (const c of users) {
              const a = c.args || [];
              const podName = (c.env || []).find((e) => e.name === "POD_NAME")?.valueFrom?.fieldRef?.fieldPath;
              if (a[a.indexOf("--service-node") + 1] !== "$(POD_NAME)" || podName !== "metadata.name")
                fail(`${where}: an ADS bootstrap needs --service-node "$(POD_NAME)" with POD_NAME from metadata.name`);
              if (a.indexOf("--service-cluster") < 0 && !b.node?.cluster) fail(`${where}: ADS needs node.cluster (--service-cluster)`);
            }
          }
        } else {
          try {
            const x = YAML.parse(obj.data["config.yaml"]);
            if (!x?.spec?.listeners || !x?.spec?.clusters) fail(`${where}: xdsconfig needs spec.listeners and spec.clusters`);
          } catch (e) {
            fail(`${where}: config.yaml: ${e.message.split("\n")[0]}`);
          }
        }
        break;
      }
      case "Service": {
        const ports = obj.spec?.ports || [];
        const sel = obj.spec?.selector || {};
        const pods = docs.filter((d) => isWorkload(d.obj)).map((d) => d.obj.spec.template);
        if (pods.length && !pods.some((t) => Object.entries(sel).every(([k, v]) => t.metadata?.labels?.[k] === v)))
          fail(`${where}: the selector matches no pod template in this folder`);
        const want = { server: [["grpc", 50051]], proxy: [["grpc", 8080], ["admin", 8081]], xds: [["grpc", 9002]] };
        const name = obj.metadata.name.startsWith("server") ? "server" : obj.metadata.name;
        if (want[name]) {
          const got = ports.map((p) => [p.name, p.port]);
          if (JSON.stringify(got) !== JSON.stringify(want[name])) fail(`${where}: ports must be ${JSON.stringify(want[name])}, got ${JSON.stringify(got)}`);
        }
        break;
      }
      default:
        break;
    }
  }
  checkWiring(label, docs);
  return docs;
}

async function cmdManifests(repo) {
  const deploy = path.join(repo, "deploy");
  const found = fs.readdirSync(deploy, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  const want = [...Object.keys(SCENARIOS), "image", "kind"].sort();
  if (found.join() !== want.join()) fail(`deploy/ holds ${found.join(", ")}; expected ${want.join(", ")}`);
  const envoyImages = new Set();
  for (const [scn, files] of Object.entries(SCENARIOS)) {
    const dir = path.join(deploy, scn);
    if (!fs.existsSync(dir)) continue;
    const present = fs.readdirSync(dir).filter((f) => f !== "kustomization.yaml").sort();
    if (present.join() !== [...files].sort().join()) fail(`deploy/${scn} holds ${present.join(", ")}; the demo's names are ${files.join(", ")}`);
    if (!fs.existsSync(path.join(dir, "kustomization.yaml"))) fail(`deploy/${scn} has no kustomization.yaml`);
    const docs = await checkSet(`deploy/${scn}`, files.map((f) => path.join(dir, f)).filter((f) => fs.existsSync(f)));
    for (const { obj } of docs) {
      if (!isWorkload(obj)) continue;
      for (const c of allContainers(obj.spec.template.spec)) if (/^envoyproxy\/envoy/.test(c.image)) envoyImages.add(c.image);
    }
    console.log(`ok   deploy/${scn}: ${docs.length} objects`);
  }
  if (envoyImages.size !== 1) fail(`every scenario must pin the same Envoy release, found ${[...envoyImages].join(", ")}`);
  else console.log(`ok   Envoy pinned to ${[...envoyImages][0]}; Envoy configs checked against ${protoSource()}`);
  checkKindConfig(path.join(deploy, "kind", "cluster.yaml"));
}

function checkKindConfig(file) {
  const c = parseDocs(file)[0]?.obj;
  if (c?.kind !== "Cluster" || c?.apiVersion !== "kind.x-k8s.io/v1alpha4") return fail(`${file}: not a kind Cluster (kind.x-k8s.io/v1alpha4)`);
  const allowed = new Set(["kind", "apiVersion", "name", "nodes", "networking", "featureGates", "runtimeConfig", "kubeadmConfigPatches", "containerdConfigPatches"]);
  for (const k of Object.keys(c)) if (!allowed.has(k)) fail(`${file}: unknown field ${k}`);
  const roles = (c.nodes || []).map((n) => n.role);
  if (!roles.includes("control-plane") || roles.some((r) => !["control-plane", "worker"].includes(r))) fail(`${file}: node roles must be control-plane/worker`);
  console.log(`ok   ${file}: ${roles.length} nodes`);
}

// Our renderer for the subset of kustomize these folders use (a list of resource files, no
// patches, no generators): the objects of the files in order, each id at most once.
function renderKustomization(dir, kfile = path.join(dir, "kustomization.yaml")) {
  const k = YAML.parse(fs.readFileSync(kfile, "utf8"));
  const allowed = new Set(["apiVersion", "kind", "resources"]);
  for (const key of Object.keys(k)) if (!allowed.has(key)) throw new Error(`unsupported kustomization field ${key}`);
  if (k.kind !== "Kustomization" || k.apiVersion !== "kustomize.config.k8s.io/v1beta1") throw new Error("not a Kustomization");
  const out = [];
  const ids = new Set();
  for (const r of k.resources || []) {
    const f = path.join(dir, r);
    if (!fs.existsSync(f)) throw new Error(`resource ${r} does not exist`);
    for (const d of YAML.parseAllDocuments(fs.readFileSync(f, "utf8"))) {
      if (d.errors.length) throw new Error(`${r}: ${d.errors[0].message}`);
      const o = d.toJS();
      if (!o) continue;
      const id = `${o.apiVersion}/${o.kind}/${o.metadata?.name}`;
      if (ids.has(id)) throw new Error(`${id} is defined twice`);
      ids.add(id);
      out.push(o);
    }
  }
  return out;
}

function haveKubectl() {
  try {
    execFileSync("kubectl", ["version", "--client"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

function canonical(objs) {
  // kubectl kustomize sorts by kind and name (legacy order); compare as sorted sets of objects.
  return objs.map((o) => JSON.stringify(o, Object.keys(flatKeys(o)).sort())).sort();
}
function flatKeys(o, acc = {}) {
  if (o && typeof o === "object") for (const [k, v] of Object.entries(o)) { acc[k] = 1; flatKeys(v, acc); }
  return acc;
}

async function cmdKustomize(repo) {
  const kubectl = haveKubectl();
  for (const scn of Object.keys(SCENARIOS)) {
    const dir = path.join(repo, "deploy", scn);
    let ours;
    try {
      ours = renderKustomization(dir);
    } catch (e) {
      fail(`deploy/${scn}/kustomization.yaml: ${e.message}`);
      continue;
    }
    const files = YAML.parse(fs.readFileSync(path.join(dir, "kustomization.yaml"), "utf8")).resources;
    if (files.join() !== SCENARIOS[scn].join()) fail(`deploy/${scn}/kustomization.yaml: resources ${files.join(", ")} must be the walkthrough's order ${SCENARIOS[scn].join(", ")}`);
    if (kubectl) {
      let theirs;
      try {
        const text = execFileSync("kubectl", ["kustomize", dir], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
        theirs = YAML.parseAllDocuments(text).map((d) => d.toJS()).filter(Boolean);
      } catch (e) {
        fail(`deploy/${scn}: kubectl kustomize failed: ${String(e.stderr || e.message).trim()}`);
        continue;
      }
      if (JSON.stringify(canonical(ours)) !== JSON.stringify(canonical(theirs))) fail(`deploy/${scn}: kubectl kustomize renders something else than the files`);
    }
    console.log(`ok   deploy/${scn}: kustomization renders ${ours.length} objects${kubectl ? " (same as kubectl kustomize)" : ""}`);
  }
  if (!kubectl) console.log("note kubectl not found: checked with our renderer only");
}

function cmdEnvoy(file) {
  const b = YAML.parse(fs.readFileSync(file, "utf8"), { uniqueKeys: true });
  for (const e of checkEnvoy(b)) fail(`${file}: ${e}`);
  for (const e of checkEnvoyHouseRules(b)) fail(`${file}: ${e}`);
  if (!failures) console.log(`ok   ${file}: valid Envoy bootstrap (${protoSource()})`);
}

export const DOCKER_TARGETS = ["client", "server", "xds"];

function cmdDockerfile(file) {
  const text = fs.readFileSync(file, "utf8");
  for (const d of lintDockerfile(text, {})) fail(`${file}:${d.range.start.line + 1}: ${d.message}`);
  const stages = [...text.matchAll(/^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/gim)].map((m) => ({ image: m[1], name: m[2] }));
  const names = new Set(stages.map((s) => s.name).filter(Boolean));
  for (const t of DOCKER_TARGETS) if (!names.has(t)) fail(`${file}: no target ${t} (docker build --target ${t})`);
  // The builder builds with the same commands as CI.
  for (const cmd of ["bash scripts/deps.sh", "make", "bash deploy/image/stage-rootfs.sh"])
    if (!new RegExp(`^RUN ${cmd.replace(/[./]/g, "\\$&")}( |$)`, "m").test(text)) fail(`${file}: the builder must RUN ${cmd}`);
  const args = Object.fromEntries([...text.matchAll(/^ARG\s+(\w+)=(\S+)/gm)].map((m) => [m[1], m[2]]));
  for (const s of stages) {
    const img = s.image.replace(/^\$\{(\w+)\}$/, (_, a) => args[a] ?? s.image);
    if (names.has(img) || stages.some((x) => x.name === img)) continue;
    if (!/:\d+(\.\d+)+(-[a-z]+)?$|@sha256:/.test(img)) fail(`${file}: base image ${img} is not pinned to a release`);
  }
  for (const t of DOCKER_TARGETS) {
    const body = text.split(/^FROM\s+/m).find((b) => new RegExp(`^\\S+\\s+AS\\s+${t}\\s*$`, "im").test(b.split("\n")[0]));
    if (!body) continue;
    const user = [...body.matchAll(/^USER\s+(\S+)/gm)].pop()?.[1];
    if (!user || !/^[1-9]\d*(:\d+)?$/.test(user)) fail(`${file}: target ${t} must end as a numeric non-root USER (got ${user})`);
    if (!/^ENTRYPOINT\s+\[/m.test(body)) fail(`${file}: target ${t} needs an exec-form ENTRYPOINT`);
  }
  if (!failures) console.log(`ok   ${file}: lints clean; targets ${DOCKER_TARGETS.join(", ")}; non-root; pinned base`);
}

function cmdConfigmap(file, name) {
  const cm = parseDocs(file).find((d) => d.obj.kind === "ConfigMap" && d.obj.metadata?.name === name);
  if (!cm) return fail(`${file}: no ConfigMap ${name}`);
  process.stdout.write(cm.obj.data["config.yaml"]);
}

// $(VAR) in a container's args as the kubelet expands it ($$ is a literal $; an unknown VAR stays as
// text, which checkWiring reports). A downward-API pod name becomes a made-up one, since validate
// needs a value and never dials anything.
function expandArg(arg, c, podName) {
  return String(arg).replace(/\$\$|\$\((\w+)\)/g, (m, name) => {
    if (m === "$$") return "$";
    const e = (c.env || []).find((x) => x.name === name);
    if (!e) return m;
    if (e.value !== undefined) return String(e.value);
    const field = e.valueFrom?.fieldRef?.fieldPath;
    if (field === "metadata.name") return podName;
    if (field === "metadata.namespace") return "default";
    fail(`container ${c.name}: cannot substitute $(${name}) (env from ${JSON.stringify(e.valueFrom)})`);
    return m;
  });
}

// Writes every Envoy config under REPO/deploy for `envoy --mode validate`: OUTDIR/<scenario>.<ConfigMap>.yaml,
// and per Envoy container that mounts it OUTDIR/<scenario>.<Deployment>.<container>.args (its args one a
// line, expanded, without -c and its path, which the caller gives). OUTDIR/index.tsv lists them:
// source file, ConfigMap, config file, Deployment/container, args file. Every Envoy config must be run
// by an Envoy container and every Envoy container must run an Envoy config of its folder.
function cmdEnvoyConfigs(outdir, repo) {
  fs.mkdirSync(outdir, { recursive: true });
  const index = [];
  for (const [scn, files] of Object.entries(SCENARIOS)) {
    const dir = path.join(repo, "deploy", scn);
    const docs = files.map((f) => path.join(dir, f)).filter((f) => fs.existsSync(f)).flatMap(parseDocs);
    const rel = (f) => path.relative(repo, f);
    const users = new Set();
    for (const { file, obj: cm } of docs) {
      if (!isEnvoyConfigMap(cm)) continue;
      const name = cm.metadata.name;
      const where = `${rel(file)}: ConfigMap/${name}`;
      const text = cm.data?.["config.yaml"];
      if (typeof text !== "string") {
        fail(`${where}: no config.yaml`);
        continue;
      }
      const cfg = path.join(outdir, `${scn}.${name}.yaml`);
      fs.writeFileSync(cfg, text);
      let n = 0;
      for (const { obj: dep } of docs) {
        if (!isWorkload(dep)) continue;
        const spec = dep.spec?.template?.spec || {};
        const vols = new Set((spec.volumes || []).filter((v) => v.configMap?.name === name).map((v) => v.name));
        for (const c of allContainers(spec)) {
          const mount = (c.volumeMounts || []).find((m) => vols.has(m.name));
          if (!mount || !isEnvoyContainer(c)) continue;
          users.add(c);
          n++;
          const cw = `${where}: Deployment/${dep.metadata.name} container ${c.name}`;
          const raw = [...(c.command || []).slice(1), ...(c.args || [])];
          const ci = raw.findIndex((a) => a === "-c" || a === "--config-path");
          if (ci < 0 || raw[ci + 1] !== path.posix.join(mount.mountPath, "config.yaml")) {
            fail(`${cw}: does not run -c ${path.posix.join(mount.mountPath, "config.yaml")} (the ConfigMap's mount)`);
            continue;
          }
          const args = [];
          for (let i = 0; i < raw.length; i++) {
            if (i === ci || raw[i] === "--mode") i++; // the caller sets -c and --mode validate
            else args.push(expandArg(raw[i], c, `${dep.metadata.name}-validate-0`));
          }
          if (args.some((a) => a.includes("\n") || a.includes("\t"))) {
            fail(`${cw}: an argument holds a newline or tab`);
            continue;
          }
          const argsFile = path.join(outdir, `${scn}.${dep.metadata.name}.${c.name}.args`);
          fs.writeFileSync(argsFile, args.map((a) => `${a}\n`).join(""));
          index.push([rel(file), name, cfg, `Deployment/${dep.metadata.name}/${c.name}`, argsFile].join("\t"));
        }
      }
      if (!n) fail(`${where}: no Envoy container in deploy/${scn} mounts it, so nothing says how Envoy runs it`);
    }
    for (const { file, obj: dep } of docs) {
      if (!isWorkload(dep)) continue;
      for (const c of allContainers(dep.spec?.template?.spec || {}))
        if (isEnvoyContainer(c) && !users.has(c)) fail(`${rel(file)}: Deployment/${dep.metadata.name} container ${c.name} runs Envoy without an Envoy ConfigMap of deploy/${scn} mounted`);
    }
  }
  fs.writeFileSync(path.join(outdir, "index.tsv"), index.map((l) => `${l}\n`).join(""));
  if (!index.length) fail(`${repo}/deploy: no Envoy config found`);
  for (const l of index) console.log(`ok   ${l.split("\t").slice(0, 2).join(": ConfigMap/")} for ${l.split("\t")[3]}`);
}

// The repository a fixture folder (tests/deploy/broken) belongs to.
function dir_of_repo(fixtures) {
  return path.resolve(fixtures, "..", "..", "..");
}

// A fixture starts with "# check: manifests|envoy|dockerfile|kustomization" and "# expect: <text of the failure>".
// "# check: envoy-validate" marks an Envoy bootstrap that only Envoy itself refuses: here it must PASS the
// envoy check (so it shows what that check cannot see); deploy_envoy_validate asserts Envoy's refusal.
async function cmdExpectFail(dir) {
  const fixtures = fs.readdirSync(dir).sort();
  if (!fixtures.length) fail(`${dir}: no fixtures`);
  for (const f of fixtures) {
    const file = path.join(dir, f);
    const head = fs.readFileSync(file, "utf8").split("\n").slice(0, 5).join("\n");
    const check = /# check: ([\w-]+)/.exec(head)?.[1];
    const expect = /# expect: (.+)/.exec(head)?.[1]?.trim();
    if (!check || !expect) {
      fail(`${file}: fixture needs "# check:" and "# expect:" lines`);
      continue;
    }
    const out = [];
    const saved = console.log;
    const before = failures;
    let crashed = null;
    console.log = (m) => out.push(String(m));
    try {
      if (check === "manifests") await checkSet(file, [file]);
      else if (check === "envoy" || check === "envoy-validate") cmdEnvoy(file);
      else if (check === "dockerfile") cmdDockerfile(file);
      else if (check === "kustomization") {
        // "# dir: deploy/X": the fixture stands for deploy/X/kustomization.yaml.
        const kdir = path.resolve(dir_of_repo(dir), /# dir: (\S+)/.exec(head)?.[1] ?? ".");
        try {
          renderKustomization(kdir, file);
        } catch (e) {
          fail(`${f}: ${e.message}`);
        }
      }
      else out.push(`FAIL unknown check ${check}`);
    } catch (e) {
      crashed = e;
    } finally {
      console.log = saved;
    }
    const got = failures - before;
    failures = before;
    const text = out.join("\n");
    if (crashed) fail(`${f}: the ${check} check crashed: ${crashed.stack || crashed}`);
    else if (check === "envoy-validate") {
      if (got) fail(`${f}: an envoy-validate fixture must pass the envoy check (only Envoy itself may refuse it):\n${text}`);
      else console.log(`ok   ${f}: passes the envoy check; envoy --mode validate must refuse it (deploy_envoy_validate)`);
    }
    else if (got === 0) fail(`${f}: the broken fixture was ACCEPTED by the ${check} check`);
    else if (!text.includes(expect)) fail(`${f}: rejected, but not for "${expect}":\n${text}`);
    else console.log(`ok   ${f}: rejected (${expect})`);
  }
}

async function main(argv) {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case "manifests": await cmdManifests(rest[0]); break;
    case "files": for (const f of rest) await checkSet(f, [f]); break;
    case "kustomize": await cmdKustomize(rest[0]); break;
    case "envoy": cmdEnvoy(rest[0]); break;
    case "dockerfile": cmdDockerfile(rest[0]); break;
    case "configmap": cmdConfigmap(rest[0], rest[1]); break;
    case "envoy-configs": cmdEnvoyConfigs(rest[0], rest[1]); break;
    case "expect-fail": await cmdExpectFail(rest[0]); break;
    default:
      console.error("usage: check.mjs manifests|files|kustomize|envoy|dockerfile|configmap|envoy-configs|expect-fail ...");
      process.exit(2);
  }
  if (cmd !== "configmap") console.log(failures ? `${failures} problem(s)` : "all checks passed");
  process.exit(failures ? 1 : 0);
}

main(process.argv.slice(2)).catch((e) => {
  console.error(e.stack || String(e));
  process.exit(1);
});
