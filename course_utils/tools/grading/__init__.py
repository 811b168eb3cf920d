"""Instructor grading: isolated, parallel autograding on top of nbgrader, and its reports."""
