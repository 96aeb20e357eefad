"""Patron notices: their text in the patron's language, and how they are sent."""

from kiosk.central.notices.mail import EmlFolderMailer, Mailer, send_pending
from kiosk.central.notices.templates import render

__all__ = ["EmlFolderMailer", "Mailer", "render", "send_pending"]
