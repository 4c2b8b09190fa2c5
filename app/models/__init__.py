"""Core records owned by the host: every plugin builds on customers, sites and the catalog."""

from app.models.audit import AuditEntry
from app.models.catalog import Tariff, Tier, TierVersion
from app.models.company import Company
from app.models.customers import Contact, Customer, InvoiceMode, Site
from app.models.outbox import OutboxAttachment, OutboxMessage, OutboxState
from app.models.users import ApiToken, Role, User

__all__ = [
    "ApiToken",
    "AuditEntry",
    "Company",
    "Contact",
    "Customer",
    "InvoiceMode",
    "OutboxAttachment",
    "OutboxMessage",
    "OutboxState",
    "Role",
    "Site",
    "Tariff",
    "Tier",
    "TierVersion",
    "User",
]
