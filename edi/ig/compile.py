"""Compile pyx12's implementation-guide XML data into the project's own tables.

pyx12 ships the X12 knowledge we need as data: per transaction a map XML file
(loops, segments, elements with usage, repeat counts, valid codes and syntax
rules), `dataele.xml` (data type and length of every data element), `codes.xml`
(external code lists such as states) and `maps.xml` (which map serves which
ISA12/GS08/GS01). This module reads those files — never pyx12's code — and
builds immutable tables that `edi.ig.validator` walks.

Contract:
- `load_tables()` returns the `Tables` for the installed pyx12 version. The
  first call compiles and writes a pickle to the cache directory
  (`$ENROLL834_CACHE_DIR`, else `$XDG_CACHE_HOME/enroll834`, else
  `~/.cache/enroll834`), keyed by pyx12 version and table format; later calls
  (and later processes) load the pickle. An unwritable cache only costs speed.
- Node paths and counter keys follow pyx12's map paths exactly
  (`/ISA_LOOP/GS_LOOP/ST_LOOP/DETAIL/2000/REF[0F]`), because repeat counting
  is keyed by them.
"""

from __future__ import annotations

import os
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import xml.etree.ElementTree as ET

FORMAT = 4
"""Bump when the table layout changes: old caches are then ignored."""

MAXINT = 2147483647

TRANSACTION_MAPS = ("834.5010.X220.A1.xml", "834.4010.X095.A1.xml")
CONTROL_MAPS = ("x12.control.00501.xml", "x12.control.00401.xml")


@dataclass(frozen=True, slots=True)
class ElementRule:
    """One simple element of a segment, or one component of a composite."""

    seq: int
    ref: str
    """Reference designator from the map, e.g. 'NM103' or 'INS06-01'."""
    name: str
    data_ele: str
    usage: str
    data_type: str
    min_len: int
    max_len: int
    codes: frozenset[str]
    external: str | None
    """Name of an external code list in `Tables.code_lists` ('states', 'country')."""
    regex: str | None
    in_composite: bool
    composite_required: bool
    """For a component: whether its composite is Required (decides seq-1 emptiness)."""


@dataclass(frozen=True, slots=True)
class CompositeRule:
    """A composite element: its components in order."""

    seq: int
    ref: str
    name: str
    data_ele: str
    usage: str
    parts: tuple[ElementRule, ...]


@dataclass(frozen=True, slots=True)
class SyntaxRule:
    """An X12 relational condition: kind P/R/E/C/L over 1-based element positions."""

    kind: str
    positions: tuple[int, ...]

    @property
    def text(self) -> str:
        return self.kind + "".join(f"{p:02d}" for p in self.positions)


@dataclass(frozen=True, slots=True)
class Node:
    """A loop or segment of a map, flattened; links are indices into `TransactionMap.nodes`."""

    index: int
    kind: str
    """'root', 'loop' or 'segment'."""
    id: str
    name: str
    usage: str
    pos: int
    max_repeat: int
    path: str
    count_key: int
    parent: int | None
    loop_id: str
    """Id of the nearest enclosing loop ('' at the root)."""
    eq_key: tuple[str, str]
    """(id, parent id): pyx12 treats two map nodes with the same pair as the same node."""
    children: tuple[int, ...] = ()
    """Loops and root: children in scan order (by pos; loops before segments at one pos)."""
    descendant_keys: frozenset[int] = frozenset()
    """Loops: the counter keys reset when the loop starts again."""
    fields: tuple[ElementRule | CompositeRule, ...] = ()
    syntax: tuple[SyntaxRule, ...] = ()
    qualifier: tuple[int, int | None, frozenset[str]] | None = None
    """Segments: (element, component or None, codes) a segment must carry to match this node."""


@dataclass(frozen=True, slots=True)
class TransactionMap:
    """One implementation guide (e.g. 834 005010X220A1), ready for the walker."""

    file: str
    id: str
    icvn: str
    nodes: tuple[Node, ...]
    root: int
    isa_loop: int
    isa: int
    gs_loop: int
    gs: int
    qualifier_positions: dict[str, tuple[tuple[int, int | None], ...]]
    """Per segment id: the (element, component) positions any node of that id matches on."""


@dataclass(frozen=True, slots=True)
class Tables:
    """Everything compiled from pyx12's data for one pyx12 version."""

    pyx12_version: str
    maps: dict[str, TransactionMap]
    """Keyed by map file name."""
    map_index: dict[tuple[str, str, str], str]
    """(ISA12, GS08, GS01) -> map file name, for the maps compiled here."""
    code_lists: dict[str, frozenset[str]]
    known_groups: frozenset[tuple[str, str, str]] = frozenset()
    """Every (ISA12, GS08, GS01) pyx12 has a map for, compiled here or not."""


