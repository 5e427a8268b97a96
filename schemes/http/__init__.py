"""HTTP transport and session mapper: ``roc serve``, routes, ``httpRequest:`` and
``httpResponse:``, cookie sessions over ``session:``.

``asgi_app(kernel)`` is the ASGI application for any server or test client; the hooks
(the ``http`` config table, ``active:sessionRotate`` and ``roc serve``) are in
``plugin.py``. See the README's "Web transport" section.
"""

from __future__ import annotations

from typing import Any

__all__ = ["asgi_app"]


def asgi_app(kernel: Any) -> Any:
    """An ASGI 3 application for ``kernel``, configured from its ``http`` table."""
    from .app import asgi_app as make  # Starlette and anyio load only when serving

    return make(kernel)
