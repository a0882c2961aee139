"""casetrail: case management kept as a signed, encrypted, plain-text git repository."""

__version__ = "0.1.0"
