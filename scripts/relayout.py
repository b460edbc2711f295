"""Move parkscope's flat modules into subpackages whose folders read as the architecture (issue 13).

Rerunnable and idempotent: run it from anywhere inside the repository,

    python scripts/relayout.py            # do it
    python scripts/relayout.py --check    # only say what it would change; exit 1 if anything

It

1. turns every relative import under ``src/parkscope`` into an absolute ``parkscope.…`` import (so
   that moving a file never breaks its imports), using the file's place BEFORE the move;
2. ``git mv``s every module (or subpackage file) of :data:`MOVES` whose old path still exists to its
   new place, creating the subpackages' ``__init__.py`` (:data:`PACKAGES`);
3. rewrites every reference to an old module in the repository's text files (``.py``, ``.md``,
   ``.toml``, ``.ipynb``, ``.j2``, ``.txt``, ``.cfg``, ``Makefile``): dotted names
   (``parkscope.ingest.read_extract``, patch strings, logger names, ``:mod:`` roles), paths
   (``src/parkscope/ingest.py``), ``from parkscope import coords`` (split into
   ``from parkscope.inputs import coords``), and ```` `indices.py` ```` in prose;
4. fixes the package-data globs of moved subpackages in ``pyproject.toml`` and, while
   ``[tool.importlinter]`` still names old modules, replaces it by :data:`CONTRACTS`;
5. sorts the imports of the changed Python files (``ruff check --select I --fix``) and lists the
   lines the longer names made too long (wrap those by hand).

The mapping never maps a module to a name that begins with an old module's name, so that a rewritten
reference is never rewritten again: a second run changes nothing. Files that other branches add
later (``src/parkscope/planning/*.py``, new tests, docs) are handled by a re-run on the merged tree.
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

#: Old module (dotted, below ``parkscope``) -> new module. Entries whose old file is gone are skipped.
#: A subpackage (``report``) moves with everything in it.
MOVES: dict[str, str] = {
    # settings: typed settings and the shared vocabulary; import no domain module
    "config": "settings.config",
    "vocabulary": "settings.vocabulary",
    "ahp": "settings.ahp",
    "parkstats": "settings.parkstats",
    "summary": "settings.summary",
    # inputs: what parkscope reads
    "ingest": "inputs.osm",
    "rasters": "inputs.rasters",
    "coords": "inputs.coords",
    "area": "inputs.area",
    # walk: the walking network and accessibility
    "network": "walk.network",
    "amenities": "walk.amenities",
    "access": "walk.access",
    "grid": "walk.grid",
    "_kernels": "walk._kernels",
    # measures: per node, cell and park
    "indicators": "measures.indicators",
    "population": "measures.population",
    "sources": "measures.population_sources",
    "score": "measures.score",
    "indices": "measures.indices",
    "reference": "measures.reference",
    "quality": "measures.quality",
    # files: the files parkscope writes (used by the collaboration network, so below it)
    "io": "files.io",
    "qgis": "files.qgis",
    # diagnoses of a park
    "diagnosis": "diagnoses.integration",
    "fivepark": "diagnoses.fivepark",
    # outputs: what a reader gets
    "report": "outputs.report",
    "compare": "outputs.compare",
    "ccd": "outputs.ccd",
}

#: Modules that stay at the package root: the public face and the composition.
ROOT = ("__init__", "_version", "errors", "pipeline", "assessment", "batch", "cli")

#: The subpackages this script creates, with the docstring of their ``__init__.py``.
PACKAGES: dict[str, str] = {
    "settings": "Settings and the shared vocabulary: the bottom layer; imports no domain module.",
    "inputs": "What parkscope reads: OpenStreetMap extracts, rasters, map coordinates, the study area.",
    "walk": (
        "The walking network and accessibility: the network, the amenities on it, k-nearest network\n"
        "distances, the H3 cells of its nodes."
    ),
    "measures": (
        "Measures per node, cell and park: indicators, jobs and residents and where they come from, the\n"
        "life-convenience score, the coupling indices, the reference scale, data sufficiency."
    ),
    "files": "The files parkscope writes: the one atomic writer and the GeoPackage styles for QGIS.",
    "diagnoses": (
        "The diagnoses of a park: industry–city–people integration (C, T, D, lag type) and the\n"
        "five-park scorecard."
    ),
    "outputs": (
        "What a reader gets: the HTML report, the comparison of assessed parks, the coupling\n"
        "coordination of a statistics panel."
    ),
}

#: ``[tool.importlinter]`` over the subpackages (written while the old, module-level one is there).
CONTRACTS = '''[tool.importlinter]
root_package = "parkscope"
include_external_packages = true
exclude_type_checking_imports = true

[[tool.importlinter.contracts]]
name = "The parts are layers: each imports only from the parts below it"
type = "layers"
layers = [
  "parkscope.cli",
  "(parkscope.batch)",
  "parkscope.assessment",
  "parkscope.outputs",
  "(parkscope.planning)",
  "parkscope.pipeline",
  "parkscope.diagnoses",
  "parkscope.cooperation",
  "parkscope.files",
  "parkscope.measures",
  "parkscope.walk",
  "parkscope.inputs",
  "parkscope.settings",
  "parkscope.errors | parkscope._version",
]

[[tool.importlinter.contracts]]
name = "Settings and vocabulary import no domain module"
type = "forbidden"
source_modules = ["parkscope.settings"]
forbidden_modules = [
  "parkscope.inputs", "parkscope.walk", "parkscope.measures", "parkscope.files", "parkscope.cooperation",
  "parkscope.diagnoses", "parkscope.pipeline", "parkscope.outputs", "parkscope.assessment", "parkscope.cli",
]

[[tool.importlinter.contracts]]
name = "The collaboration network is its own subpackage, never confused with the walking network"
type = "forbidden"
source_modules = ["parkscope.cooperation"]
forbidden_modules = [
  "parkscope.walk", "parkscope.diagnoses", "parkscope.pipeline", "parkscope.outputs",
  "parkscope.assessment", "parkscope.cli",
]

[[tool.importlinter.contracts]]
name = "Only inputs, files and outputs use file-format libraries (known exceptions listed)"
type = "forbidden"
source_modules = [
  "parkscope.settings", "parkscope.walk", "parkscope.measures", "parkscope.diagnoses",
  "parkscope.cooperation", "parkscope.pipeline",
]
forbidden_modules = [
  "osmium", "rasterio", "pyogrio", "fiona", "pyarrow", "sqlite3", "jinja2",
  "tomllib", "csv", "gzip", "bz2", "shutil", "tempfile",
]
allow_indirect_imports = true
# Modules below the inputs that read files themselves (docs/architecture.md, "Known exceptions").
ignore_imports = [
  "parkscope.settings.config -> tomllib",
  "parkscope.measures.population -> tomllib",
  "parkscope.measures.quality -> tomllib",
  "parkscope.measures.reference -> tomllib",
  "parkscope.diagnoses.fivepark -> csv",
  "parkscope.cooperation.kinds -> tomllib",
  "parkscope.cooperation.records -> gzip",
]
unmatched_ignore_imports_alerting = "warn"

[[tool.importlinter.contracts]]
name = "settings: config and the summary over the vocabulary, units and AHP (these three apart)"
type = "layers"
containers = ["parkscope.settings"]
layers = ["config | summary", "parkstats | ahp | vocabulary"]

[[tool.importlinter.contracts]]
name = "inputs: the study area over the readers, which do not import each other"
type = "layers"
containers = ["parkscope.inputs"]
layers = ["area", "osm | rasters | coords"]

[[tool.importlinter.contracts]]
name = "walk: amenities, access and cells over the network over the compiled kernels"
type = "layers"
containers = ["parkscope.walk"]
layers = ["amenities : access : grid", "network", "_kernels"]

[[tool.importlinter.contracts]]
name = "measures: data sufficiency over the measures"
type = "layers"
containers = ["parkscope.measures"]
layers = ["quality", "indicators : population : score : population_sources : indices : reference"]

[[tool.importlinter.contracts]]
name = "diagnoses: the integration diagnosis and the five-park scorecard do not import each other"
type = "independence"
modules = ["parkscope.diagnoses.integration", "parkscope.diagnoses.fivepark"]

[[tool.importlinter.contracts]]
name = "files: the writer over the GeoPackage styles"
type = "layers"
containers = ["parkscope.files"]
layers = ["io", "qgis"]
'''

#: Lines of today's tree that the longer names make too long, as wrapped (applied where they occur).
WRAPS: dict[str, str] = {
    "        :data:`parkscope.measures.population_sources.M3_PER_JOB`, or with ``jobs_total`` the park's"
    " total spread by volume.\n":
    "        :data:`parkscope.measures.population_sources.M3_PER_JOB`, or with ``jobs_total`` the park's\n"
    "        total spread by volume.\n",
    ":func:`parkscope.diagnoses.integration.cell_indicators` puts them together; docs/methods.md §8 gives"
    " the formulas.\n":
    ":func:`parkscope.diagnoses.integration.cell_indicators` puts them together; docs/methods.md §8 gives\n"
    "the formulas.\n",
    "        Building-estimate parameters with the country's defaults"
    " (:func:`parkscope.measures.population.defaults_for`).\n":
    "        Building-estimate parameters with the country's defaults\n"
    "        (:func:`parkscope.measures.population.defaults_for`).\n",
    '    """How complete each input layer is, in the study area and per cell'
    ' (:mod:`parkscope.measures.quality`)."""\n':
    '    """How complete each input layer is, in the study area and per cell\n'
    '    (:mod:`parkscope.measures.quality`)."""\n',
    "#: The input layers whose completeness parkscope measures (:mod:`parkscope.measures.quality`),"
    " and their statuses.\n":
    "#: The input layers whose completeness parkscope measures (:mod:`parkscope.measures.quality`), and\n"
    "#: their statuses.\n",
    "#: ``[park_data]`` keys that are five-park indicators given by the user"
    " (parkscope.diagnoses.fivepark.SCORECARD).\n":
    "#: ``[park_data]`` keys that are five-park indicators given by the user\n"
    "#: (parkscope.diagnoses.fivepark.SCORECARD).\n",
}

