"""The recovery runner: an Alertmanager webhook receiver that runs recovery procedures declared
in configuration, with guard rails, and records every decision (``docs/recovery.md``)."""

from alertmanager.recovery.config import RecoveryConfig, Rule, load_config
from alertmanager.recovery.procedure import Procedure, ProcedureError

__all__ = ["Procedure", "ProcedureError", "RecoveryConfig", "Rule", "load_config"]
