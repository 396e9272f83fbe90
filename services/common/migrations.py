"""Alembic per component (each service, and the gateway's session store).

``python -m services.common.migrations upgrade [component ...]`` brings each
database to head. Each component's ``migrations/env.py`` just calls ``run_env``.
"""

from __future__ import annotations

import sys

from alembic import command, context
from alembic.config import Config
from sqlalchemy import engine_from_config, pool

from services.common.config import PROJECT_ROOT, SERVICE_NAMES, database_url, load_config

COMPONENTS = (*SERVICE_NAMES, "gateway")


def migrations_dir(component: str) -> str:
    base = PROJECT_ROOT / ("gateway" if component == "gateway" else f"services/{component}")
    return str(base / "migrations")


def alembic_config(component: str, config: dict) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", migrations_dir(component))
    cfg.set_main_option("sqlalchemy.url", database_url(config, component))
    return cfg


def upgrade(components: list[str] | tuple[str, ...] = COMPONENTS,
            config: dict | None = None) -> None:
    config = config or load_config()
    for component in components:
        command.upgrade(alembic_config(component, config), "head")


def run_env() -> None:
    """The body of every env.py: online migrations on one connection."""
    cfg = context.config
    engine = engine_from_config(
        cfg.get_section(cfg.config_ini_section, {}), prefix="sqlalchemy.", poolclass=pool.NullPool
    )
    with engine.connect() as connection:
        context.configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()


def main(argv: list[str]) -> int:
    if not argv or argv[0] != "upgrade":
        print("usage: python -m services.common.migrations upgrade [component ...]")
        return 2
    targets = argv[1:] or list(COMPONENTS)
    unknown = [t for t in targets if t not in COMPONENTS]
    if unknown:
        print(f"unknown component(s): {', '.join(unknown)}")
        return 2
    upgrade(targets)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
