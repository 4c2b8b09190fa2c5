"""Login, logout, language choice, and the user's own profile and API tokens."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from app.database import db
from app.forms import LoginForm, TokenForm
from app.models import ApiToken
from app.ratelimit import login_limits
from app.security import public, requires, same_site_path
from app.services import authenticate, issue_token, login_lock_policy
from app.timeutil import now

bp = Blueprint("core_auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
@public("the login page")
@login_limits()
def login():
    if current_user.is_authenticated:
        return redirect(url_for("core.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user is None:
            # The failure (and a lock) is counted in the database: commit it. A locked
            # account gets the same answer, so the page never tells which accounts exist.
            db.session.commit()
            flash(_("E-mail or password is wrong."), "error")
        else:
            login_user(user)
            user.last_login_at = now()
            db.session.commit()
            return redirect(same_site_path(request.args.get("next")) or url_for("core.index"))
    return render_template("auth/login.html", form=form, lock=login_lock_policy())


@bp.post("/logout")
@public("logging out needs no right")
@login_required
def logout():
    # A new session token ends this session and every other one of the user (other
    # browsers, a copied cookie), not only the cookie of this browser.
    current_user.end_all_sessions()
    db.session.commit()
    logout_user()
    flash(_("You are logged out."), "info")
    return redirect(url_for("core_auth.login"))


@bp.post("/language")
@public("choosing the language works before login")
def language():
    code = request.form.get("language")
    if code in current_app.config["LANGUAGES"]:
        session["language"] = code
        if current_user.is_authenticated:
            current_user.language = code
            db.session.commit()
    return redirect(same_site_path(request.form.get("next")) or url_for("core.index"))


@bp.route("/profile", methods=["GET", "POST"])
@requires("core.profile")
def profile():
    form = TokenForm()
    new_token = None
    if form.validate_on_submit():
        new_token = issue_token(current_user, form.name.data.strip())
        db.session.commit()
        flash(_("Copy the token now: it is shown only once."), "info")
    tokens = db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == current_user.id).order_by(ApiToken.created_at)
    ).all()
    return render_template("auth/profile.html", form=form, tokens=tokens, new_token=new_token)


@bp.post("/profile/tokens/<int:token_id>/revoke")
@requires("core.profile")
def revoke_token(token_id: int):
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != current_user.id:
        return render_template("error.html", status=404, message=_("Unknown token.")), 404
    token.revoked_at = now()
    db.session.commit()
    flash(_("The token is revoked."), "info")
    return redirect(url_for("core_auth.profile"))
