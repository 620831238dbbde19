"""``python -m glassdome``: the same as the ``glassdome`` command."""

from glassdome.cli import run

run()
