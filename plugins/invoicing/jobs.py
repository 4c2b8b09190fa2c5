"""The invoicing jobs and where they commit: the monthly run (by batches of customers),
catch-up of months the scheduler missed, a run queued from the pages or the API, and
issuing drafts. Every other invoicing module only flushes; the loops here commit, each in
one visible place, so a failure loses one batch or one customer, never what was done.
"""

from __future__ import annotations

import gc
import logging
import os
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from itertools import islice

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.toolkit import acting_as, company_fixed, db, enqueue_call, one_off, today
from plugins.invoicing import run_records
from plugins.invoicing.billing import Month
from plugins.invoicing.credit_notes import credit_invoiced_charge
from plugins.invoicing.documents import invoice_html
from plugins.invoicing.issuing import (
    credit_notes_first,
    draft_ids,
    issue_drafts,
    issue_invoice,
    rendered_pages,
    rendered_pdfs,
    store_pdfs,
)
from plugins.invoicing.mailing import mail_document, mail_documents
from plugins.invoicing.models import Invoice, InvoiceRun
from plugins.invoicing.planning import (
    InvoicePlan,
    PeriodInputs,
    RunFailure,
    check_period,
    failure_detail,
    first_billed_month,
    load_period,
    plan_customer,
    plan_customers,
)
from plugins.invoicing.reminders import due_reminders, remind
from plugins.invoicing.run_records import RunInProgress, RunResult
from plugins.invoicing.vocabulary import FailedStep, RunKind, RunState
from plugins.invoicing.writing import write_invoices

log = logging.getLogger(__name__)
SCHEDULER_ACTOR = "scheduler:invoicing"
JOB = "plugins.invoicing.jobs:run_in_background"
# Invoices per transaction (INVOICING_BATCH_INVOICES): large enough for multi-row
# statements to pay off, small enough that a conflict with a concurrent run redoes little.
BATCH_INVOICES = 500
# How often a run writes its counts so far (and its heartbeat) while it works.
PROGRESS_SECONDS = 1.0
ATTEMPTS = 3
# Drafts numbered, and PDFs stored with their e-mails queued, per transaction when issuing
# (INVOICING_ISSUE_BATCH): a batch reads and writes together what one draft would alone,
# and stays short enough that the rendering pool is never left waiting for pages.
ISSUE_BATCH = 25


# --- the run ----------------------------------------------------------------------------


def run_period(
    period: Month | str,
    *,
    issue: bool = False,
    actor: str = "system",
    customer_ids: Iterable[int] | None = None,
    catch_up: bool = False,
) -> RunResult:
    """The monthly run, synchronously (CLI, scheduler): drafts for everything unbilled up
    to `period`; optionally issue them. Pages and the API queue it with `start_run`."""
    month = check_period(period)
    with acting_as(actor):
        record = run_records.new_run(
            month,
            status=RunState.RUNNING,
            issue=issue,
            actor=actor,
            holds_period=False,
            catch_up=catch_up,
        )
        run_id = record.id
        db.session.commit()
    return _execute(run_id, month, issue=issue, actor=actor, customer_ids=customer_ids)


def start_run(period: Month | str, *, issue: bool = False, actor: str = "system") -> InvoiceRun:
    """Queue a run of `period` as a background job and return its record at once.

    Raises RunInProgress when a run of the period is already queued or running. Without a
    broker the job may have run (even finished) by the time this returns.
    """
    month = check_period(period)
    return _queue_job(month, JOB, issue=issue, actor=actor)


def _queue_job(
    month: Month,
    job: str,
    *,
    issue: bool,
    actor: str,
    kind: RunKind = RunKind.BILLING,
    selection: list[int] | None = None,
) -> InvoiceRun:
    """Record a queued job holding `month` (committed) and hand it to the workers.

    RunInProgress when a job of the month is queued or running already (also when another
    clerk queued one a moment ago); a job the broker would not take is closed as failed.
    """
    existing = run_records.active_run(month.label)
    if existing is not None:
        db.session.commit()  # a stale run closed as failed stays closed
        raise RunInProgress(existing)
    try:
        record = run_records.new_run(
            month, kind=kind, status=RunState.QUEUED, issue=issue, actor=actor, holds_period=True
        )
        if selection is not None:
            record.selection = selection
            record.invoices_planned = len(selection)
        run_id = record.id
        db.session.commit()
    except IntegrityError:  # another clerk queued the same period a moment ago
        db.session.rollback()
        existing = db.session.scalar(
            select(InvoiceRun).where(InvoiceRun.active_period == month.label)
        )
        if existing is None:
            raise
        raise RunInProgress(existing) from None
    try:
        enqueue_call(job, run_id)
    except Exception as error:  # the broker is unreachable: the job must not stay queued
        db.session.rollback()
        run_records.close(
            run_id, RunState.FAILED, error=f"could not be queued: {type(error).__name__}: {error}"
        )
        db.session.commit()
        raise
    record = db.session.get(InvoiceRun, run_id)
    db.session.refresh(record)
    return record


