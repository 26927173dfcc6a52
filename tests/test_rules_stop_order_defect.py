"""Boundary tests for the two duties Revision 2 added: HAZARD-STOP-ORDER (五（三）) and DEFECT-REPAIR (四（一）)."""

from __future__ import annotations

from conftest import FIRM, MAINTAINER, elevator, keys, of, status, visits

ORDER = ["HAZARD-STOP-ORDER"]
DEFECT = ["DEFECT-REPAIR"]


def _serious(hid="H1", found="2024-03-01", rectified=None, source="assessment", severity="serious", eid="E1",
             assessment_id=None):
    return {"hazard_id": hid, "elevator_id": eid, "found_on": found, "source": source, "severity": severity,
            "rectified_on": rectified, "assessment_id": assessment_id}


def _stop(start, end=None, reason="order", eid="E1"):
    return {"elevator_id": eid, "start": start, "end": end, "reason": reason}


# ---- HAZARD-STOP-ORDER ---------------------------------------------------------------------

def test_stop_order_starting_on_f_or_f_plus_3_is_in_time_f_plus_4_is_late(judge):
    for start, expected in [("2024-03-01", []), ("2024-03-04", []), ("2024-03-05", [("H1", "H1")])]:
        r = judge("2024-01-01", "2024-12-31", rules=ORDER, hazards=[_serious()], stop_periods=[_stop(start)])
        assert keys(r, "HAZARD-STOP-ORDER") == expected, start
    [v] = of(r, "HAZARD-STOP-ORDER")
    assert (v["evidence"]["due_on"], v["evidence"]["fulfilled_on"], v["evidence"]["days_late"]) == \
        ("2024-03-04", "2024-03-05", 1)
    assert v["evidence"]["found_on"] == "2024-03-01"


def test_stop_order_is_the_market_regulators_notice_without_points(judge):
    r = judge("2024-01-01", "2024-12-31", rules=ORDER, hazards=[_serious()], stop_periods=[])
    [v] = of(r, "HAZARD-STOP-ORDER")
    assert (v["responsible_role"], v["responsible_org_id"], v["severity"]) == ("market_regulator", None, "notice")
    assert (v["subject"], v["period_key"]) == ("H1", "H1")
    assert v["clause"] == "《关于进一步加强老旧住宅电梯安全评估及整治工作的意见》（征求意见稿）五（三）"
    assert v["evidence"]["fulfilled_on"] is None
    assert r["credit"] == []
    assert r["parameters"]["hazard.order_within_days"]["interpretation"] is True


def test_only_an_order_stop_fulfils_it(judge):
    for reason in ("hazard", "owner", "works", "other"):
        r = judge("2024-01-01", "2024-12-31", rules=ORDER, hazards=[_serious()],
                  stop_periods=[_stop("2024-03-02", reason=reason)])
        assert keys(r, "HAZARD-STOP-ORDER") == [("H1", "H1")], reason
    r = judge("2024-01-01", "2024-12-31", rules=ORDER, hazards=[_serious()],
              stop_periods=[_stop("2024-03-02", reason="owner"), _stop("2024-03-03", reason="order")])
    assert of(r, "HAZARD-STOP-ORDER") == []


def test_an_order_stop_already_covering_f_fulfils_it_on_f(judge):
    for end in (None, "2024-03-02"):
        r = judge("2024-01-01", "2024-12-31", rules=ORDER, hazards=[_serious()],
                  stop_periods=[_stop("2024-02-20", end)])
        assert of(r, "HAZARD-STOP-ORDER") == [], end
    # A stop ending on f: f is its first day back in service, so the stop does not cover f.
    for end in ("2024-03-01", "2024-02-25"):
        r = judge("2024-01-01", "2024-12-31", rules=ORDER, hazards=[_serious()],
                  stop_periods=[_stop("2024-02-20", end)])
        assert keys(r, "HAZARD-STOP-ORDER") == [("H1", "H1")], end


def test_an_order_stop_of_another_elevator_does_not_fulfil_it(judge):
    r = judge("2024-01-01", "2024-12-31", rules=ORDER, elevators=[elevator("E1"), elevator("E2")],
              hazards=[_serious()], stop_periods=[_stop("2024-03-02", eid="E2")])
    assert keys(r, "HAZARD-STOP-ORDER") == [("H1", "H1")]


def test_rectified_by_the_due_day_leaves_nothing_to_stop(judge):
    for rectified in ("2024-03-01", "2024-03-04"):
        r = judge("2024-01-01", "2024-12-31", rules=ORDER, hazards=[_serious(rectified=rectified)], stop_periods=[])
        assert of(r, "HAZARD-STOP-ORDER") == [], rectified


def test_rectified_after_the_due_day_without_an_order_is_late(judge):
    r = judge("2024-01-01", "2024-12-31", rules=ORDER, hazards=[_serious(rectified="2024-03-05")], stop_periods=[])
    [v] = of(r, "HAZARD-STOP-ORDER")
    assert v["evidence"]["due_on"] == "2024-03-04" and v["evidence"]["rectified_on"] == "2024-03-05"
    assert v["evidence"]["fulfilled_on"] is None


