"""The conclusion of the effect evaluation, word for word: a decrease the interval confirms, no
discernible change, too few events for an interval, too few elevators to estimate."""

from __future__ import annotations

from checker.effect_report import conclusion


def _report(effects: list[dict], relative: list[dict], rec_effects=(), treated=412, controls=223) -> dict:
    return {"period": {"from": "2024-01-01", "to": "2024-12-31"}, "outcomes": [e["outcome"] for e in effects],
            "counts": {"treated": treated, "controls": controls}, "effects": effects, "relative": relative,
            "recommendation": {"effects": list(rec_effects), "relative": []}}


def _effect(outcome, estimate, lo, hi, group="all", treated=412):
    return {"outcome": outcome, "group": group, "estimate": estimate, "ci_low": lo, "ci_high": hi,
            "treated": treated, "controls": 223, "unit": "次/百台月"}


def _relative(outcome, with_works, without, pct=None, pct_lo=None, pct_hi=None, events=None):
    return {"outcome": outcome, "by": None, "group": "all", "with_works": with_works, "without_works": without,
            "change_pct": pct, "change_pct_ci_low": pct_lo, "change_pct_ci_high": pct_hi,
            "events": events or {"treated_before": 80, "treated_after": 60, "controls": 90}, "too_few_events": False}


def test_a_confirmed_decrease_reads_as_the_issue_shows_it():
    zh, en = conclusion(_report(
        [_effect("entrapments", -1.2, -1.47, -0.86), _effect("hazards", -0.3, -0.9, 0.3),
         _effect("failed_inspections", 0.14, None, None)],
        [_relative("entrapments", 0.9, 2.1, -57.1, -70.0, -41.0), _relative("hazards", 2.0, 2.3),
         _relative("failed_inspections", 0.3, 0.16, events={"treated_before": 3, "treated_after": 7, "controls": 6})]))
    assert zh == ("2024-01-01 至 2024-12-31 完成整治的电梯（412 台），困人故障由每百台月 2.1 次降至 0.9 次（降幅 57%，"
                  "95% 置信区间 41%–70%，对照：尚未整治的 223 台）；发现隐患每百台月 2.0 次，与尚未整治的电梯相比没有可分辨的变化"
                  "（估计变化 -0.30 次，95% 置信区间 -0.90 至 +0.30 次）；定期检验不合格事件太少（整治前 3 次、整治后 7 次、"
                  "对照 6 次，各需至少 10 次），估计变化 +0.14 次/百台月，不给出置信区间、不作判断。")
    assert en.startswith("Elevators remediated between 2024-01-01 and 2024-12-31 (412): entrapments fell from 2.1 "
                         "to 0.9 per 100 elevator-months (57% fewer, 95% CI 41%–70%; controls: 223 elevators not yet "
                         "remediated); hazards found: no discernible change")


def test_too_few_elevators_and_the_recommendation():
    zh, _ = conclusion(_report([_effect("entrapments", None, None, None, treated=3)],
                               [_relative("entrapments", None, None)], treated=3, controls=4))
    assert zh == ("2024-01-01 至 2024-12-31 完成整治、可以比较的电梯 3 台，对照（尚未整治）223 台，少于估计所需的各 5 台，"
                  "无法估计整治效果；整治前后的原始比较见“整治前后原始比较”。")
    zh, _ = conclusion(_report(
        [_effect("entrapments", -0.74, -3.0, 1.53)], [_relative("entrapments", 2.5, 3.24)],
        rec_effects=[_effect("entrapments", -1.07, -3.77, 1.62, "followed", 375),
                     _effect("entrapments", 2.2, None, None, "less", 37)]))
    assert zh.endswith("提升评估整改建议有效性：困人故障，按评估结论整治的 375 台每百台月变化 -1.07 次（95% 置信区间 -3.77 至 +1.62）；"
                       "整治少于评估要求的 37 台每百台月变化 +2.20 次（事件太少，不给区间）。")
    assert zh.startswith("2024-01-01 至 2024-12-31 完成整治的电梯（412 台），困人故障每百台月 2.5 次，与尚未整治的电梯相比"
                         "没有可分辨的变化（估计变化 -0.74 次，95% 置信区间 -3.00 至 +1.53 次，对照：尚未整治的 223 台）。"
                         "提升评估整改建议有效性：")
