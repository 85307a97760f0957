"""Prints, as JSON, what a Metaflow card holds: python3 read_card.py <task pathspec> <card id>.

Reads the card's HTML with Metaflow's ``get_cards`` (the datastore the environment names), decodes the component data
the page embeds (``window.__MF_DATA__[...] = "<base64 JSON>"``) and lists its headings and images: each image's label
and whether its source is an embedded PNG.
"""

import base64
import json
import re
import sys
from typing import Any, Dict, List

from metaflow import Task, namespace
from metaflow.cards import get_cards


def walk(node: Any, found: Dict[str, List[Any]]) -> None:
    if isinstance(node, dict):
        if node.get("type") == "image":
            found["images"].append({"label": node.get("label"), "png": str(node.get("src", "")).startswith("data:image/png;base64,"), "bytes": len(str(node.get("src", "")))})
        if node.get("type") == "markdown":
            found["markdown"].append(node.get("source"))
        for value in node.values():
            walk(value, found)
    elif isinstance(node, list):
        for value in node:
            walk(value, found)


def main() -> None:
    namespace(None)
    cards = get_cards(Task(sys.argv[1]), id=sys.argv[2])
    html = cards[0].get()
    data = re.search(r'window\.__MF_DATA__\["[^"]+"\] = "([^"]+)"', html)
    found: Dict[str, List[Any]] = {"images": [], "markdown": []}
    walk(json.loads(base64.b64decode(data.group(1))) if data else {}, found)
    print(json.dumps({"cards": len(cards), "html_bytes": len(html), **found}))


if __name__ == "__main__":
    main()
