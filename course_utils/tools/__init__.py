"""Instructor and CI tools: the ``course`` command, release, runner, report builder, notebook
hygiene, benchmarks and grading. (The students' JupyterLab launcher is ``course_utils.lab``,
in the student runtime: the student edition needs it.)

Nothing in the student runtime (the rest of ``course_utils``) imports this sub-package, and the
student edition (``course dist``) leaves it out.
"""
