"""The ``slow`` marker: tests that take tens of seconds but stay in the default run."""


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "slow: takes tens of seconds (builds a wheel, runs every template); in the default run",
    )
