from services.common.config import amqp_uri, database_url, load_config, nameko_config


def test_environment_overrides_keep_types():
    config = load_config(environ={"QLP_AMQP__PORT": "6000", "QLP_FEATURES__REGISTRATION_REVIEW": "yes",
                                  "QLP_EVENTS__RETRY_DELAYS_MS": "[1, 2]"})
    assert config["amqp"]["port"] == 6000
    assert config["features"]["registration_review"] is True
    assert config["events"]["retry_delays_ms"] == [1, 2]
    assert ":6000/" in amqp_uri(config)


def test_test_profile_uses_other_ports_and_state():
    local, test = load_config(environ={}), load_config(environ={"QLP_PROFILE": "test"})
    assert test["profile"] == "test"
    assert test["var_dir"].endswith("var/test")
    assert test["amqp"]["port"] != local["amqp"]["port"]
    assert test["postgres"]["port"] != local["postgres"]["port"]
    assert test["gateway"]["port"] != local["gateway"]["port"]


def test_each_service_gets_its_own_database():
    config = load_config(environ={})
    urls = {database_url(config, s) for s in ("identity", "notify", "permits")}
    assert len(urls) == 3
    assert nameko_config(config, "identity")["DB_URL"].endswith("/qlp_identity")
