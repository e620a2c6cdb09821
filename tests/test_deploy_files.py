"""The files a deploy reads: .env.example documents every variable, the Procfile's commands exist."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
READERS = r"(?:os\.environ\.get|os\.getenv|_flag|_int|_float|_decimal)\(\s*\"([A-Z][A-Z0-9_]+)\""


def _documented() -> set[str]:
    return set(re.findall(r"^#? *([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M))


def test_env_example_documents_every_variable_the_code_reads():
    read = set()
    for path in [ROOT / "config.py", ROOT / "wsgi.py", *ROOT.joinpath("app").rglob("*.py")]:
        read |= set(re.findall(READERS, path.read_text()))
    assert read, "no variables found: the pattern is out of date"
    assert read - _documented() == set()


def test_every_env_example_variable_has_a_comment():
    lines = (ROOT / ".env.example").read_text().splitlines()
    for index, line in enumerate(lines):
        if re.match(r"^[A-Z][A-Z0-9_]+=", line):
            assert lines[index - 1].startswith("#"), f"{line} has no comment above it"


def _procfile() -> dict[str, str]:
    entries = {}
    for line in (ROOT / "Procfile").read_text().splitlines():
        name, _, command = line.partition(":")
        entries[name.strip()] = command.strip()
    return entries


def test_procfile_runs_web_release_and_worker():
    procfile = _procfile()
    assert set(procfile) == {"web", "release", "worker"}
    assert "gunicorn wsgi:app" in procfile["web"]
    assert "$PORT" in procfile["web"] and "WEB_CONCURRENCY" in procfile["web"]
    assert procfile["release"].endswith("db upgrade")
    assert procfile["worker"].endswith("scheduler")
    assert all("PORTCULLIS_ENV=production" in command for command in procfile.values())


def test_procfile_commands_exist_in_the_cli(app):
    commands = app.cli.list_commands(None) if hasattr(app.cli, "list_commands") else list(app.cli.commands)
    assert "scheduler" in commands


def test_python_runtime_is_pinned_to_3_11():
    assert (ROOT / ".python-version").read_text().strip() == "3.11"


def test_procfile_web_line_serves_healthz(tmp_path):
    import os
    import signal
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # Bound to loopback here; the Procfile's 0.0.0.0 is what the platform's router needs.
    command = _procfile()["web"].replace("0.0.0.0", "127.0.0.1")
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "PORT": str(port),
        "WEB_CONCURRENCY": "1",
        "SECRET_KEY": "x" * 40,
        "ENCRYPTION_KEYS": "QjJwGCUTdflFUPcJsj9_3c1yC_pz-BWi1KIwuDtOolM=",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'web.sqlite3'}",
    }
    server = subprocess.Popen(
        ["bash", "-c", command], cwd=ROOT, env=env, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                    assert response.status == 200
                    break
            except OSError:
                assert server.poll() is None, server.stderr.read().decode()
                assert time.monotonic() < deadline, "gunicorn did not answer within 30 seconds"
                time.sleep(0.2)
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def test_app_json_provisions_postgres_redis_and_describes_every_variable():
    import json

    manifest = json.loads((ROOT / "app.json").read_text())
    assert {addon["plan"] for addon in manifest["addons"]} == {"heroku-postgresql", "heroku-redis"}
    assert set(manifest["formation"]) == {"web", "worker"}
    assert manifest["env"]["SECRET_KEY"]["generator"] == "secret"
    assert manifest["env"]["ENCRYPTION_KEYS"]["required"] is True
    assert all(entry.get("description") for entry in manifest["env"].values())
    assert set(manifest["env"]) <= _documented()


def test_railway_runs_migrations_before_deploy_and_checks_healthz():
    import json

    deploy = json.loads((ROOT / "railway.json").read_text())["deploy"]
    assert deploy["preDeployCommand"] == [_procfile()["release"]]
    assert deploy["healthcheckPath"] == "/healthz"
    assert deploy["startCommand"] == _procfile()["web"]


def test_healthz_answers_plain_http_in_production_without_a_redirect(monkeypatch):
    from app import create_app

    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("ENCRYPTION_KEYS", "QjJwGCUTdflFUPcJsj9_3c1yC_pz-BWi1KIwuDtOolM=")
    monkeypatch.delenv("DEMO_DATA", raising=False)
    response = create_app("production").test_client().get("/healthz", base_url="http://portcullis.example")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


def test_the_gunicorn_settings_load():
    import runpy

    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert settings["worker_class"] == "gthread" and settings["timeout"] >= 30 and settings["max_requests"] > 0
