"""nbgrader configuration for the course (read by nbgrader from the repository root)."""

c = get_config()  # noqa: F821 - provided by traitlets when nbgrader loads this file

c.CourseDirectory.course_id = "fusion_multimodal"
# Instructor sources (full solutions + hidden tests) and the generated student release.
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "notebooks"

# What students see in place of the solution, in Spanish.
c.ClearSolutions.code_stub = {"python": "# TU CÓDIGO AQUÍ\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "ESCRIBE AQUÍ TU RESPUESTA"

# Release notebooks carry no outputs; autograde runs each cell with a time limit.
c.ClearOutput.enabled = True
c.Execute.timeout = 120