TEXT_SUFFIXES = {".py", ".md", ".toml", ".ipynb", ".j2", ".txt", ".cfg", ".ini", ".rst", ".yml", ".yaml"}
TEXT_NAMES = {"Makefile"}
SELF = Path(__file__).resolve()


def repo_root() -> Path:
    out = subprocess.run(["git", "rev-parse", "--show-toplevel"], capture_output=True, text=True,
                         cwd=SELF.parent, check=True)
    return Path(out.stdout.strip())


def git_files(root: Path) -> list[Path]:
    """Tracked and untracked-but-not-ignored files."""
    out = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], capture_output=True,
                         cwd=root, check=True)
    return sorted({root / p for p in out.stdout.decode().split("\0") if p})


def module_of(path: Path, src: Path) -> list[str]:
    """``src/parkscope/report/html.py`` -> ["parkscope", "report", "html"] (``__init__`` dropped)."""
    parts = list(path.relative_to(src).with_suffix("").parts)
    return parts[:-1] if parts[-1] == "__init__" else parts


# ---- 1. relative imports -> absolute ------------------------------------------------------------

_REL = re.compile(r"from(\s+)(\.+)\s*([\w.]*)(\s+)import\b")


def old_place(module: list[str]) -> list[str] | None:
    """The module's name before the move when it sits where a moved module went: a file that a merge
    carried there (git follows the renames) still has the relative imports of its old place."""
    dotted = ".".join(module[1:])
    for old, new in MOVES.items():
        if dotted == new or dotted.startswith(new + "."):
            return ["parkscope", *(old + dotted[len(new):]).split(".")]
    return None


