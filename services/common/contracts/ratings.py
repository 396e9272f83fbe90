"""好差评 words notify and the gateway share: the reasons a rater may tick, the two rating modes
(一事一评 / 一次一评) and the score at or below which a rating is poor (a follow-up for admins)."""

POOR_RATING = 2
RATING_REASONS = {
    "fast": "办理迅速",
    "clear": "告知清楚",
    "polite": "服务热情",
    "easy": "材料精简",
    "slow": "办理缓慢",
    "unclear": "告知不清",
    "repeated": "多次跑动/重复提交",
    "attitude": "态度不好",
}
RATING_MODES = {"case": "一事一评", "visit": "一次一评"}
