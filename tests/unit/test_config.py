"""Settings: defaults with nothing configured, environment over secrets.toml, one-line errors."""

from __future__ import annotations

import os
import pwd
from pathlib import Path

import pytest

from core.config import ROOT, ConfigError, cli_actor, load_settings, os_identity
from core.db import describe_host


def test_nothing_configured_means_embedded_postgres_and_defaults() -> None:
    settings = load_settings({}, secrets={})
    assert settings.embedded and settings.pgdata == ROOT / "data" / "pg"
    assert (settings.pool_max, settings.heartbeat_seconds, settings.stalled_after_seconds) == (8, 5.0, 20.0)
    assert settings.checkpointer == "postgres" and settings.workflows == ()
    assert settings.prune_older_than_days is None and settings.default_role is None


def test_environment_wins_over_secrets() -> None:
    secrets = {"database_url": "postgresql://from-secrets/db", "read_only": True, "pgbouncer": True}
    assert load_settings({}, secrets=secrets).database_url == "postgresql://from-secrets/db"
    settings = load_settings({"DATABASE_URL": "postgresql://from-env/db"}, secrets=secrets)
    assert settings.database_url == "postgresql://from-env/db"
    assert settings.read_only and settings.pgbouncer  # flags from either source


def test_owner_url_from_environment_or_secrets() -> None:
    assert load_settings({}, secrets={}).owner_url is None
    secrets = {"owner_database_url": "postgresql://owner@from-secrets/db"}
    assert load_settings({}, secrets=secrets).owner_url == "postgresql://owner@from-secrets/db"
    env = {"LGOPS_OWNER_URL": "postgresql://owner@from-env/db"}
    assert load_settings(env, secrets=secrets).owner_url == "postgresql://owner@from-env/db"


def test_values_are_parsed_once_here() -> None:
    settings = load_settings(
        {
            "LGOPS_WORKFLOWS": " a.b:c , ,id=d.e:f ",
            "LGOPS_WORKFLOWS_FILE": "/etc/lgops/workflows.toml",
            "LGOPS_CHECKPOINTER": "Memory",
            "LGOPS_PRUNE_OLDER_THAN_DAYS": "7.5",
            "LGOPS_POOL_MAX": "12",
            "LGOPS_READ_ONLY": "yes",
        },
        secrets={},
    )
    assert settings.workflows == ("a.b:c", "id=d.e:f")
    assert settings.workflows_file == Path("/etc/lgops/workflows.toml")
    assert settings.checkpointer == "memory" and settings.prune_older_than_days == 7.5
    assert settings.pool_max == 12 and settings.read_only


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("LGOPS_POOL_MAX", "many", "LGOPS_POOL_MAX='many' is not a positive whole number"),
        ("LGOPS_POOL_MAX", "0", "LGOPS_POOL_MAX='0' is not a positive whole number"),
        ("LGOPS_HEARTBEAT_SECONDS", "soon", "LGOPS_HEARTBEAT_SECONDS='soon' is not a number"),
        ("LGOPS_STALLED_AFTER_SECONDS", "-1", "LGOPS_STALLED_AFTER_SECONDS='-1' must be at least 0.1"),
        ("LGOPS_CHECKPOINTER", "redis", "LGOPS_CHECKPOINTER='redis': expected one of postgres, memory"),
        (
            "LGOPS_DEFAULT_ROLE",
            "superuser",
            "LGOPS_DEFAULT_ROLE='superuser': expected one of viewer, operator, approver, admin",
        ),
    ],
)
def test_a_bad_value_is_one_line_naming_the_variable(name: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({name: value}, secrets={})
    assert str(caught.value) == message and caught.value.exit_code == 2


def test_a_bad_prune_age_turns_scheduled_pruning_off_instead_of_stopping_the_worker() -> None:
    assert load_settings({"LGOPS_PRUNE_OLDER_THAN_DAYS": "weekly"}, secrets={}).prune_older_than_days is None
    assert load_settings({"LGOPS_PRUNE_OLDER_THAN_DAYS": "-3"}, secrets={}).prune_older_than_days is None


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("LGOPS_READ_ONLY", "maybe"),
        ("LGOPS_PGBOUNCER", "enabled"),
        ("LGOPS_STALLED_AFTER_SECONDS", "nan"),
        ("LGOPS_HEARTBEAT_SECONDS", "inf"),
    ],
)
def test_typos_and_non_finite_numbers_are_refused(name, value):
    with pytest.raises(ConfigError, match=name):
        load_settings({name: value}, {})


def test_the_redactor_hides_a_url_or_dsn_password():
    from core.redact import redact

    assert redact('invalid percent-encoded token: "pa%ss"', "postgresql://u:pa%ss@h/db") == (
        'invalid percent-encoded token: "***"'
    )
    assert "hunter2" not in redact("bad: password=hunter2 host=x", "host=x password=hunter2")
    assert "p@ss" not in redact("user p@ss", "postgresql://u:p%40ss@h/db")


def test_the_default_role_is_one_of_the_roles_in_any_case() -> None:
    assert load_settings({"LGOPS_DEFAULT_ROLE": " Approver "}, secrets={}).default_role == "approver"
    assert load_settings({}, secrets={}).default_role is None


@pytest.mark.parametrize(
    ("url", "described"),
    [
        ("host=db.example.com port=6543 dbname=app password=s%cret", "db.example.com:6543"),
        ("dbname=app", "local socket"),
        ("postgresql://u:secret@db.example.com:5433/app", "db.example.com:5433"),
        ("postgresql:///app?host=/run/postgresql", "/run/postgresql"),
    ],
)
def test_messages_name_the_host_of_a_url_or_a_key_value_dsn(url: str, described: str) -> None:
    assert describe_host(url) == described


def test_the_cli_is_its_os_user_from_the_uid_not_from_the_environment() -> None:
    me = f"cli:{pwd.getpwuid(os.getuid()).pw_name}"
    assert os_identity() == me
    assert cli_actor({}) == me and cli_actor({"LGOPS_ACTOR": me}) == me
    assert cli_actor({"USER": "admin", "LOGNAME": "admin", "LGOPS_ACTOR": ""}) == me  # $USER is anyone's


@pytest.mark.parametrize("claimed", ["oidc:admin@example.com", "local:operator", "cli:root-" + "x" * 80])
def test_lgops_actor_naming_anyone_else_is_a_setting_error(claimed: str) -> None:
    with pytest.raises(ConfigError) as refused:
        cli_actor({"LGOPS_ACTOR": claimed})
    line = str(refused.value)
    assert refused.value.exit_code == 2 and "\n" not in line and len(line) < 160
    assert line.startswith("LGOPS_ACTOR=") and line.endswith(
        f"the CLI acts as its OS user, {os_identity()}; unset LGOPS_ACTOR"
    )
