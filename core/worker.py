"""Entry point for `celery -A core.worker` (worker and beat): the Flask app's Celery app."""

from app import create_app

flask_app = create_app()
celery = flask_app.extensions["celery"]
