"""Command line: ``flask platforms …`` for manual registration, ``flask keys …`` for key rotation."""

from __future__ import annotations

from urllib.parse import urlsplit

import click
from flask import Flask, current_app
from flask.cli import AppGroup, FlaskGroup
from sqlalchemy.exc import IntegrityError

from .extensions import db
from .launch import keys as tool_keys
from .models import Deployment, Platform
from .views.security import forget_platform_origins

platforms_cli = AppGroup("platforms", help="Register and manage LMS platforms (LTI 1.3 registrations).")
keys_cli = AppGroup("keys", help="The tool's signing keys (JWKS).")


def _url(value: str, name: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise click.BadParameter(f"{name} must be an absolute http(s) URL, got {value!r}")
    return value


def _platform(platform_id: int) -> Platform:
    platform = db.session.get(Platform, platform_id)
    if platform is None:
        raise click.ClickException(f"No platform with id {platform_id}; see `flask platforms list`.")
    return platform


@platforms_cli.command("add")
@click.option("--name", required=True, help="A name admins recognise, e.g. 'University Moodle'.")
@click.option("--issuer", required=True, help="Platform ID / issuer (iss) exactly as the LMS shows it.")
@click.option("--client-id", required=True, help="Client ID the LMS assigned to this tool.")
@click.option("--auth-login-url", required=True, help="The LMS's OIDC authentication request URL.")
@click.option("--auth-token-url", required=True, help="The LMS's OAuth2 access token URL.")
@click.option("--jwks-url", required=True, help="The LMS's public keyset (JWKS) URL.")
@click.option("--auth-audience", default=None, help="Token audience when it differs from the token URL.")
@click.option("--deployment-id", "deployment_ids", multiple=True, help="Deployment ID(s); repeat for several.")
@click.option("--product-family", default=None, help="moodle, canvas, BlackboardLearn, desire2learn …")
def add_platform(
    name, issuer, client_id, auth_login_url, auth_token_url, jwks_url, auth_audience, deployment_ids, product_family
):
    """Register an LMS by hand (when dynamic registration is not available)."""
    platform = Platform(
        name=name,
        issuer=issuer.strip(),
        client_id=client_id.strip(),
        auth_login_url=_url(auth_login_url, "--auth-login-url"),
        auth_token_url=_url(auth_token_url, "--auth-token-url"),
        jwks_url=_url(jwks_url, "--jwks-url"),
        auth_audience=auth_audience,
        product_family=product_family,
        registered_via="manual",
    )
    db.session.add(platform)
    try:
        db.session.flush()
    except IntegrityError as err:
        db.session.rollback()
        raise click.ClickException(
            f"A platform with issuer {issuer!r} and client id {client_id!r} is already registered."
        ) from err
    for deployment_id in deployment_ids:
        db.session.add(Deployment(platform_id=platform.id, deployment_id=deployment_id.strip()))
    db.session.commit()
    forget_platform_origins(current_app)
    click.echo(f"Registered platform {platform.id}: {platform.name} ({platform.issuer}, client {platform.client_id})")
    if not deployment_ids:
        click.echo(
            "No deployment yet: add one with `flask platforms add-deployment "
            f"{platform.id} DEPLOYMENT_ID` before the first launch."
        )


@platforms_cli.command("add-deployment")
@click.argument("platform_id", type=int)
@click.argument("deployment_id")
def add_deployment(platform_id: int, deployment_id: str):
    """Allow launches from another deployment of a registered platform."""
    platform = _platform(platform_id)
    db.session.add(Deployment(platform_id=platform.id, deployment_id=deployment_id.strip()))
    try:
        db.session.commit()
    except IntegrityError as err:
        db.session.rollback()
        raise click.ClickException(f"Deployment {deployment_id!r} is already registered.") from err
    forget_platform_origins(current_app)
    click.echo(f"Deployment {deployment_id} added to platform {platform.id}.")


@platforms_cli.command("list")
def list_platforms():
    """Show registered platforms and their deployments."""
    rows = db.session.execute(db.select(Platform).order_by(Platform.id)).scalars().all()
    if not rows:
        click.echo("No platforms registered. Use dynamic registration or `flask platforms add`.")
        return
    for p in rows:
        state = "active" if p.is_active else "DISABLED"
        deployments = ", ".join(d.deployment_id + ("" if d.is_active else " (disabled)") for d in p.deployments)
        click.echo(
            f"{p.id:>4}  {state:<8}  {p.name}  iss={p.issuer}  client_id={p.client_id}  "
            f"via={p.registered_via}  deployments=[{deployments or '-'}]"
        )


def _set_active(platform_id: int, active: bool) -> None:
    platform = _platform(platform_id)
    platform.is_active = active
    db.session.commit()
    forget_platform_origins(current_app)
    click.echo(f"Platform {platform.id} ({platform.name}) is now {'active' if active else 'disabled'}.")


@platforms_cli.command("disable")
@click.argument("platform_id", type=int)
def disable_platform(platform_id: int):
    """Refuse every launch from this platform (data is kept)."""
    _set_active(platform_id, False)


@platforms_cli.command("enable")
@click.argument("platform_id", type=int)
def enable_platform(platform_id: int):
    """Accept launches from a disabled platform again."""
    _set_active(platform_id, True)


@keys_cli.command("rotate")
def rotate_keys():
    """Create a new signing key; the previous public key stays in the JWKS for KEY_GRACE_DAYS."""
    grace = current_app.config["KEY_GRACE_DAYS"]
    new_kid, removed = tool_keys.rotate(current_app.config["KEYS_DIR"], grace)
    click.echo(f"New active key {new_kid}. The previous key stays published for {grace} days.")
    for kid in removed:
        click.echo(f"Removed expired key {kid}.")


@keys_cli.command("list")
def list_keys():
    """Show the published keys."""
    for key in tool_keys.load_keys(current_app.config["KEYS_DIR"]):
        until = f" until {key.retire_at}" if key.retire_at else ""
        click.echo(f"{key.kid}  {key.status}{until}  created {key.created_at}")


def init_app(app: Flask) -> None:
    app.cli.add_command(platforms_cli)
    app.cli.add_command(keys_cli)


def main() -> None:
    """``mentoring-space`` console script: the flask CLI bound to this app."""
    from . import create_app

    FlaskGroup(create_app=lambda: create_app())(prog_name="mentoring-space")
