"""Which object controls another: the one ownerReferences lookup every layer uses."""

from typing import Dict, Optional


def controller_reference(metadata: dict) -> Optional[Dict[str, str]]:
    """The controller's kind and name (the reference marked controller, else the first), or None."""
    refs = metadata.get("ownerReferences") or []
    ref = next((r for r in refs if r.get("controller")), refs[0] if refs else None)
    return {"kind": ref.get("kind") or "", "name": ref.get("name") or ""} if ref else None
