#!/usr/bin/env python3
"""Static checks of deploy/: the container image recipe, Kubernetes manifests, systemd unit,
Grafana dashboard, Prometheus alert rules and IAM policy.

Usage: check_deploy.py --source-dir DIR [--binary PATH] [--promtool PATH] CHECK
One CHECK per ctest entry (see tests/deploy/CMakeLists.txt). Exit 0: passed, 1: failed,
77: skipped because a tool it needs is absent (ctest reports it as skipped, with the reason).
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

SKIP = 77


class CheckFailed(Exception):
    pass


class Skipped(Exception):
    pass


class Checker:
    """Collects every problem of one check, so a run reports all of them at once."""

    def __init__(self):
        self.problems = []

    def expect(self, condition, message):
        if not condition:
            self.problems.append(message)
        return condition

    def finish(self):
        if self.problems:
            raise CheckFailed("\n".join(self.problems))


def load_yaml_module():
    try:
        import yaml  # PyYAML ships with the machine image (cfn-lint and the AWS CLI need it).
    except ImportError as e:
        raise Skipped(f"python3 cannot import yaml ({e})")
    return yaml


def run(argv, cwd=None):
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False)


# --- metric names --------------------------------------------------------------------------

HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")


def declared_metrics(source_dir):
    """Every `ecsync_*` family named in metrics/metrics.h."""
    with open(os.path.join(source_dir, "metrics", "metrics.h"), encoding="utf-8") as f:
        text = f.read()
    names = {n for n in re.findall(r"\becsync_[a-z_]+", text) if not n.endswith("_")}
    if len(names) < 10:
        raise CheckFailed(f"metrics/metrics.h names only {sorted(names)}: cannot check against it")
    return names


def strip_promql_strings(expr):
    return re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`', '""', expr)


def metric_names_in(expr):
    return set(re.findall(r"\becsync_[a-zA-Z0-9_]*", strip_promql_strings(expr)))


def family_of(name, declared):
    """The declared family `name` belongs to (itself or a histogram series), or None."""
    if name in declared:
        return name
    for suffix in HISTOGRAM_SUFFIXES:
        if name.endswith(suffix) and name[: -len(suffix)] in declared:
            return name[: -len(suffix)]
    return None


def check_expr_metrics(checker, where, expr, declared):
    families = set()
    for name in metric_names_in(expr):
        family = family_of(name, declared)
        checker.expect(family is not None,
                       f"{where}: {name} is not a metric in metrics/metrics.h (expr: {expr})")
        if family:
            families.add(family)
    return families


def promtool_check_exprs(promtool, exprs):
    """Parses PromQL expressions with promtool by wrapping them as recording rules."""
    rules = {"groups": [{"name": "exprs", "rules": [
        {"record": f"check:expr_{i}", "expr": e} for i, e in enumerate(exprs)]}]}
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "exprs.yaml")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(rules, f)  # JSON is YAML.
        result = run([promtool, "check", "rules", path])
    return result


# --- Prometheus alert rules ----------------------------------------------------------------

def alerts_path(source_dir):
    return os.path.join(source_dir, "deploy", "prometheus", "ecsync-alerts.yaml")


def check_promtool_rules(args):
    result = run([args.promtool, "check", "rules", alerts_path(args.source_dir)])
    if result.returncode != 0:
        raise CheckFailed(f"promtool check rules failed:\n{result.stdout}{result.stderr}")
    print(result.stdout.strip())


def check_promtool_test(args):
    test_file = os.path.join(args.source_dir, "deploy", "prometheus", "ecsync-alerts.test.yaml")
    yaml = load_yaml_module()
    with open(test_file, encoding="utf-8") as f:
        tests = yaml.safe_load(f)
    tested = {t["alertname"] for case in tests["tests"] for t in case.get("alert_rule_test", [])}
    checker = Checker()
    for required in ("EcsyncProjectStalled", "EcsyncReconcileFailing"):
        checker.expect(required in tested, f"{test_file}: no unit test for {required}")
    # Every tested alert needs a case where it fires and one where it stays quiet.
    for name in tested:
        outcomes = {bool(t.get("exp_alerts")) for case in tests["tests"]
                    for t in case.get("alert_rule_test", []) if t["alertname"] == name}
        checker.expect(outcomes == {True, False},
                       f"{test_file}: {name} needs a case where it fires and one where it does not")
    checker.finish()
    result = run([args.promtool, "test", "rules", os.path.basename(test_file)],
                 cwd=os.path.dirname(test_file))
    if result.returncode != 0:
        raise CheckFailed(f"promtool test rules failed:\n{result.stdout}{result.stderr}")
    print(result.stdout.strip())


def check_alert_metrics(args):
    yaml = load_yaml_module()
    declared = declared_metrics(args.source_dir)
    with open(alerts_path(args.source_dir), encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    checker = Checker()
    names = []
    for group in doc["groups"]:
        for rule in group["rules"]:
            name = rule.get("alert") or rule.get("record")
            where = f"ecsync-alerts.yaml: {name}"
            check_expr_metrics(checker, where, str(rule["expr"]), declared)
            if "alert" not in rule:
                continue
            names.append(name)
            checker.expect(re.fullmatch(r"Ecsync[A-Z][A-Za-z]+", name) is not None,
                           f"{where}: alert names are EcsyncCamelCase")
            severity = rule.get("labels", {}).get("severity")
            checker.expect(severity in ("critical", "warning", "info"),
                           f"{where}: severity label is {severity!r}, want critical, warning or info")
            annotations = rule.get("annotations", {})
            for key in ("summary", "description"):
                checker.expect(bool(annotations.get(key)), f"{where}: no {key} annotation")
    checker.expect(len(names) == len(set(names)), f"duplicate alert names in {names}")
    for required in ("EcsyncProjectStalled", "EcsyncReconcileFailing", "EcsyncNoSuccessfulReconcile",
                     "EcsyncStackDrifted", "EcsyncGitFetchErrors", "EcsyncAwsThrottling",
                     "EcsyncWebhookUnauthorized", "EcsyncDown", "EcsyncQueueBacklog",
                     "EcsyncReconcileStuck"):
        checker.expect(required in names, f"ecsync-alerts.yaml: alert {required} is missing")
    checker.finish()
    print(f"{len(names)} alerts use only metrics declared in metrics/metrics.h")


# --- Grafana dashboard ---------------------------------------------------------------------

def grafana_to_promql(expr):
    """Replaces Grafana's variables with values PromQL accepts, for syntax checking."""
    expr = expr.replace("$__rate_interval", "5m").replace("$__interval", "1m")
    expr = expr.replace("$__range", "1h")
    return re.sub(r"\$\{?[A-Za-z_][A-Za-z0-9_]*\}?", ".*", expr)


