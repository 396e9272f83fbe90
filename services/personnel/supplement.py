"""信息补录 (seed 001): who may be recorded without review. Only people the enterprise brought
over from the old system (CIP 旧数据导入, services/enterprise/importer.py, which marks its staff
rows ``imported``) have certificates to record; a certificate for anybody else is a declaration
(初始注册, 新增申报 …) that review decides. Without this, any enterprise could record a valid
certificate for anybody, unreviewed, and that record would then block the person's real employer
through the one-employer rule."""

from __future__ import annotations

from services.common.errors import InvalidTransition

NOT_IMPORTED = "not_imported"
NOT_IMPORTED_MESSAGE = ("信息补录仅适用于从旧系统导入的人员：该人员不在本单位旧数据导入的人员名单中。"
                        "请通过“初始注册”等申报办理，经审核部门审核后取得证书。")


def check_supplement_person(imported: bool) -> None:
    """Refuse 信息补录 of a person the enterprise's legacy import did not bring (code ``not_imported``)."""
    if not imported:
        raise InvalidTransition(NOT_IMPORTED_MESSAGE, code=NOT_IMPORTED)
