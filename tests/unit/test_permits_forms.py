"""The generated 申报表 and certificate PDFs: text extracted with pypdf and checked field by field,
fonts embedded, the certificate's QR code decoded with pyzbar to the verify URL."""

from __future__ import annotations

import io
import re
from datetime import date

import pypdf
import pytest
from pyzbar.pyzbar import decode

from services.permits.catalogue import load_catalogue
from services.permits.forms import (
    EMPTY,
    application_form_context,
    enterprise_values,
    licence_context,
    render_application_form,
    render_licence,
)
from services.permits.licences import Licence, LicenceItem

TODAY = date(2026, 11, 23)

RECORDS = {
    "enterprise_id": "e1",
    "uscc": "91150200MA0N12345X",
    "name": "包头恒达电力工程有限公司",
    "enterprise_type": "有限责任公司",
    "region_code": "150200",
    "records_version": 4,
    "finance": {"registered_capital_wan": 2000.0, "net_assets_wan": 1234.5},
    "staff": [
        {
            "id": "s1",
            "category": "technical_lead",
            "name": "张三",
            "title": "高级工程师",
            "title_level": "senior",
            "skill_level": None,
            "specialty": "电气工程",
            "years_experience": 12,
            "certificates": [
                {"kind": "constructor_1", "number": "NMG1234567", "specialty": None, "valid_until": None}
            ],
        },
        {
            "id": "s2",
            "category": "electrician",
            "name": "赵六",
            "title": None,
            "title_level": None,
            "skill_level": "senior",
            "specialty": "高压",
            "years_experience": 7,
            "certificates": [
                {"kind": "electrician", "number": "DG001", "specialty": None, "valid_until": None}
            ],
        },
    ],
    "projects": [
        {
            "id": "p1",
            "name": "某110千伏变电站新建工程",
            "category": "输变电工程安装",
            "grade": None,
            "voltage_kv": 110.0,
            "contract_amount_wan": 800.0,
            "length_km": None,
            "completed_on": "2024-05-01",
        },
    ],
    "equipment": [{"id": "q1", "name": "汽车起重机", "kind": "施工机具", "model": "QY25", "quantity": 2}],
}
VALUES = {
    "address": "包头市昆都仑区钢铁大街1号",
    "postcode": "014010",
    "legal_representative": "李四",
    "submitter_name": "王五",
    "submitter_id_number": "150203199001011234",
}


def text_of(pdf: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return "".join(page.extract_text() for page in reader.pages)


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def fonts_embedded(pdf: bytes) -> list[tuple[str, bool]]:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    found = []
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendants = font.get("/DescendantFonts")
            target = descendants[0].get_object() if descendants else font
            descriptor = target["/FontDescriptor"].get_object()
            embedded = any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))
            found.append((str(font["/BaseFont"]), embedded))
    return found


@pytest.fixture(scope="module")
def cat():
    return load_catalogue()


@pytest.fixture(scope="module")
def pfl_new(cat):
    pfl = cat.type("pfl_power")
    context = application_form_context(
        pfl,
        "new",
        application={
            "number": "PFL-2026-000123",
            "selections": [("install", "三级"), ("test", "四级")],
            "lane": "fast_track",
            "nature": "after_merger",
            "submitter": "delegate",
        },
        records=RECORDS,
        values=VALUES,
        generated_on=TODAY,
        attachments=[
            {"name": "授权委托书", "provided": True},
            {"name": "安全生产管理制度文件", "provided": False, "owed_until": "2026-12-21"},
            {"name": "合并协议及合并前各方许可证", "provided": False},
        ],
        precheck_summary="共14项标准，符合13项，不符合0项，容缺后补1项",
    )
    return context, render_application_form(context)


def test_pfl_form_every_field_is_in_the_pdf(pfl_new):
    context, pdf = pfl_new
    assert pdf.startswith(b"%PDF")
    text = squash(text_of(pdf))
    checked = 0
    for section in context["sections"]:
        assert squash(section["title"]) in text
        for field in section["fields"]:
            assert squash(field["label"] + field["value"]) in text, field
            checked += 1
    assert checked == 17  # PFL new: 5 application + 3 submitter + 9 enterprise fields


def test_pfl_form_values_are_the_application_s(pfl_new):
    _, pdf = pfl_new
    text = squash(text_of(pdf))
    expected = [
        "承装（修、试）电力设施许可证申请表",
        "申请事项许可证新申请",
        "申请类别及等级承装三级、承试四级",
        "申请性质合并后申请",
        "办理通道容缺受理",
        "申报编号PFL-2026-000123",
        "提交类型委托他人提交",
        "提交人姓名王五",
        "提交人身份证号150203199001011234",
        "单位名称包头恒达电力工程有限公司",
        "统一社会信用代码91150200MA0N12345X",
        "企业类型有限责任公司",
        "所在地区150200",
        "住所包头市昆都仑区钢铁大街1号",
        "邮政编码014010",
        "法定代表人李四",
        "注册资本（万元）2000",
        "净资产（万元）1234.5",
        # tables: one row per record, every column
        "张三技术负责人高级工程师高级—电气工程12年一级建造师NMG1234567",
        "赵六电工（未填写）—高级高压7年电工进网作业许可证DG001",
        "某110千伏变电站新建工程输变电工程安装110（未填写）8002024-05-01",
        "汽车起重机施工机具QY252",
        # attachments with their state, pre-check, declaration
        "1授权委托书已上传",
        "2安全生产管理制度文件容缺后补（2026-12-21前）",
        "3合并协议及合并前各方许可证未上传",
        "共14项标准，符合13项，不符合0项，容缺后补1项",
        "本单位承诺所填报信息及提交材料真实、准确、完整",
        "生成日期：2026-11-23",
    ]
    for item in expected:
        assert item in text, item
    # sections and fields of other transaction kinds are not on a new application's form
    assert "原许可证号" not in text and "申请变更内容" not in text and "是否降级" not in text


