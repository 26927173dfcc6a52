"""A realistic, deterministic Nanjing-like submission, with imperfections at documented rates.

Vectorised (numpy + polars) so that a city-year (20,000 elevators, ~8 M records) takes
seconds. Every rate below is documented in docs/sample-data.md; change them together.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from checker.contract import record_types
from checker.errors import LiftcheckError

DISTRICTS = ["玄武区", "秦淮区", "建邺区", "鼓楼区", "浦口区", "栖霞区", "雨花台区", "江宁区",
             "六合区", "溧水区", "高淳区", "江北新区"]
# District weights: older central districts hold more of the old stock.
DISTRICT_WEIGHTS = np.array([10, 11, 8, 14, 7, 9, 7, 14, 5, 3, 2, 10], dtype=float)
COMMUNITY_STEMS = ["梅园", "月牙湖", "龙江", "南湖", "莫愁", "仙鹤", "翠屏", "百家湖", "锁金", "迈皋桥",
                   "铁心桥", "江心洲", "汤山", "雄州", "永阳", "淳溪", "珠江", "沿江", "燕子矶", "小市"]
COMMUNITY_SUFFIX = ["新村", "花园", "小区", "苑", "家园", "保障房片区"]
SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗")
GIVEN = ["伟", "芳", "娜", "敏", "静", "磊", "军", "洋", "勇", "艳", "杰", "涛", "明", "超", "霞"]
MANUFACTURERS = ["宁通电梯有限公司", "金陵电梯制造有限公司", "扬子电梯股份有限公司", "钟山机电电梯有限公司",
                 "秦淮电梯工程有限公司", "紫金电梯制造有限公司", "长江电梯有限公司", "石城电梯有限公司"]

# Imperfection rates (docs/sample-data.md).
RATES = {
    "daily_check_missing_day": 0.004,
    "weekly_review_missing": 0.03,
    "monthly_dispatch_missing": 0.04,
    "unit_without_plan": 0.05,
    "unit_without_drill": 0.08,
    "alarm_test_fail": 0.03,
    "alarm_fix_late": 0.25,
    "entrapment_per_elevator_year": 0.4,
    "entrapment_no_arrival": 0.01,
    "maintenance_late_interval": 0.02,
    "dense_late_interval": 0.05,
    "maintenance_not_on_site": 0.01,
    "low_star_provider": 0.3,
    "inspection_fail": 0.02,
    "inspection_lapsed": 0.01,
    "old_not_screened": 0.12,
    "screening_late": 0.05,
    "screening_high": 0.12,
    "high_risk_late_application": 0.2,
    "affordable_not_assessed": 0.25,
    "workgroup_late": 0.25,
    "hazard_per_elevator_year": 0.3,
    "hazard_unrectified": 0.1,
    "hazard_rectified_late": 0.1,
    "hazard_not_listed": 0.2,
    "serious_not_stopped": 0.3,
    "fund_bad_basis": 0.35,
    "stop_period": 0.03,
    "daily_check_finding": 0.002,
    "defect_repaired_late": 0.1,
    # Revision 3 (records.md): the call to the rescuers, the cause, the fund decision, the
    # town government's funding plan, and the works themselves
    "entrapment_notified_late": 0.05,
    "entrapment_notified_missing": 0.05,
    "entrapment_cause_missing": 0.05,
    "fault_repaired_late": 0.1,
    "fund_undecided": 0.1,
    "fund_decided_late": 0.2,
    "fund_returned": 0.1,
    "funding_plan_late": 0.25,
    "assessment_completed_late": 0.1,
    "works_missing": 0.15,
    "works_less_than_called_for": 0.2,
    "works_unfinished": 0.1,
}
# The causes of entrapments, as the supervision platform records them (device_fault most often).
ENTRAPMENT_CAUSES = (["device_fault", "power_cut", "misuse", "external", "unknown"], [0.6, 0.15, 0.15, 0.05, 0.05])
# Works days by kind: (shortest, longest) from start to completion.
WORKS_DAYS = {"repair": (3, 15), "major_repair": (20, 60), "renovate": (30, 90), "replace": (45, 120)}
# The planted remediation effect (docs/sample-data.md, issue 24): after an elevator's first
# completed works, each of its events (an entrapment, a failed alarm test, a hazard, a daily-check
# finding, a failed periodic inspection) dated after the completion day is kept with this
# probability by kind of works, so that every rate falls by 1 - p: the truth the effect
# evaluation (`liftcheck effect`) is tested against. `--no-effect` keeps every event.
EFFECT_REMAINING = {"repair": 0.8, "major_repair": 0.6, "renovate": 0.5, "replace": 0.3}
# The effect draws come from a generator of their own (seeded from the seed and this tag), so the
# records every other draw makes are the same with and without the effect.
EFFECT_STREAM = 24


@dataclass
class SampleSpec:
    elevators: int
    start: dt.date
    end: dt.date
    seed: int = 1
    effect: bool = True   # plant the remediation effect (EFFECT_REMAINING); False: --no-effect


def _uscc(prefix: str, numbers: np.ndarray) -> list[str]:
    return [f"91320{prefix}{n:010d}X" for n in numbers]


def _days(start: dt.date, end: dt.date) -> int:
    return (end - start).days + 1


def _dates(base: dt.date, offsets: np.ndarray) -> pl.Series:
    """Dates `base + offsets` (days), clamped so that sentinel offsets stay representable."""
    epoch_days = (base - dt.date(1970, 1, 1)).days + np.clip(offsets.astype(np.int64), -10**5, 10**5)
    return pl.Series(epoch_days).cast(pl.Int32).cast(pl.Date)


def generate(spec: SampleSpec) -> dict[str, pl.DataFrame]:
    """All record types of a sample submission, as typed polars frames."""
    if spec.elevators < 1:
        raise LiftcheckError("电梯数量至少为 1", "--elevators must be at least 1")
    if spec.end < spec.start:
        raise LiftcheckError("结束日期早于开始日期", "--to is before --from")
    rng = np.random.default_rng(spec.seed)
    n = spec.elevators
    start, end = spec.start, spec.end
    ndays = _days(start, end)

    # ---- organizations -------------------------------------------------------------
    n_firms = max(2, n // 60)
    n_committees = max(1, n // 400)
    n_self = max(1, n // 1000)
    n_maint = max(2, n // 150)
    firm_ids = _uscc("1", np.arange(n_firms))
    committee_ids = _uscc("2", np.arange(n_committees))
    self_ids = _uscc("3", np.arange(n_self))
    maint_ids = _uscc("4", np.arange(n_maint))
    manu_ids = _uscc("5", np.arange(len(MANUFACTURERS)))
    # 30 % of maintenance units below 4 stars, in a fixed cycle so even a small sample has some
    stars = np.resize(np.array([5, 3, 4, 4, 2, 5, 4, 1, 5, 4]), n_maint)
    orgs = pl.DataFrame({
        "org_id": firm_ids + committee_ids + self_ids + maint_ids + manu_ids,
        "name": [f"南京{DISTRICTS[i % 12][:-1]}第{i + 1}物业服务有限公司" for i in range(n_firms)]
        + [f"第{i + 1}业主委员会" for i in range(n_committees)]
        + [f"第{i + 1}自管小区业主" for i in range(n_self)]
        + [f"南京第{i + 1}电梯维保有限公司" for i in range(n_maint)] + MANUFACTURERS,
        "kind": ["property_service_enterprise"] * n_firms + ["owners_committee"] * n_committees
        + ["self_managed"] * n_self + ["maintenance_unit"] * n_maint + ["manufacturer"] * len(MANUFACTURERS),
        "maintenance_star": [None] * (n_firms + n_committees + n_self) + [int(s) for s in stars]
        + [5] * len(MANUFACTURERS),
    }, schema_overrides={"maintenance_star": pl.Int64})

    # ---- elevators ------------------------------------------------------------------
    ids = [f"3110{3201 + (i % 12):04d}{i:08d}" for i in range(n)]
    district_idx = rng.choice(12, size=n, p=DISTRICT_WEIGHTS / DISTRICT_WEIGHTS.sum())
    community_no = rng.integers(0, max(1, n // 30), size=n)
    # about 45 % in use 15 years or more at the period's end
    age_days = np.where(rng.random(n) < 0.45, rng.integers(15 * 365 + 4, 30 * 365, size=n),
                        rng.integers(400, 15 * 365 - 30, size=n))
    # a few sit within days of the 15-year boundary, so the boundary is exercised
    near = rng.random(n) < 0.01
    age_days = np.where(near, 15 * 365 + 3 + rng.integers(-10, 10, size=n), age_days)
    commissioned = _dates(end, -age_days)
    unit_pick = rng.random(n)
    use_units = np.where(unit_pick < 0.9, np.array(firm_ids, dtype=object)[rng.integers(0, n_firms, n)],
                         np.where(unit_pick < 0.97, np.array(committee_ids, dtype=object)[rng.integers(0, n_committees, n)],
                                  np.array(self_ids, dtype=object)[rng.integers(0, n_self, n)]))
    affordable = rng.random(n) < 0.12
    households = np.where(affordable, rng.integers(40, 110, size=n), rng.integers(8, 60, size=n))
    manufacturer = np.array(manu_ids, dtype=object)[rng.integers(0, len(manu_ids), n)]
    by_manufacturer = rng.random(n) < 0.25
    maint = np.where(by_manufacturer, manufacturer, np.array(maint_ids, dtype=object)[rng.integers(0, n_maint, n)])
    status_pick = rng.random(n)
    status = np.where(status_pick < 0.96, "in_service", np.where(status_pick < 0.985, "stopped", "scrapped"))
    residential = rng.random(n) < 0.98
    elevators = pl.DataFrame({
        "elevator_id": ids,
        "registration_no": [f"梯11苏A{i:05d}(" + str(15 + i % 10) + ")" for i in range(n)],
        "rescue_code": [f"{(i * 7919) % 1_000_000:06d}" for i in range(n)],
        "district": [DISTRICTS[i] for i in district_idx],
        "subdistrict": [DISTRICTS[d][:-1] + "街道" for d in district_idx],
        "community": [COMMUNITY_STEMS[c % len(COMMUNITY_STEMS)] + COMMUNITY_SUFFIX[(c // 20) % 6] + f"{c // 120 + 1}区"
                      for c in community_no],
        "commissioned_on": commissioned,
        "use_unit_id": use_units.tolist(),
        "maintenance_unit_id": maint.tolist(),
        "manufacturer_id": manufacturer.tolist(),
        "residential": residential,
        "affordable_housing": affordable,
        "households_served": households.astype(np.int64),
        "status": status.tolist(),
    })
    active = elevators.filter(pl.col("status") != "scrapped")
    comm_days = (active.get_column("commissioned_on").cast(pl.Int32).to_numpy()
                 - (start - dt.date(1970, 1, 1)).days)
    m = active.height
    act_ids = np.array(active.get_column("elevator_id").to_list(), dtype=object)
    old_at_end = (age_days[np.array(elevators.get_column("status") != "scrapped")] >= 15 * 365 + 4)
    dense_flag = (np.array(active.get_column("affordable_housing")) & old_at_end
                  & (np.array(active.get_column("households_served")) > 70))

    # ---- daily checks: every day from max(start, commissioned) with a small missing rate
    first = np.maximum(comm_days, 0)
    counts = np.maximum(ndays - first, 0)
    el_rep = np.repeat(np.arange(m), counts)
    day_off = np.concatenate([np.arange(f, ndays) for f in first]) if m else np.array([], dtype=np.int64)
    keep = rng.random(len(el_rep)) >= RATES["daily_check_missing_day"]
    el_rep, day_off = el_rep[keep], day_off[keep]
    inspectors = np.array([s + g for s in SURNAMES for g in GIVEN], dtype=object)
    daily_found = rng.random(len(el_rep)) < RATES["daily_check_finding"]
    daily = pl.DataFrame({
        "elevator_id": act_ids[el_rep],
        "date": _dates(start, day_off),
        "inspector": inspectors[el_rep % len(inspectors)],
        "result": np.where(daily_found, "hazard_found", "normal"),
    })

    # ---- weekly reviews and monthly dispatches per use unit --------------------------
    units = active.get_column("use_unit_id").unique().sort().to_list()
    mondays = [start + dt.timedelta(days=(7 - start.weekday()) % 7 + 7 * k) for k in range(ndays // 7 + 1)]
    mondays = [d for d in mondays if d <= end]
    wr_units, wr_dates = [], []
    for u in units:
        keep_w = rng.random(len(mondays)) >= RATES["weekly_review_missing"]
        offs = rng.integers(0, 5, size=len(mondays))
        for mon, k, o in zip(mondays, keep_w, offs):
            day = mon + dt.timedelta(days=int(o))
            if k and day <= end:
                wr_units.append(u)
                wr_dates.append(day)
    weekly = pl.DataFrame({"use_unit_id": wr_units, "date": wr_dates, "director": "安全总监"},
                          schema={"use_unit_id": pl.String, "date": pl.Date, "director": pl.String})
    months = pl.date_range(start.replace(day=1), end, "1mo", eager=True).to_list()
    md_units, md_dates = [], []
    for ui, u in enumerate(units):
        keep_m = rng.random(len(months)) >= RATES["monthly_dispatch_missing"]
        if ui == 0 and len(months) > 2:
            keep_m[2] = False  # showcase: the first unit misses its third month
        for mon, k in zip(months, keep_m):
            day = mon + dt.timedelta(days=int(rng.integers(2, 25)))
            if k and start <= day <= end:
                md_units.append(u)
                md_dates.append(day)
    monthly = pl.DataFrame({"use_unit_id": md_units, "date": md_dates, "chair": "总经理"},
                           schema={"use_unit_id": pl.String, "date": pl.Date, "chair": pl.String})
    # the 2nd unit never has a plan and the 3rd's last drill is outside the window, so even a
    # small sample exercises EMERGENCY-PLAN and EMERGENCY-DRILL
    plans_units = [u for i, u in enumerate(units) if i != 1 and rng.random() >= RATES["unit_without_plan"]]
    plans = pl.DataFrame({"use_unit_id": plans_units,
                          "approved_on": _dates(start, -rng.integers(30, 900, size=len(plans_units)))},
                         schema={"use_unit_id": pl.String, "approved_on": pl.Date})
    drill_units = [u for u in units if rng.random() >= RATES["unit_without_drill"]]
    drill_days = rng.integers(0, max(1, ndays), size=len(drill_units))
    if len(units) > 2 and units[2] in drill_units:
        drill_days[drill_units.index(units[2])] = -400
    drills = pl.DataFrame({"use_unit_id": drill_units,
                           "date": _dates(start, drill_days),
                           "elevator_ids": [[] for _ in drill_units]},
                          schema={"use_unit_id": pl.String, "date": pl.Date, "elevator_ids": pl.List(pl.String)})

    # ---- maintenance: intervals of 12-15 days (dense: 7-10), a few late ones --------
    k = ndays // 6 + 6
    normal = rng.integers(12, 16, size=(m, k))
    late = rng.random((m, k)) < RATES["maintenance_late_interval"]
    normal = np.where(late, rng.integers(16, 25, size=(m, k)), normal)
    dense_iv = np.where(rng.random((m, k)) < RATES["dense_late_interval"], rng.integers(11, 14, size=(m, k)),
                        rng.integers(7, 11, size=(m, k)))
    intervals = np.where(dense_flag[:, None], dense_iv, normal)
    begin = np.maximum(comm_days, -rng.integers(0, 14, size=m) - 1)
    visits = begin[:, None] + np.cumsum(intervals, axis=1) - intervals[:, :1]
    v_el, v_k = np.nonzero(visits <= ndays - 1)
    v_day = visits[v_el, v_k]
    kind = np.where(v_k % 6 == 5, "quarter", "half_month")
    on_site = rng.random(len(v_el)) >= RATES["maintenance_not_on_site"]
    rep_n = max(1, m // 20)
    rep_el = rng.integers(0, m, size=rep_n)
    rep_day = rng.integers(0, ndays, size=rep_n)
    # a defect found by a daily check is repaired within days, a few of them late (DEFECT-REPAIR)
    found_idx = np.nonzero(daily_found)[0]
    late = rng.random(len(found_idx)) < RATES["defect_repaired_late"]
    fix_el = el_rep[found_idx]
    fix_day = day_off[found_idx] + np.where(late, rng.integers(4, 12, size=len(found_idx)),
                                            rng.integers(0, 4, size=len(found_idx)))
    rep_el, rep_day = np.concatenate([rep_el, fix_el]), np.concatenate([rep_day, fix_day])
    rep_n = len(rep_el)
    maint_units = np.array(active.get_column("maintenance_unit_id").to_list(), dtype=object)
    maintenance = pl.DataFrame({
        "elevator_id": np.concatenate([act_ids[v_el], act_ids[rep_el]]),
        "date": _dates(start, np.concatenate([v_day, rep_day])),
        "maintenance_unit_id": np.concatenate([maint_units[v_el], maint_units[rep_el]]),
        "kind": np.concatenate([kind, np.full(rep_n, "repair", dtype=object)]),
        "on_site": np.concatenate([on_site, np.ones(rep_n, dtype=bool)]),
    }).filter(pl.col("date") <= end).unique(maintain_order=True)

    # ---- inspections: a continuous yearly chain (each 5-29 days before the last one expires),
    # from the last one before the period (or the first after installation); a few fail, a few lapse
    cycles = ndays // 330 + 2
    first_day = np.maximum(rng.integers(-360, 1, size=m), comm_days + 365 - rng.integers(5, 30, size=m))
    steps = 365 - rng.integers(5, 30, size=(m, cycles))
    steps[:, 0] = 0
    chain = first_day[:, None] + np.cumsum(steps, axis=1)
    lapsed = rng.random(m) < RATES["inspection_lapsed"]
    in_service_idx = np.nonzero(np.array(active.get_column("status")) == "in_service")[0]
    if len(in_service_idx) > 1:
        lapsed[in_service_idx[1]] = True  # showcase: the second in-service elevator is never re-inspected
    keep = (chain < ndays) & (~lapsed[:, None] | (np.arange(cycles) == 0)[None, :])
    insp_el, insp_k = np.nonzero(keep)
    insp_days = chain[insp_el, insp_k]
    concl = np.where(rng.random(len(insp_el)) < RATES["inspection_fail"], "fail",
                     np.where(rng.random(len(insp_el)) < 0.04, "pass_after_rectification", "pass"))
    ins = pl.DataFrame({"elevator_id": act_ids[insp_el], "date": _dates(start, insp_days), "conclusion": concl,
                        "report_no": [f"JY{i:08d}" for i in range(len(insp_el))]})
    ins = ins.with_columns(
        pl.when(pl.Series(np.arange(len(insp_el)) % 10 == 0)).then(None)
        .otherwise(pl.col("date").dt.offset_by("1y")).alias("next_due"))
    ins = ins.select("elevator_id", "date", "conclusion", "next_due", "report_no")

    # ---- screenings and assessments --------------------------------------------------
    # a screening goes with each periodic inspection of an old elevator (四（二）: 结合定期检验),
    # a few days before or after it; some inspections have none (SCREENING-AT-INSPECTION)
    with_insp = old_at_end[insp_el] & (rng.random(len(insp_el)) >= RATES["old_not_screened"])
    scr_keep = insp_el[with_insp]
    scr_day = insp_days[with_insp] + rng.integers(-20, 11, size=int(with_insp.sum()))
    late_scr = rng.random(len(scr_keep)) < RATES["screening_late"]
    scr_day = np.where(late_scr, scr_day + rng.integers(31, 90, size=len(scr_keep)), scr_day)
    keep_scr = scr_day < ndays
    scr_keep, scr_day = scr_keep[keep_scr], scr_day[keep_scr]
    risk = np.where(rng.random(len(scr_keep)) < RATES["screening_high"], "high",
                    np.where(rng.random(len(scr_keep)) < 0.35, "medium", "low"))
    judged = (np.array(active.get_column("status")) == "in_service") & np.array(active.get_column("residential"))
    showcase = np.nonzero(judged[scr_keep])[0]
    if len(showcase):  # move the first screened in-service residential elevator to the front
        k0 = showcase[0]
        scr_keep[[0, k0]] = scr_keep[[k0, 0]]
        risk[0] = "high"          # showcase: the first screening is high risk ...
        scr_day[0] = max(0, ndays // 3)
    screenings = pl.DataFrame({"elevator_id": act_ids[scr_keep], "date": _dates(start, scr_day),
                               "risk_level": risk, "report_no": [f"SC{i:07d}" for i in range(len(scr_keep))]})
    high = risk == "high"
    a_el = scr_keep[high]
    a_applied = scr_day[high] + np.where(rng.random(high.sum()) < RATES["high_risk_late_application"],
                                         rng.integers(31, 90, size=high.sum()), rng.integers(1, 30, size=high.sum()))
    if len(a_applied):
        a_applied[0] = scr_day[0] + 45  # ... and its assessment is applied for 45 days later
    afford_old = np.nonzero(old_at_end & np.array(active.get_column("affordable_housing")))[0]
    afford_old = np.setdiff1d(afford_old, a_el)
    aff_keep = afford_old[rng.random(len(afford_old)) >= RATES["affordable_not_assessed"]]
    aff_keep = aff_keep[aff_keep != afford_old[0]] if len(afford_old) else aff_keep  # showcase: never assessed
    a_el = np.concatenate([a_el, aff_keep])
    a_applied = np.concatenate([a_applied, rng.integers(-400, max(1, ndays - 90), size=len(aff_keep))])
    na = len(a_el)
    a_completed = a_applied + rng.integers(20, 60, size=na)
    # a few assessments take longer than the town government's 90 days (ASSESSMENT-COMPLETION),
    # drawn from a generator of their own so that every other record stays as it was
    slow = np.random.default_rng(spec.seed + 7).random(na) < RATES["assessment_completed_late"]
    # ... and at least one applied for inside the period, so that even a small sample shows the rule
    # (one of an elevator that is not affordable housing, whose funding plan it would delay, and not
    # the showcase assessment 0)
    affordable = np.array(active.get_column("affordable_housing"))[a_el] if na else np.zeros(0, dtype=bool)
    inside = np.nonzero((a_applied >= 0) & (a_applied <= ndays - 160) & ~affordable & (np.arange(na) > 0))[0]
    if len(inside):
        slow[inside[0]] = True
    a_completed = np.where(slow, a_applied + 91 + np.arange(na) % 60, a_completed)
    a_concl = rng.choice(["continue_use", "repair", "major_repair", "renovate", "replace"], size=na,
                         p=[0.3, 0.35, 0.15, 0.12, 0.08])
    wg = a_completed + np.where(rng.random(na) < RATES["workgroup_late"], rng.integers(61, 120, size=na),
                                rng.integers(5, 55, size=na))
    plan = wg + rng.integers(0, 10, size=na)
    if na:
        a_concl[0] = "major_repair"           # showcase: major repair, working group late
        wg[0] = a_completed[0] + 75
        plan[0] = wg[0] + 3
    serious_concl = np.isin(a_concl, ["major_repair", "renovate", "replace"])
    # 四（五）: the town government's funding plan for an affordable-housing elevator whose
    # assessment calls for works (AFFORDABLE-FUNDING-PLAN), a few late
    a_affordable = np.array(active.get_column("affordable_housing"))[a_el] if na else np.zeros(0, dtype=bool)
    funding_plan = a_completed + np.where(rng.random(na) < RATES["funding_plan_late"], rng.integers(61, 150, size=na),
                                          rng.integers(10, 55, size=na))
    # showcase: an affordable-housing assessment reported inside the period whose funding plan comes late
    shown = np.nonzero(a_affordable & (a_completed >= 0) & (a_completed <= ndays - 150) & (np.arange(na) > 0))[0]
    if len(shown):
        if a_concl[shown[0]] == "continue_use":
            a_concl[shown[0]] = "repair"
        funding_plan[shown[0]] = a_completed[shown[0]] + 75
    needs_plan = a_affordable & (a_concl != "continue_use")
    assessment_ids = [f"PG{i:07d}" for i in range(na)]
    assessments = pl.DataFrame({
        "assessment_id": assessment_ids, "elevator_id": act_ids[a_el], "applied_on": _dates(start, a_applied),
        "completed_on": _dates(start, a_completed), "conclusion": a_concl,
        "working_group_on": _dates(start, wg), "plan_on": _dates(start, plan),
        "funding_plan_on": _dates(start, funding_plan),
    }).with_columns(
        pl.when(pl.Series(serious_concl)).then(pl.col("working_group_on")).alias("working_group_on"),
        pl.when(pl.Series(serious_concl)).then(pl.col("plan_on")).alias("plan_on"),
        pl.when(pl.Series(needs_plan) & (pl.col("funding_plan_on") <= end)).then(pl.col("funding_plan_on"))
        .alias("funding_plan_on"),
        # an assessment not yet finished at the period's end has no report yet
        pl.when(pl.col("completed_on") <= end).then(pl.col("completed_on")).alias("completed_on"),
    ).with_columns(pl.when(pl.col("completed_on").is_null()).then(None).otherwise(pl.col("conclusion")).alias("conclusion"))

    # ---- hazards -----------------------------------------------------------------------
    nh = rng.poisson(RATES["hazard_per_elevator_year"] * ndays / 365 * m)
    h_el = rng.integers(0, m, size=nh)
    h_found = rng.integers(-120, ndays, size=nh)
    sev = rng.choice(["general", "major", "serious"], size=nh, p=[0.8, 0.17, 0.03])
    if nh:
        sev[0] = "serious"  # the first hazard is serious and (below) never stopped nor rectified
    limit = np.where(sev == "general", 30, 90)
    fix = np.where(rng.random(nh) < RATES["hazard_rectified_late"], limit + rng.integers(1, 40, size=nh),
                   rng.integers(1, 30, size=nh))
    rectified = np.where(rng.random(nh) < RATES["hazard_unrectified"], -10**6, h_found + fix)
    if nh and len(in_service_idx):
        h_el[0] = in_service_idx[0]
        h_found[0] = min(ndays - 20, 30)
        rectified[0] = -10**6
    listed = np.where(rng.random(nh) < RATES["hazard_not_listed"], -10**6, h_found + rng.integers(1, 20, size=nh))
    if nh:
        listed[0] = -10**6  # showcase: the serious first hazard is never listed
    with_deadline = rng.random(nh) < 0.3
    h_source = rng.choice(["assessment", "screening", "inspection", "daily_check", "weekly_review", "spot_check"],
                          size=nh)
    if nh:
        h_source[0] = "assessment"  # showcase: found by an assessment, so it must be listed and ordered stopped
    # an assessment assesses an old elevator: its hazards are found on old elevators (the closed-loop
    # rate of 四（三） counts exactly those)
    old_el = np.nonzero(old_at_end)[0]
    by_assessment = np.nonzero((h_source == "assessment") & (np.arange(nh) > 0))[0]
    if len(old_el) and len(by_assessment):
        h_el[by_assessment] = old_el[h_el[by_assessment] % len(old_el)]
    hazards = pl.DataFrame({
        "hazard_id": [f"YH{i:07d}" for i in range(nh)], "elevator_id": act_ids[h_el],
        "found_on": _dates(start, h_found),
        "source": h_source,
        "severity": sev, "description": "部件老化磨损",
        "deadline": _dates(start, h_found + rng.integers(10, 60, size=nh)),
        "rectified_on": _dates(start, rectified), "listed_on": _dates(start, listed),
    }).with_columns(
        pl.when(pl.Series(with_deadline)).then(pl.col("deadline")).alias("deadline"),
        pl.when(pl.Series(rectified > -10**5)).then(pl.col("rectified_on")).alias("rectified_on"),
        pl.when(pl.Series((listed > -10**5) & (sev != "general"))).then(pl.col("listed_on")).alias("listed_on"),
    )

    # ---- stop periods: a few ordinary stops, stopped elevators, serious hazards ----------
    sp_el = np.nonzero(rng.random(m) < RATES["stop_period"])[0]
    if nh:
        sp_el = sp_el[sp_el != h_el[0]]
    sp_start = rng.integers(0, max(1, ndays - 10), size=len(sp_el))
    sp_end = sp_start + rng.integers(3, 60, size=len(sp_el))
    stopped_el = np.nonzero(np.array(active.get_column("status")) == "stopped")[0]
    # showcase: the first stopped elevator has no stop record at all, so it cannot be judged day by day
    stopped_el = stopped_el[1:]
    ser = np.nonzero((sev == "serious") & (rng.random(nh) >= RATES["serious_not_stopped"]))[0]
    ser = ser[ser != 0]
    # a stop record ends on 恢复使用日期, the first day back in service: the rectification day
    ser_end = np.where(rectified[ser] > -10**5, rectified[ser], ndays + 400)
    # a serious hazard found by an assessment is stopped by the regulator's order (HAZARD-STOP-ORDER)
    ser_reason = np.where(h_source[ser] == "assessment", "order", "hazard").astype(object)
    stops = pl.DataFrame({
        "elevator_id": np.concatenate([act_ids[sp_el], act_ids[stopped_el], act_ids[h_el[ser]]]),
        "start": _dates(start, np.concatenate([sp_start, rng.integers(-300, 0, size=len(stopped_el)), h_found[ser] + 1])),
        "end": _dates(start, np.concatenate([sp_end, np.full(len(stopped_el), 10**6), ser_end])),
        "reason": np.concatenate([np.full(len(sp_el), "works", dtype=object), np.full(len(stopped_el), "owner", dtype=object),
                                  ser_reason]),
    }).with_columns(pl.when(pl.col("end") > end).then(None).otherwise(pl.col("end")).alias("end"))
    stops = stops.filter(pl.col("end").is_null() | (pl.col("end") > pl.col("start")))

    # ---- entrapments: the call to the rescuers within minutes (a few late or unrecorded), their
    # arrival ~10 minutes after it (lognormal tail), the cause (a device fault most often)
    ne = rng.poisson(RATES["entrapment_per_elevator_year"] * ndays / 365 * m)
    e_el = rng.integers(0, m, size=ne)
    e_day = rng.integers(0, ndays, size=ne)
    e_sec = rng.integers(6 * 3600, 23 * 3600, size=ne)
    notify = np.where(rng.random(ne) < RATES["entrapment_notified_late"], rng.integers(301, 1200, size=ne),
                      rng.integers(30, 300, size=ne))
    arrive = np.clip(rng.lognormal(np.log(600), 0.6, size=ne), 120, 5400).astype(np.int64)
    if ne:
        arrive[0] = 1860  # one arrival at 31:00 after the call, so every sample has a late rescue
        notify[0] = 120
    release = notify + arrive + rng.integers(120, 1200, size=ne)
    cause = rng.choice(ENTRAPMENT_CAUSES[0], size=ne, p=ENTRAPMENT_CAUSES[1]).astype(object)
    cause[rng.random(ne) < RATES["entrapment_cause_missing"]] = None
    reported = _dates(start, e_day).cast(pl.Datetime("us")) + pl.Series(e_sec * 1_000_000).cast(pl.Duration("us"))
    notified_missing = rng.random(ne) < RATES["entrapment_notified_missing"]
    if ne:
        notified_missing[0] = False
    entrapments = pl.DataFrame({"incident_id": [f"KR{i:07d}" for i in range(ne)], "elevator_id": act_ids[e_el],
                                "reported_at": reported}).with_columns(
        (pl.col("reported_at") + pl.Series(notify * 1_000_000).cast(pl.Duration("us"))).alias("notified_at"),
        (pl.col("reported_at") + pl.Series((notify + arrive) * 1_000_000).cast(pl.Duration("us"))).alias("arrived_at"),
        (pl.col("reported_at") + pl.Series(release * 1_000_000).cast(pl.Duration("us"))).alias("released_at"),
        pl.Series(rng.integers(1, 5, size=ne)).alias("trapped"),
        pl.Series(maint_units[e_el] if ne else [], dtype=pl.String).alias("rescue_unit_id"),
        pl.Series(cause.tolist(), dtype=pl.String).alias("cause"),
    ).with_columns(
        pl.when(pl.Series(rng.random(ne) < RATES["entrapment_no_arrival"])).then(None)
        .otherwise(pl.col("arrived_at")).alias("arrived_at"),
        pl.when(pl.Series(notified_missing)).then(None).otherwise(pl.col("notified_at")).alias("notified_at"))
    # a device fault that trapped passengers is repaired within days, a few late (DEFECT-REPAIR)
    fault = np.nonzero(cause == "device_fault")[0]
    fault_late = rng.random(len(fault)) < RATES["fault_repaired_late"]
    fault_fix = e_day[fault] + np.where(fault_late, rng.integers(4, 12, size=len(fault)), rng.integers(0, 4, size=len(fault)))
    fault_repairs = pl.DataFrame({
        "elevator_id": act_ids[e_el[fault]], "date": _dates(start, fault_fix),
        "maintenance_unit_id": maint_units[e_el[fault]], "kind": np.full(len(fault), "repair", dtype=object),
        "on_site": np.ones(len(fault), dtype=bool)}, schema=maintenance.schema)
    maintenance = pl.concat([maintenance, fault_repairs.filter(pl.col("date") <= end)]).unique(maintain_order=True)

    # ---- alarm tests: monthly; a failure is usually retested ok within days ---------------
    months_n = max(1, ndays // 30)
    at_el = np.repeat(np.arange(m), months_n)
    at_day = np.tile(np.arange(months_n) * 30, m) + rng.integers(0, 5, size=m * months_n)
    ok = rng.random(len(at_el)) >= RATES["alarm_test_fail"]
    fail_idx = np.nonzero(~ok)[0]
    retest = at_day[fail_idx] + np.where(rng.random(len(fail_idx)) < RATES["alarm_fix_late"],
                                         rng.integers(4, 12, size=len(fail_idx)), rng.integers(1, 4, size=len(fail_idx)))
    alarm_tests = pl.DataFrame({
        "elevator_id": act_ids[np.concatenate([at_el, at_el[fail_idx]])],
        "date": _dates(start, np.concatenate([at_day, retest])),
        "ok": np.concatenate([ok, np.ones(len(fail_idx), dtype=bool)]),
    }).filter(pl.col("date") <= end).unique(maintain_order=True)

    # ---- maintenance-fund applications -----------------------------------------------------
    nf = max(2, na // 4) if na else 1  # at least the two showcases below (with assessments to name)
    f_pick = rng.integers(0, max(1, na), size=nf)
    f_pick[0] = 0  # showcase: the showcase elevator applies without naming any report
    bad = rng.random(nf) < RATES["fund_bad_basis"]
    bad[0] = True  # showcase: the first application names another elevator's report
    if nf > 1:
        bad[1] = False  # ... and the second names its own: well founded, if its report is recent and has a plan
    fund = pl.DataFrame({
        "application_id": [f"ZJ{i:07d}" for i in range(nf)],
        "elevator_id": act_ids[a_el[f_pick]] if na else act_ids[:nf],
        "applied_on": _dates(start, np.clip(a_completed[f_pick] + rng.integers(10, 200, size=nf), 0, ndays - 1)
                             if na else np.zeros(nf, dtype=np.int64)),
        "channel": np.where((rng.random(nf) < 0.6) | (np.arange(nf) < 2), "emergency", "ordinary"),
        "assessment_id": [None if b and i % 2 == 0 else (assessment_ids[(p + 1) % na] if b else assessment_ids[p])
                          for i, (b, p) in enumerate(zip(bad, f_pick))] if na else [None] * nf,
        "amount": np.round(rng.uniform(20_000, 400_000, size=nf), 2),
    }, schema_overrides={"assessment_id": pl.String})
    # the housing department's decision: within a week mostly, a few late, returned or pending
    decide = np.where(rng.random(nf) < RATES["fund_decided_late"], rng.integers(8, 25, size=nf), rng.integers(1, 8, size=nf))
    decision = np.where(rng.random(nf) < RATES["fund_returned"], "returned",
                        np.where(rng.random(nf) < 0.1, "rejected", "approved"))
    undecided = rng.random(nf) < RATES["fund_undecided"]
    if nf > 1:  # showcase: the well-founded second application is approved 12 days on (FUND-DECISION-TIME)
        decide[1], decision[1], undecided[1] = 12, "approved", False
    fund = fund.with_columns(
        (pl.col("applied_on") + pl.Series(decide).cast(pl.Int64).cast(pl.Duration("ms")) * 86_400_000).cast(pl.Date)
        .alias("decided_on"),
        pl.Series(decision.tolist(), dtype=pl.String).alias("decision"),
    ).with_columns(
        pl.when(pl.Series(undecided) | (pl.col("decided_on") > end)).then(None).otherwise(pl.col("decided_on"))
        .alias("decided_on")).with_columns(
        pl.when(pl.col("decided_on").is_null()).then(None).otherwise(pl.col("decision")).alias("decision"))

    # ---- works (更新、改造、修理): what an assessment calling for works led to ------------------
    # Most assessments calling for works are followed by a project of the kind it called for (a
    # few by less than it called for, a few by none yet), begun weeks after the report, finished
    # after a time that depends on the kind (a few unfinished).
    kinds = ["repair", "major_repair", "renovate", "replace"]
    missing = rng.random(na) < RATES["works_missing"]
    finished = np.nonzero((a_concl != "continue_use") & (a_completed < ndays))[0] if na else np.zeros(0, int)
    if len(finished):
        missing[finished[0]] = False   # showcase: every sample with a finished report calling for works has works
    called = np.nonzero((a_concl != "continue_use") & ~missing)[0] if na else np.zeros(0, int)
    w_kind = a_concl[called].astype(object)
    less = rng.random(len(called)) < RATES["works_less_than_called_for"]
    rank = np.array([kinds.index(k) for k in w_kind], dtype=np.int64)
    w_kind = np.where(less & (rank > 0), np.array(kinds, dtype=object)[np.maximum(rank - 1, 0)], w_kind)
    w_start = a_completed[called] + rng.integers(20, 120, size=len(called))
    if len(finished):
        first = int(np.nonzero(called == finished[0])[0][0])
        w_start[first] = min(w_start[first], ndays - 1)
    lo = np.array([WORKS_DAYS[k][0] for k in w_kind], dtype=np.int64)
    hi = np.array([WORKS_DAYS[k][1] for k in w_kind], dtype=np.int64)
    w_done = w_start + lo + (rng.random(len(called)) * (hi - lo + 1)).astype(np.int64)
    unfinished = rng.random(len(called)) < RATES["works_unfinished"]
    works = pl.DataFrame({
        "work_id": [f"GC{i:07d}" for i in range(len(called))], "elevator_id": act_ids[a_el[called]],
        "kind": w_kind.tolist(), "started_on": _dates(start, w_start), "completed_on": _dates(start, w_done),
        "assessment_id": [assessment_ids[i] for i in called],
        "cost": np.round(np.array([{"repair": 2e4, "major_repair": 8e4, "renovate": 15e4, "replace": 35e4}[k]
                                   for k in w_kind]) * rng.uniform(0.7, 1.3, size=len(called)), 2),
        "funding": [["maintenance_fund"] if i % 3 else ["maintenance_fund", "fiscal_subsidy"] for i in range(len(called))],
    }, schema={"work_id": pl.String, "elevator_id": pl.String, "kind": pl.String, "started_on": pl.Date,
               "completed_on": pl.Date, "assessment_id": pl.String, "cost": pl.Float64, "funding": pl.List(pl.String)}
    ).with_columns(
        pl.when(pl.Series(unfinished, dtype=pl.Boolean) | (pl.col("completed_on") > end)).then(None)
        .otherwise(pl.col("completed_on")).alias("completed_on")
    ).filter(pl.col("started_on") <= end)

    if spec.effect:
        entrapments, alarm_tests, hazards, daily, ins = plant_effect(
            np.random.default_rng([spec.seed, EFFECT_STREAM]), works, entrapments, alarm_tests, hazards, daily, ins)

    tables = {
        "organizations": orgs, "elevators": elevators, "daily_checks": daily, "weekly_reviews": weekly,
        "monthly_dispatches": monthly, "maintenance": maintenance, "inspections": ins, "screenings": screenings,
        "assessments": assessments, "hazards": hazards, "entrapments": entrapments, "alarm_tests": alarm_tests,
        "drills": drills, "emergency_plans": plans, "fund_applications": fund, "stop_periods": stops,
        "works": works,
    }
    types = record_types()
    return {name: _no_objects(df.select([c for c in types[name].field_names if c in df.columns]))
            for name, df in tables.items()}


def first_completions(works: pl.DataFrame) -> pl.DataFrame:
    """Per elevator, its first completed works: elevator_id, completed_on, kind."""
    return (works.filter(pl.col("completed_on").is_not_null()).sort("completed_on", "work_id")
            .group_by("elevator_id", maintain_order=True).first().select("elevator_id", "completed_on", "kind"))


def _after_works(df: pl.DataFrame, day: pl.Expr, event: pl.Expr, done: pl.DataFrame, rng: np.random.Generator,
                 protected: int | None = None) -> pl.Series:
    """Row numbers of the events of `df` (rows where `event`) that the planted effect takes away:
    each one dated after its elevator's first completed works is kept with the probability of the
    works' kind. One draw per such event, in row order; row `protected` (a showcase) is never taken."""
    if df.height == 0 or done.height == 0:   # (an empty table's columns may have no type yet)
        return pl.Series("_i", [], dtype=pl.UInt32)
    rows = (df.with_row_index("_i").filter(event).select("_i", "elevator_id", day.alias("_day"))
            .join(done, on="elevator_id", how="inner").filter(pl.col("_day") > pl.col("completed_on"))
            .filter(pl.col("_i") != (-1 if protected is None else protected)).sort("_i"))
    keep = rows.get_column("kind").replace_strict(EFFECT_REMAINING, return_dtype=pl.Float64).to_numpy()
    return rows.get_column("_i").filter(pl.Series(rng.random(rows.height) >= keep))