def panels_of(dashboard):
    for panel in dashboard.get("panels", []):
        yield panel
        yield from panel.get("panels", [])  # collapsed rows keep their panels inside


def check_dashboard(args):
    path = os.path.join(args.source_dir, "deploy", "grafana", "ecsync-dashboard.json")
    try:
        with open(path, encoding="utf-8") as f:
            dashboard = json.load(f)
    except ValueError as e:
        raise CheckFailed(f"{path}: not valid JSON: {e}")
    declared = declared_metrics(args.source_dir)
    checker = Checker()
    checker.expect(isinstance(dashboard.get("schemaVersion"), int) and dashboard["schemaVersion"] >= 36,
                   f"schemaVersion {dashboard.get('schemaVersion')} is older than Grafana 9")
    checker.expect(bool(dashboard.get("uid")) and bool(dashboard.get("title")), "no uid or title")
    variables = {v["name"]: v for v in dashboard.get("templating", {}).get("list", [])}
    ds = variables.get("datasource", {})
    checker.expect(ds.get("type") == "datasource" and ds.get("query") == "prometheus",
                   "no `datasource` variable of type datasource for Prometheus")
    project = variables.get("project", {})
    query = project.get("query")
    if isinstance(query, dict):
        query = query.get("query")
    checker.expect(project.get("type") == "query" and
                   query == "label_values(ecsync_project_condition, project)",
                   "no `project` variable from label_values(ecsync_project_condition, project)")

    exprs, used, ids, boxes = [], set(), set(), []
    for panel in panels_of(dashboard):
        title = panel.get("title", "?")
        checker.expect(panel.get("id") not in ids, f"panel {title}: duplicate id {panel.get('id')}")
        ids.add(panel.get("id"))
        if panel.get("type") == "row":
            continue
        grid = panel.get("gridPos", {})
        boxes.append((title, grid))
        checker.expect(panel.get("datasource", {}).get("uid") == "${datasource}",
                       f"panel {title}: datasource is not the ${{datasource}} variable")
        targets = panel.get("targets", [])
        checker.expect(bool(targets), f"panel {title}: no queries")
        for target in targets:
            expr = target.get("expr", "")
            checker.expect(bool(expr), f"panel {title}: a target without expr")
            families = check_expr_metrics(checker, f"panel {title}", expr, declared)
            checker.expect(bool(families), f"panel {title}: query uses no ecsync_ metric: {expr}")
            used |= families
            exprs.append(grafana_to_promql(expr))
    # Panels must not overlap (Grafana would shuffle them around).
    for i, (ta, a) in enumerate(boxes):
        for tb, b in boxes[i + 1:]:
            overlap = (a["x"] < b["x"] + b["w"] and b["x"] < a["x"] + a["w"] and
                       a["y"] < b["y"] + b["h"] and b["y"] < a["y"] + a["h"])
            checker.expect(not overlap, f"panels {ta!r} and {tb!r} overlap")
        checker.expect(a["x"] + a["w"] <= 24, f"panel {ta!r} is wider than the 24-column grid")
    for family in sorted(declared - used):
        checker.expect(False, f"metric {family} (metrics/metrics.h) has no panel")
    if args.promtool:
        result = promtool_check_exprs(args.promtool, exprs)
        checker.expect(result.returncode == 0,
                       f"promtool cannot parse a dashboard query:\n{result.stdout}{result.stderr}")
    checker.finish()
    print(f"{len(boxes)} panels, {len(exprs)} queries over {len(used)} metric families")


# --- the command line ----------------------------------------------------------------------

GLOBAL_FLAGS = ("--log-format", "--log-level")


def serve_command_problem(argv):
    """Why `ecsync <argv>` is not `serve --config /etc/ecsync/ecsync.yaml`, or None.

    The CLI takes global flags only before the subcommand: `ecsync serve --log-format json`
    is rejected ("The following arguments were not expected")."""
    if "serve" not in argv:
        return "no serve subcommand"
    at = argv.index("serve")
    if argv[at + 1:at + 3] != ["--config", "/etc/ecsync/ecsync.yaml"]:
        return "serve is not followed by --config /etc/ecsync/ecsync.yaml"
    for flag in GLOBAL_FLAGS:
        if flag in argv[at:]:
            return f"{flag} comes after the subcommand; global flags go before `serve`"
    return None


# --- Kubernetes ----------------------------------------------------------------------------

def load_manifests(source_dir, folder_name="kubernetes"):
    yaml = load_yaml_module()
    folder = os.path.join(source_dir, "deploy", folder_name)
    docs = {}
    for name in sorted(os.listdir(folder)):
        if not name.endswith((".yaml", ".yml")):
            continue
        with open(os.path.join(folder, name), encoding="utf-8") as f:
            try:
                docs[name] = [d for d in yaml.safe_load_all(f) if d is not None]
            except yaml.YAMLError as e:
                raise CheckFailed(f"deploy/{folder_name}/{name}: not valid YAML: {e}")
    return docs


def find_kind(docs, kind, where="deploy/kubernetes"):
    found = [d for file_docs in docs.values() for d in file_docs if d.get("kind") == kind]
    if len(found) != 1:
        raise CheckFailed(f"want exactly one {kind} in {where}, found {len(found)}")
    return found[0]


def check_service_account(checker, docs, pod, where="deploy/kubernetes"):
    """The pod runs as the ServiceAccount, which assumes an IAM role through IRSA."""
    account = find_kind(docs, "ServiceAccount", where)
    checker.expect(pod.get("serviceAccountName") == account["metadata"]["name"],
                   "Deployment does not use the ServiceAccount")
    checker.expect(re.fullmatch(r"arn:aws:iam::\d{12}:role/.+",
                                account["metadata"].get("annotations", {})
                                .get("eks.amazonaws.com/role-arn", "")) is not None,
                   "ServiceAccount: no eks.amazonaws.com/role-arn annotation (IRSA)")


