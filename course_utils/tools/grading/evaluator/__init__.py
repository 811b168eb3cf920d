"""The trusted evaluator: graded tests decided outside the process that ran the student's code.

The notebook still runs in the sandboxed kernel (its outputs become the feedback and what the
teacher reads), but with every hidden test cut out of its cells. Afterwards the evaluator —
running in nbgrader's own process, outside the sandbox — holds the hidden tests and the
comparison code, and drives the kernel through a narrow protocol (:mod:`.wire`) that moves
**plain data only**: JSON numbers, strings, lists and dicts, and arrays as bytes with their
dtype and shape. The kernel never receives a test and never returns a verdict: it is asked to
call the student's functions and classes on inputs the evaluator builds, and the values it
sends back are rebuilt by the evaluator itself (a fresh ``torch.Tensor`` from bytes) and
compared there. A kernel can return wrong values — it cannot return a pass.

A hidden test is a function of a ``student`` proxy (:mod:`.proxy`) written in the hidden block
of a graded test cell::

    ### BEGIN HIDDEN TESTS
    def pruebas_ocultas(student):
        x = torch.randn(4, 3, generator=torch.Generator().manual_seed(0))
        check_close(student.fuse_concat([x, x]), torch.cat([x, x], dim=-1), "fuse_concat")
    ### END HIDDEN TESTS

It passes by returning and fails by raising; its points are the cell's. See :mod:`.hidden`.
"""