def plant_effect(rng: np.random.Generator, works: pl.DataFrame, entrapments: pl.DataFrame, alarm_tests: pl.DataFrame,
                 hazards: pl.DataFrame, daily: pl.DataFrame, inspections: pl.DataFrame):
    """The planted remediation effect (EFFECT_REMAINING): events after completed works thinned.
    An entrapment or hazard taken away is not recorded at all; a failed alarm test, a daily-check
    finding or a failed inspection taken away is recorded as passed (ok, normal, pass). The first
    entrapment and the first hazard are showcases of other rules and stay as they are."""
    done = first_completions(works)
    gone = _after_works(entrapments, pl.col("reported_at").dt.date(), pl.lit(True), done, rng, protected=0)
    entrapments = entrapments.with_row_index("_i").filter(~pl.col("_i").is_in(gone.implode())).drop("_i")
    gone = _after_works(alarm_tests, pl.col("date"), ~pl.col("ok"), done, rng)
    alarm_tests = alarm_tests.with_row_index("_i").with_columns(
        (pl.col("ok") | pl.col("_i").is_in(gone.implode())).alias("ok")).drop("_i")
    gone = _after_works(hazards, pl.col("found_on"), pl.lit(True), done, rng, protected=0)
    hazards = hazards.with_row_index("_i").filter(~pl.col("_i").is_in(gone.implode())).drop("_i")
    gone = _after_works(daily, pl.col("date"), pl.col("result") == "hazard_found", done, rng)
    daily = daily.with_row_index("_i").with_columns(
        pl.when(pl.col("_i").is_in(gone.implode())).then(pl.lit("normal")).otherwise(pl.col("result")).alias("result")
    ).drop("_i")
    gone = _after_works(inspections, pl.col("date"), pl.col("conclusion") == "fail", done, rng)
    inspections = inspections.with_row_index("_i").with_columns(
        pl.when(pl.col("_i").is_in(gone.implode())).then(pl.lit("pass")).otherwise(pl.col("conclusion"))
        .alias("conclusion")).drop("_i")
    return entrapments, alarm_tests, hazards, daily, inspections


