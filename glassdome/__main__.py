"""``python -m glassdome``: the same as the ``glassdome`` command."""

from glassdome.entry import run

run()
