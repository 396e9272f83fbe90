"""Integration fixtures: the real servers (started by `make test`) and the real processes."""

import pytest
import requests

from deploy import processes
from services.common.config import database_url
from services.common.database import make_engine
from services.common.migrations import upgrade
from tests.support import platform


@pytest.fixture(scope="session")
def config():
    config = platform.test_config()
    amqp = config["amqp"]
    if not processes.port_open(amqp["host"], amqp["port"]):
        pytest.fail("the test servers are not running: use `make test` "
                    "(or `QLP_PROFILE=test python -m deploy.servers start`)")
    return config


@pytest.fixture(scope="session")
def running_platform(config):
    """All six services and the gateway as real processes, healthy; stopped at the end."""
    upgrade(config=config)
    for component in platform.COMPONENTS:
        platform.start(component, config)
    try:
        platform.wait_healthy(config)
        yield config
    finally:
        processes.stop_processes(platform.COMPONENTS, config, timeout=15)  # all at once


@pytest.fixture(scope="session")
def gateway(running_platform):
    return platform.gateway_url(running_platform)


@pytest.fixture
def http():
    with requests.Session() as session:
        yield session


@pytest.fixture(scope="session")
def engines(running_platform):
    """Direct database access, for assertions only (tests may look into every service's tables)."""
    made = {}

    def engine(component):
        if component not in made:
            made[component] = make_engine(database_url(running_platform, component), pool_size=2)
        return made[component]

    yield engine
    for e in made.values():
        e.dispose()
