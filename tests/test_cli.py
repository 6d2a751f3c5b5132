"""Manual registration from the command line: flask platforms add/list/disable/enable/add-deployment."""

import pytest

from lti_tool import create_app
from lti_tool.config import TestConfig
from lti_tool.extensions import db
from lti_tool.models import Deployment, Platform


@pytest.fixture
def cli_app(tmp_path):
    app = create_app(
        TestConfig,
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'cli.sqlite'}",
        KEYS_DIR=str(tmp_path / "keys"),
        SANDBOX_ENABLED=False,
        REDIS_URL=None,
    )
    with app.app_context():
        db.create_all()
    return app


def _add(runner, *extra, client_id="abc123"):
    return runner.invoke(
        args=[
            "platforms",
            "add",
            "--name",
            "University Moodle",
            "--issuer",
            "https://moodle.example.edu",
            "--client-id",
            client_id,
            "--auth-login-url",
            "https://moodle.example.edu/mod/lti/auth.php",
            "--auth-token-url",
            "https://moodle.example.edu/mod/lti/token.php",
            "--jwks-url",
            "https://moodle.example.edu/mod/lti/certs.php",
            *extra,
        ]
    )


def test_add_list_disable_enable(cli_app):
    """An admin registers a platform with two deployments, lists it, disables and re-enables it."""
    runner = cli_app.test_cli_runner()
    result = _add(runner, "--deployment-id", "1", "--deployment-id", "2")
    assert result.exit_code == 0, result.output
    with cli_app.app_context():
        platform = db.session.execute(db.select(Platform)).scalar_one()
        assert platform.issuer == "https://moodle.example.edu"
        assert sorted(d.deployment_id for d in platform.deployments) == ["1", "2"]
        pid = platform.id
    listing = runner.invoke(args=["platforms", "list"])
    assert "University Moodle" in listing.output and "deployments=[1, 2]" in listing.output
    assert runner.invoke(args=["platforms", "disable", str(pid)]).exit_code == 0
    with cli_app.app_context():
        assert db.session.get(Platform, pid).is_active is False
    assert "DISABLED" in runner.invoke(args=["platforms", "list"]).output
    assert runner.invoke(args=["platforms", "enable", str(pid)]).exit_code == 0
    with cli_app.app_context():
        assert db.session.get(Platform, pid).is_active is True


def test_many_client_ids_per_issuer(cli_app):
    """The same issuer can be registered with several client ids (Canvas developer keys)."""
    runner = cli_app.test_cli_runner()
    assert _add(runner, client_id="one").exit_code == 0
    assert _add(runner, client_id="two").exit_code == 0
    with cli_app.app_context():
        assert db.session.execute(db.select(db.func.count()).select_from(Platform)).scalar() == 2


def test_duplicate_and_bad_input_get_clear_errors(cli_app):
    """A duplicate registration, a relative URL and an unknown platform id are refused with a message."""
    runner = cli_app.test_cli_runner()
    assert _add(runner).exit_code == 0
    duplicate = _add(runner)
    assert duplicate.exit_code != 0 and "already registered" in duplicate.output
    bad = runner.invoke(
        args=[
            "platforms",
            "add",
            "--name",
            "x",
            "--issuer",
            "i",
            "--client-id",
            "c",
            "--auth-login-url",
            "/relative",
            "--auth-token-url",
            "https://t",
            "--jwks-url",
            "https://j",
        ]
    )
    assert bad.exit_code != 0 and "absolute http(s) URL" in bad.output
    missing = runner.invoke(args=["platforms", "disable", "999"])
    assert missing.exit_code != 0 and "No platform with id 999" in missing.output


def test_add_deployment(cli_app):
    """A new deployment can be added to a registered platform, once."""
    runner = cli_app.test_cli_runner()
    assert _add(runner).exit_code == 0
    with cli_app.app_context():
        pid = db.session.execute(db.select(Platform.id)).scalar_one()
    assert runner.invoke(args=["platforms", "add-deployment", str(pid), "dep-9"]).exit_code == 0
    again = runner.invoke(args=["platforms", "add-deployment", str(pid), "dep-9"])
    assert again.exit_code != 0 and "already registered" in again.output
    with cli_app.app_context():
        assert db.session.execute(db.select(Deployment.deployment_id)).scalars().all() == ["dep-9"]


def test_fresh_checkout_creates_the_database_folder(tmp_path):
    """On a fresh checkout the SQLite folder does not exist yet; the app creates it (make demo's first run)."""
    db_file = tmp_path / "instance" / "nested" / "demo.sqlite"
    app = create_app(
        TestConfig,
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{db_file}",
        KEYS_DIR=str(tmp_path / "keys"),
        SANDBOX_ENABLED=False,
        REDIS_URL=None,
    )
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    assert db_file.exists()
