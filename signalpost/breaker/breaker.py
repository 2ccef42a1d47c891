"""The circuit breaker users wrap a dependency's calls in: sync, async, decorator or ``with``."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any, NamedTuple, ParamSpec, TypeVar, Unpack, cast

from signalpost.breaker.state import (
    BreakerState,
    Permit,
    StateMachine,
    Transition,
)
from signalpost.breaker.telemetry import BreakerTelemetry
from signalpost.clock import Clock
from signalpost.errors.classify import ErrorClass, ErrorClassifier, TransientError
from signalpost.runtime import Collaborators, OnFirstUse, Runtime, deprecated_collaborators
from signalpost.runtime import installed as installed_runtime

__all__ = ["CircuitBreaker", "CircuitOpenError", "Fallback", "Guard"]

P = ParamSpec("P")
T = TypeVar("T")

Fallback = Callable[..., Any]
"""Called as ``fallback(error, *args, **kwargs)`` with the call's arguments; its result (awaited
for async calls when it is awaitable) is returned in place of the dependency's."""


class CircuitOpenError(TransientError):
    """Raised instead of calling the dependency while its breaker is open.

    Transient by the shared classifier (retrying later may succeed), so job retry policies
    retry it. ``retry_in`` is the number of seconds until the breaker lets a probe through.
    """

    def __init__(self, name: str, state: BreakerState, retry_in: float) -> None:
        super().__init__(f"circuit breaker {name!r} is {state.value}; retry in {retry_in:.1f} s")
        self.breaker = name
        self.state = state
        self.retry_in = retry_in


