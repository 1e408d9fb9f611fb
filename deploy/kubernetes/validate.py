#!/usr/bin/env python3
"""The offline check of deploy/kubernetes (run through ./validate, which makes the venv).

    validate.py [FOLDER] [--sources DIR]

Every YAML document of every *.yaml in FOLDER is parsed (duplicate keys are errors). Built-in kinds
are validated by kubernetes-validate's strict schemas (unknown fields are errors) for each of
KUBERNETES_VERSIONS; kinds it does not know are validated by the schemas in schemas/ (a kind with
no schema at all is an error, never skipped). Then the cross-checks that catch what a schema
cannot: names that must meet (kustomization resources, selectors, named ports, Secrets and their
keys in README.md, the HPA's target and metric, the PDBs), the gateway's `faas serve` arguments
against Sources/faas/Commands/Serve.swift, the metric the HPA scales on against the metrics the
gateway exports (Sources/Gateway, Sources/Scheduler), probes against the routes and ports really
served, the restricted Pod Security level of the namespace, and the HAProxy config of haproxy.yaml
(`haproxy -c` when haproxy is installed, and its server slots against the HPA's maximum).

Prints "ok FILE (N documents)" for each good file and "error FILE document N (Kind name): FIELD:
WHAT" for each fault; exits 1 on any error, 2 when it cannot run.
"""

import argparse
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import jsonschema
import referencing
import yaml
from kubernetes_validate import utils as kv

# The oldest Kubernetes the manifests are for (1.30: preStop `sleep` is on by default) and the
# newest kubernetes-validate knows (requirements.txt pins it): valid on both, valid between.
KUBERNETES_VERSIONS = ("1.30.0", "1.37.0")

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent

# Kinds kubernetes-validate has no schema for: (apiVersion, kind) -> schemas/FILE.
CUSTOM_SCHEMAS = {
    ("postgresql.cnpg.io/v1", "Cluster"): "cnpg-cluster-v1.json",
    ("kustomize.config.k8s.io/v1beta1", "Kustomization"): "kustomization-v1beta1.json",
}
ADAPTER_SCHEMA = "prometheus-adapter-config.json"

QUANTITY = re.compile(
    r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)(([KMGTPE]i)|[numkMGTPE]|[eE][+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+))?$")
RESTRICTED_VOLUMES = {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim",
                      "projected", "secret"}
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


# --- reporting ----------------------------------------------------------------------------------

class Report:
    def __init__(self):
        self.errors = {}  # file -> [line]
        self.notes = []
        self.checks = 0

    def error(self, where, message):
        file = where.file if isinstance(where, Doc) else where
        text = f"error {file}"
        if isinstance(where, Doc):
            text += f" {where.label}"
        self.errors.setdefault(file, []).append(f"{text}: {message}")

    def check(self, ok, where, message):
        """Counts one cross-check; records `message` when it failed."""
        self.checks += 1
        if not ok:
            self.error(where, message)
        return ok


class Doc:
    def __init__(self, file, index, obj):
        self.file, self.index, self.obj = file, index, obj

    @property
    def kind(self):
        return self.obj.get("kind") if isinstance(self.obj, dict) else None

    @property
    def name(self):
        meta = self.obj.get("metadata") if isinstance(self.obj, dict) else None
        return meta.get("name") if isinstance(meta, dict) else None

    @property
    def namespace(self):
        meta = self.obj.get("metadata") if isinstance(self.obj, dict) else None
        return meta.get("namespace") if isinstance(meta, dict) else None

    @property
    def label(self):
        what = " ".join(str(x) for x in (self.kind, self.name) if x)
        return f"document {self.index}" + (f" ({what})" if what else "")


def dig(obj, *path, default=None):
    for key in path:
        if isinstance(obj, dict) and key in obj:
            obj = obj[key]
        elif isinstance(obj, list) and isinstance(key, int) and 0 <= key < len(obj):
            obj = obj[key]
        else:
            return default
    return obj


def field(path):
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(document)"


# --- parsing ------------------------------------------------------------------------------------

class StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key given twice in one mapping (PyYAML keeps the last silently)."""


def _mapping(loader, node, deep=False):
    seen = set()
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue
        key = loader.construct_object(key_node, deep=True)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping", node.start_mark, f"found duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def yaml_error(e):
    mark = getattr(e, "problem_mark", None)
    if mark is None:
        return "YAML: " + " ".join(str(e).split())
    context = f" ({e.context})" if getattr(e, "context", None) else ""
    return f"YAML line {mark.line + 1} column {mark.column + 1}: {e.problem}{context}"


def load_documents(path, display, report):
    try:
        text = path.read_text()
    except OSError as e:
        report.error(display, f"cannot read: {e}")
        return []
    try:
        raw = list(yaml.load_all(text, Loader=StrictLoader))
    except yaml.YAMLError as e:
        report.error(display, yaml_error(e))
        return []
    docs = []
    for obj in raw:
        if obj is None:
            continue
        doc = Doc(display, len(docs) + 1, obj)
        docs.append(doc)
        if not isinstance(obj, dict):
            report.error(doc, f"a document must be a mapping, not {type(obj).__name__}")
            continue
        for key in ("apiVersion", "kind"):
            if not isinstance(obj.get(key), str) or not obj.get(key):
                report.error(doc, f"{key}: missing")
        if obj.get("kind") != "Kustomization" and not isinstance(dig(obj, "metadata", "name"), str):
            report.error(doc, "metadata.name: missing")
    return docs


# --- schemas ------------------------------------------------------------------------------------

class Schemas:
    def __init__(self, schema_dir, report):
        self.dir = schema_dir
        self.report = report
        self.cache = {}
        newest = KUBERNETES_VERSIONS[-1]
        defs = kv.schema_contents(f"kubernetes-json-schema/v{newest}-local-strict/_definitions.json", newest)
        self.k8s_defs = referencing.Resource.from_contents(defs)

    def builtin(self, api_version, kind, version):
        key = ("k8s", api_version, kind, version)
        if key not in self.cache:
            api = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
            folder = f"kubernetes-json-schema/v{version}-local-strict"
            try:
                schema = kv.schema_contents(f"{folder}/{kind.lower()}-{api}.json", version)
            except FileNotFoundError:
                self.cache[key] = None
                return None
            defs = kv.schema_contents(f"{folder}/_definitions.json", version)
            registry = referencing.Registry().with_resources([
                ("https://kubernetes.io/api/_definitions.json", referencing.Resource.from_contents(defs)),
            ])
            resource = referencing.Resource.from_contents(schema)
            registry = resource @ registry
            self.cache[key] = jsonschema.Draft202012Validator(schema, registry=registry)
        return self.cache[key]

    def custom(self, file):
        key = ("custom", file)
        if key not in self.cache:
            schema = json.loads((self.dir / file).read_text())
            jsonschema.Draft202012Validator.check_schema(schema)
            registry = referencing.Registry().with_resources([
                ("https://kubernetes.io/api/_definitions.json", self.k8s_defs),
            ])
            self.cache[key] = jsonschema.Draft202012Validator(schema, registry=registry)
        return self.cache[key]

    def validate(self, doc):
        obj = doc.obj
        if not isinstance(obj, dict) or not isinstance(obj.get("apiVersion"), str) or not isinstance(obj.get("kind"), str):
            return
        api, kind = obj["apiVersion"], obj["kind"]
        custom = CUSTOM_SCHEMAS.get((api, kind))
        if custom:
            self.emit(doc, self.custom(custom), f"schemas/{custom}")
            return
        found = False
        seen = set()
        for version in KUBERNETES_VERSIONS:
            validator = self.builtin(api, kind, version)
            if validator is None:
                if found:
                    self.report.error(doc, f"{api} {kind} does not exist in Kubernetes {version}")
                continue
            found = True
            self.emit(doc, validator, f"Kubernetes {version}", seen)
        if not found:
            self.report.error(doc, f"no schema for {api} {kind}: not a Kubernetes {KUBERNETES_VERSIONS[-1]} kind; "
                                   f"add one to schemas/ and CUSTOM_SCHEMAS in validate.py")

    def emit(self, doc, validator, against, seen=None):
        seen = set() if seen is None else seen
        for e in sorted(validator.iter_errors(doc.obj), key=lambda e: list(map(str, e.absolute_path))):
            best = jsonschema.exceptions.best_match([e])
            line = f"{field(best.absolute_path)}: {best.message}"
            if line not in seen:
                seen.add(line)
                self.report.error(doc, f"{line} ({against})")


# --- helpers on pods ----------------------------------------------------------------------------

def pod_spec(doc):
    if doc.kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"):
        return dig(doc.obj, "spec", "template", "spec")
    return None


def pod_labels(doc):
    return dig(doc.obj, "spec", "template", "metadata", "labels", default={}) or {}


def containers(spec):
    out = []
    for key in ("initContainers", "containers"):
        for c in dig(spec, key, default=[]) or []:
            if isinstance(c, dict):
                out.append((key, c))
    return out


def selects(selector, labels):
    """Whether a matchLabels-style selector (a dict) picks pods with `labels`."""
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def label_selector_selects(selector, labels):
    """A LabelSelector (matchLabels and matchExpressions)."""
    if not isinstance(selector, dict) or not selector:
        return False
    if not all(labels.get(k) == v for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and labels.get(key) in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def named_ports(container):
    return {p.get("name"): p.get("containerPort") for p in container.get("ports") or [] if p.get("name")}


def container_port_numbers(container):
    return {p.get("containerPort") for p in container.get("ports") or []}


def resolve_port(container, port):
    """The container port number a probe or Service port means, or None when the container has none."""
    if isinstance(port, str) and not port.isdigit():
        return named_ports(container).get(port)
    number = int(port) if port is not None else None
    return number if number in container_port_numbers(container) else None


def probes(container):
    for kind in ("startupProbe", "readinessProbe", "livenessProbe"):
        probe = container.get(kind)
        if isinstance(probe, dict):
            yield kind, probe


def probe_port(probe):
    for action in ("httpGet", "tcpSocket", "grpc"):
        if isinstance(probe.get(action), dict):
            return action, probe[action].get("port")
    return None, None


def quantity_value(text):
    text = str(text)
    if not QUANTITY.match(text):
        return None
    suffixes = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60,
                "n": 1e-9, "u": 1e-6, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18}
    for suffix, scale in sorted(suffixes.items(), key=lambda kv_: -len(kv_[0])):
        if text.endswith(suffix):
            return float(text[: -len(suffix)]) * scale
    return float(text)


# --- the sources --------------------------------------------------------------------------------

class Sources:
    """What the gateway really offers, read from Sources/."""

    def __init__(self, root, report):
        self.root = root
        self.ok = root.is_dir()
        self.serve_file = root / "faas" / "Commands" / "Serve.swift"
        self.options, self.flags, self.env = {}, set(), set()
        self.positional = False
        self.metrics = {}  # name -> text of the file defining it
        self.routes = set()
        if not self.ok:
            return
        if self.serve_file.is_file():
            text = self.serve_file.read_text()
            for m in re.finditer(r"@(Option|Flag|Argument)\b", text):
                var = re.compile(r"\bvar\s+(\w+)").search(text, m.end())
                if not var:
                    continue
                attribute = text[m.end(): var.start()]
                custom = re.search(r'customLong\("([^"]+)"\)', attribute)
                name = custom.group(1) if custom else re.sub(r"(?<!^)([A-Z])", r"-\1", var.group(1)).lower()
                if m.group(1) == "Argument":
                    self.positional = True
                elif m.group(1) == "Flag":
                    self.flags.add(name)
                    if "prefixedNo" in attribute:
                        self.flags.add(f"no-{name}")
                else:
                    self.options[name] = attribute
        for file in (root / "faas").rglob("*.swift"):
            self.env.update(re.findall(r'environment\["(FAAS_[A-Z0-9_]+)"\]', file.read_text()))
        for sub in ("Gateway", "Scheduler"):
            for file in (root / sub).rglob("*.swift"):
                text = file.read_text()
                for name in re.findall(r'"(faas_[a-z0-9_]+)"', text):
                    self.metrics.setdefault(name, "")
                    self.metrics[name] += text
        route_file = root / "Gateway" / "Routing" / "Route.swift"
        if route_file.is_file():
            self.routes.update(re.findall(r'case\s+"([a-z0-9_-]+)"', route_file.read_text()))

    def metric(self, series):
        """The text of the sources defining `series` (or its histogram base), or None."""
        if series in self.metrics:
            return self.metrics[series]
        for suffix in ("_bucket", "_sum", "_count"):
            if series.endswith(suffix) and series[: -len(suffix)] in self.metrics:
                return self.metrics[series[: -len(suffix)]]
        return None


# --- README -------------------------------------------------------------------------------------

class Readme:
    """The `kubectl create secret|configmap` commands of README.md."""

    def __init__(self, path):
        self.path = path
        self.text = path.read_text() if path.is_file() else None
        self.objects = {}  # (kind, name) -> {"keys": {key: literal or None}, "namespace": ns, "type": t}
        if self.text is None:
            return
        joined = re.sub(r"\\\n\s*", " ", self.text)
        for line in joined.splitlines():
            m = re.search(r"\bkubectl\b(.*?)\bcreate\s+(secret|configmap)\s+(?:(generic|tls|docker-registry)\s+)?([a-z0-9.-]+)(.*)", line)
            if not m:
                continue
            rest = m.group(1) + " " + m.group(5)
            keys = {}
            for key, value in re.findall(r"--from-literal[= ]([A-Za-z0-9._-]+)=(\"[^\"]*\"|'[^']*'|\S*)", rest):
                keys[key] = value.strip("\"'")
            for spec in re.findall(r"--from-file[= ](\S+)", rest):
                keys[spec.split("=", 1)[0] if "=" in spec else os.path.basename(spec)] = None
            ns = re.search(r"(?:-n|--namespace)[= ]([a-z0-9-]+)", rest)
            kind_ = re.search(r"--type[= ](\S+)", rest)
            self.objects[(m.group(2), m.group(4))] = {
                "keys": keys, "namespace": ns.group(1) if ns else None, "type": kind_.group(1) if kind_ else None}


# --- the checks ---------------------------------------------------------------------------------

def runs_faas_serve(container):
    argv = [str(x) for x in (container.get("command") or []) + (container.get("args") or [])]
    return len(argv) >= 2 and os.path.basename(argv[0]) == "faas" and argv[1] == "serve"


class Checker:
    def __init__(self, folder, docs_by_file, schemas, sources, report):
        self.folder = folder
        self.schemas = schemas
        self.files = docs_by_file
        self.docs = [d for docs in docs_by_file.values() for d in docs if isinstance(d.obj, dict)]
        self.sources = sources
        self.report = report
        self.readme = Readme(folder / "README.md")
        self.readme_name = f"{folder}/README.md"

    def of_kind(self, *kinds):
        return [d for d in self.docs if d.kind in kinds]

    def run(self):
        self.kustomization()
        self.workloads()
        self.services()
        self.references()
        self.gateway()
        self.haproxy()
        self.hpa()
        self.pdb()
        self.pod_security()
        self.cnpg()

    # kustomization.yaml: resources are exactly the manifests, but those its comment leaves out.
    def kustomization(self):
        ks = [d for d in self.docs if d.kind == "Kustomization"]
        if not ks:
            self.report.error(f"{self.folder}/kustomization.yaml", "missing: no Kustomization in the folder")
            return
        for k in ks:
            path = self.folder / Path(k.file).name
            comment = " ".join(line for line in path.read_text().splitlines() if line.lstrip().startswith("#"))
            excluded = set(re.findall(r"[A-Za-z0-9._-]+\.ya?ml", comment))
            resources = [r for r in k.obj.get("resources") or [] if isinstance(r, str)]
            for i, r in enumerate(resources):
                self.report.check(resources.index(r) == i, k, f"resources[{i}]: {r} is listed twice")
                self.report.check((self.folder / r).is_file() or (self.folder / r / "kustomization.yaml").is_file(),
                                  k, f"resources[{i}]: {r} does not exist in {self.folder}")
            for file in sorted(self.files):
                name = Path(file).name
                if name == Path(k.file).name:
                    continue
                self.report.check(name in resources or name in excluded, k,
                                  f"resources: {name} is in the folder but neither listed nor excluded by the "
                                  f"comment at the top")
            listed = {Path(f).name: docs for f, docs in self.files.items()}
            included = [d for r in resources for d in listed.get(r, [])]
            namespace = k.obj.get("namespace")
            for d in included:
                if d.namespace is not None and namespace is not None:
                    self.report.check(d.namespace == namespace, d,
                                      f"metadata.namespace: {d.namespace}, but kustomization.yaml sets {namespace}")
            if namespace:
                self.report.check(any(d.kind == "Namespace" and d.name == namespace for d in included), k,
                                  f"namespace: {namespace} is not made by any of the resources")
            images = {str(c.get("image", "")).rsplit("@", 1)[0].split(":")[0]
                      for d in included for _, c in containers(pod_spec(d) or {})}
            for i, image in enumerate(k.obj.get("images") or []):
                self.report.check(image.get("name") in images, k,
                                  f"images[{i}].name: {image.get('name')} is the image of no container "
                                  f"(they use {', '.join(sorted(images)) or 'none'})")

    # Deployments: their selector picks their own pods; spread constraints pick them too.
    def workloads(self):
        for d in self.of_kind("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"):
            labels = pod_labels(d)
            selector = dig(d.obj, "spec", "selector")
            self.report.check(label_selector_selects(selector, labels), d,
                              "spec.selector: does not match the pod template's labels")
            spec = pod_spec(d) or {}
            for i, tsc in enumerate(spec.get("topologySpreadConstraints") or []):
                self.report.check(label_selector_selects(tsc.get("labelSelector"), labels), d,
                                  f"spec.template.spec.topologySpreadConstraints[{i}].labelSelector: does not "
                                  f"match the pod template's labels")
            for key, c in containers(spec):
                where = f"spec.template.spec.{key}[{spec[key].index(c)}]"
                for kind, probe in probes(c):
                    action, port = probe_port(probe)
                    if action:
                        self.report.check(resolve_port(c, port) is not None, d,
                                          f"{where}.{kind}.{action}.port: {port} is not a port of the container "
                                          f"(ports: {sorted(named_ports(c)) or sorted(container_port_numbers(c))})")
                self.resources(d, f"{where}.resources", c.get("resources") or {})

    def resources(self, doc, where, res):
        values = {}
        for side in ("requests", "limits"):
            for name, value in (res.get(side) or {}).items():
                number = quantity_value(value)
                self.report.check(number is not None, doc, f"{where}.{side}.{name}: {value!r} is not a quantity")
                values[(side, name)] = number
        for (side, name), number in values.items():
            limit = values.get(("limits", name))
            if side == "requests" and number is not None and limit is not None:
                self.report.check(number <= limit, doc, f"{where}.requests.{name}: more than its limit")

    def deployments_selected(self, selector, namespace):
        return [d for d in self.of_kind("Deployment", "StatefulSet", "DaemonSet")
                if d.namespace == namespace and selects(selector, pod_labels(d))]

    # Services: their selector picks some workload's pods, and their target ports exist there.
    def services(self):
        for s in self.of_kind("Service"):
            selector = dig(s.obj, "spec", "selector")
            if not selector:
                self.report.check(dig(s.obj, "spec", "type") == "ExternalName", s,
                                  "spec.selector: missing (the Service would pick no pods)")
                continue
            targets = self.deployments_selected(selector, s.namespace)
            if not self.report.check(bool(targets), s,
                                     f"spec.selector: {selector} matches the pods of no Deployment in "
                                     f"namespace {s.namespace}"):
                continue
            for i, port in enumerate(dig(s.obj, "spec", "ports", default=[]) or []):
                target = port.get("targetPort", port.get("port"))
                for t in targets:
                    self.report.check(
                        any(resolve_port(c, target) is not None for _, c in containers(pod_spec(t))), s,
                        f"spec.ports[{i}].targetPort: {target} is not a container port of {t.kind} {t.name}")

    # secretKeyRef, configMapKeyRef, envFrom, volumes: each names a thing README.md tells how to
    # make (Secrets) or a manifest makes (ConfigMaps), with the keys used.
    def references(self):
        for d in self.docs:
            spec = pod_spec(d)
            if spec is None:
                continue
            for key, c in containers(spec):
                where = f"spec.template.spec.{key}[{spec[key].index(c)}]"
                for i, env in enumerate(c.get("env") or []):
                    for ref in ("secretKeyRef", "configMapKeyRef"):
                        r = dig(env, "valueFrom", ref)
                        if isinstance(r, dict):
                            kind = "secret" if ref == "secretKeyRef" else "configmap"
                            self.referenced(d, f"{where}.env[{i}].valueFrom.{ref}", kind, r.get("name"),
                                            [r.get("key")], optional=r.get("optional", False))
                for i, src in enumerate(c.get("envFrom") or []):
                    for ref, kind in (("secretRef", "secret"), ("configMapRef", "configmap")):
                        if isinstance(src.get(ref), dict):
                            self.referenced(d, f"{where}.envFrom[{i}].{ref}", kind, src[ref].get("name"), [],
                                            optional=src[ref].get("optional", False))
            for i, vol in enumerate(spec.get("volumes") or []):
                if isinstance(vol.get("configMap"), dict):
                    keys = [item.get("key") for item in vol["configMap"].get("items") or []]
                    self.referenced(d, f"spec.template.spec.volumes[{i}].configMap", "configmap",
                                    vol["configMap"].get("name"), keys, optional=vol["configMap"].get("optional", False))
                if isinstance(vol.get("secret"), dict):
                    keys = [item.get("key") for item in vol["secret"].get("items") or []]
                    self.referenced(d, f"spec.template.spec.volumes[{i}].secret", "secret",
                                    vol["secret"].get("secretName"), keys, optional=vol["secret"].get("optional", False))

    def referenced(self, doc, where, kind, name, keys, optional=False, required_type=None):
        """`name` of `kind` (secret or configmap) with `keys` is made by a manifest or README.md."""
        made = [d for d in self.docs if d.kind == ("Secret" if kind == "secret" else "ConfigMap")
                and d.name == name and d.namespace == doc.namespace]
        if made:
            data = {**(made[0].obj.get("data") or {}), **(made[0].obj.get("stringData") or {}),
                    **(made[0].obj.get("binaryData") or {})}
            for key in keys:
                self.report.check(key in data, doc, f"{where}: {kind} {name} ({made[0].file}) has no key {key}")
            return
        documented = self.readme.objects.get((kind, name))
        if not self.report.check(documented is not None or optional, doc,
                                 f"{where}: {kind} {name} is made by no manifest here and no "
                                 f"`kubectl create {kind}` command in {self.readme_name}"):
            return
        if documented is None:
            return
        for key in keys:
            self.report.check(key in documented["keys"], doc,
                              f"{where}: the README's `kubectl create {kind} {name}` makes no key {key} "
                              f"(it makes {', '.join(sorted(documented['keys'])) or 'none'})")
        self.report.check(documented["namespace"] == doc.namespace, doc,
                          f"{where}: the README makes {kind} {name} in namespace {documented['namespace'] or '(none given)'}, "
                          f"not {doc.namespace}")
        if required_type:
            self.report.check(documented["type"] == required_type, doc,
                              f"{where}: the README's {kind} {name} must have --type={required_type}")
        return documented

    # The gateway: `faas serve` with real options, the port its probes check, /healthz.
    def gateway(self):
        found = False
        for d in self.of_kind("Deployment"):
            spec = pod_spec(d) or {}
            for i, c in enumerate(spec.get("containers") or []):
                if runs_faas_serve(c):
                    found = True
                    argv = [str(x) for x in (c.get("command") or []) + (c.get("args") or [])]
                    self.serve(d, spec, f"spec.template.spec.containers[{i}]", c, argv[2:])
        if not found:
            self.report.error(self.first_file("Deployment"), "no Deployment runs `faas serve` (command faas, args serve ...)")

    def first_file(self, kind):
        for d in self.docs:
            if d.kind == kind:
                return d.file
        return f"{self.folder}"

    def serve(self, d, spec, where, c, args):
        src = self.sources
        if not self.report.check(src.ok and src.serve_file.is_file(), d,
                                 f"{where}.args: cannot check them: {src.serve_file} not found"):
            return
        values = {}
        i = 0
        while i < len(args):
            arg = args[i]
            if not arg.startswith("--"):
                self.report.check(src.positional, d, f"{where}.args: {arg!r} is not an option (faas serve takes "
                                                     f"no positional arguments)")
                i += 1
                continue
            name, eq, inline = arg[2:].partition("=")
            if name in src.options:
                if eq:
                    values[name] = inline
                elif self.report.check(i + 1 < len(args) and not args[i + 1].startswith("--"), d,
                                       f"{where}.args: --{name} needs a value"):
                    values[name] = args[i + 1]
                    i += 1
            elif name in src.flags:
                self.report.check(not eq, d, f"{where}.args: --{name} is a flag and takes no value")
                values[name] = True
            else:
                self.report.error(d, f"{where}.args: --{name} is not an option of `faas serve` "
                                     f"({src.serve_file.relative_to(REPO) if REPO in src.serve_file.parents else src.serve_file} "
                                     f"has --{', --'.join(sorted(list(src.options) + list(src.flags)))})")
            i += 1
        env = {e.get("name"): e for e in c.get("env") or []}
        for name in env:
            if name and name.startswith("FAAS_"):
                self.report.check(name in src.env, d, f"{where}.env: {name} is read by no part of `faas` "
                                                      f"(it reads {', '.join(sorted(src.env))})")
        port = values.get("port", "8080")
        self.report.check(str(port).isdigit() and int(port) in container_port_numbers(c), d,
                          f"{where}.args: --port {port} is not a containerPort of the container "
                          f"({sorted(container_port_numbers(c))})")
        for option in ("workers",):
            if option in values:
                self.report.check(str(values[option]).isdigit() and 1 <= int(values[option]) <= 1024, d,
                                  f"{where}.args: --{option} must be a number from 1 to 1024")
        host = values.get("host", "127.0.0.1")
        self.report.check(host not in LOOPBACK, d, f"{where}.args: --host {host} is loopback: no other pod can reach it")
        self.report.check(host in LOOPBACK or "token" in values or "FAAS_TOKEN" in env or values.get("insecure"), d,
                          f"{where}: --host {host} without --token, FAAS_TOKEN or --insecure: `faas serve` refuses to start")
        # The data folder must be writable: on a volume when the root file system is read-only.
        data = values.get("data") or dig(env.get("FAAS_DATA"), "value")
        if dig(c, "securityContext", "readOnlyRootFilesystem"):
            mounts = [m.get("mountPath", "").rstrip("/") for m in c.get("volumeMounts") or [] if not m.get("readOnly")]
            self.report.check(bool(data) and any(data == m or data.startswith(m + "/") for m in mounts), d,
                              f"{where}: the data folder ({data or './.faas, the default'}) is on no writable volume, "
                              f"and the root file system is read-only")
        # Probes: /healthz (a route of the gateway) on the port it listens on.
        for kind in ("readinessProbe", "livenessProbe"):
            self.report.check(kind in c, d, f"{where}.{kind}: missing")
        self.report.check("healthz" in src.routes, d, f"{where}: /healthz is not a route of the gateway "
                                                      f"(Sources/Gateway/Routing/Route.swift)")
        for kind, probe in probes(c):
            path = dig(probe, "httpGet", "path")
            self.report.check(path == "/healthz", d, f"{where}.{kind}: must be httpGet /healthz (it is {path or probe})")
            number = resolve_port(c, dig(probe, "httpGet", "port"))
            if number is not None:  # else the port check of workloads() says so
                self.report.check(str(number) == str(port), d,
                                  f"{where}.{kind}.httpGet.port: {dig(probe, 'httpGet', 'port')} is port {number}, "
                                  f"but the gateway listens on {port}")

    # haproxy.yaml: its config passes `haproxy -c`; its server slots are the headless Service's pods,
    # enough for the HPA's maximum; its probes hit its monitor-uri; it binds its containerPorts.
    def haproxy(self):
        for cm in self.of_kind("ConfigMap"):
            for key, text in (cm.obj.get("data") or {}).items():
                if key.endswith(".cfg") and re.search(r"^\s*(frontend|backend|listen)\s", str(text), re.M):
                    self.haproxy_config(cm, key, str(text))

    def haproxy_config(self, cm, key, text):
        where = f"data.{key}"
        binary = shutil.which("haproxy") or ("/usr/sbin/haproxy" if os.access("/usr/sbin/haproxy", os.X_OK) else None)
        if binary:
            with tempfile.NamedTemporaryFile("w", suffix=".cfg") as f:
                f.write(text)
                f.flush()
                run = subprocess.run([binary, "-c", "-f", f.name], capture_output=True, text=True)
            # Warnings are faults too, but for the one that depends on this machine's resolv.conf.
            lines = [re.sub(r"^\[(ALERT|WARNING)\]\s*\(\d+\)\s*:\s*(config\s*:\s*)?", "", l).replace(f.name, key)
                     for l in (run.stdout + run.stderr).splitlines()
                     if ("ALERT" in l or "WARNING" in l) and "no nameservers configured" not in l]
            self.report.check(run.returncode == 0 and not lines, cm,
                              f"{where}: haproxy -c {'fails' if run.returncode else 'warns'}: {' | '.join(lines)}")
        else:
            self.report.notes.append(f"note: haproxy is not installed (apt-get install haproxy): "
                                     f"{cm.file} {where} was not checked with haproxy -c")
        sections, current = [], None
        for line in text.splitlines():
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            if not line[0].isspace():
                parts = line.split()
                current = {"type": parts[0], "name": parts[1] if len(parts) > 1 else "", "lines": []}
                sections.append(current)
            elif current is not None:
                current["lines"].append(line.split())
        binds, monitors = set(), set()
        for s in sections:
            if s["type"] in ("frontend", "listen"):
                ports = {int(l[1].rsplit(":", 1)[1]) for l in s["lines"] if l[0] == "bind" and ":" in l[1]
                         and l[1].rsplit(":", 1)[1].isdigit()}
                binds |= ports
                for l in s["lines"]:
                    if l[0] == "monitor-uri" and len(l) > 1:
                        monitors |= {(p, l[1]) for p in ports}
            for l in s["lines"]:
                if l[0] == "server-template" and len(l) >= 4:
                    self.server_template(cm, where, s["name"], l)
        # The Deployments that mount this ConfigMap.
        for d in self.of_kind("Deployment"):
            spec = pod_spec(d) or {}
            vols = {v.get("name") for v in spec.get("volumes") or []
                    if dig(v, "configMap", "name") == cm.name and d.namespace == cm.namespace}
            if not vols:
                continue
            for i, c in enumerate(spec.get("containers") or []):
                mounts = [m for m in c.get("volumeMounts") or [] if m.get("name") in vols]
                if not mounts:
                    continue
                cw = f"spec.template.spec.containers[{i}]"
                args = [str(a) for a in (c.get("command") or []) + (c.get("args") or [])]
                for j, a in enumerate(args[:-1]):
                    if a == "-f":
                        path = args[j + 1]
                        self.report.check(any(path == f"{m['mountPath'].rstrip('/')}/{key}" for m in mounts), d,
                                          f"{cw}.args: -f {path} is not {key} of ConfigMap {cm.name} as mounted "
                                          f"({', '.join(m['mountPath'] for m in mounts)})")
                for p in c.get("ports") or []:
                    self.report.check(p.get("containerPort") in binds, d,
                                      f"{cw}.ports: {p.get('containerPort')} is bound by no frontend of "
                                      f"{cm.file} {where} (it binds {sorted(binds)})")
                for kind, probe in probes(c):
                    path, number = dig(probe, "httpGet", "path"), resolve_port(c, dig(probe, "httpGet", "port"))
                    self.report.check((number, path) in monitors, d,
                                      f"{cw}.{kind}: GET {path} on {number} is not a monitor-uri of "
                                      f"{cm.file} {where} ({', '.join(f'{u} on {p}' for p, u in sorted(monitors)) or 'none'})")

    def server_template(self, cm, where, backend, line):
        _, prefix, count, address = line[:4]
        host, _, port = address.rpartition(":")
        labels = host.split(".")
        name, ns = labels[0], labels[1] if len(labels) > 1 else cm.namespace
        svc = [s for s in self.of_kind("Service") if s.name == name and s.namespace == ns]
        if not self.report.check(bool(svc), cm, f"{where}: backend {backend}: server-template resolves {host}, "
                                                f"but there is no Service {name} in namespace {ns}"):
            return
        svc = svc[0]
        self.report.check(dig(svc.obj, "spec", "clusterIP") == "None", cm,
                          f"{where}: backend {backend}: Service {name} ({svc.file}) is not headless "
                          f"(clusterIP: None), so DNS gives one virtual address, not the pods")
        ports = [p.get("port") for p in dig(svc.obj, "spec", "ports", default=[]) or []]
        self.report.check(port.isdigit() and int(port) in ports, cm,
                          f"{where}: backend {backend}: port {port} is not a port of Service {name} ({ports})")
        slots = int(count) if count.isdigit() else 0
        for d in self.deployments_selected(dig(svc.obj, "spec", "selector"), ns):
            most = dig(d.obj, "spec", "replicas", default=1)
            for h in self.of_kind("HorizontalPodAutoscaler"):
                if dig(h.obj, "spec", "scaleTargetRef", "name") == d.name and h.namespace == d.namespace:
                    most = dig(h.obj, "spec", "maxReplicas", default=most)
            surge = dig(d.obj, "spec", "strategy", "rollingUpdate", "maxSurge", default="25%")
            surge = math.ceil(most * int(surge[:-1]) / 100) if isinstance(surge, str) and surge.endswith("%") else int(surge)
            self.report.check(most + surge <= slots, cm,
                              f"{where}: backend {backend}: {slots} server slots, but {d.kind} {d.name} may run "
                              f"{most} pods plus a surge of {surge}")

    # The HPA: scales a real Deployment, on metrics someone serves and the gateway exports.
    def hpa(self):
        rules = self.adapter_rules()
        for h in self.of_kind("HorizontalPodAutoscaler"):
            ref = dig(h.obj, "spec", "scaleTargetRef", default={}) or {}
            targets = [d for d in self.docs if d.kind == ref.get("kind") and d.name == ref.get("name")
                       and d.namespace == h.namespace and d.obj.get("apiVersion") == ref.get("apiVersion")]
            self.report.check(bool(targets), h,
                              f"spec.scaleTargetRef: no {ref.get('apiVersion')} {ref.get('kind')} {ref.get('name')} "
                              f"in namespace {h.namespace}")
            lo, hi = dig(h.obj, "spec", "minReplicas", default=1), dig(h.obj, "spec", "maxReplicas")
            self.report.check(isinstance(hi, int) and lo <= hi, h, "spec.minReplicas: more than maxReplicas")
            for i, m in enumerate(dig(h.obj, "spec", "metrics", default=[]) or []):
                mtype = m.get("type")
                where = f"spec.metrics[{i}]"
                if mtype == "Resource":
                    res = dig(m, "resource", "name")
                    for t in targets:
                        for _, c in containers(pod_spec(t) or {}):
                            self.report.check(res in (dig(c, "resources", "requests") or {}), h,
                                              f"{where}.resource: container {c.get('name')} of {t.name} requests no {res}")
                    continue
                sub = {"Pods": "pods", "Object": "object", "External": "external", "ContainerResource": None}.get(mtype)
                if not sub:
                    continue
                name = dig(m, sub, "metric", "name")
                served = [r for r in rules if r["served"] == name]
                if not self.report.check(bool(served), h,
                                         f"{where}.{sub}.metric.name: {name} is served by no rule of the Prometheus "
                                         f"adapter ({', '.join(r['served'] for r in rules) or 'no rules found'})"):
                    continue
                rule = served[0]
                if mtype == "Pods":
                    overrides = set((dig(rule["rule"], "resources", "overrides") or {}).keys())
                    template = dig(rule["rule"], "resources", "template")
                    self.report.check({"namespace", "pod"} <= overrides or bool(template), rule["doc"],
                                      f"rule {rule['index']}: resources: maps no namespace and pod labels, so "
                                      f"{name} is no Pods metric")
                self.exported(rule)

    def adapter_rules(self):
        rules = []
        schema = None
        for cm in self.of_kind("ConfigMap"):
            text = dig(cm.obj, "data", "config.yaml")
            if not isinstance(text, str) or not re.search(r"^\s*(rules|externalRules):", text, re.M):
                continue
            try:
                config = yaml.load(text, Loader=StrictLoader)
            except yaml.YAMLError as e:
                self.report.error(cm, f"data.config.yaml: {yaml_error(e)} (of the embedded file)")
                continue
            if schema is None:
                schema = self.schemas.custom(ADAPTER_SCHEMA)
            for e in schema.iter_errors(config):
                self.report.error(cm, f"data.config.yaml: {field(e.absolute_path)}: {e.message} (schemas/{ADAPTER_SCHEMA})")
            for i, rule in enumerate((config or {}).get("rules") or []):
                if not isinstance(rule, dict):
                    continue
                series = re.match(r"\s*([a-zA-Z_:][a-zA-Z0-9_:]*)", str(rule.get("seriesQuery", "")))
                series = series.group(1) if series else None
                matches = dig(rule, "name", "matches") or ""
                as_ = dig(rule, "name", "as")
                served = series
                if series and matches:
                    try:
                        pattern = re.compile(matches)
                        default = r"\1" if pattern.groups else r"\g<0>"
                        m = pattern.search(series)
                        served = m.expand(re.sub(r"\$(\d+)", r"\\\1", as_) if as_ else default) if m else None
                    except re.error as e:
                        self.report.error(cm, f"data.config.yaml: rules[{i}].name.matches: {e}")
                        served = None
                    self.report.check(served is not None, cm,
                                      f"data.config.yaml: rules[{i}].name.matches: {matches} does not match {series}")
                rules.append({"doc": cm, "index": i, "rule": rule, "series": series, "served": served})
        return rules

    def exported(self, rule):
        """The series a rule reads is one the gateway exports, with the labels it uses."""
        cm, i, series = rule["doc"], rule["index"], rule["series"]
        where = f"data.config.yaml: rules[{i}]"
        if not self.report.check(self.sources.ok, cm, f"{where}: cannot check the metric: {self.sources.root} not found"):
            return
        text = self.sources.metric(series)
        if not self.report.check(text is not None, cm,
                                 f"{where}.seriesQuery: {series} is exported by no part of the gateway (Sources/Gateway, "
                                 f"Sources/Scheduler export {', '.join(sorted(self.sources.metrics))})"):
            return
        for part in ("seriesQuery", "metricsQuery"):
            query = str(rule["rule"].get(part, ""))
            for label, op, value in re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"([^"]*)"', query):
                if label in ("namespace", "pod", "__name__"):
                    continue  # added by Prometheus's scrape, not by the gateway
                self.report.check(f'"{label}"' in text, cm,
                                  f"{where}.{part}: {series} has no label {label}")
                if op == "=" and value:
                    self.report.check(f'"{value}"' in text, cm,
                                      f"{where}.{part}: {series}'s label {label} never has the value {value!r}")

    # PDBs: each picks some workload's pods, no pod is in two, and the gateway has one.
    def pdb(self):
        pdbs = self.of_kind("PodDisruptionBudget")
        for p in pdbs:
            sel = dig(p.obj, "spec", "selector")
            picked = [d for d in self.of_kind("Deployment", "StatefulSet") if d.namespace == p.namespace
                      and label_selector_selects(sel, pod_labels(d))]
            self.report.check(bool(picked), p, f"spec.selector: matches the pods of no Deployment in {p.namespace}")
        for d in self.of_kind("Deployment", "StatefulSet"):
            covering = [p for p in pdbs if p.namespace == d.namespace
                        and label_selector_selects(dig(p.obj, "spec", "selector"), pod_labels(d))]
            if len(covering) > 1:
                self.report.error(covering[1], f"spec.selector: {d.kind} {d.name}'s pods are also picked by "
                                               f"PodDisruptionBudget {covering[0].name}; evictions fail with two")
            if any(runs_faas_serve(c) for c in dig(pod_spec(d), "containers", default=[]) or []):
                self.report.check(bool(covering), d, "no PodDisruptionBudget picks the gateway's pods")

    # Namespaces that enforce the restricted Pod Security level: their pods must meet it.
    def pod_security(self):
        levels = {n.name: dig(n.obj, "metadata", "labels", "pod-security.kubernetes.io/enforce")
                  for n in self.of_kind("Namespace")}
        for d in self.docs:
            spec = pod_spec(d)
            if spec is None or levels.get(d.namespace) not in ("restricted", "baseline"):
                continue
            level = levels[d.namespace]
            base = "spec.template.spec"
            for key in ("hostNetwork", "hostPID", "hostIPC"):
                self.report.check(not spec.get(key), d, f"{base}.{key}: not allowed by the {level} Pod Security level")
            for i, v in enumerate(spec.get("volumes") or []):
                kinds = set(v) - {"name"}
                self.report.check(level != "restricted" or kinds <= RESTRICTED_VOLUMES, d,
                                  f"{base}.volumes[{i}]: {', '.join(sorted(kinds))} is not allowed by the restricted level")
                self.report.check("hostPath" not in kinds, d, f"{base}.volumes[{i}]: hostPath is not allowed")
            pod_sc = spec.get("securityContext") or {}
            for key, c in containers(spec):
                cw = f"{base}.{key}[{spec[key].index(c)}].securityContext"
                sc = c.get("securityContext") or {}
                self.report.check(not sc.get("privileged"), d, f"{cw}.privileged: not allowed")
                for p in c.get("ports") or []:
                    self.report.check(not p.get("hostPort"), d, f"{cw}: hostPort is not allowed")
                if level != "restricted":
                    continue
                self.report.check(sc.get("allowPrivilegeEscalation") is False, d,
                                  f"{cw}.allowPrivilegeEscalation: must be false (restricted)")
                self.report.check("ALL" in (dig(sc, "capabilities", "drop") or []), d,
                                  f"{cw}.capabilities.drop: must hold ALL (restricted)")
                self.report.check(set(dig(sc, "capabilities", "add") or []) <= {"NET_BIND_SERVICE"}, d,
                                  f"{cw}.capabilities.add: only NET_BIND_SERVICE is allowed (restricted)")
                self.report.check(sc.get("runAsNonRoot", pod_sc.get("runAsNonRoot")) is True, d,
                                  f"{cw}.runAsNonRoot: must be true here or in the pod's securityContext (restricted)")
                self.report.check(sc.get("runAsUser", pod_sc.get("runAsUser")) != 0, d,
                                  f"{cw}.runAsUser: 0 is not allowed (restricted)")
                seccomp = dig(sc, "seccompProfile", "type") or dig(pod_sc, "seccompProfile", "type")
                self.report.check(seccomp in ("RuntimeDefault", "Localhost"), d,
                                  f"{cw}.seccompProfile.type: must be RuntimeDefault or Localhost here or in the "
                                  f"pod's securityContext (restricted)")

    # The CloudNativePG Cluster: its owner Secret is documented, and the gateways' registry URL in
    # README.md points at its primary, database and owner.
    def cnpg(self):
        for cl in self.docs:
            if cl.kind != "Cluster" or not str(cl.obj.get("apiVersion", "")).startswith("postgresql.cnpg.io/"):
                continue
            initdb = dig(cl.obj, "spec", "bootstrap", "initdb") or {}
            secret = dig(initdb, "secret", "name")
            if secret:
                documented = self.referenced(cl, "spec.bootstrap.initdb.secret", "secret", secret,
                                             ["username", "password"], required_type="kubernetes.io/basic-auth")
                if documented and documented["keys"].get("username"):
                    self.report.check(documented["keys"]["username"] == initdb.get("owner"), cl,
                                      f"spec.bootstrap.initdb.secret: the README's {secret} has username "
                                      f"{documented['keys']['username']}, but the owner is {initdb.get('owner')}")
            self.report.check(dig(cl.obj, "spec", "instances", default=1) >= 2, cl,
                              "spec.instances: one instance has no replica to fail over to")
            if self.readme.text is None:
                continue
            for m in re.finditer(r"postgres(?:ql)?://([^:@/\s]+)(?::[^@\s]*)?@([^:/\s]+)(?::(\d+))?/([A-Za-z0-9_]+)",
                                 self.readme.text):
                user, host, port, db = m.groups()
                if not host.startswith(f"{cl.name}-"):
                    continue
                self.report.check(host.split(".")[0] == f"{cl.name}-rw", self.readme_name,
                                  f"registry URL {m.group(0)}: the gateways must use the primary, {cl.name}-rw")
                self.report.check(host.split(".")[1:2] in ([cl.namespace], []), self.readme_name,
                                  f"registry URL {m.group(0)}: {cl.name} is in namespace {cl.namespace}")
                self.report.check(db == initdb.get("database") and user == initdb.get("owner"), self.readme_name,
                                  f"registry URL {m.group(0)}: the Cluster makes database {initdb.get('database')} "
                                  f"owned by {initdb.get('owner')}")
                self.report.check(port in (None, "5432"), self.readme_name,
                                  f"registry URL {m.group(0)}: CloudNativePG's Services listen on 5432")


# --- main ---------------------------------------------------------------------------------------

def main():
    parser = argparse.ArgumentParser(description="Validate the Kubernetes manifests offline.")
    parser.add_argument("folder", nargs="?", default=str(HERE), help="the manifests (default: this folder)")
    parser.add_argument("--sources", default=str(REPO / "Sources"), help="the Swift sources (default: <repo>/Sources)")
    args = parser.parse_args()
    folder = Path(args.folder)
    if not folder.is_dir():
        print(f"validate: {folder} is not a folder", file=sys.stderr)
        return 2
    report = Report()
    schemas = Schemas(HERE / "schemas", report)
    cwd = Path.cwd()

    def display(p):
        try:
            return str(p.resolve().relative_to(cwd.resolve()))
        except ValueError:
            return str(p)

    display_folder = Path(display(folder))
    files = sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
    if not files:
        print(f"validate: no *.yaml in {folder}", file=sys.stderr)
        return 2
    docs_by_file = {}
    for p in files:
        name = display(p)
        docs = load_documents(p, name, report)
        docs_by_file[name] = docs
        for doc in docs:
            schemas.validate(doc)
    sources = Sources(Path(args.sources), report)
    Checker(display_folder, docs_by_file, schemas, sources, report).run()

    errors = sum(len(lines) for lines in report.errors.values())
    total = 0
    for name, docs in docs_by_file.items():
        total += len(docs)
        if name in report.errors:
            for line in report.errors.pop(name):
                print(line)
        else:
            print(f"ok {name} ({len(docs)} document{'s' if len(docs) != 1 else ''})")
    for lines in report.errors.values():  # README.md and other files that are not manifests
        for line in lines:
            print(line)
    for note in report.notes:
        print(note)
    versions = " and ".join(KUBERNETES_VERSIONS)
    if errors:
        print(f"validate: {errors} error{'s' if errors != 1 else ''} in {display_folder} "
              f"({len(files)} files, {total} documents, Kubernetes {versions}, {report.checks} cross-checks)")
        return 1
    print(f"validate: {display_folder} ok ({len(files)} files, {total} documents, Kubernetes {versions}, "
          f"{report.checks} cross-checks)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