def execute_run(run_id: int) -> RunResult | None:
    """The background job: claim the queued run `run_id` and do it.

    Returns None when the run is no longer queued (done, or given up as stale). A run that
    breaks is recorded as failed with the error, not raised: the job has no one to tell.
    """
    claimed = run_records.claim_queued(run_id)
    db.session.commit()
    if not claimed:
        log.warning("invoice run %s is not queued any more; nothing to do", run_id)
        return None
    record = db.session.get(InvoiceRun, run_id)
    period, issue, actor = record.period, record.issue, record.actor
    try:
        return _execute(run_id, Month.parse(period), issue=issue, actor=actor)
    except Exception:
        log.exception("invoice run %s failed", run_id)
        return None


@one_off
def run_in_background(run_id: int) -> None:
    """Do the queued run `run_id` (see start_run)."""
    execute_run(run_id)


def _execute(
    run_id: int,
    month: Month,
    *,
    issue: bool,
    actor: str,
    customer_ids: Iterable[int] | None = None,
) -> RunResult:
    """Bill `month` for the run record `run_id` (already running), keeping it up to date."""
    result = RunResult(period=month.label, run_id=run_id)
    try:
        with acting_as(actor):
            _bill(run_id, month, result, customer_ids, actor)
            if issue and result.invoice_ids:
                run_records.save(run_id, **result.counts())
                db.session.commit()
                issued = issue_invoices(result.invoice_ids, actor=actor)
                result.issued_numbers = list(issued.issued_numbers)
                result.failures.extend(issued.failures)
    except BaseException as error:
        db.session.rollback()
        run_records.close(
            run_id, RunState.FAILED, error=f"{type(error).__name__}: {error}", **result.counts()
        )
        db.session.commit()
        raise
    run_records.close(run_id, RunState.FINISHED, **result.counts())
    db.session.commit()
    return result


def _bill(
    run_id: int,
    month: Month,
    result: RunResult,
    customer_ids: Iterable[int] | None,
    actor: str,
) -> None:
    inputs = load_period(month, customer_ids)
    with settled_heap():
        _bill_batches(run_id, month, result, inputs, actor)


def _bill_batches(
    run_id: int, month: Month, result: RunResult, inputs: PeriodInputs, actor: str
) -> None:
    plans, failures = plan_customers(inputs)
    result.failures.extend(failures)
    run_records.save(
        run_id,
        invoices_planned=sum(1 for plan in plans if plan.lines),
        failures=run_records.failure_records(result.failures),
    )
    db.session.commit()
    last_saved = time.monotonic()
    for batch in _batches(plans):
        try:
            ids = _write(batch, inputs, run_id)
            result.invoice_ids += [i for i in ids if i is not None]
            db.session.commit()
        except Exception as error:
            # A concurrent run billed some of it first (a ledger key), or one customer's
            # data breaks the writing: redo the batch customer by customer.
            db.session.rollback()
            log.info("batch of run %s falls back to single customers: %s", run_id, error)
            for customer_id in dict.fromkeys(plan.customer_id for plan in batch):
                _bill_customer_alone(customer_id, inputs, run_id, result)
        if time.monotonic() - last_saved >= PROGRESS_SECONDS:
            run_records.save(run_id, **result.counts())
            db.session.commit()
            last_saved = time.monotonic()
    for credit in inputs.charge_credits:
        _credit_by_note(credit, inputs, result, actor)


