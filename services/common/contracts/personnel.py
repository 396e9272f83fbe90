"""Personnel's words that the gateway shows too: declaration statuses, actions and actors
(the state table in services/personnel/declarations.py is built on these keys) and the kinds of
anomaly a reviewer raises (申辩)."""

DRAFT, RETURNED, DELETED = "draft", "returned", "deleted"
UNDER_REVIEW, CORRECTION, WITHDRAWAL_REQUESTED = "under_review", "correction", "withdrawal_requested"
APPROVED, REJECTED, WITHDRAWN, TERMINATED = "approved", "rejected", "withdrawn", "terminated"
LEVEL_LABELS = {"city": "盟市", "province": "省级", "ministry": "部级"}
UNACCEPTED = {f"{level}_unaccepted": f"{label}未受理" for level, label in LEVEL_LABELS.items()}
STATUSES = {
    DRAFT: "未上报", RETURNED: "已退回", DELETED: "已删除", **UNACCEPTED, UNDER_REVIEW: "审核中",
    CORRECTION: "待补正", WITHDRAWAL_REQUESTED: "个人申请撤回中", APPROVED: "审核通过",
    REJECTED: "审核不通过", WITHDRAWN: "已撤回", TERMINATED: "已终止",
}
ACTIONS = {
    "save": "保存", "report": "上报", "return": "退回", "redeclare": "重新申报", "delete": "删除",
    "accept": "受理", "forward": "报上级审核", "request_correction": "要求补正", "resubmit": "补正后重新提交",
    "approve": "审核通过", "reject": "审核不通过", "revise": "修改后重新申报",
    "request_withdrawal": "申请撤回", "agree_withdrawal": "同意撤回", "refuse_withdrawal": "不同意撤回",
    "cancel": "取消申请", "terminate": "终止",
}
ACTORS = {"enterprise": "申报企业", "person": "申报人本人", "review": "审核部门"}


ANOMALY_KINDS = {
    "dual_employment": "同一人员在两家及以上单位注册",
    "social_insurance_mismatch": "社保缴纳单位与聘用单位不一致",
    "identity_mismatch": "身份信息与公安数据不一致",
    "certificate_mismatch": "证书信息与发证数据不一致",
    "over_age": "年龄超过65周岁仍在注册",
    "other": "其他异常",
}
