"""The recovery runner's decisions for one alert: allow-list, precondition, rate limits, dry
run, action, verification and escalation, each recorded (:class:`~.audit.Audit`).

The guard rails run in that order; the first that stops an alert is the one recorded. Actions
and verifications run in the background (the webhook answers as soon as the decision is
recorded); procedures are called in worker threads.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime

import anyio
import anyio.to_thread
from anyio.abc import TaskGroup

from alertmanager.history.payload import AlertRecord
from alertmanager.recovery.amclient import AlertmanagerClient, AlertmanagerUnavailable
from alertmanager.recovery.audit import Audit, Decision, StoreUnavailable
from alertmanager.recovery.config import RecoveryConfig, Rule
from alertmanager.recovery.metrics import RecoveryMetrics
from alertmanager.recovery.procedure import Procedure, ProcedureError

__all__ = ["Runner"]

logger = logging.getLogger("alertmanager.recovery")


class Runner:
    """Decides and runs recovery procedures for the alerts Alertmanager sends.

    Args:
        config: The rules and switches.
        procedures: The procedures this runner offers, by name (the allow-list in ``config``
            decides which of them may run).
        audit: Where decisions are recorded and rate limits counted.
        alertmanager: Asked whether an alert resolved; escalations are posted there.
        clock: Monotonic seconds (tests inject their own).
        metrics: Actions in flight, verification durations, escalations (a fresh set by
            default; the app serves the audit's and the runner's shared set).
    """

    def __init__(
        self,
        config: RecoveryConfig,
        procedures: Mapping[str, Procedure],
        audit: Audit,
        alertmanager: AlertmanagerClient,
        clock: Callable[[], float] = time.monotonic,
        metrics: RecoveryMetrics | None = None,
    ) -> None:
        self._metrics = metrics or RecoveryMetrics()
        self._config = config
        self._procedures = dict(procedures)
        self._audit = audit
        self._am = alertmanager
        self._clock = clock
        self._tasks: TaskGroup | None = None

    def start(self, tasks: TaskGroup) -> None:
        """Run actions and verifications in ``tasks`` (the app's lifespan task group)."""
        self._tasks = tasks

    async def handle(self, alerts: list[AlertRecord]) -> list[Decision]:
        """Decide for every alert of one notification; returns the decisions recorded.

        Raises:
            StoreUnavailable: A decision could not be recorded (Alertmanager retries on 503;
                nothing was run for that alert).
        """
        decisions = []
        for alert in alerts:
            for rule in self._config.rules:
                if rule.matches(alert.labels, alert.status):
                    decisions.append(await self._decide(rule, alert))
        return decisions

    async def _decide(self, rule: Rule, alert: AlertRecord) -> Decision:
        procedure = self._procedures.get(rule.procedure)
        if rule.procedure not in self._config.allow or procedure is None:
            return await self._audit.record(
                rule, alert, "skipped", f"not allowed: {rule.procedure} is not in the allow-list"
                if procedure is not None else f"not allowed: no procedure {rule.procedure}")
        reason = await self._call(procedure.check, alert)
        if reason is not None:
            return await self._audit.record(rule, alert, "skipped", f"precondition: {reason}")
        if self._config.dry_run or rule.dry_run:
            target = rule.target(alert.labels)
            return await self._audit.record(
                rule, alert, "dry_run", f"would run {rule.procedure} on {target}")
        decision = await self._audit.claim(rule, alert, f"running {rule.procedure}")
        if decision.decision == "acted":
            if self._tasks is None:
                raise RuntimeError("Runner.start() was not called")
            self._tasks.start_soon(self._act, rule, procedure, alert, decision)
        return decision

    async def _act(
        self, rule: Rule, procedure: Procedure, alert: AlertRecord, decision: Decision
    ) -> None:
        started = self._clock()
        self._metrics.action_started(rule.procedure)
        try:
            try:
                done = await anyio.to_thread.run_sync(procedure.act, alert)
            except Exception as exc:  # a procedure's bug must not stop the runner
                detail = str(exc) if isinstance(exc, ProcedureError) else type(exc).__name__
                await self._safely(self._audit.complete(decision, f"failed: {detail}",
                                                        self._clock() - started))
                await self._fail(rule, alert, f"{rule.procedure} failed: {detail}")
                return
            await self._safely(self._audit.complete(decision, done, self._clock() - started))
            await self._verify(rule, procedure, alert, done)
        finally:
            self._metrics.action_ended(rule.procedure)

    async def _verify(
        self, rule: Rule, procedure: Procedure, alert: AlertRecord, done: str
    ) -> None:
        began = self._clock()
        deadline = began + rule.verify_within
        while True:
            if await self._resolved(procedure, alert):
                self._metrics.verified(rule.procedure, "verified", self._clock() - began)
                seconds = (datetime.now(UTC) - alert.starts_at).total_seconds()
                await self._safely(self._audit.record(
                    rule, alert, "verified",
                    f"resolved {seconds:.1f} s after the alert started", seconds))
                return
            if self._clock() >= deadline:
                break
            await anyio.sleep(self._config.verify_every)
        self._metrics.verified(rule.procedure, "failed", self._clock() - began)
        await self._fail(rule, alert, f"tried: {done}; {alert.alertname} still active "
                                      f"{rule.verify_within:g} s later")

    async def _resolved(self, procedure: Procedure, alert: AlertRecord) -> bool:
        try:
            own = await anyio.to_thread.run_sync(procedure.verify, alert)
        except Exception as exc:  # counted as "not yet": the deadline still escalates
            logger.warning("recovery: verify of %s raised %s", alert.alertname,
                           type(exc).__name__)
            return False
        if own is not None:
            return own
        if alert.status == "resolved":
            return True
        try:
            return not await self._am.is_active(alert.alertname, alert.fingerprint)
        except AlertmanagerUnavailable as exc:
            logger.warning("recovery: Alertmanager unavailable (%s)", exc)
            return False

    async def _fail(self, rule: Rule, alert: AlertRecord, detail: str) -> None:
        seconds = (datetime.now(UTC) - alert.starts_at).total_seconds()
        await self._safely(self._audit.record(rule, alert, "failed", detail, seconds))
        escalation = self._config.escalation
        labels = {
            **{k: alert.labels.get(k, "") for k in rule.target_labels},
            "alertname": escalation.alertname,
            "severity": escalation.severity,
            "service": alert.service or "",
            "recovered_alert": alert.alertname,
            "procedure": rule.procedure,
        }
        annotations = {
            "summary": f"{alert.service or '?'}: {rule.procedure} did not resolve "
                       f"{alert.alertname} on {rule.target(alert.labels)}",
            "description": detail,
        }
        if escalation.runbook_url:
            annotations["runbook_url"] = escalation.runbook_url
        try:
            await self._am.post_alert({k: v for k, v in labels.items() if v}, annotations)
        except AlertmanagerUnavailable as exc:
            logger.error("recovery: escalation not posted (%s): %s", exc, detail)
            await self._safely(self._audit.record(rule, alert, "failed",
                                                  f"escalation not posted: {exc}"))
            return
        self._metrics.escalated(rule.procedure)
        await self._safely(self._audit.record(
            rule, alert, "escalated", f"posted {escalation.alertname}: {detail}"))

    @staticmethod
    async def _call(check: Callable[[AlertRecord], str | None], alert: AlertRecord) -> str | None:
        try:
            return await anyio.to_thread.run_sync(check, alert)
        except Exception as exc:  # a failing precondition check means: do not act
            return f"the check raised {type(exc).__name__}"

    @staticmethod
    async def _safely(record: Awaitable[object]) -> None:
        # Background work has no one to answer 503 to: log what could not be recorded.
        try:
            await record
        except StoreUnavailable as exc:
            logger.error("recovery: a decision was not recorded (%s)", exc)
