"""What servicedesk answers through the host's hooks: charges, billed notices, upgrade credits."""

from app.toolkit import hookimpl
from plugins.servicedesk import costs, dashboard, history, reaction_report


@hookimpl
def billable_charges(query):
    return costs.billable(query)


@hookimpl
def charges_billed(event):
    if event.source == costs.SOURCE:
        costs.mark_billed(tuple(event.references), event.invoice_id)


@hookimpl
def invoice_mail_attachments(customer_id, service_month):
    return reaction_report.invoice_attachments(customer_id, service_month)


@hookimpl
def upgrade_signed(event):
    costs.credit_fast_lane_fees(event)


@hookimpl
def audit_wordings():
    return history.wordings()


@hookimpl
def dashboard_panels(user):
    return dashboard.panels(user)
