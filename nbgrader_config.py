"""nbgrader configuration for the course (read by nbgrader from the repository root)."""

c = get_config()  # noqa: F821 - provided by traitlets when nbgrader loads this file

c.CourseDirectory.course_id = "fusion_multimodal"
# Instructor sources (full solutions + hidden tests) and the generated student release.
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "notebooks"

# What students see in place of the solution, in Spanish.
# (the release names the function to write in each stub: course_utils.tools.name_the_stub)
c.ClearSolutions.code_stub = {"python": '# TU CÓDIGO AQUÍ\nraise NotImplementedError("Ejercicio sin hacer")'}
c.ClearSolutions.text_stub = "ESCRIBE AQUÍ TU RESPUESTA"

# Release notebooks carry no outputs; autograde runs each cell with a time limit.
c.ClearOutput.enabled = True
c.Execute.timeout = 120

# The course's grading and feedback steps, for every path (course grade, plain nbgrader,
# formgrader): graded tests decided by the trusted evaluator outside the student's kernel, and
# feedback without hidden tests. The student edition has no instructor tools: nothing to add.
try:
    from course_utils.tools.grading.nbgrader_setup import configure
except ImportError:
    pass
else:
    configure(c)
