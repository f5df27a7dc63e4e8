"""The deployment files (Dockerfile, compose.yaml, deploy/) cannot run here: no container engine, no systemd.
So each is checked by a linter, a broken copy proves the linter would object, and the settings and ports
they name are compared with bot/config.py, so that a renamed setting cannot leave them behind."""

from __future__ import annotations

import http.server
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import yaml

from bot.config import Settings
from bot.webhook import HEALTH_PATH, WEBHOOK_PATH

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = {name.upper() for name in Settings.model_fields}
PYTHON_AND_PIP = {"PYTHONUNBUFFERED", "PYTHONDONTWRITEBYTECODE", "PIP_NO_CACHE_DIR", "PIP_DISABLE_PIP_VERSION_CHECK"}


def tool(name: str, package: str) -> str:
    beside_python = Path(sys.executable).parent / name  # pip puts the wheels' binaries there
    found = str(beside_python) if beside_python.exists() else shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is missing: {package}")
    return found


def lint(kind: str, path: Path, tmp: Path) -> tuple[bool, str]:
    """(passed, what the linter said) for one file of the given kind."""
    env = {**os.environ, "HOME": str(tmp), "XDG_DATA_HOME": str(tmp), "XDG_CONFIG_HOME": str(tmp)}
    if kind == "dockerfile":
        command = [tool("hadolint", "pip install -e '.[test]'"), "--no-color", "--failure-threshold", "style", path]
    elif kind == "compose":
        command = [tool("check-jsonschema", "pip install -e '.[test]'"), "--builtin-schema", "vendor.compose-spec",
                   path]
    elif kind == "caddyfile":
        env["WEBHOOK_URL"] = "https://yijian.example.org"
        command = [tool("caddy", "pip install -e '.[test]'"), "validate", "--adapter", "caddyfile", "--config", path]
    else:  # a systemd unit; its ExecStart interpreter exists only on the server, so point it at ours
        unit = tmp / path.name
        unit.write_text(re.sub(r"(?m)^ExecStart=\S+", f"ExecStart={sys.executable}", path.read_text()))
        command = [tool("systemd-analyze", "apt-get install systemd"), "verify", "--man=no", unit]
    result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=tmp, timeout=60,
                            check=False)
    said = result.stdout + result.stderr
    # systemd-analyze only warns (exit 0) about unknown keys and bad values; Caddy warns in JSON lines.
    warned = bool(said.strip()) if kind == "unit" else '"level":"warn"' in said
    return result.returncode == 0 and not warned, said


FILES = {"dockerfile": "Dockerfile", "compose": "compose.yaml", "caddyfile": "deploy/Caddyfile",
         "unit": "deploy/yijian.service"}
BREAKAGES = {"dockerfile": ("USER 10001:10001", "USER yijian"),  # hadolint DL3066
             "compose": ("    environment:", "    enviroment:"),
             "caddyfile": ("lb_policy round_robin", "lb_policy round_robbin"),
             "unit": ("Restart=on-failure", "Restart=on-failur")}


@pytest.mark.parametrize("kind", FILES)
def test_file_passes_its_linter(kind: str, tmp_path: Path) -> None:
    passed, said = lint(kind, ROOT / FILES[kind], tmp_path)
    assert passed, said


@pytest.mark.parametrize("kind", FILES)
def test_linter_rejects_a_broken_copy(kind: str, tmp_path: Path) -> None:
    old, new = BREAKAGES[kind]
    source = (ROOT / FILES[kind]).read_text()
    assert old in source
    broken = tmp_path / "broken" / Path(FILES[kind]).name
    broken.parent.mkdir()
    broken.write_text(source.replace(old, new, 1))
    passed, said = lint(kind, broken, tmp_path)
    assert not passed, said


def compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def dockerfile_env() -> set[str]:
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    return {name for line in text.splitlines() if line.startswith("ENV ")
            for name in re.findall(r"([A-Z_][A-Z0-9_]*)=", line)}


def test_the_files_set_only_real_settings() -> None:
    bot_env = set(compose()["services"]["bot"]["environment"])
    unit = (ROOT / "deploy/yijian.service").read_text()
    unit_env = {name for line in re.findall(r"(?m)^Environment=(.*)$", unit) for name in re.findall(r"(\w+)=", line)}
    probe_env = set(re.findall(r'environ\.get\("(\w+)"', (ROOT / "deploy/healthcheck.py").read_text()))
    assert (bot_env | unit_env | probe_env) - SETTINGS == set()
    assert dockerfile_env() - SETTINGS == PYTHON_AND_PIP  # the interpreter's own, named here one by one


