"""Identities shared by the native host, the installer and the extension.

The Chromium development id is derived from the public `key` in extension/manifest.json
(sha256 of the DER key, first 32 hex digits mapped 0-f -> a-p); a test keeps the two in step.
"""

HOST_NAME = "io.paxel.host"
FIREFOX_EXTENSION_ID = "paxel@paxel.io"
CHROMIUM_DEV_EXTENSION_ID = "ndedhmmbihgfnaoijdppbfijdeleggmn"
CHROMIUM_EXTENSION_IDS: tuple[str, ...] = (CHROMIUM_DEV_EXTENSION_ID,)
CHROMIUM_EXTENSION_PUBLIC_KEY = (
    "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAttvQXuieFqp/tg3eVkj15K42aZZS2bvmjS6s5kCHak/N"
    "xyAeNGgklym1iV8F3uZpau3Co9gfs60UmcWV75oKcMbK7sV91R6aAp6UT1VZZn3F+c4B4ZCnllOAP/HUb8JOgoTI"
    "J+oZ+dcq0pd053QRQhNaaX9MRulApeezUJRtldtK3JVoJzjrb0BtXjukiWhDLCpkB19UN0JdobDBtKHrNWwP5HyV"
    "gfBWuID/R53/eeYY+fRaHF9z+yh2wpGof+thDzPuioyFCk1UeuDaBXFdV9YMbRZOm+sBRs7cASF+hw6v1JVrKppX"
    "pYw9ek8ZivlsrJke3MsI1O7KBch6ywrDfwIDAQAB"
)

CHROMIUM_ORIGINS: tuple[str, ...] = tuple(f"chrome-extension://{i}/" for i in CHROMIUM_EXTENSION_IDS)
