"""CIP 旧数据导入 against the real enterprise database: a generated Excel file of 5,000 staff
rows with 50 bad rows (all good rows in, 50 reasons in the report, a second run changes
nothing), run as the admin command; imported records are adopted when the enterprise registers."""

from __future__ import annotations

import csv
import os
import random
import subprocess
import sys
import uuid

import pytest
from nameko.standalone.rpc import ClusterRpcProxy
from openpyxl import Workbook
from sqlalchemy import text

from services.common.config import PROJECT_ROOT, database_url, nameko_config
from services.common.database import make_engine
from services.common.migrations import upgrade
from tests.support.data import random_uscc, registration
from tests.support.enterprise import resident_id
from tests.support.waiting import wait_for

HEADER = [
    "统一社会信用代码",
    "企业名称",
    "企业类型",
    "法定代表人",
    "所属地区代码",
    "人员类别",
    "姓名",
    "证件类型",
    "证件号码",
    "职称",
    "专业",
    "证书类别",
    "证书编号",
    "证书有效期",
]
CATEGORIES = ["技术负责人", "安全负责人", "专业技术人员", "技术工人", "电工", "其他专业技能人员"]
ENTERPRISES = 20
ROWS = 5000
BAD = 50


@pytest.fixture(scope="module")
def db(config):
    upgrade(config=config)
    engine = make_engine(database_url(config, "enterprise"), pool_size=2)
    yield engine
    engine.dispose()


def generate(path, rng: random.Random) -> tuple[list[str], int]:
    """ROWS rows, BAD of them bad in four ways; returns the USCCs and the number of good rows."""
    usccs = [random_uscc(rng) for _ in range(ENTERPRISES)]
    book = Workbook(write_only=True)
    sheet = book.create_sheet("人员")
    sheet.append(HEADER)
    good: list[list] = []
    bad_at = set(rng.sample(range(100, ROWS), BAD))
    used: set[str] = set()
    for index in range(ROWS):
        uscc = usccs[index % ENTERPRISES]
        number = resident_id(rng)
        while number in used:
            number = resident_id(rng)
        used.add(number)
        row = [
            uscc,
            f"内蒙古旧数据{index % ENTERPRISES:02d}电力工程有限公司",
            "有限责任公司",
            "张三",
            "150102",
            CATEGORIES[index % len(CATEGORIES)],
            f"人员{index:05d}",
            "居民身份证",
            number,
            "工程师",
            "电气",
            "电工证",
            f"T{index:06d}",
            "2030-12-31",
        ]
        if index in bad_at:
            kind = len([i for i in bad_at if i < index]) % 4
            if kind == 0:  # wrong check digit
                row[8] = number[:17] + ("0" if number[17] != "0" else "1")
            elif kind == 1:  # broken USCC
                row[0] = uscc[:17] + ("0" if uscc[17] != "0" else "1")
            elif kind == 2:  # no name
                row[6] = ""
            else:  # an ID number an earlier row of the same enterprise has, another person
                earlier = next(g for g in good if g[0] == uscc)
                row[8] = earlier[8]
        else:
            good.append(row)
        sheet.append(row)
    book.save(path)
    return usccs, len(good)


def run_import(config_env: dict, path, report) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "services.enterprise.importer", str(path), "--report", str(report)],
        cwd=PROJECT_ROOT,
        env=config_env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def counts(db, usccs) -> dict:
    with db.connect() as connection:
        row = connection.execute(
            text(
                "select count(distinct e.id) as enterprises, count(s.id) as staff, "
                "count(*) filter (where s.imported) as imported, "
                "(select sum(records_version) from enterprises where uscc = any(:u)) as versions "
                "from enterprises e left join staff s on s.enterprise_id = e.id where e.uscc = any(:u)"
            ),
            {"u": usccs},
        ).one()
        history = connection.execute(
            text(
                "select count(*) from change_history h join enterprises e on e.id = h.enterprise_id "
                "where e.uscc = any(:u)"
            ),
            {"u": usccs},
        ).scalar_one()
    return {**row._asdict(), "history": history}