def check_kubernetes(args):
    yaml = load_yaml_module()
    docs = load_manifests(args.source_dir)
    checker = Checker()
    for name, file_docs in docs.items():
        checker.expect(bool(file_docs), f"{name}: empty")
        for d in file_docs:
            for key in ("apiVersion", "kind"):
                checker.expect(bool(d.get(key)), f"{name}: no {key}")
            checker.expect(bool(d.get("metadata", {}).get("name")), f"{name}: no metadata.name")

    kustomization = find_kind(docs, "Kustomization")
    manifests = {n for n, ds in docs.items() if any(d.get("kind") != "Kustomization" for d in ds)}
    listed = set(kustomization.get("resources", []))
    checker.expect(listed == manifests,
                   f"kustomization.yaml lists {sorted(listed)}, the folder has {sorted(manifests)}")
    namespace = find_kind(docs, "Namespace")["metadata"]["name"]
    checker.expect(kustomization.get("namespace") == namespace, "kustomization namespace differs")
    for file_docs in docs.values():
        for d in file_docs:
            if d.get("kind") not in ("Namespace", "Kustomization"):
                checker.expect(d["metadata"].get("namespace") == namespace,
                               f"{d['kind']} {d['metadata'].get('name')}: not in namespace {namespace}")

    deployment = find_kind(docs, "Deployment")
    spec = deployment["spec"]
    pod = spec["template"]["spec"]
    checker.expect(spec.get("replicas") == 1, "Deployment: one replica owns the stacks and cache")
    checker.expect(spec.get("strategy", {}).get("type") == "Recreate",
                   "Deployment: strategy must be Recreate (never two controllers at once)")
    selector = spec["selector"]["matchLabels"]
    pod_labels = spec["template"]["metadata"].get("labels", {})
    checker.expect(all(pod_labels.get(k) == v for k, v in selector.items()),
                   "Deployment: selector does not match the pod labels")
    annotations = spec["template"]["metadata"].get("annotations", {})
    checker.expect(annotations.get("prometheus.io/scrape") == "true" and
                   annotations.get("prometheus.io/path") == "/metrics" and
                   annotations.get("prometheus.io/port") == "8081",
                   "Deployment: no prometheus.io scrape annotations for /metrics on 8081")
    pod_security = pod.get("securityContext", {})
    containers = pod.get("containers", [])
    checker.expect(len(containers) == 1, "Deployment: want one container")
    container = containers[0]
    security = {**pod_security, **container.get("securityContext", {})}
    checker.expect(security.get("runAsNonRoot") is True, "container: runAsNonRoot is not true")
    checker.expect(isinstance(security.get("runAsUser"), int) and security["runAsUser"] != 0,
                   "container: runAsUser must be a non-zero uid")
    checker.expect(security.get("readOnlyRootFilesystem") is True,
                   "container: readOnlyRootFilesystem is not true")
    checker.expect(security.get("allowPrivilegeEscalation") is False,
                   "container: allowPrivilegeEscalation is not false")
    checker.expect("ALL" in security.get("capabilities", {}).get("drop", []),
                   "container: capabilities are not all dropped")

    ports = {p.get("name"): p["containerPort"] for p in container.get("ports", [])}
    checker.expect(8080 in ports.values(), "container: port 8080 (webhooks) is not declared")
    checker.expect(8081 in ports.values(), "container: port 8081 (admin) is not declared")

    def probe_target(probe_name):
        http = container.get(probe_name, {}).get("httpGet", {})
        port = http.get("port")
        return http.get("path"), ports.get(port, port)

    # Probes go to the admin listener, which clients on the public port cannot saturate.
    checker.expect(probe_target("livenessProbe") == ("/healthz", 8081),
                   f"livenessProbe is {probe_target('livenessProbe')}, want /healthz on 8081")
    checker.expect(probe_target("readinessProbe") == ("/readyz", 8081),
                   f"readinessProbe is {probe_target('readinessProbe')}, want /readyz on 8081")
    resources = container.get("resources", {})
    checker.expect(bool(resources.get("requests", {}).get("memory")) and
                   bool(resources.get("limits", {}).get("memory")),
                   "container: no memory request and limit")

    args_list = container.get("args", [])
    checker.expect(serve_command_problem(args_list) is None,
                   f"container args {args_list}: {serve_command_problem(args_list)}")
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    mounts = {m["mountPath"]: m["name"] for m in container.get("volumeMounts", [])}
    for path in ("/tmp", "/var/cache/ecsync"):
        checker.expect(path in mounts and "emptyDir" in volumes.get(mounts[path], {}),
                       f"container: {path} is not an emptyDir (the root filesystem is read-only)")
    configmap = find_kind(docs, "ConfigMap")
    config_volume = volumes.get(mounts.get("/etc/ecsync"), {})
    checker.expect(config_volume.get("configMap", {}).get("name") == configmap["metadata"]["name"],
                   "container: /etc/ecsync is not the ConfigMap")

    # The embedded configuration: valid YAML, its cache is the mounted emptyDir, and every
    # {env: NAME} secret reference is filled from the Secret the container reads.
    text = configmap.get("data", {}).get("ecsync.yaml")
    checker.expect(bool(text), "ConfigMap: no ecsync.yaml key")
    config = {}
    try:
        config = yaml.safe_load(text or "") or {}
    except yaml.YAMLError as e:
        checker.expect(False, f"ConfigMap ecsync.yaml is not valid YAML: {e}")
    checker.expect(config.get("cache_dir") == "/var/cache/ecsync",
                   "ConfigMap ecsync.yaml: cache_dir is not /var/cache/ecsync")
    checker.expect(config.get("server", {}).get("listen", "0.0.0.0:8080").endswith(":8080"),
                   "ConfigMap ecsync.yaml: server.listen is not port 8080")
    checker.expect(config.get("server", {}).get("admin_listen") == "0.0.0.0:8081",
                   "ConfigMap ecsync.yaml: server.admin_listen is not 0.0.0.0:8081 (the probes "
                   "and Prometheus reach the pod's address, not its loopback)")
    checker.expect(bool(config.get("repositories")), "ConfigMap ecsync.yaml: no repositories")
    env_refs = set()

    def collect(node):
        if isinstance(node, dict):
            if set(node) == {"env"}:
                env_refs.add(node["env"])
            for value in node.values():
                collect(value)
        elif isinstance(node, list):
            for value in node:
                collect(value)

    collect(config)
    checker.expect(bool(env_refs), "ConfigMap ecsync.yaml: no {env: NAME} secret references")
    secret = find_kind(docs, "Secret")
    secret_keys = set(secret.get("stringData", {})) | set(secret.get("data", {}))
    env_from = [e.get("secretRef", {}).get("name") for e in container.get("envFrom", [])]
    checker.expect(secret["metadata"]["name"] in env_from, "container: envFrom does not read the Secret")
    for ref in sorted(env_refs - secret_keys):
        checker.expect(False, f"ConfigMap ecsync.yaml references {{env: {ref}}}, not in the Secret")

    check_service_account(checker, docs, pod)

    service = find_kind(docs, "Service")
    checker.expect(all(pod_labels.get(k) == v for k, v in service["spec"]["selector"].items()),
                   "Service: selector does not match the pod labels")
    for port in service["spec"].get("ports", []):
        target = port.get("targetPort", port.get("port"))
        checker.expect(target in ports or target in ports.values(),
                       f"Service: targetPort {target} is not a container port")
        checker.expect(ports.get(target, target) != 8081,
                       "Service: exposes the admin port 8081 (status and metrics stay internal)")
    checker.finish()
    print(f"{sum(len(d) for d in docs.values())} Kubernetes objects check out")


