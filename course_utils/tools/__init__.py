"""Instructor and CI tools: the ``course`` command, release, runner, report builder, notebook
hygiene, the students' JupyterLab launcher, benchmarks and grading.

Nothing in the student runtime (the rest of ``course_utils``) imports this sub-package, and the
student edition (``course dist``) leaves it out.
"""
