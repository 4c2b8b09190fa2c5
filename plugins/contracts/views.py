"""Contract pages."""

from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.database import db
from app.security import requires, scope_to_customer
from plugins.contracts.models import Contract

bp = Blueprint("contracts", __name__, url_prefix="/contracts", template_folder="templates")


@bp.get("/")
@requires("contracts.read")
def index():
    statement = scope_to_customer(
        select(Contract)
        .options(
            selectinload(Contract.periods),
            selectinload(Contract.site),
            selectinload(Contract.customer),
        )
        .order_by(Contract.customer_id, Contract.site_id),
        Contract.customer_id,
    )
    return render_template("contracts/index.html", contracts=db.session.scalars(statement).all())