# --- Kubernetes, high availability (deploy/kubernetes-ha, a kustomize overlay) ------------

# Lists a strategic merge patch merges item by item, with their merge keys (Kubernetes' API
# types); every other list in a patch replaces the base's.
MERGE_KEYS = {"containers": "name", "volumes": "name", "env": "name", "volumeMounts": "mountPath",
              "ports": "containerPort", "topologySpreadConstraints": "topologyKey"}


def strategic_merge(base, patch, key=None):
    if isinstance(base, dict) and isinstance(patch, dict):
        merged = dict(base)
        for k, v in patch.items():
            merged[k] = strategic_merge(base[k], v, k) if k in base else v
        return merged
    if isinstance(base, list) and isinstance(patch, list) and key in MERGE_KEYS:
        merge_key = MERGE_KEYS[key]
        merged = list(base)
        for item in patch:
            at = [i for i, b in enumerate(merged) if b.get(merge_key) == item.get(merge_key)]
            if at:
                merged[at[0]] = strategic_merge(merged[at[0]], item)
            else:
                merged.append(item)
        return merged
    return patch


def render_overlay(source_dir, folder_name, checker):
    """The objects `kubectl kustomize deploy/<folder_name>` builds: its resources (files, or
    folders holding a kustomization of files) in its namespace, with its patches applied."""
    yaml = load_yaml_module()
    folder = os.path.join(source_dir, "deploy", folder_name)
    overlay = load_manifests(source_dir, folder_name)
    kustomization = find_kind(overlay, "Kustomization", f"deploy/{folder_name}")
    objects = []
    for resource in kustomization.get("resources", []):
        path = os.path.normpath(os.path.join(folder, resource))
        if os.path.isdir(path):
            base_name = os.path.relpath(path, os.path.join(source_dir, "deploy"))
            base = load_manifests(source_dir, base_name)
            for name in find_kind(base, "Kustomization", base_name).get("resources", []):
                objects += base[name]
        elif checker.expect(os.path.isfile(path), f"{folder_name}: resource {resource} is missing"):
            objects += overlay[os.path.basename(path)]
    namespace = kustomization.get("namespace")
    for obj in objects:
        if namespace and obj["kind"] != "Namespace":
            obj["metadata"]["namespace"] = namespace
    for patch_entry in kustomization.get("patches", []):
        patch = overlay.get(patch_entry.get("path"), [None])[0]
        if not checker.expect(patch is not None, f"{folder_name}: patch {patch_entry} is missing"):
            continue
        targets = [i for i, o in enumerate(objects) if o["kind"] == patch["kind"] and
                   o["metadata"]["name"] == patch["metadata"]["name"]]
        if checker.expect(len(targets) == 1, f"{folder_name}: patch {patch_entry['path']} "
                          f"matches {len(targets)} objects, want 1"):
            objects[targets[0]] = strategic_merge(objects[targets[0]], patch)
    # Where kubectl is at hand, its kustomize must build the same objects.
    kubectl = shutil.which("kubectl")
    if kubectl:
        built = run([kubectl, "kustomize", folder])
        if checker.expect(built.returncode == 0,
                          f"kubectl kustomize {folder_name}: {built.stderr}"):
            theirs = {(o["kind"], o["metadata"]["name"]): o
                      for o in yaml.safe_load_all(built.stdout) if o}
            ours = {(o["kind"], o["metadata"]["name"]): o for o in objects}
            checker.expect(set(theirs) == set(ours),
                           f"kubectl kustomize builds {sorted(theirs)}, this check {sorted(ours)}")
            for key in sorted(set(theirs) & set(ours)):
                checker.expect(theirs[key] == ours[key], f"{key}: kubectl kustomize builds "
                               f"{theirs[key]}, this check {ours[key]}")
    return objects


def seconds_of(duration):
    match = re.fullmatch(r"(\d+)(ms|s|m|h)", str(duration))
    if not match:
        raise CheckFailed(f"cannot read the duration {duration!r}")
    return int(match.group(1)) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[match.group(2)]


