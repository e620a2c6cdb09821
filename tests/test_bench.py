"""The benchmarks' own arithmetic and fakes, checked cheaply so the suite in bench/ cannot rot between runs."""
from decimal import Decimal

from app.brokers.tradier import mapping
from bench.fake_broker import _quote
from bench.harness import Row, percentile, print_table
from bench.processes import procfile_command


def test_percentiles_are_nearest_rank():
    samples = [float(n) for n in range(1, 101)]
    assert percentile(samples, 50) == 50 and percentile(samples, 99) == 99 and percentile(samples, 100) == 100
    assert percentile([3.0], 99) == 3.0


def test_the_web_and_worker_commands_are_the_procfiles():
    web = procfile_command("web")
    assert web[:2] == ["gunicorn", "wsgi:app"] and "gunicorn.conf.py" in web
    assert not any(word.startswith("PORTCULLIS_ENV=") for word in web)
    assert procfile_command("worker") == ["flask", "--app", "wsgi", "scheduler"]


def test_the_fake_brokers_quotes_read_as_tradiers():
    quotes = mapping.quotes({"quotes": {"quote": [_quote("S0001"), _quote("S0002")]}})
    assert sorted(quotes) == ["S0001", "S0002"] and quotes["S0001"].last == Decimal("101.25")


def test_a_missed_target_is_marked_in_the_table():
    table = print_table([Row("b", "m", "1", "<= 2", True), Row("b", "n", "3", "<= 2", False)])
    assert "| yes |" in table and "| NO  |" in table
