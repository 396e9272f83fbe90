"""deploy/k8s validated offline: every built-in resource against the Kubernetes JSON schemas
(kubernetes-validate, strict: an unknown field fails), the operators' resources against their
CRDs' schemas vendored in deploy/k8s/schemas (made strict the same way), and the rules the
platform needs beyond schemas: probes on ports that exist, requests and limits everywhere, no
secret in a manifest, every QLP_* setting a real config key, and names that agree with each
other (HPA and PDB targets, metrics Services, Prometheus' DNS names, kustomization)."""

from __future__ import annotations

import copy
import functools
import gzip
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from services.common.config import SERVICE_NAMES, amqp_uri, database_url, load_config

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
KUBERNETES_VERSION = "1.30.0"
CRD_SCHEMAS = {  # (apiVersion, kind) -> vendored openAPIV3Schema
    ("rabbitmq.com/v1beta1", "RabbitmqCluster"): "rabbitmqcluster-rabbitmq.com-v1beta1",
    ("postgresql.cnpg.io/v1", "Cluster"): "cluster-postgresql.cnpg.io-v1",
    ("postgresql.cnpg.io/v1", "Database"): "database-postgresql.cnpg.io-v1",
}
SECRETISH = re.compile(r"PASSWORD|SECRET|ACCESS_KEY|TOKEN|PRIVATE", re.I)
# Secrets the manifests may reference: made by the operators, or by the operator of the site.
KNOWN_SECRETS = {"qlp-rabbitmq-default-user", "qlp-postgres-app", "qlp-s3"}


def manifest_files() -> list[Path]:
    return sorted(p for p in K8S.glob("*.yaml") if p.name != "kustomization.yaml")


