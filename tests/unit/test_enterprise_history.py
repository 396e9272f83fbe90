"""变更记录's 操作人 (issue 15, item 5): an approved 变更申请 names the reviewer and desk that decided."""

from services.enterprise.history import decider_actor, decider_label, operator_label

ENT = "0b7c6a52-1111-4c3e-9a57-000000000001"


def test_the_decider_is_named_with_level_and_desk():
    assert decider_label("王审核", "province", "150000") == "王审核（自治区 150000 审核）"
    assert decider_label("李科长", "city", "150100") == "李科长（盟市 150100 审核）"
    assert decider_label("王审核", None, None) == "王审核"  # an event from before the desk was sent
    assert decider_label("", None, None) == "审核人员"
    assert len(decider_label("名" * 200, "province", "150000")) == 120


def test_an_approved_change_is_recorded_with_the_reviewers_id_and_label():
    actor = decider_actor({"decided_by": "王审核", "decided_by_id": "r-1", "decided_level": "province",
                           "decided_desk_region": "150000"})
    assert actor == {"id": "r-1", "kind": "reviewer", "history_name": "王审核（自治区 150000 审核）"}
    assert decider_actor({"decided_by": "王审核"})["id"] == "review"


def test_operator_column():
    assert operator_label("王审核（自治区 150000 审核）", "r-1", ENT) == "王审核（自治区 150000 审核）"
    assert operator_label(None, ENT, ENT) == "本单位"
    assert operator_label(None, "sub-1", ENT) == "本单位子账号"
    assert operator_label(None, "review", ENT) == "审核部门"  # recorded before names were kept
    assert operator_label(None, None, ENT) == "系统"