def test_everything_the_image_copies_is_in_the_build_context() -> None:
    """.dockerignore is an allow-list (it keeps .env and data/ out): a new COPY needs its line there."""
    allowed = {line[1:].rstrip("/") for line in (ROOT / ".dockerignore").read_text().splitlines()
               if line.startswith("!")}
    copied = {source.rstrip("/") for line in (ROOT / "Dockerfile").read_text().splitlines()
              if line.startswith("COPY ") and "--from" not in line for source in line.split()[1:-1]}
    assert copied and copied - allowed == set()
    assert ".env" not in allowed and "data" not in allowed


def test_env_example_mentions_every_setting() -> None:
    mentioned = set(re.findall(r"(?m)^#?\s*([A-Z_][A-Z0-9_]*)=", (ROOT / ".env.example").read_text()))
    assert SETTINGS - mentioned == set()


def test_compose_variables_not_settings_are_explained_in_the_readme() -> None:
    used = set(re.findall(r"\$\{(\w+)", (ROOT / "compose.yaml").read_text()))
    readme = (ROOT / "README.md").read_text()
    assert {name for name in used - SETTINGS if name not in readme} == set()


def test_ports_paths_and_hosts_agree() -> None:
    services = compose()["services"]
    bot = services["bot"]
    port = bot["environment"]["WEBHOOK_PORT"]
    assert bot["expose"] == [port]
    assert re.search(rf"(?m)^EXPOSE {port}$", (ROOT / "Dockerfile").read_text())
    caddyfile = (ROOT / "deploy/Caddyfile").read_text()
    assert f"dynamic a bot {port} " in caddyfile and f"handle {WEBHOOK_PATH} " in caddyfile
    assert HEALTH_PATH in (ROOT / "deploy/healthcheck.py").read_text()
    for url in (bot["environment"]["DATABASE_URL"], bot["environment"]["REDIS_URL"]):
        host = re.match(r"[\w+]+://(?:[^@/]*@)?([\w-]+)", url).group(1)
        assert host in services and host in bot["depends_on"], url
    unit = (ROOT / "deploy/yijian.service").read_text()
    working_directory = re.search(r"(?m)^WorkingDirectory=(.*)$", unit).group(1)
    assert working_directory in re.search(r"(?m)^ReadWritePaths=(.*)$", unit).group(1).split()


@pytest.mark.parametrize(("environment", "status", "healthy"), [
    ({}, None, True),  # long polling: nothing to probe
    ({"WEBHOOK_URL": "https://x.example.org"}, 200, True),
    ({"WEBHOOK_URL": "https://x.example.org"}, 503, False),  # the database is away
    ({"WEBHOOK_URL": "https://x.example.org"}, None, False),  # nothing listens
])
def test_container_health_probe(environment: dict, status: int | None, healthy: bool) -> None:
    class Health(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # the name http.server calls
            self.send_response(status if self.path == HEALTH_PATH else 404)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Health)
    port = server.server_address[1]
    if status is not None:
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    else:
        server.server_close()  # the port is free again: connection refused
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("WEBHOOK_")}, **environment,
           "WEBHOOK_PORT": str(port)}
    try:
        result = subprocess.run([sys.executable, ROOT / "deploy/healthcheck.py"], env=env, timeout=30, check=False)
    finally:
        if status is not None:
            server.shutdown()
            server.server_close()
    assert (result.returncode == 0) is healthy


def test_probe_defaults_match_the_settings() -> None:
    spec = importlib.util.spec_from_file_location("healthcheck", ROOT / "deploy/healthcheck.py")
    probe = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(probe)
    defaults = {"WEBHOOK_HOST": Settings.model_fields["webhook_host"].default,
                "WEBHOOK_PORT": str(Settings.model_fields["webhook_port"].default)}
    url = "https://x.example.org"
    assert probe.probe_url({"WEBHOOK_URL": url}) == probe.probe_url({"WEBHOOK_URL": url, **defaults})
    assert probe.probe_url({"WEBHOOK_URL": url, "WEBHOOK_PORT": "9000"}).endswith(f":9000{HEALTH_PATH}")