def test_stop_order_only_for_serious_hazards_found_by_an_assessment(judge):
    r = judge("2024-01-01", "2024-12-31", rules=ORDER, stop_periods=[],
              assessments=[{"assessment_id": "A1", "elevator_id": "E1", "applied_on": "2024-01-10",
                            "completed_on": "2024-02-20"}],
              hazards=[_serious("H1"), _serious("H2", source="other", assessment_id="A1"),
                       _serious("H3", severity="major"), _serious("H4", source="spot_check"),
                       _serious("H5", source="inspection"), _serious("H6", source="daily_check")])
    assert keys(r, "HAZARD-STOP-ORDER") == [("H1", "H1"), ("H2", "H2")]


def test_stop_order_days_are_a_parameter(judge):
    r = judge("2024-01-01", "2024-12-31", rules=ORDER, hazards=[_serious()], stop_periods=[_stop("2024-03-05")],
              params={"hazard.order_within_days": 4})
    assert of(r, "HAZARD-STOP-ORDER") == []
    assert r["parameters"]["hazard.order_within_days"]["overridden"] is True


def test_stop_order_due_after_to_is_pending_and_settled_before_from_is_not_reported(judge):
    r = judge("2024-01-01", "2024-03-03", rules=ORDER, hazards=[_serious()], stop_periods=[])
    assert of(r, "HAZARD-STOP-ORDER") == []
    [p] = r["pending"]
    assert (p["rule_id"], p["subject"], p["due_on"]) == ("HAZARD-STOP-ORDER", "H1", "2024-03-04")
    settled = judge("2024-04-01", "2024-12-31", rules=ORDER, hazards=[_serious()], stop_periods=[_stop("2024-03-10")])
    assert of(settled, "HAZARD-STOP-ORDER") == []
    straddling = judge("2024-03-08", "2024-12-31", rules=ORDER, hazards=[_serious()], stop_periods=[_stop("2024-03-10")])
    assert keys(straddling, "HAZARD-STOP-ORDER") == [("H1", "H1")]


def test_stop_order_is_judged_without_a_stop_periods_file(judge):
    # "Not evaluated" lists hazards only for this rule: without stop records nothing shows an order.
    r = judge("2024-01-01", "2024-12-31", rules=ORDER, hazards=[_serious()])
    assert status(r, "HAZARD-STOP-ORDER")["evaluated"] is True
    assert keys(r, "HAZARD-STOP-ORDER") == [("H1", "H1")]
    r = judge("2024-01-01", "2024-12-31", rules=ORDER)
    assert status(r, "HAZARD-STOP-ORDER")["evaluated"] is False
    assert status(r, "HAZARD-STOP-ORDER")["reason_en"] == "not evaluated: no hazards submitted"


# ---- DEFECT-REPAIR -------------------------------------------------------------------------------

def _finding(*dates, eid="E1"):
    return [{"elevator_id": eid, "date": d, "inspector": "王伟", "result": "hazard_found"} for d in dates]


def _repair(*dates, eid="E1"):
    return visits(eid, list(dates), kind="repair")


def test_defect_repaired_on_d_or_d_plus_3_is_in_time_d_plus_4_is_late(judge):
    for repaired, expected in [("2024-03-01", []), ("2024-03-04", []), ("2024-03-05", [("E1", "2024-03-01")])]:
        r = judge("2024-01-01", "2024-12-31", rules=DEFECT, daily_checks=_finding("2024-03-01"), maintenance=_repair(repaired))
        assert keys(r, "DEFECT-REPAIR") == expected, repaired
    [v] = of(r, "DEFECT-REPAIR")
    assert (v["evidence"]["due_on"], v["evidence"]["fulfilled_on"], v["evidence"]["days_late"]) == \
        ("2024-03-04", "2024-03-05", 1)
    assert (v["responsible_role"], v["responsible_org_id"], v["severity"], v["clause"]) == \
        ("use_unit", FIRM, "general", "《中华人民共和国特种设备安全法》第四十二条")  # R3-5
    assert v["draft"] == "四（一）"


def test_defect_only_a_repair_record_of_that_elevator_dated_on_or_after_d_counts(judge):
    cases = {"before d": _repair("2024-02-29"), "a visit": visits("E1", ["2024-03-02"]),
             "another elevator": _repair("2024-03-02", eid="E2")}
    for what, records in cases.items():
        r = judge("2024-01-01", "2024-12-31", rules=DEFECT, elevators=[elevator("E1"), elevator("E2")],
                  daily_checks=_finding("2024-03-01"), maintenance=records)
        assert keys(r, "DEFECT-REPAIR") == [("E1", "2024-03-01")], what


