"""Every Chinese feature in features/ runs as part of the test suite (pytest-bdd).

The shipped vocabulary (checker/bdd/steps.py) is used as it is, except for the sentences
that assert "no violation" (没有违规, 的违规数为 0, 不因规则 … 扣分): here they also require
that the rule was evaluated and judged at least one case (the report's `rules[].cases`). A
rule that judged nothing reports no violation for every submission, so "没有违规" alone
cannot tell a clean record from a rule that never looked.

Where judging nothing is the point (a month whose last day lies after the period, an elevator
not yet old), the scenario or its Examples block carries the tag @nothing_to_judge, and the
same sentences then require exactly 0 cases. `liftcheck features` ignores the tag.
"""

from pytest_bdd import parsers, scenarios, then

import checker.bdd.steps as shipped
from checker.bdd.steps import *  # noqa: F401,F403 - the step vocabulary and its `world` fixture

# The stricter sentences below take the fixture names of the shipped ones they replace.
NO_VIOLATION_SENTENCES = [
    ("re", r'规则 "(?P<rule>[^"]+)" 没有违规'),
    ("re", r'规则 "(?P<rule>[^"]+)" 对 "(?P<subject>[^"]+)" 没有违规'),
    ("parse", '规则 "{rule}" 的违规数为 {count:d}'),
    ("parse", '单位 "{org}" 不因规则 "{rule}" 扣分'),
]
for _kind, _pattern in NO_VIOLATION_SENTENCES:
    del globals()[f"pytestbdd_stepdef_then_{_pattern}"]  # KeyError if the shipped vocabulary changed


NOTHING_TO_JUDGE = "nothing_to_judge"


def judged(world: shipped.World, rule: str, request) -> dict:
    """The rule's status; an AssertionError unless it was evaluated and judged at least one case
    (exactly none under @nothing_to_judge)."""
    shipped._of(world, rule)  # the rule exists
    status = next(r for r in shipped._report(world)["rules"] if r["rule_id"] == rule)
    if not status["evaluated"]:
        raise AssertionError(f"规则 {rule}：期望已评判，实际未评判（{status.get('reason_zh') or '缺少所需记录'}）")
    if request.node.get_closest_marker(NOTHING_TO_JUDGE) is not None:
        if status["cases"] != 0:
            raise AssertionError(f"规则 {rule}：标签 @{NOTHING_TO_JUDGE} 期望没有可评判的对象，实际评判了 {status['cases']} 个")
    elif status["cases"] <= 0:
        raise AssertionError(f"规则 {rule}：“没有违规”不足为凭——规则没有可评判的对象（0 个）；请在场景中给出它应当评判的"
                             f"对象，或者（确实无可评判时）给场景或例子加标签 @{NOTHING_TO_JUDGE}")
    return status


@then(parsers.re(NO_VIOLATION_SENTENCES[0][1]))
def then_none(world: shipped.World, rule: str, request):
    shipped.then_count(world, rule, 0)
    judged(world, rule, request)


@then(parsers.re(NO_VIOLATION_SENTENCES[1][1]))
def then_none_for(world: shipped.World, rule: str, subject: str, request):
    shipped.then_none_for(world, rule, subject)
    judged(world, rule, request)


@then(parsers.parse(NO_VIOLATION_SENTENCES[2][1]))
def then_count(world: shipped.World, rule: str, count: int, request):
    shipped.then_count(world, rule, count)
    status = judged(world, rule, request)
    if status["cases"] < count:
        raise AssertionError(f"规则 {rule}：{count} 条违规却只评判了 {status['cases']} 个对象")


@then(parsers.parse(NO_VIOLATION_SENTENCES[3][1]))
def then_no_points_for(world: shipped.World, org: str, rule: str, request):
    shipped.then_no_points_for(world, org, rule)
    judged(world, rule, request)


scenarios(".")  # bdd_features_base_dir = features (pyproject.toml)
