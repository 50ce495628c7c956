"""Settings refuse unsafe production configuration and generate dev secrets once."""

from __future__ import annotations

import stat

import pytest
from pydantic import ValidationError

from creditdesk.config import ConfigError, Settings, generate_encryption_key


def test_production_refuses_missing_or_placeholder_secrets(tmp_path):
    with pytest.raises(ConfigError, match="CREDITDESK_JWT_SECRET"):
        Settings(mode="production", data_dir=tmp_path).finalise()
    with pytest.raises(ConfigError, match="CREDITDESK_ENCRYPTION_KEYS"):
        Settings(mode="production", data_dir=tmp_path, jwt_secret="x" * 40, encryption_keys="changeme").finalise()
    with pytest.raises(ConfigError, match="at least 32"):
        Settings(
            mode="production", data_dir=tmp_path, jwt_secret="short", encryption_keys=generate_encryption_key()
        ).finalise()
    ok = Settings(mode="production", data_dir=tmp_path, jwt_secret="x" * 40, encryption_keys=generate_encryption_key())
    assert ok.finalise().jwt_key() == "x" * 40
    assert not (tmp_path / "secrets.json").exists()


def test_dev_mode_generates_secrets_once_with_0600(tmp_path):
    first = Settings(mode="demo", data_dir=tmp_path).finalise()
    path = tmp_path / "secrets.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    second = Settings(mode="dev", data_dir=tmp_path).finalise()
    assert first.jwt_key() == second.jwt_key()
    assert first.encryption_keyring() == second.encryption_keyring()


def test_bad_encryption_key_format_is_refused(tmp_path):
    with pytest.raises(ConfigError):
        Settings(mode="production", data_dir=tmp_path, jwt_secret="x" * 40, encryption_keys="k1:tooshort").finalise()


def test_default_database_is_sqlite_in_data_dir(tmp_path):
    s = Settings(mode="dev", data_dir=tmp_path)
    assert s.sqlalchemy_url == f"sqlite:///{tmp_path.resolve()}/creditdesk.db"
    assert Settings(cors_origins="https://a.example, https://b.example").cors_origins == [
        "https://a.example",
        "https://b.example",
    ]


@pytest.mark.parametrize(
    ("variable", "value"),
    [("max_in_flight", 0), ("bureau_timeout_ms", -1), ("job_lease_seconds", 0), ("queue_timeout_seconds", -0.5)],
)
def test_a_knob_out_of_range_is_refused_at_start_up(tmp_path, variable, value):
    """A zero timeout or a negative limit would fail later, request by request; it fails at start-up instead."""
    with pytest.raises(ValidationError, match=variable):
        Settings(mode="dev", data_dir=tmp_path, **{variable: value})
