"""Short Chinese labels and badge colours used by several pages (charts, badges)."""

from __future__ import annotations

TIER_SHORT = {
    "innovative_sme": "创新型中小企业",
    "srdi_sme": "专精特新中小企业",
    "hidden_champion": "隐形冠军",
    "little_giant": "专精特新“小巨人”",
    "none": "无有效梯度称号",
}
TIER_BADGES = {
    "innovative_sme": "tier-innovative",
    "srdi_sme": "tier-srdi",
    "hidden_champion": "tier-champion",
    "little_giant": "tier-giant",
}
