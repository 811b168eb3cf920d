"""MathJax and Mermaid for pages read offline (the course book, students' feedback pages).

Both come from the npm registry at set-up time, at pinned versions, checked against the sha512
the registry published for them (the tarball's ``integrity``), and are unpacked into
``build/vendor/`` (``$COURSE_VENDOR_DIR`` elsewhere). Nothing is fetched when a page is read:
the pages load these files by relative path, from ``file://`` as well as from a web server.

``npm`` is not needed: the tarball is the one ``npm pack mathjax@3.2.2`` downloads, read with
``urllib`` from the registry (or from a folder of tarballs, ``$COURSE_VENDOR_TARBALLS``, for a
machine without the registry).
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import re
import shutil
import tarfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from ..config import repo_root

VENDOR_ENV = "COURSE_VENDOR_DIR"
TARBALLS_ENV = "COURSE_VENDOR_TARBALLS"
REGISTRY = "https://registry.npmjs.org"


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    sha512: str  # hex digest of the .tgz (the registry's ``dist.integrity`` is the same in base64)
    keep: tuple[str, ...]  # files inside ``package/`` that the pages need (``dir/``: all under it)

    @property
    def tarball(self) -> str:
        return f"{self.name}-{self.version}.tgz"

    @property
    def url(self) -> str:
        return f"{REGISTRY}/{self.name}/-/{self.tarball}"


# MathJax 3 (CommonHTML output, the TeX input's extensions loaded on demand, the menu and the
# accessibility parts it may load, the Spanish speech rules); Mermaid's one-file UMD build, which
# a classic <script> loads from file:// (its ES module build cannot: Chromium refuses module
# imports from file://).
MATHJAX = Package(
    "mathjax",
    "3.2.2",
    "06df9249553c7811b6ef30a155ec0e89c62ced7b1db78d2a9b8f94a47c97ee4d3f3bd36588f73ec7bee4d7f144b0fb2328f64626fb5164cd6f3be81e5b43a11b",
    keep=(
        "es5/tex-chtml.js",
        "es5/tex-svg-full.js",
        "es5/output/chtml/",
        "es5/input/tex/extensions/",
        "es5/a11y/",
        "es5/ui/",
        "es5/sre/mathmaps/es.json",
        "es5/sre/mathmaps/base.json",
        "LICENSE",
    ),
)
MERMAID = Package(
    "mermaid",
    "11.12.0",
    "66e755c7bdc1c2b3097c2166492253f38cbabb96eb12857c0ce22d747a2634bcf7dae06336b7a59bb9a0f795fb83e0ba528407fd6ea604b183103bfbdc977106",
    keep=("dist/mermaid.min.js", "LICENSE"),
)
PACKAGES = (MATHJAX, MERMAID)

# Where the pages find each one, relative to the vendor folder.
MATHJAX_SCRIPT = "mathjax/es5/tex-chtml.js"
MERMAID_SCRIPT = "mermaid/dist/mermaid.min.js"


def vendor_dir() -> Path:
    return Path(os.environ.get(VENDOR_ENV) or repo_root() / "build" / "vendor")


def _stamp(package: Package) -> str:
    return f"{package.name}@{package.version} sha512={package.sha512} files={','.join(package.keep)}\n"


def _download(package: Package) -> bytes:
    local = os.environ.get(TARBALLS_ENV)
    if local:
        path = Path(local) / package.tarball
        if not path.is_file():
            raise RuntimeError(
                f"falta {path} ({TARBALLS_ENV}): descárguelo con `npm pack {package.name}@{package.version}`"
            )
        return path.read_bytes()
    try:
        with urllib.request.urlopen(package.url, timeout=120) as response:  # noqa: S310 - a fixed https URL
            return response.read()
    except OSError as exc:
        raise RuntimeError(
            f"no se pudo descargar {package.url} ({exc}); sin conexión, ponga el archivo en una carpeta y "
            f"apunte {TARBALLS_ENV} a ella (`npm pack {package.name}@{package.version}` lo descarga)"
        ) from exc


def _unpack(package: Package, data: bytes, target: Path) -> None:
    digest = hashlib.sha512(data).hexdigest()
    if digest != package.sha512:
        raise RuntimeError(
            f"{package.tarball}: sha512 {digest[:16]}… no es el fijado ({package.sha512[:16]}…); no se usa"
        )
    if target.exists():
        shutil.rmtree(target)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        for member in archive.getmembers():
            inner = member.name.split("/", 1)[1] if "/" in member.name else member.name
            wanted = any(inner == keep or keep.endswith("/") and inner.startswith(keep) for keep in package.keep)
            if not member.isfile() or not wanted:
                continue
            out = target / inner
            if target.resolve() not in out.resolve().parents:
                raise RuntimeError(f"{package.tarball}: ruta fuera del paquete: {member.name}")
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(archive.extractfile(member).read())
    (target / ".stamp").write_text(_stamp(package), encoding="utf-8")


def ensure_vendor(base: Path | None = None) -> Path:
    """The vendor folder with every pinned package unpacked (downloaded once, then reused)."""
    base = Path(base or vendor_dir())
    for package in PACKAGES:
        target = base / package.name
        stamp = target / ".stamp"
        if stamp.is_file() and stamp.read_text(encoding="utf-8") == _stamp(package):
            continue
        _unpack(package, _download(package), target)
    return base


def integrity(package: Package) -> str:
    """The registry's ``dist.integrity`` for the pinned tarball (``sha512-…``, base64)."""
    return "sha512-" + base64.b64encode(bytes.fromhex(package.sha512)).decode()


