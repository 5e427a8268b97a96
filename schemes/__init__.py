"""Scheme plugins that ship with roc (``session:``, ``chan:``); each registers through the
same pluggy hooks a third-party plugin uses."""
