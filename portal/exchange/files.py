"""Reading record files: YAML or JSON, with the line number of every value for error messages."""

import json
from dataclasses import dataclass, field
from pathlib import Path

import yaml

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_DEPTH = 40
SUFFIXES = {".yaml", ".yml", ".json"}


@dataclass
class Problem:
    file: str
    where: str
    message: str
    line: int | None = None

    def __str__(self):
        location = self.file + (f":{self.line}" if self.line else "")
        return f"{location}: {self.where + ': ' if self.where else ''}{self.message}"


@dataclass
class Document:
    path: str
    data: dict
    lines: dict = field(default_factory=dict)  # ("records", 3, "slug") -> line number

    def line(self, *where):
        """The line of the nearest enclosing value we know of."""
        where = tuple(where)
        while where:
            if where in self.lines:
                return self.lines[where]
            where = where[:-1]
        return None


def expand(paths):
    """Files named on the command line, with folders expanded to their record files (sorted)."""
    found, missing = [], []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.suffix in SUFFIXES and p.is_file()))
        elif path.is_file():
            found.append(path)
        else:
            missing.append(name)
    return found, missing


def _index_lines(node, where, lines, depth=0):
    if depth > MAX_DEPTH:
        raise ValueError(f"nested more than {MAX_DEPTH} levels deep")
    lines[where] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            _index_lines(value, where + (key.value,), lines, depth + 1)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _index_lines(item, where + (i,), lines, depth + 1)


def read(path):
    """Parse one file. Returns (Document or None, [Problem])."""
    name = str(path)
    try:
        size = Path(path).stat().st_size
    except OSError as error:
        return None, [Problem(name, "", f"cannot be read ({error.strerror})")]
    if size > MAX_FILE_BYTES:
        return None, [
            Problem(
                name,
                "",
                f"is {size // 2**20} MB; files over {MAX_FILE_BYTES // 2**20} MB are refused. "
                "Split it into several files.",
            )
        ]
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        return None, [Problem(name, "", f"is not UTF-8 text (byte {error.start})")]
    lines = {}
    try:
        if Path(path).suffix == ".json":
            data = json.loads(text)
        else:
            node = yaml.compose(text, Loader=yaml.SafeLoader)
            if node is not None:
                _index_lines(node, (), lines)
            data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        return None, [Problem(name, "", f"is not valid YAML: {error.problem}", mark.line + 1 if mark else None)]
    except yaml.YAMLError as error:
        return None, [Problem(name, "", f"is not valid YAML: {error}")]
    except json.JSONDecodeError as error:
        return None, [Problem(name, "", f"is not valid JSON: {error.msg}", error.lineno)]
    except (ValueError, RecursionError) as error:
        return None, [Problem(name, "", f"is too deeply nested ({error or 'recursion limit'})")]
    if not isinstance(data, dict):
        return None, [Problem(name, "", "must be a mapping with a 'format' key at the top")]
    return Document(name, data, lines), []