def module_exists(name: str, src: Path) -> bool:
    """Whether ``name`` is a module or package of the tree, at its old or its new place."""
    for candidate in (name, _DOTTED.sub(_dotted, name)):
        path = src.joinpath(*candidate.split("."))
        if path.with_suffix(".py").is_file() or (path / "__init__.py").is_file():
            return True
    return False


def absolute_imports(text: str, module: list[str], is_package: bool, src: Path) -> str:
    """Every ``from .x import y`` of a module as ``from parkscope.….x import y``: resolved from the
    module's old place if it has one and the target exists from there, else from where it is."""
    tree = ast.parse(text)
    nodes = [n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level > 0]
    if not nodes:
        return text
    lines = text.splitlines(keepends=True)
    places = [p for p in (old_place(module), module) if p is not None]
    for node in sorted(nodes, key=lambda n: (n.lineno, n.col_offset), reverse=True):
        targets = []
        for place in places:
            package = place if is_package else place[:-1]
            base = package[: len(package) - (node.level - 1)]
            targets.append(".".join(base + ([node.module] if node.module else [])))
        found = [x for x in targets if module_exists(x, src)]
        if not found:
            raise SystemExit(f"{'.'.join(module)}:{node.lineno}: none of {targets} exists")
        i = node.lineno - 1
        line = lines[i]
        m = _REL.match(line, node.col_offset)
        if m is None:
            raise SystemExit(f"cannot rewrite the relative import at {'.'.join(module)}:{node.lineno}")
        lines[i] = line[: m.start()] + f"from{m.group(1)}{found[0]}{m.group(4)}import" + line[m.end():]
    return "".join(lines)


