"""A second reference for benchmarks/load.py: the invoice detail's reads with nothing of
the app around them.

A bare Flask view that does what the API's invoice detail does in the database, the way
the app does it (the bearer token with its user, then the invoice with its lines, on a
connection in autocommit as every safe request's, app/safe_requests.py), through psycopg
directly: no ORM, no Flask-Login, no
validation or serialisation models, no logging, metrics, rate limits or security
headers. Its rate against the hello-world's shows how much of the gap the database round
trips alone take on this machine. Not part of the app.
"""

import hashlib
import os

import psycopg
from flask import Flask, abort, request

app = Flask(__name__)
_connection = None

TOKEN = """SELECT u.id, u.role FROM core_api_token t JOIN core_user u ON u.id = t.user_id
WHERE t.token_hash = %s AND t.revoked_at IS NULL AND u.active"""
INVOICE = """SELECT i.id, i.number, i.status, i.customer_id, l.position, l.description,
l.quantity::text, l.unit_price::text, l.amount::text, l.vat_rate::text
FROM invoicing_invoice i JOIN invoicing_invoice_line l ON l.invoice_id = i.id
WHERE i.id = %s ORDER BY l.position"""


def connection() -> psycopg.Connection:
    global _connection
    if _connection is None:  # one per worker, opened after the fork
        _connection = psycopg.connect(os.environ["BARE_READS_DATABASE_URL"], autocommit=True)
    return _connection


@app.get("/api/v1/invoicing/invoices/<int:invoice_id>")
def invoice(invoice_id: int):
    token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    database = connection()
    with database.cursor() as cursor:
        cursor.execute(TOKEN, (hashlib.sha256(token.encode()).hexdigest(),))
        if cursor.fetchone() is None:
            abort(401)
        cursor.execute(INVOICE, (invoice_id,))
        rows = cursor.fetchall()
    if not rows:
        abort(404)
    first = rows[0]
    return {
        "id": first[0],
        "number": first[1],
        "status": first[2],
        "customer_id": first[3],
        "lines": [
            dict(
                zip(
                    ("position", "description", "quantity", "unit_price", "amount", "vat"),
                    row[4:],
                    strict=True,
                )
            )
            for row in rows
        ],
    }
