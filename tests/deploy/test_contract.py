"""The deployment files agree with the code: ports, the settings endpoints.yml reads, the Rasa
and action server command lines, the paths health checks request, and two paired replicas."""
from __future__ import annotations

import copy

import pytest

from tests.deploy import contract, manifests
from tests.deploy.dockerfile_lint import command, healthcheck_url
from tests.deploy.manifests import ACTIONS_DOCKERFILE as ACTIONS, BOT_DOCKERFILE as BOT

NGINX_CONF = manifests.DEPLOY / "nginx" / "nginx.conf"


@pytest.fixture(scope="module")
def ports() -> dict[str, int]:
    return contract.default_ports()


@pytest.fixture
def launcher(monkeypatch) -> dict[str, list[str]]:
    return contract.launcher_commands(monkeypatch)


def test_the_default_ports_are_the_documented_ones(ports):
    assert ports == {"BOT_PORT": 5005, "ACTION_PORT": 5055, "WEB_PORT": 8080}


def test_the_port_settings_match_the_defaults_everywhere(compose, k8s, ports):
    settings = manifests.find(k8s, "ConfigMap", "probation-settings")["data"]
    assert {name: int(settings[name]) for name in ports} == ports
    for service in manifests.rasa_services(compose).values():
        assert int(service["environment"]["BOT_PORT"]) == ports["BOT_PORT"]
    for name, service in manifests.services(compose, "probation-actions:").items():
        assert int(service["environment"]["ACTION_PORT"]) == ports["ACTION_PORT"], name
    rasa = manifests.find(k8s, "StatefulSet", "rasa")
    assert [p["containerPort"] for p in manifests.container(rasa, "rasa")["ports"]] == [ports["BOT_PORT"]]
    assert [p["containerPort"] for p in manifests.container(rasa, "actions")["ports"]] == [ports["ACTION_PORT"]]
    assert settings["ACTION_ENDPOINT_URL"] == f"http://127.0.0.1:{ports['ACTION_PORT']}/webhook"


def test_nginx_listens_on_the_web_port_in_both_deployments(compose, k8s, ports):
    listen = contract.listen_port(NGINX_CONF.read_text())
    assert listen == ports["WEB_PORT"]
    assert compose["services"]["nginx"]["ports"] == [f"${{WEB_PORT:-{listen}}}:{listen}"]
    nginx = manifests.find(k8s, "Deployment", "nginx")
    assert [p["containerPort"] for p in manifests.container(nginx, "nginx")["ports"]] == [listen]


def test_every_setting_endpoints_yml_reads_is_given_to_each_rasa_server(compose, k8s):
    names = contract.endpoint_variables()
    assert {"ACTION_ENDPOINT_URL", "TRACKER_STORE_URL", "LOCK_STORE", "REDIS_HOST"} <= names
    assert contract.compose_setting_problems(compose, names) == []
    assert contract.k8s_setting_problems(k8s, names) == []


def test_the_settings_check_reports_a_setting_left_out(compose, k8s):
    names = contract.endpoint_variables()
    broken_compose = copy.deepcopy(compose)
    del broken_compose["services"]["rasa-1"]["environment"]["TRACKER_STORE_URL"]
    assert contract.compose_setting_problems(broken_compose, names) == [
        "compose rasa-1: TRACKER_STORE_URL is not set"]
    broken_k8s = copy.deepcopy(k8s)
    del manifests.find(broken_k8s, "ConfigMap", "probation-settings")["data"]["LOCK_STORE"]
    assert contract.k8s_setting_problems(broken_k8s, names) == [
        "StatefulSet rasa/rasa: LOCK_STORE is not set"]


def test_the_scaled_deployments_share_stores_and_shorten_the_lock_lifetime(compose, k8s):
    rasa_k8s = manifests.find(k8s, "StatefulSet", "rasa")
    environments = [service["environment"] for service in manifests.rasa_services(compose).values()]
    environments.append(manifests.container_env(manifests.container(rasa_k8s, "rasa"), k8s))
    for env in environments:
        assert env["LOCK_STORE"] == "redis"
        assert env["TRACKER_STORE_URL"].startswith("postgresql+psycopg2://")
        assert env["TRACKER_STORE_URL"].endswith("@postgres:5432/rasa_trackers")
        assert env["TICKET_LOCK_LIFETIME"] == "10"