def pyx12_version() -> str:
    """The installed pyx12's version (its package's own, read without importing
    importlib.metadata: every validating command asks, and that import alone cost more
    than the cached tables take to load)."""
    try:
        import pyx12
    except ImportError:  # pragma: no cover - pyx12 is a dependency
        return "unknown"
    version = getattr(pyx12, "__version__", None)
    if isinstance(version, str) and version:
        return version
    from importlib import metadata

    try:
        return metadata.version("pyx12")
    except metadata.PackageNotFoundError:  # pragma: no cover
        return "unknown"


def _parse(path: Path) -> ET.Element:
    """The root element of one of pyx12's XML files (ElementTree is imported only when the
    tables are compiled, not when they are loaded from the cache)."""
    import xml.etree.ElementTree as ET

    return ET.parse(path).getroot()


def _map_dir() -> Path:
    from importlib import resources  # only when the tables are compiled

    return Path(str(resources.files("pyx12").joinpath("map")))


def _text(elem: ET.Element, name: str) -> str | None:
    value = elem.get(name)
    if value:
        return value
    return elem.findtext(name)


def _int(text: str | None) -> int:
    return int(text) if text is not None else 0


def _max(text: str | None) -> int:
    if text is None or text in (">1", "&gt;1"):
        return MAXINT
    return int(text)


def load_data_elements(map_dir: Path) -> dict[str, tuple[str, int, int]]:
    """dataele.xml: element number -> (data type, min length, max length)."""
    out: dict[str, tuple[str, int, int]] = {}
    for e in _parse(map_dir / "dataele.xml").iter("data_ele"):
        num = e.get("ele_num") or ""
        out[num] = (e.get("data_type") or "", int(e.get("min_len") or 0), int(e.get("max_len") or 0))
    return out


def load_code_lists(map_dir: Path) -> dict[str, frozenset[str]]:
    """codes.xml: code list id -> codes."""
    out: dict[str, frozenset[str]] = {}
    for cs in _parse(map_dir / "codes.xml").iter("codeset"):
        key = cs.findtext("id") or ""
        out[key] = frozenset(c.text or "" for c in cs.iterfind("version/code"))
    return out


def load_map_index(map_dir: Path) -> dict[tuple[str, str, str], str]:
    """maps.xml: (ISA12, GS08, GS01) -> map file."""
    out: dict[tuple[str, str, str], str] = {}
    for version in _parse(map_dir / "maps.xml").iter("version"):
        icvn = version.get("icvn") or ""
        for m in version.iter("map"):
            out[(icvn, m.get("vriic") or "", m.get("fic") or "")] = (m.text or "").strip()
    return out


