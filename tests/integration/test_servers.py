"""The real servers of the test profile answer as the platform expects.

`make test` starts them first (QLP_PROFILE=test python -m deploy.servers start); run by hand,
start them yourself. Nothing here is mocked.
"""

from __future__ import annotations

import io
import os
import signal
import smtplib
import sys
import time
import uuid
from email.message import EmailMessage

import pika
import pytest
import requests
import sqlalchemy
from minio import Minio
from minio.error import S3Error

from deploy.mail_sink import read_mails
from deploy.processes import (
    group_alive,
    is_running,
    kill_process,
    pid_path,
    port_open,
    read_pid,
    start_process,
    stop_process,
    wait_until,
)
from deploy.servers import DATABASE_OWNERS, prometheus_port
from services.common.config import database_name, database_url, load_config

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def cfg():
    # Default to the test profile: these tests must never touch the `make up` servers.
    config = load_config(os.environ.get("QLP_PROFILE") or "test")
    expected = {
        "rabbitmq": (config["amqp"]["host"], config["amqp"]["port"]),
        "rabbitmq management": (config["amqp"]["host"], config["amqp"]["management_port"]),
        "postgres": (config["postgres"]["host"], config["postgres"]["port"]),
        "s3": (config["s3"]["host"], config["s3"]["port"]),
        "smtp": (config["smtp"]["host"], config["smtp"]["port"]),
    }
    down = [f"{name} ({h}:{p})" for name, (h, p) in expected.items() if not port_open(h, p)]
    if down:
        pytest.fail(
            f"servers of profile {config['profile']} not running: {', '.join(down)}. Start them "
            "with: QLP_PROFILE=test .venv/bin/python -m deploy.servers start",
            pytrace=False,
        )
    return config


def minio_client(cfg, secret_key: str | None = None) -> Minio:
    s3 = cfg["s3"]
    return Minio(
        f"{s3['host']}:{s3['port']}",
        access_key=s3["access_key"],
        secret_key=secret_key or s3["secret_key"],
        region=s3["region"],
        secure=False,
    )


def test_amqp_publish_and_consume_on_vhost(cfg):
    a = cfg["amqp"]
    params = pika.ConnectionParameters(
        host=a["host"], port=a["port"], virtual_host=a["vhost"],
        credentials=pika.PlainCredentials(a["user"], a["password"]),
    )
    with pika.BlockingConnection(params) as connection:
        channel = connection.channel()
        queue = channel.queue_declare("", exclusive=True).method.queue
        body = f"ping {uuid.uuid4()}".encode()
        channel.basic_publish("", queue, body)
        got = wait_until(lambda: channel.basic_get(queue, auto_ack=True)[2], 5, "the message")
        assert got == body


def test_amqp_refuses_guest_and_wrong_password(cfg):
    a = cfg["amqp"]
    for user, password in (("guest", "guest"), (a["user"], "wrong")):
        params = pika.ConnectionParameters(
            host=a["host"], port=a["port"], virtual_host=a["vhost"],
            credentials=pika.PlainCredentials(user, password), connection_attempts=1,
        )
        with pytest.raises(pika.exceptions.ProbableAuthenticationError):
            pika.BlockingConnection(params)


def test_management_api_on_loopback(cfg):
    a = cfg["amqp"]
    base = f"http://127.0.0.1:{a['management_port']}/api"
    auth = (a["user"], a["password"])
    whoami = requests.get(f"{base}/whoami", auth=auth, timeout=5)
    assert whoami.status_code == 200
    assert "administrator" in str(whoami.json()["tags"])
    vhosts = [v["name"] for v in requests.get(f"{base}/vhosts", auth=auth, timeout=5).json()]
    assert a["vhost"] in vhosts
    assert requests.get(f"{base}/users/guest", auth=auth, timeout=5).status_code == 404
    listeners = requests.get(f"{base}/overview", auth=auth, timeout=5).json()["listeners"]
    assert {(x["protocol"], x["port"]) for x in listeners} == {
        ("amqp", a["port"]), ("http", a["management_port"]), ("clustering", a["dist_port"]),
        ("http/prometheus", prometheus_port(cfg)),
    }


def listening_sockets() -> dict[int, set[str]]:
    """Port -> local addresses of every TCP socket in LISTEN state on this machine."""
    found: dict[int, set[str]] = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as handle:
            for line in handle.readlines()[1:]:
                local, state = line.split()[1], line.split()[3]
                if state == "0A":
                    address, port = local.split(":")
                    found.setdefault(int(port, 16), set()).add(address)
    return found


def test_servers_listen_on_loopback_only(cfg):
    loopback = {"0100007F", "00000000000000000000000001000000"}  # 127.0.0.1, ::1
    ports = [cfg["amqp"][k] for k in ("port", "management_port", "dist_port")]
    ports += [prometheus_port(cfg)]
    ports += [cfg["amqp"]["dist_port"] - 21000]  # epmd
    ports += [cfg["postgres"]["port"], cfg["smtp"]["port"]]
    ports += [cfg["s3"][k] for k in ("port", "master_port", "volume_port", "filer_port")]
    sockets = listening_sockets()
    for port in ports:
        assert port in sockets, f"nothing listens on {port}"
        assert sockets[port] <= loopback, f"port {port} listens on {sockets[port]}"