def test_defect_registered_as_a_hazard_is_handed_to_the_hazard_rules(judge):
    def hazard(found):
        return [{"hazard_id": "H1", "elevator_id": "E1", "found_on": found, "source": "daily_check", "severity": "general"}]
    for found, expected in [("2024-03-01", 0), ("2024-03-04", 0), ("2024-03-05", 1), ("2024-02-28", 1)]:
        r = judge("2024-01-01", "2024-12-31", rules=DEFECT, daily_checks=_finding("2024-03-01"), hazards=hazard(found))
        assert len(of(r, "DEFECT-REPAIR")) == expected, found


def test_defect_a_stop_started_or_already_covering_d_fulfils_it(judge):
    cases = [(("2024-03-04", None), 0), (("2024-03-04", "2024-03-10"), 0), (("2024-03-05", None), 1),
             (("2024-02-25", None), 0), (("2024-02-25", "2024-03-02"), 0), (("2024-02-25", "2024-03-01"), 1)]
    for (start, end), expected in cases:
        r = judge("2024-01-01", "2024-12-31", rules=DEFECT, daily_checks=_finding("2024-03-01"),
                  stop_periods=[_stop(start, end, reason="hazard")])
        assert len(of(r, "DEFECT-REPAIR")) == expected, (start, end)


def test_defect_fulfilled_by_the_earliest_of_repair_hazard_and_stop(judge):
    r = judge("2024-01-01", "2024-12-31", rules=DEFECT, daily_checks=_finding("2024-03-01"),
              maintenance=_repair("2024-03-09"), stop_periods=[_stop("2024-03-07", reason="owner")],
              hazards=[{"hazard_id": "H1", "elevator_id": "E1", "found_on": "2024-03-06", "source": "daily_check",
                        "severity": "general"}])
    [v] = of(r, "DEFECT-REPAIR")
    assert (v["evidence"]["fulfilled_on"], v["evidence"]["days_late"]) == ("2024-03-06", 2)


def test_defect_findings_on_consecutive_days_are_separate_obligations(judge):
    for repaired, expected in [("2024-03-04", []), ("2024-03-05", ["2024-03-01"]),
                               ("2024-03-06", ["2024-03-01", "2024-03-02"])]:
        r = judge("2024-01-01", "2024-12-31", rules=DEFECT, daily_checks=_finding("2024-03-01", "2024-03-02"),
                  maintenance=_repair(repaired))
        assert [k for _, k in keys(r, "DEFECT-REPAIR")] == expected, repaired
    fingerprints = {v["fingerprint"] for v in of(r, "DEFECT-REPAIR")}
    assert len(fingerprints) == 2


def test_defect_a_normal_check_creates_nothing(judge):
    normal = [{"elevator_id": "E1", "date": "2024-03-01", "inspector": "王伟", "result": "normal"}]
    r = judge("2024-01-01", "2024-12-31", rules=DEFECT, daily_checks=normal, maintenance=[])
    assert of(r, "DEFECT-REPAIR") == [] and r["pending"] == []


def test_defect_days_are_a_parameter_and_deduct_from_a_property_firm(judge):
    from checker.credit import load_schedule

    r = judge("2024-01-01", "2024-12-31", rules=DEFECT, daily_checks=_finding("2024-03-01"), maintenance=_repair("2024-03-05"),
              params={"defect.repair_within_days": 4})
    assert of(r, "DEFECT-REPAIR") == []
    assert r["parameters"]["defect.repair_within_days"]["interpretation"] is True
    late = judge("2024-01-01", "2024-12-31", rules=DEFECT, daily_checks=_finding("2024-03-01"), maintenance=_repair("2024-03-07"))
    points = load_schedule().points.get("DEFECT-REPAIR", 0)
    assert points > 0
    # the three days are liftcheck's number, not adopted: the deduction is provisional (R3-6), never charged
    assert [i for f in late["credit"] for i in f["items"]] == []
    items = [(f["org_id"], i["period_key"], i["points"], i["provisional_en"])
             for f in late["credit"] for i in f["provisional_items"]]
    assert items == [(FIRM, "2024-03-01", points, ["rests on the interpretation defect.repair_within_days (not adopted)"])]


def test_defect_due_after_to_is_pending(judge):
    r = judge("2024-01-01", "2024-12-31", rules=DEFECT, daily_checks=_finding("2024-12-30"), maintenance=[])
    assert of(r, "DEFECT-REPAIR") == []
    [p] = r["pending"]
    assert (p["rule_id"], p["subject"], p["period_key"], p["due_on"]) == ("DEFECT-REPAIR", "E1", "2024-12-30", "2025-01-02")


def test_defect_not_evaluated_without_daily_checks_but_judged_without_maintenance(judge):
    r = judge("2024-01-01", "2024-12-31", rules=DEFECT, maintenance=_repair("2024-03-05"))
    assert status(r, "DEFECT-REPAIR")["reason_en"] == "not evaluated: no daily_checks or entrapments submitted"
    r = judge("2024-01-01", "2024-12-31", rules=DEFECT, daily_checks=_finding("2024-03-01"))
    assert keys(r, "DEFECT-REPAIR") == [("E1", "2024-03-01")]
    assert r["violations"][0]["maintenance_unit_id"] == MAINTAINER
