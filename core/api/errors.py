"""HTTP status codes for the engine's errors (:mod:`core.errors`) and the API's own problems.

Every error response is ``{"error": {"message", "type", "code"}}`` (:class:`~core.api.schemas.ErrorBody`):
``type`` is the engine's error class name (``WorkspaceNotFound``) or the API's own
(``JobNotFound``, ``PathNotAllowed``, ``InvalidRequest`` …), ``code`` the status.
"""

from __future__ import annotations

from core import errors

#: Most specific first: the first class an error is an instance of gives its status.
_STATUS: tuple[tuple[type[BaseException], int], ...] = (
    (errors.WorkspaceNotFound, 404),
    (errors.InvalidWorkspaceName, 400),
    (errors.WorkspaceExists, 409),
    (errors.WorkspaceLocked, 409),
    (errors.WorkspaceIncompatible, 409),
    (errors.ModelError, 503),
    (errors.DependencyMissing, 503),
    (errors.DiskFull, 507),
    (errors.UserError, 400),
)
#: Failure kinds that are not classes of core.errors (AnswerFailed.kind values).
_KIND_STATUS = {"DocumentNotFound": 404}


class ApiProblem(Exception):
    """An error the API itself raises: a status, a type name and a message for the client."""

    def __init__(self, status: int, type_name: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.type_name = type_name
        self.message = message


def status_for(error: BaseException) -> int:
    """The HTTP status for an exception (500 for anything not known to be the client's doing)."""
    if isinstance(error, ApiProblem):
        return error.status
    return next((status for cls, status in _STATUS if isinstance(error, cls)), 500)


def status_for_kind(kind: str) -> int:
    """The HTTP status for an error known only by its class name (a failed answer, a failed job)."""
    if kind in _KIND_STATUS:
        return _KIND_STATUS[kind]
    cls = getattr(errors, kind, None)
    if isinstance(cls, type) and issubclass(cls, errors.WenkuError):
        return next((status for candidate, status in _STATUS if issubclass(cls, candidate)), 500)
    return 500
