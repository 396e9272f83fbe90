"""The words services share about an enterprise's people (docs/contracts.md): the staff
categories of a roster and the kinds of certificate a person holds. Enterprise records use
them, the permits catalogue's admission standards name them, so they are defined once."""

STAFF_CATEGORIES = {
    "technical_lead": "技术负责人",
    "safety_lead": "安全负责人",
    "technical_staff": "专业技术人员",
    "skilled_worker": "技术工人",
    "electrician": "电工",
    "other_skilled": "其他专业技能人员",
}

CERTIFICATE_KINDS = {
    "constructor_1": "一级建造师",
    "constructor_2": "二级建造师",
    "safety_a": "安管人员A证",
    "safety_b": "安管人员B证",
    "safety_c": "安管人员C证",
    "electrician": "电工进网作业许可证",
    "cost_engineer": "造价工程师",
    "accountant": "会计师",
    "economist": "经济师",
    "other": "其他证书",
}
