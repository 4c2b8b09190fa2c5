"""Entry point for the Celery worker and beat: `celery -A app.celery_app worker --beat`."""

from app import create_app
from app.jobs import celery_of

flask_app = create_app()
celery = celery_of(flask_app)