@pytest.mark.parametrize("owner", DATABASE_OWNERS)
def test_each_database_answers_as_its_owner(cfg, owner):
    engine = sqlalchemy.create_engine(database_url(cfg, owner))
    try:
        with engine.connect() as conn:
            assert conn.execute(sqlalchemy.text("select 1")).scalar() == 1
            owner_name = conn.execute(sqlalchemy.text(
                "select pg_get_userbyid(datdba) from pg_database where datname = current_database()"
            )).scalar()
            assert owner_name == cfg["postgres"]["user"]
            assert conn.execute(sqlalchemy.text("select current_database()")).scalar() == (
                database_name(cfg, owner)
            )
            assert conn.execute(sqlalchemy.text("show server_encoding")).scalar() == "UTF8"
    finally:
        engine.dispose()


def test_postgres_refuses_wrong_password(cfg):
    url = database_url(cfg, "identity").replace(cfg["postgres"]["password"], "wrong-password")
    engine = sqlalchemy.create_engine(url)
    with pytest.raises(sqlalchemy.exc.OperationalError, match="password authentication failed"):
        with engine.connect():
            pass
    engine.dispose()


def test_s3_round_trip_presigned_url_and_wrong_secret(cfg):
    client, bucket = minio_client(cfg), cfg["s3"]["bucket"]
    assert client.bucket_exists(bucket)
    key = f"it/{uuid.uuid4().hex}.txt"
    data = "资质附件 attachment".encode()
    client.put_object(bucket, key, io.BytesIO(data), len(data), content_type="text/plain",
                      metadata={"x-amz-meta-origin": "integration-test"})
    try:
        response = client.get_object(bucket, key)
        try:
            assert response.read() == data
        finally:
            response.close()
            response.release_conn()
        url = client.presigned_get_object(bucket, key)
        fetched = requests.get(url, timeout=10)
        assert fetched.status_code == 200 and fetched.content == data
        # A tampered signature must be refused, not served.
        assert requests.get(url[:-4] + "0000", timeout=10).status_code == 403
        with pytest.raises(S3Error) as refused:
            minio_client(cfg, secret_key="not-the-secret").get_object(bucket, key)
        assert refused.value.code in ("SignatureDoesNotMatch", "AccessDenied")
    finally:
        client.remove_object(bucket, key)


def test_mail_with_chinese_subject_is_captured(cfg):
    subject = f"资质申请已受理 {uuid.uuid4().hex[:8]}"
    message = EmailMessage()
    message["From"] = cfg["smtp"]["sender"]
    message["To"] = "applicant@example.com"
    message["Subject"] = subject
    message.set_content("您的申请已进入审查。")
    with smtplib.SMTP(cfg["smtp"]["host"], cfg["smtp"]["port"], timeout=10) as smtp:
        smtp.send_message(message, to_addrs=["applicant@example.com", "hidden@example.com"])
    found = wait_until(
        lambda: [m for m in read_mails(cfg) if m["Subject"] == subject], 5, "the mail"
    )
    assert len(found) == 1
    assert found[0].get_content().strip() == "您的申请已进入审查。"
    assert "hidden@example.com" in found[0]["X-Envelope-To"]


def test_process_helpers_start_stop_and_kill(cfg):
    name = "selftest-process-helpers"  # fixed: var/run keeps one .lock, not one per run
    # A parent that forks a child: stop must take the whole process group down.
    script = "import subprocess, time; subprocess.Popen(['sleep', '300']); time.sleep(300)"
    pid = start_process(name, [sys.executable, "-c", script], cfg)
    try:
        assert is_running(name, cfg) and read_pid(name, cfg) == pid
        assert start_process(name, ["false"], cfg) == pid  # running: reused, not duplicated
        time.sleep(0.3)
        assert stop_process(name, cfg, timeout=5)
        assert not is_running(name, cfg) and not pid_path(name, cfg).exists()
        assert not group_alive(pid)  # the forked child went too

        pid = start_process(name, ["sleep", "300"], cfg)
        assert kill_process(name, cfg)
        assert not is_running(name, cfg)
        # Ignoring SIGTERM gets a SIGKILL after the timeout.
        stubborn = "import signal as s, time; s.signal(s.SIGTERM, s.SIG_IGN); time.sleep(300)"
        pid = start_process(name, [sys.executable, "-c", stubborn], cfg)
        time.sleep(0.3)
        started = time.monotonic()
        assert stop_process(name, cfg, timeout=1, sig=signal.SIGTERM)
        assert 1 <= time.monotonic() - started < 5
        assert not is_running(name, cfg)
    finally:
        kill_process(name, cfg)