@contextmanager
def settled_heap():
    """Keep the collector off what exists before the work (the app, the inputs read):
    a run allocates hundreds of thousands of short-lived objects, and every full
    collection would otherwise walk the whole heap again (a third of a run's time)."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _batches(plans: list[InvoicePlan]) -> Iterable[list[InvoicePlan]]:
    """Whole customers per batch, about INVOICING_BATCH_INVOICES invoices each."""
    size = int(current_app.config.get("INVOICING_BATCH_INVOICES") or BATCH_INVOICES)
    batch: list[InvoicePlan] = []
    for plan in plans:
        if len(batch) >= size and batch[-1].customer_id != plan.customer_id:
            yield batch
            batch = []
        batch.append(plan)
    if batch:
        yield batch


def _write(plans: list[InvoicePlan], inputs: PeriodInputs, run_id: int) -> list[int | None]:
    return write_invoices(
        plans,
        period=inputs.period.label,
        bill_to=inputs.bill_to,
        site_names=inputs.site_names,
        run_id=run_id,
    )


def _bill_customer_alone(
    customer_id: int, inputs: PeriodInputs, run_id: int, result: RunResult
) -> None:
    """One customer in its own transaction, planned again from what is billed now."""
    customer = inputs.bill_to.get(customer_id)
    name = customer.legal_name if customer else f"customer {customer_id}"
    for _attempt in range(ATTEMPTS):
        try:
            fresh = load_period(inputs.period, [customer_id])
            entry = fresh.customers.get(customer_id)
            plans = plan_customer(fresh, entry) if entry is not None else []
            if not any(plan.months or plan.charges for plan in plans):
                result.conflicts += 1  # another run billed all of it meanwhile
                return
            ids = _write(plans, fresh, run_id)
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            continue
        except Exception as error:  # report and go on with the next customer
            db.session.rollback()
            result.failures.append(
                RunFailure(customer_id, name, FailedStep.BILLING, failure_detail(error))
            )
            return
        result.invoice_ids += [i for i in ids if i is not None]
        return
    result.conflicts += 1


def _credit_by_note(credit, inputs: PeriodInputs, result: RunResult, actor: str) -> None:
    """Issue the credit note for one credit of an invoiced charge, in its own transaction,
    and store its PDF.

    The run issues it directly, with or without --issue: a credit note corrects an invoice
    already issued and is issued when made, as finance's credit notes are (there are no
    draft credit notes); its amount is the source's, not an estimate to review.
    """
    charge = credit.charge
    customer = inputs.bill_to.get(charge.customer_id)
    name = customer.legal_name if customer else "?"
    try:
        note = credit_invoiced_charge(charge, credit.invoice_id, actor=actor)
        if note is None:  # a concurrent run credited it first
            db.session.rollback()
            result.conflicts += 1
            return
        note_id, number = note.id, note.number
        db.session.commit()
    except IntegrityError:  # the ledger row of a concurrent run won
        db.session.rollback()
        result.conflicts += 1
        return
    except Exception as error:  # report and go on
        db.session.rollback()
        result.failures.append(
            RunFailure(
                charge.customer_id,
                name,
                FailedStep.CREDIT_NOTE,
                failure_detail(error),
                f"{charge.source}/{charge.reference}",
            )
        )
        return
    result.credit_note_ids.append(note_id)
    result.credit_note_numbers.append(number)
    render_and_mail([note_id], result)


# --- issuing ----------------------------------------------------------------------------

ISSUE_JOB = "plugins.invoicing.jobs:issue_in_background"


def start_issuing(
    period: Month | str, invoice_ids: list[int] | None = None, *, actor: str = "system"
) -> InvoiceRun:
    """Queue issuing a period's drafts (or the chosen ones) as a background job: numbers,
    PDFs with QR-bill and e-mails take time; the status page follows it."""
    month = Month.coerce(period)
    chosen = list(invoice_ids) if invoice_ids else draft_ids(month.label)
    return _queue_job(
        month, ISSUE_JOB, issue=True, actor=actor, kind=RunKind.ISSUING, selection=chosen
    )


@one_off
def issue_in_background(run_id: int) -> None:
    """Issue the drafts of the queued issuing job `run_id`, keeping its counts current."""
    claimed = run_records.claim_queued(run_id)
    db.session.commit()
    if not claimed:
        return
    record = db.session.get(InvoiceRun, run_id)
    ids, actor = list(record.selection or ()), record.actor
    try:
        result = issue_invoices(ids, actor=actor, run_id=run_id)
    except Exception as error:
        db.session.rollback()
        log.exception("issuing job %s failed", run_id)
        run_records.close(run_id, RunState.FAILED, error=f"{type(error).__name__}: {error}")
        db.session.commit()
        return
    run_records.close(
        run_id,
        RunState.FINISHED,
        invoices_issued=len(result.issued_numbers),
        failures=run_records.failure_records(result.failures),
    )
    db.session.commit()


def issue_invoices(
    invoice_ids: Iterable[int],
    *,
    actor: str = "system",
    processes: int | None = None,
    run_id: int | None = None,
) -> RunResult:
    """Issue drafts one transaction each (a failure skips one, not all), render their
    PDFs and queue their e-mails; with `run_id`, that record shows the progress.

    Each draft's page is built in the transaction that takes its number (a page that
    cannot be built takes no number), and rendering starts with the first one: the pool
    renders the first documents while the next drafts get theirs."""
    result = RunResult(period="", run_id=run_id)
    with acting_as(actor), company_fixed():
        if current_app.config.get("CELERY_BROKER_URL"):
            # The workers build the pages they render (render_in_background).
            numbered = _numbered(invoice_ids, actor, result, run_id, with_pages=False)
            render_and_mail((invoice_id for invoice_id, _ in numbered), result)
        else:
            pages = _numbered(invoice_ids, actor, result, run_id, with_pages=True)
            _store_and_mail(rendered_pages(pages, processes or pdf_processes()), result, run_id)
    return result


def _numbered(
    invoice_ids: Iterable[int],
    actor: str,
    result: RunResult,
    run_id: int | None,
    *,
    with_pages: bool,
) -> Iterator[tuple[int, str | None]]:
    """Number the drafts a batch per transaction and yield each with its page (HTML)
    when asked; a draft that cannot be issued takes no number, is recorded in `result`
    and skipped. A batch that breaks is rolled back and done again one draft at a time."""
    last_saved = time.monotonic()
    for batch in _chunks(credit_notes_first(invoice_ids), _issue_batch_size()):
        if run_id is not None and time.monotonic() - last_saved >= PROGRESS_SECONDS:
            run_records.save(run_id, invoices_issued=len(result.issued_numbers))
            db.session.commit()
            last_saved = time.monotonic()
        try:
            issued = issue_drafts(batch, actor=actor)
            done = [
                (invoice.id, invoice.number, invoice_html(invoice) if with_pages else None)
                for invoice in issued.issued
            ]
            db.session.commit()
        except Exception as error:
            db.session.rollback()
            log.info("issuing a batch falls back to single drafts: %s", error)
            yield from _numbered_one_by_one(batch, actor, result, with_pages=with_pages)
            continue
        for refusal in issued.refused:
            result.failures.append(
                RunFailure(
                    refusal.customer_id,
                    refusal.name,
                    FailedStep.ISSUING,
                    failure_detail(refusal.error),
                    f"#{refusal.invoice_id}",
                    refusal.invoice_id,
                )
            )
        for invoice_id, number, page in done:
            result.issued_numbers.append(number)
            result.invoice_ids.append(invoice_id)
            yield invoice_id, page
    if run_id is not None:
        run_records.save(run_id, invoices_issued=len(result.issued_numbers))
        db.session.commit()


def _numbered_one_by_one(
    invoice_ids: Iterable[int], actor: str, result: RunResult, *, with_pages: bool
) -> Iterator[tuple[int, str | None]]:
    """Each draft in a transaction of its own: a failure skips one, not the others."""
    for invoice_id in invoice_ids:
        try:
            invoice = issue_invoice(invoice_id, actor=actor)
            page = invoice_html(invoice) if with_pages else None
            number = invoice.number
            db.session.commit()
        except Exception as error:
            db.session.rollback()
            invoice = db.session.get(Invoice, invoice_id)
            result.failures.append(
                RunFailure(
                    invoice.customer_id if invoice else 0,
                    invoice.bill_to_name if invoice else "?",
                    FailedStep.ISSUING,
                    failure_detail(error),
                    f"#{invoice_id}",
                    invoice_id,
                )
            )
            continue
        result.issued_numbers.append(number)
        result.invoice_ids.append(invoice_id)
        yield invoice_id, page


def _chunks(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _issue_batch_size() -> int:
    return max(int(current_app.config.get("INVOICING_ISSUE_BATCH") or ISSUE_BATCH), 1)


def render_and_mail(
    ids: Iterable[int],
    result: RunResult | None = None,
    processes: int | None = None,
    run_id: int | None = None,
) -> None:
    """Render and store the PDFs of issued documents and queue each one's e-mail.

    With a broker the work is spread over the Celery workers, a task per chunk of
    documents, so another worker machine adds throughput; without one, a long-lived pool
    of rendering processes here does it (INVOICING_PDF_PROCESSES, default: the cores).
    `ids` is read as the renders go; every step ends with its own commit.
    """
    if current_app.config.get("CELERY_BROKER_URL"):
        chunk: list[int] = []
        for invoice_id in ids:
            chunk.append(invoice_id)
            if len(chunk) == RENDER_CHUNK:
                enqueue_call(RENDER_JOB, chunk)
                chunk = []
        if chunk:
            enqueue_call(RENDER_JOB, chunk)
        return
    _store_and_mail(rendered_pdfs(ids, processes or pdf_processes()), result, run_id)


def _store_and_mail(
    rendered: Iterable[tuple[int, bytes]], result: RunResult | None, run_id: int | None
) -> None:
    """Store the rendered PDFs and queue their e-mails, a batch per transaction as the
    renders come; a batch that breaks is rolled back and done again one PDF at a time."""
    for batch in _chunks(rendered, _issue_batch_size()):
        try:
            stored = store_pdfs(batch)
            if current_app.config.get("INVOICING_MAIL_ON_ISSUE", True):
                mail_documents(stored)
            if run_id is not None:
                run_records.save(run_id)  # the heartbeat: rendering goes on
            db.session.commit()
        except Exception as error:
            db.session.rollback()
            log.info("storing a batch of PDFs falls back to single ones: %s", error)
            for rendered_one in batch:
                for invoice in store_pdfs([rendered_one]):
                    _queue_mail(invoice, result)
                if run_id is not None:
                    run_records.save(run_id)
                db.session.commit()


RENDER_JOB = "plugins.invoicing.jobs:render_in_background"
RENDER_CHUNK = 20


@one_off
def render_in_background(invoice_ids: list[int]) -> None:
    """A worker's share of the PDFs: render, store and queue the e-mail, one at a time."""
    with company_fixed():
        _store_and_mail(rendered_pdfs(invoice_ids, processes=1), None, None)


