"""Integration fixtures: the real servers (started by `make test`) and the real processes."""

import pytest
import requests
from nameko.standalone.rpc import ClusterRpcProxy

from deploy import processes
from services.common.config import database_url, nameko_config
from services.common.database import make_engine
from services.common.migrations import upgrade
from tests.support import platform
from tests.support.permits import Broker
from tests.support.registration import PASSWORD, active_enterprise, login, province_reviewer


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


@pytest.fixture(scope="module")
def permits_db(engines):
    """The permits database, for set-up rows and assertions."""
    return engines("permits")


@pytest.fixture(scope="module")
def cluster(running_platform):
    """RPC to the running services, as a test's set-up steps and assertions use it."""
    with ClusterRpcProxy(nameko_config(running_platform, "tests"), timeout=60) as proxy:
        yield proxy


@pytest.fixture(scope="module")
def registration_reviewer(running_platform, gateway):
    """A province reviewer signed in at the gateway: registration cases wait at the province
    desk (tests.support.registration.active_enterprise approves with it)."""
    with ClusterRpcProxy(nameko_config(running_platform, "tests"), timeout=30) as rpc:
        username = province_reviewer(rpc, PASSWORD)["login"]
    return login(gateway, username)[0]


@pytest.fixture(scope="module")
def new_active_enterprise(gateway, running_platform, registration_reviewer):
    """Makes an active enterprise at each call (registered through the gateway, e-mail verified,
    approved by ``registration_reviewer``, signed in): (session, csrf, account)."""
    return lambda: active_enterprise(gateway, running_platform, registration_reviewer)


@pytest.fixture(scope="module")
def permits_events(running_platform):
    """What permits publishes, recorded from the module's start."""
    broker = Broker(running_platform, "permits.events")
    yield broker
    broker.close()


@pytest.fixture(scope="module")
def personnel_events(running_platform):
    """What personnel publishes, recorded from the module's start."""
    broker = Broker(running_platform, "personnel.events")
    yield broker
    broker.close()


@pytest.fixture(scope="module")
def seconds(running_platform):
    """personnel's commitment-letter seconds (how long the letter must be shown)."""
    return float(running_platform["personnel"]["commitment_seconds"])