def rasa_commands(compose, k8s) -> dict[str, list[str]]:
    found = {"bot.Dockerfile CMD": command(BOT, "CMD")}
    for name, service in manifests.rasa_services(compose).items():
        found[f"compose {name}"] = manifests.compose_args(service["command"])
    rasa = manifests.find(k8s, "StatefulSet", "rasa")
    found["k8s rasa"] = manifests.container(rasa, "rasa")["args"]
    return found


def test_the_rasa_command_lines_use_the_launchers_files(compose, k8s, launcher, ports):
    commands = rasa_commands(compose, k8s)
    assert len(commands) == 4
    for where, args in commands.items():
        assert contract.rasa_command_problems(args, launcher["rasa"], ports["BOT_PORT"]) == [], where


def test_the_command_check_reports_other_files(compose, k8s, launcher, ports):
    args = rasa_commands(compose, k8s)["k8s rasa"]
    broken = [("endpoints.prod.yml" if a == "endpoints.yml" else a) for a in args]
    broken = [("credentials.yml" if a == "var/credentials.yml" else a) for a in broken]
    assert contract.rasa_command_problems(broken, launcher["rasa"], ports["BOT_PORT"]) == [
        "--endpoints endpoints.prod.yml, but the launcher uses endpoints.yml",
        "--credentials credentials.yml, but the launcher uses var/credentials.yml"]


def test_the_command_check_reports_a_token_on_the_command_line(compose, k8s, launcher, ports):
    args = rasa_commands(compose, k8s)["compose rasa-1"] + ["--auth-token", "$RASA_TOKEN"]
    assert contract.rasa_command_problems(args, launcher["rasa"], ports["BOT_PORT"]) == [
        "a token on the command line, where ps shows it; bot.server reads RASA_TOKEN"]


def test_the_action_servers_run_the_launchers_command(compose, k8s, launcher):
    commands = {"actions.Dockerfile CMD": command(ACTIONS, "CMD")}
    for name, service in manifests.services(compose, "probation-actions:").items():
        commands[f"compose {name}"] = service["command"]
    commands["k8s actions"] = manifests.container(manifests.find(k8s, "StatefulSet", "rasa"), "actions")["args"]
    for where, args in commands.items():
        assert contract.actions_command_problems(args, launcher["actions"]) == [], where
    assert contract.actions_command_problems(["python", "-m", "rasa_sdk", "--port", "5055"],
                                             launcher["actions"])


def health_checks(compose, k8s, ports) -> dict[int, dict[str, str]]:
    """Every HTTP health check of the Rasa and action servers, by the port it requests."""
    found: dict[int, dict[str, str]] = {ports["BOT_PORT"]: {}, ports["ACTION_PORT"]: {}}
    for path in (BOT, ACTIONS):
        port, url_path = healthcheck_url(path)
        found.setdefault(port, {})[path.name] = url_path
    for name, service in {**manifests.rasa_services(compose),
                          **manifests.services(compose, "probation-actions:")}.items():
        port, url_path = contract.compose_health_url(service)
        found.setdefault(port, {})[f"compose {name}"] = url_path
    rasa = manifests.find(k8s, "StatefulSet", "rasa")
    for spec in manifests.pod_spec(rasa)["containers"]:
        for kind, (port, url_path) in contract.probe_paths(spec).items():
            found.setdefault(contract.container_port(spec, port), {})[f"k8s {spec['name']} {kind}"] = url_path
    return found