# ---- 2. moves ------------------------------------------------------------------------------------

def tracked(root: Path, path: Path) -> bool:
    out = subprocess.run(["git", "ls-files", "--error-unmatch", str(path)], capture_output=True, cwd=root)
    return out.returncode == 0


def move(root: Path, old: Path, new: Path, log: list[str]) -> None:
    if new.exists():
        raise SystemExit(f"both {old} and {new} exist: merge them by hand, then re-run")
    new.parent.mkdir(parents=True, exist_ok=True)
    if tracked(root, old):
        subprocess.run(["git", "mv", str(old), str(new)], cwd=root, check=True)
    else:
        old.rename(new)
    log.append(f"moved {old.relative_to(root)} -> {new.relative_to(root)}")


def ensure_packages(root: Path, pkg_dir: Path, log: list[str]) -> None:
    for name, doc in PACKAGES.items():
        init = pkg_dir / name / "__init__.py"
        if (pkg_dir / name).is_dir() and not init.exists():
            init.write_text(f'"""{doc}"""\n', encoding="utf-8")
            subprocess.run(["git", "add", str(init)], cwd=root, check=True)
            log.append(f"created {init.relative_to(root)}")


def do_moves(root: Path, pkg_dir: Path, log: list[str]) -> None:
    for old, new in MOVES.items():
        old_path = pkg_dir.joinpath(*old.split("."))
        new_path = pkg_dir.joinpath(*new.split("."))
        if old_path.with_suffix(".py").is_file():
            move(root, old_path.with_suffix(".py"), new_path.with_suffix(".py"), log)
        elif old_path.is_dir():  # a subpackage: file by file, so that files added later join the rest
            for f in sorted(p for p in old_path.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
                move(root, f, new_path / f.relative_to(old_path), log)
            for d in sorted((p for p in old_path.rglob("*") if p.is_dir()), reverse=True):
                shutil.rmtree(d) if d.name == "__pycache__" else d.rmdir()
            old_path.rmdir()
        stale = old_path.parent / "__pycache__"
        for pyc in stale.glob(f"{old_path.name}.*.pyc") if stale.is_dir() else []:
            pyc.unlink()
    ensure_packages(root, pkg_dir, log)


# ---- 3. references -------------------------------------------------------------------------------

def _alternation(names: list[str]) -> str:
    return "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))


_OLD = _alternation(list(MOVES))
_DOTTED = re.compile(rf"(?<![\w.])parkscope\.({_OLD})(?![\w])")
_PATH = re.compile(rf"(?<![\w.])parkscope/({_alternation([o.replace('.', '/') for o in MOVES])})(?=\.py\b|/)")
_PROSE = re.compile(rf"(?<=[`( ])({_alternation([o for o in MOVES if '.' not in o])})\.py\b")
_FROM_PKG = re.compile(r"^(?P<indent>[ \t]*)from parkscope import (?P<names>[\w ,]+?)(?P<tail>[ \t]*(#.*)?)$",
                       re.MULTILINE)


def _dotted(m: re.Match[str]) -> str:
    return "parkscope." + MOVES[m.group(1)]


def _path(m: re.Match[str]) -> str:
    return "parkscope/" + MOVES[m.group(1).replace("/", ".")].replace(".", "/")


def _prose(m: re.Match[str]) -> str:
    return MOVES[m.group(1)].replace(".", "/") + ".py"


def split_from_parkscope(aliases: list[tuple[str, str | None]]) -> list[str] | None:
    """``from parkscope import a, coords`` as statements importing each moved module from its new place;
    None when no name is a moved module."""
    if not any(name in MOVES for name, _ in aliases):
        return None
    keep = [name if alias is None else f"{name} as {alias}" for name, alias in aliases if name not in MOVES]
    out = [f"from parkscope import {', '.join(keep)}"] if keep else []
    for name, alias in aliases:
        if name in MOVES:
            parent, _, stem = ("parkscope." + MOVES[name]).rpartition(".")
            bound = alias or name
            out.append(f"from {parent} import {stem}" + ("" if bound == stem else f" as {bound}"))
    return out


def from_imports_py(text: str) -> str:
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return text
    nodes = [n for n in ast.walk(tree)
             if isinstance(n, ast.ImportFrom) and n.level == 0 and n.module == "parkscope"]
    lines = text.splitlines(keepends=True)
    for node in sorted(nodes, key=lambda n: n.lineno, reverse=True):
        new = split_from_parkscope([(a.name, a.asname) for a in node.names])
        if new is None:
            continue
        first, last = node.lineno - 1, node.end_lineno - 1
        indent = lines[first][: node.col_offset]
        head, tail = lines[first][: node.col_offset], lines[last][node.end_col_offset:]
        body = ("\n" + indent).join(new)
        lines[first: last + 1] = [head + body + tail]
    return "".join(lines)


def from_imports_text(text: str) -> str:
    def repl(m: re.Match[str]) -> str:
        aliases = []
        for part in m.group("names").split(","):
            bits = part.split()
            if len(bits) == 1:
                aliases.append((bits[0], None))
            elif len(bits) == 3 and bits[1] == "as":
                aliases.append((bits[0], bits[2]))
            else:
                return m.group(0)
        new = split_from_parkscope(aliases)
        if new is None:
            return m.group(0)
        return m.group("indent") + ("\n" + m.group("indent")).join(new) + m.group("tail")

    return _FROM_PKG.sub(repl, text)


def rewrite_text(text: str, suffix: str) -> str:
    text = from_imports_py(text) if suffix == ".py" else from_imports_text(text)
    text = _DOTTED.sub(_dotted, text)
    text = _PATH.sub(_path, text)
    if suffix in {".md", ".py", ".rst", ".txt"}:
        text = _PROSE.sub(_prose, text)
    if suffix == ".py":
        for long, wrapped in WRAPS.items():
            text = text.replace(long, wrapped)
    return text


def rewrite_notebook(text: str) -> str:
    new = _PATH.sub(_path, _DOTTED.sub(_dotted, text))
    if "from parkscope import" not in new:
        return new
    nb = json.loads(new)
    changed = False
    for cell in nb.get("cells", []):
        src = "".join(cell.get("source", []))
        out = from_imports_text(src)
        if out != src:
            cell["source"] = out.splitlines(keepends=True)
            changed = True
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n" if changed else new


# ---- 4. pyproject --------------------------------------------------------------------------------

_PACKAGE_DATA = re.compile(r"^\[tool\.setuptools\.package-data\]\n.*?(?=^\[|\Z)", re.S | re.M)
_LINTER = re.compile(r"^\[tool\.importlinter\]\n.*?(?=^\[(?!\[?tool\.importlinter)|\Z)", re.S | re.M)


def rewrite_pyproject(text: str, log: list[str]) -> str:
    m = _LINTER.search(text)
    if m and _DOTTED.search(m.group(0)):
        old_names = set(re.findall(r'"(parkscope(?:\.\w+)+)', m.group(0)))
        new_names = set(re.findall(r'"\(?(parkscope(?:\.\w+)+)', CONTRACTS))
        dropped = sorted(n for n in old_names if n.split(".")[1] not in MOVES and n not in new_names)
        text = text[: m.start()] + CONTRACTS + ("\n" if m.end() < len(text) else "") + text[m.end():]
        log.append("pyproject.toml: [tool.importlinter] replaced by the contracts over the subpackages")
        if dropped:
            log.append(f"  NOTE: the old contracts also named {', '.join(dropped)}: place them in the new")
    # package data of moved subpackages: "report/templates/*" -> "outputs/report/templates/*"
    m = _PACKAGE_DATA.search(text)
    if m:
        section = m.group(0)
        for old, new in MOVES.items():
            section = section.replace('"' + old.replace(".", "/") + "/", '"' + new.replace(".", "/") + "/")
        text = text[: m.start()] + section + text[m.end():]
    return text


def check_package_data(root: Path, pkg_dir: Path, text: str) -> list[str]:
    m = _PACKAGE_DATA.search(text)
    if not m:
        return []
    problems = []
    for glob in re.findall(r'"([^"]+)"', m.group(0).split("\n", 1)[1]):
        if not list(pkg_dir.glob(glob)):
            problems.append(f"package-data glob {glob!r} matches no file")
    return problems


# ---- main ----------------------------------------------------------------------------------------

def ruff_sort(root: Path, files: list[Path]) -> None:
    ruff = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")
    if not files or not Path(ruff).exists():
        if files:
            print("ruff not found: sort the imports of the changed files yourself")
        return
    subprocess.run([ruff, "check", "--select", "I", "--fix", "--quiet", *map(str, files)], cwd=root)
    long = subprocess.run([ruff, "check", "--select", "E501", "--output-format", "concise", "--quiet",
                           *map(str, files)], cwd=root, capture_output=True, text=True).stdout.strip()
    if long:
        print("Lines the longer names made too long (wrap them by hand):\n" + long)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a run would")
    args = parser.parse_args(argv)
    root = repo_root()
    src = root / "src"
    pkg_dir = src / "parkscope"
    log: list[str] = []

    pending_moves = [o for o in MOVES if pkg_dir.joinpath(*o.split(".")).with_suffix(".py").is_file()
                     or pkg_dir.joinpath(*o.split(".")).is_dir()]
    if args.check:
        log += [f"would move parkscope.{o}" for o in pending_moves]

    changed_py: list[Path] = []
    # 1. relative -> absolute, by the files' places before the move
    for path in sorted(pkg_dir.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        new = absolute_imports(text, module_of(path, src), path.name == "__init__.py", src)
        if new != text:
            log.append(f"absolute imports: {path.relative_to(root)}")
            if not args.check:
                path.write_text(new, encoding="utf-8")
    # 2. moves
    if not args.check:
        do_moves(root, pkg_dir, log)
    # 3. references, 4. pyproject
    for path in git_files(root):
        if path == SELF or not path.is_file() or path.stat().st_size > 2_000_000:
            continue
        if path.suffix not in TEXT_SUFFIXES and path.name not in TEXT_NAMES:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, FileNotFoundError):
            continue
        if path.suffix == ".ipynb":
            new = rewrite_notebook(text)
        elif path == root / "pyproject.toml":
            new = rewrite_text(rewrite_pyproject(text, log), path.suffix)
        else:
            new = rewrite_text(text, path.suffix)
        if new != text:
            log.append(f"references: {path.relative_to(root)}")
            if not args.check:
                path.write_text(new, encoding="utf-8")
                if path.suffix == ".py":
                    changed_py.append(path)
    # 5. import order of what changed
    if not args.check:
        ruff_sort(root, changed_py)

    problems = check_package_data(root, pkg_dir, (root / "pyproject.toml").read_text(encoding="utf-8"))
    at_root = sorted(p.stem for p in pkg_dir.glob("*.py") if p.stem not in ROOT)
    if at_root:
        problems.append("modules at the package root not in MOVES or ROOT: " + ", ".join(at_root))
    for line in log:
        print(line)
    for line in problems:
        print("WARNING:", line)
    if not log:
        print("nothing to change: the layout is done")
    return 1 if (args.check and log) else 0


if __name__ == "__main__":
    sys.exit(main())