def test_fonts_are_embedded(pfl_new):
    fonts = fonts_embedded(pfl_new[1])
    assert fonts and all(embedded for _, embedded in fonts), fonts
    # the small faces cut from Noto CJK (form_fonts; bootstrap installs hb-subset)
    assert any(name.endswith(("+QLP-Serif", "+QLP-Sans")) for name, _ in fonts), fonts


def test_hmq_change_form_shows_change_fields_and_missing_values(cat):
    hmq = cat.type("hmq_maintenance")
    context = application_form_context(
        hmq,
        "simple_change",
        application={
            "number": "HMQ-2026-000007",
            "selections": [("bridge", "乙")],
            "original_licence_number": "蒙公养资20210007",
        },
        records={
            **RECORDS,
            "finance": {"registered_capital_wan": None, "net_assets_wan": 900},
            "staff": [],
            "projects": [],
            "equipment": [],
        },
        values={"change_items": "企业名称：包头恒达 → 包头恒达集团", "contact_name": "钱七"},
        generated_on=TODAY,
    )
    text = squash(text_of(render_application_form(context)))
    for item in [
        "公路养护作业单位资质申报表",
        "申请类型资质简单变更",
        "申请类别及等级桥梁养护乙",
        "原资质证书编号蒙公养资20210007",
        "变更内容企业名称：包头恒达→包头恒达集团",
        "联系人钱七",
        f"联系电话{EMPTY}",
        f"注册资本（万元）{EMPTY}",
        "净资产（万元）900",
        "主要人员",
    ]:
        assert item in text, item
    for section in context["sections"]:
        for field in section["fields"]:
            assert squash(field["label"] + field["value"]) in text, field
    # an empty roster still prints its table with a "none" row
    assert "姓名人员类别职称职称等级技能等级专业从业年限证书（无）" in text


def test_certificate_qr_decodes_to_verify_url_and_text(cat):
    pfl = cat.type("pfl_power")
    licence = Licence(
        number="1-1-00013-26",
        type_code="pfl_power",
        holder_id="e1",
        holder_name=RECORDS["name"],
        holder_uscc=RECORDS["uscc"],
        items=(LicenceItem("install", "三级"), LicenceItem("test", "四级")),
        issued_on=TODAY,
        valid_from=TODAY,
        valid_until=date(2032, 11, 22),
        edition=2,
        details={"legal_representative": "李四"},
    )
    url = "https://qlp.example.cn/verify/1-1-00013-26?c=9f3a"
    pdf = render_licence(licence_context(licence, pfl), url)
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    images = reader.pages[0].images
    decoded = [d.data.decode() for image in images for d in decode(image.image)]
    assert decoded == [url]
    text = squash(text_of(pdf))
    for item in [
        "承装（修、试）电力设施许可证",
        "证书编号1-1-00013-26",
        "单位名称包头恒达电力工程有限公司",
        "统一社会信用代码91150200MA0N12345X",
        "法定代表人李四",
        "许可类别及等级承装三级；承试四级",
        "有效期2026-11-23至2032-11-22",
        "发证日期2026-11-23",
        "版次第2版",
        "发证机关：国家能源局派出能源监管机构",
    ]:
        assert item in text, item
    assert all(embedded for _, embedded in fonts_embedded(pdf))


def test_review_fields_for_the_review_request(pfl_new):
    from services.permits.forms import review_fields

    fields = review_fields(pfl_new[0])
    assert fields["application.selection"] == {"label": "申请类别及等级", "value": "承装三级、承试四级"}
    assert fields["enterprise.net_assets"] == {"label": "净资产（万元）", "value": "1234.5"}
    assert len(fields) == 17


def test_every_type_and_kind_builds_a_form_context(cat):
    for business_type in cat.types.values():
        category, grade = next((c.code, next(iter(c.grades))) for c in business_type.categories.values())
        for kind in business_type.transactions:
            context = application_form_context(
                business_type,
                kind,
                application={"number": "X-1", "selections": [(category, grade)]},
                records=RECORDS,
                values={},
                generated_on=TODAY,
            )
            assert context["kind_label"] == business_type.transaction(kind)["label"]
            keys = [f"{s['code']}.{f['name']}" for s in context["sections"] for f in s["fields"]]
            assert keys and len(keys) == len(set(keys)), (business_type.code, kind)
            values = [f["value"] for s in context["sections"] for f in s["fields"]]
            assert all(isinstance(v, str) and v for v in values)


def test_the_enterprise_type_is_shown_by_its_label_not_its_code():
    coded = {"enterprise_type": "limited_liability", "enterprise_type_label": "有限责任公司"}
    assert enterprise_values(coded)["enterprise_type"] == "有限责任公司"
    assert enterprise_values({"enterprise_type": "有限责任公司"})["enterprise_type"] == "有限责任公司"
