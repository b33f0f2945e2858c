"""The one reader of typed numbers: forms and ranges checked before anything reaches a query."""

import pytest
from hypothesis import given, strategies as st

from conversation import arguments
from conversation.arguments import MAX_ID, MAX_TELEGRAM_ID, StatusKind, TicketNumber
from desk.tickets.enums import Category


@given(st.text(max_size=6000) | st.integers().map(str) | st.text("0123456789", min_size=4000, max_size=6000))
def test_no_reader_raises_and_every_value_is_in_range(text):
    assert arguments.record_id(text) is None or 1 <= arguments.record_id(text) <= MAX_ID
    assert arguments.telegram_id(text) is None or 1 <= arguments.telegram_id(text) <= MAX_TELEGRAM_ID
    number = arguments.ticket_number(text)
    assert number is None or 1001 <= number.serial <= MAX_ID
    arguments.status_argument(text)
    arguments.member(text)


@pytest.mark.parametrize("text, expected", [
    ("I-1042", TicketNumber(1042, Category.INQUIRY)), ("c 1042", TicketNumber(1042, Category.COMPLAINT)),
    ("A1042", TicketNumber(1042, Category.APPOINTMENT_REQUEST)), ("1042", TicketNumber(1042)),
    ("0001042", TicketNumber(1042)), (str(MAX_ID), TicketNumber(MAX_ID)), (f"I-{MAX_ID}", TicketNumber(MAX_ID, Category.INQUIRY)),
    (str(MAX_ID + 1), None), (f"I-{MAX_ID + 1}", None), ("9" * 23, None), ("I-" + "9" * 5000, None), ("1000", None), ("X-1042", None),
    ("１０４２", None), ("1042²", None), ("I-1042 x", None), ("", None),
])
def test_ticket_numbers(text, expected):
    assert arguments.ticket_number(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("123456789", 123456789), ("@kim", "kim"), ("Kim Lee", "Kim Lee"), ("9" * 23, None), ("0", None), ("²", None),
    (str(MAX_TELEGRAM_ID), MAX_TELEGRAM_ID), (str(MAX_TELEGRAM_ID + 1), None), ("", None),
])
def test_members_are_an_id_or_a_name(text, expected):
    assert arguments.member(text) == expected


@pytest.mark.parametrize("text, kind, serial", [
    ("", StatusKind.NONE, None),
    ("1001", StatusKind.TICKET, 1001),  # a ticket number without its letter, never a receipt code
    ("I-1001", StatusKind.TICKET, 1001),
    ("i-99999999999999", StatusKind.TICKET, None),  # well formed, but no ticket can have it
    ("1234 5678 9012 3456", StatusKind.CODE, None),
    ("1234567890123456", StatusKind.CODE, None),
    ("1234 5678", StatusKind.BAD_CODE, None),
    ("99999999999", StatusKind.BAD_CODE, None),  # longer than any ticket number: a code of the wrong length
    ("12", StatusKind.BAD, None),
    ("banana", StatusKind.BAD, None),
])
def test_status_arguments(text, kind, serial):
    read = arguments.status_argument(text)
    assert read.kind == kind
    assert (read.ticket.serial if read.ticket else None) == serial
