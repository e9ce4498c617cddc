"""The one documented exception tree of the Wenku engine.

Every error the engine raises on purpose derives from :class:`WenkuError`. Errors the user can fix
(a bad file, a missing model, a wrong workspace name) derive from :class:`UserError`; the CLI turns
those into exit code 1 and a one-line message, anything else into exit code 2. The GUI maps each
class to a translated sentence and shows ``str(error)`` as the details to copy.

Any thread may raise or catch these; they carry only plain data.
"""

from __future__ import annotations


class WenkuError(Exception):
    """Base class of every error Wenku raises on purpose."""


class UserError(WenkuError):
    """Something the user can fix: the message says what and how."""


# --- workspaces -------------------------------------------------------------------------------


class WorkspaceError(UserError):
    """A workspace cannot be created, opened, renamed or deleted."""


class InvalidWorkspaceName(WorkspaceError):
    """The name contains a path separator, ``..``, control characters, or is empty/too long."""


class WorkspaceNotFound(WorkspaceError):
    """No workspace of that name exists in the data directory."""


class WorkspaceExists(WorkspaceError):
    """A workspace of that name already exists."""


class WorkspaceLocked(WorkspaceError):
    """Another Wenku process holds the workspace open for writing."""


class WorkspaceIncompatible(WorkspaceError):
    """The workspace was indexed with another embedding model or a newer schema."""


# --- ingest -----------------------------------------------------------------------------------


class IngestError(UserError):
    """One file could not be imported. Reported per file; never aborts a batch."""


class SourceMissing(IngestError):
    """The path does not exist or cannot be read."""


class EmptyFile(IngestError):
    """The file has zero bytes."""


class NotAPdf(IngestError):
    """The file does not start with a PDF header (e.g. another format renamed to .pdf)."""


class CorruptPdf(IngestError):
    """PyMuPDF cannot parse the file."""


class EncryptedPdf(IngestError):
    """The PDF is password-protected."""


class UnsupportedFormat(IngestError):
    """The file is of a kind Wenku does not import (the message lists the kinds it does)."""


class CorruptFile(IngestError):
    """A non-PDF file (DOCX, picture, text) is damaged, or is not what its extension says."""


class NoTextFound(IngestError):
    """Neither the text layer nor OCR yielded any text."""


# --- models and dependencies ------------------------------------------------------------------


class ModelError(UserError):
    """A model file is missing, corrupt, or cannot be loaded."""


class ModelMissing(ModelError):
    """The model file (or the packages it is assembled from) is not installed."""


class ModelCorrupt(ModelError):
    """The model file does not match its expected size or sha256."""


class DependencyMissing(UserError):
    """An optional library is not installed; the message names the pip extra to install."""


# --- a chat model on a server (core.llm.openai_compat) ----------------------------------------


class ChatServerError(ModelError):
    """The OpenAI-compatible chat server failed; the message names its URL and what to do."""


class ChatServerUnreachable(ChatServerError):
    """No connection: nothing listens at the address, the host name is unknown, or TLS failed."""


class ChatServerTimeout(ChatServerError):
    """The server accepted no connection, or sent no answer token, within the configured time."""


class ChatServerAuthFailed(ChatServerError):
    """The server refused the API key (HTTP 401 or 403)."""


class ChatServerModelNotFound(ChatServerError):
    """HTTP 404: the server has no model of that name, or the base URL is not an OpenAI API."""


class ChatServerFailed(ChatServerError):
    """The server answered with an error (HTTP 5xx, or a 4xx such as a prompt longer than its context)."""


class ChatServerBadResponse(ChatServerError):
    """The reply was not an OpenAI-compatible one: malformed JSON or server-sent events, or a
    stream that ended before the answer did."""


# --- store ------------------------------------------------------------------------------------


class StoreError(WenkuError):
    """The vector store failed (disk full, corrupt shard, ...)."""


class DiskFull(StoreError, UserError):
    """The disk holding the data directory ran out of space."""


class StoreUnavailable(StoreError, UserError):
    """The Qdrant server of a workspace cannot be reached or refuses the request (wrong URL, server
    down, TLS failure, wrong API key); the message names the server."""


class MigrationFailed(StoreError, UserError):
    """Moving a workspace to another store failed its verification (or was cancelled); the
    workspace stays on its old store, unchanged."""


# --- the local API (``wenku serve``) ----------------------------------------------------------


class ServeError(UserError):
    """``wenku serve`` cannot start as asked: an address off this machine without a token, an
    unreadable token file, a port already in use."""
