"""The progress panel: a pywebview window run as its own process (`paxel panel`).

Importing this package loads no GUI toolkit; `paxel.panel.app` is the only module that imports
pywebview/Qt. The display probe both the panel and the service need lives below them, in
`paxel.display`.
"""
