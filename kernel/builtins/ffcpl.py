"""``ffcpl:`` — NetKernel 3's module file space, so its scripts run as written.

``ffcpl:/PATH`` is the file ``PATH`` under ``file.root``: the same file as ``file:PATH``,
with the same confinement (README "Coming from NetKernel").
"""

from __future__ import annotations

from .file import FileScheme


class FfcplScheme(FileScheme):
    """Files under ``file.root``, addressed from the root: ``ffcpl:/src/page.idoc``."""

    def _body(self, uri: str) -> str:
        return super()._body("file:" + uri.partition(":")[2].lstrip("/"))
