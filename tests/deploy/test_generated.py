"""The committed nginx configuration and the ConfigMaps that carry it and the PostgreSQL init
script are what deploy/render.py makes of their sources, so they cannot drift apart."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import yaml

from tests.deploy.manifests import DEPLOY, K8S


def load_render():
    spec = importlib.util.spec_from_file_location("deploy_render", DEPLOY / "render.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


render = load_render()


def stale(expected: dict[Path, str]) -> list[str]:
    """The files that differ from what deploy/render.py writes (run it to update them)."""
    return [path.name for path, text in expected.items()
            if not path.exists() or path.read_text(encoding="utf-8") != text]


def test_the_generated_files_are_current():
    assert stale(render.outputs()) == []


def test_the_drift_check_reports_a_hand_edited_copy(tmp_path):
    copies = {}
    for path, text in render.outputs().items():
        (tmp_path / path.name).write_text(text, encoding="utf-8")
        copies[tmp_path / path.name] = text
    edited = tmp_path / "nginx.conf"
    edited.write_text(copies[edited].replace("max_fails=1", "max_fails=3"), encoding="utf-8")
    assert stale(copies) == ["nginx.conf"]


def test_the_nginx_configuration_is_the_renderers_for_the_deployment_names():
    from bot.scale.nginx import Balancer, render as render_nginx

    text = (DEPLOY / "nginx" / "nginx.conf").read_text(encoding="utf-8")
    assert text == render_nginx(Balancer(["rasa-0.rasa:5005", "rasa-1.rasa:5005"], listen="8080",
                                         run_dir="/tmp"))


def test_the_configmaps_hold_the_same_texts_as_the_files():
    nginx = yaml.safe_load((K8S / "nginx-config.yaml").read_text())["data"]
    assert nginx["nginx.conf"] == (DEPLOY / "nginx" / "nginx.conf").read_text()
    assert nginx["reload-on-dns-change.sh"] == (DEPLOY / "nginx" / "reload-on-dns-change.sh").read_text()
    init = yaml.safe_load((K8S / "postgres-init.yaml").read_text())["data"]
    assert init == {"init.sql": (DEPLOY / "postgres" / "init.sql").read_text()}
