"""Every Chinese feature in features/ runs as part of the test suite (pytest-bdd)."""

from pytest_bdd import scenarios

from checker.bdd.steps import *  # noqa: F401,F403 - the step vocabulary and its `world` fixture

scenarios(".")  # bdd_features_base_dir = features (pyproject.toml)
