"""Entry point for the Celery worker and beat: `celery -A app.celery_app worker` / `beat`."""

from celery import signals

from app import create_app
from app.jobs import celery_of
from app.logging_setup import request_id_var

flask_app = create_app()
celery = celery_of(flask_app)


@signals.setup_logging.connect
def _keep_our_logging(**_kwargs) -> None:
    """create_app configured the root logger (JSON in production); a receiver here stops
    Celery from replacing it with its own format."""


@signals.task_prerun.connect
def _task_id_as_request_id(task_id=None, task=None, **_kwargs) -> None:
    # Log lines of a task carry its task id where a request's carry the request id.
    task.request.winet_log_token = request_id_var.set(task_id)


@signals.task_postrun.connect
def _forget_task_id(task=None, **_kwargs) -> None:
    token = getattr(task.request, "winet_log_token", None)
    if token is not None:
        request_id_var.reset(token)
