"""What contracts answers through the host's hooks."""

from app.hooks import hookimpl
from plugins.contracts import queries


@hookimpl
def tier_in_force(site_id, at):
    return queries.tier_in_force(site_id, at)


@hookimpl
def tier_spans(first_day, last_day, site_ids):
    return queries.tier_spans(first_day, last_day, site_ids)
