"""整治后评价的报告: the evaluation end to end, as one dictionary every output is drawn from.

`evaluate(sub, start, end, …)` builds the panel (checker/effect.py), estimates every outcome
overall, per split (`--by`) and for the "提升评估整改建议有效性" comparison (works that followed
the assessment's conclusion vs less than it called for) with checker/effect_estimate.py, and
writes the conclusion first, in Chinese (and English). The JSON report is this dictionary:
`effects` items are exactly {outcome, group, estimate, ci_low, ci_high, treated, controls, unit}.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from checker import effect as fx
from checker.effect_estimate import (ALPHA, ANTICIPATION, BOOT_ITERATIONS, MIN_CONTROLS, MIN_EVENTS, MIN_TREATED,
                                     estimate)
from checker.validate import Submission

BY_CHOICES = ("kind", "district", "assessment_conclusion")
WHO_LABELS = {"treated_before": ("整治前（竣工当月之前）", "treated, before (months before the month of completion)"),
              "treated_completion_month": ("竣工当月（不计入比较）", "treated, month of completion (not compared)"),
              "treated_after": ("整治后（竣工次月起）", "treated, after (from the month after completion)"),
              "controls": ("对照：尚未整治", "controls: not yet remediated")}
CONCLUSION_LABELS = {"repair": "维修", "major_repair": "大修", "renovate": "改造", "replace": "更新",
                     "continue_use": "继续使用", "no_assessment": "无评估结论"}
HAZARD_COLUMNS = ([f"hazards_{s}" for s in fx.HAZARD_SEVERITIES] + [f"hazards_from_{s}" for s in fx.HAZARD_SOURCES])
HAZARD_LABELS = {"hazards_general": "一般隐患", "hazards_major": "重大隐患", "hazards_serious": "严重事故隐患",
                 "hazards_from_assessment": "隐患（来源：评估）", "hazards_from_screening": "隐患（来源：筛查）",
                 "hazards_from_inspection": "隐患（来源：检验）", "hazards_from_daily_check": "隐患（来源：日管控）",
                 "hazards_from_weekly_review": "隐患（来源：周排查）", "hazards_from_spot_check": "隐患（来源：监督抽查）",
                 "hazards_from_other": "隐患（来源：其他）"}


def outcome_label(column: str) -> str:
    return fx.OUTCOME_LABELS[column][0] if column in fx.OUTCOME_LABELS else HAZARD_LABELS.get(column, column)


def group_label(by: str | None, value: str) -> str:
    if value == "all":
        return "全部"
    if by in ("kind", "assessment_conclusion"):
        return CONCLUSION_LABELS.get(value, value)
    if by == "followed":
        return fx.FOLLOWED_LABELS.get(value, (value,))[0]
    return value


def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def evaluate(sub: Submission, start: dt.date, end: dt.date, by: str | None = None,
             outcomes: list[str] | None = None, seed: int = 1, iterations: int = BOOT_ITERATIONS) -> dict:
    outcomes = list(outcomes or fx.OUTCOMES)
    panel = fx.build_panel(sub, start, end)
    units = fx.comparison_units(panel)
    compared = units.filter(pl.col("role") != "left_out")
    treated = compared.filter(pl.col("role") == "treated")
    n_treated, n_controls = treated.height, compared.height - treated.height

    fits = []
    left_out_groups = []

    def run(split: str | None, value: str):
        for outcome in outcomes:
            long = fx.long_panel(panel, units, outcome, split, None if split is None else value)
            fit = estimate(long, outcome, value, seed, iterations)
            fits.append((split, fit))
            if fit.estimate is None and outcome == outcomes[0] and (fit.treated < MIN_TREATED
                                                                     or fit.controls < MIN_CONTROLS):
                left_out_groups.append({
                    "reason": "group_too_small", "by": split, "group": value, "elevators": fit.treated,
                    "records": None,
                    "zh": f"{group_label(split, value)}：已整治 {fit.treated} 台、对照 {fit.controls} 台，"
                          f"少于 {MIN_TREATED} 台已整治或 {MIN_CONTROLS} 台对照，未作估计",
                    "en": f"{value}: {fit.treated} treated and {fit.controls} controls, fewer than {MIN_TREATED} "
                          f"treated or {MIN_CONTROLS} controls: not estimated"})

    run(None, "all")
    split_values = []
    if by is not None:
        column = fx.GROUP_COLUMNS[by]
        split_values = sorted(v for v in treated.get_column(column).unique().to_list() if v is not None)
        if by == "district":
            split_values = sorted(set(split_values) | set(
                compared.get_column("district").drop_nulls().unique().to_list()))
        for value in split_values:
            run(by, value)
    followed_values = [v for v in ("followed", "less") if v in set(treated.get_column("followed").to_list())]
    for value in followed_values:
        run("followed", value)

    raw_columns = outcomes + (HAZARD_COLUMNS if "hazards" in outcomes else [])
    raw = fx.raw_table(panel, units, raw_columns)
    if by is not None:
        raw = pl.concat([raw, fx.raw_table(panel, units, outcomes, by)])
    raw_followed = fx.raw_table(panel, units, outcomes, "followed").filter(pl.col("group").is_in(["followed", "less"])) \
        if followed_values else raw.clear()
    after = {(r["outcome"], r["group"]): r["rate"] for r in
             pl.concat([raw, raw_followed]).filter(pl.col("who") == "treated_after").iter_rows(named=True)}

    def item(fit) -> dict:
        return {"outcome": fit.outcome, "group": fit.group, "estimate": _round(fit.estimate),
                "ci_low": _round(fit.ci_low), "ci_high": _round(fit.ci_high), "treated": fit.treated,
                "controls": fit.controls, "unit": fx.UNIT_ZH}

    def relative(fit, split) -> dict:
        observed = after.get((fit.outcome, fit.group))
        without = None if observed is None or fit.estimate is None else observed - fit.estimate
        # a share of a noisy counterfactual is only stated where the interval excludes no change
        shown = without is not None and without > 0 and fit.ci_low is not None and (fit.ci_high < 0 or fit.ci_low > 0)
        pct = (lambda v: round(100 * v / without, 1) if shown and v is not None else None)
        return {"outcome": fit.outcome, "by": split, "group": fit.group, "with_works": _round(observed),
                "without_works": _round(without), "change_pct": pct(fit.estimate),
                "change_pct_ci_low": pct(fit.ci_low), "change_pct_ci_high": pct(fit.ci_high),
                "events": fit.events, "too_few_events": fit.too_few_events}

    districts = sorted(set(units.get_column("district").drop_nulls().to_list()))
    main = [(s, f) for s, f in fits if s != "followed"]
    rec = [(s, f) for s, f in fits if s == "followed"]
    report = {
        "title_zh": "整治后评价：完成整治的电梯与尚未整治的电梯比较",
        "title_en": "Effect evaluation: remediated elevators against those not yet remediated",
        "period": {"from": start.isoformat(), "to": end.isoformat(), "months": panel.months_in_period},
        "by": by,
        "outcomes": outcomes,
        "unit": fx.UNIT_ZH,
        "unit_en": fx.UNIT_EN,
        "design": design(panel, units, iterations, seed),
        "effects": [item(f) for _, f in main],
        "relative": [relative(f, s) for s, f in main],
        "event_study": [{"outcome": f.outcome, "group": f.group, **e, "unit": fx.UNIT_ZH}
                        for s, f in main for e in f.event_study],
        "group_time": [{"outcome": f.outcome, "group": f.group, **g, "unit": fx.UNIT_ZH}
                       for s, f in main for g in f.group_time],
        "raw": _raw_items(raw),
        "raw_by_district": _raw_items(fx.raw_table(panel, units, outcomes, "district")),
        "recommendation": {
            "title_zh": "提升评估整改建议有效性：按评估结论整治与少于评估要求的整治",
            "effects": [item(f) for _, f in rec],
            "relative": [relative(f, s) for s, f in rec],
            "raw": _raw_items(raw_followed),
            "counts": {v: int(treated.filter(pl.col("followed") == v).height) for v in ("followed", "less", "no_assessment")},
        },
        "left_out": left_out(panel, units) + left_out_groups + rejected(sub),
        # per district, what its own view shows (the portal's district pages): no other district's ids
        "left_out_by_district": [x for d in districts for x in left_out(panel, units, d)] if by == "district" else [],
        "counts": {"population": panel.elevators.height, "treated": n_treated, "controls": n_controls,
                   "left_out": units.filter(pl.col("role") == "left_out").height},
    }
    report["conclusion_zh"], report["conclusion_en"] = conclusion(report)
    return report


def _raw_items(raw: pl.DataFrame) -> list[dict]:
    return [{**r, "elevator_months": round(r["elevator_months"], 2), "rate": _round(r["rate"])}
            for r in raw.iter_rows(named=True)]


def design(panel: fx.Panel, units: pl.DataFrame, iterations: int, seed: int) -> dict:
    from importlib.metadata import PackageNotFoundError, version

    try:
        library = f"csdid {version('csdid')}"
    except PackageNotFoundError:   # pragma: no cover - require_library refuses earlier
        library = "csdid"
    return {
        "method": "staggered difference-in-differences (Callaway & Sant'Anna 2021): group-time effects ATT(g,t), "
                  "not-yet-treated controls, aggregated to an overall effect and an event study",
        "method_zh": "交错双重差分（Callaway–Sant'Anna 分组—时间效应）：以尚未整治的电梯为对照，逐批（按竣工月份）逐月估计，"
                     "汇总为总体效果和竣工前后各月的事件研究",
        "library": library,
        "population_zh": "评估结论要求维修、大修、改造或更新，或有整治项目记录的在检查范围内电梯",
        "population_en": "in-scope elevators whose completed assessment calls for works (repair, major repair, "
                         "renovation, replacement) or that have a works record",
        "treated_zh": "期间内首次竣工、且竣工当月之前和之后各有至少一个整月数据的电梯；批次为竣工次月",
        "controls_zh": "到期末尚未开工整治的电梯（以及在各月尚未竣工的已整治电梯）",
        "anticipation_months": ANTICIPATION,
        "anticipation_zh": "竣工当月既不算整治前也不算整治后：每一批以竣工前一个月为基期",
        "exposure_zh": f"在用天数（停用日不计）；每台月 = {fx.DAYS_PER_MONTH:.2f} 个在用日，比率为每百台月的事件数；"
                       "停用日发生的事件不计入",
        "inference_zh": f"按电梯聚类的乘数自助法（{iterations} 次，种子 {seed}），95% 置信区间",
        "bootstrap_iterations": iterations,
        "seed": seed,
        "alpha": ALPHA,
        "min_treated": MIN_TREATED,
        "min_controls": MIN_CONTROLS,
        "min_events": MIN_EVENTS,
        "min_events_zh": f"整治前、整治后、对照各至少 {MIN_EVENTS} 次事件才给出置信区间（否则只给估计值，不作判断）",
    }


def left_out(panel: fx.Panel, units: pl.DataFrame, district: str | None = None) -> list[dict]:
    """What the comparison leaves out and why: elevators by reason (of one district's own, when
    given: a district's view names no other district's elevator), events not counted."""
    reasons = dict(fx.LEFT_OUT_REASONS) | {fx.SHORT_MONTH[0]: fx.SHORT_MONTH[1:]}
    out = []
    chosen = units.filter(pl.col("role") == "left_out")
    if district is not None:
        chosen = chosen.filter(pl.col("district") == district)
    counts = chosen.group_by("reason").agg(pl.len().alias("n"), pl.col("elevator_id").sort().head(5).alias("examples"))
    by_reason = {r["reason"]: r for r in counts.iter_rows(named=True)}
    for reason, (zh, en) in reasons.items():
        if reason in by_reason:
            r = by_reason[reason]
            out.append({"reason": reason, "by": None if district is None else "district", "group": district,
                        "elevators": r["n"], "records": None, "zh": zh, "en": en, "examples": r["examples"]})
    if district is not None:
        return out
    for r in panel.uncounted.iter_rows(named=True):
        zh = "停用日发生的记录（不计入在用天数的比率）" if r["reason"] == "stopped_day" else "投用日期之前的记录"
        en = "records dated on a stopped day (rates are per in-service day)" if r["reason"] == "stopped_day" \
            else "records dated before commissioning"
        out.append({"reason": f"{r['reason']}:{r['outcome']}", "by": None, "group": r["outcome"], "elevators": None,
                    "records": r["records"], "zh": f"{outcome_label(r['outcome'])}：{zh}", "en": f"{r['outcome']}: {en}"})
    return out


def rejected(sub: Submission) -> list[dict]:
    """Records set aside by --skip-invalid: not counted anywhere in the evaluation."""
    return [{"reason": f"rejected:{name}", "by": None, "group": name, "elevators": None, "records": n,
             "zh": f"{name}：校验未通过、未计入的记录（--skip-invalid）",
             "en": f"{name}: records rejected by validation and not counted (--skip-invalid)"}
            for name, n in sorted(sub.rejected_counts.items()) if n]


# ---- the conclusion, first, in plain Chinese ------------------------------------------------

def _sentence(eff: dict, rel: dict, with_controls: int | None = None) -> tuple[str, str]:
    label, label_en = fx.OUTCOME_LABELS[eff["outcome"]]
    controls_zh = f"，对照：尚未整治的 {with_controls:,} 台" if with_controls is not None else ""
    controls_en = f"; controls: {with_controls:,} elevators not yet remediated" if with_controls is not None else ""
    if eff["estimate"] is None:
        return f"{label}：样本不足，无法估计", f"{label_en}: too few elevators to estimate"
    without, observed = rel["without_works"], rel["with_works"]
    if eff["ci_low"] is None:
        n = rel.get("events") or {}
        counts_zh = f"整治前 {n.get('treated_before', 0)} 次、整治后 {n.get('treated_after', 0)} 次、对照 {n.get('controls', 0)} 次"
        counts_en = (f"{n.get('treated_before', 0)} before, {n.get('treated_after', 0)} after, "
                     f"{n.get('controls', 0)} among the controls")
        return (f"{label}事件太少（{counts_zh}，各需至少 {MIN_EVENTS} 次{controls_zh}），估计变化 {eff['estimate']:+.2f} "
                "次/百台月，不给出置信区间、不作判断",
                f"{label_en}: too few events ({counts_en}; {MIN_EVENTS} each needed{controls_en}): estimate "
                f"{eff['estimate']:+.2f} per 100 elevator-months, no interval and no conclusion")
    significant = eff["ci_high"] < 0 or eff["ci_low"] > 0
    if significant and rel["change_pct"] is not None and observed is not None:
        down = eff["estimate"] < 0
        pct_lo, pct_hi = sorted([abs(rel["change_pct_ci_low"]), abs(rel["change_pct_ci_high"])])
        verb, noun = ("降至", "降幅") if down else ("升至", "增幅")
        return (f"{label}由每百台月 {without:.1f} 次{verb} {observed:.1f} 次（{noun} {abs(rel['change_pct']):.0f}%，"
                f"95% 置信区间 {pct_lo:.0f}%–{pct_hi:.0f}%{controls_zh}）",
                f"{label_en} {'fell' if down else 'rose'} from {without:.1f} to {observed:.1f} per 100 elevator-months "
                f"({abs(rel['change_pct']):.0f}% {'fewer' if down else 'more'}, 95% CI {pct_lo:.0f}%–{pct_hi:.0f}%"
                f"{controls_en})")
    where = f"每百台月 {observed:.1f} 次，" if observed is not None else ""
    return (f"{label}{where}与尚未整治的电梯相比没有可分辨的变化（估计变化 {eff['estimate']:+.2f} 次，"
            f"95% 置信区间 {eff['ci_low']:+.2f} 至 {eff['ci_high']:+.2f} 次{controls_zh}）",
            f"{label_en}: no discernible change against elevators not yet remediated (estimate "
            f"{eff['estimate']:+.2f}, 95% CI {eff['ci_low']:+.2f} to {eff['ci_high']:+.2f} per 100 elevator-months"
            f"{controls_en})")


def conclusion(report: dict) -> tuple[str, str]:
    overall = [e for e in report["effects"] if e["group"] == "all"]
    rel = {(r["outcome"], r["group"]): r for r in report["relative"] + report["recommendation"]["relative"]}
    c = report["counts"]
    p = report["period"]
    if c["treated"] == 0:
        return (f"{p['from']} 至 {p['to']} 没有可以比较的已整治电梯（见“未纳入比较”），无法评价整治效果。",
                f"No remediated elevator could be compared between {p['from']} and {p['to']} (see left_out): "
                "the effect cannot be evaluated.")
    if overall and all(e["estimate"] is None for e in overall):
        e = overall[0]
        return (f"{p['from']} 至 {p['to']} 完成整治、可以比较的电梯 {e['treated']:,} 台，对照（尚未整治）{e['controls']:,} 台，"
                f"少于估计所需的各 {MIN_TREATED} 台，无法估计整治效果；整治前后的原始比较见“整治前后原始比较”。",
                f"{e['treated']:,} remediated and {e['controls']:,} control elevators could be compared between "
                f"{p['from']} and {p['to']}, fewer than the {MIN_TREATED} each an estimate needs: the effect cannot be "
                "estimated; see the raw before/after table.")
    zh, en = [], []
    for i, eff in enumerate(overall):
        s_zh, s_en = _sentence(eff, rel[(eff["outcome"], "all")], c["controls"] if i == 0 else None)
        zh.append(s_zh)
        en.append(s_en)
    text_zh = f"{p['from']} 至 {p['to']} 完成整治的电梯（{c['treated']:,} 台），" + "；".join(zh) + "。"
    text_en = f"Elevators remediated between {p['from']} and {p['to']} ({c['treated']:,}): " + "; ".join(en) + "."
    rec = {e["group"]: e for e in report["recommendation"]["effects"] if e["outcome"] == report["outcomes"][0]}
    if "followed" in rec and "less" in rec:
        parts_zh, parts_en = [], []
        for key in ("followed", "less"):
            e = rec[key]
            label_zh, label_en = fx.FOLLOWED_LABELS[key]
            if e["estimate"] is None:
                parts_zh.append(f"{label_zh}的 {e['treated']:,} 台样本不足，未估计")
                parts_en.append(f"{label_en} ({e['treated']:,}): too few to estimate")
            elif e["ci_low"] is None:
                parts_zh.append(f"{label_zh}的 {e['treated']:,} 台每百台月变化 {e['estimate']:+.2f} 次（事件太少，不给区间）")
                parts_en.append(f"{label_en} ({e['treated']:,}): {e['estimate']:+.2f} (too few events for an interval)")
            else:
                parts_zh.append(f"{label_zh}的 {e['treated']:,} 台每百台月变化 {e['estimate']:+.2f} 次"
                                f"（95% 置信区间 {e['ci_low']:+.2f} 至 {e['ci_high']:+.2f}）")
                parts_en.append(f"{label_en} ({e['treated']:,}): {e['estimate']:+.2f} "
                                f"(95% CI {e['ci_low']:+.2f} to {e['ci_high']:+.2f})")
        label = fx.OUTCOME_LABELS[report["outcomes"][0]]
        text_zh += f"提升评估整改建议有效性：{label[0]}，" + "；".join(parts_zh) + "。"
        text_en += f" Following the assessment ({label[1]}): " + "; ".join(parts_en) + "."
    return text_zh, text_en