def labels_match(selector, labels):
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def check_kubernetes_ha(args):
    yaml = load_yaml_module()
    checker = Checker()
    objects = render_overlay(args.source_dir, "kubernetes-ha", checker)
    docs = {"built": objects}
    where = "deploy/kubernetes-ha"
    deployment = find_kind(docs, "Deployment", where)
    spec = deployment["spec"]
    pod = spec["template"]["spec"]
    pod_labels = spec["template"]["metadata"].get("labels", {})
    checker.expect(spec.get("replicas") == 3,
                   f"Deployment: replicas is {spec.get('replicas')}, want 3")
    strategy = spec.get("strategy", {})
    checker.expect(strategy.get("type") == "RollingUpdate" and "rollingUpdate" in strategy and
                   strategy["rollingUpdate"].get("maxUnavailable") == 1,
                   f"Deployment: strategy {strategy}, want RollingUpdate one pod at a time")

    budget = find_kind(docs, "PodDisruptionBudget", where)
    checker.expect(budget.get("apiVersion") == "policy/v1", "PodDisruptionBudget: not policy/v1")
    checker.expect(budget["spec"].get("maxUnavailable") == 1,
                   "PodDisruptionBudget: maxUnavailable is not 1")
    checker.expect(labels_match(budget["spec"].get("selector", {}).get("matchLabels"), pod_labels),
                   "PodDisruptionBudget: selector does not match the pod labels")
    checker.expect(budget["metadata"].get("namespace") == deployment["metadata"].get("namespace"),
                   "PodDisruptionBudget: not in the Deployment's namespace")

    spread = {c.get("topologyKey"): c for c in pod.get("topologySpreadConstraints", [])}
    for key, when in (("kubernetes.io/hostname", "DoNotSchedule"),
                      ("topology.kubernetes.io/zone", "ScheduleAnyway")):
        constraint = spread.get(key, {})
        checker.expect(constraint.get("maxSkew") == 1 and
                       constraint.get("whenUnsatisfiable") == when and
                       labels_match(constraint.get("labelSelector", {}).get("matchLabels"),
                                    pod_labels),
                       f"Deployment: no spread over {key} (maxSkew 1, {when}, the pod labels)")

    containers = pod.get("containers", [])
    checker.expect(len(containers) == 1, "Deployment: want one container")
    container = containers[0]
    ports = {p.get("name"): p["containerPort"] for p in container.get("ports", [])}
    readiness = container.get("readinessProbe", {}).get("httpGet", {})
    checker.expect((readiness.get("path"), ports.get(readiness.get("port"))) == ("/readyz", 8081),
                   f"readinessProbe is {readiness}, want /readyz on 8081")
    checker.expect(serve_command_problem(container.get("args", [])) is None,
                   f"container args: {serve_command_problem(container.get('args', []))}")

    configmap = find_kind(docs, "ConfigMap", where)
    config = yaml.safe_load(configmap.get("data", {}).get("ecsync.yaml", "")) or {}
    coordination = config.get("coordination") or {}
    checker.expect(bool(coordination.get("dynamodb", {}).get("table")),
                   "ConfigMap ecsync.yaml: no coordination.dynamodb.table")
    # One replica_id in a ConfigMap every pod mounts would give all of them the same id; the
    # default (<hostname>-<pid>) is the pod's name.
    checker.expect("replica_id" not in coordination,
                   "ConfigMap ecsync.yaml: coordination.replica_id is set, so every pod shares it")
    lease = seconds_of(coordination.get("lease_duration", "15s"))
    grace = pod.get("terminationGracePeriodSeconds", 30)
    checker.expect(grace >= max(30, lease),
                   f"Deployment: terminationGracePeriodSeconds {grace} leaves no time to hand the "
                   f"shards over (want at least 30 and the lease duration, {lease}s)")
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    mounts = {m["mountPath"]: m["name"] for m in container.get("volumeMounts", [])}
    checker.expect(volumes.get(mounts.get("/etc/ecsync"), {}).get("configMap", {}).get("name") ==
                   configmap["metadata"]["name"], "container: /etc/ecsync is not the ConfigMap")

    check_service_account(checker, docs, pod, where)
    service = find_kind(docs, "Service", where)
    checker.expect(labels_match(service["spec"].get("selector"), pod_labels),
                   "Service: selector does not match the pod labels")
    # The table the replicas use is the one the template creates and the policy grants.
    table = coordination.get("dynamodb", {}).get("table")
    checker.expect(table == coordination_table_template(args.source_dir)["Parameters"]
                   ["TableName"]["Default"],
                   f"ConfigMap table {table} is not deploy/coordination-table.yaml's TableName")
    resources = {s.get("Resource") for s in coordination_policy(args.source_dir)["Statement"]}
    checker.expect(all(str(r).endswith(f":table/{table}") for r in resources),
                   f"iam-policy-coordination.json grants {sorted(map(str, resources))}, "
                   f"not the table {table}")
    checker.finish()
    print(f"{len(objects)} objects built from deploy/kubernetes-ha check out")


# --- the coordination table and its IAM policy ----------------------------------------------

def read_source(source_dir, path):
    with open(os.path.join(source_dir, path), encoding="utf-8") as f:
        return f.read()


def dynamodb_actions(source_dir, path):
    """The DynamoDB API actions `path` calls, as IAM names: each aws::DynamoDb method it
    calls, checked to send the action of its own name (aws/dynamodb.cc)."""
    client = read_source(source_dir, "aws/dynamodb.cc")
    sent = set(re.findall(r'CallJson\(kDynamoDbService,\s*"([A-Za-z]+)"', client))
    methods = set(re.findall(r"dynamodb(?:_->|\.)([A-Z][A-Za-z]+)\(",
                             read_source(source_dir, path)))
    if not methods:
        raise CheckFailed(f"{path} calls no DynamoDB method: cannot check the policy against it")
    unknown = methods - sent
    if unknown:
        raise CheckFailed(f"{path} calls {sorted(unknown)}, which aws/dynamodb.cc does not send "
                          "under that name")
    return {f"dynamodb:{m}" for m in methods}


def coordination_policy(source_dir):
    path = os.path.join(source_dir, "deploy", "iam-policy-coordination.json")
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except ValueError as e:
        raise CheckFailed(f"{path}: not valid JSON: {e}")


def check_iam_policy_coordination(args):
    policy = coordination_policy(args.source_dir)
    checker = Checker()
    checker.expect(policy.get("Version") == "2012-10-17", "policy Version is not 2012-10-17")
    granted = set()
    for statement in policy.get("Statement", []):
        sid = statement.get("Sid")
        checker.expect(statement.get("Effect") == "Allow" and bool(sid),
                       f"{sid}: not Allow or no Sid")
        found = statement.get("Action", [])
        granted |= set([found] if isinstance(found, str) else found)
        resource = statement.get("Resource")
        table_arn = r"arn:aws:dynamodb:[a-z0-9-]+:\d{12}:table/[A-Za-z0-9_.-]{3,255}"
        checker.expect(isinstance(resource, str) and re.fullmatch(table_arn, resource) is not None,
                       f"{sid}: Resource {resource!r} is not one table's ARN")
    # Exactly what a replica calls: the lease store's actions, none of create-table's others.
    wanted = dynamodb_actions(args.source_dir, "coordination/lease_store.cc")
    for action in sorted(wanted - granted):
        checker.expect(False, f"iam-policy-coordination.json does not allow {action}, which "
                              "coordination/lease_store.cc calls")
    for action in sorted(granted - wanted):
        checker.expect(False, f"iam-policy-coordination.json allows {action}, which the replicas "
                              "never call")
    setup = dynamodb_actions(args.source_dir, "cli/coordination_command.cc")
    checker.expect(setup == {"dynamodb:CreateTable", "dynamodb:DescribeTable"},
                   f"`ecsync coordination create-table` calls {sorted(setup)}: "
                   "update docs/deploy.md")
    checker.finish()
    print(f"coordination policy grants exactly {sorted(granted)}")


class CloudFormationLoader:
    """A YAML loader that keeps CloudFormation's short-form functions (!Ref, !GetAtt)."""

    @staticmethod
    def make(yaml):
        class Loader(yaml.SafeLoader):
            pass

        def tagged(loader, suffix, node):
            if isinstance(node, yaml.ScalarNode):
                return {suffix: loader.construct_scalar(node)}
            return {suffix: loader.construct_sequence(node)}

        Loader.add_multi_constructor("!", tagged)
        return Loader