class _Builder:
    """Flattens one map XML tree into `Node`s."""

    def __init__(self, dataele: dict[str, tuple[str, int, int]]) -> None:
        self.dataele = dataele
        self.nodes: list[Node | None] = []
        self.path_keys: dict[str, int] = {}

    def key(self, path: str) -> int:
        return self.path_keys.setdefault(path, len(self.path_keys))

    def element(self, e: ET.Element, in_composite: bool, comp_usage: str) -> ElementRule:
        data_ele = _text(e, "data_ele") or ""
        dtype, min_len, max_len = self.dataele.get(data_ele, ("", 0, 0))
        vc = e.find("valid_codes")
        codes = frozenset(c.text or "" for c in vc.findall("code")) if vc is not None else frozenset()
        regex = e.findtext("regex") or None
        return ElementRule(
            seq=_int(_text(e, "seq")),
            ref=e.get("xid") or "",
            name=_text(e, "name") or "",
            data_ele=data_ele,
            usage=_text(e, "usage") or "",
            data_type=dtype,
            min_len=min_len,
            max_len=max_len,
            codes=codes,
            external=vc.get("external") if vc is not None else None,
            regex=regex,
            in_composite=in_composite,
            composite_required=comp_usage == "R",
        )

    def fields(self, seg: ET.Element) -> tuple[ElementRule | CompositeRule, ...]:
        by_seq: dict[int, ElementRule | CompositeRule] = {}
        for e in seg.findall("element"):
            rule = self.element(e, False, "")
            by_seq[rule.seq] = rule
        for c in seg.findall("composite"):
            usage = _text(c, "usage") or ""
            parts = tuple(self.element(e, True, usage) for e in c.findall("element"))
            seq = _int(_text(c, "seq"))
            by_seq[seq] = CompositeRule(
                seq=seq,
                ref=c.findtext("refdes") or c.get("xid") or "",
                name=_text(c, "name") or "",
                data_ele=_text(c, "data_ele") or "",
                usage=usage,
                parts=parts,
            )
        return tuple(by_seq[k] for k in sorted(by_seq))

    @staticmethod
    def qualifier(
        seg_id: str, fields: tuple[ElementRule | CompositeRule, ...]
    ) -> tuple[int, int | None, frozenset[str]] | None:
        """Where a data segment must carry one of a node's codes to match it (pyx12's rule)."""
        c = [fields[i] if len(fields) > i else None for i in range(3)]
        c0, c1, c2 = c
        if isinstance(c0, ElementRule) and c0.data_type == "ID" and c0.usage == "R" and c0.codes:
            return (1, None, c0.codes)
        if seg_id == "ENT" and isinstance(c1, ElementRule) and c1.data_type == "ID" and c1.codes:
            return (2, None, c1.codes)
        if isinstance(c0, CompositeRule) and c0.parts and c0.parts[0].codes:
            first = c0.parts[0]
            if first.data_type == "ID" or (seg_id == "CTX" and first.data_type == "AN"):
                return (1, 1, first.codes)
        if seg_id == "HL" and isinstance(c2, ElementRule) and c2.codes:
            return (3, None, c2.codes)
        return None

    @staticmethod
    def path_suffix(seg: ET.Element, fields: tuple[ElementRule | CompositeRule, ...]) -> str:
        """pyx12 names a segment '[code]' when it shares its position with other nodes."""
        c = [fields[i] if len(fields) > i else None for i in range(3)]
        c0, c1, c2 = c
        first: list[str] = []
        if isinstance(c0, ElementRule) and c0.data_type == "ID" and c0.codes:
            first = _ordered_codes(seg, 0)
        elif seg.get("xid") == "ENT" and isinstance(c1, ElementRule) and c1.data_type == "ID" and c1.codes:
            first = _ordered_codes(seg, 1)
        elif isinstance(c0, CompositeRule) and c0.parts and c0.parts[0].data_type == "ID" and c0.parts[0].codes:
            comp = seg.findall("composite")[0]
            vc = comp.find("element/valid_codes")
            first = [x.text or "" for x in vc.findall("code")] if vc is not None else []
        elif seg.get("xid") == "HL" and isinstance(c2, ElementRule) and c2.codes:
            first = _ordered_codes(seg, 2)
        return f"[{first[0]}]" if first else ""

    def build(self, elem: ET.Element, parent: int | None, parent_path: str, loop_id: str,
              parent_id: str) -> int:
        """Build `elem` (root, loop or segment) and its subtree; return its index."""
        index = len(self.nodes)
        self.nodes.append(None)
        xid = elem.get("xid") or ""
        kind = "root" if elem.tag == "transaction" else "loop"
        path = "/" if kind == "root" else parent_path.rstrip("/") + "/" + xid
        children: list[tuple[int, int, ET.Element]] = []  # (pos, order, elem)
        order = 0
        for child in elem.findall("loop"):
            children.append((_int(_text(child, "pos")), order, child))
            order += 1
        for child in elem.findall("segment"):
            children.append((_int(_text(child, "pos")), order, child))
            order += 1
        children.sort(key=lambda t: (t[0], t[1]))
        per_pos: dict[int, int] = {}
        for pos, _, _ in children:
            per_pos[pos] = per_pos.get(pos, 0) + 1
        my_loop_id = xid if kind == "loop" else ""
        child_indices: list[int] = []
        for pos, _, child in children:
            if child.tag == "loop":
                child_indices.append(self.build(child, index, path, my_loop_id, xid))
            else:
                child_indices.append(
                    self.segment(child, index, path, my_loop_id, xid, kind == "loop" and per_pos[pos] > 1)
                )
        descendants = frozenset(
            k for p, k in self.path_keys.items() if _is_child_path(path, p)
        ) if kind == "loop" else frozenset()
        self.nodes[index] = Node(
            index=index,
            kind=kind,
            id=xid,
            name=_text(elem, "name") or "",
            usage=_text(elem, "usage") or "",
            pos=_int(_text(elem, "pos")),
            max_repeat=_max(_text(elem, "repeat")),
            path=path,
            count_key=self.key(path),
            parent=parent,
            loop_id=loop_id,
            eq_key=(xid, parent_id),
            children=tuple(child_indices),
            descendant_keys=descendants,
        )
        return index

    def segment(self, elem: ET.Element, parent: int, parent_path: str, loop_id: str,
                parent_id: str, shared_pos: bool) -> int:
        index = len(self.nodes)
        xid = elem.get("xid") or ""
        fields = self.fields(elem)
        suffix = self.path_suffix(elem, fields) if shared_pos else ""
        path = parent_path.rstrip("/") + "/" + xid + suffix
        syntax: list[SyntaxRule] = []
        for s in elem.findall("syntax"):
            text = s.text or ""
            if text and text[0] in "PRCLE":
                positions = tuple(int(text[i : i + 2]) for i in range(1, len(text) - 1, 2))
                syntax.append(SyntaxRule(text[0], positions))
        self.nodes.append(
            Node(
                index=index,
                kind="segment",
                id=xid,
                name=_text(elem, "name") or "",
                usage=_text(elem, "usage") or "",
                pos=_int(_text(elem, "pos")),
                max_repeat=_max(_text(elem, "max_use")),
                path=path,
                count_key=self.key(path),
                parent=parent,
                loop_id=loop_id,
                eq_key=(xid, parent_id),
                fields=fields,
                syntax=tuple(syntax),
                qualifier=self.qualifier(xid, fields),
            )
        )
        return index


