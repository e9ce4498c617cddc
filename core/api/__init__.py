"""Wenku as a local HTTP API (``wenku serve``), over the one facade :class:`core.Engine`.

``security`` (who may connect; no web framework), ``jobs`` (import jobs on one worker thread),
``errors`` (engine errors → HTTP statuses), ``schemas`` (request/response bodies), ``streaming``
(blocking answers → async events, cancel on disconnect, SSE), ``routes`` (``/api``),
``openai_compat`` (``/v1``), ``app`` (the application factory and the request guard), ``server``
(bind and run uvicorn). FastAPI and uvicorn are imported only by ``wenku serve``: importing the
engine, the CLI or the GUI never loads them.
"""
