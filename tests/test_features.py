"""Every Chinese feature in features/ runs as part of the test suite (pytest-bdd), with the
vocabulary drafters use (checker/bdd/steps.py): its "no violation" sentences (没有违规, 的违规数为
N, 不因规则 … 扣分) also require that the rule was evaluated and judged at least one case (the
report's `rules[].cases`), or exactly none under the tag @nothing_to_judge (docs/drafting.md).
"""

from pytest_bdd import scenarios

from checker.bdd.steps import *  # noqa: F401,F403 - the step vocabulary and its `world` fixture

scenarios(".")  # bdd_features_base_dir = features (pyproject.toml)
