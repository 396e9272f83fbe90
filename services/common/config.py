"""Platform configuration: YAML defaults, an optional profile overlay, environment overrides."""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

import yaml

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CONFIG_DIR = PROJECT_ROOT / "config"
ENV_PREFIX = "QLP_"
SERVICE_NAMES = ("identity", "enterprise", "personnel", "permits", "review", "notify")


def _merge(base: dict[str, Any], overlay: dict[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(base)
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _coerce(raw: str, current: Any) -> Any:
    """Environment values are strings; give them the type the YAML default has."""
    if isinstance(current, bool):
        return raw.strip().lower() in ("1", "true", "yes", "on")
    if isinstance(current, int):
        return int(raw)
    if isinstance(current, float):
        return float(raw)
    if isinstance(current, list):
        return yaml.safe_load(raw)
    return raw


def apply_environment(config: dict[str, Any], environ: dict[str, str]) -> dict[str, Any]:
    """QLP_SECTION__KEY=value overrides config['section']['key']."""
    result = copy.deepcopy(config)
    for name, raw in environ.items():
        if not name.startswith(ENV_PREFIX) or name == "QLP_PROFILE":
            continue
        path = [part.lower() for part in name[len(ENV_PREFIX):].split("__")]
        node = result
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = _coerce(raw, node.get(path[-1]))
    return result


def load_config(profile: str | None = None, environ: dict[str, str] | None = None) -> dict[str, Any]:
    environ = dict(os.environ if environ is None else environ)
    profile = profile or environ.get("QLP_PROFILE") or "local"
    with open(CONFIG_DIR / "defaults.yaml", encoding="utf-8") as handle:
        config = yaml.safe_load(handle)
    overlay_path = CONFIG_DIR / f"{profile}.yaml"
    if profile != "local" and overlay_path.exists():
        with open(overlay_path, encoding="utf-8") as handle:
            config = _merge(config, yaml.safe_load(handle) or {})
    config = apply_environment(config, environ)
    config["profile"] = profile
    gateway = config["gateway"]
    if not gateway.get("public_url"):  # the address links in mails point at
        gateway["public_url"] = f"http://{gateway['host']}:{gateway['port']}"
    var_dir = Path(config["var_dir"])
    config["var_dir"] = str(var_dir if var_dir.is_absolute() else PROJECT_ROOT / var_dir)
    return config


def amqp_uri(config: dict[str, Any]) -> str:
    amqp = config["amqp"]
    return f"amqp://{amqp['user']}:{amqp['password']}@{amqp['host']}:{amqp['port']}/{amqp['vhost']}"


def database_name(config: dict[str, Any], service: str) -> str:
    return f"{config['postgres']['database_prefix']}{service}"


def database_url(config: dict[str, Any], service: str) -> str:
    pg = config["postgres"]
    return (
        f"postgresql+psycopg://{pg['user']}:{pg['password']}@{pg['host']}:{pg['port']}/"
        f"{database_name(config, service)}"
    )


def nameko_config(config: dict[str, Any], service: str) -> dict[str, Any]:
    """The dict nameko's ServiceContainer wants, with our platform config carried along."""
    return {
        "AMQP_URI": amqp_uri(config),
        "SERIALIZER": "json",
        "max_workers": 10,
        "parent_calls_tracked": 10,
        "PLATFORM": config,
        "SERVICE_NAME": service,
        "DB_URL": database_url(config, service) if service in SERVICE_NAMES else None,
    }