def pdf_processes() -> int:
    configured = current_app.config.get("INVOICING_PDF_PROCESSES")
    return int(configured) if configured else max(os.cpu_count() or 1, 1)


def _queue_mail(invoice: Invoice, result: RunResult | None) -> None:
    """Queue the e-mail of a document whose PDF is stored (flushes; caller commits)."""
    if not current_app.config.get("INVOICING_MAIL_ON_ISSUE", True):
        return
    try:
        with db.session.begin_nested():
            mail_document(invoice)
    except Exception as error:  # the document stands; finance sees why no mail left
        log.exception("queuing the mail of %s failed", invoice.number)
        if result is not None:
            result.failures.append(
                RunFailure(
                    invoice.customer_id,
                    invoice.bill_to_name,
                    FailedStep.MAIL,
                    failure_detail(error),
                    invoice.number or "",
                    invoice.id,
                )
            )


# --- reminders --------------------------------------------------------------------------


def send_reminders(day=None, *, actor: str = "system") -> list:
    """Record and queue each due reminder, one transaction each; never twice per level."""
    day = day or today()
    sent = []
    with acting_as(actor):
        for due in due_reminders(day):
            try:
                reminder = remind(due, day)
                db.session.commit()
            except Exception:
                db.session.rollback()  # nothing recorded: the next run tries again
                log.exception("reminder for invoice %s failed", due.invoice.id)
                continue
            if reminder is not None:
                sent.append(reminder)
    return sent