def coordination_table_template(source_dir):
    yaml = load_yaml_module()
    path = os.path.join(source_dir, "deploy", "coordination-table.yaml")
    with open(path, encoding="utf-8") as f:
        try:
            return yaml.load(f, Loader=CloudFormationLoader.make(yaml))
        except yaml.YAMLError as e:
            raise CheckFailed(f"{path}: not valid YAML: {e}")


def check_coordination_table(args):
    template = coordination_table_template(args.source_dir)
    checker = Checker()
    tables = [r for r in template.get("Resources", {}).values()
              if r.get("Type") == "AWS::DynamoDB::Table"]
    if len(tables) != 1:
        raise CheckFailed("coordination-table.yaml: want one AWS::DynamoDB::Table, "
                          f"found {len(tables)}")
    properties = tables[0].get("Properties", {})
    # The key the lease store reads and writes, and the table create-table makes.
    key = re.search(r'kPartitionKey\[\]\s*=\s*"([^"]+)"',
                    read_source(args.source_dir, "coordination/lease_store.h"))
    key = key.group(1) if key else None
    checker.expect(properties.get("KeySchema") == [{"AttributeName": key, "KeyType": "HASH"}],
                   f"KeySchema is {properties.get('KeySchema')}, want {key} alone as HASH")
    checker.expect(properties.get("AttributeDefinitions") == [{"AttributeName": key,
                                                               "AttributeType": "S"}],
                   f"AttributeDefinitions is {properties.get('AttributeDefinitions')}, "
                   f"want {key}: S")
    billing = re.search(r'"BillingMode",\s*"([A-Z_]+)"',
                        read_source(args.source_dir, "aws/dynamodb.cc"))
    checker.expect(billing is not None and properties.get("BillingMode") == billing.group(1),
                   f"BillingMode is {properties.get('BillingMode')}, create-table uses "
                   f"{billing.group(1) if billing else '?'}")
    checker.expect(properties.get("TableName") == {"Ref": "TableName"} and
                   bool(template.get("Parameters", {}).get("TableName", {}).get("Default")),
                   "TableName is not the TableName parameter with a default")
    checker.expect(tables[0].get("DeletionPolicy") == "Retain",
                   "the table is not retained when the stack is deleted")
    checker.finish()
    lint = shutil.which("cfn-lint")
    if lint:
        result = run([lint, os.path.join(args.source_dir, "deploy", "coordination-table.yaml")])
        if result.returncode != 0:
            raise CheckFailed(f"cfn-lint:\n{result.stdout}{result.stderr}")
        print("cfn-lint: no findings")
    print(f"coordination table: key {key}, {properties.get('BillingMode')}")


# --- Dockerfile ----------------------------------------------------------------------------

