"""Ticket lists, the ticket page and its actions."""

from flask import Blueprint

bp = Blueprint("tickets", __name__)

from ticketing.tickets import links, views, worklist  # noqa: E402, F401
