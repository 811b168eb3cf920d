"""What the test modules share, as plain importable code (``from support import ROOT``):
``tests/`` is on ``sys.path`` because pytest puts the folder of ``tests/conftest.py`` there.
``conftest.py`` keeps only pytest's fixtures and hooks, built from these modules.

- :mod:`support.notebooks`: one guarded FAST execution of a chapter's solution notebook;
- :mod:`support.services`: free ports, throwaway PostgreSQL, skipping (or failing in CI) when a
  service is missing;
- :mod:`support.suite`: the slow tests' marks and the two workers' grouping and order;
- :mod:`support.source_scan`: finding, by parsing ``course_utils``'s source, a second
  implementation of an idea that has one home.
"""

from course_utils.config import repo_root
from course_utils.tools.chapters import list_chapters

ROOT = repo_root()
CHAPTERS = list_chapters()