def send_due_reminders() -> int:
    """The scheduler's hourly call: the reminders due today (each level once)."""
    return len(send_reminders(actor="scheduler:invoicing"))


# --- the scheduler --------------------------------------------------------------------


def months_never_run(current: Month) -> list[Month]:
    """Months from the first this system bills to `current` without a finished run."""
    finished = set(
        db.session.scalars(
            select(InvoiceRun.period).where(
                InvoiceRun.kind == RunKind.BILLING, InvoiceRun.status == RunState.FINISHED
            )
        )
    )
    configured = current_app.config.get("INVOICING_FIRST_PERIOD")
    if configured:
        month = Month.parse(configured)
    elif finished:
        month = Month.parse(min(finished))
    else:
        month = current  # a new installation starts with this month's run
    missing = []
    while month <= current:
        if month.label not in finished:
            missing.append(month)
        month = month.next()
    return missing


def monthly_run() -> list[str]:
    """Hourly: run every month up to this one that has no finished run yet, oldest first.

    Normally that is this month's run, once, in the first hour of the 1st (Zurich). When
    the scheduler was down on the 1st (or for months), the months it missed are caught up
    in order, and each such run says so (`catch_up`) on the run page.
    """
    current = Month.of(today())
    issue = bool(current_app.config.get("INVOICING_SCHEDULED_ISSUE", False))
    done = []
    for month in months_never_run(current):
        late = month != current or today().day != 1
        run_period(month, issue=issue, actor=SCHEDULER_ACTOR, catch_up=late)
        done.append(month.label)
    return done


__all__ = [
    "RunInProgress",
    "execute_run",
    "first_billed_month",
    "issue_invoices",
    "monthly_run",
    "run_period",
    "send_due_reminders",
    "send_reminders",
    "start_issuing",
    "start_run",
]
