"""The drafters' Chinese Gherkin vocabulary (pytest-bdd steps) and the `liftcheck features` runner."""
