"""The codes `casetrail audit` reports about the history, listed by `casetrail rules` too."""

from casetrail.core.auditcodes import CODES
from casetrail.core.rules.registry import documented

for _code, (_name, _summary, _severity) in CODES.items():
    documented(_code, _name, _summary[0].upper() + _summary[1:] + ".", "audit", _severity)
