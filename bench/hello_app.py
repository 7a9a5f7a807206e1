"""A bare Flask app with one route: the baseline `bench/api_throughput.py` compares against."""

from flask import Flask

app = Flask(__name__)


@app.route("/hello")
def hello() -> str:
    return "hello"
