"""The demo-data command against the real platform: realistic accounts, idempotent."""

import requests

from deploy import demo


def test_demo_data_creates_staff_and_approved_enterprises_once(gateway, running_platform, capsys):
    assert demo.main() == 0
    capsys.readouterr()
    assert demo.main() == 0  # a second run changes nothing
    second = capsys.readouterr().out
    assert "created" not in second and second.count("exists") == 9
    for username in ("admin0001", "hhhtcity01", "nmgprov001", "ministry01"):
        response = requests.post(gateway + "/api/v1/session",
                                 json={"login": username, "password": demo.PASSWORD})
        assert response.status_code == 200, (username, response.text)
    uscc = demo.demo_uscc(demo.ENTERPRISES[0][1])
    response = requests.post(gateway + "/api/v1/session", json={"login": uscc, "password": demo.PASSWORD})
    assert response.status_code == 200
    assert response.json()["account"]["status"] == "active"