def _no_objects(df: pl.DataFrame) -> pl.DataFrame:
    """A table a small sample leaves empty (no stop periods, no entrapments) has text columns, not
    numpy's object columns, which no file format can hold."""
    if df.height or pl.Object not in df.schema.values():
        return df
    return pl.DataFrame(schema={c: pl.String if t == pl.Object else t for c, t in df.schema.items()})


def _as_text(df: pl.DataFrame) -> pl.DataFrame:
    """Columns as the text a person would type: ISO dates, lists joined by ';'."""
    exprs = []
    for name, dtype in df.schema.items():
        col = pl.col(name)
        if dtype == pl.Datetime:
            exprs.append(col.dt.strftime("%Y-%m-%dT%H:%M:%S").alias(name))
        elif isinstance(dtype, pl.List):
            exprs.append(col.list.join(";").alias(name))
        else:
            exprs.append(col)
    return df.select(exprs)


EXCEL_MAX_ROWS = 1_048_575


def write(tables: dict[str, pl.DataFrame], out: Path, fmt: str = "csv", chinese_headers: bool = False) -> list[Path]:
    """Write a submission: one file per type (csv/jsonl) into the folder `out`, or one workbook
    (xlsx): `out` itself when it ends in .xlsx, else out/submission.xlsx."""
    workbook = fmt == "xlsx" and out.suffix.lower() == ".xlsx"
    (out.parent if workbook else out).mkdir(parents=True, exist_ok=True)
    types = record_types()
    written = []

    def headers(name: str, df: pl.DataFrame) -> pl.DataFrame:
        if not chinese_headers:
            return df
        return df.rename({f.name: f.label for f in types[name].fields if f.name in df.columns})

    if fmt == "xlsx":
        too_big = {n: df.height for n, df in tables.items() if df.height > EXCEL_MAX_ROWS}
        if too_big:
            name, rows = next(iter(too_big.items()))
            raise LiftcheckError(f"{name} 有 {rows} 行，超过 Excel 单表上限 {EXCEL_MAX_ROWS} 行；请改用 --format csv",
                                 f"{name} has {rows} rows, over Excel's {EXCEL_MAX_ROWS}-row sheet limit; use --format csv")
        path = out if workbook else out / "submission.xlsx"
        import xlsxwriter

        from checker.outputs import XLSX_OPTIONS

        with xlsxwriter.Workbook(path, XLSX_OPTIONS) as wb:
            for name, df in tables.items():
                headers(name, _as_text(df)).write_excel(wb, worksheet=name, autofit=df.height < 5000)
        return [path]
    for name, df in tables.items():
        if fmt == "csv":
            path = out / f"{name}.csv"
            headers(name, _as_text(df)).write_csv(path)
        elif fmt == "jsonl":
            path = out / f"{name}.jsonl"
            df.with_columns([pl.col(c).dt.strftime("%Y-%m-%dT%H:%M:%S") for c, t in df.schema.items()
                             if t == pl.Datetime]).write_ndjson(path)
        else:
            raise LiftcheckError(f"未知格式：{fmt}", f"unknown format: {fmt}")
        written.append(path)
    return written