def dockerfile_instructions(path):
    """(instruction, arguments) pairs with continuation lines joined and comments dropped."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    instructions, current = [], ""
    for line in lines:
        stripped = line.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if current and stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        current += stripped
        keyword, _, rest = current.partition(" ")
        instructions.append((keyword.upper(), rest.strip()))
        current = ""
    return instructions


def apt_install_packages(run_args):
    packages = []
    for command in re.split(r"&&|;", run_args):
        words = command.split()
        if len(words) >= 2 and words[0] == "apt-get" and "install" in words:
            packages += [w for w in words[words.index("install") + 1:] if not w.startswith("-")]
    return packages


def setup_sh_packages(source_dir):
    with open(os.path.join(source_dir, "scripts", "setup.sh"), encoding="utf-8") as f:
        text = f.read()
    body = re.search(r"packages=\((.*?)\n\)", text, re.S).group(1)
    body = re.sub(r"#[^\n]*", "", body)
    return set(body.split())


def debian_package_exists(name):
    """True when Debian knows the package: installed here, or in the apt lists."""
    query = run(["dpkg-query", "-W", "-f=${Status}", name])
    if query.returncode == 0 and "install ok installed" in query.stdout:
        return True
    show = run(["apt-cache", "show", name])
    return show.returncode == 0 and f"Package: {name}" in show.stdout


def is_debian_12():
    try:
        with open("/etc/os-release", encoding="utf-8") as f:
            text = f.read()
    except OSError:
        return False
    return 'ID=debian' in text and 'VERSION_ID="12"' in text


# Library packages in scripts/setup.sh that only tests, benchmarks and fuzzing use. Every other
# -dev package there is a build dependency the image must install too.
TEST_ONLY_LIBRARIES = {"libgtest-dev", "libgmock-dev", "libbenchmark-dev", "libclang-rt-14-dev",
                       "libcpp-httplib-dev"}
BUILD_TOOLS = {"build-essential", "cmake", "ninja-build", "pkg-config"}
# Libraries every debian:12-slim image already has.
SLIM_BASE = {"libc6", "libgcc-s1", "libstdc++6"}


def runtime_closure(packages):
    """`packages` with everything they depend on, as apt resolves it."""
    result = run(["apt-cache", "depends", "--recurse", "--no-recommends", "--no-suggests",
                  "--no-conflicts", "--no-breaks", "--no-replaces", "--no-enhances",
                  "--no-pre-depends"] + list(packages))
    names = set(packages)
    for line in result.stdout.splitlines():
        line = line.strip()
        match = re.match(r"(?:\|?Depends:\s*)?<?([a-z0-9][a-z0-9+.-]+)(?::[a-z0-9]+)?>?$", line)
        if match:
            names.add(match.group(1))
    return names


def check_dockerfile(args):
    path = os.path.join(args.source_dir, "deploy", "Dockerfile")
    instructions = dockerfile_instructions(path)
    checker = Checker()
    args_default = {}
    stages = []
    for keyword, rest in instructions:
        if keyword == "ARG" and not stages and "=" in rest:
            key, _, value = rest.partition("=")
            args_default[key] = value
        if keyword == "FROM":
            stages.append({"from": rest, "instructions": []})
        elif stages:
            stages[-1]["instructions"].append((keyword, rest))
    checker.expect(len(stages) == 2, f"want two FROM stages (build, runtime), found {len(stages)}")
    if len(stages) != 2:
        checker.finish()

    def image_of(stage):
        image = stage["from"].split()[0]
        return re.sub(r"\$\{?([A-Za-z_]+)\}?", lambda m: args_default.get(m.group(1), m.group(0)), image)

    build, runtime = stages
    checker.expect(image_of(build) in ("debian:bookworm", "debian:12"),
                   f"build stage is {image_of(build)}, want debian:bookworm")
    checker.expect(image_of(runtime) in ("debian:bookworm-slim", "debian:12-slim"),
                   f"runtime stage is {image_of(runtime)}, want debian:bookworm-slim")
    checker.expect(" AS " in build["from"].upper(), "the build stage has no name")

    build_runs = " && ".join(r for k, r in build["instructions"] if k == "RUN")
    for flag in ("-G Ninja", "-DCMAKE_BUILD_TYPE=Release", "-DECSYNC_BUILD_TESTS=OFF",
                 "-DECSYNC_BUILD_BENCH=OFF", "--target ecsync"):
        checker.expect(flag in build_runs, f"build stage: no `{flag}`")
    build_packages = apt_install_packages(build_runs)
    wanted = {p for p in setup_sh_packages(args.source_dir) if p.endswith("-dev")}
    wanted = (wanted - TEST_ONLY_LIBRARIES) | BUILD_TOOLS
    for package in sorted(wanted - set(build_packages)):
        checker.expect(False, f"build stage: scripts/setup.sh installs {package}, the image does not")

    runtime_runs = " && ".join(r for k, r in runtime["instructions"] if k == "RUN")
    runtime_packages = apt_install_packages(runtime_runs)
    checker.expect(bool(runtime_packages), "runtime stage installs no packages")
    checker.expect(not [p for p in runtime_packages if p.endswith("-dev")],
                   f"runtime stage installs -dev packages: {runtime_packages}")
    checker.expect("ca-certificates" in runtime_packages, "runtime stage: no ca-certificates")
    copies = [r for k, r in runtime["instructions"] if k == "COPY"]
    checker.expect(any(r.startswith("--from=build") and "ecsync" in r for r in copies),
                   "runtime stage does not copy the ecsync binary from the build stage")

    users = [r for k, r in runtime["instructions"] if k == "USER"]
    checker.expect(bool(users), "runtime stage: no USER (it would run as root)")
    if users:
        user = users[-1].split(":")[0]
        checker.expect(user not in ("root", "0"), f"runtime stage runs as {users[-1]}")
        checker.expect(user == "10001", f"runtime user is {user}, the manifests use uid 10001")
    keywords = {k: r for k, r in runtime["instructions"]}
    checker.expect("WORKDIR" in keywords, "runtime stage: no WORKDIR")
    checker.expect("8080" in keywords.get("EXPOSE", ""), "runtime stage: does not EXPOSE 8080")
    checker.expect("8081" in keywords.get("EXPOSE", ""), "runtime stage: does not EXPOSE 8081")
    checker.expect(json.loads(keywords.get("ENTRYPOINT", "null")) == ["ecsync"],
                   "ENTRYPOINT is not [\"ecsync\"]")
    checker.expect(json.loads(keywords.get("CMD", "null")) ==
                   ["serve", "--config", "/etc/ecsync/ecsync.yaml"],
                   "CMD is not [\"serve\", \"--config\", \"/etc/ecsync/ecsync.yaml\"]")
    checker.finish()

    if not shutil.which("apt-cache") or not shutil.which("dpkg-query"):
        raise Skipped("the Dockerfile's structure checks out; apt-cache is absent, so package names "
                      "were not checked")
    if not is_debian_12():
        raise Skipped("the Dockerfile's structure checks out; this is not Debian 12, so its package "
                      "names were not checked")
    for package in build_packages + runtime_packages:
        checker.expect(debian_package_exists(package), f"Debian 12 has no package {package}")

    # The runtime packages must provide every library the built binary links.
    binary = args.binary
    if binary and os.path.exists(binary) and shutil.which("ldd") and shutil.which("dpkg"):
        closure = runtime_closure(runtime_packages) | SLIM_BASE
        ldd = run(["ldd", binary])
        for line in ldd.stdout.splitlines():
            match = re.match(r"\s*(\S+) => (/\S+)", line)
            if not match:
                continue
            # The sanitizer build links the ASan/UBSan runtimes; the image is a release build.
            if re.match(r"lib(asan|ubsan|lsan|tsan)\.so", match.group(1)):
                continue
            owner = run(["dpkg", "-S", os.path.realpath(match.group(2))])
            if owner.returncode != 0:
                owner = run(["dpkg", "-S", match.group(2)])
            package = owner.stdout.split(":")[0].strip() if owner.returncode == 0 else None
            checker.expect(package in closure,
                           f"{binary} links {match.group(1)} from package {package}, which the "
                           "runtime stage does not install")
        print(f"every library {os.path.basename(binary)} links comes with the runtime packages")
    else:
        print(f"no built binary at {binary}: linked libraries not compared with the runtime packages")
    checker.finish()
    print(f"Dockerfile: 2 stages, {len(build_packages)} build and {len(runtime_packages)} runtime "
          "packages found in Debian 12")


# --- systemd -------------------------------------------------------------------------------

def parse_unit(path):
    sections, current = {}, None
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith(("#", ";")):
                continue
            if line.startswith("["):
                current = sections.setdefault(line.strip("[]"), {})
                continue
            key, _, value = line.partition("=")
            current.setdefault(key, []).append(value)
    return sections


def check_systemd(args):
    path = os.path.join(args.source_dir, "deploy", "systemd", "ecsync.service")
    unit = parse_unit(path)
    service = unit.get("Service", {})
    checker = Checker()

    def value(key):
        return service.get(key, [""])[-1]

    for key, want in (("Type", "simple"), ("User", "ecsync"), ("Restart", "on-failure"),
                      ("KillSignal", "SIGTERM"), ("NoNewPrivileges", "yes"),
                      ("ProtectSystem", "strict"), ("ProtectHome", "yes"), ("PrivateTmp", "yes"),
                      ("CacheDirectory", "ecsync"), ("ReadWritePaths", "/var/cache/ecsync"),
                      ("EnvironmentFile", "-/etc/ecsync/env"),
                      ("ExecReload", "/bin/kill -HUP $MAINPID")):
        checker.expect(value(key) == want, f"ecsync.service: {key}={value(key)!r}, want {want!r}")
    exec_start = value("ExecStart").split()
    checker.expect(exec_start[:1] == ["/usr/local/bin/ecsync"] and
                   serve_command_problem(exec_start[1:]) is None,
                   f"ecsync.service: ExecStart={value('ExecStart')!r}: "
                   f"{serve_command_problem(exec_start[1:])}")
    stop = re.fullmatch(r"(\d+)s?", value("TimeoutStopSec"))
    checker.expect(stop is not None and 15 <= int(stop.group(1)) <= 120,
                   f"ecsync.service: TimeoutStopSec={value('TimeoutStopSec')!r}, want about 30")
    checker.expect(unit.get("Install", {}).get("WantedBy") == ["multi-user.target"],
                   "ecsync.service: not WantedBy=multi-user.target")
    checker.finish()

    analyze = shutil.which("systemd-analyze")
    if not analyze:
        raise Skipped("the unit's directives check out; systemd-analyze is absent, so "
                      "`systemd-analyze verify` did not run")
    # verify needs ExecStart to exist: use the built binary, else any executable.
    binary = args.binary if args.binary and os.path.exists(args.binary) else "/bin/true"
    with tempfile.TemporaryDirectory() as tmp:
        copy = os.path.join(tmp, "ecsync.service")
        with open(path, encoding="utf-8") as src, open(copy, "w", encoding="utf-8") as dst:
            dst.write(src.read().replace("/usr/local/bin/ecsync", binary))
        result = run([analyze, "verify", copy])
    output = (result.stdout + result.stderr).strip()
    # verify exits 0 on unknown keys and bad values, printing them: any output is a finding.
    if result.returncode != 0 or output:
        raise CheckFailed(f"systemd-analyze verify (exit {result.returncode}):\n{output}")
    print("systemd-analyze verify: no findings")


# --- IAM policy ----------------------------------------------------------------------------

def check_iam_policy(args):
    path = os.path.join(args.source_dir, "deploy", "iam-policy.json")
    with open(path, encoding="utf-8") as f:
        text = f.read()
    try:
        policy = json.loads(text)
    except ValueError as e:
        raise CheckFailed(f"{path}: not valid JSON: {e}")
    checker = Checker()
    checker.expect(policy.get("Version") == "2012-10-17", "policy Version is not 2012-10-17")
    # A managed policy holds at most 6,144 characters, whitespace not counted.
    size = len(re.sub(r"\s", "", text))
    checker.expect(size <= 6144, f"policy is {size} characters, over the managed-policy limit 6144")
    actions, sids = set(), []
    for statement in policy.get("Statement", []):
        sids.append(statement.get("Sid"))
        checker.expect(statement.get("Effect") == "Allow", f"{statement.get('Sid')}: not Allow")
        found = statement.get("Action", [])
        found = [found] if isinstance(found, str) else found
        for action in found:
            checker.expect(re.fullmatch(r"[a-z0-9-]+:[A-Za-z*]+", action) is not None,
                           f"{statement.get('Sid')}: malformed action {action}")
            checker.expect(action != "*" and not action.endswith(":*"),
                           f"{statement.get('Sid')}: {action} is not least privilege")
        actions |= set(found)
    checker.expect(len(sids) == len(set(sids)) and None not in sids, "Sids must be unique and set")

    def allowed(action):
        service, _, name = action.partition(":")
        return any(a.partition(":")[0] == service and
                   re.fullmatch(re.escape(a.partition(":")[2]).replace(r"\*", ".*"), name)
                   for a in actions)

    # The calls ecsync makes itself (aws/), and what CloudFormation does on its behalf.
    for action in ("cloudformation:CreateStack", "cloudformation:UpdateStack",
                   "cloudformation:DeleteStack", "cloudformation:DescribeStacks",
                   "cloudformation:DescribeStackEvents", "cloudformation:CreateChangeSet",
                   "cloudformation:ExecuteChangeSet", "cloudformation:DescribeChangeSet",
                   "cloudformation:DeleteChangeSet", "cloudformation:GetTemplate",
                   "cloudformation:ContinueUpdateRollback", "cloudformation:CancelUpdateStack",
                   "cloudformation:DetectStackDrift", "cloudformation:DescribeStackResourceDrifts",
                   "cloudformation:DescribeStackDriftDetectionStatus",
                   "cloudformation:ListStackResources", "cloudformation:ValidateTemplate",
                   "ec2:DescribeVpcs", "ec2:DescribeSubnets", "ec2:DescribeRouteTables",
                   "ec2:CreateSecurityGroup", "ec2:AuthorizeSecurityGroupIngress",
                   "ecs:CreateCluster", "ecs:RegisterTaskDefinition", "ecs:CreateService",
                   "ecs:DescribeServices", "ecs:ListTasks", "ecs:DescribeTasks",
                   "elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:DescribeListeners",
                   "logs:CreateLogGroup", "iam:CreateRole", "iam:PassRole",
                   "servicediscovery:CreatePrivateDnsNamespace", "elasticfilesystem:CreateFileSystem",
                   "elasticfilesystem:DescribeFileSystems", "secretsmanager:CreateSecret",
                   "application-autoscaling:RegisterScalableTarget", "ssm:GetParameter",
                   "s3:PutObject", "s3:DeleteObject", "autoscaling:CreateAutoScalingGroup",
                   "ecr:DescribeImages", "codebuild:StartBuild", "codebuild:BatchGetBuilds",
                   "codebuild:CreateProject", "codebuild:ListBuildsForProject",
                   "ecr:CreateRepository",
                   "ec2:CreateLaunchTemplate"):
        checker.expect(allowed(action), f"iam-policy.json does not allow {action}")
    checker.finish()
    print(f"IAM policy: {len(sids)} statements, {size} characters")


CHECKS = {
    "promtool-check-rules": check_promtool_rules,
    "promtool-test-rules": check_promtool_test,
    "alert-metrics": check_alert_metrics,
    "dashboard": check_dashboard,
    "kubernetes": check_kubernetes,
    "dockerfile": check_dockerfile,
    "systemd": check_systemd,
    "iam-policy": check_iam_policy,
    "kubernetes-ha": check_kubernetes_ha,
    "iam-policy-coordination": check_iam_policy_coordination,
    "coordination-table": check_coordination_table,
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source-dir", required=True)
    parser.add_argument("--binary", default="", help="the built ecsync, when there is one")
    parser.add_argument("--promtool", default=shutil.which("promtool") or "")
    parser.add_argument("check", choices=sorted(CHECKS))
    args = parser.parse_args()
    if args.check.startswith("promtool") and not args.promtool:
        print("SKIPPED: promtool is absent (scripts/setup.sh installs it with `prometheus`)")
        return SKIP
    try:
        CHECKS[args.check](args)
    except CheckFailed as e:
        print(f"FAILED {args.check}:\n{e}")
        return 1
    except Skipped as e:
        print(f"SKIPPED: {e}")
        return SKIP
    return 0


if __name__ == "__main__":
    sys.exit(main())