def _ordered_codes(seg: ET.Element, field_index: int) -> list[str]:
    items = sorted(
        list(seg.findall("element")) + list(seg.findall("composite")),
        key=lambda e: _int(_text(e, "seq")),
    )
    vc = items[field_index].find("valid_codes")
    return [c.text or "" for c in vc.findall("code")] if vc is not None else []


def _is_child_path(root: str, child: str) -> bool:
    r = root.split("/")
    c = child.split("/")
    return len(r) < len(c) and c[: len(r)] == r


def compile_map(map_dir: Path, file: str, dataele: dict[str, tuple[str, int, int]]) -> TransactionMap:
    """Compile one map XML file."""
    root_elem = _parse(map_dir / file)
    b = _Builder(dataele)
    root = b.build(root_elem, None, "", "", "")
    nodes = tuple(n for n in b.nodes if n is not None)
    assert len(nodes) == len(b.nodes)
    by_path = {n.path: n.index for n in nodes}
    isa = by_path["/ISA_LOOP/ISA"]
    icvn = ""
    for f in nodes[isa].fields:
        if isinstance(f, ElementRule) and f.seq == 12 and f.codes:
            icvn = sorted(f.codes)[0]
    quals: dict[str, set[tuple[int, int | None]]] = {}
    for n in nodes:
        if n.kind == "segment" and n.qualifier is not None:
            quals.setdefault(n.id, set()).add((n.qualifier[0], n.qualifier[1]))
    return TransactionMap(
        file=file,
        id=root_elem.get("xid") or "",
        icvn=icvn,
        nodes=nodes,
        root=root,
        isa_loop=by_path["/ISA_LOOP"],
        isa=isa,
        gs_loop=by_path["/ISA_LOOP/GS_LOOP"],
        gs=by_path["/ISA_LOOP/GS_LOOP/GS"],
        qualifier_positions={k: tuple(sorted(v, key=lambda t: (t[0], t[1] or 0))) for k, v in quals.items()},
    )


def compile_tables(map_dir: Path | None = None) -> Tables:
    """Compile the 834 maps, control maps, data elements and code lists from pyx12's data."""
    d = map_dir or _map_dir()
    dataele = load_data_elements(d)
    maps = {f: compile_map(d, f, dataele) for f in TRANSACTION_MAPS + CONTROL_MAPS}
    full = load_map_index(d)
    index = {k: v for k, v in full.items() if v in TRANSACTION_MAPS}
    return Tables(
        pyx12_version=pyx12_version(),
        maps=maps,
        map_index=index,
        code_lists=load_code_lists(d),
        known_groups=frozenset(full),
    )


def cache_dir() -> Path:
    explicit = os.environ.get("ENROLL834_CACHE_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "enroll834"


def cache_path() -> Path:
    return cache_dir() / f"ig-tables-pyx12-{pyx12_version()}-f{FORMAT}.pickle"


_TABLES: Tables | None = None


def load_tables(*, refresh: bool = False) -> Tables:
    """The compiled tables for the installed pyx12: memory, then cache file, then compile."""
    global _TABLES
    if _TABLES is not None and not refresh:
        return _TABLES
    path = cache_path()
    tables: Tables | None = None
    if not refresh and path.is_file():
        try:
            with path.open("rb") as fh:
                loaded = pickle.load(fh)
            if isinstance(loaded, Tables) and loaded.pyx12_version == pyx12_version():
                tables = loaded
        except Exception:  # a corrupt or foreign cache is rebuilt, never trusted
            tables = None
    if tables is None:
        tables = compile_tables()
        _write_cache(path, tables)
    _TABLES = tables
    return tables


def _write_cache(path: Path, tables: Tables) -> None:
    import tempfile

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".ig-", suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(tables, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except OSError:
        pass  # read-only home or full disk: compile again next process