def test_import_5000_rows_with_50_bad_ones_twice(db, tmp_path):
    rng = random.Random(20261123)
    path = tmp_path / "旧系统人员.xlsx"
    usccs, good = generate(path, rng)
    report = tmp_path / "rejected.csv"
    env = dict(os.environ)

    first = run_import(env, path, report)
    assert first.returncode == 0, first.stderr
    assert "导入进度 [" in first.stderr and f"{ROWS}/{ROWS}" in first.stderr  # the progress bar
    after_first = counts(db, usccs)
    assert after_first["enterprises"] == ENTERPRISES
    assert after_first["staff"] == good == ROWS - BAD and after_first["imported"] == good
    with report.open(encoding="utf-8-sig") as handle:
        rejected = list(csv.DictReader(handle))
    assert len(rejected) == BAD
    reasons = [r["原因"] for r in rejected]
    assert all(reasons)
    assert sum("校验位" in r and "证件号码" in r for r in reasons) >= 10
    assert sum("统一社会信用代码" in r for r in reasons) >= 10
    assert sum(r.startswith("姓名") for r in reasons) >= 10
    assert sum("重复" in r for r in reasons) >= 10
    assert {int(r["行号"]) for r in rejected} <= set(range(2, ROWS + 2))

    second = run_import(env, path, tmp_path / "rejected-2.csv")
    assert second.returncode == 0, second.stderr
    assert "新增企业0家，新增人员0人，补充证书0人" in second.stdout
    assert counts(db, usccs) == after_first  # nothing changed: no rows, no versions, no history

    with db.connect() as connection:
        flags = connection.execute(
            text("select imported, needs_completion from enterprises where uscc = :u"), {"u": usccs[0]}
        ).one()
    assert flags.imported and flags.needs_completion


def test_imported_records_are_adopted_when_the_enterprise_registers(db, tmp_path, running_platform):
    rng = random.Random()
    uscc = random_uscc(rng)
    path = tmp_path / "one.csv"
    number = resident_id(rng)
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerow(
            [
                uscc,
                "内蒙古待认领电力有限公司",
                "有限责任公司",
                "李四",
                "150103",
                "电工",
                "王二",
                "居民身份证",
                number,
                "",
                "",
                "电工证",
                "T1",
                "",
            ]
        )
        writer.writerow(
            [
                uscc,
                "内蒙古待认领电力有限公司",
                "有限责任公司",
                "李四",
                "150103",
                "电工",
                "王二",
                "居民身份证",
                number,
                "",
                "",
                "安管人员B证",
                "蒙建安B(2020)0001",
                "2027-01-01",
            ]
        )
    result = run_import(dict(os.environ), path, tmp_path / "r.csv")
    assert result.returncode == 0, result.stderr
    assert "新增人员1人，补充证书1人" in result.stdout  # a second certificate row of the same person

    with ClusterRpcProxy(nameko_config(running_platform, "tests"), timeout=30) as cluster:
        account = cluster.identity.register_account({**registration(), "uscc": uscc})
        actor = {"id": account["id"], "kind": "enterprise", "enterprise_id": account["id"], "permissions": []}
        wait_for(
            lambda: (
                db.connect()
                .execute(text("select 1 from enterprises where id = :id"), {"id": account["id"]})
                .first()
            ),
            what="adoption",
        )
        listed = cluster.enterprise.list_records(actor, account["id"], "staff", {})
        info = cluster.enterprise.get_enterprise(actor, account["id"])
    assert listed["total"] == 1 and listed["items"][0]["name"] == "王二"
    assert len(listed["items"][0]["certificates"]) == 2 and listed["items"][0]["needs_completion"]
    assert info["name"] == "内蒙古待认领电力有限公司" and info["needs_completion"] and info["imported"]
    assert (
        db.connect()
        .execute(text("select count(*) from enterprises where uscc = :u"), {"u": uscc})
        .scalar_one()
        == 1
    )
    assert str(uuid.UUID(account["id"])) == info["enterprise_id"]