def copy_vendor(dest: Path, base: Path | None = None) -> Path:
    """Copy the unpacked packages into ``dest`` (``dest/mathjax``, ``dest/mermaid``)."""
    source = ensure_vendor(base)
    dest = Path(dest)
    for package in PACKAGES:
        shutil.copytree(source / package.name, dest / package.name, dirs_exist_ok=True)
    return dest


# --- pages written by nbconvert (students' feedback) made to work offline ----------------------
# A feedback page travels alone (an LMS upload, nbgrader's exchange copies the .html only), so it
# carries what it needs inline: MathJax's SVG output with every TeX extension (no fonts to load,
# nothing loaded on demand: the menu is off) when it has math, Mermaid when it has a diagram.
MATHJAX_SVG_SCRIPT = "mathjax/es5/tex-svg-full.js"
_CDN_SCRIPT = re.compile(r"<script[^>]*\bsrc=[\"']https?://[^\"']*[\"'][^>]*>\s*</script>\s*", re.I)
_MATHJAX2_CONFIG = re.compile(r"<script type=\"text/x-mathjax-config\">.*?</script>\s*", re.S)
_MODULE_IMPORT = re.compile(r"<script type=\"module\">(?:(?!</script>).)*?https?://.*?</script>\s*", re.S)
_MATH = re.compile(r"\$[^$\n]+\$|\\\(|\\\[|\\begin\{")
_MATHJAX3_CONFIG = """<script>
window.MathJax = {
  tex: {inlineMath: [["$", "$"], ["\\\\(", "\\\\)"]], displayMath: [["$$", "$$"], ["\\\\[", "\\\\]"]],
        processEscapes: true, processEnvironments: true, tags: "ams"},
  options: {enableMenu: false, ignoreHtmlClass: "tex2jax_ignore", processHtmlClass: "tex2jax_process"},
  loader: {load: []}
};
</script>
"""


def _inline_script(path: Path) -> str:
    # a script's text cannot hold "</script": the vendored files are checked not to
    text = path.read_text(encoding="utf-8")
    if "</script" in text.lower():
        raise RuntimeError(f"{path} no se puede incrustar en una página (contiene </script>)")
    return f"<script>{text}</script>\n"


def offline_page(page: str, base: Path | None = None) -> str:
    """An nbconvert page with its CDN scripts (MathJax 2, Mermaid's ES module, jQuery, RequireJS)
    removed and the vendored MathJax 3 and Mermaid inlined where the page needs them."""
    page = _MATHJAX2_CONFIG.sub("", _CDN_SCRIPT.sub("", _MODULE_IMPORT.sub("", page)))
    source = ensure_vendor(base)
    scripts = ""
    if _MATH.search(page):
        scripts += _MATHJAX3_CONFIG + _inline_script(source / MATHJAX_SVG_SCRIPT)
    if "mermaid" in page:
        scripts += _inline_script(source / MERMAID_SCRIPT)
        scripts += _inline_script(Path(__file__).with_name("book_assets") / "diagramas.js")
    head_end = page.lower().find("</head>")
    return page[:head_end] + scripts + page[head_end:] if head_end >= 0 else scripts + page


def make_pages_offline(pages: list[Path], base: Path | None = None) -> None:
    """Rewrite each page so that it renders its math and diagrams with no network."""
    for page in pages:
        page = Path(page)
        page.write_text(offline_page(page.read_text(encoding="utf-8"), base), encoding="utf-8")
