"""The Compose file against the Compose Specification schema, every Kubernetes manifest against
the Kubernetes 1.28 schemas (strict), and the kustomization against the files it lists."""
from __future__ import annotations

import copy
import shutil

import pytest
import yaml

from tests.deploy import compose_schema, k8s_schema, manifests


def test_the_compose_file_follows_the_compose_specification(compose, schema):
    assert compose_schema.problems(compose, schema) == []


@pytest.mark.parametrize("breakage, expected", [
    (lambda c: c["services"]["redis"].update(helthcheck={}), "services/redis: 'helthcheck'"),
    (lambda c: c["services"]["nginx"]["depends_on"]["rasa-0"].update(condition="service_ready"),
     "services/nginx/depends_on"),
    (lambda c: c["services"]["postgres"]["healthcheck"].update(interval="5 seconds"),
     "services/postgres/healthcheck/interval: '5 seconds' is not a 'duration'"),
])
def test_the_compose_check_reports_a_broken_file(compose, schema, breakage, expected):
    broken = copy.deepcopy(compose)
    breakage(broken)
    assert any(p.startswith(expected) for p in compose_schema.problems(broken, schema))


@pytest.mark.parametrize("path", manifests.manifest_files(), ids=lambda p: p.name)
def test_each_kubernetes_manifest_follows_the_kubernetes_schemas(path):
    assert manifests.documents(path), "an empty manifest"
    assert k8s_schema.problems(path) == []


@pytest.mark.parametrize("old, new, expected", [
    ("initialDelaySeconds: 15", "initialDelay: 15", "'initialDelay' was unexpected"),
    ("replicas: 2", "replicas: two", "'two' is not of type 'integer'"),
    ("kind: StatefulSet", "kind: StatefullSet", "Couldn't find schema for kind StatefullSet"),
])
def test_the_kubernetes_check_reports_a_broken_manifest(tmp_path, old, new, expected):
    original = manifests.K8S / "rasa.yaml"
    broken = tmp_path / "rasa.yaml"
    text = original.read_text(encoding="utf-8")
    assert old in text
    broken.write_text(text.replace(old, new, 1), encoding="utf-8")
    assert any(expected in p for p in k8s_schema.problems(broken))


def kustomization_problems(directory) -> list[str]:
    listed = yaml.safe_load((directory / manifests.KUSTOMIZATION).read_text())["resources"]
    present = {p.name for p in manifests.manifest_files(directory)} - {manifests.SECRET_TEMPLATE}
    return ([f"{name} is listed but missing" for name in listed if name not in present]
            + [f"{name} is not listed" for name in sorted(present - set(listed))]
            + ([f"{manifests.SECRET_TEMPLATE} is listed: it would apply empty secrets"]
               if manifests.SECRET_TEMPLATE in listed else []))


def test_the_kustomization_lists_every_manifest_but_the_secret_template():
    assert kustomization_problems(manifests.K8S) == []


def test_the_kustomization_check_reports_an_unlisted_manifest(tmp_path):
    shutil.copytree(manifests.K8S, tmp_path, dirs_exist_ok=True)
    (tmp_path / "extra.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
    assert kustomization_problems(tmp_path) == ["extra.yaml is not listed"]