@functools.cache
def resources() -> list[dict[str, Any]]:
    """Every manifest once (read-only: tests copy before changing one)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    found = []
    for path in manifest_files():
        for doc in yaml.load_all(path.read_text(encoding="utf-8"), Loader=loader):  # noqa: S506
            if doc:
                doc["__file__"] = path.name
                found.append(doc)
    return found


def clean(resource: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in resource.items() if k != "__file__"}


def of_kind(kind: str) -> list[dict[str, Any]]:
    return [r for r in resources() if r["kind"] == kind]


def strict(schema: Any) -> Any:
    """A structural schema where an object with declared properties refuses others (what the
    API server would prune silently, i.e. a typo that has no effect)."""
    if isinstance(schema, dict):
        schema = {k: strict(v) for k, v in schema.items()}
        if ("properties" in schema and "additionalProperties" not in schema
                and not schema.get("x-kubernetes-preserve-unknown-fields")):
            schema["additionalProperties"] = False
        return schema
    if isinstance(schema, list):
        return [strict(item) for item in schema]
    return schema


@functools.cache
def crd_schema(api_version: str, kind: str) -> dict[str, Any]:
    name = CRD_SCHEMAS[(api_version, kind)]
    with gzip.open(K8S / "schemas" / f"{name}.json.gz") as handle:
        schema = strict(json.load(handle))
    schema["properties"]["apiVersion"] = {"const": api_version}
    schema["properties"]["kind"] = {"const": kind}
    schema["properties"]["metadata"] = {
        "type": "object", "required": ["name", "namespace"],
        "properties": {"name": {"type": "string"}, "namespace": {"type": "string"},
                       "labels": {"type": "object"}, "annotations": {"type": "object"}},
        "additionalProperties": False,
    }
    schema["required"] = sorted({*schema.get("required", []), "spec"})
    return schema


def validate(resource: dict[str, Any]) -> None:
    key = (resource["apiVersion"], resource["kind"])
    if key in CRD_SCHEMAS:
        jsonschema.Draft7Validator(crd_schema(*key)).validate(clean(resource))
    else:
        kubernetes_validate.validate(clean(resource), KUBERNETES_VERSION, strict=True)


def containers(resource: dict[str, Any]) -> list[dict[str, Any]]:
    return resource["spec"]["template"]["spec"]["containers"]


def workloads() -> list[dict[str, Any]]:
    return of_kind("Deployment") + of_kind("Job")


# --- schemas -------------------------------------------------------------------------------

@pytest.mark.parametrize("resource", resources(),
                         ids=lambda r: f"{r['__file__']}:{r['kind']}/{r['metadata']['name']}")
def test_every_resource_validates_against_its_schema(resource):
    validate(resource)


def test_the_validation_is_strict_about_unknown_fields_and_wrong_types():
    deployment = clean(next(r for r in of_kind("Deployment") if r["metadata"]["name"] == "qlp-review"))
    typo = copy.deepcopy(deployment)
    typo["spec"]["template"]["spec"]["containers"][0]["livenesProbe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(typo)
    cluster = clean(of_kind("RabbitmqCluster")[0])
    wrong = copy.deepcopy(cluster)
    wrong["spec"]["replicas"] = "three"
    with pytest.raises(jsonschema.ValidationError):
        validate(wrong)
    unknown = copy.deepcopy(clean(of_kind("Cluster")[0]))
    unknown["spec"]["instance"] = 2
    with pytest.raises(jsonschema.ValidationError):
        validate(unknown)


def test_the_operators_resources_are_the_ones_the_platform_needs():
    kinds = Counter((r["apiVersion"], r["kind"]) for r in resources())
    assert kinds[("rabbitmq.com/v1beta1", "RabbitmqCluster")] == 1
    assert kinds[("postgresql.cnpg.io/v1", "Cluster")] == 1
    rabbit = of_kind("RabbitmqCluster")[0]
    assert rabbit["spec"]["replicas"] == 3  # quorum queues: a majority survives one node
    assert "default_vhost = qlp" in rabbit["spec"]["rabbitmq"]["additionalConfig"]
    cluster = of_kind("Cluster")[0]
    assert cluster["spec"]["instances"] >= 2
    made = {cluster["spec"]["bootstrap"]["initdb"]["database"]}
    made |= {d["spec"]["name"] for d in of_kind("Database")}
    config = load_config("production", environ={})
    wanted = {database_url(config, c).rsplit("/", 1)[1] for c in (*SERVICE_NAMES, "gateway")}
    assert made == wanted
    owners = {cluster["spec"]["bootstrap"]["initdb"]["owner"]} | {
        d["spec"]["owner"] for d in of_kind("Database")}
    assert owners == {"qlp"}


# --- workloads -----------------------------------------------------------------------------

def test_a_deployment_per_service_and_the_gateway_each_running_its_component():
    commands = {}
    for deployment in of_kind("Deployment"):
        (container,) = containers(deployment)
        commands[deployment["metadata"]["labels"]["app.kubernetes.io/component"]] = container["command"]
    assert set(commands) == {*SERVICE_NAMES, "gateway"}
    for service in SERVICE_NAMES:
        assert commands[service] == ["python", "-m", "services.common.runner", service]
    assert commands["gateway"] == ["python", "-m", "gateway"]


def test_probes_point_at_ports_the_container_declares_and_the_platform_serves():
    defaults = load_config("production", environ={})
    for deployment in of_kind("Deployment"):
        component = deployment["metadata"]["labels"]["app.kubernetes.io/component"]
        (container,) = containers(deployment)
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        assert ports["metrics"] == defaults["metrics_ports"][component]
        for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
            get = container[probe]["httpGet"]
            assert get["port"] in ports, f"{component} {probe}"
            assert get["path"] in ("/livez", "/readyz"), f"{component} {probe}"
        assert container["livenessProbe"]["httpGet"]["path"] == "/livez"
        if component == "gateway":  # readiness of the services gates a new pod's start
            assert ports["http"] == 8700
            assert container["startupProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
            # longer than the gateway's RPC timeout, which /readyz may wait for
            assert container["startupProbe"]["timeoutSeconds"] > defaults["gateway"]["rpc_timeout_seconds"]


def test_every_container_has_requests_and_limits():
    for workload in workloads():
        for container in containers(workload):
            resources_ = container["resources"]
            for bound in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(resources_[bound]), (
                    f"{workload['metadata']['name']}: {bound}")


def test_no_secret_is_written_in_a_manifest():
    assert not of_kind("Secret")
    for config_map in of_kind("ConfigMap"):
        for key, value in config_map["data"].items():
            assert not SECRETISH.search(key), f"{key} belongs in a Secret"
            assert "://" not in value or "@" not in value, f"{key}: credentials in a URL"
    referenced = set()
    for workload in workloads():
        for container in containers(workload):
            for env in container.get("env", []):
                if SECRETISH.search(env["name"]) or env["name"].endswith("__USER"):
                    assert "value" not in env, f"{env['name']} has a literal value"
                    ref = env["valueFrom"]["secretKeyRef"]
                    referenced.add(ref["name"])
    assert referenced == KNOWN_SECRETS
    text = "\n".join(p.read_text(encoding="utf-8") for p in manifest_files())
    assert "qlp-local-secret" not in text and "password:" not in text.lower()


def config_map_env() -> dict[str, str]:
    (config_map,) = of_kind("ConfigMap")
    return dict(config_map["data"])


def test_every_qlp_setting_in_the_config_map_is_a_real_config_key():
    """apply_environment would silently invent a section for a misspelt key."""
    defaults = load_config("production", environ={})
    for name in config_map_env():
        if not name.startswith("QLP_") or name == "QLP_PROFILE":
            continue
        node: Any = defaults
        for part in name[4:].lower().split("__"):
            assert isinstance(node, dict) and part in node, f"{name}: no such config key"
            node = node[part]


def test_the_pods_config_reaches_the_operators_services():
    environ = {**config_map_env(), "QLP_AMQP__USER": "u", "QLP_AMQP__PASSWORD": "p",
               "QLP_POSTGRES__USER": "u", "QLP_POSTGRES__PASSWORD": "p"}
    config = load_config(environ=environ)
    rabbit = of_kind("RabbitmqCluster")[0]["metadata"]["name"]
    cluster = of_kind("Cluster")[0]["metadata"]["name"]
    assert amqp_uri(config) == f"amqp://u:p@{rabbit}:5672/qlp"
    assert database_url(config, "review") == f"postgresql+psycopg://u:p@{cluster}-rw:5432/qlp_review"
    assert config["metrics_host"] == "0.0.0.0" and config["gateway"]["host"] == "0.0.0.0"
    assert config["gateway"]["secure_cookies"] is True
    assert config["gateway"]["echo_route"] is False


def test_migrations_run_as_a_job_with_the_same_image_and_database_settings():
    (job,) = of_kind("Job")
    (container,) = containers(job)
    assert container["command"] == ["python", "-m", "services.common.migrations", "upgrade"]
    images = {c["image"] for d in of_kind("Deployment") for c in containers(d)}
    assert images == {container["image"]}
    assert {"configMapRef": {"name": "qlp-config"}} in container["envFrom"]
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"


# --- names that must agree -----------------------------------------------------------------

def pod_labels(name: str) -> dict[str, str]:
    deployment = next(d for d in of_kind("Deployment") if d["metadata"]["name"] == name)
    return deployment["spec"]["template"]["metadata"]["labels"]


def selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


def test_review_and_the_gateway_scale_on_their_own_and_every_component_has_a_disruption_budget():
    targets = {h["spec"]["scaleTargetRef"]["name"]: h for h in of_kind("HorizontalPodAutoscaler")}
    assert set(targets) == {"qlp-review", "qlp-gateway"}
    for name, hpa in targets.items():
        pod_labels(name)  # the target exists
        assert hpa["spec"]["minReplicas"] >= 2 and hpa["spec"]["maxReplicas"] > hpa["spec"]["minReplicas"]
    deployments = {d["metadata"]["name"] for d in of_kind("Deployment")}
    covered = set()
    for pdb in of_kind("PodDisruptionBudget"):
        matched = {n for n in deployments if selects(pdb["spec"]["selector"]["matchLabels"], pod_labels(n))}
        assert len(matched) == 1, pdb["metadata"]["name"]
        covered |= matched
    assert covered == deployments
    for deployment in of_kind("Deployment"):
        name = deployment["metadata"]["name"]
        if name not in targets:
            assert deployment["spec"]["replicas"] >= 2, f"{name}: a PDB of 1 needs 2 replicas"


def test_prometheus_finds_every_component_through_its_metrics_service():
    services = {s["metadata"]["name"]: s for s in of_kind("Service")}
    prometheus = yaml.safe_load((ROOT / "deploy/monitoring/prometheus.yml").read_text())
    (job,) = [j for j in prometheus["scrape_configs"] if j["job_name"] == "qlp"]
    relabel = re.compile(job["relabel_configs"][0]["regex"])
    components = set()
    for sd in job["dns_sd_configs"]:
        (dns_name,) = sd["names"]
        service_name, namespace = dns_name.split(".")[:2]
        service = services[service_name]
        assert service["spec"]["clusterIP"] == "None" and namespace == service["metadata"]["namespace"]
        (port,) = service["spec"]["ports"]
        assert port["port"] == sd["port"]
        deployment = next(n for n in (d["metadata"]["name"] for d in of_kind("Deployment"))
                          if selects(service["spec"]["selector"], pod_labels(n)))
        component = relabel.fullmatch(dns_name).group(1)
        assert pod_labels(deployment)["app.kubernetes.io/component"] == component
        (container,) = containers(next(d for d in of_kind("Deployment")
                                       if d["metadata"]["name"] == deployment))
        assert {"name": "metrics", "containerPort": sd["port"], "protocol": "TCP"} in container["ports"]
        components.add(component)
    assert components == {*SERVICE_NAMES, "gateway"}
    rabbit = of_kind("RabbitmqCluster")[0]["metadata"]["name"]
    for name in ("rabbitmq", "rabbitmq-queues"):
        (rjob,) = [j for j in prometheus["scrape_configs"] if j["job_name"] == name]
        assert rjob["dns_sd_configs"][0]["names"] == [f"{rabbit}-nodes.qlp.svc.cluster.local"]


def test_kustomization_applies_every_manifest_but_the_migrations_job():
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    listed = set(kustomization["resources"])
    assert listed == {p.name for p in manifest_files()} - {"migrate-job.yaml"}
    images = {c["image"].split(":")[0] for w in workloads() for c in containers(w)}
    assert images == {i["name"] for i in kustomization["images"]}


def test_postgres_accepts_every_pod_at_its_largest_scale():
    """Each platform pod may hold 20 connections (services.common.database.make_engine)."""
    from services.common.database import make_engine

    engine = make_engine("postgresql+psycopg://u:p@h/db")
    per_pod = engine.pool.size() + engine.pool._max_overflow  # noqa: SLF001
    maximum = {h["spec"]["scaleTargetRef"]["name"]: h["spec"]["maxReplicas"]
               for h in of_kind("HorizontalPodAutoscaler")}
    pods = sum(maximum.get(d["metadata"]["name"], d["spec"]["replicas"])
               for d in of_kind("Deployment"))
    (cluster,) = of_kind("Cluster")
    assert pods * per_pod < int(cluster["spec"]["postgresql"]["parameters"]["max_connections"])
