"""The floor of benchmarks/load.py: a bare Flask hello-world, served by gunicorn with the
app's own settings (deploy/gunicorn.conf.py), so the ratio measures the app, not gunicorn."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    return {"hello": "world"}
