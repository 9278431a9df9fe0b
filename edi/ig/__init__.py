"""edi.ig: implementation-guide validation compiled from pyx12's map data.

`CompiledValidator` checks 834 transaction sets against tables compiled from
pyx12's XML maps (see `compile.py`), plus the situational rules of
`situational.py`, and yields `Finding`s in segment-position order.
"""

from edi.ig.validator import CompiledValidator

__all__ = ["CompiledValidator"]
