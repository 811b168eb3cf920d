"""A blank exercise says, in Spanish, which function or method to write."""

from course_utils.tools.name_the_stub import STUB, name_stubs


def test_each_stub_names_its_function_or_method():
    source = (
        "class Gate(nn.Module):\n"
        "    def __init__(self, dim):\n"
        "        super().__init__()\n"
        "        # TU CÓDIGO AQUÍ\n"
        f"        {STUB}\n"
        "\n"
        "    def forward(self, a, b):\n"
        f"        {STUB}\n"
        "\n"
        "def fuse(xs):\n"
        f"    {STUB}\n"
    )
    named = name_stubs(source)
    assert "escribe el cuerpo de Gate.__init__ en lugar de esta línea" in named
    assert "escribe el cuerpo de Gate.forward en lugar de esta línea" in named
    assert "escribe el cuerpo de fuse en lugar de esta línea" in named
    assert STUB not in named
    compile(named, "<stub>", "exec")


def test_a_stub_outside_any_function_says_to_replace_the_line():
    assert "sustituye esta línea por tu código" in name_stubs(STUB)
    assert name_stubs("x = 1") == "x = 1"


def test_running_a_blank_stub_raises_the_spanish_message():
    namespace = {}
    exec(name_stubs(f"def fuse(xs):\n    {STUB}\n"), namespace)  # noqa: S102 - the test's own code
    try:
        namespace["fuse"]([])
    except NotImplementedError as err:
        assert str(err) == "Ejercicio sin hacer: escribe el cuerpo de fuse en lugar de esta línea"
    else:
        raise AssertionError("the stub did not raise")
