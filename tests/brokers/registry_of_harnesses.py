"""Every broker's harness, found in the *_harness.py modules beside this file; the contract suite runs over all."""
import importlib
import inspect
from pathlib import Path

from tests.brokers.harness import BrokerHarness


def _discover() -> list[type[BrokerHarness]]:
    found = []
    for path in sorted(Path(__file__).parent.glob("*_harness.py")):
        module = importlib.import_module(f"tests.brokers.{path.stem}")
        found += [
            obj for _, obj in inspect.getmembers(module, inspect.isclass)
            if issubclass(obj, BrokerHarness) and obj is not BrokerHarness and obj.__module__ == module.__name__
        ]
    return found


ALL_HARNESSES = _discover()
HTTP_HARNESSES = [harness for harness in ALL_HARNESSES if harness.uses_http]