class CircuitBreaker:
    """Stops calling a dependency that keeps failing transiently, and probes it to recover.

    Only errors the classifier calls transient (timeouts, lost connections, overload,
    :class:`~signalpost.TransientError`) count as failures; any other error means the
    dependency answered, so it counts as a success and is re-raised as is.

    Example:
        >>> scoring = CircuitBreaker("scoring", failure_threshold=5, reset_timeout=30)
        >>> @scoring
        ... async def score(candidate: int) -> float: ...
        >>> value = scoring.call(requests.get, url, timeout=2)   # or: with scoring.guard(): ...

    Args:
        name: The dependency guarded; a metric label, so short and stable.
        failure_threshold: Consecutive transient failures that open the breaker.
        reset_timeout: Seconds an open breaker waits before letting a probe through.
        success_threshold: Successful probes that close a half-open breaker.
        half_open_max_calls: Probes allowed at once while half-open.
        fallback: Called on a rejected call or a transient failure, instead of raising.
        runtime: Where the breaker records (its registry), reads time (its clock) and
            learns which errors are transient (its classifier) (default:
            :func:`signalpost.runtime.current`, resolved on first use: a call, a guarded
            block, :meth:`open` or :meth:`close`; so a breaker made at import uses what
            ``setup()`` installed later); its metrics appear from then on. Given
            ``runtime=``, or made after ``setup()``, it resolves at construction, so its
            metrics exist (closed, no transitions) before the first call. The keywords
            ``classifier``, ``registry`` and ``clock`` still override it for one release,
            with a :class:`DeprecationWarning`.
    """

    def __init__(
        self,
        name: str,
        *,
        failure_threshold: int = 5,
        reset_timeout: float = 30.0,
        success_threshold: int = 1,
        half_open_max_calls: int = 1,
        fallback: Fallback | None = None,
        runtime: Runtime | None = None,
        **deprecated: Unpack[Collaborators],
    ) -> None:
        self.name = name
        self.fallback = fallback
        self._runtime = runtime
        self._given = deprecated_collaborators(
            "CircuitBreaker", deprecated, ("classifier", "registry", "clock")
        )
        self._resolved = OnFirstUse(runtime, self._given, self._build)
        self._machine = StateMachine(
            failure_threshold=failure_threshold,
            reset_timeout=reset_timeout,
            success_threshold=success_threshold,
            half_open_max_calls=half_open_max_calls,
            monotonic=self._monotonic,
        )
        if runtime is not None or "registry" in self._given or installed_runtime() is not None:
            # Nothing left to wait for: its metrics exist (at 0) before the first call, so
            # increase() over its transitions counts the first one.
            self._services()

    def _services(self) -> _Resolved:
        """Resolve the runtime once, on first use (a call, a guard, ``open``/``close``)."""
        return self._resolved.get()

    def _build(self, shared: Runtime) -> _Resolved:
        telemetry = BreakerTelemetry(self.name, shared.registry, lambda: self._machine.state)
        return _Resolved(shared.classifier, shared.clock, telemetry)

    def _monotonic(self) -> float:
        return self._services().clock.monotonic()

    @property
    def state(self) -> BreakerState:
        """The current state."""
        return self._machine.state

    @property
    def machine(self) -> StateMachine:
        """The state machine (thresholds, consecutive failures, time until a probe)."""
        return self._machine

    def open(self, reason: str = "opened by hand") -> None:
        """Open the breaker now (reported like any transition)."""
        self._report(self._machine.force(BreakerState.OPEN, reason))

    def close(self, reason: str = "closed by hand") -> None:
        """Close the breaker now (reported like any transition)."""
        self._report(self._machine.force(BreakerState.CLOSED, reason))

    def call(self, func: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Call ``func`` through the breaker."""
        permit = self._admit()
        if isinstance(permit, CircuitOpenError):
            return cast(T, self._fall_back(permit, args, kwargs))
        try:
            result = func(*args, **kwargs)
        except BaseException as error:
            if self._settle_error(permit, error):
                return cast(T, self._fall_back(error, args, kwargs))
            raise
        self._report(self._machine.succeeded(permit))
        return result

    async def acall(self, func: Callable[P, Awaitable[T]], *args: P.args, **kwargs: P.kwargs) -> T:
        """Await ``func(*args, **kwargs)`` through the breaker."""
        permit = self._admit()
        if isinstance(permit, CircuitOpenError):
            return cast(T, await _resolve(self._fall_back(permit, args, kwargs)))
        try:
            result = await func(*args, **kwargs)
        except BaseException as error:
            if self._settle_error(permit, error):
                return cast(T, await _resolve(self._fall_back(error, args, kwargs)))
            raise
        self._report(self._machine.succeeded(permit))
        return result

    def __call__(self, func: Callable[P, T]) -> Callable[P, T]:
        """Decorate a function or coroutine function so that every call goes through."""
        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def guarded_async(*args: Any, **kwargs: Any) -> Any:
                return await self.acall(func, *args, **kwargs)

            return cast(Callable[P, T], guarded_async)

        @functools.wraps(func)
        def guarded(*args: P.args, **kwargs: P.kwargs) -> T:
            return self.call(func, *args, **kwargs)

        return guarded

    def guard(self) -> Guard:
        """A fresh ``with``/``async with`` block guarded by the breaker (no fallback: a
        rejected block raises :class:`CircuitOpenError`)."""
        return Guard(self)

    def _admit(self) -> Permit | CircuitOpenError:
        permit, moved = self._machine.admit()
        self._report(moved)
        if permit is not None:
            return permit
        state, retry_in = self._machine.state, self._machine.retry_in()
        self._services().telemetry.rejected(state, retry_in)
        return CircuitOpenError(self.name, state, retry_in)

    def _settle_error(self, permit: Permit, error: BaseException) -> bool:
        """Record the outcome of a call that raised; whether the error was transient."""
        if not isinstance(error, Exception):  # cancelled, interrupted: no verdict
            self._machine.abandoned(permit)
            return False
        if self._services().classifier.classify(error) is ErrorClass.TRANSIENT:
            self._report(self._machine.failed(permit))
            return True
        self._report(self._machine.succeeded(permit))
        return False

    def _fall_back(
        self, error: BaseException, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        if self.fallback is None:
            raise error
        return self.fallback(error, *args, **kwargs)

    def _report(self, moved: Transition | None) -> None:
        if moved is not None:
            self._services().telemetry.transition(moved)


class _Resolved(NamedTuple):
    classifier: ErrorClassifier
    clock: Clock
    telemetry: BreakerTelemetry


class Guard:
    """One guarded block; :meth:`CircuitBreaker.guard` makes a fresh one per use."""

    def __init__(self, breaker: CircuitBreaker) -> None:
        self._breaker = breaker
        self._permit: Permit | None = None

    def __enter__(self) -> Guard:
        permit = self._breaker._admit()
        if isinstance(permit, CircuitOpenError):
            raise permit
        self._permit = permit
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        permit, self._permit = self._permit, None
        if permit is None:
            return
        if exc is None:
            self._breaker._report(self._breaker._machine.succeeded(permit))
        else:
            self._breaker._settle_error(permit, exc)

    async def __aenter__(self) -> Guard:
        return self.__enter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.__exit__(exc_type, exc, tb)


async def _resolve(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value
