"""The suite runs once per engine: KERAS_BACKEND picks it (numpy by default).

The user's own keras.json must not change test results, so KERAS_HOME points
at an empty folder for the whole run (before kbackend reads its config).
"""

import os
import tempfile

os.environ["KERAS_HOME"] = tempfile.mkdtemp(prefix="kbackend-tests-home-")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import kbackend as K  # noqa: E402


def pytest_report_header(config):
    return f"kbackend engine: {K.backend()}"