# ---- a large sample, part by part ------------------------------------------------------------

_ORG_COLUMNS = ("org_id", "use_unit_id", "maintenance_unit_id", "manufacturer_id", "rescue_unit_id")
_RECORD_ID_COLUMNS = ("assessment_id", "hazard_id", "incident_id", "application_id", "report_no", "work_id")


def _renumber(tables: dict[str, pl.DataFrame], part: int, first: int) -> dict[str, pl.DataFrame]:
    """Part `part` of a large sample, its elevators numbered from `first`: ids that cannot meet
    another part's (organisations but the shared manufacturers, elevators, records)."""

    def org(c: str) -> pl.Expr:  # 91320 + kind digit + 10 digits + X; manufacturers (kind 5) are shared
        number = (pl.col(c).str.slice(6, 10).cast(pl.Int64) + part * 1_000_000).cast(pl.String).str.zfill(10)
        shifted = pl.concat_str([pl.col(c).str.slice(0, 6), number, pl.col(c).str.slice(16)])
        return pl.when(pl.col(c).str.slice(5, 1) == "5").then(pl.col(c)).otherwise(shifted).alias(c)

    def elevator(c: str) -> pl.Expr:  # 3110 + 4 digits + 8 digits
        number = (pl.col(c).str.slice(8, 8).cast(pl.Int64) + first).cast(pl.String).str.zfill(8)
        return pl.concat_str([pl.col(c).str.slice(0, 8), number]).alias(c)

    def record(c: str) -> pl.Expr:  # two letters + digits: the part's number after the letters
        return pl.concat_str([pl.col(c).str.slice(0, 2), pl.lit(f"{part:03d}"), pl.col(c).str.slice(2)]).alias(c)

    out = {}
    for name, df in tables.items():
        exprs = [org(c) for c in _ORG_COLUMNS if c in df.columns]
        exprs += [elevator(c) for c in ("elevator_id",) if c in df.columns]
        exprs += [record(c) for c in _RECORD_ID_COLUMNS if c in df.columns]
        out[name] = df.with_columns(exprs) if exprs else df
    return out


def generate_parts(spec: SampleSpec, part_elevators: int = 10_000):
    """A large sample (a province) in parts of `part_elevators` elevators, so that memory stays
    that of one part: each part is generated like a sample of its own (its own use units,
    maintenance units and records, a seed of its own) and renumbered so that no id meets
    another part's, except the manufacturers: the same eight in every part, so that each part
    is a valid submission on its own."""
    for part, first in enumerate(range(0, spec.elevators, part_elevators)):
        n = min(part_elevators, spec.elevators - first)
        tables = generate(SampleSpec(n, spec.start, spec.end, spec.seed + 1000 * part, spec.effect))
        yield _renumber(tables, part, first)
