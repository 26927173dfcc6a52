"""liftcheck: rules-as-code compliance checker for old residential elevators in Nanjing."""

__version__ = "0.1.0"