def test_health_checks_request_paths_the_servers_serve(compose, k8s, ports, rasa_app, actions_app):
    checks = health_checks(compose, k8s, ports)
    assert set(checks) == {ports["BOT_PORT"], ports["ACTION_PORT"]}
    assert len(checks[ports["BOT_PORT"]]) == 6 and len(checks[ports["ACTION_PORT"]]) == 5
    assert contract.unserved(checks[ports["BOT_PORT"]], contract.served_paths(rasa_app)) == []
    assert contract.unserved(checks[ports["ACTION_PORT"]], contract.served_paths(actions_app)) == []


def test_the_health_check_check_reports_a_path_not_served(actions_app, rasa_app):
    assert contract.unserved({"probe": "/healthz"}, contract.served_paths(actions_app)) == [
        "probe checks /healthz, which the server does not serve"]
    assert "/webhooks/rest" in contract.served_paths(rasa_app)


def test_nginx_health_checks_request_its_own_health_location(compose, k8s):
    conf = NGINX_CONF.read_text()
    assert "location = /nginx-health" in conf
    assert "http://127.0.0.1:8080/nginx-health" in compose["services"]["nginx"]["healthcheck"]["test"]
    nginx = manifests.container(manifests.find(k8s, "Deployment", "nginx"), "nginx")
    assert {path for _port, path in contract.probe_paths(nginx).values()} == {"/nginx-health"}


def test_two_rasa_servers_each_with_its_own_action_server(compose, k8s):
    rasa_k8s = manifests.find(k8s, "StatefulSet", "rasa")
    assert rasa_k8s["spec"]["replicas"] == 2
    assert [c["name"] for c in manifests.pod_spec(rasa_k8s)["containers"]] == ["rasa", "actions"]
    rasa = manifests.rasa_services(compose)
    assert sorted(rasa) == ["rasa-0", "rasa-1"]
    for name, service in rasa.items():
        partner = name.replace("rasa-", "actions-")
        assert service["environment"]["ACTION_ENDPOINT_URL"] == f"http://{partner}:5055/webhook"
        assert service["depends_on"][partner] == {"condition": "service_healthy"}
        assert partner in compose["services"]


def test_nginx_sends_to_every_rasa_server_by_names_both_deployments_give(compose, k8s, ports):
    upstream = contract.upstream_servers(NGINX_CONF.read_text())
    assert len(upstream) == 2
    assert contract.pod_addresses(k8s, ports["BOT_PORT"]) == upstream
    assert contract.compose_addresses(compose, ports["BOT_PORT"]) == upstream


def test_the_upstream_check_reports_a_third_replica_nginx_does_not_know(k8s, ports):
    broken = copy.deepcopy(k8s)
    manifests.find(broken, "StatefulSet", "rasa")["spec"]["replicas"] = 3
    upstream = contract.upstream_servers(NGINX_CONF.read_text())
    assert contract.pod_addresses(broken, ports["BOT_PORT"]) != upstream


def test_the_rasa_probes_allow_for_a_slow_model_load(k8s):
    rasa = manifests.container(manifests.find(k8s, "StatefulSet", "rasa"), "rasa")
    startup = rasa["startupProbe"]
    assert startup["initialDelaySeconds"] + startup["periodSeconds"] * startup["failureThreshold"] >= 120
    assert rasa["readinessProbe"]["initialDelaySeconds"] >= 15
    assert rasa["livenessProbe"]["initialDelaySeconds"] >= 15
    assert rasa["resources"]["requests"]["memory"] == "700Mi"
    actions = manifests.container(manifests.find(k8s, "StatefulSet", "rasa"), "actions")
    assert actions["resources"]["requests"]["memory"] == "128Mi"


def test_both_deployments_run_the_same_images_at_the_project_version(compose, k8s):
    import tomli

    version = tomli.loads((manifests.ROOT / "pyproject.toml").read_text())["project"]["version"]
    ours = {f"probation-bot:{version}", f"probation-actions:{version}"}
    in_compose = {s["image"] for s in compose["services"].values() if s["image"].startswith("probation-")}
    in_k8s = {c["image"] for w in manifests.workloads(k8s) for c in manifests.pod_spec(w)["containers"]
              if c["image"].startswith("probation-")}
    assert in_compose == in_k8s == ours
