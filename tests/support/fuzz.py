"""Run sizes of the SCIM fuzzing (tests/fuzz): examples per target and the Hypothesis
settings every target uses, and the endpoint it sends to."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

#: Examples per target; ``make fuzz`` sets it to 10,000.
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "50"))
#: A long run draws new examples each time unless FUZZ_DERANDOMIZE=1.
DERANDOMIZE = os.environ.get("FUZZ_DERANDOMIZE", "1" if EXAMPLES <= 200 else "0") == "1"

settings.register_profile(
    "scim-fuzz", max_examples=EXAMPLES, derandomize=DERANDOMIZE, deadline=None,
    database=None, print_blob=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                           HealthCheck.data_too_large, HealthCheck.filter_too_much])
FUZZ_SETTINGS = settings.get_profile("scim-fuzz")

BASE = "/scim/entra/v2"
