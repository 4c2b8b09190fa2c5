"""The outbox page for admins: what is waiting, sent or failed, each message, resend."""

from __future__ import annotations

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from app import outbox
from app.database import db
from app.models.outbox import OutboxAttachment, OutboxMessage, OutboxState
from app.security import requires
from app.web import committed_or_flash

bp = Blueprint("core_outbox", __name__, url_prefix="/admin/outbox")
PAGE_SIZE = 50


@bp.get("")
@requires("core.outbox.manage")
def index():
    code = request.args.get("state")
    state = OutboxState(code) if code in OutboxState.codes() else None
    page = max(request.args.get("page", 1, type=int), 1)
    statement = select(OutboxMessage).order_by(OutboxMessage.id.desc())
    if state is not None:
        statement = statement.where(OutboxMessage.state == state)
    rows = db.session.scalars(statement.limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE)).all()
    counts = dict(
        db.session.execute(
            select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)
        ).all()
    )
    return render_template(
        "core/outbox.html",
        messages=rows[:PAGE_SIZE],
        has_next=len(rows) > PAGE_SIZE,
        page=page,
        state=state,
        states=list(OutboxState),
        counts={OutboxState(k): v for k, v in counts.items()},
    )


@bp.get("/<int:message_id>")
@requires("core.outbox.manage")
def message(message_id: int):
    record = db.session.get(OutboxMessage, message_id) or abort(404)
    return render_template("core/outbox_message.html", message=record)


@bp.get("/<int:message_id>/read")
@requires("core.history.read")
def read(message_id: int):
    """An e-mail as a record's history links it: read only, for the staff."""
    record = db.session.get(OutboxMessage, message_id) or abort(404)
    return render_template("core/outbox_message.html", message=record, read_only=True)


@bp.get("/<int:message_id>/read/attachments/<int:attachment_id>")
@requires("core.history.read")
def read_attachment(message_id: int, attachment_id: int):
    return attachment.__wrapped__(message_id, attachment_id)


@bp.get("/<int:message_id>/attachments/<int:attachment_id>")
@requires("core.outbox.manage")
def attachment(message_id: int, attachment_id: int):
    record = db.session.get(OutboxAttachment, attachment_id)
    if record is None or record.message_id != message_id:
        abort(404)
    return Response(
        record.content,
        mimetype=record.mime_type,
        headers={"Content-Disposition": f'inline; filename="{record.filename}"'},
    )


@bp.post("/<int:message_id>/resend")
@requires("core.outbox.manage")
def resend(message_id: int):
    db.session.get(OutboxMessage, message_id) or abort(404)
    result = committed_or_flash(lambda: outbox.resend(message_id), _("The message is on its way."))
    target = result.id if isinstance(result, OutboxMessage) else message_id
    return redirect(url_for("core_outbox.message", message_id=target))
