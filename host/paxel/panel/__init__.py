"""The progress panel: a pywebview window run as its own process (`paxel panel`).

Importing this package (and `paxel.panel.display`) loads no GUI toolkit, so the service can
probe for a display cheaply; `paxel.panel.app` is the only module that imports pywebview/Qt.
"""
