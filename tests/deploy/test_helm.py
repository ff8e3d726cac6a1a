"""The Helm chart, linted and rendered offline, its manifests validated against a pinned Kubernetes version.

Helm is the real Helm v4 SDK (PyPI ``helm-python-sdk`` binds its shared library: no ``helm`` binary, no
cluster); the Kubernetes JSON schemas ship inside PyPI ``kubernetes-validate`` (1.25 … 1.37), so nothing
is downloaded. The rendered manifests are then held against the code: the CLI, Settings, the service
registry, the API's routes, the search attributes and the Dockerfile's user.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import helm_python as helm
import kubernetes_validate
import pytest
import yaml  # type: ignore[import-untyped, unused-ignore]  # no stubs in the venv

from tests.deploy.conftest import (
    REPO,
    api_get_routes,
    parse_cli,
    registered_services,
    services_of,
    unknown_settings,
)

CHART = REPO / "deploy" / "helm" / "mallbots"
KUBERNETES = "1.33.0"  # the oldest version we promise in the README; the chart's kubeVersion allows >= 1.27
RELEASE, NAMESPACE = "shop", "mall"

Manifest = dict[str, Any]

# What an install must give: the Secrets with the payload keys and the token signing key (or an OIDC issuer); the
# chart never holds key material. The database users' Secrets have default names.
SIGNING_KEY_SECRET = "mallbots-auth-signing-key"
REQUIRED: dict[str, Any] = {
    "payloadEncryption": {"existingSecret": "mallbots-payload-keys"},
    "auth": {"signingKey": {"existingSecret": SIGNING_KEY_SECRET}},
}
IN_CLEAR: dict[str, Any] = {"payloadEncryption": {"enabled": False}, "auth": {"enabled": False}}
EVERYTHING: dict[str, Any] = {
    "payloadEncryption": {"existingSecret": "shop-payload-keys", "keysFileKey": "keys", "mountPath": "/etc/mallbots"},
    "codecEndpoint": {
        "existingSecret": "shop-codec",
        "tokenKey": "token",
        "corsOrigins": ["https://temporal-ui.example.com", "https://ops.example.com"],
    },
    "image": {"repository": "registry.example.com/team/mallbots", "tag": "1.2.3"},
    "imagePullSecrets": [{"name": "registry"}],
    "serviceAccountName": "mallbots",
    "database": {
        "appUser": {"existingSecret": "shop-db-app", "urlKey": "app-url"},
        "migrationsUser": {"existingSecret": "shop-db-owner", "urlKey": "owner-url"},
        "serviceUrlKeys": {"ordering": "ordering-url"},
        "sslmode": "verify-full",
        "sslRootCert": {"existingSecret": "shop-db-ca", "key": "root.pem", "mountPath": "/etc/mallbots/db-ca"},
    },
    "auth": {
        "issuer": "https://id.example.com/realms/mall",
        "jwksUrl": "https://id.example.com/realms/mall/certs",
        "audience": "mall-api",
        "rolesClaim": "realm_access.roles",
    },
    "otlpEndpoint": "http://otel-collector.observability:4318",
    "env": {"MALLBOTS_BASKET_TTL": "PT12H", "MALLBOTS_CONTINUE_AS_NEW_AFTER": 500},
    "temporal": {
        "registerSearchAttributes": {"enabled": True},
        "tls": {"existingSecret": "shop-temporal-tls", "serverName": "temporal.example.com"},
        "apiKey": {"existingSecret": "shop-temporal-api-key", "key": "key"},
    },
    "api": {"services": ["stores", "customers"], "autoscaling": {"enabled": True}},
    "workers": {
        "defaults": {"autoscaling": {"enabled": True}},
        "services": {"ordering": {"autoscaling": {"maxReplicas": 12}, "resources": {"limits": {"memory": "1Gi"}}}},
    },
    "ingress": {
        "enabled": True,
        "className": "nginx",
        "annotations": {"nginx.ingress.kubernetes.io/proxy-body-size": "1m"},
        "tls": [{"secretName": "mallbots-tls", "hosts": ["mallbots.example.com"]}],
    },
}
SCENARIOS = {"defaults": REQUIRED, "everything": EVERYTHING, "in-clear": IN_CLEAR}


class StrictLoader(yaml.SafeLoader):  # type: ignore[misc, unused-ignore]
    """Refuses duplicate keys, which YAML parsers (and the API server's) would silently collapse."""

    def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
        keys = [self.construct_object(key, deep=deep) for key, _ in node.value]
        duplicates = sorted({str(k) for k in keys if keys.count(k) > 1})
        assert not duplicates, f"duplicate keys {duplicates} {node.start_mark}"
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        return mapping


def render_templates(values: dict[str, Any] | None, release: str = RELEASE) -> dict[str, str]:
    with helm.Chart.load(CHART) as chart:
        rendered: dict[str, str] = chart.render(values=values, name=release, namespace=NAMESPACE, is_install=True)
    return rendered


def render(values: dict[str, Any] | None = None, release: str = RELEASE) -> list[Manifest]:
    rendered = render_templates(values, release)
    manifests = []
    for template, text in sorted(rendered.items()):
        if not template.endswith((".yaml", ".yml")):
            continue  # NOTES.txt
        for doc in yaml.load_all(text, Loader=StrictLoader):
            if doc:
                doc.setdefault("metadata", {}).setdefault("annotations", {})["test/template"] = template
                manifests.append(doc)
    return manifests


@pytest.fixture(scope="module", params=list(SCENARIOS))
def scenario(request: pytest.FixtureRequest) -> list[Manifest]:
    return render(SCENARIOS[request.param])


@pytest.fixture(scope="module")
def defaults() -> list[Manifest]:
    return render(REQUIRED)


@pytest.fixture(scope="module")
def everything() -> list[Manifest]:
    return render(EVERYTHING)


def of_kind(manifests: list[Manifest], kind: str) -> list[Manifest]:
    return [m for m in manifests if m["kind"] == kind]


def named(manifests: list[Manifest], kind: str, name: str) -> Manifest:
    found = [m for m in of_kind(manifests, kind) if m["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind}/{name}: {len(found)} rendered"
    return found[0]


def component(manifests: list[Manifest], kind: str, value: str) -> list[Manifest]:
    return [m for m in of_kind(manifests, kind) if m["metadata"]["labels"].get("app.kubernetes.io/component") == value]


def pod_spec(workload: Manifest) -> dict[str, Any]:
    spec: dict[str, Any] = workload["spec"]["template"]["spec"]
    return spec


def containers(manifests: list[Manifest]) -> Iterator[tuple[Manifest, dict[str, Any]]]:
    for workload in manifests:
        if workload["kind"] in ("Deployment", "Job"):
            for container in pod_spec(workload)["containers"]:
                yield workload, container


def mallbots_containers(manifests: list[Manifest]) -> Iterator[tuple[Manifest, dict[str, Any]]]:
    for workload, container in containers(manifests):
        if container.get("command") == ["mallbots"]:
            yield workload, container


def env_names(container: dict[str, Any]) -> list[str]:
    return [variable["name"] for variable in container.get("env", [])]


# ------------------------------------------------------------------------------------------------ chart


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_helm_lint_passes_strictly(name: str) -> None:
    report = helm.lint(CHART, SCENARIOS[name], strict=True, kube_version=f"v{KUBERNETES}")
    problems = [m for m in report["messages"] if m["severity"] >= 2]
    assert not report["errors"] and not problems, report


def test_every_rendered_manifest_is_valid_kubernetes(scenario: list[Manifest]) -> None:
    assert scenario
    for manifest in scenario:
        name = f"{manifest['kind']}/{manifest['metadata']['name']}"
        try:
            kubernetes_validate.validate(manifest, KUBERNETES, strict=True)
        except kubernetes_validate.ValidationError as err:
            raise AssertionError(f"{name} is not valid Kubernetes {KUBERNETES}: {err.message} at {err.path}") from err


def test_every_object_name_is_a_dns_label_even_for_the_longest_release_name() -> None:
    longest = "r" * 53  # Helm's limit on release names
    for manifest in render(EVERYTHING, release=longest):
        name = manifest["metadata"]["name"]
        assert len(name) <= 63 and re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", name), name


def test_the_app_version_is_the_package_version() -> None:
    with helm.Chart.load(CHART) as chart:
        app_version = chart.metadata["appVersion"]
    assert app_version == tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]


def test_without_a_database_users_secret_the_chart_refuses_to_render() -> None:
    for user in ("appUser", "migrationsUser"):
        with pytest.raises(helm.HelmError, match=rf"database\.{user}\.existingSecret: the name of an existing Secret"):
            render({**REQUIRED, "database": {user: {"existingSecret": ""}}})


def test_one_user_for_both_the_services_and_the_migrations_is_refused() -> None:
    same = {"existingSecret": "mallbots-database", "urlKey": "url"}
    with pytest.raises(helm.HelmError, match="name the same Secret and key"):
        render({**REQUIRED, "database": {"appUser": same, "migrationsUser": same}})


@pytest.mark.parametrize("old", [{"url": "postgresql+psycopg://u:p@db/mall"}, {"existingSecret": "mallbots-database"}])
def test_the_one_user_values_of_before_are_refused_with_what_replaced_them(old: dict[str, str]) -> None:
    with pytest.raises(helm.HelmError, match=r"database\.url, database\.existingSecret .* are gone: .* two users"):
        render({**REQUIRED, "database": old})


# ------------------------------------------------------------------------------------------------ commands


def test_each_registered_service_has_a_worker_deployment_running_it(scenario: list[Manifest]) -> None:
    served: dict[str, list[str]] = {}
    builds = set()
    for deployment in component(scenario, "Deployment", "worker"):
        (container,) = pod_spec(deployment)["containers"]
        assert container["command"] == ["mallbots"]
        assert container["args"][0] == "worker"
        served[deployment["metadata"]["name"]] = services_of(container["args"])
        builds.add(container["image"].rpartition(":")[2])
    assert all(len(s) == 1 for s in served.values()), f"a per-service Deployment serves several: {served}"
    assert sorted(s[0] for s in served.values()) == sorted(registered_services())
    (build,) = builds  # one build when none is listed: image.tag, or the chart's appVersion
    for name, (service,) in served.items():
        assert name.endswith(f"-worker-{service}-{build.replace('.', '-')}")


def test_every_container_of_our_image_runs_a_command_the_cli_accepts(scenario: list[Manifest]) -> None:
    roles = set()
    for workload, container in mallbots_containers(scenario):
        parse_cli(container["args"])
        roles.add(container["args"][0])
        assert container["image"].rpartition(":")[2], f"{workload['metadata']['name']} has an untagged image"
    assert roles == {"worker", "api", "migrate"}


def test_the_api_serves_the_services_it_is_given(everything: list[Manifest]) -> None:
    (api,) = component(everything, "Deployment", "api")
    (container,) = pod_spec(api)["containers"]
    assert services_of(container["args"]) == EVERYTHING["api"]["services"]


def test_a_service_override_applies_to_that_worker_only() -> None:
    manifests = render(
        {**REQUIRED, "workers": {"services": {"ordering": {"replicas": 3}, "search": {"enabled": False}}}}
    )
    replicas = {
        d["metadata"]["labels"]["mallbots.io/service"]: d["spec"]["replicas"]
        for d in component(manifests, "Deployment", "worker")
    }
    assert "search" not in replicas
    assert replicas.pop("ordering") == 3
    assert set(replicas.values()) == {1}


# ------------------------------------------------------------------------------------------------ probes


def test_api_probes_ask_routes_the_app_serves_on_the_port_it_listens_on(scenario: list[Manifest]) -> None:
    routes = api_get_routes()
    (api,) = component(scenario, "Deployment", "api")
    (container,) = pod_spec(api)["containers"]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    variables = {v["name"]: v.get("value") for v in container["env"]}
    assert str(ports["http"]) == variables["MALLBOTS_API_PORT"] and variables["MALLBOTS_API_HOST"] == "0.0.0.0"
    paths = {}
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        http = container[probe]["httpGet"]
        assert http["path"] in routes, f"{probe} asks {http['path']}, which the API does not serve"
        assert http["port"] in ports, f"{probe} asks port {http['port']!r}"
        paths[probe] = http["path"]
    assert paths["livenessProbe"] == "/liveness", "liveness must not depend on Temporal or the database"
    assert paths["readinessProbe"] == "/readiness"


def test_worker_probes_read_the_metrics_endpoint_the_worker_opens(scenario: list[Manifest]) -> None:
    for deployment in component(scenario, "Deployment", "worker"):
        (container,) = pod_spec(deployment)["containers"]
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        variables = {v["name"]: v.get("value") for v in container["env"]}
        assert variables["MALLBOTS_TEMPORAL_METRICS_ADDRESS"] == f"0.0.0.0:{ports['metrics']}"
        # The worker's own series (projection lag, parked events) on a port of their own, named for a PodMonitor.
        assert variables["MALLBOTS_METRICS_ADDRESS"] == f"0.0.0.0:{ports['worker-metrics']}"
        assert ports["worker-metrics"] != ports["metrics"]
        for probe in ("startupProbe", "livenessProbe"):
            assert container[probe]["httpGet"] == {"path": "/metrics", "port": "metrics"}


# ------------------------------------------------------------------------------------------------ hooks


def test_migrations_run_as_a_pre_install_and_pre_upgrade_hook(scenario: list[Manifest]) -> None:
    (job,) = component(scenario, "Job", "migrate")
    annotations = job["metadata"]["annotations"]
    assert set(annotations["helm.sh/hook"].split(",")) == {"pre-install", "pre-upgrade"}
    assert "before-hook-creation" in annotations["helm.sh/hook-delete-policy"]
    (container,) = pod_spec(job)["containers"]
    assert container["args"] == ["migrate"]
    assert pod_spec(job)["restartPolicy"] == "Never"


@pytest.mark.parametrize("values", [REQUIRED, EVERYTHING], ids=["defaults", "everything"])
def test_the_migrate_job_connects_as_the_migrations_user_and_the_services_as_the_app_user(
    values: dict[str, Any],
) -> None:
    with helm.Chart.load(CHART) as chart:
        database = {**chart.values["database"], **values.get("database", {})}
    manifests = render(values)
    owner, app = database["migrationsUser"], database["appUser"]
    assert owner["existingSecret"] != app["existingSecret"]
    for workload, container in mallbots_containers(manifests):
        urls = {
            v["name"]: v["valueFrom"]["secretKeyRef"] for v in container["env"] if v["name"].endswith("DATABASE_URL")
        }
        user = owner if container["args"][0] == "migrate" else app
        assert urls["MALLBOTS_DATABASE_URL"] == {"name": user["existingSecret"], "key": user["urlKey"]}, workload
        # Per-service URLs: the same user's Secret.
        assert {ref["name"] for ref in urls.values()} == {user["existingSecret"]}, workload["metadata"]["name"]
    assert not of_kind(manifests, "Secret"), "the chart makes no Secret: every secret is one the operator made"


def test_database_urls_come_from_the_secret_never_from_plain_values(scenario: list[Manifest]) -> None:
    for workload, container in mallbots_containers(scenario):
        for variable in container["env"]:
            if variable["name"].endswith("DATABASE_URL"):
                assert "secretKeyRef" in variable.get("valueFrom", {}), f"{workload['metadata']['name']}"


def test_the_search_attributes_are_exactly_those_the_workflows_set(everything: list[Manifest]) -> None:
    from mallbots.devstack.temporal import _indexed_type
    from workflows.search_attributes import ALL_SEARCH_ATTRIBUTES

    expected = {key.name: _indexed_type(key) for key in ALL_SEARCH_ATTRIBUTES}
    with helm.Chart.load(CHART) as chart:
        assert chart.values["temporal"]["searchAttributes"] == expected
    (job,) = component(everything, "Job", "temporal-setup")
    assert "hook" in " ".join(job["metadata"]["annotations"])
    variables = {v["name"]: v.get("value") for v in pod_spec(job)["containers"][0]["env"]}
    assert dict(pair.split("=") for pair in variables["SEARCH_ATTRIBUTES"].split()) == expected


# ------------------------------------------------------------------------------------------------ wiring


def test_every_mallbots_variable_is_a_setting(scenario: list[Manifest]) -> None:
    for workload, container in containers(scenario):
        assert not unknown_settings(env_names(container)), workload["metadata"]["name"]


def test_extra_settings_reach_workers_and_api(everything: list[Manifest]) -> None:
    for workload, container in mallbots_containers(everything):
        if container["args"][0] in ("worker", "api"):
            names = env_names(container)
            assert set(EVERYTHING["env"]) <= set(names), workload["metadata"]["name"]
            assert "MALLBOTS_ORDERING_DATABASE_URL" in names and "MALLBOTS_OTLP_ENDPOINT" in names
            assert len(names) == len(set(names)), f"{workload['metadata']['name']} sets a variable twice"


def test_pods_run_as_the_image_user_without_root_or_a_writable_root_fs(scenario: list[Manifest]) -> None:
    image_user = re.findall(r"^USER (\d+)", (REPO / "Dockerfile").read_text(), re.M)[-1]
    for workload, container in mallbots_containers(scenario):
        pod = pod_spec(workload)
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert str(pod["securityContext"]["runAsUser"]) == image_user
        assert pod["automountServiceAccountToken"] is False
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        assert container["securityContext"]["allowPrivilegeEscalation"] is False
        assert {"name": "tmp", "mountPath": "/tmp"} in container["volumeMounts"], "Python needs a writable /tmp"
        assert container["resources"]["requests"] and container["resources"]["limits"]["memory"]


def test_deployment_selectors_never_overlap(scenario: list[Manifest]) -> None:
    deployments = of_kind(scenario, "Deployment")
    for deployment in deployments:
        selector = deployment["spec"]["selector"]["matchLabels"].items()
        selected = [
            d["metadata"]["name"]
            for d in deployments
            if selector <= d["spec"]["template"]["metadata"]["labels"].items()
        ]
        assert selected == [deployment["metadata"]["name"]], f"{deployment['metadata']['name']} selects {selected}"


def test_the_service_selects_only_api_pods_on_their_http_port(scenario: list[Manifest]) -> None:
    (service,) = of_kind(scenario, "Service")
    selector = service["spec"]["selector"].items()
    selected = [
        d for d in of_kind(scenario, "Deployment") if selector <= d["spec"]["template"]["metadata"]["labels"].items()
    ]
    assert [d["metadata"]["labels"]["app.kubernetes.io/component"] for d in selected] == ["api"]
    port_names = {p["name"] for p in pod_spec(selected[0])["containers"][0]["ports"]}
    assert all(p["targetPort"] in port_names for p in service["spec"]["ports"])


def test_the_ingress_routes_to_the_api_service(everything: list[Manifest]) -> None:
    (ingress,) = of_kind(everything, "Ingress")
    (service,) = of_kind(everything, "Service")
    ports = {p["name"] for p in service["spec"]["ports"]}
    backends = [p["backend"]["service"] for rule in ingress["spec"]["rules"] for p in rule["http"]["paths"]]
    assert backends and all(b["name"] == service["metadata"]["name"] and b["port"]["name"] in ports for b in backends)
    assert ingress["spec"]["tls"][0]["secretName"] == "mallbots-tls"


def test_autoscaled_deployments_leave_replicas_to_their_autoscaler(everything: list[Manifest]) -> None:
    deployments = {d["metadata"]["name"]: d for d in of_kind(everything, "Deployment")}
    targets = {h["spec"]["scaleTargetRef"]["name"]: h for h in of_kind(everything, "HorizontalPodAutoscaler")}
    assert set(targets) == set(deployments), "everything is autoscaled in this scenario"
    for name, deployment in deployments.items():
        assert "replicas" not in deployment["spec"], f"{name} fixes replicas under an HPA"
    ordering = next(h for n, h in targets.items() if "-worker-ordering-" in n)
    assert ordering["spec"]["maxReplicas"] == 12 and ordering["spec"]["minReplicas"] == 1


def test_without_autoscaling_no_autoscaler_is_rendered(defaults: list[Manifest]) -> None:
    assert not of_kind(defaults, "HorizontalPodAutoscaler") and not of_kind(defaults, "Ingress")
    assert all(d["spec"]["replicas"] >= 1 for d in of_kind(defaults, "Deployment"))


# ------------------------------------------------------------------------------------------------ payload privacy


def keys_readers(manifests: list[Manifest]) -> list[tuple[Manifest, dict[str, Any]]]:
    """Every worker and API container: the processes that refuse to start without the payload keys."""
    found = [(w, c) for w, c in mallbots_containers(manifests) if c["args"][0] in ("worker", "api")]
    assert len(found) == len(registered_services()) + 1, "a Deployment per service and the API"
    assert all(w["kind"] == "Deployment" for w, _ in found)
    return found


def plain_env(container: dict[str, Any]) -> dict[str, str | None]:
    return {v["name"]: v.get("value") for v in container.get("env", [])}


@pytest.mark.parametrize("values", [REQUIRED, EVERYTHING], ids=["defaults", "everything"])
def test_every_worker_and_the_api_mount_the_payload_keys_secret_read_only(values: dict[str, Any]) -> None:
    wanted = values["payloadEncryption"]
    key = wanted.get("keysFileKey", "payload-keys")
    for workload, container in keys_readers(render(values)):
        name = workload["metadata"]["name"]
        pod = pod_spec(workload)
        volumes = [v for v in pod["volumes"] if v.get("secret", {}).get("secretName") == wanted["existingSecret"]]
        assert len(volumes) == 1, f"{name} does not mount the Secret {wanted['existingSecret']}"
        volume = volumes[0]
        (item,) = volume["secret"]["items"]
        assert item["key"] == key
        # Root-owned, group = fsGroup: the pod's user reads it, nobody else in the container.
        assert volume["secret"]["defaultMode"] & 0o077 == 0o040 and pod["securityContext"]["fsGroup"]
        (mount,) = [m for m in container["volumeMounts"] if m["name"] == volume["name"]]
        assert mount["readOnly"] is True, f"{name} mounts the keys writable"
        variables = plain_env(container)
        assert variables["MALLBOTS_PAYLOAD_KEYS_FILE"] == f"{mount['mountPath'].rstrip('/')}/{item['path']}", name
        assert "MALLBOTS_PAYLOAD_KEYS" not in variables and "MALLBOTS_PAYLOAD_ENCRYPTION" not in variables, name


def test_nothing_but_workers_and_the_api_gets_the_keys(everything: list[Manifest]) -> None:
    readers = {w["metadata"]["name"] for w, _ in keys_readers(everything)}
    for workload, container in containers(everything):
        if workload["metadata"]["name"] in readers:
            continue
        secrets = {v["secret"]["secretName"] for v in pod_spec(workload).get("volumes", []) if "secret" in v}
        assert "shop-payload-keys" not in secrets, f"{workload['metadata']['name']} mounts the payload keys"
        assert not {"MALLBOTS_PAYLOAD_KEYS_FILE", "MALLBOTS_CODEC_TOKEN"} & set(env_names(container))


def test_only_the_api_gets_the_codec_token_from_its_secret_and_the_uis_origins(everything: list[Manifest]) -> None:
    for workload, container in keys_readers(everything):
        variables = {v["name"]: v for v in container["env"]}
        if container["args"][0] != "api":
            assert "MALLBOTS_CODEC_TOKEN" not in variables, workload["metadata"]["name"]
            continue
        assert variables["MALLBOTS_CODEC_TOKEN"]["valueFrom"]["secretKeyRef"] == {"name": "shop-codec", "key": "token"}
        origins = variables["MALLBOTS_CODEC_CORS_ORIGINS"]["value"]
        assert origins.split(",") == EVERYTHING["codecEndpoint"]["corsOrigins"]


def test_the_codec_token_defaults_to_the_payload_keys_secret(defaults: list[Manifest]) -> None:
    ((_, api),) = [(w, c) for w, c in keys_readers(defaults) if c["args"][0] == "api"]
    (token,) = [v for v in api["env"] if v["name"] == "MALLBOTS_CODEC_TOKEN"]
    assert token["valueFrom"]["secretKeyRef"] == {"name": "mallbots-payload-keys", "key": "codec-token"}
    assert "MALLBOTS_CODEC_CORS_ORIGINS" not in env_names(api)


MISSING_KEYS = r"payloadEncryption\.existingSecret: the name of an existing Secret .* payloadEncryption\.enabled=false"


def test_without_a_payload_keys_secret_the_chart_refuses_to_render() -> None:
    for values in ({}, {"payloadEncryption": {"existingSecret": ""}}):
        with pytest.raises(helm.HelmError, match=MISSING_KEYS):
            render(values)
    # (`helm lint` only warns about a failed `required`: rendering, i.e. install and template, is what stops.)


def test_with_encryption_off_it_renders_in_clear_and_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    from mallbots.settings import Settings

    manifests = render(IN_CLEAR)
    for workload, container in keys_readers(manifests):
        variables = plain_env(container)
        assert variables["MALLBOTS_PAYLOAD_ENCRYPTION"] == "off", workload["metadata"]["name"]
        assert not {"MALLBOTS_PAYLOAD_KEYS_FILE", "MALLBOTS_CODEC_TOKEN"} & set(variables)
        assert all("secret" not in v for v in pod_spec(workload)["volumes"])
        monkeypatch.setenv("MALLBOTS_PAYLOAD_ENCRYPTION", str(variables["MALLBOTS_PAYLOAD_ENCRYPTION"]))
        assert Settings(_env_file=None).payload_encryption is False
    notes = next(text for name, text in render_templates(IN_CLEAR).items() if name.endswith("NOTES.txt"))
    assert "PAYLOAD ENCRYPTION IS OFF" in notes


def test_no_key_material_in_the_chart() -> None:
    with helm.Chart.load(CHART) as chart:
        values = chart.values
    assert values["payloadEncryption"]["enabled"] is True, "encryption is on unless turned off"
    assert values["payloadEncryption"]["existingSecret"] == "" and values["codecEndpoint"]["existingSecret"] == ""
    # A 32-byte key is 43-44 base64 characters; a token 16+ URL-safe ones after a key or token name.
    key_like = re.compile(r"[A-Za-z0-9+/_-]{43}=?(\s|$)")
    token_like = re.compile(r"(?i)(token|key)s?:\s*[\"']?[A-Za-z0-9._~-]{16,}")
    for path in sorted(Path(CHART).rglob("*")):
        if path.is_file():
            text = path.read_text()
            assert not key_like.search(text), f"{path} holds something like a key"
            assert not token_like.search(text), f"{path} holds something like a token"


# ------------------------------------------------------------------------------------------ transport, secrets, auth


def mounts(workload: Manifest, container: dict[str, Any]) -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    """mountPath → (the mount, its volume) of a container."""
    volumes = {v["name"]: v for v in pod_spec(workload).get("volumes", [])}
    return {m["mountPath"].rstrip("/"): (m, volumes[m["name"]]) for m in container.get("volumeMounts", [])}


# Settings whose value is a file path: each must be a file of a mounted Secret.
FILE_SETTINGS = re.compile(r"^MALLBOTS_\w+(_FILE|_SSLROOTCERT|_SSLCERT|_SSLKEY)$")
# Settings that are secrets themselves (or hold one, as a URL does its password): from a Secret's key only.
SECRET_SETTINGS = re.compile(r"^(MALLBOTS_(\w+_)?DATABASE_URL|MALLBOTS_CODEC_TOKEN|MALLBOTS_TEMPORAL_API_KEY|"
                             r"MALLBOTS_PAYLOAD_KEYS|TEMPORAL_API_KEY)$")  # fmt: skip


def test_every_secret_reaches_the_pods_from_a_secret_only(scenario: list[Manifest]) -> None:
    for workload, container in containers(scenario):
        name = f"{workload['metadata']['name']}/{container['name']}"
        mounted = mounts(workload, container)
        for variable in container.get("env", []):
            source = variable.get("valueFrom")
            if source is not None:
                assert set(source) == {"secretKeyRef"}, f"{name}: {variable['name']} from {set(source)}"
                continue
            assert not SECRET_SETTINGS.match(variable["name"]), f"{name}: {variable['name']} has a plain value"
            if FILE_SETTINGS.match(variable["name"]):
                directory, _, file = variable["value"].rpartition("/")
                assert directory in mounted, f"{name}: {variable['name']}={variable['value']} is in no mount"
                mount, volume = mounted[directory]
                assert "secret" in volume and mount["readOnly"] is True, f"{name}: {variable['value']} not a Secret's"
                assert file in {item["path"] for item in volume["secret"]["items"]}, f"{name}: no {file} mounted"
                assert volume["secret"]["defaultMode"] & 0o077 == 0o040, f"{name}: {file} readable beyond the group"


def test_authentication_needs_an_issuer_or_a_signing_key_secret_to_render() -> None:
    message = r"auth: set auth\.issuer .* or auth\.signingKey\.existingSecret .* or auth\.enabled=false"
    for auth in ({}, {"issuer": "", "signingKey": {"existingSecret": ""}}):
        with pytest.raises(helm.HelmError, match=message):
            render({"payloadEncryption": REQUIRED["payloadEncryption"], "auth": auth})


def api_container(manifests: list[Manifest]) -> tuple[Manifest, dict[str, Any]]:
    ((workload, container),) = [(w, c) for w, c in mallbots_containers(manifests) if c["args"][0] == "api"]
    return workload, container


def settings_of(container: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Any:
    """The Settings a container's process reads from its plain environment variables."""
    from mallbots.settings import Settings

    with monkeypatch.context() as patched:
        for variable in [k for k in os.environ if k.startswith("MALLBOTS_")]:
            patched.delenv(variable)
        for variable, value in plain_env(container).items():
            if value is not None:
                patched.setenv(variable, value)
        return Settings(_env_file=None)


def test_the_local_issuers_key_is_mounted_read_only_into_the_api_only(
    defaults: list[Manifest], monkeypatch: pytest.MonkeyPatch
) -> None:
    workload, api = api_container(defaults)
    settings = settings_of(api, monkeypatch)
    assert settings.auth is True and settings.auth_issuer is None
    directory = str(settings.auth_signing_key_file.parent)
    mount, volume = mounts(workload, api)[directory]
    assert volume["secret"]["secretName"] == SIGNING_KEY_SECRET and mount["readOnly"] is True
    for other, container in containers(defaults):
        if other is not workload:
            secrets = {v["secret"]["secretName"] for v in pod_spec(other).get("volumes", []) if "secret" in v}
            assert SIGNING_KEY_SECRET not in secrets, other["metadata"]["name"]
            assert not [n for n in env_names(container) if n.startswith("MALLBOTS_AUTH")], other["metadata"]["name"]


def test_an_oidc_issuer_reaches_the_api_and_no_key_is_mounted(
    everything: list[Manifest], monkeypatch: pytest.MonkeyPatch
) -> None:
    workload, api = api_container(everything)
    settings = settings_of(api, monkeypatch)
    wanted = EVERYTHING["auth"]
    assert (settings.auth_issuer, settings.auth_jwks_url, settings.auth_audience, settings.auth_roles_claim) == (
        wanted["issuer"],
        wanted["jwksUrl"],
        wanted["audience"],
        wanted["rolesClaim"],
    )
    assert settings.auth is True and settings.auth_signing_key_file is None
    assert not [v for v in pod_spec(workload)["volumes"] if v["name"] == "auth-signing-key"]


def test_with_authentication_off_the_api_says_so_and_the_notes_warn(monkeypatch: pytest.MonkeyPatch) -> None:
    manifests = render(IN_CLEAR)
    _, api = api_container(manifests)
    assert settings_of(api, monkeypatch).auth is False
    notes = next(text for name, text in render_templates(IN_CLEAR).items() if name.endswith("NOTES.txt"))
    assert "AUTHENTICATION IS OFF" in notes
    for _, container in mallbots_containers(render(REQUIRED)):
        assert "MALLBOTS_AUTH" not in env_names(container), "authentication is on unless turned off"


def test_without_tls_values_nothing_asks_for_tls(defaults: list[Manifest]) -> None:
    for workload, container in containers(defaults):
        names = env_names(container)
        assert not [n for n in names if n.startswith(("MALLBOTS_TEMPORAL_TLS", "MALLBOTS_DATABASE_SSL"))], names
        assert "MALLBOTS_TEMPORAL_API_KEY" not in names, workload["metadata"]["name"]


def test_temporal_tls_and_the_api_key_reach_every_process_that_connects_to_temporal(
    everything: list[Manifest], monkeypatch: pytest.MonkeyPatch
) -> None:
    tls = EVERYTHING["temporal"]["tls"]
    for workload, container in keys_readers(everything):
        name = workload["metadata"]["name"]
        settings = settings_of(container, monkeypatch)
        assert settings.temporal_tls is True and settings.temporal_tls_server_name == tls["serverName"], name
        directory = "/run/secrets/mallbots-temporal-tls"
        files = (
            settings.temporal_tls_server_ca_file,
            settings.temporal_tls_client_cert_file,
            settings.temporal_tls_client_key_file,
        )
        assert [str(f) for f in files] == [f"{directory}/ca.crt", f"{directory}/tls.crt", f"{directory}/tls.key"]
        _, volume = mounts(workload, container)[directory]
        assert volume["secret"]["secretName"] == tls["existingSecret"], name
        (api_key,) = [v for v in container["env"] if v["name"] == "MALLBOTS_TEMPORAL_API_KEY"]
        assert api_key["valueFrom"]["secretKeyRef"] == {"name": "shop-temporal-api-key", "key": "key"}, name
    (migrate,) = component(everything, "Job", "migrate")
    assert not [n for n in env_names(pod_spec(migrate)["containers"][0]) if n.startswith("MALLBOTS_TEMPORAL")]


def test_the_search_attribute_job_connects_with_the_same_tls(everything: list[Manifest]) -> None:
    (job,) = component(everything, "Job", "temporal-setup")
    (container,) = pod_spec(job)["containers"]
    flags = plain_env(container)["CONNECTION_FLAGS"]
    directory = "/run/secrets/mallbots-temporal-tls"
    assert flags is not None and flags.split() == [
        "--tls",
        "--tls-server-name",
        "temporal.example.com",
        "--tls-ca-path",
        f"{directory}/ca.crt",
        "--tls-cert-path",
        f"{directory}/tls.crt",
        "--tls-key-path",
        f"{directory}/tls.key",
    ]
    assert "$CONNECTION_FLAGS" in container["args"][0]
    assert directory in mounts(job, container)
    (api_key,) = [v for v in container["env"] if v["name"] == "TEMPORAL_API_KEY"]
    assert api_key["valueFrom"]["secretKeyRef"]["name"] == "shop-temporal-api-key"


def test_tls_without_a_client_certificate_mounts_only_the_ca() -> None:
    values = {**REQUIRED, "temporal": {"tls": {"existingSecret": "ca-only", "clientCertKey": "", "clientKeyKey": ""}}}
    for workload, container in keys_readers(render(values)):
        names = env_names(container)
        assert "MALLBOTS_TEMPORAL_TLS_SERVER_CA_FILE" in names and "MALLBOTS_TEMPORAL_TLS_CLIENT_CERT_FILE" not in names
        _, volume = mounts(workload, container)["/run/secrets/mallbots-temporal-tls"]
        assert [item["key"] for item in volume["secret"]["items"]] == ["ca.crt"]


@pytest.mark.parametrize(
    ("tls", "message"),
    [
        ({"existingSecret": "x", "clientKeyKey": ""}, "a client certificate needs both"),
        ({"existingSecret": "x", "serverCaKey": "", "clientCertKey": "", "clientKeyKey": ""}, "the files it holds"),
    ],
)
def test_a_temporal_tls_secret_without_usable_files_is_refused(tls: dict[str, str], message: str) -> None:
    with pytest.raises(helm.HelmError, match=message):
        render({**REQUIRED, "temporal": {"tls": tls}})


def test_postgres_tls_reaches_the_migrations_the_workers_and_the_api(
    everything: list[Manifest], monkeypatch: pytest.MonkeyPatch
) -> None:
    wanted = EVERYTHING["database"]
    ours = list(mallbots_containers(everything))
    assert {c["args"][0] for _, c in ours} == {"migrate", "worker", "api"}
    for workload, container in ours:
        settings = settings_of(container, monkeypatch)
        assert settings.database_sslmode == wanted["sslmode"], workload["metadata"]["name"]
        assert str(settings.database_sslrootcert) == "/etc/mallbots/db-ca/root.pem"
        _, volume = mounts(workload, container)["/etc/mallbots/db-ca"]
        assert volume["secret"]["secretName"] == "shop-db-ca"


def test_an_sslmode_libpq_does_not_know_is_refused() -> None:
    with pytest.raises(helm.HelmError, match=r"database\.sslmode \"verify_full\": one of disable"):
        render({**REQUIRED, "database": {"sslmode": "verify_full"}})
